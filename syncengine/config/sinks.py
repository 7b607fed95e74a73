"""The ``logging:`` section: one :class:`SinkConfig` per sink entry.

Each entry has a ``type`` and a ``level``; every other key is the sink's own option.  The options of a
built-in sink are known (:data:`syncengine.logs.registry.KNOWN_SINK_OPTIONS`), so a misspelt one gets a
"did you mean"; a third-party sink (registered in the ``syncengine.log_sinks`` entry point group) takes
any keys and validates them itself.  A ``path`` option is resolved against the config file's folder here,
like every other path in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syncengine import plugins
from syncengine.config.model import LoggingConfig, SinkConfig
from syncengine.config.schema import Section, describe, suggest
from syncengine.logs.base import LEVELS
from syncengine.logs.registry import BUILTIN_SINKS, KNOWN_SINK_OPTIONS


def read_logging(sec: Section | None, base: Path) -> LoggingConfig:
    if sec is None:
        return LoggingConfig()
    sec.check_keys(("sinks",))
    if not sec.has("sinks"):
        return LoggingConfig()
    sinks = tuple(_sink(item, base) for item in sec.items("sinks"))
    return LoggingConfig(sinks=tuple(s for s in sinks if s is not None))


def _sink(sec: Section, base: Path) -> SinkConfig | None:
    kind = sec.text("type", "", required=True)
    if not sec.has("type"):
        sec.error(f"'{sec.name('type')}' is required", f"one of: {', '.join(sorted(BUILTIN_SINKS))}")
        return None
    level = sec.choice("level", LEVELS, "warning" if kind == "email" else "info")
    options = {k: v for k, v in sec.data.items() if k not in ("type", "level")}
    if kind in KNOWN_SINK_OPTIONS:
        known = KNOWN_SINK_OPTIONS[kind]
        for key in options:
            if key not in known:
                takes = ", ".join(sorted(known)) or "nothing"
                hint = suggest(str(key), known) or f"a {kind} sink takes: {takes}"
                message = f"unknown key '{sec.name(str(key))}' for a {kind} sink"
                sec.error(message, hint, key=key, at_value=False)
        options = _builtin_options(sec, kind, options, base)
    else:
        registered = plugins.names(plugins.LOG_SINKS, dict(BUILTIN_SINKS))
        if kind not in registered:
            hint = suggest(kind, registered) or f"known sink types: {', '.join(registered)}"
            sec.error(f"'{sec.name('type')}': no log sink of type '{kind}'", hint, key="type")
            return None
        options = {str(k): _plain(v) for k, v in options.items()}
    return SinkConfig(type=kind, level=level, options=tuple(options.items()), where=sec.where())


def _builtin_options(sec: Section, kind: str, options: dict[Any, Any], base: Path) -> dict[str, Any]:
    """Type-check a built-in sink's options; resolve its path."""
    out: dict[str, Any] = {}
    for key in options:
        if key not in KNOWN_SINK_OPTIONS[kind]:
            continue
        if key == "path":
            out[key] = sec.path_value("path", base)
        elif key in ("max_bytes", "backups"):
            out[key] = sec.integer(key, 0, minimum=1024 if key == "max_bytes" else 0)
        elif key == "color":
            value = options[key]
            if not (isinstance(value, bool) or value == "auto"):
                sec.error(f"'{sec.name(key)}' must be true, false or auto, not {describe(value)}", key=key)
            out[key] = value
        elif key == "stream":
            out[key] = sec.choice(key, ("stdout", "stderr"), "stderr")
        elif key == "to":
            recipients = sec.text_list("to")
            if not recipients and options[key] is not None and not isinstance(options[key], list | str):
                continue
            out[key] = tuple(recipients)
        else:
            out[key] = sec.text(key, None)
    if kind == "email" and not out.get("to"):
        sec.error(f"'{sec.name('to')}' is required for an email sink", "list who gets the digest: "
                  "to: [owner@studio.example]", key="to" if "to" in options else None)
    return out


def _plain(value: Any) -> Any:
    """ruamel's containers and scalars as plain Python values (third-party sinks get no YAML types)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        # tuples, so a SinkConfig stays hashable like every other config object
        return tuple(_plain(v) for v in value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)
