"""Finding adapters and sinks by name through entry points.

Built-in log sinks live in the core and are found through a lazy name -> "module:Class" index; everything
else (studio sources, calendar backends, extra commands, third-party sinks) is registered by its package
through an entry point group, so the core never imports an adapter by name.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from typing import Any

SOURCES = "syncengine.sources"
CALENDARS = "syncengine.calendars"
LOG_SINKS = "syncengine.log_sinks"
COMMANDS = "syncengine.commands"


class PluginNotFound(LookupError):
    def __init__(self, group: str, name: str, known: tuple[str, ...]) -> None:
        self.group = group
        self.name = name
        self.known = known
        super().__init__(f"no {group} plugin named {name!r} (known: {', '.join(known) or 'none'})")


@cache
def _group(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def names(group: str, builtins: dict[str, str] | None = None) -> tuple[str, ...]:
    """Every name registered in ``group`` (plus built-ins), sorted."""
    return tuple(sorted({*(builtins or {}), *_group(group)}))


def load(group: str, name: str, builtins: dict[str, str] | None = None) -> Any:
    """The object registered as ``name`` in ``group``; built-ins win over entry points."""
    if builtins and name in builtins:
        module, _, attr = builtins[name].partition(":")
        return getattr(import_module(module), attr)
    try:
        return _group(group)[name].load()
    except KeyError:
        raise PluginNotFound(group, name, names(group, builtins)) from None
