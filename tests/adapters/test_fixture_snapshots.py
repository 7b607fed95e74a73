"""Canonical records parsed from tricky export files, one file per quirk, pinned with syrupy.

Each snapshot holds the appointments (``Appointment.to_canonical()``), the diagnostics (file name,
line, column, severity, code, uid, message), whether the read was complete, the unreadable uids and the
rejected files.  Regenerate with ``pytest tests/adapters --snapshot-update`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sources_support import FIXTURES, context_for, csv_source, ics_source
from syrupy.assertion import SnapshotAssertion

from syncengine.ports import SourceRead

CSV_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.csv") if p.name != "renamed_columns.csv")
ICS_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.ics"))


def summary(read: SourceRead) -> dict[str, Any]:
    return {
        "complete": read.complete,
        "appointments": [a.to_canonical() for a in read.appointments],
        "diagnostics": [
            {
                "where": f"{Path(d.file).name if d.file else ''}:{d.line}:{d.column}",
                "severity": d.severity,
                "code": d.code,
                "uid": d.uid,
                "message": d.message,
            }
            for d in read.diagnostics
        ],
        "unreadable": sorted(read.unreadable),
        "rejected": [p.name for p in read.rejected],
    }


@pytest.mark.parametrize("name", CSV_FIXTURES)
def test_csv_fixture(name: str, snapshot: SnapshotAssertion, tmp_path: Path) -> None:
    source = csv_source(FIXTURES / name, context_for(tmp_path))
    assert summary(source.read()) == snapshot


@pytest.mark.parametrize("name", ICS_FIXTURES)
def test_ics_fixture(name: str, snapshot: SnapshotAssertion, tmp_path: Path) -> None:
    source = ics_source(FIXTURES / name, context_for(tmp_path))
    assert summary(source.read()) == snapshot


def test_renamed_columns_and_custom_statuses(snapshot: SnapshotAssertion, tmp_path: Path) -> None:
    columns = (
        ("id", "Ref"), ("client", "Customer"), ("type", "Kind"), ("status", "State"), ("title", "Title"),
        ("date", "Day"), ("start", "From"), ("end", "To"), ("photographer", "Shooter"),
        ("resources", "Room"), ("notes", "Memo"),
    )  # fmt: skip
    source = csv_source(
        FIXTURES / "renamed_columns.csv",
        context_for(tmp_path),
        columns=columns,
        statuses=(("Pencilled", "tentative"), ("Booked", "confirmed")),
    )
    read = source.read()
    assert [a.status for a in read.appointments] == ["confirmed", "tentative"]
    assert read.appointments[0].extra == (("Source", "phone"),)
    assert summary(read) == snapshot
