"""Reading ICS files into canonical appointments.

Times.  ``TZID`` resolves through the file's VTIMEZONE or as an IANA or Windows zone name (icalendar
maps Windows names such as "Central Standard Time"); ``X-WR-TIMEZONE`` (Google's and Outlook's
calendar-wide zone) is applied with the x-wr-timezone package; UTC times stay the same instant; floating
times (no zone) are wall-clock times in the studio zone.  ``Appointment.timezone`` is the event's IANA
zone when it has one, else the studio's.  No DTEND: DURATION, else one day for an all-day event and zero
length for a timed one (RFC 5545).

Recurrence.  A series (RRULE / RDATE, or a UID with RECURRENCE-ID overrides) is expanded with
recurring-ical-events inside the sync window (``context.now`` minus the widest ``past_days`` to plus
the widest ``future_days``), EXDATE and RECURRENCE-ID overrides honoured.  Each occurrence is its own
appointment with uid ``UID/<recurrence instant>`` (ISO 8601, UTC for timed, a date for all-day series).
Single events are read whatever their date; the planner applies each user's window.

Mapping (the same in :mod:`adapters.ics.write`): SUMMARY title, LOCATION, DESCRIPTION, STATUS
(CONFIRMED / TENTATIVE / CANCELLED; none is confirmed), CATEGORIES type (several joined with ", "),
RESOURCES resources, ``X-SYNCENGINE-CLIENT`` / ``-SESSION`` client and session.  Users come from
``X-SYNCENGINE-PHOTOGRAPHER`` / ``-ASSISTANT`` / ``-STAFF`` (names, ids or aliases separated by ``;`` or
``,``; a name matching no user is warned about) and from ATTENDEEs whose CN names a user (role from ROLE:
CHAIR photographer, OPT-PARTICIPANT assistant, else assigned; other attendees, such as clients, are
left alone).  Every other property is kept in ``extra`` as ("NAME;PARAMS", "value") and written back;
DTSTAMP, LAST-MODIFIED, CREATED and SEQUENCE change on every save and are dropped.

Bad input: a file that is not well-formed (undecodable, a BEGIN without END, content that is not
iCalendar) is rejected as a whole.  An event with a broken or missing DTSTART is an error diagnostic
(file and line of its BEGIN:VEVENT) and its uid is unreadable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar, Component

from adapters._combine import FileRead, duplicate, expansion_window
from adapters._files import decode, read_bytes
from adapters.csv.columns import split_names
from syncengine.errors import SourceError
from syncengine.model import Appointment, Assignment, Origin, Role, Status
from syncengine.ports import Diagnostic, SourceContext

KNOWN = frozenset(
    {
        "UID", "SUMMARY", "DTSTART", "DTEND", "DURATION", "LOCATION", "DESCRIPTION", "STATUS",
        "CATEGORIES", "RESOURCES", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID",
        "X-SYNCENGINE-CLIENT", "X-SYNCENGINE-SESSION", "X-SYNCENGINE-PHOTOGRAPHER",
        "X-SYNCENGINE-ASSISTANT", "X-SYNCENGINE-STAFF", "X-SYNCENGINE-ACTION",
    }
)  # fmt: skip
#: Rewritten by every calendar program on every save: keeping them would make every read a change.
VOLATILE = frozenset({"DTSTAMP", "LAST-MODIFIED", "CREATED", "SEQUENCE"})
STAFF_PROPERTIES: tuple[tuple[str, Role], ...] = (
    ("X-SYNCENGINE-PHOTOGRAPHER", "photographer"),
    ("X-SYNCENGINE-ASSISTANT", "assistant"),
    ("X-SYNCENGINE-STAFF", "assigned"),
)
_ATTENDEE_ROLES: dict[str, Role] = {"CHAIR": "photographer", "OPT-PARTICIPANT": "assistant"}
_STATUSES: dict[str, Status] = {"CONFIRMED": "confirmed", "TENTATIVE": "tentative", "CANCELLED": "cancelled"}
_ESCAPED = re.compile(r"\\([\\,;nN])")
_LINE_END = re.compile(r"\r\n|\r|\n")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")
_CRITICAL = frozenset({"DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "RRULE", "RDATE", "EXDATE"})


class EventProblem(ValueError):
    """One event that cannot be read."""


def read_ics_file(path: Path, context: SourceContext, encoding: str = "auto") -> FileRead:
    """Read one ICS file (see the module docstring); never raises for bad content."""
    out = FileRead(path)
    data = read_bytes(path)
    out.digest = hashlib.sha256(data).hexdigest()
    try:
        text = decode(path, data, encoding).text
        lines = event_lines(path, text)
        calendars = Calendar.from_ical(text, multiple=True)
    except SourceError as exc:
        return out.reject(exc.reason, exc.line)
    # icalendar raises assorted built-in errors for malformed content (AttributeError for a parameter
    # with an empty value, among others); any of them means the file is not readable iCalendar.
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        return out.reject(f"not iCalendar ({(str(exc).splitlines() or [type(exc).__name__])[0][:120]})")
    reader = EventReader(context, path)
    index = 0
    for original in calendars:
        try:
            calendar = x_wr_timezone.to_standard(original)
        except Exception as exc:  # the package raises plain errors for zones it cannot resolve
            return out.reject(f"X-WR-TIMEZONE could not be applied ({exc})")
        events = list(calendar.walk("VEVENT"))
        where = dict(zip((id(e) for e in events), lines[index : index + len(events)], strict=False))
        index += len(events)
        reader.read_calendar(calendar, events, where, out)
        if out.rejected:
            break
    return out


def event_lines(path: Path, text: str) -> list[int]:
    """The physical line of every BEGIN:VEVENT; raises SourceError if BEGIN/END do not balance."""
    stack: list[tuple[str, int]] = []
    found: list[int] = []
    # Physical lines end at CR, LF or CRLF only (str.splitlines also splits at U+2028 and friends).
    for number, line in enumerate(_LINE_END.split(text), start=1):
        upper = line.strip().upper()
        if upper.startswith("BEGIN:"):
            stack.append((upper[6:], number))
            if upper == "BEGIN:VEVENT":
                found.append(number)
        elif upper.startswith("END:"):
            if not stack or stack[-1][0] != upper[4:]:
                expected = f"END:{stack[-1][0]}" if stack else "nothing"
                raise SourceError(path, f"{line.strip()} where {expected} was expected", line=number)
            stack.pop()
    if stack:
        name, number = stack[-1]
        raise SourceError(path, f"BEGIN:{name} on line {number} never ends (a truncated file?)", line=number)
    if not found and "BEGIN:VCALENDAR" not in text.upper():
        raise SourceError(path, "no BEGIN:VCALENDAR: this is not an iCalendar file", line=1)
    return found


class EventReader:
    """Turns the VEVENTs of a calendar into appointments (module docstring for the rules)."""

    def __init__(self, context: SourceContext, path: Path) -> None:
        self.studio_zone = ZoneInfo(context.config.studio.timezone)
        self.file = str(path)
        self.path = path
        past, future = expansion_window(context)
        self.window = (context.now - past, context.now + future)
        self.users: dict[str, str] = {}
        for user in context.config.users:
            for name in user.names:
                self.users.setdefault(name.strip().casefold(), user.id)

    def read_calendar(
        self, calendar: Calendar, events: list[Component], where: dict[int, int], out: FileRead
    ) -> None:
        recurring = {str(e.get("UID", "")) for e in events if _is_series_part(e)}
        seen: dict[str, int | None] = {}
        twice: set[str] = set()
        for event in events:
            uid = str(event.get("UID", "")).strip()
            line = where.get(id(event))
            if not uid:
                out.diagnostics.append(self._error("the event has no UID", line, None, "missing-id"))
                out.complete = False
                continue
            if uid in recurring:
                continue
            if uid in seen:
                out.diagnostics.append(duplicate(self.path, uid, seen[uid], line))
                twice.add(uid)
                continue
            seen[uid] = line
            self._add(event, uid, line, out)
        if twice:
            out.unreadable.update(twice)
            out.appointments[:] = [a for a in out.appointments if a.uid not in twice]
            out.complete = False
        if recurring:
            self._expand(calendar, events, recurring, where, out)

    def _expand(
        self,
        calendar: Calendar,
        events: list[Component],
        uids: set[str],
        where: dict[int, int],
        out: FileRead,
    ) -> None:
        lines = {str(e.get("UID")): where.get(id(e)) for e in reversed(events) if str(e.get("UID")) in uids}
        broken = [e for e in events if str(e.get("UID")) in uids and _broken(e)]
        for event in broken:
            uid = str(event.get("UID"))
            out.diagnostics.append(self._error(f"series {uid}: {_broken(event)}", lines.get(uid), uid))
            # Its occurrences cannot be named, so none may count as deleted: the whole read is incomplete.
            out.complete = False
        series = Calendar()
        for component in calendar.subcomponents:
            if component.name == "VTIMEZONE" or (
                component.name == "VEVENT" and str(component.get("UID")) in uids and not _broken(component)
            ):
                series.add_component(component)
        try:
            occurrences = recurring_ical_events.of(series).between(*self.window)
        except Exception as exc:  # the library's errors have no common base; the file is rejected
            out.reject(f"a recurring series could not be expanded ({exc})")
            return
        for occurrence in occurrences:
            uid = str(occurrence.get("UID"))
            instant = self._instant(
                _dt(occurrence, "RECURRENCE-ID" if "RECURRENCE-ID" in occurrence else "DTSTART")
            )
            self._add(occurrence, f"{uid}/{instant}", lines.get(uid), out)

    def _add(self, event: Component, uid: str, line: int | None, out: FileRead) -> None:
        try:
            appointment, unknown = self.appointment(event, uid, line)
        except (EventProblem, ValueError, TypeError, AttributeError, KeyError) as exc:
            # icalendar hands odd values through as odd types; one bad event must not stop the file.
            out.diagnostics.append(self._error(f"event {uid} not read: {exc}", line, uid))
            out.unreadable.add(uid)
            return
        out.appointments.append(appointment)
        for name in unknown:
            out.diagnostics.append(
                Diagnostic(
                    "warning", f"{name!r} matches no user (names, ids and aliases in users:)",
                    self.file, line, uid=uid, code="unknown-staff",
                )
            )  # fmt: skip

    def appointment(self, event: Component, uid: str, line: int | None) -> tuple[Appointment, list[str]]:
        problem = _broken(event)
        if problem:
            raise EventProblem(problem)
        if "DTSTART" not in event:
            raise EventProblem("it has no DTSTART")
        start = self._moment(_dt(event, "DTSTART"))
        all_day = not isinstance(start, datetime)
        end: date | datetime
        if "DTEND" in event:
            end = self._moment(_dt(event, "DTEND"))
        elif "DURATION" in event:
            length = _dt(event, "DURATION")
            if not isinstance(length, timedelta):
                raise EventProblem(f"DURATION {length!r} is not a duration")
            end = start + length
        else:
            end = start + timedelta(days=1) if all_day else start
        if all_day:
            end = end.date() if isinstance(end, datetime) else end
            if end <= start:
                end = start + timedelta(days=1)
        elif isinstance(start, datetime) and not isinstance(end, datetime):
            end = datetime.combine(end, datetime.min.time(), tzinfo=start.tzinfo)
        assigned, unknown = self._assigned(event)
        category_values = event.get("CATEGORIES")
        categories = [
            str(c) for cat in _as_list(category_values) for c in getattr(cat, "cats", [cat])
        ]  # fmt: skip
        status = _STATUSES.get(str(event.get("STATUS", "CONFIRMED")).strip().upper(), "confirmed")
        appointment = Appointment(
            uid=uid,
            title=str(event.get("SUMMARY", "")),
            start=start,
            end=end,
            timezone=self._zone_name(start),
            all_day=all_day,
            location=str(event.get("LOCATION", "")),
            description=str(event.get("DESCRIPTION", "")),
            status=status,
            type=", ".join(categories),
            client=_xtext(event.get("X-SYNCENGINE-CLIENT")),
            session=_xtext(event.get("X-SYNCENGINE-SESSION")),
            assigned=tuple(assigned),
            resources=tuple(r for v in _as_list(event.get("RESOURCES")) for r in split_names(str(v))),
            # Property order means nothing in iCalendar; sorted, a re-saved file reads the same.
            extra=tuple(sorted(_extra(event))),
            origin=Origin(self.file, line),
        )
        return appointment, unknown

    def _assigned(self, event: Component) -> tuple[list[Assignment], list[str]]:
        assigned: list[Assignment] = []
        unknown: list[str] = []
        for name, role in STAFF_PROPERTIES:
            for value in _as_list(event.get(name)):
                for person in split_names(_xtext(value)):
                    user = self.users.get(person.casefold())
                    if user is None:
                        unknown.append(person)
                    else:
                        assigned.append(Assignment(user, role))
        for attendee in _as_list(event.get("ATTENDEE")):
            params = getattr(attendee, "params", {})
            user = self.users.get(str(params.get("CN", "")).strip().casefold())
            if user is not None:
                assigned.append(
                    Assignment(user, _ATTENDEE_ROLES.get(str(params.get("ROLE", "")).upper(), "assigned"))
                )
        return assigned, unknown

    def _moment(self, value: date | datetime | Any) -> date | datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=self.studio_zone)  # floating: the studio's wall clock
            return value
        if isinstance(value, date):
            return value
        raise EventProblem(f"{value!r} is not a date or time")

    def _zone_name(self, start: date | datetime) -> str:
        zone: tzinfo | None = start.tzinfo if isinstance(start, datetime) else None
        key = getattr(zone, "key", None)
        if isinstance(key, str) and key not in ("UTC", "Etc/UTC"):
            try:
                ZoneInfo(key)
            except (ZoneInfoNotFoundError, ValueError):
                return self.studio_zone.key
            return key
        return self.studio_zone.key

    def _instant(self, raw: Any) -> str:
        value = self._moment(raw)
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.isoformat()

    def _error(
        self, message: str, line: int | None, uid: str | None, code: str = "unreadable-event"
    ) -> Diagnostic:
        return Diagnostic("error", message, self.file, line, uid=uid, code=code)


def split_occurrence(uid: str) -> tuple[str, str]:
    """``("UID", "instant")`` for an occurrence uid ``UID/<instant>``, else ``(uid, "")``."""
    series, _, instant = uid.rpartition("/")
    if series and _INSTANT.match(instant):
        return series, instant
    return uid, ""


def _dt(event: Component, name: str) -> Any:
    """The value (date, datetime or timedelta) of a date-time property."""
    return getattr(event[name], "dt", None)


def _is_series_part(event: Component) -> bool:
    return any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID"))


def _broken(event: Component) -> str:
    for name, reason in getattr(event, "errors", ()):
        if str(name).upper() in _CRITICAL:
            return f"{name}: {reason}"
    return ""


def _xtext(value: Any) -> str:
    r"""An X- property's text: icalendar keeps those escaped (``\,``), as it cannot know their type."""
    if value is None:
        return ""
    return _ESCAPED.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), str(value))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _extra(event: Component) -> Iterable[tuple[str, str]]:
    for name, value in event.property_items(recursive=False, sorted=False):
        upper = str(name).upper()
        if upper in ("BEGIN", "END") or upper in KNOWN or upper in VOLATILE:
            continue
        params = getattr(value, "params", None)
        params_text = params.to_ical().decode("utf-8") if params else ""
        key = f"{upper};{params_text}" if params_text else upper
        raw = value.to_ical() if hasattr(value, "to_ical") else str(value)
        yield key, raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
