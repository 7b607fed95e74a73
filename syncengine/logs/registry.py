"""Finding log sinks by name and building the configured ones.

Built-in sinks come from a lazy name -> "module:Class" index, so a run that does not mail never imports
smtplib.  Any other ``type`` is looked up in the ``syncengine.log_sinks`` entry point
group.  Every sink class is built as ``cls(sink_config, studio_config)``.

Every real run is kept in the SQLite run log (the "Control Center log" ``syncengine log`` reads), whichever
command started it: :func:`build_sinks` adds one beside the state file unless ``logging.sinks`` lists an
``sqlite`` sink.  For a dry run (``dry_run=True``) it leaves out every sink that persists or sends
(``records_dry_runs = False``: the run log, JSON lines, email), so a dry run writes nothing and mails no one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from syncengine import plugins
from syncengine.errors import ConfigError, ConfigProblem
from syncengine.logs.base import LogBus, RecordSink, Sink

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


def build_sinks(
    config: StudioConfig,
    builtins: Mapping[str, str] | None = None,
    *,
    dry_run: bool = False,
    run_log: bool = True,
) -> list[Sink]:
    """One sink per ``logging.sinks`` entry, in order, then the run log when none is configured.

    ``builtins`` replaces the built-in index (tests register a class under a name this way).  A sink type
    that cannot be found or imported is a :class:`ConfigError` naming the entry's line.  ``dry_run`` leaves
    out the sinks that do not record dry runs (and the run log); ``run_log=False`` adds no run log.
    """
    from syncengine.config.model import SinkConfig

    entries = list(config.logging.sinks)
    if run_log and not dry_run and not any(s.type == "sqlite" for s in entries):
        entries.append(SinkConfig(type="sqlite"))
    sinks: list[Sink] = []
    for sink_config in entries:
        try:
            cls = sink_class(sink_config.type, builtins)
        except (plugins.PluginNotFound, ImportError, AttributeError) as exc:
            message = f"log sink '{sink_config.type}' is not available: {exc}"
            hint = "install the package that provides it"
            raise ConfigError([_problem(config, sink_config, message, hint)]) from exc
        if dry_run and isinstance(cls, type) and issubclass(cls, RecordSink) and not cls.records_dry_runs:
            continue
        sink = cls(sink_config, config)
        if not isinstance(sink, Sink):
            raise ConfigError([_problem(config, sink_config, f"log sink '{sink_config.type}' does not "
                                        "derive from syncengine.logs.base.Sink")])
        sinks.append(sink)
    return sinks


def build_bus(
    config: StudioConfig,
    run_id: str | None = None,
    sinks: list[Sink] | None = None,
    *,
    dry_run: bool = False,
) -> LogBus:
    """A :class:`LogBus` over the configured sinks (see :func:`build_sinks`) that knows the config's secret
    values.  Pass ``dry_run`` for a dry run: it leaves out the sinks that persist or send."""
    bus = LogBus(build_sinks(config, dry_run=dry_run) if sinks is None else sinks, run_id=run_id)
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
