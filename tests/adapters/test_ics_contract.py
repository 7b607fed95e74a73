"""IcsSource against the shared source contract: a single file, and a folder of one-event files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from contract import MakeSource, SourceContract
from sources_support import context_for, ics_source

from adapters.ics import IcsSource, render_appointments
from syncengine.model import Appointment


class TestIcsContract(SourceContract):
    extra_sample = (('ATTENDEE;CN="Jane Smith"', "mailto:jane@example.com"), ("X-BOOKED-BY", "Front desk"))

    @pytest.fixture
    def make_source(self, tmp_path: Path) -> MakeSource:
        def make(appointments: Sequence[Appointment]) -> IcsSource:
            path = tmp_path / "exports" / "calendar.ics"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render_appointments(appointments, context_for(tmp_path).config))
            return ics_source(path, context_for(tmp_path))

        return make

    def break_row(self, source: Any, uid: str) -> None:
        path: Path = source.config.path
        text = path.read_bytes().decode("utf-8")
        blocks = text.split("BEGIN:VEVENT")
        for i, block in enumerate(blocks):
            if f"UID:{uid}\r\n" in block:
                blocks[i] = re.sub(r"DTSTART[^\r\n]*", "DTSTART:2025-99-99", block, count=1)
        path.write_text("BEGIN:VEVENT".join(blocks), "utf-8", newline="")

    def truncate(self, source: Any) -> None:
        path: Path = source.config.path
        text = path.read_bytes().decode("utf-8")
        path.write_text(text[: text.rindex("END:VEVENT")], "utf-8", newline="")


class TestIcsFolderContract(TestIcsContract):
    """One file per event, as the old calendar bridges drop them."""

    @pytest.fixture
    def make_source(self, tmp_path: Path) -> MakeSource:
        def make(appointments: Sequence[Appointment]) -> IcsSource:
            folder = tmp_path / "exports"
            folder.mkdir(parents=True, exist_ok=True)
            studio = context_for(tmp_path).config
            for a in appointments:
                (folder / f"{a.uid}.ics").write_bytes(render_appointments([a], studio))
            return ics_source(folder, context_for(tmp_path))

        return make

    def _file_of(self, source: Any, uid: str) -> Path:
        return Path(source.config.path) / f"{uid}.ics"

    def break_row(self, source: Any, uid: str) -> None:
        path = self._file_of(source, uid)
        text = path.read_bytes().decode("utf-8")
        head, _, event = text.partition("BEGIN:VEVENT")
        event = re.sub(r"DTSTART[^\r\n]*", "DTSTART:2025-99-99", event, count=1)
        path.write_text(f"{head}BEGIN:VEVENT{event}", "utf-8", newline="")

    def truncate(self, source: Any) -> None:
        path = self._file_of(source, "1002")
        text = path.read_bytes().decode("utf-8")
        path.write_text(text[: text.rindex("END:VEVENT")], "utf-8", newline="")
