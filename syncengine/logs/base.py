"""Log sinks: a no-op base with one method per event, and the fan-out that feeds them.

A sink overrides only the events it cares about.  Most built-in sinks want every event as one structured
record: they subclass :class:`RecordSink` and implement :meth:`RecordSink.record`.  Third-party sinks
register a class in the ``syncengine.log_sinks`` entry point group; the class is built with
``(config: SinkConfig, studio: StudioConfig)``.

Secrets never reach a sink: :class:`LogBus` passes every event through :func:`redact` first.

A dry run writes nothing and sends nothing, log sinks included.  The runner says ``dry_run: true`` in the
data of a dry run's ``run-start``, ``plan`` and ``run-end``; a sink that keeps or sends what it is told (the
SQLite run log, the JSON-lines file, email) sets :attr:`RecordSink.records_dry_runs` to False and then never
sees that run's events.  The console (and syslog) still show a dry run: that is the operator reading along.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

Level = Literal["debug", "info", "warning", "error"]
LEVELS: tuple[Level, ...] = ("debug", "info", "warning", "error")


def level_at_least(level: str, threshold: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(threshold)


@dataclass(frozen=True)
class LogEvent:
    """One structured event.  ``kind`` is the event name (``run-start``, ``action``, ``conflict``...)."""

    kind: str
    level: Level
    message: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    run_id: str | None = None
    user: str | None = None
    #: where it came from, for warnings about input: "exports/a.csv:12"
    origin: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "kind": self.kind,
            "level": self.level,
            "message": self.message,
        }
        for key in ("run_id", "user", "origin"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.data:
            out["data"] = dict(self.data)
        return out


class Sink:
    """The no-op base.  Each method says when it fires; override what you need."""

    def on_run_start(self, event: LogEvent) -> None:
        """A run begins (``data``: users, trigger)."""

    def on_plan(self, event: LogEvent) -> None:
        """A user's plan is ready (``data``: counts per op and target)."""

    def on_action(self, event: LogEvent) -> None:
        """One planned write was applied or failed (``data``: op, target, uid, event_id, outcome)."""

    def on_conflict(self, event: LogEvent) -> None:
        """A conflict was found (``data``: uid, field, base, studio, google, resolution)."""

    def on_warning(self, event: LogEvent) -> None:
        """Something a person should look at: an unreadable row, an unknown staff name, a gate."""

    def on_error(self, event: LogEvent) -> None:
        """A user's sync, a source or a write failed."""

    def on_watch_event(self, event: LogEvent) -> None:
        """The processor saw a file event or a timer tick (``data``: path, trigger)."""

    def on_run_end(self, event: LogEvent) -> None:
        """A run ended (``data``: outcome, counts, exit code).  Digest sinks send here."""

    def close(self) -> None:
        """The process is stopping; flush and release."""


class DryRuns:
    """Tells a dry run's events apart: a run is dry once one of its events says ``dry_run: true``.

    Remembers the last :attr:`KEEP` dry run ids, so a processor running for months holds a bounded set.
    """

    KEEP = 64

    def __init__(self) -> None:
        self._ids: list[str] = []

    def belongs(self, event: LogEvent) -> bool:
        """Whether ``event`` is part of a dry run (marking its run as dry when the event says so)."""
        if event.data.get("dry_run") is True:
            if event.run_id is not None and event.run_id not in self._ids:
                self._ids = [*self._ids[-(self.KEEP - 1):], event.run_id]
            return True
        return event.run_id is not None and event.run_id in self._ids


class RecordSink(Sink):
    """A sink that wants every event at or above ``level`` as one record."""

    #: False for a sink that persists or sends what it records: it then leaves dry runs out.
    records_dry_runs: ClassVar[bool] = True

    def __init__(self, level: str = "info") -> None:
        self.level = level
        self.dry_runs = DryRuns()

    def record(self, event: LogEvent) -> None:
        raise NotImplementedError

    def _maybe(self, event: LogEvent) -> None:
        if not self.records_dry_runs and self.dry_runs.belongs(event):
            return
        if level_at_least(event.level, self.level):
            self.record(event)

    on_run_start = on_plan = on_action = on_conflict = _maybe
    on_warning = on_error = on_watch_event = on_run_end = _maybe


class RecordingSink(Sink):
    """Keeps every event in order; for tests and for callers that want the run's events."""

    def __init__(self) -> None:
        self.events: list[LogEvent] = []
        self.closed = False

    def _keep(self, event: LogEvent) -> None:
        self.events.append(event)

    on_run_start = on_plan = on_action = on_conflict = _keep
    on_warning = on_error = on_watch_event = on_run_end = _keep

    def close(self) -> None:
        self.closed = True

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def of(self, kind: str) -> list[LogEvent]:
        return [e for e in self.events if e.kind == kind]


_DISPATCH = {
    "run-start": "on_run_start",
    "plan": "on_plan",
    "action": "on_action",
    "conflict": "on_conflict",
    "warning": "on_warning",
    "error": "on_error",
    "watch": "on_watch_event",
    "run-end": "on_run_end",
}

# Bearer tokens, OAuth tokens and passwords in URLs or key=value text.  Known secret values are
# replaced verbatim as well (see LogBus.add_secret), which catches what no pattern does.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:access_token|refresh_token|token|password|client_secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"),
    re.compile(r"ya29\.[A-Za-z0-9._-]+"),
    re.compile(r"1//[A-Za-z0-9._-]{20,}"),
)
REDACTED = "[redacted]"


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` with secrets replaced, recursing into mappings and sequences."""
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, REDACTED)
        for pattern in _SECRET_PATTERNS:
            value = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, value)
        return value
    if isinstance(value, Mapping):
        return {k: (REDACTED if _secret_key(k) else redact(v, secrets)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v, secrets) for v in value)
    return value


def _secret_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in {"token", "password", "access_token", "refresh_token",
                                                     "client_secret", "authorization"}


class LogBus:
    """Fans each event out to every sink, redacted.  A failing sink never stops a run."""

    def __init__(self, sinks: Iterable[Sink] = (), run_id: str | None = None) -> None:
        self.sinks = list(sinks)
        self.run_id = run_id
        self._secrets: set[str] = set()
        self.sink_failures: list[tuple[Sink, Exception]] = []

    def add_secret(self, secret: str | None) -> None:
        if secret:
            self._secrets.add(secret)

    def emit(self, kind: str, level: Level, message: str, **kw: Any) -> LogEvent:
        event = LogEvent(kind=kind, level=level, message=message, run_id=kw.pop("run_id", self.run_id), **kw)
        return self.send(event)

    def send(self, event: LogEvent) -> LogEvent:
        event = replace(
            event,
            message=redact(event.message, self._secrets),
            data=redact(dict(event.data), self._secrets),
            origin=event.origin,
        )
        method = _DISPATCH.get(event.kind, "on_warning" if event.level == "warning" else "on_action")
        if event.level == "error" and event.kind not in _DISPATCH:
            method = "on_error"
        for sink in self.sinks:
            try:
                getattr(sink, method)(event)
            except Exception as exc:  # a broken sink must not break the sync
                self.sink_failures.append((sink, exc))
        return event

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:
                self.sink_failures.append((sink, exc))
