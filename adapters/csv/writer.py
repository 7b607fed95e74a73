"""Writing CSV: outbox import files for the studio software, and whole exports (examples, tests).

An outbox run writes one pair of files into ``writeback.path``: ``from-google-<UTC timestamp>.csv``,
full rows in the dialect of the export last read (its header order, encoding and line endings) plus an
``Action`` column (created / updated / cancelled), and ``from-google-<UTC timestamp>.ics`` with the same
changes.  Both are written atomically and never replace a file (a clash adds ``-1``, ``-2``...).
Columns an appointment's ``extra`` names but the header lacks are added before ``Action``.

What a row says:

- Status: the label the studio's own export uses (:class:`adapters.csv.columns.StatusLabels`): an
  appointment the export had keeps the label of its row in the export last read while its status is
  unchanged (``Confirmed`` stays ``Confirmed`` even if ``Booked`` also means confirmed); a new status or
  a new appointment gets the label the export uses most for that status, else the configured / default
  one.  A cancellation is written with a cancelled status, as the studio will show it.
- All-day appointments leave the times empty.  One that lasts several days writes its last day into the
  ``end_date`` column when the file has one, and ``length`` = days x 1440 minutes (the Spectra grid has
  ``Length`` but no end-date column; :mod:`adapters.csv.rows` reads such a length back as that many
  days).  A layout with neither column gets the ``end_date`` header (``End Date``) added.
- Cells a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) get a leading quote.
- Line breaks inside cells use the file's own line ending, like the rows.

Encoding: the export's own.  When a character cannot be held in it (a ``✓`` or an emoji in cp1252),
nothing is replaced by ``?``: that file is written in UTF-8 with a BOM instead (the studio software and
spreadsheets recognise the BOM), and a warning says so (logger ``adapters.csv.writer``, and
:attr:`CsvSource.writeback_warnings`).

The receipt's ``shown`` is what the studio will show once it imports the file, exactly as this reader
will read it back: each written row is read again with the source's own layout and rules (the
``Action`` column left out), so a value the dialect cannot carry as sent (a role without its own
column, a resource name holding a comma) is reported as it will come back.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from adapters._combine import shown_after
from adapters._files import OUTBOX_PREFIX, outbox_stamp, replace_atomically, write_new
from adapters.csv.columns import (
    ACTION_COLUMN,
    SPECTRA_HEADER,
    Statuses,
    StatusLabels,
    header_key,
    mapping_for,
)
from adapters.csv.rows import DAY_MINUTES, FORMULA_START, STAFF_ROLES, Layout, RowFailure, RowReader
from adapters.csv.values import Clock, format_minutes
from syncengine.config.model import SourceConfig, StudioConfig, WritebackConfig
from syncengine.errors import SourceError, WritebackError
from syncengine.model import Appointment
from syncengine.ports import Diagnostic, StudioChange, WriteBackReceipt

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from adapters.csv.source import CsvDialect, CsvSource


def render_csv(
    rows: Iterable[tuple[Appointment, str | None]],
    header: Sequence[str],
    mapping: dict[str, str],
    studio: StudioConfig,
    statuses: Statuses,
    clock: Clock,
    newline: str = "\r\n",
    action: bool = False,
    labels: StatusLabels | None = None,
) -> str:
    """The CSV text of ``rows`` (appointment, action); ``action`` adds the Action column.

    ``labels`` chooses the status labels (default: ``statuses.label``, nothing remembered).
    """
    rows = list(rows)
    columns = list(header)
    known = {header_key(h) for h in columns}
    for appointment, _ in rows:
        for name, _value in appointment.extra:
            if header_key(name) not in known:
                known.add(header_key(name))
                columns.append(name)
    carries_days = any(f in mapping and header_key(mapping[f]) in known for f in ("length", "end_date"))
    if not carries_days and any(_days(a) > 1 for a, _ in rows):
        end_date = mapping.get("end_date", "End Date")
        known.add(header_key(end_date))
        columns.append(end_date)
    if action and header_key(ACTION_COLUMN) not in known:
        columns.append(ACTION_COLUMN)
    writer = RowWriter(columns, mapping, studio, labels or StatusLabels(statuses), clock)
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer, lineterminator=newline)
    out.writerow(columns)
    for appointment, what in rows:
        cells = writer.cells(appointment, what if action else None)
        # Keep one line-ending style in the whole file, quoted line breaks included (a cell kept
        # verbatim from a CRLF export already holds CRLF: it must not become CR CR LF).
        cells = [_line_ends(c, newline) for c in cells]
        out.writerow(cells)
    return buffer.getvalue()


def write_export(
    path: Path,
    appointments: Iterable[Appointment],
    studio: StudioConfig,
    config: SourceConfig | None = None,
    *,
    header: Sequence[str] = SPECTRA_HEADER,
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> Path:
    """Write ``appointments`` as a whole export file (replacing ``path``), as the studio software would."""
    mapping = mapping_for(config.dialect if config else None, config.columns if config else ())
    statuses = Statuses.from_config(config.statuses if config else ())
    text = render_csv(
        ((a, None) for a in appointments), header, mapping, studio, statuses, Clock(studio.studio.timezone),
        newline,
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    data, _text, problem = encode(text, encoding)
    if problem:
        log.warning("%s: %s", path, problem)
    replace_atomically(path, data)
    return path


def write_outbox(
    source: CsvSource, changes: Sequence[StudioChange], writeback: WritebackConfig, now: datetime
) -> WriteBackReceipt:
    """The outbox pair for ``changes`` (see the module docstring)."""
    if writeback.mode == "off" or not changes:
        return WriteBackReceipt()
    if writeback.mode != "outbox":
        raise WritebackError(
            writeback.path or source.config.path,
            "a CSV export cannot be rewritten in place; use writeback.mode: outbox",
        )
    if writeback.path is None:
        raise WritebackError(source.config.path, "writeback.path is not set")
    dialect: CsvDialect = source.dialect
    # What each row says: the appointment as the studio will show it (a cancellation, cancelled).
    rows = [(shown_after(c), c.action) for c in changes]
    text = render_csv(
        rows,
        dialect.header,
        source.mapping,
        source.context.config,
        source.statuses,
        source.clock,
        dialect.newline,
        action=True,
        labels=StatusLabels(source.statuses, dialect.labels),
    )
    stem = f"{OUTBOX_PREFIX}{outbox_stamp(now)}"
    data, text, problem = encode(text, dialect.encoding)
    written = write_new(writeback.path / f"{stem}.csv", data)
    source.writeback_warnings = []
    if problem:
        log.warning("%s: %s", written, problem)
        source.writeback_warnings.append(
            Diagnostic("warning", problem, file=str(written), code="outbox-encoding")
        )
    from adapters.ics.write import render_changes

    ics = render_changes(changes, source.context.config)
    written_ics = write_new(written.with_suffix(".ics"), ics)
    back = read_back(source, text, written, dialect.header)
    shown = tuple(
        (sent.uid, sent if again is None else again.evolve(uid=sent.uid))
        for (sent, _), again in zip(rows, back, strict=True)
    )
    return WriteBackReceipt(files=(written, written_ics), shown=shown)


def read_back(
    source: CsvSource, text: str, path: Path, export_header: Sequence[str]
) -> list[Appointment | None]:
    """The rows of outbox ``text`` as :class:`CsvSource` reads them once the studio exports them.

    One entry per row, in order; None for a row this reader would not take (then the caller falls
    back to the value sent).  The ``Action`` column is not part of an export, so it is left out of
    ``extra`` unless the export itself has such a column; the uid is left to the caller (an export
    without an id column has natural keys, which are not the outbox's business).
    """
    cells = list(csv.reader(io.StringIO(text, newline="")))
    if not cells:
        return []
    try:
        layout = Layout.resolve(path, cells[0], source.mapping, source.config.key)
    except SourceError:
        return [None] * (len(cells) - 1)
    clock = Clock(source.context.config.studio.timezone)
    reader = RowReader(layout, source.context.config, source.statuses, clock, path)
    action = header_key(ACTION_COLUMN)
    keep_action = action in {header_key(h) for h in export_header}
    out: list[Appointment | None] = []
    for line, row in enumerate(cells[1:], start=2):
        parsed = reader.read(row, line)
        if isinstance(parsed, RowFailure):
            out.append(None)
            continue
        appointment = parsed.appointment
        extra = tuple((k, v) for k, v in appointment.extra if keep_action or header_key(k) != action)
        out.append(appointment.evolve(extra=extra))
    return out


class RowWriter:
    """Writes appointments as cells of one header (the export's own, plus columns it lacks)."""

    def __init__(
        self,
        header: Sequence[str],
        mapping: dict[str, str],
        studio: StudioConfig,
        labels: StatusLabels,
        clock: Clock,
    ) -> None:
        self.header = list(header)
        positions = {header_key(h): i for i, h in enumerate(self.header)}
        self.index = {f: positions[header_key(h)] for f, h in mapping.items() if header_key(h) in positions}
        self.positions = positions
        self.labels = labels
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
            "status": self.labels.label(a.uid, a.status),
            "title": a.title,
            "notes": a.description,
            "resources": "; ".join(a.resources),
            "location": "" if a.location == "; ".join(a.resources) else a.location,
        }
        for field_name, role in STAFF_ROLES:
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
                end_date=clock.format_date(end.date()),  # informative only: times settle the end
            )
        else:
            values.update(date=clock.format_date(a.start), end_date=clock.format_date(_last_day(a)))
            days = _days(a)
            if days > 1:
                # The Spectra grid has no end date: a whole number of days in Length carries it.
                values["length"] = format_minutes(timedelta(minutes=days * DAY_MINUTES))
        return values


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would run as a formula (CSV injection).

    A cell that already looks neutralised (``'=...``, ``''=...``) gets one more quote, so reading strips
    exactly one.
    """
    if cell.lstrip("'").startswith(FORMULA_START):
        return "'" + cell
    return cell


def _last_day(a: Appointment) -> date:
    end = a.end if not isinstance(a.end, datetime) else a.end.date()
    return max(a.start if not isinstance(a.start, datetime) else a.start.date(), end - timedelta(days=1))


def _days(a: Appointment) -> int:
    """How many days an all-day appointment covers (0 for a timed one)."""
    if not a.all_day or isinstance(a.start, datetime) or isinstance(a.end, datetime):
        return 0
    return max(1, (a.end - a.start).days)


def _line_ends(cell: str, newline: str) -> str:
    if "\r" not in cell and (newline == "\n" or "\n" not in cell):
        return cell
    return cell.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline)


_UNICODE = {"utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def encode(text: str, encoding: str) -> tuple[bytes, str, str]:
    """``text`` in ``encoding`` without loss: (bytes, the text they hold, a problem or "").

    A character the encoding cannot hold makes the whole file UTF-8 with a BOM (never a ``?``); the
    problem then names the character and says what was done, for a warning.  A lone surrogate (no
    encoding holds one; JSON can carry it) becomes U+FFFD, and the problem says so.
    """
    problems: list[str] = []
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
        problems.append("a lone surrogate (broken text from a calendar) is written as U+FFFD")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        before = text[: exc.start].replace("\r\n", "\n").replace("\r", "\n")
        problems.append(
            f"{bad!r} (U+{ord(bad):04X}, line {before.count(chr(10)) + 1}) cannot be written in "
            f"{encoding}; the file is written in UTF-8 with a BOM instead, so nothing is lost (check "
            "that the studio software imports it)"
        )
        data = codecs.BOM_UTF8 + text.encode("utf-8")
    return data, text, "; ".join(problems)
