"""Gather: read the studio's sources and every user's calendar into what the planner takes.

Reading is the only thing done here.  Calendars are read several at once (the reads are network-bound;
each session keeps one HTTP client per thread); nothing in those threads touches the log bus or the state
file, which belong to the calling thread.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from syncengine.config.model import StudioConfig, UserConfig
from syncengine.errors import SyncEngineError
from syncengine.logs.base import LogBus
from syncengine.model import Appointment
from syncengine.ports import CalendarBackend, CalendarSession, SourceRead, StudioSource
from syncengine.reconcile.planner import CalendarSide, StudioSide, read_window, wants_pull
from syncengine.state.view import StateView

_CalendarRead = tuple[UserConfig, "CalendarSession | None", "CalendarSide | None", "SyncEngineError | None"]

#: calendars read at once; each user's session keeps one HTTP client per thread.
READ_THREADS = 4


def read_calendars(
    backend: CalendarBackend,
    users: Sequence[UserConfig],
    state: StateView,
    resync: bool,
    now: datetime,
) -> list[_CalendarRead]:
    """Open and read every user's calendar, several at once (reads are network-bound), in user order.

    Nothing here touches the log bus or the state file: both belong to the calling thread.
    """

    def one(user: UserConfig) -> _CalendarRead:
        session: CalendarSession | None = None
        try:
            session = backend.open(user)
            cursor = None if (resync or wants_pull(user, state)) else state.cursors.get(user.id)
            lo, hi = read_window(user, state, now)
            read = session.read(cursor, lo, hi)
            return user, session, CalendarSide(user.id, user.google.calendar, read), None
        except SyncEngineError as exc:
            return user, session, None, exc

    if len(users) <= 1:
        return [one(user) for user in users]
    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(users)), thread_name_prefix="read") as pool:
        return list(pool.map(one, users))


def gather_studio(
    sources: Sequence[StudioSource], config: StudioConfig, bus: LogBus, reads: list[SourceRead]
) -> StudioSide:
    appointments: dict[str, Appointment] = {}
    owner: dict[str, str] = {}
    complete = True
    unreadable: set[str] = set()
    unknown_staff: set[str] = set()
    said: set[str] = set()
    modified: datetime | None = None
    folders = {s.id for s in config.sources if s.path.is_dir()}
    for source in sources:
        read = source.read()
        if read.source_id in folders:
            # a drop folder: synced drops leave it (to processed/), so it never holds the whole studio.
            # Its read is news: an appointment it does not hold is unchanged, never deleted (a drop
            # deletes by carrying the appointment as cancelled), and an emptied folder is no empty export.
            read = replace(read, complete=False)
        reads.append(read)
        complete = complete and read.complete
        unreadable.update(read.unreadable)
        for diagnostic in read.diagnostics:
            if diagnostic.code == "unknown-staff":
                if diagnostic.uid:
                    unknown_staff.add(diagnostic.uid)
                if diagnostic.message.casefold() in said:
                    continue  # one warning per unknown name, however many rows carry it
                said.add(diagnostic.message.casefold())
            origin = diagnostic.file
            if origin and diagnostic.line is not None:
                origin = f"{origin}:{diagnostic.line}"
                if diagnostic.column is not None:
                    origin += f":{diagnostic.column}"
            bus.emit(
                "warning",
                "warning",
                diagnostic.message if origin else str(diagnostic),  # the origin already says where
                origin=origin,
                data={"code": diagnostic.code, "uid": diagnostic.uid, "severity": diagnostic.severity},
            )
        for appointment in read.appointments:
            if appointment.uid in appointments:
                bus.emit(
                    "warning",
                    "warning",
                    f"appointment {appointment.uid} is in two sources; "
                    f"the one in {owner[appointment.uid]} is used",
                    data={"uid": appointment.uid},
                )
                continue
            appointments[appointment.uid] = appointment
            owner[appointment.uid] = read.source_id
        for path in read.files:
            try:
                stamp = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
            except OSError:
                continue
            modified = stamp if modified is None else max(modified, stamp)
    return StudioSide(
        appointments, complete, frozenset(unreadable), owner, modified, frozenset(unknown_staff)
    )
