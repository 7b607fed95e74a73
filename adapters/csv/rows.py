"""One CSV row <-> one canonical appointment, under a resolved column layout.

:class:`Layout` is the header of one file resolved against the column mapping; :class:`RowReader`
turns a row into an :class:`Appointment` (or a :class:`RowFailure` naming the column and the reason);
:class:`adapters.csv.writer.RowWriter` turns an appointment back into cells of the same layout.

Field rules (design.md, "What an event holds"): title <- ``title`` (else "Type – Client"); location <-
``location`` (else the resources joined with "; "); description <- ``notes``; assigned users <-
``photographer`` / ``assistant`` / ``staff`` names matched to ``users[]`` names, ids and aliases,
case-insensitively; every unclaimed column -> ``extra``.  Cells this adapter neutralised on write (a
leading ``'`` before ``= + - @``, tab or CR, see :func:`adapters.csv.writer.neutralise`) are read back
without the quote.

All-day rows (no start time) last from ``date`` to ``end_date`` inclusive; without an end date, a
``length`` that is a whole number of days (1440, 2880, ... minutes) says how many days, and any other
length means one day.  That is how a multi-day all-day appointment survives the Spectra grid, which has
no end-date column: the outbox writes ``Length`` = days x 1440 (see :mod:`adapters.csv.writer`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from adapters.csv.columns import Statuses, header_key, split_names
from adapters.csv.values import Clock, ValueProblem, parse_minutes
from syncengine.config.model import StudioConfig
from syncengine.errors import SourceError
from syncengine.model import Appointment, Assignment, Origin, Role, Status, normalise_line, normalise_text

#: Columns that hold the date and time: left out of the natural key so a rescheduled row keeps its uid.
TIME_FIELDS = ("date", "start_time", "end_time", "length", "end_date")
STAFF_ROLES: tuple[tuple[str, Role], ...] = (
    ("photographer", "photographer"),
    ("assistant", "assistant"),
    ("staff", "assigned"),
)
#: What a spreadsheet runs as a formula when a cell starts with it (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


@dataclass(slots=True)
class ParsedRow:
    appointment: Appointment
    line: int
    #: without key columns: the casefolded identity text and a digest of the row minus date and time
    natural: str = ""
    rest: str = ""
    warnings: list[tuple[int | None, str, str]] = field(default_factory=list)
    unknown_staff: list[str] = field(default_factory=list)
    #: the status cell as written (stripped): a write-back keeps the studio's own label
    label: str = ""


#: The fields :meth:`RowReader.read` takes from a row, in the order it unpacks them.
_READ = (
    "type", "client", "title", "resources", "photographer", "assistant", "staff", "location", "notes",
    "status", "session", "date", "start_time", "end_time", "length", "end_date",
)  # fmt: skip
_FORMULA_SET = frozenset(FORMULA_START)
#: minutes in the ``length`` of one day of an all-day appointment
DAY_MINUTES = 24 * 60
_PHOTOGRAPHER: Role = "photographer"
_ASSISTANT: Role = "assistant"
_ASSIGNED: Role = "assigned"


class RowReader:
    """Reads rows of one layout (see the module docstring for the field rules).

    This is the hot loop of a 100,000-row export, so it works on one list of cleaned cells per row, a
    missing column reads as the empty cell padded after the last one, normalised text is cached by its
    raw value, and appointments are built with :func:`_trusted` (no second normalisation pass).
    """

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
        self._width = width = len(layout.header)
        self._columns = tuple(layout.index.get(name, width) for name in _READ)
        self._time_columns = frozenset(layout.index[f] for f in TIME_FIELDS if f in layout.index)
        self._lines: dict[str, str] = {}
        self._texts: dict[str, str] = {}
        self._staff: dict[tuple[str, Role], tuple[tuple[Assignment, ...], tuple[str, ...]]] = {}
        self._minutes: dict[str, timedelta] = {}
        self._resources: dict[str, tuple[str, ...]] = {}
        self._statuses: dict[str, Status] = {}
        self._labels: dict[str, str] = {}

    def uid_of(self, cells: Sequence[str]) -> str | None:
        if not self.layout.key:
            return None
        parts = [_cell(cells, i) for i in self.layout.key]
        return "|".join(parts) if any(parts) else None

    def read(self, cells: list[str], line: int) -> ParsedRow | RowFailure:
        width = self._width
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            # More filled cells than header columns: values have shifted (an unquoted comma?), so no
            # cell can be trusted to be what its column says.
            return RowFailure(
                line, width + 1, f"the row has {len(cells)} cells but the header only {width}",
                self.uid_of(cells), "misaligned-row",
            )  # fmt: skip
        if len(cells) != width + 1:
            cells = [*cells[:width], *[""] * (width - len(cells)), ""]
        # Cleaned cells: stripped, and without the quote a write-back put before a formula-like value.
        vals = [_unneutralise(v) for v in map(str.strip, cells)]
        (kind, client, title, resources_cell, photographer, assistant, staff, location, notes, status,
         session, day, start_time, end_time, length, end_date) = [vals[i] for i in self._columns]  # fmt: skip
        key = self.layout.key
        uid = (vals[key[0]] if len(key) == 1 else "|".join(vals[i] for i in key)) if key else ""
        if key and not uid.replace("|", ""):
            return RowFailure(line, key[0] + 1, "the appointment id is empty", None, "missing-id")
        try:
            start, end, all_day, ambiguous = self._times(day, start_time, end_time, length, end_date)
        except _CellProblem as problem:
            column = self.layout.index.get(problem.field)
            return RowFailure(
                line, None if column is None else column + 1, problem.reason, uid or None, problem.code
            )
        kind, client, session = self._line(kind), self._line(client), self._line(session)
        title = self._line(title) or " – ".join(p for p in (kind, client) if p)
        resources = self._resources.get(resources_cell)
        if resources is None:
            resources = tuple(dict.fromkeys(self._line(r) for r in split_names(resources_cell)))
            self._resources[resources_cell] = resources
        assigned: list[Assignment] = []
        unknown: list[str] = []
        for cell, role in ((photographer, _PHOTOGRAPHER), (assistant, _ASSISTANT), (staff, _ASSIGNED)):
            if cell:
                users, missing = self._people(cell, role)
                assigned.extend(users)
                unknown.extend(missing)
        extra = tuple((name, cells[i]) for i, name in self.layout.extra if vals[i])
        if extra:
            extra = tuple((name, _unneutralise(value)) for name, value in extra)
        appointment = _trusted(
            uid=uid,
            title=title,
            start=start,
            end=end,
            timezone=self.zone,
            all_day=all_day,
            location=self._line(location) or "; ".join(resources),
            description=self._text(notes),
            status=self._status(status),
            type=kind,
            client=client,
            session=session,
            assigned=tuple(dict.fromkeys(assigned)),
            resources=resources,
            extra=extra,
            origin=Origin(self.file, line),
        )
        label = self._labels.setdefault(status, status)  # one string per distinct label
        parsed = ParsedRow(appointment, line, unknown_staff=unknown, label=label)
        if ambiguous:
            parsed.warnings.append(
                (self.layout.index.get("start_time"),
                 f"{ambiguous} happens twice (clocks go back); the first is taken", "ambiguous-time")
            )  # fmt: skip
        if not key:
            parsed.natural = "\x1f".join(v.casefold() for v in (client, kind, session))
            skip = self._time_columns
            rest = "\x1f".join(c for i, c in enumerate(vals[:width]) if i not in skip)
            parsed.rest = hashlib.sha256(rest.encode("utf-8")).hexdigest()
        return parsed

    def _status(self, label: str) -> Status:
        hit = self._statuses.get(label)
        if hit is None:
            hit = self._statuses[label] = self.statuses.parse(label)
        return hit

    def _line(self, text: str) -> str:
        hit = self._lines.get(text)
        if hit is None:
            hit = self._lines[text] = normalise_line(text)
        return hit

    def _text(self, text: str) -> str:
        hit = self._texts.get(text)
        if hit is None:
            hit = self._texts[text] = normalise_text(text)
        return hit

    def _people(self, cell: str, role: Role) -> tuple[tuple[Assignment, ...], tuple[str, ...]]:
        """(assignments, names matching no user) of one staff cell, cached by its text and role."""
        hit = self._staff.get((cell, role))
        if hit is None:
            users: list[Assignment] = []
            missing: list[str] = []
            for person in split_names(cell):
                user = self._users.get(person.casefold())
                if user is None:
                    missing.append(person)
                else:
                    users.append(Assignment(user, role))
            hit = self._staff[(cell, role)] = (tuple(users), tuple(missing))
        return hit

    def _days(self, length_text: str) -> int:
        """How many days an all-day row lasts by its ``length``: a whole number of 1440-minute days.

        Any other length (empty, 0, 90, unreadable) is one day and no error: such a Length says
        nothing about the days, and all-day rows were read that way before Length counted for them.
        """
        if not length_text:
            return 1
        try:
            minutes = parse_minutes(length_text).total_seconds() / 60
        except ValueProblem:
            return 1
        days, rest = divmod(int(minutes), DAY_MINUTES)
        return days if days >= 1 and not rest and minutes == int(minutes) else 1

    def _times(
        self, text: str, start_text: str, end_text: str, length_text: str, last_text: str
    ) -> tuple[datetime | date, datetime | date, bool, str]:
        clock = self.clock
        if not text:
            raise _CellProblem("date", "the date is empty")
        day = _value(clock.parse_date, text, "date")
        if not start_text:
            if last_text:
                last = _value(clock.parse_date, last_text, "end_date")
                if last < day:
                    raise _CellProblem("end_date", f"the end date {last_text} is before the date {text}")
                return day, last + timedelta(days=1), True, ""
            return day, day + timedelta(days=self._days(length_text)), True, ""
        at = _value(clock.parse_time, start_text, "start_time")
        start_wall = datetime.combine(day, at)
        length = None
        if length_text:
            length = self._minutes.get(length_text)
            if length is None:
                length = self._minutes[length_text] = _value(parse_minutes, length_text, "length")
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
        if end.instant < start.instant:
            raise _CellProblem(
                "end_time", f"the end {end_wall:%H:%M} comes before the start {start_wall:%H:%M}"
            )
        ambiguous = f"{start_wall:%Y-%m-%d %H:%M}" if start.ambiguous else ""
        if end.ambiguous and not ambiguous:
            ambiguous = f"{end_wall:%Y-%m-%d %H:%M}"
        return start.instant, end.instant, False, ambiguous


_APPOINTMENT_FIELDS = tuple(f.name for f in dataclass_fields(Appointment))
_set = object.__setattr__


def _trusted(**values: Any) -> Appointment:
    """An Appointment from fields already in canonical form, skipping ``__post_init__``.

    Why: normalising every field again costs about a third of reading a large export, and
    :class:`RowReader` normalises (with caches) before building.  The tests compare every appointment
    built here with one built through the normal constructor, so the two cannot drift apart.
    Fields are set one by one in declaration order, so instances share their dict keys (as
    constructed ones do), which keeps 100,000 of them about 20 MB smaller.
    """
    appointment = object.__new__(Appointment)
    for name in _APPOINTMENT_FIELDS:
        _set(appointment, name, values[name])
    return appointment


def _unneutralise(cell: str) -> str:
    # Quotes before a formula-like value: the writer added exactly one (see writer.neutralise).
    return cell[1:] if cell[:1] == "'" and cell.lstrip("'")[:1] in _FORMULA_SET else cell


def _cell(cells: Sequence[str], i: int) -> str:
    return _unneutralise(cells[i].strip()) if i < len(cells) else ""


class _CellProblem(Exception):
    def __init__(self, field: str, reason: str, code: str = "bad-value") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.code = code


_T = TypeVar("_T")


def _value(parse: Callable[[str], _T], text: str, field: str) -> _T:
    try:
        return parse(text)
    except ValueProblem as exc:
        raise _CellProblem(field, str(exc)) from exc
