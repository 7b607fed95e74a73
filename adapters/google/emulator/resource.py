"""The event resource: validation, server-owned fields, patch merging, tombstones.

Pure functions on JSON dicts (no store, no clock: the caller passes ``now_ms`` and the change number), so
the rules Google applies to an event body are in one place:

- client ids are base32hex (``0-9a-v``), 5 to 1024 characters, else 400 ``invalid``;
- ``start``/``end`` are required on insert, update and import; a ``dateTime`` without an offset needs a
  ``timeZone``; a recurring event needs ``start.timeZone`` (its rule is expanded in that zone);
- fields the server owns (``etag``, ``updated``, ``created``, ``iCalUID``...) are set here; every other
  field the client sends is kept verbatim, so unknown fields round-trip;
- PATCH merges objects key by key, replaces arrays whole, and ``null`` removes a field.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.google.emulator.errors import ApiError, bad_request, required

ID_PATTERN = re.compile(r"[a-v0-9]{5,1024}")
#: fields a client cannot change with update or patch (they come from the stored event)
READ_ONLY = ("id", "kind", "created", "creator", "organizer", "iCalUID", "recurringEventId",
             "originalStartTime", "htmlLink", "eventType")
#: a change to one of these bumps ``sequence`` (they are what an invitee's copy would need to follow)
SIGNIFICANT = ("start", "end", "recurrence", "status")
MAX_PROPERTY_KEY = 44
MAX_PROPERTY_VALUE = 1024


def new_event_id() -> str:
    """A server-chosen id: 26 base32hex characters, like Google's."""
    return base64.b32hexencode(secrets.token_bytes(16)).decode("ascii").lower().rstrip("=")


def check_client_id(value: Any) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise bad_request("Invalid resource id value.", location="id")
    return value


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise bad_request(f"Invalid time zone definition: {name}", location="timeZone") from exc


def rfc3339_ms(ms: int) -> str:
    """``updated``/``created`` as Google writes them: UTC with milliseconds and ``Z``."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_datetime(text: Any, field: str, tz_name: str | None = None) -> datetime:
    """An aware datetime from RFC 3339 text; a missing offset is read in ``tz_name``."""
    if not isinstance(text, str):
        raise bad_request(f"Invalid value for {field}.", location=field)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise bad_request(f"Invalid value for {field}: {text}", location=field) from exc
    if value.tzinfo is None:
        if not tz_name:
            raise bad_request(f"Missing time zone definition for {field}.", location=field)
        value = value.replace(tzinfo=zone(tz_name))
    return value


def parse_date(text: Any, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Invalid value for {field}: {text}", location=field) from exc


def event_moment(edt: Any, field: str, calendar_tz: str) -> datetime:
    """The instant an EventDateTime stands for; an all-day date is midnight in the calendar's zone."""
    if not isinstance(edt, dict) or not ("date" in edt or "dateTime" in edt):
        raise required(f"{field} time")
    if edt.get("timeZone") is not None:
        zone(edt["timeZone"])
    if edt.get("dateTime") is not None:
        return parse_datetime(edt["dateTime"], f"{field}.dateTime", edt.get("timeZone"))
    day = parse_date(edt.get("date"), f"{field}.date")
    return datetime.combine(day, time(0), zone(calendar_tz))


def check_times(body: dict[str, Any], calendar_tz: str) -> tuple[float, float]:
    """Validate ``start``/``end``; returns their instants as UTC timestamps."""
    start_edt, end_edt = body.get("start"), body.get("end")
    start = event_moment(start_edt, "start", calendar_tz)
    end = event_moment(end_edt, "end", calendar_tz)
    assert isinstance(start_edt, dict) and isinstance(end_edt, dict)
    if ("date" in start_edt) != ("date" in end_edt):
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if end < start:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar",
                       location="end")
    if body.get("recurrence"):
        if not isinstance(body["recurrence"], list):
            raise bad_request("Invalid recurrence rule.", location="recurrence")
        if "dateTime" in start_edt and not start_edt.get("timeZone"):
            raise bad_request("Missing time zone definition for start time.", location="start.timeZone")
    return start.timestamp(), end.timestamp()


def clean_properties(body: dict[str, Any]) -> None:
    """Apply Google's extendedProperties limits: long keys dropped, long values cut, totals capped."""
    props = body.get("extendedProperties")
    if props is None:
        return
    if not isinstance(props, dict):
        raise bad_request("Invalid extendedProperties.", location="extendedProperties")
    count = size = 0
    for scope in ("private", "shared"):
        values = props.get(scope)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise bad_request(f"Invalid extendedProperties.{scope}.", location="extendedProperties")
        kept: dict[str, Any] = {}
        for key, value in values.items():
            if value is None or len(key) > MAX_PROPERTY_KEY:
                continue
            text = value if isinstance(value, str) else str(value)
            kept[key] = text[:MAX_PROPERTY_VALUE]
            count += 1
            size += len(key) + len(kept[key])
        props[scope] = kept
    if count > 300 or size > 32 * 1024:
        raise bad_request("Too many extended properties.", location="extendedProperties")


def merge_patch(stored: Any, patch: Any) -> Any:
    """PATCH semantics: objects merge per key, arrays and scalars replace, ``None`` deletes."""
    if not isinstance(stored, dict) or not isinstance(patch, dict):
        return patch
    merged = dict(stored)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def new_sequence(stored: dict[str, Any] | None, body: dict[str, Any]) -> int:
    """The ``sequence`` after a write; a value below the stored one is refused like Google does."""
    current = int(stored.get("sequence", 0)) if stored else 0
    sent = body.get("sequence")
    if sent is not None:
        if not isinstance(sent, int) or sent < current:
            raise bad_request(
                "Invalid sequence value. The specified sequence number is below the current sequence "
                "number of the resource. Re-fetch the resource and use its sequence number on the "
                "following request.",
                location="sequence",
            )
        current = sent
    changed = stored is not None and any(
        stored.get(name, _DEFAULTS.get(name)) != body.get(name, _DEFAULTS.get(name)) for name in SIGNIFICANT)
    if changed and sent in (None, (stored or {}).get("sequence", 0)):
        current += 1
    return current


_DEFAULTS: dict[str, Any] = {"status": "confirmed"}


def stamp(body: dict[str, Any], *, seq: int, now_ms: int, owner: str, event_id: str,
          created: str | None) -> dict[str, Any]:
    """Set the server-owned fields on a body that is about to be stored."""
    updated = rfc3339_ms(now_ms)
    body["kind"] = "calendar#event"
    # A quoted opaque string that differs after every write: the change number makes it unique even
    # when two writes land in the same millisecond.
    body["etag"] = f'"{now_ms * 1000 + seq % 1000}"'
    body["id"] = event_id
    body.setdefault("status", "confirmed")
    body["created"] = created or updated
    body["updated"] = updated
    body.setdefault("iCalUID", f"{event_id}@google.com")
    person = {"email": owner, "self": True}
    body.setdefault("creator", person)
    body.setdefault("organizer", person)
    body.setdefault("htmlLink", f"https://calendar.google.com/calendar/event?eid={event_id}")
    body.setdefault("reminders", {"useDefault": True})
    body.setdefault("eventType", "default")
    return body


def keep_read_only(new: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """Carry the fields a client cannot change from the stored event into the new body."""
    for name in READ_ONLY:
        if name in stored:
            new[name] = stored[name]
        else:
            new.pop(name, None)
    return new


def tombstone(body: dict[str, Any]) -> dict[str, Any]:
    """The minimal shape of a deleted event in an incremental list."""
    out = {"kind": "calendar#event", "etag": body["etag"], "id": body["id"], "status": "cancelled"}
    for name in ("recurringEventId", "originalStartTime"):
        if name in body:
            out[name] = body[name]
    return out

