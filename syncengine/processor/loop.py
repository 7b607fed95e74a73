"""The processor: decides when a run happens, makes it, and cleans up after it.

One loop, one thread, so runs never overlap.  Watchdog threads only hand events over
(:meth:`Processor.notify_file`); each :meth:`Processor.step` then looks at what is owed and makes at most
one run:

- ``start``: once, when the processor starts (after any files already lying in a drop folder are
  complete);
- ``file``: a source was quiet for ``processor.debounce`` and its dropped files are complete;
- ``interval``: every ``processor.interval``, to pick up changes made on Google;
- ``retry``: a user's backoff ran out; ``resume``: a paused user's config or token changed.

Reasons that coincide make one run.  While a file is still being written every run waits (any run reads
every source), at most ``max_wait`` seconds.  Users backing off or paused are left out of runs.  After a
run, dropped files move to ``processed/`` or ``rejected/`` and the processor's own notes (files moved,
users paused, retries planned) join the run's events before its ``run-end`` goes out.

:meth:`Processor.run_forever` adds the processor lock, the watchdog observer and the wait between steps;
tests drive :meth:`Processor.step` with a :class:`~syncengine.processor.clock.ManualClock`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from syncengine.config.model import StudioConfig
from syncengine.errors import LockHeldError, SyncEngineError, UsageError
from syncengine.logs.base import Level, LogBus
from syncengine.processor.backoff import UserHealth, user_fingerprint
from syncengine.processor.clock import Clock, SystemClock
from syncengine.processor.debounce import Debouncer
from syncengine.processor.lock import ProcessorLock
from syncengine.processor.runs import (
    HoldRunEnd,
    ReconcileRun,
    RunReportLike,
    RunRequest,
    RunSync,
    counts_of,
    settle_drops,
)
from syncengine.processor.signals import stop_on_signals
from syncengine.processor.status_file import read_status, status_path, write_status
from syncengine.processor.watcher import SourceWatcher

#: outcomes after which a run's drops may leave the folder.
_SETTLED = frozenset({"ok", "conflicts", "skipped"})


def _iso(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z")) if hasattr(value, "isoformat") else str(value)


class Processor:
    """Runs syncs when drops, the schedule or retries ask for one; see the module docstring."""

    def __init__(
        self,
        config: StudioConfig,
        run_sync: RunSync | None = None,
        bus: LogBus | None = None,
        *,
        clock: Clock | None = None,
        health: UserHealth | None = None,
        max_wait: float = 600.0,
        reload: Callable[[], StudioConfig] | None = None,
    ) -> None:
        self.config = config
        self.run_sync: RunSync = run_sync or ReconcileRun()
        self.bus = bus or LogBus()
        self.clock: Clock = clock or SystemClock()
        self.health = health or UserHealth(cap=max(1800.0, config.processor.interval.total_seconds()))
        self.max_wait = max_wait
        self.reload = reload
        self.debouncer = Debouncer(config.processor.debounce.total_seconds())
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.status_file = status_path(config.studio.state)
        self.runs = 0
        self._events: deque[tuple[str, Path]] = deque()
        self._started = False
        self._owed_triggers: list[str] = []
        self._owed_users: set[str] = set()
        self._owed_files: set[Path] = set()
        self._next_interval = self.clock.monotonic() + self.interval
        self._run_failures = 0
        self._run_retry_at: float | None = None
        self._next_poll: float | None = None
        self._last: dict[str, dict[str, Any]] = {}
        self._config_mtime = self._mtime()
        self.health.restore(read_status(self.status_file).get("health", {}))

    @property
    def interval(self) -> float:
        return self.config.processor.interval.total_seconds()

    # --- input from other threads ----------------------------------------------------------------------

    def notify_file(self, source_id: str, path: Path) -> None:
        """A watched file changed (called from watchdog's threads)."""
        self._events.append((source_id, path))
        self.wake.set()

    def request_stop(self) -> None:
        """Finish the run in flight (it sees the stop event), then leave :meth:`run_forever`."""
        self.stop_event.set()
        self.wake.set()

    # --- one step ----------------------------------------------------------------------------------------

    def step(self) -> RunReportLike | None:
        """Look at what is owed and make at most one run; returns its report, if a run was made."""
        now = self.clock.monotonic()
        self._maybe_reload()
        while self._events:
            source_id, path = self._events.popleft()
            self.debouncer.touch(source_id, path, now)
            self._emit("watch", "debug", f"file event: {path}", data={"source": source_id, "path": str(path)})
        polled = self.debouncer.poll(now)
        self._next_poll = polled.next_poll
        every = {u.id for u in self.config.enabled_users}
        if not self._started:
            self._owe("start", every)
            self._started = True
        if polled.ready:
            self._owe("file", every)
            for paths in polled.ready.values():
                self._owed_files.update(paths)
        if now >= self._next_interval:
            self._owe("interval", every)
            self._next_interval = now + self.interval
        retries = self.health.retries_due(now)
        if retries:
            self._owe("retry", retries)
        paused = [u for u, s in self.health.users.items() if s.paused]
        resumed = self.health.resume_changed({u: user_fingerprint(self.config, u) for u in paused})
        if resumed:
            self._emit("watch", "info", f"resuming {', '.join(resumed)}: config or sign-in changed")
            self._owe("resume", set(resumed))
        if not self._owed_triggers or self.stop_event.is_set():
            return None
        if self._run_retry_at is not None and now < self._run_retry_at:
            return None
        waiting = self.debouncer.waiting_since()
        if polled.in_progress and waiting is not None and now - waiting < self.max_wait:
            return None  # a file is still arriving; a run now could read half of it
        users = self._owed_users - self.health.blocked(now)
        if not users:
            # Everyone owed is backing off or paused: their retry (or resume) brings them back, and any
            # file drop stays owed until then.
            self._owed_users.clear()
            self._owed_triggers = ["file"] if self._owed_files else []
            return None
        request = RunRequest(
            users=() if users == every else tuple(sorted(users)),
            triggers=tuple(dict.fromkeys(self._owed_triggers)),
            files=tuple(sorted(self._owed_files)),
        )
        return self._run(request, now)

    def _owe(self, trigger: str, users: set[str]) -> None:
        self._owed_triggers.append(trigger)
        self._owed_users |= users

    def next_wake(self) -> float:
        """Seconds of the processor's clock until :meth:`step` could do something new."""
        now = self.clock.monotonic()
        candidates = [self._next_interval, self.health.next_retry(), self._next_poll,
                      self._run_retry_at]
        due = min((c for c in candidates if c is not None), default=now + self.interval)
        # Paused users are looked at now and then, to resume soon after `auth login` or a config edit.
        if any(s.paused for s in self.health.users.values()):
            due = min(due, now + 30.0)
        return max(0.0, due - now)

    # --- the run -----------------------------------------------------------------------------------------

    def _run(self, request: RunRequest, now: float) -> RunReportLike | None:
        files = ", ".join(p.name for p in request.files)
        self._emit("watch", "info", f"run requested ({request.trigger})" + (f": {files}" if files else ""),
                   data={"trigger": request.trigger, "users": list(request.users),
                         "files": [str(p) for p in request.files]})
        hold = HoldRunEnd(self.bus)
        started = time.time()
        self.runs += 1
        try:
            report = self.run_sync(self.config, request, self.stop_event, LogBus([hold]))
        except LockHeldError as exc:
            self._run_failed(hold, now, 5.0, "warning", f"{exc}; trying again shortly")
            return None
        except SyncEngineError as exc:
            self._run_failed(hold, now, 30.0, "error", f"the run failed: {exc}", advice=exc.advice())
            return None
        except Exception as exc:  # the processor outlives a bug in one run; the log keeps it
            self._run_failed(hold, now, 30.0, "error",
                             f"the run failed unexpectedly: {type(exc).__name__}: {exc}")
            return None
        self._run_failures = 0
        self._run_retry_at = None
        self._owed_triggers, self._owed_users, self._owed_files = [], set(), set()
        try:
            self._after(report, started, now)
        finally:
            if hold.release() == 0:
                self._emit("run-end", "info", "run ended", run_id=report.run_id,
                           data={"exit_code": report.exit_code})
            self.write_status()
            self._report_sink_failures()
        return report

    def _report_sink_failures(self) -> None:
        """Tell the other sinks which sink failed during the run (once per sink and run)."""
        failures, self.bus.sink_failures[:] = list(self.bus.sink_failures), []
        seen: set[int] = set()
        for sink, exc in failures:
            if id(sink) in seen:
                continue
            seen.add(id(sink))
            self._emit("warning", "warning", f"log sink {type(sink).__name__} failed: {exc}",
                       data={"sink": type(sink).__name__, "error": type(exc).__name__})

    def _run_failed(self, hold: HoldRunEnd, now: float, base: float, level: Level, message: str,
                    advice: str = "") -> None:
        """A run that raised: everything stays owed and is tried again after a growing pause."""
        self._run_failures += 1
        delay = min(self.health.cap, base * 2 ** (self._run_failures - 1))
        self._run_retry_at = now + delay
        self._emit("error" if level == "error" else "warning", level, message, run_id=hold.run_id,
                   data={"retry_in": delay, **({"advice": advice} if advice else {})})
        # The run's events and the note above reach every sink, and digest sinks send them now.
        if hold.release() == 0:
            self._emit("run-end", "info", "run ended without a report", run_id=hold.run_id,
                       data={"exit_code": 1})
        self.write_status()

    def _after(self, report: RunReportLike, started: float, now: float) -> None:
        wall = self.clock.now()
        synced = True
        for user, outcome in sorted(report.users.items()):
            if outcome.outcome not in _SETTLED:
                synced = False
            verdict = self.health.record(user, outcome.outcome, outcome.error, now,
                                         user_fingerprint(self.config, user))
            self._last[user] = {"last_run": _iso(wall), "outcome": outcome.outcome, "run_id": report.run_id,
                                "counts": counts_of(outcome), "error": str(outcome.error or "")}
            if verdict.action == "pause" and verdict.notify:
                self._emit("error", "error",
                           f"syncing for {user} is paused until its sign-in or config changes: "
                           f"{outcome.error}", user=user, run_id=report.run_id,
                           data={"advice": f"run `syncengine auth login {user} -c FILE`"})
            elif verdict.action == "backoff":
                self._emit("warning", "warning", f"user {user} failed ({outcome.error}); "
                           f"retrying in {verdict.retry_in:.0f}s", user=user, run_id=report.run_id)
        for moved in settle_drops(self.config, report.reads, synced=synced, started=started, now=wall):
            if moved.rejected:
                self._emit("warning", "warning", f"{moved.source.name} could not be read; moved to "
                           f"{moved.target.parent.name}/ with a reason file", origin=str(moved.source),
                           run_id=report.run_id,
                           data={"path": str(moved.source), "moved_to": str(moved.target),
                                 "reason": moved.reason})
            else:
                self._emit("watch", "info", f"{moved.source.name} synced; moved to processed/",
                           run_id=report.run_id,
                           data={"path": str(moved.source), "moved_to": str(moved.target)})

    # --- status, config, events ----------------------------------------------------------------------

    def write_status(self, running: bool = True) -> None:
        now = self.clock.monotonic()
        wall = self.clock.now()

        def at(reading: float | None) -> str | None:
            return None if reading is None else _iso(wall + timedelta(seconds=reading - now))

        write_status(self.status_file, {
            "running": running,
            "updated": _iso(wall),
            "next_interval_run": at(self._next_interval) if running else None,
            "next_retry": at(self.health.next_retry()) if running else None,
            "users": self._last,
            "health": self.health.snapshot(now),
            "runs": self.runs,
        })

    def _mtime(self) -> int | None:
        try:
            return self.config.path.stat().st_mtime_ns
        except OSError:
            return None

    def _maybe_reload(self) -> None:
        """Take a changed studio.yaml for the next runs (users, credentials, sinks' data); what is watched
        and the processor's own timings stay as they were until the next start."""
        if self.reload is None or self._mtime() == self._config_mtime:
            return
        self._config_mtime = self._mtime()
        try:
            self.config = self.reload()
        except SyncEngineError as exc:
            self._emit("error", "error", f"the changed config was not taken: {exc}",
                       data={"advice": exc.advice()})
            return
        self._emit("watch", "info", "config reloaded; watched sources and processor timings change "
                   "at the next start")

    def _emit(self, kind: str, level: Level, message: str, **kw: Any) -> None:
        self.bus.emit(kind, level, message, **kw)

    # --- forever -------------------------------------------------------------------------------------

    def run_forever(self) -> int:
        """Hold the processor lock, watch the sources and step until stopped; returns the exit code 0."""
        if not self.config.processor.enabled:
            raise UsageError("the processor is disabled in this config (processor.enabled: false)",
                             hint="set processor.enabled: true, "
                             "or run `syncengine reconcile -c FILE` by hand")
        with ProcessorLock(self.config.studio.state), stop_on_signals(self.request_stop):
            watcher = SourceWatcher.for_sources(self.config.sources, self.notify_file) \
                if self.config.processor.watch else None
            if watcher is not None:
                watcher.start()
                for target in watcher.missing:
                    self._emit("warning", "warning", f"cannot watch {target.folder}: it does not exist")
                for source_id, path in watcher.pending():
                    self.notify_file(source_id, path)
            self._emit("watch", "info", "processor started",
                       data={"interval": self.interval, "debounce": self.debouncer.debounce})
            try:
                while not self.stop_event.is_set():
                    self.wake.clear()
                    self.step()
                    if self.stop_event.is_set():
                        break
                    self.clock.wait(self.wake, self.next_wake())
            finally:
                if watcher is not None:
                    watcher.stop()
                self._emit("watch", "info", "processor stopped")
                self.write_status(running=False)
        return 0
