"""Dates and wall-clock times as exports write them, turned into aware datetimes in the studio zone.

An export of 100,000 rows holds a few hundred distinct dates and a few dozen distinct times, so every
parse is cached by its text, and so is every (date, time) -> instant resolution: the zone rules are
consulted once per distinct wall-clock time, not once per row.

Wall-clock rules (zoneinfo, studio.timezone):
- a time inside a spring-forward gap does not exist: :class:`WallClockError` (the row is rejected);
- a time inside a fall-back overlap is ambiguous: the first occurrence (``fold=0``) is taken and the
  caller warns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

DateStyle = Literal["us", "us-padded", "iso"]
TimeStyle = Literal["12h", "24h"]

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?$")


class ValueProblem(ValueError):
    """A cell that does not hold what its column promises."""


class WallClockError(ValueProblem):
    """A wall-clock time that does not exist in the studio zone (a spring-forward gap)."""


@dataclass(frozen=True)
class Local:
    """A resolved wall-clock time: the instant, and whether the wall time was ambiguous."""

    instant: datetime
    ambiguous: bool


class Clock:
    """Parses and formats dates and times for one studio zone, caching every distinct text."""

    def __init__(self, zone: str) -> None:
        self.zone = ZoneInfo(zone)
        self._dates: dict[str, tuple[date, DateStyle]] = {}
        self._times: dict[str, tuple[time, TimeStyle]] = {}
        self._local: dict[tuple[date, time], Local] = {}
        #: the styles of the first values parsed: write-back writes the same way.
        self.date_style: DateStyle | None = None
        self.time_style: TimeStyle | None = None

    def parse_date(self, text: str) -> date:
        hit = self._dates.get(text)
        if hit is None:
            hit = self._dates[text] = _parse_date(text)
        if self.date_style is None:
            self.date_style = hit[1]
        return hit[0]

    def parse_time(self, text: str) -> time:
        hit = self._times.get(text)
        if hit is None:
            hit = self._times[text] = _parse_time(text)
        if self.time_style is None:
            self.time_style = hit[1]
        return hit[0]

    def localise(self, day: date, at: time) -> Local:
        """The instant of wall-clock ``day at`` in the studio zone (see the module docstring)."""
        key = (day, at)
        hit = self._local.get(key)
        if hit is None:
            hit = self._local[key] = self._resolve(datetime.combine(day, at))
        return hit

    def localise_wall(self, wall: datetime) -> Local:
        return self.localise(wall.date(), wall.time())

    def _resolve(self, wall: datetime) -> Local:
        first = wall.replace(tzinfo=self.zone, fold=0)
        second = wall.replace(tzinfo=self.zone, fold=1)
        # A wall time that survives a trip through UTC exists; the offsets of fold 0 and 1 differ
        # exactly inside a gap or an overlap.
        back = first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None)
        if back != wall:
            raise WallClockError(
                f"{wall:%Y-%m-%d %H:%M} does not exist in {self.zone.key} (the clocks skip it)"
            )
        return Local(first, ambiguous=first.utcoffset() != second.utcoffset())

    def wall(self, instant: datetime) -> datetime:
        """The studio's wall-clock time of an instant (naive)."""
        return instant.astimezone(self.zone).replace(tzinfo=None)

    def format_date(self, day: date) -> str:
        style = self.date_style or "us"
        if style == "iso":
            return day.isoformat()
        if style == "us-padded":
            return f"{day.month:02d}/{day.day:02d}/{day.year}"
        return f"{day.month}/{day.day}/{day.year}"

    def format_time(self, at: time) -> str:
        seconds = f":{at.second:02d}" if at.second else ""
        if (self.time_style or "12h") == "24h":
            return f"{at.hour:02d}:{at.minute:02d}{seconds}"
        hour = at.hour % 12 or 12
        return f"{hour}:{at.minute:02d}{seconds} {'AM' if at.hour < 12 else 'PM'}"


def _parse_date(text: str) -> tuple[date, DateStyle]:
    value = text.strip()
    style: DateStyle
    match = _US_DATE.match(value)
    if match:
        month, day, year = (int(g) for g in match.groups())
        style = "us-padded" if len(match.group(1)) == 2 and len(match.group(2)) == 2 else "us"
    else:
        match = _ISO_DATE.match(value)
        if not match:
            raise ValueProblem(f"{text!r} is not a date (expected M/D/YYYY or YYYY-MM-DD)")
        year, month, day = (int(g) for g in match.groups())
        style = "iso"
    try:
        return date(year, month, day), style
    except ValueError as exc:
        raise ValueProblem(f"{text!r} is not a date ({exc})") from exc


def _parse_time(text: str) -> tuple[time, TimeStyle]:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueProblem(f"{text!r} is not a time (expected 2:30 PM or 14:30)")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").replace(".", "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueProblem(f"{text!r} is not a time (hour {hour} with {meridiem})")
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueProblem(f"{text!r} is not a time")
    return time(hour, minute, second), "12h" if meridiem else "24h"


def parse_minutes(text: str) -> timedelta:
    """A length in minutes ("90", "90.0", "90 min")."""
    value = text.strip().lower().removesuffix("min").removesuffix("minutes").strip()
    try:
        minutes = float(value)
    except ValueError as exc:
        raise ValueProblem(f"{text!r} is not a length in minutes") from exc
    if minutes < 0 or minutes != minutes or minutes > 60 * 24 * 366:
        raise ValueProblem(f"{text!r} is not a sensible length in minutes")
    return timedelta(minutes=minutes)


def format_minutes(length: timedelta) -> str:
    minutes = length.total_seconds() / 60
    return str(int(minutes)) if minutes == int(minutes) else f"{minutes:g}"
