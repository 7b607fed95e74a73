"""Expanding a recurring event into its instances (``singleEvents=true``, ``events.instances``).

The RRULE/EXRULE/RDATE/EXDATE lines are read with python-dateutil, in the zone named by
``start.timeZone`` (wall-clock arithmetic, so a 10:00 series stays at 10:00 across DST).  Instance ids
are ``<seriesId>_<YYYYMMDDTHHMMSSZ>`` (UTC), or ``<seriesId>_<YYYYMMDD>`` for all-day series, and each
instance carries ``recurringEventId`` and ``originalStartTime``.  Unbounded rules stop at a horizon.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr

from adapters.google.emulator.errors import bad_request
from adapters.google.emulator.resource import event_moment, parse_date, zone

#: how far past today (or the series start) an unbounded series is expanded
HORIZON = timedelta(days=730)
MAX_INSTANCES = 2500


@dataclass(frozen=True)
class Instance:
    body: dict[str, Any]
    start_ts: float
    end_ts: float


def _rules(lines: list[str], dtstart: datetime) -> rruleset:
    text = "\n".join(str(line) for line in lines)
    try:
        try:
            rules = rrulestr(text, dtstart=dtstart, forceset=True)
        except ValueError:
            if dtstart.tzinfo is None:
                raise
            # UNTIL written as a local (or date-only) value: expand in wall-clock time instead
            rules = rrulestr(text.replace("Z;", ";").replace("Z\n", "\n"),
                             dtstart=dtstart.replace(tzinfo=None), forceset=True)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise bad_request(f"Invalid recurrence rule: {exc}", location="recurrence") from exc
    assert isinstance(rules, rruleset)
    return rules


def check_rules(master: dict[str, Any], calendar_tz: str) -> None:
    """Refuse a recurrence that cannot be expanded (400, as Google does at write time)."""
    _series(master, calendar_tz)


def _series(master: dict[str, Any], calendar_tz: str) -> tuple[rruleset, datetime, timedelta, bool]:
    start_edt, end_edt = master["start"], master["end"]
    if "date" in start_edt:
        first = parse_date(start_edt["date"], "start.date")
        dtstart = datetime.combine(first, time(0))
        length = datetime.combine(parse_date(end_edt["date"], "end.date"), time(0)) - dtstart
        return _rules(master["recurrence"], dtstart), dtstart, length, True
    tz = zone(start_edt.get("timeZone") or calendar_tz)
    dtstart = event_moment(start_edt, "start", calendar_tz).astimezone(tz)
    length = event_moment(end_edt, "end", calendar_tz) - dtstart
    return _rules(master["recurrence"], dtstart), dtstart, length, False


def _occurrences(rules: rruleset, dtstart: datetime, upper: datetime) -> Iterator[datetime]:
    for count, moment in enumerate(rules):
        if count >= MAX_INSTANCES or _aware(moment, dtstart) > _aware(upper, dtstart):
            return
        yield moment


def _aware(moment: datetime, like: datetime) -> datetime:
    if moment.tzinfo is None and like.tzinfo is not None:
        return moment.replace(tzinfo=like.tzinfo)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def expand(master: dict[str, Any], calendar_tz: str, *, time_min: float | None = None,
           time_max: float | None = None, now: float | None = None) -> list[Instance]:
    """The instances of ``master`` overlapping ``(time_min, time_max)``, at most up to the horizon."""
    rules, dtstart, length, all_day = _series(master, calendar_tz)
    cal_zone = ZoneInfo(calendar_tz)
    base = max(dtstart.replace(tzinfo=dtstart.tzinfo or cal_zone),
               datetime.fromtimestamp(now if now is not None else datetime.now(UTC).timestamp(), UTC))
    upper = base + HORIZON
    if time_max is not None:
        upper = datetime.fromtimestamp(time_max, UTC)
    if all_day:
        upper = upper.astimezone(cal_zone).replace(tzinfo=None)
    out: list[Instance] = []
    for moment in _occurrences(rules, dtstart, upper):
        if all_day:
            local = moment if moment.tzinfo is None else moment.replace(tzinfo=None)
            begin = local.replace(tzinfo=cal_zone)
            suffix = local.strftime("%Y%m%d")
            start_edt: dict[str, Any] = {"date": local.date().isoformat()}
            end_edt: dict[str, Any] = {"date": (local + length).date().isoformat()}
            finish = (local + length).replace(tzinfo=cal_zone)
        else:
            tz_name = master["start"].get("timeZone") or calendar_tz
            begin = _aware(moment, dtstart).astimezone(ZoneInfo(tz_name))
            finish = begin + length
            suffix = begin.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            start_edt = {"dateTime": begin.isoformat(), "timeZone": tz_name}
            end_tz = master["end"].get("timeZone") or tz_name
            end_edt = {"dateTime": finish.astimezone(ZoneInfo(end_tz)).isoformat(), "timeZone": end_tz}
        start_ts, end_ts = begin.timestamp(), finish.timestamp()
        if time_min is not None and end_ts <= time_min:
            continue
        if time_max is not None and start_ts >= time_max:
            continue
        out.append(Instance(instance_body(master, suffix, start_edt, end_edt), start_ts, end_ts))
    return out


def instance_body(master: dict[str, Any], suffix: str, start_edt: dict[str, Any],
                  end_edt: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(master)
    body.pop("recurrence", None)
    body["id"] = f"{master['id']}_{suffix}"
    body["recurringEventId"] = master["id"]
    body["originalStartTime"] = dict(start_edt)
    body["start"] = start_edt
    body["end"] = end_edt
    return body

