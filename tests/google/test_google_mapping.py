"""Appointment <-> event body: round-trip stability, the description block, zones and ownership."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from adapters.google.mapping import (
    MARKER,
    STUDIO_KEY,
    UID_KEY,
    compose_description,
    entry_from_event,
    event_body,
    merge_body,
    split_description,
)
from syncengine.model import CALENDAR_FIELDS, Appointment, Assignment

STUDIO = "Bright Light Portraits"
ZONES = ["America/Chicago", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC", "Pacific/Apia"]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
lines = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
notes = st.one_of(text, st.just(f"before\n{MARKER}\nClient: fake"), st.just(MARKER), st.just("Client: x"))


@st.composite
def appointments(draw: st.DrawFn) -> Appointment:
    zone = draw(st.sampled_from(ZONES))
    all_day = draw(st.booleans())
    if all_day:
        start: date | datetime = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
        end: date | datetime = start + timedelta(days=draw(st.integers(0, 30)))
    else:
        naive = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31)))
        start = naive.replace(tzinfo=ZoneInfo(draw(st.sampled_from(ZONES))))
        end = start + timedelta(minutes=draw(st.integers(0, 60 * 48)))
    return Appointment(
        uid=draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")),
        title=draw(lines),
        start=start,
        end=end,
        timezone=zone,
        all_day=all_day,
        location=draw(lines),
        description=draw(notes),
        status=draw(st.sampled_from(["confirmed", "tentative", "cancelled"])),
        type=draw(lines),
        client=draw(lines),
        session=draw(lines),
        assigned=(Assignment("amanda", "photographer"),),
    )


@given(appointments(), st.sampled_from(ZONES))
def test_round_trip_keeps_the_calendar_fingerprint(appt: Appointment, studio_zone: str) -> None:
    body = event_body(appt, STUDIO, studio_zone, "abcdef0123")
    entry = entry_from_event(dict(body, etag='"1"'), STUDIO, studio_zone, "amanda")
    assert entry.ours
    assert entry.appointment.uid == appt.uid
    assert entry.appointment.fingerprint(CALENDAR_FIELDS) == appt.fingerprint(CALENDAR_FIELDS)


@given(appointments(), st.sampled_from(ZONES), st.sampled_from(ZONES))
def test_times_read_back_are_the_same_instants_whatever_zone_the_server_renders(
    appt: Appointment, studio_zone: str, calendar_zone: str
) -> None:
    body = event_body(appt, STUDIO, studio_zone)
    if not appt.all_day:
        # A server renders dateTime in the calendar's zone (and may drop timeZone): same instant.
        for key in ("start", "end"):
            moment = datetime.fromisoformat(body[key]["dateTime"]).astimezone(ZoneInfo(calendar_zone))
            body[key] = {"dateTime": moment.isoformat(), "timeZone": calendar_zone}
    entry = entry_from_event(dict(body, id="abcdef0123"), STUDIO, studio_zone, "amanda")
    assert entry.appointment.fingerprint(CALENDAR_FIELDS) == appt.fingerprint(CALENDAR_FIELDS)


def _appt(**kw: object) -> Appointment:
    chicago = ZoneInfo("America/Chicago")
    base: dict[str, object] = dict(
        uid="A-1", title="Smith family", start=datetime(2026, 3, 8, 1, 30, tzinfo=chicago),
        end=datetime(2026, 3, 8, 3, 30, tzinfo=chicago), timezone="America/Chicago",
        description="Bring props", client="Jane Smith", type="Family", session="S-77", location="Studio A")
    base.update(kw)
    return Appointment(**base)  # type: ignore[arg-type]


def test_timed_event_carries_explicit_studio_zone_and_private_key() -> None:
    body = event_body(_appt(), STUDIO, "America/Chicago", "abcdef0123")
    assert body["start"] == {"dateTime": "2026-03-08T01:30:00-06:00", "timeZone": "America/Chicago"}
    # Across the spring-forward gap: 3:30 is CDT.
    assert body["end"] == {"dateTime": "2026-03-08T03:30:00-05:00", "timeZone": "America/Chicago"}
    assert body["extendedProperties"]["private"] == {UID_KEY: "A-1", STUDIO_KEY: STUDIO}
    assert body["id"] == "abcdef0123"
    assert body["summary"] == "Smith family" and body["location"] == "Studio A"


def test_all_day_uses_dates_with_exclusive_end() -> None:
    body = event_body(_appt(all_day=True, start=date(2026, 5, 1), end=date(2026, 5, 2)), STUDIO, "UTC")
    assert body["start"] == {"date": "2026-05-01"} and body["end"] == {"date": "2026-05-02"}


def test_description_block_layout_and_parsing() -> None:
    text = compose_description("Bring props", client="Jane", type_="Family", session="")
    assert text == f"Bring props\n\n{MARKER}\nClient: Jane\nType: Family"
    notes, block = split_description(text + "\nSession: edited-by-hand\n")
    assert notes.strip() == "Bring props"
    assert block == {"client": "Jane", "type": "Family", "session": "edited-by-hand"}
    assert compose_description("only notes") == "only notes"
    assert split_description("no marker\nClient: x") == ("no marker\nClient: x", {})


def test_edit_above_marker_flows_back_as_notes_and_block_stays() -> None:
    body = event_body(_appt(), STUDIO, "America/Chicago")
    body["description"] = body["description"].replace("Bring props", "Bring props and the dog")
    entry = entry_from_event(dict(body, id="abcdef0123"), STUDIO, "America/Chicago", "amanda")
    assert entry.appointment.description == "Bring props and the dog"
    assert entry.appointment.client == "Jane Smith" and entry.appointment.session == "S-77"


def test_foreign_events_are_not_ours_and_are_assigned_to_the_user() -> None:
    event = {"id": "zzz111", "etag": '"9"', "summary": "Dentist", "status": "tentative",
             "start": {"dateTime": "2026-01-05T15:00:00Z"}, "end": {"dateTime": "2026-01-05T16:00:00Z"},
             "updated": "2026-01-01T10:00:00.000Z"}
    entry = entry_from_event(event, STUDIO, "America/Chicago", "amanda")
    assert not entry.ours
    assert entry.appointment.uid == "google-zzz111"
    assert entry.appointment.assigned == (Assignment("amanda", "assigned"),)
    assert entry.appointment.status == "tentative"
    assert entry.appointment.start == datetime(2026, 1, 5, 15, tzinfo=UTC)
    assert entry.updated == datetime(2026, 1, 1, 10, tzinfo=UTC)
    other_studio = dict(event, extendedProperties={"private": {UID_KEY: "A-1", STUDIO_KEY: "Another"}})
    assert not entry_from_event(other_studio, STUDIO, "UTC", "amanda").ours
    ours = dict(event, extendedProperties={"private": {UID_KEY: "A-1", STUDIO_KEY: STUDIO}})
    mine = entry_from_event(ours, STUDIO, "UTC", "amanda")
    assert mine.ours and mine.appointment.uid == "A-1" and mine.appointment.assigned == ()


def test_bare_local_datetime_uses_its_timezone() -> None:
    event = {"id": "abc123", "start": {"dateTime": "2026-07-01T09:00:00", "timeZone": "Europe/Berlin"},
             "end": {"dateTime": "2026-07-01T10:00:00", "timeZone": "Europe/Berlin"}}
    entry = entry_from_event(event, STUDIO, "America/Chicago", "amanda")
    assert entry.appointment.start == datetime(2026, 7, 1, 7, tzinfo=UTC)


def test_merge_body_keeps_fields_the_studio_does_not_own() -> None:
    stored = {"id": "abc", "etag": '"3"', "summary": "old", "colorId": "5",
              "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]},
              "extendedProperties": {"private": {"mine": "1", UID_KEY: "A-1"}}}
    wanted = event_body(_appt(location=""), STUDIO, "America/Chicago")
    merged = merge_body(stored, wanted)
    assert merged["colorId"] == "5" and merged["reminders"] == stored["reminders"]
    assert merged["summary"] == "Smith family"
    assert "location" not in merged and "etag" not in merged
    assert merged["extendedProperties"]["private"] == {"mine": "1", UID_KEY: "A-1", STUDIO_KEY: STUDIO}
