"""An in-memory calendar backend: every user's calendar for tests and for trying syncengine out.

It behaves like Google Calendar where the engine depends on it: an etag that changes on every write,
``updated`` times, cursors (sync tokens) whose delta lists every change since, cancelled tombstones in a
delta, ids of deleted events kept reserved (a create on such an id restores the event, as the Google
adapter does on a 409), a create on an id that exists re-links instead of duplicating (a create whose
response was lost), and ``If-Match`` preconditions.  What a person does on a calendar is done with
:meth:`MemoryCalendar.add`, :meth:`MemoryCalendar.edit` and :meth:`MemoryCalendar.delete`.

Faults for tests: :meth:`MemoryCalendarBackend.fail_writes` (the next writes fail or meet a changed
event), :meth:`MemoryCalendarBackend.fail_open` / ``fail_read`` (a whole user fails), and
:meth:`MemoryCalendarBackend.crash_after` (raise :class:`SimulatedCrash` before the n+1-th write: the
process "dies" between two operations, with the first n writes done and their results never returned).

Backends built through the ``syncengine.calendars`` entry point (``memory``) share one set of calendars
per state file path, so successive runs in one process see the same calendars.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from syncengine.errors import CalendarError, SyncEngineError
from syncengine.model import Appointment
from syncengine.ports import CalendarEntry, CalendarRead, CalendarWrite, CalendarWriteResult, WriteStatus

if TYPE_CHECKING:
    from syncengine.config.model import StudioConfig, UserConfig


class SimulatedCrash(BaseException):
    """The process died here (a test fault); a BaseException so nothing on the way catches it."""


@dataclass
class _Event:
    event_id: str
    etag: str
    appointment: Appointment
    ours: bool
    updated: datetime
    seq: int
    cancelled: bool = False


@dataclass
class MemoryCalendar:
    """One user's calendar."""

    owner: str
    clock: Callable[[], datetime]
    time_zone: str = "UTC"
    events: dict[str, _Event] = field(default_factory=dict)
    seq: int = 0
    _etags: Any = field(default_factory=lambda: itertools.count(1))
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def _stamp(self, event_id: str, appointment: Appointment, ours: bool) -> _Event:
        self.seq += 1
        shown = appointment.evolve(assigned=(), resources=(), extra=())
        event = _Event(event_id, f'"{next(self._etags)}"', shown, ours, self.clock(), self.seq)
        self.events[event_id] = event
        return event

    # --- what a person does -------------------------------------------------------------------------

    def add(
        self, appointment: Appointment, *, ours: bool = False, event_id: str | None = None
    ) -> CalendarEntry:
        """A person creates an event (``ours`` False: the entry's uid becomes ``google-<event id>``)."""
        event_id = event_id or f"p{self.owner}{next(self._ids):04d}"
        if not ours:
            appointment = appointment.evolve(uid=f"google-{event_id}")
        return _entry(self._stamp(event_id, appointment, ours))

    def edit(self, event_id: str, **changes: Any) -> CalendarEntry:
        """A person edits an event's fields."""
        event = self.events[event_id]
        return _entry(self._stamp(event_id, event.appointment.evolve(**changes), event.ours))

    def delete(self, event_id: str) -> None:
        """A person deletes an event (a tombstone stays, and its id stays reserved)."""
        event = self.events[event_id]
        self.seq += 1
        event.cancelled, event.seq, event.updated = True, self.seq, self.clock()
        event.etag = f'"{next(self._etags)}"'

    # --- looking --------------------------------------------------------------------------------------

    def live(self) -> list[CalendarEntry]:
        return [_entry(e) for e in self.events.values() if not e.cancelled]

    def by_uid(self, uid: str) -> list[CalendarEntry]:
        return [e for e in self.live() if e.appointment.uid == uid]

    def get(self, event_id: str) -> CalendarEntry | None:
        event = self.events.get(event_id)
        return _entry(event) if event is not None and not event.cancelled else None


def _entry(event: _Event) -> CalendarEntry:
    return CalendarEntry(event.event_id, event.etag, event.appointment, event.ours, event.updated)


class MemoryCalendarBackend:
    """Every user's in-memory calendar (see the module docstring)."""

    name: ClassVar[str] = "memory"
    _shared: ClassVar[dict[str, MemoryCalendarBackend]] = {}

    def __new__(cls, config: StudioConfig | None = None, **kw: Any) -> MemoryCalendarBackend:
        if config is not None and not kw:
            key = str(config.studio.state)
            if key not in cls._shared:
                cls._shared[key] = super().__new__(cls)
                cls._shared[key]._setup()
            return cls._shared[key]
        backend = super().__new__(cls)
        backend._setup(**kw)
        return backend

    def __init__(self, config: StudioConfig | None = None, **kw: Any) -> None:
        """``MemoryCalendarBackend()`` is a fresh backend; ``(config)`` the one shared for that state file."""

    def _setup(self, *, cursors: bool = True, clock: Callable[[], datetime] | None = None) -> None:
        self.cursors = cursors
        self.calendars: dict[str, MemoryCalendar] = {}
        self._tick = itertools.count()
        self._clock = clock or self._ticking
        self.requests = 0
        self.writes = 0
        self._write_faults: dict[str, list[WriteStatus]] = {}
        self._open_faults: dict[str, SyncEngineError] = {}
        self._read_faults: dict[str, SyncEngineError] = {}
        self._crash_in: int | None = None

    def _ticking(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=next(self._tick))

    def calendar(self, user_id: str) -> MemoryCalendar:
        if user_id not in self.calendars:
            self.calendars[user_id] = MemoryCalendar(user_id, self._clock)
        return self.calendars[user_id]

    # --- faults ---------------------------------------------------------------------------------------

    def fail_writes(self, user_id: str, count: int = 1, status: WriteStatus = "failed") -> None:
        """The next ``count`` writes to ``user_id``'s calendar end with ``status`` and change nothing."""
        self._write_faults.setdefault(user_id, []).extend([status] * count)

    def fail_open(self, user_id: str, error: SyncEngineError | None = None) -> None:
        self._open_faults[user_id] = error or CalendarError(user_id, "calendar unavailable")

    def fail_read(self, user_id: str, error: SyncEngineError | None = None) -> None:
        self._read_faults[user_id] = error or CalendarError(user_id, "read failed", status=503)

    def crash_after(self, writes: int | None) -> None:
        """Raise :class:`SimulatedCrash` when a write is attempted after ``writes`` more writes."""
        self._crash_in = writes

    # --- the CalendarBackend protocol -----------------------------------------------------------------

    def open(self, user: UserConfig) -> MemoryCalendarSession:
        error = self._open_faults.pop(user.id, None)
        if error is not None:
            raise error
        return MemoryCalendarSession(self, user.id, user.google.calendar)

    def close(self) -> None:
        """Nothing to release; the calendars stay for the next run."""


class MemoryCalendarSession:
    """One user's calendar, open for one run."""

    def __init__(self, backend: MemoryCalendarBackend, user_id: str, calendar_id: str) -> None:
        self.backend = backend
        self.user_id = user_id
        self.calendar_id = calendar_id
        self.cal = backend.calendar(user_id)
        self.closed = False

    def read(self, cursor: str | None, window_start: date, window_end: date) -> CalendarRead:
        self.backend.requests += 1
        error = self.backend._read_faults.pop(self.user_id, None)
        if error is not None:
            raise error
        token = f"seq:{self.cal.seq}" if self.backend.cursors else None
        since = _since(cursor) if self.backend.cursors else None
        if since is not None and since <= self.cal.seq:
            changed = [e for e in self.cal.events.values() if e.seq > since]
            return CalendarRead(
                full=False,
                entries=tuple(_entry(e) for e in changed if not e.cancelled),
                removed=tuple(e.event_id for e in changed if e.cancelled),
                cursor=token,
                time_zone=self.cal.time_zone,
                requests=1,
            )
        entries = tuple(
            _entry(e)
            for e in self.cal.events.values()
            if not e.cancelled and _overlaps(e, window_start, window_end)
        )
        return CalendarRead(
            full=True, entries=entries, cursor=token, time_zone=self.cal.time_zone, requests=1
        )

    def apply(self, writes: Sequence[CalendarWrite]) -> list[CalendarWriteResult]:
        self.backend.requests += 1
        return [self._one(w) for w in writes]

    def _one(self, write: CalendarWrite) -> CalendarWriteResult:
        backend = self.backend
        if backend._crash_in is not None:
            if backend._crash_in <= 0:
                backend._crash_in = None
                raise SimulatedCrash(f"crash before writing {write.op} {write.uid}")
            backend._crash_in -= 1
        faults = backend._write_faults.get(self.user_id)
        if faults:
            status = faults.pop(0)
            return CalendarWriteResult(write, status, error=CalendarError(self.user_id, "injected failure"))
        backend.writes += 1
        event = self.cal.events.get(write.event_id)
        if write.op == "create":
            assert write.appointment is not None
            # an existing id (a lost response) is re-linked; a deleted one is restored: never a duplicate
            stored = self.cal._stamp(write.event_id, write.appointment, True)
            return CalendarWriteResult(write, "ok", stored.event_id, _entry(stored))
        if event is None or event.cancelled:
            if write.op == "delete":
                return CalendarWriteResult(write, "ok", write.event_id)
            return CalendarWriteResult(
                write, "precondition-failed", error=CalendarError(self.user_id, "gone")
            )
        if write.etag is not None and write.etag != event.etag:
            return CalendarWriteResult(write, "precondition-failed")
        if write.op == "delete":
            self.cal.delete(write.event_id)
            return CalendarWriteResult(write, "ok", write.event_id)
        assert write.appointment is not None
        stored = self.cal._stamp(write.event_id, write.appointment, event.ours)
        return CalendarWriteResult(write, "ok", stored.event_id, _entry(stored))

    def close(self) -> None:
        self.closed = True


def _since(cursor: str | None) -> int | None:
    if cursor is None or not cursor.startswith("seq:"):
        return None
    try:
        return int(cursor[4:])
    except ValueError:
        return None


def _overlaps(event: _Event, lo: date, hi: date) -> bool:
    start, end = event.appointment.start, event.appointment.end
    first = start.astimezone(UTC).date() if isinstance(start, datetime) else start
    last = end.astimezone(UTC).date() if isinstance(end, datetime) else end
    return last >= lo and first <= hi


__all__ = ["MemoryCalendar", "MemoryCalendarBackend", "MemoryCalendarSession", "SimulatedCrash"]
