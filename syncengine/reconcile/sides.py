"""What the planner is given: the studio side and each user's calendar, indexed for planning.

:class:`CalendarView` turns one user's read into what the planner asks of it: the entries by uid (a
person's tentative events skipped unless the user wants them, a push-only user's own events ignored,
duplicates of one uid set aside for deletion), their fingerprints, the uids whose events were removed,
and the user's window.  :func:`trust_assignments` sets back the assignment of a studio row that names
staff matching no user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from syncengine.config.model import UserConfig
from syncengine.ids import derive_event_id
from syncengine.model import Appointment
from syncengine.ports import CalendarEntry, CalendarRead
from syncengine.reconcile.fingerprints import calendar_fp
from syncengine.state.view import ReplicaRow, StateView, day_of

#: how far a one-time backfill from a calendar reaches, each way
POPULATE_DAYS = 3650


@dataclass(frozen=True)
class StudioSide:
    """The studio's export as gathered: appointments by uid and how far the read can be trusted."""

    appointments: Mapping[str, Appointment] = field(default_factory=dict)
    complete: bool = True
    unreadable: frozenset[str] = frozenset()
    #: uid -> id of the source that holds it (write-backs go there)
    sources: Mapping[str, str] = field(default_factory=dict)
    #: when the export was written (newest-wins compares calendar edits with it)
    modified: datetime | None = None
    #: uids whose row names a staff member matching no user: their assignment is not trusted
    unknown_staff: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CalendarSide:
    """One user's calendar as gathered."""

    user: str
    calendar: str
    read: CalendarRead


def read_window(user: UserConfig, state: StateView, now: datetime) -> tuple[date, date]:
    """The window a user's calendar is read over: wide once for a pending backfill from Google."""
    today = now.date()
    if wants_pull(user, state):
        return today - timedelta(days=POPULATE_DAYS), today + timedelta(days=POPULATE_DAYS)
    window = user.sync.window
    return today - timedelta(days=window.past_days), today + timedelta(days=window.future_days)


def wants_pull(user: UserConfig, state: StateView) -> bool:
    return user.sync.populate in ("from-google", "both") and (user.id, "from-google") not in state.populated


def wants_push(user: UserConfig, state: StateView) -> bool:
    return user.sync.populate in ("to-google", "both") and (user.id, "to-google") not in state.populated


class CalendarView:
    """One user's side, indexed for the planner."""

    def __init__(self, user: UserConfig, side: CalendarSide, state: StateView, now: datetime) -> None:
        self.user = user
        self.id = user.id
        self.side = side
        self.two_way = user.sync.direction == "two-way"
        self.push_all = wants_push(user, state)
        lo, hi = read_window(user, state, now)
        self.lo, self.hi = lo.isoformat(), hi.isoformat()
        self.replicas: Mapping[str, ReplicaRow] = state.replicas.get(user.id, {})
        by_event = state.by_event.get(user.id, {})
        self.full = side.read.full
        self.entries: dict[str, CalendarEntry] = {}
        self.fps: dict[str, str] = {}
        self.duplicates: list[CalendarEntry] = []
        self.notes: list[str] = []
        self.removed = {by_event[e] for e in side.read.removed if e in by_event}
        for entry in side.read.entries:
            uid = by_event.get(entry.event_id, entry.appointment.uid)
            if entry.appointment.status == "cancelled":
                if uid in self.replicas:
                    self.removed.add(uid)
                continue
            if not entry.ours and uid not in self.replicas:
                if not self.two_way:
                    continue  # a push-only user's own events never become studio appointments
                if not _overlaps(entry.appointment, lo, hi):
                    continue  # incremental reads list changes anywhere: only the window is in scope
                if entry.appointment.status == "tentative" and not user.sync.include_tentative:
                    self.notes.append(f"skipped tentative event {entry.event_id}")
                    continue
            if uid in self.entries:
                keep = self._preferred(uid, self.entries[uid], entry, state.studio)
                other = entry if keep is self.entries[uid] else self.entries[uid]
                if other.ours:
                    self.duplicates.append(other)
                entry = keep
            self.entries[uid] = entry
            rep = self.replicas.get(uid)
            # the same etag is the same content: skip hashing what a sync itself wrote last time
            same = rep is not None and rep.etag is not None and rep.etag == entry.etag
            self.fps[uid] = rep.fp if same and rep is not None else calendar_fp(entry.appointment)

    def _preferred(self, uid: str, a: CalendarEntry, b: CalendarEntry, studio: str) -> CalendarEntry:
        rep = self.replicas.get(uid)
        known = rep.event_id if rep else derive_event_id(studio, self.id, uid)
        return b if b.event_id == known and a.event_id != known else a

    def in_window(self, first_day: str, last_day: str) -> bool:
        return last_day >= self.lo and first_day <= self.hi

    def wants(self, status: str, users: tuple[str, ...], first: str, last: str, live: bool) -> bool:
        if status == "cancelled" or self.id not in users:
            return False
        return live or self.push_all or self.in_window(first, last)


def _overlaps(appointment: Appointment, lo: date, hi: date) -> bool:
    return day_of(appointment.end) >= lo.isoformat() and day_of(appointment.start) <= hi.isoformat()


def trust_assignments(studio: StudioSide, state: StateView) -> tuple[StudioSide, dict[str, tuple[str, ...]]]:
    """The studio side with each untrusted assignment (a row naming unknown staff) set back to the last
    merged record's, and uid -> the users kept.  A staff typo must not move an appointment off a calendar.
    """
    kept: dict[str, tuple[str, ...]] = {}
    if not studio.unknown_staff:
        return studio, kept
    patched = dict(studio.appointments)
    for uid in sorted(studio.unknown_staff):
        cur, rec = studio.appointments.get(uid), state.records.get(uid)
        if cur is None or rec is None:
            continue
        last = rec.appointment()
        if cur.assigned != last.assigned:
            patched[uid] = cur.evolve(assigned=last.assigned)
        kept[uid] = last.users
    if not kept:
        return studio, kept
    return replace(studio, appointments=patched), kept
