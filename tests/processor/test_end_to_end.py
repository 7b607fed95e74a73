"""The processor with the real reconciler, CSV source and the embedded Calendar service over HTTP."""

from __future__ import annotations

from pathlib import Path

from processor_support import spectra_export, spectra_rows, studio_yaml

from adapters.google.emulator import CalendarService
from syncengine.config.loader import load_config
from syncengine.logs.base import LogBus, RecordingSink
from syncengine.processor import ManualClock, Processor, ReconcileRun


def settle(processor: Processor, clock: ManualClock, seconds: float) -> list:
    reports = []
    for _ in range(int(seconds / 0.25)):
        clock.advance(0.25)
        report = processor.step()
        if report is not None:
            reports.append(report)
    return reports


def summaries(folder: Path, account: str) -> list[str]:
    """The calendar as the embedded service keeps it (it runs only during a run; read its data here)."""
    with CalendarService(data_dir=folder / ".syncengine" / "calendar") as service:
        return sorted(e["summary"] for e in service.events(account))


def test_drops_reach_the_calendar_and_leave_the_folder(tmp_path: Path) -> None:
    config = load_config(studio_yaml(tmp_path))
    clock = ManualClock()
    sink = RecordingSink()
    processor = Processor(config, ReconcileRun(), LogBus([sink]), clock=clock)
    start = processor.step()
    assert start is not None and start.exit_code == 0  # an empty drop folder: nothing to do
    drops = tmp_path / "drops"

    week = drops / "week.csv"
    week.write_text(spectra_export(spectra_rows(3)), encoding="utf-8")
    processor.notify_file("drops", week)
    [report] = settle(processor, clock, 3.0)
    assert report.exit_code == 0 and report.users["amanda"].outcome == "ok"
    assert summaries(tmp_path, "amanda@example.com") == ["Session 1000", "Session 1001", "Session 1002"]
    assert summaries(tmp_path, "marcus@example.com") == []
    assert (drops / "processed" / "week.csv").exists() and not week.exists()

    clock.advance(300)  # the interval run over an emptied folder: no gate, nothing deleted
    interval = processor.step()
    assert interval is not None and interval.exit_code == 0
    assert len(summaries(tmp_path, "amanda@example.com")) == 3

    # the studio moves one session to Marcus and cancels another
    change = spectra_rows(1, start_id=1000, photographer="Marcus Reed") + \
        spectra_rows(1, start_id=1001, status="Cancelled", first_day=4)
    update = drops / "changes.csv"
    update.write_text(spectra_export(change), encoding="utf-8")
    processor.notify_file("drops", update)
    [report] = settle(processor, clock, 3.0)
    assert report.exit_code == 0
    assert summaries(tmp_path, "amanda@example.com") == ["Session 1002"]
    assert summaries(tmp_path, "marcus@example.com") == ["Session 1000"]
    assert (drops / "processed" / "changes.csv").exists()
    assert not [e for e in sink.events if e.level == "error"]


def test_an_unreadable_drop_is_rejected_with_its_reason(tmp_path: Path) -> None:
    config = load_config(studio_yaml(tmp_path))
    clock = ManualClock()
    sink = RecordingSink()
    processor = Processor(config, ReconcileRun(), LogBus([sink]), clock=clock)
    processor.step()
    broken = tmp_path / "drops" / "broken.csv"
    broken.write_bytes(b"AppointmentID,Date\r\n1,\"12/05/2026\r\n")  # an unterminated quote
    processor.notify_file("drops", broken)
    [report] = settle(processor, clock, 3.0)
    assert report.exit_code == 0
    reason = (tmp_path / "drops" / "rejected" / "broken.csv.reason.txt").read_text()
    assert "broken.csv" in reason and "rejected" in reason
    assert not broken.exists()
    assert any(e.origin == str(broken) for e in sink.of("warning"))
