"""Appointment <-> Calendar event body, both ways.

What an event holds (design "What an event holds"):

- ``summary`` is the title, ``location`` the location;
- ``description`` is the studio notes, then a blank line, the marker line and the studio-owned details
  block (``Client: …``, ``Type: …``, ``Session: …``, empty ones left out).  Reading back, the text above
  the *last* marker line is the notes and the block is parsed into client / type / session, so edits made
  on the calendar above the marker flow back as notes while the block stays the studio's;
- timed events carry ``{"dateTime": <ISO in the studio zone>, "timeZone": <studio zone>}``: the explicit
  zone is what keeps an appointment in place when a user changes (or travels with) their calendar's zone.
  Reading back always yields the instant, whatever offset or zone the server rendered it in;
- all-day events carry ``{"date": …}`` with the end exclusive, as the model does;
- ``extendedProperties.private`` carries ``syncengine_uid`` (the studio uid, verbatim) and
  ``syncengine_studio``.  An event is *ours* when both are there and the studio matches.

Round trip: for every appointment ``a``, ``entry_from_event(event_body(a, …), …).appointment`` has the same
``fingerprint(CALENDAR_FIELDS)`` as ``a`` (a property test holds this).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncengine.model import Appointment, Assignment, Status
from syncengine.ports import CalendarEntry

UID_KEY = "syncengine_uid"
STUDIO_KEY = "syncengine_studio"
MARKER = "── studio details (managed by syncengine; edits below this line are replaced) ──"
_BLOCK_LABELS = (("client", "Client"), ("type", "Type"), ("session", "Session"))
_STATUSES: tuple[Status, ...] = ("confirmed", "tentative", "cancelled")


class UnreadableEvent(ValueError):
    """An event without usable start/end (a minimal tombstone, or a malformed server reply)."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC for an unknown name (a server may send anything)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# --- writing ---------------------------------------------------------------------------------------------


def compose_description(notes: str, client: str = "", type_: str = "", session: str = "") -> str:
    """The event description: notes, then the marker line and the studio details block."""
    values = (client, type_, session)
    block = [f"{label}: {value}" for value, (_, label) in zip(values, _BLOCK_LABELS, strict=True) if value]
    # Without a block the marker is only needed when the notes themselves contain it: the reader takes the
    # text above the *last* marker as the notes, so a marker-bearing note must be followed by one.
    if not block and MARKER not in notes:
        return notes
    head = f"{notes}\n\n" if notes else ""
    return head + "\n".join([MARKER, *block])


def event_time(value: datetime | date, all_day: bool, studio_zone: str) -> dict[str, str]:
    """An EventDateTime: a ``date`` for all-day, else ``dateTime`` in the studio zone plus ``timeZone``."""
    if all_day or not isinstance(value, datetime):
        day = value.date() if isinstance(value, datetime) else value
        return {"date": day.isoformat()}
    local = value.astimezone(zone(studio_zone)).replace(microsecond=0)
    return {"dateTime": local.isoformat(), "timeZone": studio_zone}


def event_body(
    appointment: Appointment, studio: str, studio_zone: str, event_id: str | None = None
) -> dict[str, Any]:
    """The Calendar event resource for ``appointment`` (``id`` included when given)."""
    body: dict[str, Any] = {
        "summary": appointment.title,
        "description": compose_description(
            appointment.description, appointment.client, appointment.type, appointment.session
        ),
        "start": event_time(appointment.start, appointment.all_day, studio_zone),
        "end": event_time(appointment.end, appointment.all_day, studio_zone),
        "status": appointment.status,
        "extendedProperties": {"private": {UID_KEY: appointment.uid, STUDIO_KEY: studio}},
    }
    if appointment.location:
        body["location"] = appointment.location
    if event_id is not None:
        body["id"] = event_id
    return body


#: the fields :func:`event_body` owns; everything else on a stored event (reminders, colour, attendees the
#: user added) is kept when the studio rewrites it.
OWNED_FIELDS = ("summary", "description", "start", "end", "status", "location")


def merge_body(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``wanted`` laid over a stored event, keeping fields the studio does not own (for a full update)."""
    keep_out = {"etag", "updated", "created", "sequence", "htmlLink", "kind", "iCalUID", "id", *OWNED_FIELDS}
    merged = {k: v for k, v in stored.items() if k not in keep_out}
    merged.update({k: v for k, v in wanted.items() if k != "extendedProperties"})
    props = dict(cast(Mapping[str, Any], stored.get("extendedProperties") or {}))
    private = dict(cast(Mapping[str, str], props.get("private") or {}))
    private.update(wanted.get("extendedProperties", {}).get("private", {}))
    props["private"] = private
    merged["extendedProperties"] = props
    return merged


# --- reading ---------------------------------------------------------------------------------------------


def split_description(text: str) -> tuple[str, dict[str, str]]:
    """``(notes, {"client": …, "type": …, "session": …})`` from an event description."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    marker_at = [i for i, line in enumerate(lines) if line.strip() == MARKER]
    if not marker_at:
        return text, {}
    cut = marker_at[-1]
    block: dict[str, str] = {}
    for line in lines[cut + 1:]:
        for name, label in _BLOCK_LABELS:
            prefix = f"{label}:"
            if line.startswith(prefix) and name not in block:
                block[name] = line[len(prefix):].strip()
    return "\n".join(lines[:cut]), block


def parse_time(value: Mapping[str, Any] | None, studio_zone: str) -> tuple[datetime | date, bool]:
    """``(value, all_day)`` from an EventDateTime; timed values become aware datetimes in the studio zone."""
    if not value:
        raise UnreadableEvent("missing start or end")
    if value.get("date"):
        return date.fromisoformat(str(value["date"])), True
    if not value.get("dateTime"):
        raise UnreadableEvent("start or end has neither date nor dateTime")
    moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        # RFC 3339 allows a bare local time when timeZone names the zone it is in.
        moment = moment.replace(tzinfo=zone(str(value.get("timeZone") or "UTC")))
    return moment.astimezone(zone(studio_zone)), False


def parse_updated(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _status(value: str) -> Status:
    for status in _STATUSES:
        if value == status:
            return status
    return "confirmed"


def is_ours(event: Mapping[str, Any], studio: str) -> bool:
    """Whether the event carries our uid marker for this studio."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return bool(private.get(UID_KEY)) and private.get(STUDIO_KEY) == studio


def appointment_from_event(
    event: Mapping[str, Any], studio: str, studio_zone: str, user_id: str, event_id: str | None = None
) -> tuple[Appointment, bool]:
    """``(appointment, ours)`` for one event resource."""
    eid = event_id or str(event.get("id", ""))
    ours = is_ours(event, studio)
    private = (event.get("extendedProperties") or {}).get("private") or {}
    uid = str(private[UID_KEY]) if ours else f"google-{eid}"
    start, all_day = parse_time(event.get("start"), studio_zone)
    end, end_all_day = parse_time(event.get("end") or event.get("start"), studio_zone)
    if all_day != end_all_day:
        raise UnreadableEvent(f"event {eid}: start and end disagree on all-day")
    if end < start:
        end = start
    notes, block = split_description(str(event.get("description") or ""))
    status = str(event.get("status") or "confirmed")
    appointment = Appointment(
        uid=uid,
        title=str(event.get("summary") or ""),
        start=start,
        end=end,
        timezone=studio_zone,
        all_day=all_day,
        location=str(event.get("location") or ""),
        description=notes,
        status=_status(status),
        client=block.get("client", ""),
        type=block.get("type", ""),
        session=block.get("session", ""),
        assigned=() if ours else (Assignment(user_id, "assigned"),),
    )
    return appointment, ours


def entry_from_event(
    event: Mapping[str, Any], studio: str, studio_zone: str, user_id: str,
    *, event_id: str | None = None, series_id: str | None = None,
) -> CalendarEntry:
    """The :class:`CalendarEntry` for one event resource."""
    appointment, ours = appointment_from_event(event, studio, studio_zone, user_id, event_id)
    return CalendarEntry(
        event_id=event_id or str(event["id"]),
        etag=str(event.get("etag") or ""),
        appointment=appointment,
        ours=ours,
        updated=parse_updated(event.get("updated")),
        series_id=series_id,
    )


def occurrence_id(series_id: str, start: datetime | date) -> str:
    """Google's instance id: ``<series>_<UTC basic datetime>``, or ``<series>_<YYYYMMDD>`` for all-day."""
    if isinstance(start, datetime):
        return f"{series_id}_{start.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    return f"{series_id}_{start.strftime('%Y%m%d')}"


def day_bounds(window_start: date, window_end: date, studio_zone: str) -> tuple[datetime, datetime]:
    """The window as aware instants: from the start of ``window_start`` to the end of ``window_end``."""
    tz = zone(studio_zone)
    low = datetime.combine(window_start, datetime.min.time(), tz)
    high = datetime.combine(window_end + timedelta(days=1), datetime.min.time(), tz)
    return low, high
