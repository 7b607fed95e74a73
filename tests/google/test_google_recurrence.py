"""Recurring series made on Google: read as series plus exceptions, handed on as occurrences in the window."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from google_support import make_config

ACCOUNT = "amanda@studio.example"
NEW_YORK = ZoneInfo("America/New_York")


def _session(tmp_path, service, backend_for):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path, service, {"amanda": ACCOUNT})
    return backend_for(config).open(config.users[0])


def _series(session, start: str, rule: str) -> str:  # type: ignore[no-untyped-def]
    end = start.replace("T09:", "T10:")
    made = session.client.service.events().insert(calendarId="primary", body={
        "summary": "Weekly class", "recurrence": [rule],
        "start": {"dateTime": start, "timeZone": "America/New_York"},
        "end": {"dateTime": end, "timeZone": "America/New_York"},
    }).execute()
    return str(made["id"])


def test_series_with_exceptions_becomes_occurrences_in_the_window(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for)
    series = _series(session, "2026-06-01T09:00:00", "RRULE:FREQ=WEEKLY;COUNT=10")
    events = session.client.service.events()
    events.patch(calendarId="primary", eventId=f"{series}_20260608T130000Z",
                 body={"summary": "Moved class", "start": {"dateTime": "2026-06-09T09:00:00-04:00"},
                       "end": {"dateTime": "2026-06-09T10:00:00-04:00"}}).execute()
    events.delete(calendarId="primary", eventId=f"{series}_20260615T130000Z").execute()

    read = session.read(None, date(2026, 5, 1), date(2026, 7, 31))
    entries = sorted(read.entries, key=lambda e: e.appointment.start)  # type: ignore[arg-type, return-value]
    assert all(e.series_id == series and not e.ours for e in entries)
    # 10 weekly occurrences from June 1; August 3 is outside the window; June 15 was cancelled.
    assert len(entries) == 8
    assert entries[1].appointment.title == "Moved class"
    assert entries[1].event_id == f"{series}_20260608T130000Z"
    assert entries[1].appointment.start == datetime(2026, 6, 9, 13, tzinfo=UTC)
    starts = [e.appointment.start for e in entries if e.appointment.title == "Weekly class"]
    assert all(s.astimezone(NEW_YORK).hour == 9 for s in starts)  # type: ignore[union-attr]
    assert datetime(2026, 6, 15, 13, tzinfo=UTC) not in starts
    assert len({e.event_id for e in entries}) == 8 and len({e.appointment.uid for e in entries}) == 8

    # A later change to the series cannot be patched into occurrences from a delta: a full read answers.
    events.patch(calendarId="primary", eventId=f"{series}_20260622T130000Z",
                 body={"summary": "Guest"}).execute()
    again = session.read(read.cursor, date(2026, 5, 1), date(2026, 7, 31))
    assert again.full and len(again.entries) == 8
    assert "Guest" in {e.appointment.title for e in again.entries}


def test_series_keeps_local_time_across_dst(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for)
    _series(session, "2026-03-02T09:00:00", "RRULE:FREQ=WEEKLY;UNTIL=20260330T235959Z")
    read = session.read(None, date(2026, 3, 1), date(2026, 3, 31))
    starts = sorted(e.appointment.start for e in read.entries)  # type: ignore[type-var]
    assert [s.astimezone(NEW_YORK).hour for s in starts] == [9, 9, 9, 9, 9]  # type: ignore[union-attr]
    assert starts[0] == datetime(2026, 3, 2, 14, tzinfo=UTC)  # EST
    assert starts[1] == datetime(2026, 3, 9, 13, tzinfo=UTC)  # EDT, after March 8


def test_deleting_a_series_is_seen_in_the_next_read(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for)
    series = _series(session, "2026-06-01T09:00:00", "RRULE:FREQ=WEEKLY;COUNT=4")
    single = session.client.service.events().insert(calendarId="primary", body={
        "summary": "One-off", "start": {"date": "2026-06-03"}, "end": {"date": "2026-06-04"}}).execute()
    first = session.read(None, date(2026, 5, 1), date(2026, 7, 31))
    assert len(first.entries) == 5
    session.client.service.events().delete(calendarId="primary", eventId=single["id"]).execute()
    plain = session.read(first.cursor, date(2026, 5, 1), date(2026, 7, 31))
    assert not plain.full and plain.removed == (single["id"],)
    session.client.service.events().delete(calendarId="primary", eventId=series).execute()
    after = session.read(plain.cursor, date(2026, 5, 1), date(2026, 7, 31))
    assert after.full and after.entries == ()


def test_all_day_series(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for)
    made = session.client.events.insert(calendarId="primary", body={
        "summary": "Trade show", "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
        "start": {"date": "2026-06-10"}, "end": {"date": "2026-06-11"}}).execute()
    read = session.read(None, date(2026, 6, 1), date(2026, 6, 30))
    entries = sorted(read.entries, key=lambda e: e.event_id)
    assert [e.event_id for e in entries] == [f"{made['id']}_202606{d}" for d in (10, 11, 12)]
    assert all(e.appointment.all_day for e in entries)
    first = entries[0].appointment
    assert (first.start, first.end) == (date(2026, 6, 10), date(2026, 6, 11))
