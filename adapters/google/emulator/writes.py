"""Event reads and writes: get, insert, import, update (PUT), patch, delete, instances.

Google's rules, as a sync client meets them:

- a client-chosen id that exists, even as a deleted event, answers 409 ``duplicate``;
- a deleted event is a tombstone: ``get`` still returns it with ``status: cancelled``, a second delete
  answers 410 ``deleted``, and an update (or patch) with a live status brings it back;
- ``If-Match`` with an etag other than the current one answers 412 ``conditionNotMet``;
- every write takes a new change number, etag and ``updated``; ``sequence`` moves when times, recurrence
  or status change;
- an instance id (``<seriesId>_<stamp>``) names one occurrence of a series; writing it stores an
  exception that replaces that occurrence.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from adapters.google.emulator.calls import ApiResponse, Call
from adapters.google.emulator.errors import ApiError, bad_request, condition_not_met, not_found, required
from adapters.google.emulator.listing import page_size
from adapters.google.emulator.recurrence import check_rules, expand
from adapters.google.emulator.resource import (
    check_client_id,
    check_times,
    clean_properties,
    keep_read_only,
    merge_patch,
    new_event_id,
    new_sequence,
    parse_datetime,
    rfc3339_ms,
    stamp,
)
from adapters.google.emulator.store import EventRow, dumps

if TYPE_CHECKING:
    from adapters.google.emulator.api import CalendarApi


def _response(text: str) -> ApiResponse:
    return ApiResponse.json(text)


def _virtual_instance(api: CalendarApi, call: Call, event_id: str) -> dict[str, Any] | None:
    """The body of one occurrence of a stored series, when ``event_id`` names one."""
    series_id, sep, _ = event_id.partition("_")
    if not sep:
        return None
    series = api.store.event(call.calendar_id, series_id)
    if series is None or not series.recurring:
        return None
    for instance in expand(series.body(), call.time_zone):
        if instance.body["id"] == event_id:
            return instance.body
    return None


def _current(api: CalendarApi, call: Call, event_id: str) -> tuple[EventRow | None, dict[str, Any]]:
    """(stored row or None for a not-yet-stored occurrence, its body); 404 when neither exists."""
    row = api.store.event(call.calendar_id, event_id)
    if row is not None:
        return row, row.body()
    instance = _virtual_instance(api, call, event_id)
    if instance is None:
        raise not_found()
    return None, instance


def _check_if_match(call: Call, stored: dict[str, Any]) -> None:
    wanted = call.headers.get("if-match")
    if wanted is not None and wanted.strip() not in ("*", stored.get("etag")):
        raise condition_not_met()


def _save(api: CalendarApi, call: Call, body: dict[str, Any], row: EventRow | None,
          stored: dict[str, Any] | None) -> str:
    """Validate and store ``body`` as the new version of an event (``row`` None: a new row)."""
    bounds = check_times(body, call.time_zone)
    clean_properties(body)
    if body.get("recurrence"):
        check_rules(body, call.time_zone)
    body["sequence"] = new_sequence(stored, body)
    seq = api.store.next_seq()
    now = api.store.now_ms()
    stamp(body, seq=seq, now_ms=now, owner=call.account, event_id=body["id"],
          created=(stored or {}).get("created"))
    cancelled = body.get("status") == "cancelled"
    deleted_seq = (row.deleted_seq if row and row.status == "cancelled" else seq) if cancelled else None
    return api.store.put_event(call.calendar_id, body, created_seq=row.created_seq if row else seq,
                               seq=seq, deleted_seq=deleted_seq, bounds=bounds)


def get(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    row, body = _current(api, call, args[0])
    etag = row.body()["etag"] if row else body.get("etag")
    if call.headers.get("if-none-match") == etag:
        return ApiResponse(304)
    return _response(row.text if row else dumps(body))


def insert(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    body = call.body()
    event_id = check_client_id(body["id"]) if body.get("id") is not None else new_event_id()
    if api.store.event(call.calendar_id, event_id) is not None:
        raise ApiError(409, "duplicate", "The requested identifier already exists.")
    for name in ("etag", "created", "updated", "htmlLink", "kind", "recurringEventId", "originalStartTime"):
        body.pop(name, None)
    body["id"] = event_id
    body.setdefault("sequence", 0)
    return _response(_save(api, call, body, None, None))


def import_(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    body = call.body()
    if not body.get("iCalUID"):
        raise required("iCalUID")
    existing = api.store.event_by_ical_uid(call.calendar_id, str(body["iCalUID"]))
    if existing is not None:
        # importing a known iCalUID again updates that copy (a lower sequence is refused)
        stored = existing.body()
        body["id"] = existing.id
        for name in ("created", "creator", "kind", "etag", "htmlLink"):
            body[name] = stored.get(name)
        body = {k: v for k, v in body.items() if v is not None}
        return _response(_save(api, call, body, existing, stored))
    event_id = check_client_id(body["id"]) if body.get("id") is not None else new_event_id()
    if api.store.event(call.calendar_id, event_id) is not None:
        raise ApiError(409, "duplicate", "The requested identifier already exists.")
    for name in ("etag", "created", "updated", "htmlLink", "kind"):
        body.pop(name, None)
    body["id"] = event_id
    body.setdefault("sequence", 0)
    return _response(_save(api, call, body, None, None))


def update(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    row, stored = _current(api, call, args[0])
    _check_if_match(call, stored)
    body = keep_read_only(call.body(), stored)
    # a full replacement: an omitted status means confirmed, which is how a deleted event comes back
    body.setdefault("status", "confirmed")
    return _response(_save(api, call, body, row, stored))


def patch(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    row, stored = _current(api, call, args[0])
    _check_if_match(call, stored)
    changes = call.body()
    changes.pop("id", None)
    body = keep_read_only(merge_patch(copy.deepcopy(stored), changes), stored)
    if "sequence" not in changes:
        body["sequence"] = stored.get("sequence", 0)
    return _response(_save(api, call, body, row, stored))


def delete(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    row, stored = _current(api, call, args[0])
    if stored.get("status") == "cancelled":
        raise ApiError(410, "deleted", "Resource has been deleted")
    _check_if_match(call, stored)
    body = copy.deepcopy(stored)
    body["status"] = "cancelled"
    _save(api, call, body, row, stored)
    return ApiResponse(204)


def instances(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    """``events.instances``: one series expanded (exceptions in place), in start order, one page."""

    row = api.store.event(call.calendar_id, args[0])
    if row is None:
        raise not_found()
    if not row.recurring:
        raise bad_request("The event is not a recurring event.", location="eventId")
    bounds = [None if call.param(n) is None else parse_datetime(call.param(n), n).timestamp()
              for n in ("timeMin", "timeMax")]
    show_deleted = (call.param("showDeleted") or "").lower() == "true"
    found = expand(row.body(), call.time_zone, time_min=bounds[0], time_max=bounds[1])
    items: list[tuple[float, str, str]] = []
    for instance in found:
        stored = api.store.event(call.calendar_id, instance.body["id"])
        if stored is None:
            items.append((instance.start_ts, instance.body["id"], dumps(instance.body)))
        elif stored.status != "cancelled" or show_deleted:
            items.append((stored.start_ts or instance.start_ts, stored.id, stored.text))
    items.sort()
    offset = int(call.param("pageToken") or 0) if (call.param("pageToken") or "0").isdigit() else 0
    size = page_size(call.params)
    page = items[offset: offset + size]
    head: dict[str, Any] = {"kind": "calendar#events", "etag": row.body()["etag"],
                            "summary": call.calendar.get("summary", ""), "timeZone": call.time_zone,
                            "updated": rfc3339_ms(api.store.now_ms()), "accessRole": "owner",
                            "defaultReminders": []}
    if offset + size < len(items):
        head["nextPageToken"] = str(offset + size)
    text = dumps(head)[:-1] + ',"items":[' + ",".join(t for _, _, t in page) + "]}"
    return ApiResponse.json(text)
