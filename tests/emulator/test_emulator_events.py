"""Event writes and reads with Google's semantics, through the real client over HTTP."""

from __future__ import annotations

import json

import pytest
from emulator_support import ACCOUNT, timed
from googleapiclient.errors import HttpError


def _error(call) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    body = json.loads(caught.value.content)["error"]
    assert body["code"] == caught.value.resp.status
    assert body["message"] and body["errors"][0]["message"]
    return body["code"], body["errors"][0]["reason"]


def test_insert_returns_the_full_resource_with_server_fields(cal):
    created = cal.events().insert(calendarId="primary", body=timed(id="appt00001"),
                                  sendUpdates="none").execute()
    assert created["id"] == "appt00001"
    assert created["kind"] == "calendar#event" and created["status"] == "confirmed"
    assert created["etag"].startswith('"') and created["etag"].endswith('"')
    assert created["sequence"] == 0 and created["iCalUID"] == "appt00001@google.com"
    assert created["updated"].endswith("Z") and created["created"] == created["updated"]
    assert created["organizer"] == {"email": ACCOUNT, "self": True}
    assert cal.events().get(calendarId="primary", eventId="appt00001").execute() == created


def test_server_generated_ids_are_base32hex(cal):
    ids = {cal.events().insert(calendarId="primary", body=timed()).execute()["id"] for _ in range(5)}
    assert len(ids) == 5
    for event_id in ids:
        assert 20 <= len(event_id) <= 32 and set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")


@pytest.mark.parametrize("bad", ["abcd", "ABCDE12345", "abc-de-123", "abcdwxyz1", "a" * 1025])
def test_invalid_client_ids_are_400(cal, bad):
    assert _error(cal.events().insert(calendarId="primary", body=timed(id=bad))) == (400, "invalid")


def test_longest_valid_id_is_accepted(cal):
    long_id = "v" * 1024
    assert cal.events().insert(calendarId="primary", body=timed(id=long_id)).execute()["id"] == long_id


def test_duplicate_ids_are_409_even_after_delete(cal):
    cal.events().insert(calendarId="primary", body=timed(id="dup00001")).execute()
    assert _error(cal.events().insert(calendarId="primary", body=timed(id="dup00001"))) == (409, "duplicate")
    cal.events().delete(calendarId="primary", eventId="dup00001").execute()
    assert _error(cal.events().insert(calendarId="primary", body=timed(id="dup00001"))) == (409, "duplicate")


def test_deleted_event_stays_readable_and_second_delete_is_410(cal):
    cal.events().insert(calendarId="primary", body=timed(id="gone00001")).execute()
    assert cal.events().delete(calendarId="primary", eventId="gone00001", sendUpdates="none").execute() == ""
    tombstone = cal.events().get(calendarId="primary", eventId="gone00001").execute()
    assert tombstone["status"] == "cancelled" and tombstone["summary"] == "Session"
    assert _error(cal.events().delete(calendarId="primary", eventId="gone00001")) == (410, "deleted")
    assert cal.events().list(calendarId="primary").execute()["items"] == []


def test_update_with_confirmed_status_restores_a_deleted_event(cal):
    cal.events().insert(calendarId="primary", body=timed(id="back00001")).execute()
    cal.events().delete(calendarId="primary", eventId="back00001").execute()
    stored = cal.events().get(calendarId="primary", eventId="back00001").execute()
    stored["status"] = "confirmed"
    restored = cal.events().update(calendarId="primary", eventId="back00001", body=stored).execute()
    assert restored["status"] == "confirmed"
    assert [e["id"] for e in cal.events().list(calendarId="primary").execute()["items"]] == ["back00001"]


def test_unknown_event_is_404(cal):
    for call in (cal.events().get(calendarId="primary", eventId="nothere01"),
                 cal.events().delete(calendarId="primary", eventId="nothere01"),
                 cal.events().patch(calendarId="primary", eventId="nothere01", body={"summary": "x"})):
        assert _error(call) == (404, "notFound")


def test_every_write_changes_etag_updated_and_time_changes_bump_sequence(cal):
    first = cal.events().insert(calendarId="primary", body=timed(id="seq000001")).execute()
    renamed = cal.events().patch(calendarId="primary", eventId="seq000001", body={"summary": "B"}).execute()
    assert renamed["etag"] != first["etag"] and renamed["updated"] >= first["updated"]
    assert renamed["sequence"] == 0
    props = cal.events().patch(calendarId="primary", eventId="seq000001",
                               body={"extendedProperties": {"private": {"k": "v"}}}).execute()
    assert props["etag"] != renamed["etag"]
    moved = dict(props, start=timed(hour=12)["start"], end=timed(hour=12)["end"])
    moved = cal.events().update(calendarId="primary", eventId="seq000001", body=moved).execute()
    assert moved["sequence"] == 1 and moved["etag"] not in (first["etag"], renamed["etag"], props["etag"])
    assert moved["created"] == first["created"]


def test_a_sequence_below_the_stored_one_is_400(cal):
    created = cal.events().insert(calendarId="primary", body=timed(id="seqlo0001", sequence=3)).execute()
    assert created["sequence"] == 3
    stale = dict(created, sequence=1)
    assert _error(cal.events().update(calendarId="primary", eventId="seqlo0001", body=stale))[0] == 400


def test_if_match_mismatch_is_412_and_match_succeeds(cal):
    created = cal.events().insert(calendarId="primary", body=timed(id="etag00001")).execute()
    cal.events().patch(calendarId="primary", eventId="etag00001", body={"summary": "changed"}).execute()
    for request in (cal.events().update(calendarId="primary", eventId="etag00001", body=created),
                    cal.events().patch(calendarId="primary", eventId="etag00001", body={"summary": "x"}),
                    cal.events().delete(calendarId="primary", eventId="etag00001")):
        request.headers["If-Match"] = created["etag"]
        assert _error(request) == (412, "conditionNotMet")
    current = cal.events().get(calendarId="primary", eventId="etag00001").execute()
    request = cal.events().patch(calendarId="primary", eventId="etag00001", body={"summary": "ok"})
    request.headers["If-Match"] = current["etag"]
    assert request.execute()["summary"] == "ok"


def test_if_none_match_gives_304(cal):
    created = cal.events().insert(calendarId="primary", body=timed(id="cache0001")).execute()
    request = cal.events().get(calendarId="primary", eventId="cache0001")
    request.headers["If-None-Match"] = created["etag"]
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.resp.status == 304


def test_fields_round_trip_including_unknown_ones(cal):
    body = {
        "summary": "Newborn session",
        "description": "Notes\n-- studio --\nclient: Lee",
        "location": "Studio A",
        "start": {"date": "2026-04-01"},
        "end": {"date": "2026-04-02"},
        "status": "tentative",
        "transparency": "transparent",
        "extendedProperties": {"private": {"syncengine_uid": "A-17", "syncengine_studio": "bright"},
                               "shared": {"s": "1"}},
        "colorId": "5",
        "someFutureField": {"nested": [1, 2, {"x": None}]},
    }
    created = cal.events().insert(calendarId="primary", body=body).execute()
    fetched = cal.events().get(calendarId="primary", eventId=created["id"]).execute()
    for key, value in body.items():
        assert fetched[key] == value, key
    recurring = cal.events().insert(calendarId="primary", body=timed(
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"], tz="America/New_York")).execute()
    fetched = cal.events().get(calendarId="primary", eventId=recurring["id"]).execute()
    assert fetched["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4"]
    assert fetched["start"]["timeZone"] == "America/New_York"


def test_patch_merges_objects_replaces_arrays_and_null_deletes(cal):
    created = cal.events().insert(calendarId="primary", body=timed(
        id="patch0001", location="Studio A", recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
        extendedProperties={"private": {"a": "1", "b": "2"}})).execute()
    patched = cal.events().patch(calendarId="primary", eventId=created["id"], body={
        "extendedProperties": {"private": {"b": None, "c": "3"}},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
        "location": None,
    }).execute()
    assert patched["extendedProperties"]["private"] == {"a": "1", "c": "3"}
    assert patched["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]
    assert "location" not in patched and patched["summary"] == "Session"


def test_update_replaces_the_whole_event(cal):
    created = cal.events().insert(calendarId="primary", body=timed(
        id="put000001", location="Studio A", extendedProperties={"private": {"a": "1"}})).execute()
    replaced = cal.events().update(calendarId="primary", eventId="put000001",
                                   body=timed("Replaced")).execute()
    assert replaced["summary"] == "Replaced"
    assert "location" not in replaced and "extendedProperties" not in replaced
    assert replaced["id"] == created["id"] and replaced["iCalUID"] == created["iCalUID"]


def test_times_are_validated(cal):
    no_end = timed()
    del no_end["end"]
    assert _error(cal.events().insert(calendarId="primary", body=no_end)) == (400, "required")
    backwards = timed()
    backwards["end"] = {"dateTime": "2026-03-10T09:00:00-05:00"}
    assert _error(cal.events().insert(calendarId="primary", body=backwards)) == (400, "timeRangeEmpty")
    floating = {"start": {"dateTime": "2026-03-10T09:00:00"}, "end": {"dateTime": "2026-03-10T10:00:00"}}
    assert _error(cal.events().insert(calendarId="primary", body=floating))[0] == 400
    floating["start"]["timeZone"] = floating["end"]["timeZone"] = "America/Chicago"
    assert cal.events().insert(calendarId="primary", body=floating).execute()["start"] == floating["start"]
    series = timed(recurrence=["RRULE:FREQ=DAILY;COUNT=2"])
    del series["start"]["timeZone"]
    assert _error(cal.events().insert(calendarId="primary", body=series))[0] == 400
    broken = timed(recurrence=["RRULE:FREQ=SOMETIMES"])
    assert _error(cal.events().insert(calendarId="primary", body=broken))[0] == 400


def test_extended_property_limits(cal):
    long_key, long_value = "k" * 45, "v" * 2000
    created = cal.events().insert(calendarId="primary", body=timed(
        extendedProperties={"private": {long_key: "x", "ok": long_value}})).execute()
    assert created["extendedProperties"]["private"] == {"ok": "v" * 1024}
    many = {f"k{i}": "v" for i in range(301)}
    assert _error(cal.events().insert(calendarId="primary",
                                      body=timed(extendedProperties={"private": many})))[0] == 400


def test_import_requires_ical_uid_and_updates_a_known_one(cal):
    assert _error(cal.events().import_(calendarId="primary", body=timed())) == (400, "required")
    first = cal.events().import_(calendarId="primary", body=timed(iCalUID="abc@studio")).execute()
    assert first["iCalUID"] == "abc@studio"
    again = cal.events().import_(calendarId="primary", body=timed("Renamed", iCalUID="abc@studio")).execute()
    assert again["id"] == first["id"] and again["summary"] == "Renamed"
    assert len(cal.events().list(calendarId="primary").execute()["items"]) == 1


def test_send_updates_is_counted(cal, service):
    cal.events().insert(calendarId="primary", body=timed(id="notif0001"), sendUpdates="none").execute()
    cal.events().patch(calendarId="primary", eventId="notif0001", body={"summary": "x"},
                       sendUpdates="none").execute()
    cal.events().delete(calendarId="primary", eventId="notif0001", sendUpdates="all").execute()
    counts = service.counts()
    assert counts["sendUpdates:none"] == 2 and counts["sendUpdates:all"] == 1
    assert [c.params.get("sendUpdates") for c in service.calls("events.patch")] == ["none"]


def test_long_get_rewritten_as_post_with_method_override(cal):
    created = cal.events().insert(calendarId="primary", body=timed(iCalUID="long@studio")).execute()
    # q over 2048 characters makes the client send POST + x-http-method-override: GET
    request = cal.events().list(calendarId="primary", iCalUID="long@studio", q="Session",
                                quotaUser="x" * 2100)
    items = request.execute()["items"]
    assert request.method == "POST" and request.headers["x-http-method-override"] == "GET"
    assert [i["id"] for i in items] == [created["id"]]
