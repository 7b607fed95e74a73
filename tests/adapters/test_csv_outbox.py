"""The CSV outbox: what its rows say, and that the studio shows exactly that after importing them.

``sources_support.import_outbox`` plays the studio software taking an outbox file in.  The next read
of the export must then match the receipt's ``shown`` fingerprints: that is how the reconciler knows
the studio took in what was sent.
"""

from __future__ import annotations

import codecs
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sources_support import NOW, ZONE, context_for, csv_source, import_outbox, table

from adapters.csv import CsvSource
from adapters.csv.writer import encode
from syncengine.config.model import WritebackConfig
from syncengine.model import Appointment, Assignment
from syncengine.ports import StudioChange, WriteBackReceipt

_Z = ZoneInfo(ZONE)
HEADER = (
    "AppointmentID,Session Number,Client Name,Appointment Type,Status,Description,Date,Start Time,"
    "End Time,Length,Photographer,Assistant,Resources,Outside Location,Booked By,Notes"
)


def export(path: Path, rows: list[str], encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    path.write_bytes(newline.join([HEADER, *rows, ""]).encode(encoding))
    return path


def outbox_rows(receipt: WriteBackReceipt) -> list[dict[str, str]]:
    header, rows, _, _ = table(receipt.files[0])
    return [dict(zip(header, row, strict=True)) for row in rows]


def write_back(source: CsvSource, tmp_path: Path, *changes: StudioChange) -> WriteBackReceipt:
    return source.write_back(changes, WritebackConfig("outbox", tmp_path / "outbox"), NOW)


def all_day(uid: str, first: date, end: date, **fields: object) -> Appointment:
    return Appointment(
        uid=uid,
        title="Holiday shoot",
        start=first,
        end=end,
        timezone=ZONE,
        all_day=True,
        **fields,  # type: ignore[arg-type]
    )


# --- 1. multi-day all-day appointments keep their length ----------------------------------------------


def test_a_multi_day_all_day_appointment_survives_the_spectra_outbox(tmp_path: Path) -> None:
    path = export(
        tmp_path / "export.csv", ["2001,,Ames,Portrait,Confirmed,,12/1/2026,9:00 AM,10:00 AM,60,,,,,,"]
    )
    source = csv_source(path, context_for(tmp_path))
    source.read()
    made = all_day("google-abc", date(2026, 12, 28), date(2026, 12, 31))  # three days, end exclusive
    receipt = write_back(source, tmp_path, StudioChange("created", made))
    (row,) = outbox_rows(receipt)
    assert (row["Date"], row["Start Time"], row["End Time"], row["Length"]) == ("12/28/2026", "", "", "4320")
    import_outbox(path, receipt.files[0])
    back = {a.uid: a for a in source.read().appointments}["google-abc"]
    assert (back.all_day, back.start, back.end) == (True, date(2026, 12, 28), date(2026, 12, 31))
    assert back.to_canonical() == made.to_canonical()


@pytest.mark.parametrize(
    "length,days",
    [("", 1), ("1440", 1), ("2880", 2), ("4320.0", 3), ("0", 1), ("90", 1), ("2000", 1), ("n/a", 1)],
)
def test_an_all_day_rows_length_in_whole_days_is_its_length(tmp_path: Path, length: str, days: int) -> None:
    path = export(tmp_path / "export.csv", [f"7,,Bo,Event,Confirmed,,3/8/2025,,,{length},,,,,,"])
    read = csv_source(path, context_for(tmp_path)).read()
    assert read.complete and not read.diagnostics
    (a,) = read.appointments
    assert a.all_day and (a.end - a.start).days == days  # type: ignore[operator]


def test_an_end_date_column_is_read_without_configuration(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("AppointmentID,Date,Start Time,End Date,Length\r\n8,3/8/2025,,3/10/2025,\r\n", "utf-8")
    (a,) = csv_source(path, context_for(tmp_path)).read().appointments
    assert (a.start, a.end) == (date(2025, 3, 8), date(2025, 3, 11))


def test_an_end_date_column_is_filled_in_for_timed_rows_too(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "AppointmentID,Date,Start Time,End Time,End Date\r\n9,3/8/2025,10:00 PM,1:00 AM,3/9/2025\r\n", "utf-8"
    )
    source = csv_source(path, context_for(tmp_path))
    (a,) = source.read().appointments
    later = a.evolve(start=a.start + timedelta(days=1), end=a.end + timedelta(days=1))
    (row,) = outbox_rows(write_back(source, tmp_path, StudioChange("updated", later)))
    assert (row["Date"], row["End Time"], row["End Date"]) == ("3/9/2025", "1:00 AM", "3/10/2025")


def test_a_layout_without_length_or_end_date_gets_an_end_date_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("AppointmentID,Client Name,Date,Start Time,End Time\r\n1,Ames,3/1/2025,,\r\n", "utf-8")
    source = csv_source(path, context_for(tmp_path))
    source.read()
    made = all_day("google-x", date(2025, 3, 8), date(2025, 3, 10))
    receipt = write_back(source, tmp_path, StudioChange("created", made))
    (row,) = outbox_rows(receipt)
    assert row["End Date"] == "3/9/2025"
    import_outbox(path, receipt.files[0])
    back = {a.uid: a for a in source.read().appointments}["google-x"]
    assert (back.start, back.end) == (made.start, made.end)
    # This layout has no title column: the receipt says the title will come back empty.
    shown = dict(receipt.shown)["google-x"]
    assert shown is not None and shown.title == "" and shown.fingerprint() == back.fingerprint()


# --- 2. the studio's own status labels ----------------------------------------------------------------


def _labelled_export(tmp_path: Path) -> CsvSource:
    rows = [
        "1,,Ames,Portrait,Confirmed,,3/3/2025,9:00 AM,10:00 AM,60,,,,,,",
        "2,,Bo,Portrait,Booked,,3/3/2025,11:00 AM,12:00 PM,60,,,,,,",
        "3,,Cy,Portrait,Booked,,3/4/2025,11:00 AM,12:00 PM,60,,,,,,",
        "4,,Di,Portrait,Pencilled,,3/5/2025,11:00 AM,12:00 PM,60,,,,,,",
        "5,,Ed,Portrait,confirmed,,3/6/2025,11:00 AM,12:00 PM,60,,,,,,",
    ]
    path = export(tmp_path / "export.csv", rows)
    statuses = (
        ("Booked", "confirmed"), ("Pencilled", "tentative"), ("TBD", "tentative"), ("Void", "cancelled"),
    )  # fmt: skip
    return csv_source(path, context_for(tmp_path), statuses=statuses)


def test_an_appointment_keeps_the_label_its_row_had(tmp_path: Path) -> None:
    source = _labelled_export(tmp_path)
    before = {a.uid: a for a in source.read().appointments}
    receipt = write_back(
        source,
        tmp_path,
        StudioChange("updated", before["1"].evolve(title="Ames, moved")),
        StudioChange("updated", before["5"].evolve(title="Ed, moved")),
        StudioChange("updated", before["2"].evolve(title="Bo, moved")),
    )
    assert [r["Status"] for r in outbox_rows(receipt)] == ["Confirmed", "confirmed", "Booked"]


def test_a_new_status_gets_the_label_the_export_uses_most(tmp_path: Path) -> None:
    source = _labelled_export(tmp_path)
    before = {a.uid: a for a in source.read().appointments}
    start = datetime(2025, 3, 9, 9, 0, tzinfo=_Z)
    new = Appointment(uid="google-n", title="New", start=start, end=start, timezone=ZONE)
    receipt = write_back(
        source,
        tmp_path,
        StudioChange("updated", before["4"].evolve(status="confirmed")),  # Pencilled -> most used: Booked
        StudioChange("updated", before["1"].evolve(status="tentative")),  # -> the only tentative one
        StudioChange("created", new),
        StudioChange("created", new.evolve(uid="google-t", status="tentative")),
        StudioChange("cancelled", before["3"]),  # no cancelled row: the first configured label
    )
    assert [r["Status"] for r in outbox_rows(receipt)] == [
        "Booked",
        "Pencilled",
        "Booked",
        "Pencilled",
        "Void",
    ]


def test_without_an_export_the_configured_spelling_is_written(tmp_path: Path) -> None:
    path = export(tmp_path / "export.csv", [])
    source = csv_source(
        path, context_for(tmp_path), statuses=(("TBD", "tentative"), ("on HOLD", "tentative"))
    )
    source.read()
    start = datetime(2025, 3, 9, 9, 0, tzinfo=_Z)
    new = Appointment(uid="google-n", title="New", start=start, end=start, timezone=ZONE, status="tentative")
    receipt = write_back(source, tmp_path, StudioChange("created", new))
    assert [r["Status"] for r in outbox_rows(receipt)] == ["TBD"]


# --- 3. characters the export's encoding cannot hold --------------------------------------------------


def test_a_character_cp1252_lacks_makes_the_outbox_utf8_with_a_bom(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    line = "2001,,Zoë,Portrait,Confirmed,,3/3/2025,9:00 AM,10:00 AM,60,,,,,,"
    path = export(tmp_path / "export.csv", [line], encoding="cp1252")
    source = csv_source(path, context_for(tmp_path))
    (a,) = source.read().appointments
    with caplog.at_level(logging.WARNING, logger="adapters.csv.writer"):
        receipt = write_back(source, tmp_path, StudioChange("updated", a.evolve(title="Retouch ✓ done")))
    data = receipt.files[0].read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"?" not in data
    (row,) = outbox_rows(receipt)
    assert (row["Description"], row["Client Name"]) == ("Retouch ✓ done", "Zoë")
    assert "U+2713" in caplog.text and "UTF-8" in caplog.text
    assert [w.code for w in source.writeback_warnings] == ["outbox-encoding"]
    # A later write that fits the export's encoding speaks cp1252 again, and warns about nothing.
    again = write_back(source, tmp_path, StudioChange("updated", a.evolve(title="Retouch done")))
    assert not again.files[0].read_bytes().startswith(codecs.BOM_UTF8) and source.writeback_warnings == []
    assert outbox_rows(again)[0]["Client Name"] == "Zoë"


def test_encode_never_raises_and_never_loses_what_can_be_kept() -> None:
    assert encode("Café", "cp1252") == ("Café".encode("cp1252"), "Café", "")
    data, text, problem = encode("ok \ud800 ✓", "cp1252")
    assert text == "ok \ufffd ✓" and data == codecs.BOM_UTF8 + text.encode("utf-8")
    assert "surrogate" in problem and "U+FFFD" in problem
    assert encode("a \udfff", "utf-16")[1] == "a \ufffd"


# --- shown: what the studio will show after importing ------------------------------------------------


def test_shown_is_what_the_export_reads_back_after_the_import(tmp_path: Path) -> None:
    rows = [
        '2001,S-1,Ames,Portrait,Confirmed,,3/3/2025,9:00 AM,10:00 AM,60,Amanda P,,Studio A,,"Front\r\ndesk",',
        "2002,S-2,Bo,Wedding,Booked,,3/4/2025,,,,Cora Li,,,,,",
    ]
    path = export(tmp_path / "export.csv", rows)
    source = csv_source(path, context_for(tmp_path), statuses=(("Booked", "confirmed"),))
    before = {a.uid: a for a in source.read().appointments}
    start = datetime(2025, 3, 20, 15, 0, tzinfo=_Z)
    made = Appointment(
        uid="google-e1",
        title="Made on Google",
        start=start,
        end=start.replace(hour=16),
        timezone=ZONE,
        # Plain assignments have no column of their own in Spectra: they come back as photographers.
        assigned=(Assignment("ben", "assigned"),),
        # A resource name with a comma comes back as two resources.
        resources=("Hall, east",),
    )
    changes = [
        StudioChange("updated", before["2001"].evolve(start=start, end=start.replace(hour=17))),
        StudioChange("updated", before["2002"].evolve(end=date(2025, 3, 7))),
        StudioChange("created", made),
        StudioChange("created", all_day("google-e2", date(2026, 12, 28), date(2026, 12, 31))),
    ]
    receipt = write_back(source, tmp_path, *changes)
    assert b"\r\r\n" not in receipt.files[0].read_bytes()  # a kept CRLF inside a cell stays CRLF
    import_outbox(path, receipt.files[0])
    after = {a.uid: a for a in source.read().appointments}
    shown = dict(receipt.shown)
    assert set(shown) == {c.appointment.uid for c in changes}
    for uid, appointment in shown.items():
        assert appointment is not None
        assert after[uid].fingerprint() == appointment.fingerprint(), uid
    assert after["2001"].extra == before["2001"].extra == (("Booked By", "Front\r\ndesk"),)
    assert shown["google-e1"].assigned == (Assignment("ben", "photographer"),)  # type: ignore[union-attr]
    # Nothing the dialect can carry is reported differently from what was sent.
    for change in changes[:2] + changes[3:]:
        assert shown[change.appointment.uid] == change.appointment


def test_a_cancellation_row_says_cancelled_and_reads_back_so(tmp_path: Path) -> None:
    path = export(
        tmp_path / "export.csv", ["2001,,Ames,Portrait,Confirmed,,3/3/2025,9:00 AM,10:00 AM,60,,,,,,"]
    )
    source = csv_source(path, context_for(tmp_path))
    (a,) = source.read().appointments
    receipt = write_back(source, tmp_path, StudioChange("cancelled", a))
    (row,) = outbox_rows(receipt)
    assert (row["Status"], row["Action"]) == ("Cancelled", "cancelled")
    import_outbox(path, receipt.files[0])
    (back,) = source.read().appointments
    shown = dict(receipt.shown)["2001"]
    assert back.status == "cancelled" and shown is not None and back.fingerprint() == shown.fingerprint()
