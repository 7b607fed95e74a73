"""The in-memory calendar behaves like Google where the engine depends on it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from reconcile_support import appt, make_config, user

from adapters.memory.calendar import MemoryCalendarBackend, SimulatedCrash
from syncengine import plugins
from syncengine.errors import CalendarError
from syncengine.ports import CalendarBackend, CalendarSession, CalendarWrite

LO, HI = date(2026, 1, 1), date(2027, 1, 1)


def session(backend: MemoryCalendarBackend, user_id: str = "amanda") -> CalendarSession:
    return backend.open(user(user_id))


def test_it_implements_the_protocols_and_is_shared_per_state_file(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    factory = plugins.load(plugins.CALENDARS, "memory")
    first, second = factory(config), factory(config)
    assert first is second and isinstance(first, CalendarBackend)
    assert isinstance(session(first), CalendarSession)
    assert MemoryCalendarBackend() is not MemoryCalendarBackend()


def test_etags_change_on_every_write_and_cursors_list_changes_and_tombstones() -> None:
    backend = MemoryCalendarBackend()
    s = session(backend)
    (created,) = s.apply([CalendarWrite("create", "A1", "evt00001", appointment=appt("A1"))])
    assert created.status == "ok" and created.entry is not None and created.entry.ours
    full = s.read(None, LO, HI)
    assert full.full and [e.event_id for e in full.entries] == ["evt00001"]
    backend.calendar("amanda").edit("evt00001", title="Changed")
    delta = s.read(full.cursor, LO, HI)
    assert not delta.full and delta.entries[0].etag != created.entry.etag
    backend.calendar("amanda").delete("evt00001")
    gone = s.read(delta.cursor, LO, HI)
    assert gone.removed == ("evt00001",) and gone.entries == ()
    assert s.read("garbage", LO, HI).full  # an unusable cursor means a full read


def test_preconditions_reserved_ids_and_lost_responses() -> None:
    backend = MemoryCalendarBackend()
    s = session(backend)
    (ok,) = s.apply([CalendarWrite("create", "A1", "evt00001", appointment=appt("A1"))])
    assert ok.entry is not None
    stale = CalendarWrite("update", "A1", "evt00001", '"stale"', appt("A1", title="x"))
    assert s.apply([stale])[0].status == "precondition-failed"
    # a create on an id that exists (its response was lost) re-links; no second event appears
    again = s.apply([CalendarWrite("create", "A1", "evt00001", appointment=appt("A1", title="Again"))])[0]
    assert again.status == "ok" and len(backend.calendar("amanda").live()) == 1
    backend.calendar("amanda").delete("evt00001")
    restored = s.apply([CalendarWrite("create", "A1", "evt00001", appointment=appt("A1"))])[0]
    assert restored.status == "ok" and backend.calendar("amanda").get("evt00001") is not None


def test_person_events_get_google_uids_and_faults_are_injectable() -> None:
    backend = MemoryCalendarBackend()
    entry = backend.calendar("ben").add(appt("ignored", title="Lunch"))
    assert entry.appointment.uid == f"google-{entry.event_id}" and not entry.ours
    backend.fail_writes("ben", 1)
    s = session(backend, "ben")
    (failed,) = s.apply([CalendarWrite("delete", entry.appointment.uid, entry.event_id, entry.etag)])
    assert failed.status == "failed" and isinstance(failed.error, CalendarError)
    backend.crash_after(0)
    with pytest.raises(SimulatedCrash):
        s.apply([CalendarWrite("delete", entry.appointment.uid, entry.event_id, entry.etag)])
    backend.fail_read("ben")
    with pytest.raises(CalendarError):
        s.read(None, LO, HI)
    backend.fail_open("ben")
    with pytest.raises(CalendarError):
        session(backend, "ben")


def test_full_reads_cover_the_window_only() -> None:
    backend = MemoryCalendarBackend(cursors=False)
    s = session(backend)
    s.apply([CalendarWrite("create", "A1", "evt00001", appointment=appt("A1", day=3))])
    s.apply([CalendarWrite("create", "A2", "evt00002", appointment=appt("A2", day=800))])
    read = s.read(None, LO, HI)
    assert read.cursor is None and [e.event_id for e in read.entries] == ["evt00001"]
    assert s.read(None, LO, HI + timedelta(days=900)).entries[-1].event_id == "evt00002"
