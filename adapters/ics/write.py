"""Writing ICS: whole calendars, outbox files, and in-place updates of an existing file.

Every appointment becomes one VEVENT with the mapping of :mod:`adapters.ics.parse`; timed events carry
``TZID`` of the appointment's zone and the calendar gets the matching VTIMEZONEs (Outlook needs them).
Properties kept in ``extra`` are written back verbatim.  Outbox files mark each event with
``X-SYNCENGINE-ACTION`` (created / updated / cancelled); a cancellation is ``STATUS:CANCELLED``.

In place (:func:`apply_in_place`), an existing VEVENT keeps everything this module does not own: its
other properties (ATTENDEE, ORGANIZER, X- properties, ...), its alarms, and the other events of the
file.  Only the fields a calendar may change are replaced (title, times, location, description,
status); DTSTAMP is renewed and SEQUENCE, when present, goes up by one.  An occurrence of a series
(uid ``UID/<instant>``) is written as a RECURRENCE-ID override of that series.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Component, Event, vText

from adapters._combine import shown_after
from adapters.ics.parse import KNOWN, STAFF_PROPERTIES, VOLATILE, split_occurrence
from syncengine.config.model import StudioConfig
from syncengine.model import Appointment
from syncengine.ports import StudioChange

PRODID = "-//syncengine//studio sync//EN"
_PROPERTY = re.compile(r"^[A-Za-z0-9-]+(;.*)?$")
_NEWLINE = re.compile(r"[\r\n]")
_OWNED = ("SUMMARY", "DTSTART", "DTEND", "DURATION", "LOCATION", "DESCRIPTION", "STATUS")


def new_calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    return calendar


def event_for(appointment: Appointment, studio: StudioConfig, action: str | None = None) -> Component:
    """A VEVENT holding every canonical field of ``appointment`` (and its ``extra``, see :func:`_extras`)."""
    event = _extras(appointment.extra)
    uid, instant = split_occurrence(appointment.uid)
    event.add("uid", appointment.uid if not instant else uid)
    if instant:
        event.add("recurrence-id", _instant_value(instant, appointment, studio))
    _set_owned(event, appointment, studio)
    if appointment.type:
        event.add("categories", [appointment.type])
    if appointment.resources:
        event.add("resources", ",".join(appointment.resources))
    for name, value in (
        ("X-SYNCENGINE-CLIENT", appointment.client),
        ("X-SYNCENGINE-SESSION", appointment.session),
    ):
        if value:
            event.add(name, vText(value))
    names = {u.id: u.name for u in studio.users}
    for prop, role in STAFF_PROPERTIES:
        people = [names.get(a.user, a.user) for a in appointment.assigned if a.role == role]
        if people:
            event.add(prop, vText("; ".join(people)))
    if action:
        event.add("X-SYNCENGINE-ACTION", action)
    return event


def _extras(extra: Sequence[tuple[str, str]]) -> Component:
    """A VEVENT holding ``extra``: iCalendar properties verbatim, anything else as an X- property.

    Extras read from an ICS file are ("NAME;PARAMS", raw value) and go back as they were.  Extras from
    a CSV export are (column header, cell): a header is no property name and a cell may hold newlines,
    so "Booked By" becomes ``X-BOOKED-BY`` with an escaped text value.
    """
    verbatim: list[str] = []
    converted: list[tuple[str, str]] = []
    for key, value in extra:
        name = key.partition(";")[0].upper()
        if _PROPERTY.match(key) and not _NEWLINE.search(value) and name not in KNOWN and name not in VOLATILE:
            verbatim.append(f"{key}:{value}")
        else:
            converted.append(("X-" + (re.sub(r"[^A-Z0-9]+", "-", key.upper()).strip("-") or "FIELD"), value))
    event: Component = Event()
    if verbatim:
        try:
            event = Event.from_ical("\r\n".join(["BEGIN:VEVENT", *verbatim, "END:VEVENT", ""]))
        except ValueError:
            converted = [(f"X-{k.partition(';')[0].upper()}", v) for k, v in extra]
    for name, value in converted:
        event.add(name, vText(value))
    return event


def render_calendar(events: Iterable[Component]) -> bytes:
    """A whole VCALENDAR around ``events``, with the VTIMEZONEs their TZIDs need."""
    calendar = new_calendar()
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def render_appointments(appointments: Iterable[Appointment], studio: StudioConfig) -> bytes:
    """An ICS export of ``appointments`` (examples, tests, benchmarks)."""
    stamp = datetime.now(UTC).replace(microsecond=0)
    return render_calendar(_stamped(event_for(a, studio), stamp) for a in appointments)


def render_changes(changes: Sequence[StudioChange], studio: StudioConfig) -> bytes:
    """The outbox ICS of ``changes``: what the studio shows after taking each in."""
    stamp = datetime.now(UTC).replace(microsecond=0)
    return render_calendar(_stamped(event_for(shown_after(c), studio, c.action), stamp) for c in changes)


def apply_in_place(calendar: Calendar, changes: Sequence[StudioChange], studio: StudioConfig) -> None:
    """Apply ``changes`` to a parsed calendar (see the module docstring); new events are appended."""
    stamp = datetime.now(UTC).replace(microsecond=0)
    for change in changes:
        shown = shown_after(change)
        uid, instant = split_occurrence(shown.uid)
        target = _find(calendar, uid, instant, shown, studio)
        if target is None:
            calendar.add_component(_stamped(event_for(shown, studio), stamp))
            continue
        for name in _OWNED:
            target.pop(name, None)
        _set_owned(target, shown, studio)
        _stamped(target, stamp)
        if "SEQUENCE" in target:
            sequence = int(target.pop("SEQUENCE"))
            target.add("sequence", sequence + 1)
    calendar.add_missing_timezones()


def _find(
    calendar: Calendar, uid: str, instant: str, shown: Appointment, studio: StudioConfig
) -> Component | None:
    master: Component | None = None
    for event in calendar.walk("VEVENT"):
        if str(event.get("UID", "")) != uid:
            continue
        recurrence = event.get("RECURRENCE-ID")
        if not instant and recurrence is None:
            return event
        if instant and recurrence is not None and _instant_text(recurrence.dt, studio) == instant:
            return event
        if recurrence is None:
            master = event
    if instant and master is not None:
        # An occurrence edited for the first time: an override that starts as a copy of the series.
        override = Event()
        for name, value in master.property_items(recursive=False, sorted=False):
            if name not in ("BEGIN", "END", "RRULE", "RDATE", "EXDATE", *_OWNED):
                override.add(name, value)
        override.add("recurrence-id", _instant_value(instant, shown, studio))
        calendar.add_component(override)
        return override
    return None


def _set_owned(event: Component, a: Appointment, studio: StudioConfig) -> None:
    event.add("summary", a.title)
    if isinstance(a.start, datetime) and isinstance(a.end, datetime):
        zone = _zone(a.timezone, studio)
        event.add("dtstart", a.start.astimezone(zone))
        event.add("dtend", a.end.astimezone(zone))
    else:
        event.add("dtstart", a.start)
        event.add("dtend", a.end)
    if a.location:
        event.add("location", a.location)
    if a.description:
        event.add("description", a.description)
    event.add("status", a.status.upper())


def _stamped(event: Component, stamp: datetime) -> Component:
    event.pop("DTSTAMP", None)
    event.add("dtstamp", stamp)
    return event


def _zone(name: str, studio: StudioConfig) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(studio.studio.timezone)


def _instant_text(value: date | datetime, studio: StudioConfig) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(studio.studio.timezone))
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _instant_value(instant: str, a: Appointment, studio: StudioConfig) -> date | datetime:
    if "T" not in instant:
        return date.fromisoformat(instant)
    moment = datetime.strptime(instant, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return moment.astimezone(_zone(a.timezone, studio))
