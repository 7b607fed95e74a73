"""The CSV studio source: reads exports (a file or a drop folder) and writes outbox files.

Reading one file (:func:`read_csv_file`):

1. decode (``encoding: auto``: BOM, UTF-8, else cp1252); bytes invalid in the chosen encoding reject the
   file;
2. the csv module in strict mode over the text split at CRLF, LF or CR; line numbers are physical lines
   (a quoted newline moves the next row down).  An unterminated quote, or a last row that stops short
   with no final newline (a truncated file), rejects the file;
3. the header resolved against the column mapping (a missing date or key column rejects the file);
4. each row read on its own: a bad cell is an error diagnostic (file, line, column, reason) and the
   row's uid, when its id cell was readable, goes to ``unreadable``.

Identity.  The uid is the key column(s) (default the dialect's id column, ``AppointmentID``), several
joined with ``|``.  An export without that column gets a *natural key* instead:
``nk-`` + a digest of (client, type, session), casefolded.  The date and time are not part of it, so a
rescheduled row keeps its uid (an update, not a delete plus a create).  When rows share a natural key,
each gets ``-`` + a digest of its cells minus date and time; rows identical but for date and time are
then numbered in start order (``-2``, ``-3``...).

The same uid twice in one file is an error naming both lines; neither row is used and the read is
incomplete.  A name in a staff column that matches no user is warned about once per read.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from adapters._combine import FileRead, combine, duplicate, gc_paused
from adapters._files import decode, read_bytes, source_files
from adapters.csv.columns import SPECTRA_HEADER, Statuses, mapping_for
from adapters.csv.rows import Layout, ParsedRow, RowFailure, RowReader
from adapters.csv.values import Clock
from syncengine.config.model import SourceConfig, WritebackConfig
from syncengine.errors import SourceError
from syncengine.model import Appointment
from syncengine.ports import Diagnostic, SourceContext, SourceRead, StudioChange, WriteBackReceipt


@dataclass(frozen=True)
class CsvDialect:
    """How the export last read was written: write-back files copy it."""

    header: tuple[str, ...] = SPECTRA_HEADER
    encoding: str = "utf-8"
    newline: str = "\r\n"
    #: uid -> the status label its row had, as written (write-back keeps it; see StatusLabels)
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


class CsvSource:
    """A CSV export, or a drop folder of them (``*.ics`` files in the folder are read too)."""

    format_name: ClassVar[str] = "csv"
    supports_in_place: ClassVar[bool] = False

    def __init__(self, config: SourceConfig, context: SourceContext) -> None:
        self.config = config
        self.context = context
        try:
            self.mapping = mapping_for(config.dialect, config.columns)
        except KeyError as exc:
            raise SourceError(config.path, f"unknown dialect or column field {exc.args[0]!r}") from exc
        try:
            self.statuses = Statuses.from_config(config.statuses)
            self.clock = Clock(context.config.studio.timezone)
        except (ValueError, LookupError) as exc:
            raise SourceError(config.path, str(exc)) from exc
        self.dialect = CsvDialect(encoding="utf-8" if config.encoding == "auto" else config.encoding)
        #: what the last write-back had to warn about (also logged): an encoding fallback, ...
        self.writeback_warnings: list[Diagnostic] = []

    def read(self) -> SourceRead:
        reads: list[FileRead] = []
        labels: dict[str, str] = {}
        with gc_paused():
            for path in source_files(self.config.path):
                if path.suffix.lower() == ".ics":
                    from adapters.ics.parse import read_ics_file

                    reads.append(read_ics_file(path, self.context, self.config.encoding))
                    continue
                read, dialect = read_csv_file(
                    path, self.config, self.context, self.mapping, self.statuses, self.clock
                )
                reads.append(read)
                if dialect is not None:
                    labels.update(dialect.labels)  # files oldest first: a later file's row wins
                    self.dialect = dialect
        # Every file's labels, so a uid the newest file lacks still keeps its label.
        self.dialect = replace(self.dialect, labels=labels)
        return combine(self.config.id, reads, self.config.combine)

    def write_back(
        self, changes: Sequence[StudioChange], writeback: WritebackConfig, now: datetime
    ) -> WriteBackReceipt:
        from adapters.csv.writer import write_outbox

        return write_outbox(self, changes, writeback, now)


def read_csv_file(
    path: Path,
    config: SourceConfig,
    context: SourceContext,
    mapping: dict[str, str],
    statuses: Statuses,
    clock: Clock,
) -> tuple[FileRead, CsvDialect | None]:
    """Read one CSV export (see the module docstring); never raises for bad content."""
    out = FileRead(path)
    data = read_bytes(path)
    out.digest = hashlib.sha256(data).hexdigest()
    try:
        decoded = decode(path, data, config.encoding)
    except SourceError as exc:
        return out.reject(exc.reason, exc.line), None
    text = decoded.text
    if not text.strip():
        return out.reject("the file is empty (not even a header)", 1), None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[ParsedRow] = []
    seen: dict[str, int] = {}
    twice: set[str] = set()
    try:
        header = next(reader)
        layout = Layout.resolve(path, header, mapping, config.key)
        row_reader = RowReader(layout, context.config, statuses, clock, path)
        previous = reader.line_num
        last: list[str] = []
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            last = cells
            if not any(cells):
                continue
            parsed = row_reader.read(cells, line)
            uid: str | None
            if isinstance(parsed, RowFailure):
                uid = parsed.uid
                out.diagnostics.append(_failure(path, parsed))
                if uid is None:
                    out.complete = False
                else:
                    out.unreadable.add(uid)
            else:
                uid = parsed.appointment.uid
                rows.append(parsed)
            # A uid seen before, on a readable row or not, is a duplicate (natural keys come later).
            if uid and uid in seen:
                out.diagnostics.append(duplicate(path, uid, seen[uid], line))
                twice.add(uid)
            elif uid:
                seen[uid] = line
    except csv.Error as exc:
        return out.reject(f"the file did not parse ({exc})", reader.line_num), None
    except SourceError as exc:
        return out.reject(exc.reason, exc.line), None
    if last and len(last) < len(layout.header) and not text.endswith(("\n", "\r")):
        return out.reject(
            f"the last row stops after {len(last)} of {len(layout.header)} columns (a truncated file?)",
            previous,
        ), None
    if twice:
        out.unreadable.update(twice)
        out.complete = False
    if out.unreadable:
        rows = [r for r in rows if r.appointment.uid not in out.unreadable]
    if not layout.key:
        _assign_natural_keys(rows)
    labels: dict[str, str] = {}
    for parsed in rows:
        _row_diagnostics(path, parsed, out)
        out.appointments.append(parsed.appointment)
        labels[parsed.appointment.uid] = parsed.label
    return out, CsvDialect(layout.header, decoded.encoding, decoded.newline, labels)


def _assign_natural_keys(rows: list[ParsedRow]) -> None:
    groups: dict[str, list[ParsedRow]] = {}
    for parsed in rows:
        groups.setdefault(parsed.natural, []).append(parsed)
    for natural, group in groups.items():
        base = "nk-" + hashlib.sha256(natural.encode("utf-8")).hexdigest()[:16]
        if len(group) == 1:
            group[0].appointment = group[0].appointment.evolve(uid=base)
            continue
        by_rest: dict[str, list[ParsedRow]] = {}
        for parsed in group:
            by_rest.setdefault(parsed.rest, []).append(parsed)
        for rest, same in by_rest.items():
            same.sort(key=lambda p: (p.appointment.canonical(("start",))["start"], p.line))
            for n, parsed in enumerate(same, start=1):
                suffix = f"-{rest[:8]}" + (f"-{n}" if n > 1 else "")
                parsed.appointment = parsed.appointment.evolve(uid=base + suffix)


def _row_diagnostics(path: Path, parsed: ParsedRow, out: FileRead) -> None:
    uid = parsed.appointment.uid
    for column, message, code in parsed.warnings:
        col = None if column is None else column + 1
        out.diagnostics.append(Diagnostic("warning", message, str(path), parsed.line, col, uid, code))
    for name in parsed.unknown_staff:
        out.diagnostics.append(
            Diagnostic(
                "warning",
                f"{name!r} matches no user (names, ids and aliases in users:); not synced to a calendar",
                str(path),
                parsed.line,
                uid=uid,
                code="unknown-staff",
            )
        )


def _failure(path: Path, failure: RowFailure) -> Diagnostic:
    return Diagnostic(
        "error",
        f"row not read: {failure.reason}",
        file=str(path),
        line=failure.line,
        column=failure.column,
        uid=failure.uid,
        code=failure.code,
    )


def appointments_by_uid(read: SourceRead) -> dict[str, Appointment]:
    """Convenience for callers and tests: the read's appointments keyed by uid."""
    return {a.uid: a for a in read.appointments}
