"""Reads and writes against the embedded Calendar service over real HTTP, through the real client."""

from __future__ import annotations

from datetime import UTC, date, datetime

from google_support import STUDIO, ZONE, appointment, create, make_config

from adapters.google.mapping import UID_KEY
from syncengine.errors import PreconditionFailed
from syncengine.model import CALENDAR_FIELDS
from syncengine.ports import CalendarWrite

ACCOUNT = "amanda@studio.example"
WINDOW = (date(2026, 5, 1), date(2026, 7, 31))


def _open(tmp_path, service, backend_for, **kw):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path, service, {"amanda": ACCOUNT}, **kw)
    backend = backend_for(config)
    return backend, backend.open(config.users[0])


def test_first_full_sync_then_incremental(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for)
    appts = [appointment(f"A-{i}", day=i + 1) for i in range(5)]
    results = session.apply([create("amanda", a) for a in appts])
    assert [r.status for r in results] == ["ok"] * 5
    assert all(r.entry is not None and r.entry.ours and r.entry.etag for r in results)
    stored = service.events(ACCOUNT)
    assert len(stored) == 5
    for event in stored:
        assert event["start"]["timeZone"] == ZONE and event["end"]["timeZone"] == ZONE
    counts = service.counts()
    assert counts["events.insert"] == 5 and counts["sendUpdates:none"] == 5 and counts["batch"] == 1

    first = session.read(None, *WINDOW)
    assert first.full and first.cursor
    by_uid = {e.appointment.uid: e for e in first.entries}
    assert set(by_uid) == {a.uid for a in appts}
    for a in appts:
        assert by_uid[a.uid].appointment.fingerprint(CALENDAR_FIELDS) == a.fingerprint(CALENDAR_FIELDS)

    service.reset_counts()
    quiet = session.read(first.cursor, *WINDOW)
    assert not quiet.full and quiet.entries == () and quiet.removed == () and quiet.cursor
    assert service.counts()["http"] == 1 and quiet.requests == 1

    # A person edits one event and deletes another on Google.
    target = by_uid["A-1"]
    update = CalendarWrite("update", "A-1", target.event_id, etag=target.etag,
                           appointment=appts[1].evolve(title="Moved by studio"))
    gone = by_uid["A-2"]
    results = session.apply([update, CalendarWrite("delete", "A-2", gone.event_id, etag=gone.etag)])
    assert [r.status for r in results] == ["ok", "ok"]
    assert results[0].entry is not None and results[0].entry.appointment.title == "Moved by studio"
    delta = session.read(quiet.cursor, *WINDOW)
    assert not delta.full
    assert [e.appointment.title for e in delta.entries] == ["Moved by studio"]
    assert delta.removed == (gone.event_id,)
    assert service.counts()["events.delete"] == 1 and service.counts()["sendUpdates:none"] == 2


def test_expired_token_gives_full_read_without_gap_deletions(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for)
    appts = [appointment(f"B-{i}", day=i + 1) for i in range(4)]
    session.apply([create("amanda", a) for a in appts])
    first = session.read(None, *WINDOW)
    gone = next(e for e in first.entries if e.appointment.uid == "B-3")
    session.apply([CalendarWrite("delete", "B-3", gone.event_id, etag=gone.etag)])
    service.purge_tombstones()  # the tombstone is gone too: only the set difference can tell
    service.invalidate_sync_tokens()
    again = session.read(first.cursor, *WINDOW)
    assert again.full and again.cursor and again.cursor != first.cursor
    assert {e.appointment.uid for e in again.entries} == {"B-0", "B-1", "B-2"}
    # A garbage token is a 410 as well.
    assert session.read("not-a-token", *WINDOW).full


def test_lost_state_relinks_instead_of_duplicating(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for)
    appts = [appointment(f"C-{i}", day=i + 1) for i in range(3)]
    session.apply([create("amanda", a) for a in appts])
    # The state file is lost: the same creates again, with the same derived ids; one changed meanwhile.
    changed = appts[0].evolve(title="Renamed in the studio")
    service.reset_counts()
    results = session.apply([create("amanda", changed), *(create("amanda", a) for a in appts[1:])])
    assert [r.status for r in results] == ["ok"] * 3
    assert [r.event_id for r in results] == [create("amanda", a).event_id for a in appts]
    assert results[0].entry is not None and results[0].entry.appointment.title == "Renamed in the studio"
    events = service.events(ACCOUNT)
    assert len(events) == 3
    assert service.counts().get("events.update", 0) == 1  # only the changed one is rewritten


def test_deleted_event_restored_and_foreign_id_skipped(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for)
    kept = appointment("D-1")
    first = session.apply([create("amanda", kept)])[0]
    assert first.entry is not None
    session.apply([CalendarWrite("delete", "D-1", first.event_id or "", etag=first.entry.etag)])
    again = session.apply([create("amanda", kept)])[0]
    assert again.status == "ok" and again.event_id == first.event_id
    assert [e["status"] for e in service.events(ACCOUNT)] == ["confirmed"]
    # An id taken by an event that is not ours (another studio's): the next generation is used.
    other = appointment("D-2")
    taken = create("amanda", other).event_id
    session.client.service.events().insert(calendarId="primary", body={
        "id": taken, "summary": "someone else's",
        "start": {"date": "2026-06-02"}, "end": {"date": "2026-06-03"},
        "extendedProperties": {"private": {UID_KEY: "D-2", "syncengine_studio": "Other Studio"}},
    }).execute()
    moved = session.apply([create("amanda", other)])[0]
    assert moved.status == "ok" and moved.event_id == create("amanda", other, generation=1).event_id
    summaries = sorted(e.get("summary", "") for e in service.events(ACCOUNT))
    assert summaries == ["Session D-1", "Session D-2", "someone else's"]


def test_concurrent_change_is_a_precondition_failure(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for)
    appt = appointment("E-1")
    made = session.apply([create("amanda", appt)])[0]
    assert made.entry is not None
    old_etag = made.entry.etag
    session.client.service.events().patch(calendarId="primary", eventId=made.event_id,
                                          body={"summary": "changed on the phone"}).execute()
    results = session.apply([
        CalendarWrite("update", "E-1", made.event_id or "", etag=old_etag,
                      appointment=appt.evolve(title="x")),
        CalendarWrite("delete", "E-1", made.event_id or "", etag=old_etag),
    ])
    assert [r.status for r in results] == ["precondition-failed", "precondition-failed"]
    assert all(isinstance(r.error, PreconditionFailed) for r in results)
    assert [e["summary"] for e in service.events(ACCOUNT)] == ["changed on the phone"]


def test_calendar_zone_change_shifts_nothing(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for, time_zone=ZONE)
    appt = appointment("F-1", hour=9)
    session.apply([create("amanda", appt)])
    before = session.read(None, *WINDOW).entries[0].appointment
    session.client.service.calendars().patch(calendarId="primary", body={"timeZone": "Asia/Tokyo"}).execute()
    after = session.read(None, *WINDOW)
    assert after.time_zone == "Asia/Tokyo"
    moved = after.entries[0].appointment
    assert moved.start == before.start == appt.start
    assert moved.fingerprint(CALENDAR_FIELDS) == appt.fingerprint(CALENDAR_FIELDS)


def test_foreign_and_tentative_events_are_read(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for)
    session.client.service.events().insert(calendarId="primary", body={
        "summary": "Dentist", "status": "tentative",
        "start": {"dateTime": "2026-06-10T15:00:00Z"}, "end": {"dateTime": "2026-06-10T16:00:00Z"},
    }).execute()
    read = session.read(None, *WINDOW)
    (entry,) = read.entries
    assert not entry.ours and entry.appointment.uid == f"google-{entry.event_id}"
    assert entry.appointment.status == "tentative"
    assert entry.appointment.start == datetime(2026, 6, 10, 15, tzinfo=UTC)
    assert entry.appointment.assigned[0].user == "amanda"


def test_single_requests_and_small_pages(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for, batch_size=0)
    appts = [appointment(f"G-{i}", day=1 + i % 28, hour=8 + i % 8) for i in range(7)]
    results = session.apply([create("amanda", a) for a in appts])
    assert all(r.status == "ok" for r in results)
    assert service.counts().get("batch", 0) == 0 and service.counts()["events.insert"] == 7
    import adapters.google.session as session_module

    old = session_module.PAGE_SIZE
    session_module.PAGE_SIZE = 3  # the server may hand out smaller pages than asked: follow every one
    try:
        service.reset_counts()
        read = session.read(None, *WINDOW)
    finally:
        session_module.PAGE_SIZE = old
    assert len(read.entries) == 7 and service.counts()["events.list"] == 3
    assert {e.appointment.uid for e in read.entries} == {a.uid for a in appts}
    assert STUDIO  # the studio marks every event as ours
    assert all(e.ours for e in read.entries)


def test_update_keeps_what_the_user_added_on_google(tmp_path, service, backend_for) -> None:
    _, session = _open(tmp_path, service, backend_for)
    appt = appointment("H-1")
    made = session.apply([create("amanda", appt)])[0]
    session.client.events.patch(calendarId="primary", eventId=made.event_id, body={
        "colorId": "5", "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]},
    }).execute()
    (entry,) = session.read(None, *WINDOW).entries
    result = session.apply([CalendarWrite("update", "H-1", entry.event_id, etag=entry.etag,
                                          appointment=appt.evolve(location="Studio B"))])[0]
    assert result.status == "ok" and result.entry is not None and result.entry.etag != entry.etag
    (stored,) = service.events(ACCOUNT)
    assert stored["location"] == "Studio B" and stored["colorId"] == "5"
    assert stored["reminders"]["overrides"] == [{"method": "popup", "minutes": 30}]
    assert stored["extendedProperties"]["private"][UID_KEY] == "H-1"
