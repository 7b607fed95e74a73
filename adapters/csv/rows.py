"""One CSV row <-> one canonical appointment, under a resolved column layout.

:class:`Layout` is the header of one file resolved against the column mapping; :class:`RowReader`
turns a row into an :class:`Appointment` (or a :class:`RowFailure` naming the column and the reason);
:class:`RowWriter` turns an appointment back into cells of the same layout.

Field rules (design.md, "What an event holds"): title <- ``title`` (else "Type – Client"); location <-
``location`` (else the resources joined with "; "); description <- ``notes``; assigned users <-
``photographer`` / ``assistant`` / ``staff`` names matched to ``users[]`` names, ids and aliases,
case-insensitively; every unclaimed column -> ``extra``.  Cells this adapter neutralised on write (a
leading ``'`` before ``= + - @``, tab or CR, see :func:`neutralise`) are read back without the quote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from adapters.csv.columns import Statuses, header_key, split_names
from adapters.csv.values import Clock, ValueProblem, format_minutes, parse_minutes
from syncengine.config.model import StudioConfig
from syncengine.errors import SourceError
from syncengine.model import Appointment, Assignment, Origin, Role

#: Columns that hold the date and time: left out of the natural key so a rescheduled row keeps its uid.
TIME_FIELDS = ("date", "start_time", "end_time", "length", "end_date")
_STAFF_ROLES: tuple[tuple[str, Role], ...] = (
    ("photographer", "photographer"),
    ("assistant", "assistant"),
    ("staff", "assigned"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Layout:
    """A file's header resolved against the mapping."""

    header: tuple[str, ...]
    #: canonical field -> column index
    index: dict[str, int]
    #: (column index, header name) of the columns no field claims
    extra: tuple[tuple[int, str], ...]
    #: the identity columns, or () when the export has none (a natural key is used)
    key: tuple[int, ...]

    @classmethod
    def resolve(
        cls, path: Path, header: Sequence[str], mapping: dict[str, str], key: Sequence[str]
    ) -> Layout:
        """Resolve ``header``; a missing date column or configured key column rejects the file."""
        names = [h.strip().lstrip("\ufeff").strip() for h in header]
        while names and not names[-1]:
            names.pop()  # trailing empty columns (a spreadsheet's padding)
        positions: dict[str, int] = {}
        for i, name in enumerate(names):
            positions.setdefault(header_key(name), i)
        index = {f: positions[header_key(h)] for f, h in mapping.items() if header_key(h) in positions}
        if "date" not in index:
            raise SourceError(path, f"the header has no date column {mapping.get('date', 'Date')!r}", line=1)
        claimed = set(index.values())
        extra = tuple((i, n) for i, n in enumerate(names) if i not in claimed and n)
        key_columns: list[int] = []
        for name in key or (mapping.get("id", ""),):
            column = positions.get(header_key(mapping.get(name, name)))
            if column is None and key:
                raise SourceError(path, f"the header has no key column {name!r}", line=1)
            if column is not None:
                key_columns.append(column)
        return cls(tuple(names), index, extra, tuple(key_columns))


@dataclass(frozen=True)
class RowFailure:
    """A row that could not be read: where, why, and its uid when the key cells were readable."""

    line: int
    column: int | None
    reason: str
    uid: str | None
    code: str = "unreadable-row"


@dataclass
class ParsedRow:
    appointment: Appointment
    line: int
    #: without key columns: the casefolded identity text and a digest of the row minus date and time
    natural: str = ""
    rest: str = ""
    warnings: list[tuple[int | None, str, str]] = field(default_factory=list)
    unknown_staff: list[str] = field(default_factory=list)


class RowReader:
    """Reads rows of one layout (see the module docstring for the field rules)."""

    def __init__(self, layout: Layout, studio: StudioConfig, statuses: Statuses, clock: Clock, path: Path):
        self.layout = layout
        self.statuses = statuses
        self.clock = clock
        self.file = str(path)
        self.zone = studio.studio.timezone
        self._users: dict[str, str] = {}
        for user in studio.users:
            for name in user.names:
                self._users.setdefault(name.strip().casefold(), user.id)
        self._width = len(layout.header)

    def uid_of(self, cells: Sequence[str]) -> str | None:
        if not self.layout.key:
            return None
        parts = [_cell(cells, i) for i in self.layout.key]
        return "|".join(parts) if any(parts) else None

    def read(self, cells: list[str], line: int) -> ParsedRow | RowFailure:
        index = self.layout.index
        if len(cells) < self._width:
            cells = cells + [""] * (self._width - len(cells))

        def get(name: str) -> str:
            i = index.get(name)
            return _unneutralise(cells[i].strip()) if i is not None else ""

        uid = self.uid_of(cells)
        if self.layout.key and uid is None:
            return RowFailure(line, self.layout.key[0] + 1, "the appointment id is empty", None, "missing-id")
        try:
            start, end, all_day, ambiguous = self._times(get)
        except _CellProblem as problem:
            column = index.get(problem.field)
            return RowFailure(line, None if column is None else column + 1, problem.reason, uid, problem.code)
        kind, client = get("type"), get("client")
        title = get("title") or " – ".join(p for p in (kind, client) if p)
        resources = tuple(split_names(get("resources")))
        assigned: list[Assignment] = []
        unknown: list[str] = []
        for name, role in _STAFF_ROLES:
            for person in split_names(get(name)):
                user = self._users.get(person.casefold())
                if user is None:
                    unknown.append(person)
                else:
                    assigned.append(Assignment(user, role))
        extra = tuple((name, _unneutralise(cells[i])) for i, name in self.layout.extra if cells[i].strip())
        appointment = Appointment(
            uid=uid or "",
            title=title,
            start=start,
            end=end,
            timezone=self.zone,
            all_day=all_day,
            location=get("location") or "; ".join(resources),
            description=get("notes"),
            status=self.statuses.parse(get("status")),
            type=kind,
            client=client,
            session=get("session"),
            assigned=tuple(assigned),
            resources=resources,
            extra=extra,
            origin=Origin(self.file, line),
        )
        parsed = ParsedRow(appointment, line, unknown_staff=unknown)
        if ambiguous:
            parsed.warnings.append(
                (index.get("start_time"), f"{ambiguous} happens twice (clocks go back); the first is taken",
                 "ambiguous-time")
            )  # fmt: skip
        if not self.layout.key:
            parsed.natural = "\x1f".join(v.casefold() for v in (client, kind, get("session")))
            skip = {index[f] for f in TIME_FIELDS if f in index}
            rest = "\x1f".join(c for i, c in enumerate(cells) if i not in skip)
            parsed.rest = hashlib.sha256(rest.encode("utf-8")).hexdigest()
        return parsed

    def _times(self, get: _Getter) -> tuple[datetime | date, datetime | date, bool, str]:
        clock = self.clock
        text = get("date")
        if not text:
            raise _CellProblem("date", "the date is empty")
        day = _value(clock.parse_date, text, "date")
        start_text = get("start_time")
        if not start_text:
            last_text = get("end_date")
            last = _value(clock.parse_date, last_text, "end_date") if last_text else day
            if last < day:
                raise _CellProblem("end_date", f"the end date {last_text} is before the date {text}")
            return day, last + timedelta(days=1), True, ""
        at = _value(clock.parse_time, start_text, "start_time")
        start_wall = datetime.combine(day, at)
        length_text, end_text = get("length"), get("end_time")
        length = _value(parse_minutes, length_text, "length") if length_text else None
        if end_text:
            until = _value(clock.parse_time, end_text, "end_time")
            end_wall = datetime.combine(day, until)
            if length is not None and (start_wall + length).time() == until:
                end_wall = start_wall + length  # Length settles how many midnights lie between
            elif end_wall < start_wall:
                end_wall += timedelta(days=1)  # ends after midnight
        else:
            end_wall = start_wall + (length or timedelta(0))
        try:
            start = clock.localise(day, at)
        except ValueProblem as exc:
            raise _CellProblem("start_time", str(exc), "nonexistent-time") from exc
        try:
            end = clock.localise_wall(end_wall)
        except ValueProblem as exc:
            raise _CellProblem("end_time", str(exc), "nonexistent-time") from exc
        ambiguous = f"{start_wall:%Y-%m-%d %H:%M}" if start.ambiguous else ""
        if end.ambiguous and not ambiguous:
            ambiguous = f"{end_wall:%Y-%m-%d %H:%M}"
        return start.instant, end.instant, False, ambiguous


class RowWriter:
    """Writes appointments as cells of one header (the export's own, plus columns it lacks)."""

    def __init__(
        self,
        header: Sequence[str],
        mapping: dict[str, str],
        studio: StudioConfig,
        statuses: Statuses,
        clock: Clock,
    ) -> None:
        self.header = list(header)
        positions = {header_key(h): i for i, h in enumerate(self.header)}
        self.index = {f: positions[header_key(h)] for f, h in mapping.items() if header_key(h) in positions}
        self.positions = positions
        self.statuses = statuses
        self.clock = clock
        self.names = {user.id: user.name for user in studio.users}

    def cells(self, appointment: Appointment, action: str | None = None) -> list[str]:
        row = [""] * len(self.header)
        values = self._values(appointment)
        for name, value in values.items():
            if name in self.index:
                row[self.index[name]] = value
        staff = values.get("staff", "")
        if staff and "staff" not in self.index:
            # No column for plain assignments: they travel with the photographers.
            joined = "; ".join(p for p in (values["photographer"], staff) if p)
            row[self.index["photographer"]] = joined
        for name, value in appointment.extra:
            column = self.positions.get(header_key(name))
            if column is not None:
                row[column] = value
        if action is not None:
            row[self.positions[header_key("Action")]] = action
        return [neutralise(cell) for cell in row]

    def _values(self, a: Appointment) -> dict[str, str]:
        clock = self.clock
        values = {
            "id": a.uid,
            "session": a.session,
            "client": a.client,
            "type": a.type,
            "status": self.statuses.label(a.status),
            "title": a.title,
            "notes": a.description,
            "resources": "; ".join(a.resources),
            "location": "" if a.location == "; ".join(a.resources) else a.location,
        }
        for field_name, role in _STAFF_ROLES:
            values[field_name] = "; ".join(
                self.names.get(x.user, x.user) for x in a.assigned if x.role == role
            )
        if isinstance(a.start, datetime) and isinstance(a.end, datetime):
            start, end = clock.wall(a.start), clock.wall(a.end)
            values.update(
                date=clock.format_date(start.date()),
                start_time=clock.format_time(start.time()),
                end_time=clock.format_time(end.time()),
                length=format_minutes(end - start),
            )
        else:
            values.update(date=clock.format_date(a.start), end_date=clock.format_date(_last_day(a)))
        return values


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would run as a formula (CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _unneutralise(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in _FORMULA_START and cell[1:2] else cell


def _last_day(a: Appointment) -> date:
    end = a.end if not isinstance(a.end, datetime) else a.end.date()
    return max(a.start if not isinstance(a.start, datetime) else a.start.date(), end - timedelta(days=1))


def _cell(cells: Sequence[str], i: int) -> str:
    return _unneutralise(cells[i].strip()) if i < len(cells) else ""


class _CellProblem(Exception):
    def __init__(self, field: str, reason: str, code: str = "bad-value") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.code = code


_Getter = Callable[[str], str]
_T = TypeVar("_T")


def _value(parse: Callable[[str], _T], text: str, field: str) -> _T:
    try:
        return parse(text)
    except ValueProblem as exc:
        raise _CellProblem(field, str(exc)) from exc
