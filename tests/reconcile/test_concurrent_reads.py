"""Users' calendars are read concurrently, and a failing read still fails only its own user."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

from reconcile_support import appt, make_world

from adapters.memory.calendar import MemoryCalendarBackend, MemoryCalendarSession
from syncengine.errors import TransientError
from syncengine.ports import CalendarRead


class _MeetingBackend(MemoryCalendarBackend):
    """Every read waits until all users' reads have started: only concurrent reads can finish."""

    barrier = threading.Barrier(2, timeout=10)
    threads: set[str]

    def open(self, user: Any) -> MemoryCalendarSession:
        session = super().open(user)
        inner = session.read

        def read(cursor: str | None, lo: date, hi: date) -> CalendarRead:
            self.threads.add(threading.current_thread().name)
            self.barrier.wait()
            if user.id == "ben":
                raise TransientError("ben", "calendar service unavailable")
            return inner(cursor, lo, hi)

        session.read = read  # type: ignore[method-assign]
        return session


def test_calendars_are_read_at_once_and_failures_stay_per_user(tmp_path: Path) -> None:
    world = make_world(tmp_path, appt("A1", "amanda", "ben"))
    world.backend = _MeetingBackend()
    world.backend.threads = set()
    report = world.sync()
    assert len(world.backend.threads) == 2  # two threads met at the barrier
    assert report.users["amanda"].outcome == "ok"
    assert report.users["ben"].outcome == "failed"
    assert report.exit_code == 1
    assert set(world.events("amanda")) == {"A1"}
    assert world.events("ben") == {}
