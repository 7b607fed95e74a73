"""The studio configuration: loading (``loader``) and the typed objects it produces (``model``)."""

from __future__ import annotations

from typing import Any

__all__ = ["load_config"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing the config objects alone does not import the YAML parser.
    if name == "load_config":
        from syncengine.config.loader import load_config

        return load_config
    raise AttributeError(name)
