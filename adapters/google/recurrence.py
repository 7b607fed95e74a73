"""Recurring series made on the calendar: the series and its exceptions, handed on as occurrences.

Reads use ``singleEvents=false``, so a series arrives as one master event (with ``recurrence`` lines) plus
its exceptions (events with ``recurringEventId`` and ``originalStartTime``; cancelled ones remove an
occurrence).  The core wants appointments, so each occurrence overlapping the sync window becomes its own
:class:`CalendarEntry` whose ``series_id`` is the master's id and whose event id is Google's instance id
(``<series>_<UTC start>``), which is also the id an exception of that occurrence carries.

The rule is expanded in the master's own ``start.timeZone`` (a weekly 9:00 stays 9:00 across DST).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.rrule import rruleset, rrulestr

from adapters.google.mapping import UnreadableEvent, entry_from_event, occurrence_id, parse_time, zone
from syncengine.ports import CalendarEntry

Event = Mapping[str, Any]


def _original_key(exception: Event) -> datetime | date | None:
    original = exception.get("originalStartTime")
    if not original:
        return None
    try:
        value, _ = parse_time(original, "UTC")
    except (UnreadableEvent, ValueError):
        return None
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _key(value: datetime | date) -> datetime | date:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _rule(master: Event, dtstart: datetime) -> rruleset:
    lines = [str(line) for line in master.get("recurrence") or ()]
    parsed = rrulestr("\n".join(lines), dtstart=dtstart, forceset=True, unfold=True)
    assert isinstance(parsed, rruleset)
    return parsed


def occurrence_starts(master: Event, low: datetime, high: datetime, calendar_zone: str) -> Iterator[
        tuple[datetime | date, timedelta]]:
    """``(start, duration)`` of every occurrence that may overlap ``[low, high)``."""
    start_info = master.get("start") or {}
    series_zone = str(start_info.get("timeZone") or calendar_zone)
    first, all_day = parse_time(start_info, series_zone)
    last, _ = parse_time(master.get("end") or start_info, series_zone)
    if all_day:
        assert not isinstance(first, datetime) and not isinstance(last, datetime)
        span = last - first
        dtstart = datetime.combine(first, datetime.min.time())
        after = low.astimezone(zone(calendar_zone)).replace(tzinfo=None) - span
        before = high.astimezone(zone(calendar_zone)).replace(tzinfo=None)
        for moment in _rule(master, dtstart).between(after, before, inc=True):
            yield moment.date(), span
        return
    assert isinstance(first, datetime) and isinstance(last, datetime)
    duration = last - first
    # An aware start in the series' own zone: Python adds intervals to it in wall-clock time, so a weekly
    # 9:00 stays 9:00 across DST, and UNTIL given in UTC (as Google writes it) compares correctly.
    dtstart = first.astimezone(zone(series_zone))
    for moment in _rule(master, dtstart).between(low - duration, high, inc=True):
        yield moment, duration


def _event_time(value: datetime | date, time_zone: str) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"dateTime": value.isoformat(), "timeZone": time_zone}
    return {"date": value.isoformat()}


def _overlaps(entry: CalendarEntry, low: datetime, high: datetime) -> bool:
    appt = entry.appointment
    if appt.all_day:
        assert isinstance(appt.start, date) and isinstance(appt.end, date)
        end = appt.end if appt.end > appt.start else appt.start + timedelta(days=1)
        return appt.start < high.date() and end > low.date()
    assert isinstance(appt.start, datetime) and isinstance(appt.end, datetime)
    return appt.start < high and (appt.end > low or appt.end == appt.start >= low)


def expand_series(
    master: Event, exceptions: Sequence[Event], low: datetime, high: datetime,
    *, studio: str, studio_zone: str, calendar_zone: str, user_id: str,
) -> list[CalendarEntry]:
    """The occurrences of one series overlapping ``[low, high)``, exceptions applied."""
    series_id = str(master["id"])
    replaced: set[datetime | date] = set()
    entries: list[CalendarEntry] = []
    for exception in exceptions:
        key = _original_key(exception)
        if key is not None:
            replaced.add(key)
        if exception.get("status") == "cancelled":
            continue
        try:
            entry = entry_from_event(exception, studio, studio_zone, user_id, series_id=series_id)
        except (UnreadableEvent, ValueError):
            continue
        if _overlaps(entry, low, high):
            entries.append(entry)
    series_zone = str((master.get("start") or {}).get("timeZone") or calendar_zone)
    for start, duration in occurrence_starts(master, low, high, calendar_zone):
        if _key(start) in replaced:
            continue
        event = dict(master)
        event.pop("recurrence", None)
        event["start"] = _event_time(start, series_zone)
        event["end"] = _event_time(start + duration, series_zone)
        eid = occurrence_id(series_id, start)
        entry = entry_from_event(event, studio, studio_zone, user_id, event_id=eid, series_id=series_id)
        if _overlaps(entry, low, high):
            entries.append(entry)
    entries.sort(key=lambda e: e.event_id)
    return entries
