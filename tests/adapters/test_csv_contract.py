"""CsvSource against the shared source contract."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from contract import MakeSource, SourceContract
from sources_support import csv_source

from adapters.csv import CsvSource, write_export
from syncengine.model import Appointment


class TestCsvContract(SourceContract):
    extra_sample = (("Booked By", "Front desk"),)

    @pytest.fixture
    def make_source(self, tmp_path: Path) -> MakeSource:
        def make(appointments: Sequence[Appointment]) -> CsvSource:
            source = csv_source(tmp_path / "exports" / "appointments.csv")
            write_export(source.config.path, appointments, source.context.config)
            return source

        return make

    def break_row(self, source: Any, uid: str) -> None:
        path: Path = source.config.path
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))
        date = rows[0].index("Date")
        for row in rows:
            if row[0] == uid:
                row[date] = "31/31/2025"
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        path.write_text(out.getvalue(), "utf-8", newline="")

    def truncate(self, source: Any) -> None:
        path: Path = source.config.path
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 12])
