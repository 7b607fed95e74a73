"""The ICS studio source: a single calendar file or a folder of one-event files.

Reading follows :mod:`adapters.ics.parse` (``*.csv`` files in a drop folder are read with the CSV
mapping of the same source config).  Write-back:

- ``outbox``: one ``from-google-<UTC timestamp>.ics`` in ``writeback.path`` holding the changes, written
  atomically and never replacing a file;
- ``in-place``: the files the appointments came from are rewritten atomically (other events and unknown
  properties preserved, see :mod:`adapters.ics.write`); an appointment new to the studio is appended to
  a single-file source, or becomes its own file in a folder source.  Before anything is written, every
  file to rewrite is compared with the SHA-256 taken when it was read: if one changed since, nothing is
  written and :class:`~syncengine.errors.WritebackError` says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar

from adapters._combine import FileRead, combine, gc_paused, shown_after
from adapters._files import (
    OUTBOX_PREFIX,
    decode,
    outbox_stamp,
    read_bytes,
    replace_atomically,
    source_files,
    write_new,
)
from adapters.ics.parse import read_ics_file, split_occurrence
from adapters.ics.write import apply_in_place, event_for, render_calendar, render_changes
from syncengine.config.model import SourceConfig, WritebackConfig
from syncengine.errors import SourceError, WritebackError
from syncengine.ports import SourceContext, SourceRead, StudioChange, WriteBackReceipt

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class _Seen:
    digest: str
    encoding: str


class IcsSource:
    """ICS exports (see the module docstring)."""

    format_name: ClassVar[str] = "ics"
    supports_in_place: ClassVar[bool] = True

    def __init__(self, config: SourceConfig, context: SourceContext) -> None:
        self.config = config
        self.context = context
        try:
            ZoneInfo(context.config.studio.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SourceError(
                config.path, f"unknown studio time zone {context.config.studio.timezone!r}"
            ) from exc
        self._seen: dict[Path, _Seen] = {}
        #: series or event UID -> the file it was read from
        self._home: dict[str, Path] = {}
        self._read_once = False

    def read(self) -> SourceRead:
        reads: list[FileRead] = []
        self._seen.clear()
        self._home.clear()
        self._read_once = True
        with gc_paused():
            for path in source_files(self.config.path):
                if path.suffix.lower() == ".csv":
                    reads.append(self._read_csv(path))
                    continue
                read = read_ics_file(path, self.context, self.config.encoding)
                reads.append(read)
                if read.rejected:
                    continue
                self._seen[path] = _Seen(read.digest, self._encoding_of(path))
                for appointment in read.appointments:
                    self._home.setdefault(split_occurrence(appointment.uid)[0], path)
                for uid in read.unreadable:
                    self._home.setdefault(split_occurrence(uid)[0], path)
        return combine(self.config.id, reads, self.config.combine)

    def _read_csv(self, path: Path) -> FileRead:
        from adapters.csv.source import CsvSource, read_csv_file

        helper = CsvSource(self.config, self.context)
        read, _ = read_csv_file(
            path, self.config, self.context, helper.mapping, helper.statuses, helper.clock
        )
        return read

    def _encoding_of(self, path: Path) -> str:
        try:
            return decode(path, read_bytes(path), self.config.encoding).encoding
        except SourceError:
            return "utf-8"

    def write_back(
        self, changes: Sequence[StudioChange], writeback: WritebackConfig, now: datetime
    ) -> WriteBackReceipt:
        if writeback.mode == "off" or not changes:
            return WriteBackReceipt()
        studio = self.context.config
        shown = tuple((c.appointment.uid, shown_after(c)) for c in changes)
        if writeback.mode == "outbox":
            if writeback.path is None:
                raise WritebackError(self.config.path, "writeback.path is not set")
            target = writeback.path / f"{OUTBOX_PREFIX}{outbox_stamp(now)}.ics"
            return WriteBackReceipt(files=(write_new(target, render_changes(changes, studio)),), shown=shown)
        return WriteBackReceipt(files=tuple(self._in_place(changes)), shown=shown)

    def _in_place(self, changes: Sequence[StudioChange]) -> list[Path]:
        studio = self.context.config
        folder = self.config.path.is_dir()
        if not self._read_once:
            raise WritebackError(self.config.path, "read the source before writing it in place")
        by_file: dict[Path, list[StudioChange]] = {}
        new: list[StudioChange] = []
        for change in changes:
            home = self._home.get(split_occurrence(change.appointment.uid)[0])
            if home is None and not folder:
                home = self.config.path
            if home is None:
                new.append(change)
            else:
                by_file.setdefault(home, []).append(change)
        # Check every file first, so a refusal leaves all of them untouched.
        texts: dict[Path, str] = {}
        for path in by_file:
            seen = self._seen.get(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise WritebackError(path, f"cannot read: {exc.strerror or exc}") from exc
            if seen is None:
                raise WritebackError(path, "the file could not be read last time; fix or re-export it first")
            if hashlib.sha256(data).hexdigest() != seen.digest:
                raise WritebackError(path, "the file changed since it was read; the next run reads it again")
            texts[path] = data.decode(seen.encoding)
        written: list[Path] = []
        for path, file_changes in by_file.items():
            try:
                calendar = Calendar.from_ical(texts[path])
            except ValueError as exc:
                raise WritebackError(path, f"the file no longer parses ({exc})") from exc
            apply_in_place(calendar, file_changes, studio)
            data = calendar.to_ical().decode("utf-8").encode(self._seen[path].encoding, errors="replace")
            replace_atomically(path, data)
            self._seen[path] = _Seen(hashlib.sha256(data).hexdigest(), self._seen[path].encoding)
            written.append(path)
        for change in new:
            name = _UNSAFE.sub("-", change.appointment.uid).strip("-") or "appointment"
            data = render_calendar([event_for(shown_after(change), studio)])
            path = write_new(self.config.path / f"{name}.ics", data)
            self._home[split_occurrence(change.appointment.uid)[0]] = path
            self._seen[path] = _Seen(hashlib.sha256(data).hexdigest(), "utf-8")
            written.append(path)
        return written
