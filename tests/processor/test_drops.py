"""Which dropped files count, when one is complete, and where it goes afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncengine.processor.debounce import Debouncer
from syncengine.processor.drops import CompletenessTracker, is_candidate, move_processed, move_rejected

NOW = datetime(2026, 3, 8, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize("name", ["~$appointments.csv", "export.csv.tmp", "export.part", ".hidden.csv",
                                  "Appointments.csv.crdownload", "export.TMP", "export.csv~"])
def test_temporary_and_partial_files_never_count(name: str) -> None:
    assert not is_candidate(Path("/drops") / name, "csv")


@pytest.mark.parametrize(("name", "fmt", "expected"), [
    ("appointments.csv", "csv", True), ("APPOINTMENTS.CSV", "csv", True), ("week.ics", "csv", False),
    ("week.ics", "ics", True), ("notes.docx", "ics", False), ("feed.xml", "thirdparty", True),
])
def test_only_the_formats_extension_counts(name: str, fmt: str, expected: bool) -> None:
    assert is_candidate(Path("/drops") / name, fmt) is expected


def test_a_file_is_complete_only_when_stable_across_two_checks(tmp_path: Path) -> None:
    tracker = CompletenessTracker(settle=0.5)
    path = tmp_path / "a.csv"
    path.write_text("AppointmentID\n")
    assert not tracker.check(path, 0.0)  # first look: remembered
    assert not tracker.check(path, 0.2)  # same size, but not settle seconds later
    with path.open("a") as handle:
        handle.write("1\n")
    assert not tracker.check(path, 0.8)  # grew: the clock starts again
    assert not tracker.check(path, 1.0)
    assert tracker.check(path, 1.3)


def test_a_vanished_file_counts_as_complete(tmp_path: Path) -> None:
    assert CompletenessTracker(settle=0.5).check(tmp_path / "gone.csv", 0.0)


def test_processed_moves_never_overwrite(tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("one")
    assert move_processed(first, NOW) == tmp_path / "processed" / "a.csv"
    first.write_text("two")
    second = move_processed(first, NOW)
    assert second == tmp_path / "processed" / "a.20260308T143000Z.csv"
    first.write_text("three")
    assert move_processed(first, NOW).name == "a.20260308T143000Z-1.csv"
    assert (tmp_path / "processed" / "a.csv").read_text() == "one"
    assert second.read_text() == "two"
    assert not first.exists()


def test_rejected_files_get_a_reason_beside_them(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('"unterminated')
    target = move_rejected(path, "broken.csv:3: unterminated quote", NOW)
    assert target == tmp_path / "rejected" / "broken.csv"
    reason = (tmp_path / "rejected" / "broken.csv.reason.txt").read_text()
    assert "broken.csv:3: unterminated quote" in reason
    assert "Export the file again" in reason
    assert target.read_text() == '"unterminated'


def test_debounce_turns_a_burst_into_one_ready_source(tmp_path: Path) -> None:
    debouncer = Debouncer(debounce=2.0, settle=0.5)
    paths = [tmp_path / f"{i}.csv" for i in range(5)]
    for i, path in enumerate(paths):
        path.write_text(str(i))
        debouncer.touch("drops", path, now=i * 0.5)  # events keep coming, each restarts the quiet period
    early = debouncer.poll(3.0)
    assert early.ready == {} and early.in_progress and early.next_poll == 4.0
    # the first look at each file was taken at its event; unchanged since, it is complete at once
    done = debouncer.poll(4.0)
    assert done.ready == {"drops": tuple(sorted(paths))}
    assert not done.in_progress and not debouncer.busy


def test_a_growing_file_keeps_its_source_waiting(tmp_path: Path) -> None:
    debouncer = Debouncer(debounce=1.0, settle=0.5)
    path = tmp_path / "slow.csv"
    path.write_text("x")
    debouncer.touch("drops", path, 0.0)
    now = 0.5
    for _ in range(4):  # a writer whose events went missing still grows the file: never ready meanwhile
        with path.open("a") as handle:
            handle.write("more\n")
        now += 0.6
        assert debouncer.poll(now).ready == {}
    assert debouncer.poll(now + 0.2).ready == {}  # unchanged, but not yet `settle` after the last look
    assert debouncer.poll(now + 0.5).ready == {"drops": (path,)}
