"""Finding log sinks by name and building the configured ones.

Built-in sinks come from a lazy name -> "module:Class" index, so a run that logs only to the console never
imports sqlite3 or smtplib.  Any other ``type`` is looked up in the ``syncengine.log_sinks`` entry point
group.  Every sink class is built as ``cls(sink_config, studio_config)``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from syncengine import plugins
from syncengine.errors import ConfigError, ConfigProblem
from syncengine.logs.base import LogBus, Sink

if TYPE_CHECKING:
    from syncengine.config.model import SinkConfig, StudioConfig

BUILTIN_SINKS: Mapping[str, str] = MappingProxyType({
    "console": "syncengine.logs.console:ConsoleSink",
    "jsonl": "syncengine.logs.jsonl:JsonlSink",
    "sqlite": "syncengine.logs.sqlite:SqliteSink",
    "syslog": "syncengine.logs.syslog:SyslogSink",
    "email": "syncengine.logs.email:EmailSink",
})

#: The keys each built-in sink takes besides ``type`` and ``level`` (the loader suggests from these).
KNOWN_SINK_OPTIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    "console": frozenset({"color", "stream"}),
    "jsonl": frozenset({"path", "max_bytes", "backups"}),
    "sqlite": frozenset({"path"}),
    "syslog": frozenset({"address", "facility"}),
    "email": frozenset({"to"}),
})


def sink_class(kind: str, builtins: Mapping[str, str] | None = None) -> Any:
    """The class registered for sink ``kind`` (built-ins first, then entry points).

    Raises :class:`plugins.PluginNotFound` for an unknown type.
    """
    return plugins.load(plugins.LOG_SINKS, kind, dict(BUILTIN_SINKS if builtins is None else builtins))


def build_sinks(config: StudioConfig, builtins: Mapping[str, str] | None = None) -> list[Sink]:
    """One sink per ``logging.sinks`` entry, in order.

    ``builtins`` replaces the built-in index (tests register a class under a name this way).  A sink type
    that cannot be found or imported is a :class:`ConfigError` naming the entry's line.
    """
    sinks: list[Sink] = []
    for sink_config in config.logging.sinks:
        try:
            cls = sink_class(sink_config.type, builtins)
        except (plugins.PluginNotFound, ImportError, AttributeError) as exc:
            message = f"log sink '{sink_config.type}' is not available: {exc}"
            hint = "install the package that provides it"
            raise ConfigError([_problem(config, sink_config, message, hint)]) from exc
        sink = cls(sink_config, config)
        if not isinstance(sink, Sink):
            raise ConfigError([_problem(config, sink_config, f"log sink '{sink_config.type}' does not "
                                        "derive from syncengine.logs.base.Sink")])
        sinks.append(sink)
    return sinks


def build_bus(config: StudioConfig, run_id: str | None = None, sinks: list[Sink] | None = None) -> LogBus:
    """A :class:`LogBus` over the configured sinks that knows the config's secret values."""
    bus = LogBus(build_sinks(config) if sinks is None else sinks, run_id=run_id)
    for secret in config_secrets(config):
        bus.add_secret(secret)
    return bus


def config_secrets(config: StudioConfig) -> list[str]:
    """Secret values the config refers to (tokens, the SMTP password), for redaction."""
    secrets: list[str] = []
    creds = [config.google.credentials, *(u.google.credentials for u in config.users if u.google.credentials)]
    for cred in creds:
        secrets.append(cred.token or "")
        if cred.token_env:
            secrets.append(os.environ.get(cred.token_env, ""))
    if config.email is not None:
        smtp = config.email.smtp
        if smtp.password_env:
            secrets.append(os.environ.get(smtp.password_env, ""))
        if smtp.password_file is not None:
            # an unreadable password file is the email sink's to report, when it sends
            with contextlib.suppress(OSError):
                secrets.append(smtp.password_file.read_text(encoding="utf-8").strip())
    return [s for s in secrets if len(s) >= 4]


def _problem(config: StudioConfig, sink: SinkConfig, message: str, hint: str = "") -> ConfigProblem:
    where = sink.where
    if where is None:
        return ConfigProblem(config.path, 1, 1, message, hint)
    return ConfigProblem(where.file, where.line, where.column, message, hint)
