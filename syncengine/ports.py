"""The small protocols adapters implement, and the plain data that crosses them.

Two kinds of adapter exist, each found through an entry point group so the core never names one:

- a **studio source** (``syncengine.sources``: ``csv``, ``ics``, ``memory``, ...) reads an export into
  :class:`SourceRead` and writes Google-side changes back for the studio (:meth:`StudioSource.write_back`);
- a **calendar backend** (``syncengine.calendars``: ``google``, ``memory``) opens one
  :class:`CalendarSession` per user, which reads that user's calendar (:meth:`CalendarSession.read`) and
  applies a batch of writes (:meth:`CalendarSession.apply`).

Adapters only read (gather) and write (apply); every decision is the planner's.  Every exception an
adapter raises is a :class:`syncengine.errors.SyncEngineError`; third-party ones are wrapped at the
boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, runtime_checkable

from syncengine.model import Appointment

if TYPE_CHECKING:
    from syncengine.config.model import SourceConfig, StudioConfig, UserConfig, WritebackConfig

Severity = Literal["warning", "error"]


@dataclass(frozen=True)
class Diagnostic:
    """A problem found while reading, with where it came from (file, 1-based line and column)."""

    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    #: the appointment it concerns, when known: that appointment keeps its last synced version.
    uid: str | None = None
    #: a short machine-readable kind: "unreadable-row", "unknown-staff", "ambiguous-time", ...
    code: str = ""

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class SourceRead:
    """What one source held, as far as it could be read.

    ``complete`` is False when anything could not be read (a rejected file, a row whose uid is unknown):
    then an appointment missing from ``appointments`` must not be taken as deleted.  Rows that failed but
    whose uid is known are listed in ``unreadable``: those appointments keep their last synced version.
    """

    source_id: str
    appointments: tuple[Appointment, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    complete: bool = True
    unreadable: frozenset[str] = frozenset()
    files: tuple[Path, ...] = ()
    #: files that were rejected as a whole (the processor moves them to rejected/).
    rejected: tuple[Path, ...] = ()


StudioAction = Literal["created", "updated", "cancelled"]


@dataclass(frozen=True)
class StudioChange:
    """A change made on a calendar that the studio must take in."""

    action: StudioAction
    appointment: Appointment


@dataclass(frozen=True)
class WriteBackReceipt:
    """What a write-back produced: files written, and what the studio side now shows per uid.

    ``shown`` maps uid -> appointment as the studio replica will show it once taken in; for `outbox`
    mode that is the value sent (the studio imports it later), for `in-place` the value written.
    """

    files: tuple[Path, ...] = ()
    shown: tuple[tuple[str, Appointment | None], ...] = ()


@dataclass(frozen=True)
class SourceContext:
    """What a source needs besides its own config: the studio's zone, the users, the window."""

    config: StudioConfig
    now: datetime


@runtime_checkable
class StudioSource(Protocol):
    """A studio export (built from one ``sources:`` entry)."""

    #: the ``format:`` name this adapter serves.
    format_name: ClassVar[str]
    #: whether :meth:`write_back` can rewrite the source itself (``writeback.mode: in-place``).
    supports_in_place: ClassVar[bool]

    def read(self) -> SourceRead:
        """Read every file of the source.  Never raises for bad rows: they become diagnostics.

        Raises :class:`~syncengine.errors.SourceError` only when the source as a whole is unusable
        (its path does not exist, or cannot be read at all).
        """
        ...

    def write_back(
        self, changes: Sequence[StudioChange], writeback: WritebackConfig, now: datetime
    ) -> WriteBackReceipt:
        """Write ``changes`` for the studio (outbox files, or in place), atomically; never overwrite.

        Raises :class:`~syncengine.errors.WritebackError` when nothing could be written.
        """
        ...


SourceFactory = Callable[["SourceConfig", SourceContext], StudioSource]


# --- calendars -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    """One event as a calendar holds it, translated to canonical fields.

    ``appointment`` carries the event's canonical fields (title, start, end, all_day, location,
    description = the notes above the marker line, status, and type/client/session parsed from the
    studio block).  Its ``uid`` is the studio uid from ``extendedProperties.private.syncengine_uid``,
    or ``google-<event id>`` for an event created on the calendar by a person.
    """

    event_id: str
    etag: str
    appointment: Appointment
    #: True when the event carries our ``syncengine_uid`` (and ``syncengine_studio`` matches).
    ours: bool
    updated: datetime | None = None
    #: for an occurrence of a recurring series made on the calendar: the series' event id.
    series_id: str | None = None


@dataclass(frozen=True)
class CalendarRead:
    """What a read returned.

    ``full`` reads list every event in the window: an event missing from ``entries`` is gone.
    Incremental reads list only what changed since ``cursor``; ``removed`` holds the event ids of
    cancelled tombstones.
    """

    full: bool
    entries: tuple[CalendarEntry, ...]
    removed: tuple[str, ...] = ()
    #: the cursor (sync token) to store *together with* the state this read led to; None if not offered.
    cursor: str | None = None
    #: the calendar's own time zone (only for `check` and warnings: times never depend on it).
    time_zone: str | None = None
    requests: int = 0


WriteOp = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class CalendarWrite:
    """One write to a calendar.  ``event_id`` is the deterministic id for a create."""

    op: WriteOp
    uid: str
    event_id: str
    etag: str | None = None
    appointment: Appointment | None = None


WriteStatus = Literal["ok", "precondition-failed", "failed"]


@dataclass(frozen=True)
class CalendarWriteResult:
    """The outcome of one :class:`CalendarWrite`.

    On ``ok`` the ``event_id`` is the id the server used (it may differ from the one asked for) and
    ``entry`` is the event as now stored (None after a delete).  ``precondition-failed`` means the
    event changed since it was read: nothing was written; the next plan sees the new version.
    """

    write: CalendarWrite
    status: WriteStatus
    event_id: str | None = None
    entry: CalendarEntry | None = None
    error: Exception | None = field(default=None, compare=False)


@runtime_checkable
class CalendarSession(Protocol):
    """One user's calendar, open for one run.  Not shared across threads."""

    user_id: str
    calendar_id: str

    def read(self, cursor: str | None, window_start: date, window_end: date) -> CalendarRead:
        """A full read (``cursor`` None) of events overlapping the window, else the changes since it.

        An expired cursor is handled inside: the session falls back to a full read and says so with
        ``full=True``.  Raises :class:`~syncengine.errors.CalendarError` subclasses.
        """
        ...

    def apply(self, writes: Sequence[CalendarWrite]) -> list[CalendarWriteResult]:
        """Apply writes (batched as configured), one result per write, in order.

        Individual failures become results; only a failure of the whole session (auth, calendar gone)
        raises :class:`~syncengine.errors.CalendarError`.
        """
        ...

    def close(self) -> None: ...


@runtime_checkable
class CalendarBackend(Protocol):
    """Built once per run from the config."""

    name: ClassVar[str]

    def open(self, user: UserConfig) -> CalendarSession:
        """Open the user's calendar (credentials, client).  Raises AuthError, CalendarNotFound, ..."""
        ...

    def close(self) -> None: ...


CalendarFactory = Callable[["StudioConfig"], CalendarBackend]


__all__ = [
    "CalendarBackend",
    "CalendarEntry",
    "CalendarFactory",
    "CalendarRead",
    "CalendarSession",
    "CalendarWrite",
    "CalendarWriteResult",
    "Diagnostic",
    "SourceContext",
    "SourceFactory",
    "SourceRead",
    "StudioChange",
    "StudioSource",
    "WriteBackReceipt",
]
