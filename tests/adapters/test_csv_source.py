"""CsvSource behaviour beyond the contract: identity, drop folders, the outbox dialect."""

from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import pytest
from sources_support import FIXTURES, NOW, ZONE, context_for, csv_source, ics_source

from adapters.csv import CsvSource, write_export
from syncengine import plugins
from syncengine.config.model import WritebackConfig
from syncengine.errors import SourceError, WritebackError
from syncengine.model import Appointment
from syncengine.ports import StudioChange


def _by_client(source: CsvSource) -> dict[str, list[Appointment]]:
    out: dict[str, list[Appointment]] = {}
    for a in source.read().appointments:
        out.setdefault(a.client, []).append(a)
    return out


def test_registered_as_entry_points() -> None:
    from adapters.ics import IcsSource

    assert plugins.load(plugins.SOURCES, "csv") is CsvSource
    assert plugins.load(plugins.SOURCES, "ics") is IcsSource


def test_reschedule_without_an_id_column_keeps_the_uid(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    shutil.copy(FIXTURES / "no_id.csv", export)
    source = csv_source(export, context_for(tmp_path))
    before = _by_client(source)
    shutil.copy(FIXTURES / "no_id_rescheduled.csv", export)
    after = _by_client(source)
    # Tate moved to another day, the second Ueda mini moved an hour: same uids, new times.
    assert [a.uid for a in after["Tate"]] == [a.uid for a in before["Tate"]]
    assert after["Tate"][0].start != before["Tate"][0].start
    assert {a.uid for a in after["Ueda"]} == {a.uid for a in before["Ueda"]}
    assert len({a.uid for a in after["Ueda"]}) == 2
    assert {a.uid for a in after["Stone"]} == {a.uid for a in before["Stone"]}


def test_rows_identical_but_for_time_are_numbered_in_start_order(tmp_path: Path) -> None:
    header = "Client Name,Appointment Type,Date,Start Time,End Time\r\n"
    rows = "Vu,Mini,3/5/2025,11:00 AM,11:20 AM\r\nVu,Mini,3/5/2025,9:00 AM,9:20 AM\r\n"
    (tmp_path / "minis.csv").write_text(header + rows, "utf-8", newline="")
    read = csv_source(tmp_path / "minis.csv", context_for(tmp_path)).read()
    first, second = sorted(read.appointments, key=lambda a: a.uid)
    assert second.uid == first.uid + "-2"
    assert first.start < second.start


def test_configured_key_columns_make_the_uid(tmp_path: Path) -> None:
    read = csv_source(
        FIXTURES / "lf.csv", context_for(tmp_path), key=("AppointmentID", "Session Number")
    ).read()
    assert [a.uid for a in read.appointments] == ["2005|S-14", "2006|S-15"]
    missing = csv_source(FIXTURES / "lf.csv", context_for(tmp_path), key=("Booking Ref",)).read()
    assert not missing.complete and missing.appointments == ()
    assert "no key column 'Booking Ref'" in missing.diagnostics[0].message


def test_missing_export_raises(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        csv_source(tmp_path / "nope.csv", context_for(tmp_path)).read()


def _export(path: Path, rows: list[str], mtime: int) -> None:
    header = "AppointmentID,Client Name,Appointment Type,Date,Start Time,End Time\r\n"
    path.write_text(header + "".join(r + "\r\n" for r in rows), "utf-8", newline="")
    os.utime(path, (mtime, mtime))


def test_drop_folder_newest_file_wins_per_uid(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    _export(
        drop / "monday.csv",
        ["1,Ames,Portrait,3/3/2025,9:00 AM,10:00 AM", "2,Bo,Portrait,3/3/2025,1:00 PM,2:00 PM"],
        1000,
    )
    _export(drop / "tuesday.csv", ["1,Ames,Portrait,3/4/2025,9:00 AM,10:00 AM"], 2000)
    _export(drop / "~$tuesday.csv", ["9,Lock,Portrait,3/4/2025,9:00 AM,10:00 AM"], 3000)
    _export(drop / "partial.csv.part", ["8,Part,Portrait,3/4/2025,9:00 AM,10:00 AM"], 3000)
    (drop / "broken.csv").write_bytes(b'AppointmentID,Date\r\n3,"3/5/2025')
    os.utime(drop / "broken.csv", (1500, 1500))
    read = csv_source(drop, context_for(tmp_path)).read()
    found = {a.uid: a for a in read.appointments}
    assert set(found) == {"1", "2"}
    assert found["1"].start.day == 4  # type: ignore[union-attr]
    assert [p.name for p in read.rejected] == ["broken.csv"]
    assert not read.complete
    assert [p.name for p in read.files] == ["monday.csv", "broken.csv", "tuesday.csv"]


def test_drop_folder_separate_sets_flag_shared_uids(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    _export(drop / "a.csv", ["1,Ames,Portrait,3/3/2025,9:00 AM,10:00 AM"], 1000)
    _export(
        drop / "b.csv",
        ["1,Ames,Portrait,3/4/2025,9:00 AM,10:00 AM", "2,Bo,Portrait,3/4/2025,1:00 PM,2:00 PM"],
        2000,
    )
    read = csv_source(drop, context_for(tmp_path), combine="separate").read()
    assert [a.uid for a in read.appointments] == ["2"]
    assert read.unreadable == {"1"} and not read.complete
    message = next(d.message for d in read.diagnostics if d.code == "duplicate-uid")
    assert "a.csv:2" in message and "b.csv:2" in message


def test_drop_folder_reads_ics_files_too(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(FIXTURES / "crlf.csv", drop / "crlf.csv")
    shutil.copy(FIXTURES / "duration.ics", drop / "duration.ics")
    read = csv_source(drop, context_for(tmp_path)).read()
    assert {a.uid for a in read.appointments} == {"3001", "dur-1", "dur-2", "dur-3"}


def _rows(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_outbox_speaks_the_exports_dialect(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    shutil.copy(FIXTURES / "cp1252.csv", export)
    source = csv_source(export, context_for(tmp_path))
    (original,) = source.read().appointments
    moved = original.evolve(
        title="=cmd|' /C calc'!A0", start=original.start.replace(hour=11), end=original.end.replace(hour=12)
    )  # type: ignore[union-attr]
    created = Appointment(
        uid="google-e1",
        title="Café visit",
        start=datetime(2025, 3, 20, 15, 0, tzinfo=NOW.tzinfo),
        end=datetime(2025, 3, 20, 16, 0, tzinfo=NOW.tzinfo),
        timezone=ZONE,
    )
    receipt = source.write_back(
        [StudioChange("updated", moved), StudioChange("created", created)],
        WritebackConfig(mode="outbox", path=tmp_path / "outbox"),
        NOW,
    )
    csv_file, ics_file = receipt.files
    assert csv_file.name == "from-google-20250301T120000Z.csv" and ics_file.suffix == ".ics"
    data = csv_file.read_bytes()
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    rows = _rows(data, "cp1252")
    assert rows[0] == [*export.read_bytes().decode("cp1252").splitlines()[0].split(","), "Action"]
    updated, new = dict(zip(rows[0], rows[1], strict=True)), dict(zip(rows[0], rows[2], strict=True))
    assert updated["Description"].startswith("'=cmd")  # neutralised
    assert updated["Client Name"] == "Zoë Müller" and updated["Booked By"] == "Front desk"
    assert (updated["Start Time"], updated["End Time"], updated["Length"]) == ("11:00 AM", "12:00 PM", "60")
    assert updated["Action"] == "updated" and new["Action"] == "created"
    assert new["AppointmentID"] == "google-e1" and new["Description"] == "Café visit"
    written = ics_source(ics_file, context_for(tmp_path)).read()
    assert written.complete and [a.uid for a in written.appointments] == ["2001", "google-e1"]
    assert written.appointments[0].start == moved.start
    assert ("X-BOOKED-BY", "Front desk") in written.appointments[0].extra


def test_outbox_needs_a_path_and_refuses_in_place(tmp_path: Path) -> None:
    source = csv_source(FIXTURES / "crlf.csv", context_for(tmp_path))
    (a,) = source.read().appointments
    with pytest.raises(WritebackError):
        source.write_back([StudioChange("updated", a)], WritebackConfig(mode="outbox"), NOW)
    with pytest.raises(WritebackError, match="in place"):
        source.write_back([StudioChange("updated", a)], WritebackConfig(mode="in-place", path=tmp_path), NOW)


@pytest.mark.parametrize("encoding,newline", [("utf-16", "\r\n"), ("utf-8-sig", "\n"), ("cp1252", "\r")])
def test_written_exports_read_back_in_every_encoding(tmp_path: Path, encoding: str, newline: str) -> None:
    first = csv_source(FIXTURES / "quoted_newline.csv", context_for(tmp_path)).read().appointments
    path = tmp_path / "out.csv"
    write_export(path, first, context_for(tmp_path).config, encoding=encoding, newline=newline)
    again = csv_source(path, context_for(tmp_path)).read()
    assert again.complete
    assert [a.to_canonical() for a in again.appointments] == [a.to_canonical() for a in first]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.csv")))
def test_fast_build_equals_the_constructor(name: str, tmp_path: Path) -> None:
    # The reader builds appointments without __post_init__; the constructor must agree with it.
    for a in csv_source(FIXTURES / name, context_for(tmp_path)).read().appointments:
        rebuilt = Appointment(**{f.name: getattr(a, f.name) for f in fields(a)})
        assert rebuilt == a
        assert rebuilt.to_canonical() == a.to_canonical()
        assert rebuilt.fingerprint() == a.fingerprint()


def test_drop_folder_skips_its_own_outbox_files(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(FIXTURES / "crlf.csv", drop / "export.csv")
    source = csv_source(drop, context_for(tmp_path))
    (a,) = source.read().appointments
    source.write_back(
        [StudioChange("created", a.evolve(uid="google-x"))], WritebackConfig("outbox", drop), NOW
    )
    assert len(list(drop.glob("from-google-*"))) == 2
    assert [x.uid for x in source.read().appointments] == ["3001"]


def test_a_failed_row_sharing_an_id_is_a_duplicate_too(tmp_path: Path) -> None:
    _export(
        tmp_path / "dup.csv",
        [
            "5,Ames,Portrait,3/3/2025,9:00 AM,10:00 AM",
            "6,Bo,Portrait,3/3/2025,1:00 PM,2:00 PM",
            "5,Ames,Portrait,3/3/2025,99:00,",
        ],
        1000,
    )
    read = csv_source(tmp_path / "dup.csv", context_for(tmp_path)).read()
    assert [a.uid for a in read.appointments] == ["6"]
    assert read.unreadable == {"5"} and not read.complete
    assert any(d.code == "duplicate-uid" and "lines 2 and 4" in d.message for d in read.diagnostics)
