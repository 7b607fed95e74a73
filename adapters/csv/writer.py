"""Writing CSV: outbox import files for the studio software, and whole exports (examples, tests).

An outbox run writes one pair of files into ``writeback.path``: ``from-google-<UTC timestamp>.csv``,
full rows in the dialect of the export last read (its header order, encoding and line endings) plus an
``Action`` column (created / updated / cancelled), and ``from-google-<UTC timestamp>.ics`` with the same
changes.  Both are written atomically and never replace a file (a clash adds ``-1``, ``-2``...).
Columns an appointment's ``extra`` names but the header lacks are added before ``Action``.

Cells a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) get a leading quote.
Characters the export's encoding cannot hold (an emoji in cp1252) are written as ``?``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from adapters._combine import shown_after
from adapters._files import OUTBOX_PREFIX, outbox_stamp, replace_atomically, write_new
from adapters.csv.columns import ACTION_COLUMN, SPECTRA_HEADER, Statuses, header_key, mapping_for
from adapters.csv.rows import FORMULA_START, STAFF_ROLES
from adapters.csv.values import Clock, format_minutes
from syncengine.config.model import SourceConfig, StudioConfig, WritebackConfig
from syncengine.errors import WritebackError
from syncengine.model import Appointment
from syncengine.ports import StudioChange, WriteBackReceipt

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
) -> str:
    """The CSV text of ``rows`` (appointment, action); ``action`` adds the Action column."""
    rows = list(rows)
    columns = list(header)
    known = {header_key(h) for h in columns}
    for appointment, _ in rows:
        for name, _value in appointment.extra:
            if header_key(name) not in known:
                known.add(header_key(name))
                columns.append(name)
    if action and header_key(ACTION_COLUMN) not in known:
        columns.append(ACTION_COLUMN)
    writer = RowWriter(columns, mapping, studio, statuses, clock)
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer, lineterminator=newline)
    out.writerow(columns)
    for appointment, what in rows:
        cells = writer.cells(appointment, what if action else None)
        if newline != "\n":
            # Keep one line-ending style in the whole file, quoted newlines included.
            cells = [c.replace("\n", newline) for c in cells]
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
    replace_atomically(path, text.encode(encoding, errors="replace"))
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
    text = render_csv(
        ((c.appointment, c.action) for c in changes),
        dialect.header,
        source.mapping,
        source.context.config,
        source.statuses,
        source.clock,
        dialect.newline,
        action=True,
    )
    stem = f"{OUTBOX_PREFIX}{outbox_stamp(now)}"
    written = write_new(writeback.path / f"{stem}.csv", _encode(text, dialect.encoding))
    from adapters.ics.write import render_changes

    ics = render_changes(changes, source.context.config)
    written_ics = write_new(written.with_suffix(".ics"), ics)
    shown = tuple((c.appointment.uid, shown_after(c)) for c in changes)
    return WriteBackReceipt(files=(written, written_ics), shown=shown)


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
            )
        else:
            values.update(date=clock.format_date(a.start), end_date=clock.format_date(_last_day(a)))
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


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")
