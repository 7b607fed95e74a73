"""events.list: pages, sync tokens, tombstones, filters and recurring series, through the real client."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from emulator_support import new_batch, timed
from googleapiclient.errors import HttpError


def _insert_many(service, cal, count: int, prefix: str = "evt") -> list[str]:
    ids: list[str] = []
    failures: list[object] = []
    for start in range(0, count, 50):
        batch = new_batch(service, lambda _id, _resp, exc: failures.append(exc) if exc else None)
        for n in range(start, min(count, start + 50)):
            event_id = f"{prefix}{n:05d}"
            ids.append(event_id)
            batch.add(cal.events().insert(calendarId="primary", body=timed(f"e{n}", id=event_id)))
        batch.execute()
    assert failures == []
    return ids


def _pages(cal, **params):
    """Every page of a listing: (items per page, the final sync token)."""
    pages, token = [], None
    while True:
        response = cal.events().list(calendarId="primary", pageToken=token, **params).execute()
        pages.append(response["items"])
        token = response.get("nextPageToken")
        if token is None:
            assert "nextSyncToken" in response
            return pages, response["nextSyncToken"]
        assert "nextSyncToken" not in response


def _reason(call) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value.resp.status, json.loads(caught.value.content)["error"]["errors"][0]["reason"]


def test_default_page_is_250_and_max_is_2500(service, cal):
    _insert_many(service, cal, 300)
    first = cal.events().list(calendarId="primary").execute()
    assert len(first["items"]) == 250 and "nextPageToken" in first and "nextSyncToken" not in first
    everything = cal.events().list(calendarId="primary", maxResults=5000).execute()
    assert len(everything["items"]) == 300 and "nextSyncToken" in everything


def test_pages_return_every_event_once_with_writes_between_pages(service, cal):
    ids = _insert_many(service, cal, 60)
    seen: list[str] = []
    response = cal.events().list(calendarId="primary", maxResults=20).execute()
    seen += [i["id"] for i in response["items"]]
    # between pages: a new event, an update of a later event, a delete of a later one
    cal.events().insert(calendarId="primary", body=timed(id="evt00030a")).execute()
    cal.events().patch(calendarId="primary", eventId="evt00045", body={"summary": "late"}).execute()
    cal.events().delete(calendarId="primary", eventId="evt00050").execute()
    token = response["nextPageToken"]
    while token:
        response = cal.events().list(calendarId="primary", maxResults=20, pageToken=token).execute()
        seen += [i["id"] for i in response["items"]]
        token = response.get("nextPageToken")
    assert sorted(seen) == ids and len(seen) == len(set(seen))
    delta = cal.events().list(calendarId="primary", syncToken=response["nextSyncToken"]).execute()
    assert {i["id"]: i["status"] for i in delta["items"]} == {
        "evt00030a": "confirmed", "evt00045": "confirmed", "evt00050": "cancelled"}


def test_sync_token_delta_has_changes_and_minimal_tombstones(service, cal):
    _insert_many(service, cal, 5)
    _, token = _pages(cal)
    empty = cal.events().list(calendarId="primary", syncToken=token).execute()
    assert empty["items"] == [] and "nextSyncToken" in empty
    cal.events().patch(calendarId="primary", eventId="evt00001", body={"summary": "moved"}).execute()
    cal.events().delete(calendarId="primary", eventId="evt00002").execute()
    cal.events().insert(calendarId="primary", body=timed(id="fresh0001")).execute()
    delta = cal.events().list(calendarId="primary", syncToken=token).execute()
    by_id = {i["id"]: i for i in delta["items"]}
    assert set(by_id) == {"evt00001", "evt00002", "fresh0001"}
    assert by_id["evt00001"]["summary"] == "moved"
    assert set(by_id["evt00002"]) == {"kind", "etag", "id", "status"}
    assert by_id["evt00002"]["status"] == "cancelled"
    full = cal.events().list(calendarId="primary", syncToken=token, showDeleted=True).execute()
    assert {i["id"]: i for i in full["items"]}["evt00002"]["summary"] == "e2"
    after = cal.events().list(calendarId="primary", syncToken=delta["nextSyncToken"]).execute()
    assert after["items"] == []


def test_paged_delta_keeps_the_sync_token_on_every_page(service, cal):
    _insert_many(service, cal, 3)
    _, token = _pages(cal)
    _insert_many(service, cal, 7, prefix="neo")
    pages, next_token = _pages(cal, syncToken=token, maxResults=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert cal.events().list(calendarId="primary", syncToken=next_token).execute()["items"] == []


@pytest.mark.parametrize("mangle", [lambda t: "x" + t, lambda t: t[:-1], lambda t: "garbage"])
def test_unknown_or_tampered_sync_token_is_410(service, cal, mangle):
    _, token = _pages(cal)
    call = cal.events().list(calendarId="primary", syncToken=mangle(token))
    assert _reason(call) == (410, "fullSyncRequired")


def test_invalidated_and_foreign_tokens_are_410(service, cal, client_factory):
    _, token = _pages(cal)
    other = client_factory(service.add_account("b@studio.example"))
    assert _reason(other.events().list(calendarId="primary", syncToken=token)) == (410, "fullSyncRequired")
    _, single_token = _pages(cal, singleEvents=True)
    call = cal.events().list(calendarId="primary", syncToken=single_token)
    assert _reason(call) == (410, "fullSyncRequired")
    service.invalidate_sync_tokens()
    assert _reason(cal.events().list(calendarId="primary", syncToken=token)) == (410, "fullSyncRequired")
    service.purge_tombstones()
    _, fresh = _pages(cal)
    assert cal.events().list(calendarId="primary", syncToken=fresh).execute()["items"] == []


@pytest.mark.parametrize("extra", [{"timeMin": "2026-01-01T00:00:00Z"}, {"timeMax": "2026-01-01T00:00:00Z"},
                                   {"q": "x"}, {"orderBy": "updated"}, {"updatedMin": "2026-01-01T00:00:00Z"},
                                   {"iCalUID": "x@y"}, {"privateExtendedProperty": "a=b"}])
def test_sync_token_with_forbidden_parameters_is_400(service, cal, extra):
    _, token = _pages(cal)
    assert _reason(cal.events().list(calendarId="primary", syncToken=token, **extra))[0] == 400


def test_bad_page_token_and_parameters_are_400(service, cal):
    _insert_many(service, cal, 3)
    first = cal.events().list(calendarId="primary", maxResults=1).execute()
    assert _reason(cal.events().list(calendarId="primary", pageToken="nonsense"))[0] == 400
    # a page token belongs to its query
    assert _reason(cal.events().list(calendarId="primary", pageToken=first["nextPageToken"],
                                     showDeleted=True))[0] == 400
    assert _reason(cal.events().list(calendarId="primary", orderBy="startTime")) == (400, "invalid")
    assert _reason(cal.events().list(calendarId="primary", timeMin="2026-03-02T00:00:00Z",
                                     timeMax="2026-03-01T00:00:00Z")) == (400, "timeRangeEmpty")


def test_time_window_and_show_deleted(service, cal):
    for day in (5, 10, 15):
        body = timed(f"d{day}", day=day, id=f"dai{day:05d}")
        cal.events().insert(calendarId="primary", body=body).execute()
    cal.events().delete(calendarId="primary", eventId="dai00015").execute()
    window = cal.events().list(calendarId="primary", timeMin="2026-03-09T00:00:00Z",
                               timeMax="2026-03-20T00:00:00Z").execute()
    assert [i["id"] for i in window["items"]] == ["dai00010"]
    # overlap semantics: timeMin bounds the end, timeMax the start (exclusive)
    def overlapping(time_min: str, time_max: str) -> list[str]:
        found = cal.events().list(calendarId="primary", timeMin=time_min, timeMax=time_max).execute()
        return [i["id"] for i in found["items"]]

    assert overlapping("2026-03-10T15:59:00Z", "2026-03-10T16:30:00Z") == ["dai00010"]
    assert overlapping("2026-03-10T16:00:00Z", "2026-03-10T16:30:00Z") == []  # ends at timeMin
    assert overlapping("2026-03-10T14:00:00Z", "2026-03-10T15:00:00Z") == []  # starts at timeMax
    shown = cal.events().list(calendarId="primary", showDeleted=True).execute()
    assert {i["id"]: i["status"] for i in shown["items"]}["dai00015"] == "cancelled"


def test_filters_q_ical_uid_and_private_properties(service, cal):
    cal.events().insert(calendarId="primary", body=timed("Wedding", id="mar000001", iCalUID="w@s",
                        extendedProperties={"private": {"syncengine_uid": "A1"}})).execute()
    cal.events().insert(calendarId="primary", body=timed("Portrait", id="por000001")).execute()
    def ids(**kw):
        return [i["id"] for i in cal.events().list(calendarId="primary", **kw).execute()["items"]]
    assert ids(q="wedd") == ["mar000001"]
    assert ids(iCalUID="w@s") == ["mar000001"]
    assert ids(privateExtendedProperty="syncengine_uid=A1") == ["mar000001"]


def test_single_events_expands_a_series(service, cal):
    series = cal.events().insert(calendarId="primary", body={
        "id": "series001", "summary": "Weekly class",
        "start": {"dateTime": "2026-03-02T10:00:00-06:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": "2026-03-02T11:00:00-06:00", "timeZone": "America/Chicago"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=America/Chicago:20260316T100000"],
    }).execute()
    items = cal.events().list(calendarId="primary", singleEvents=True, orderBy="startTime").execute()["items"]
    assert [i["id"] for i in items] == ["series001_20260302T160000Z", "series001_20260309T150000Z",
                                        "series001_20260323T150000Z"]
    # DST starts on 8 March: the class stays at 10:00 local
    assert [i["start"]["dateTime"][11:16] for i in items] == ["10:00", "10:00", "10:00"]
    assert all(i["recurringEventId"] == "series001" and "recurrence" not in i for i in items)
    assert items[1]["originalStartTime"] == items[1]["start"]
    masters = cal.events().list(calendarId="primary").execute()["items"]
    assert [m["id"] for m in masters] == ["series001"] and masters[0]["recurrence"] == series["recurrence"]
    window = cal.events().list(calendarId="primary", singleEvents=True, timeMin="2026-03-08T00:00:00Z",
                               timeMax="2026-03-20T00:00:00Z").execute()["items"]
    assert [i["id"] for i in window] == ["series001_20260309T150000Z"]
    paged, _ = _pages(cal, singleEvents=True, maxResults=2)
    assert [len(p) for p in paged] == [2, 1]


def test_editing_and_cancelling_one_instance(service, cal):
    cal.events().insert(calendarId="primary", body={
        "id": "class0001", "summary": "Class", "start": {"date": "2026-05-01"}, "end": {"date": "2026-05-02"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}).execute()
    instance = cal.events().get(calendarId="primary", eventId="class0001_20260502").execute()
    assert instance["recurringEventId"] == "class0001" and instance["start"] == {"date": "2026-05-02"}
    cal.events().patch(calendarId="primary", eventId="class0001_20260502",
                       body={"summary": "Moved"}).execute()
    cal.events().delete(calendarId="primary", eventId="class0001_20260503").execute()
    items = cal.events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert [(i["id"], i["summary"]) for i in items] == [("class0001_20260501", "Class"),
                                                        ("class0001_20260502", "Moved")]
    instances = cal.events().instances(calendarId="primary", eventId="class0001").execute()["items"]
    assert [i["summary"] for i in instances] == ["Class", "Moved"]


def test_order_by_updated_pages(service, cal):
    _insert_many(service, cal, 5)
    cal.events().patch(calendarId="primary", eventId="evt00000", body={"summary": "last"}).execute()
    pages, _ = _pages(cal, orderBy="updated", maxResults=2)
    flat = [i["id"] for page in pages for i in page]
    assert len(flat) == 5 and flat[-1] == "evt00000"


def test_updated_min_includes_deleted_events(service, cal):
    _insert_many(service, cal, 3)
    cal.events().delete(calendarId="primary", eventId="evt00001").execute()
    recent = cal.events().list(calendarId="primary", updatedMin="2000-01-01T00:00:00Z").execute()["items"]
    assert {i["id"]: i["status"] for i in recent} == {"evt00000": "confirmed", "evt00001": "cancelled",
                                                     "evt00002": "confirmed"}
    assert cal.events().list(calendarId="primary", updatedMin="2999-01-01T00:00:00Z").execute()["items"] == []


def test_single_events_delta_carries_the_instances_of_a_changed_series(service, cal):
    cal.events().insert(calendarId="primary", body={
        "id": "serie0002", "summary": "Weekly", "start": {"date": "2026-06-01"},
        "end": {"date": "2026-06-02"}, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}).execute()
    pages, token = _pages(cal, singleEvents=True, showDeleted=True)
    assert len(pages[0]) == 3
    cal.events().patch(calendarId="primary", eventId="serie0002", body={"summary": "Renamed"}).execute()
    delta = cal.events().list(calendarId="primary", singleEvents=True, showDeleted=True,
                              syncToken=token).execute()
    assert [(i["id"], i["summary"]) for i in delta["items"]] == [
        (f"serie0002_202606{day:02d}", "Renamed") for day in (1, 8, 15)]
    cal.events().delete(calendarId="primary", eventId="serie0002").execute()
    gone = cal.events().list(calendarId="primary", singleEvents=True,
                             syncToken=delta["nextSyncToken"]).execute()
    assert {i["status"] for i in gone["items"]} == {"cancelled"} and len(gone["items"]) == 3
    assert all(i["recurringEventId"] == "serie0002" for i in gone["items"])


def test_cancelled_occurrence_shows_as_an_exception_without_single_events(service, cal):
    cal.events().insert(calendarId="primary", body={
        "id": "dail00001", "summary": "Daily", "start": {"date": "2026-07-01"}, "end": {"date": "2026-07-02"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"]}).execute()
    cal.events().delete(calendarId="primary", eventId="dail00001_20260702").execute()
    items = cal.events().list(calendarId="primary").execute()["items"]
    assert [(i["id"], i["status"]) for i in items] == [("dail00001", "confirmed"),
                                                      ("dail00001_20260702", "cancelled")]
    assert items[1]["recurringEventId"] == "dail00001"
    assert items[1]["originalStartTime"] == {"date": "2026-07-02"}


def test_order_by_updated_with_a_window_and_a_series(service, cal):
    cal.events().insert(calendarId="primary", body=timed(id="plain0001")).execute()
    series = timed(id="rule00001", recurrence=["RRULE:FREQ=DAILY;COUNT=3"])
    cal.events().insert(calendarId="primary", body=series).execute()
    items = cal.events().list(calendarId="primary", orderBy="updated", timeMin="2026-03-01T00:00:00Z",
                              timeMax="2026-04-01T00:00:00Z").execute()["items"]
    assert [i["id"] for i in items] == ["plain0001", "rule00001"]


def test_purging_tombstones_expires_only_the_tokens_that_needed_them(service, cal):
    _insert_many(service, cal, 3)
    _, old_token = _pages(cal)
    cal.events().delete(calendarId="primary", eventId="evt00001").execute()
    _, new_token = _pages(cal)
    assert service.purge_tombstones() == 1
    with pytest.raises(HttpError):
        cal.events().get(calendarId="primary", eventId="evt00001").execute()
    call = cal.events().list(calendarId="primary", syncToken=old_token)
    assert _reason(call) == (410, "fullSyncRequired")  # it would have had to report the deletion
    assert cal.events().list(calendarId="primary", syncToken=new_token).execute()["items"] == []
    old = cal.events().list(calendarId="primary", updatedMin="2000-01-01T00:00:00Z")
    assert _reason(old) == (410, "updatedMinTooLongAgo")
    assert service.purge_tombstones(timedelta(days=1)) == 0


def test_short_pages_when_the_server_says_so(service, cal):
    _insert_many(service, cal, 7)
    service.max_page_size = 3
    pages, _ = _pages(cal, maxResults=2500)
    assert [len(p) for p in pages] == [3, 3, 1]
