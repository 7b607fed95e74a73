"""What the processor asks of a run, what it reads back, and what it does with the files afterwards.

The processor does not sync anything itself: it calls a *run callable* (by default
:class:`ReconcileRun`, the reconciler's ``sync``) with a :class:`RunRequest`, the stop event and a log
bus, and reads the returned report through the small :class:`RunReportLike` protocol.  Keeping the call
injectable lets the watcher, the schedule and the backoff be tested with a callable that records calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from syncengine.config.model import SourceConfig, StudioConfig
from syncengine.logs.base import LogBus, LogEvent, Sink
from syncengine.ports import SourceRead
from syncengine.processor.drops import move_processed, move_rejected
from syncengine.reconcile.runner import SyncOptions, sync


@dataclass(frozen=True)
class RunRequest:
    """One run the processor wants: for whom, why, and which drops prompted it."""

    #: () means every enabled user.
    users: tuple[str, ...] = ()
    #: why: "start", "file", "interval", "retry", "resume" (several when they coincide).
    triggers: tuple[str, ...] = ("manual",)
    files: tuple[Path, ...] = ()

    @property
    def trigger(self) -> str:
        return "+".join(self.triggers)


class UserOutcomeLike(Protocol):
    @property
    def outcome(self) -> str: ...

    @property
    def error(self) -> object: ...


class RunReportLike(Protocol):
    @property
    def exit_code(self) -> int: ...

    @property
    def users(self) -> Mapping[str, UserOutcomeLike]: ...

    @property
    def reads(self) -> Sequence[SourceRead]: ...

    @property
    def run_id(self) -> str: ...


RunSync = Callable[[StudioConfig, RunRequest, threading.Event, LogBus], RunReportLike]


class ReconcileRun:
    """The default run callable: the reconciler's ``sync`` for the requested users.

    ``sync`` builds the sources and the calendar backend for each run, and reads every drop folder as
    news (its read is incomplete: an appointment it does not hold is unchanged, not deleted).
    """

    def __call__(self, config: StudioConfig, request: RunRequest, stop: threading.Event,
                 bus: LogBus) -> RunReportLike:
        options = SyncOptions(users=request.users, trigger=request.trigger)
        return sync(config, options, bus=bus, stop=stop)


class HoldRunEnd(Sink):
    """Forwards a run's events to the processor's bus but holds back ``run-end``.

    The processor has things to add to a run after it returns (files moved or rejected, a user paused);
    releasing ``run-end`` only after them puts them into that run's email digest.
    """

    def __init__(self, outer: LogBus) -> None:
        self.outer = outer
        self.held: list[LogEvent] = []
        #: the run id the run's events carry (for a run-end the processor has to send itself)
        self.run_id: str | None = None

    def _forward(self, event: LogEvent) -> None:
        self.run_id = self.run_id or event.run_id
        self.outer.send(event)

    on_run_start = on_plan = on_action = on_conflict = _forward
    on_warning = on_error = on_watch_event = _forward

    def on_run_end(self, event: LogEvent) -> None:
        self.held.append(event)

    def release(self) -> int:
        """Send what was held; returns how many."""
        held, self.held = self.held, []
        for event in held:
            self.outer.send(event)
        return len(held)


def counts_of(outcome: object) -> dict[str, Any]:
    counts = getattr(outcome, "counts", None)
    if isinstance(counts, Mapping):
        return {str(k): v for k, v in counts.items()}
    return {}


def _reason_for(read: SourceRead, path: Path) -> str:
    lines = [str(d) for d in read.diagnostics if d.file and Path(d.file).name == path.name]
    return "\n".join(lines) or "the file could not be read as an export"


@dataclass(frozen=True)
class Moved:
    source: Path
    target: Path
    rejected: bool
    reason: str = ""


def settle_drops(
    config: StudioConfig,
    reads: Sequence[SourceRead],
    *,
    synced: bool,
    started: float,
    now: datetime,
) -> list[Moved]:
    """Move the drops of folder sources out of the way after a run.

    Rejected files always go to ``rejected/`` (no later run can read them either).  Files that were read
    go to ``processed/`` only when ``synced`` (no user of the run failed or was stopped by a gate: then the
    drop is kept for the retry, or for a person's ``--force``), and only when unchanged since ``started``:
    a file rewritten during the run is news the next run must read.  ``started`` is the real time
    (``time.time()``) just before the run: file times are real even when the processor's clock is not.
    """
    by_id: dict[str, SourceConfig] = {s.id: s for s in config.sources}
    moved: list[Moved] = []
    for read in reads:
        source = by_id.get(read.source_id)
        if source is None or not source.path.is_dir():
            continue
        for path in read.rejected:
            if path.is_file() and path.parent == source.path:
                reason = _reason_for(read, path)
                moved.append(Moved(path, move_rejected(path, reason, now), True, reason))
        if not synced:
            continue
        for path in read.files:
            if path in read.rejected or path.parent != source.path:
                continue
            try:
                changed = path.stat().st_mtime > started
            except FileNotFoundError:
                continue
            if not changed:
                moved.append(Moved(path, move_processed(path, now), False))
    return moved
