"""The processor with a real watchdog observer on a temporary drop folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from processor_support import RecordingRun, make_config

from syncengine.logs.base import LogBus, RecordingSink
from syncengine.processor import Processor
from syncengine.processor.watcher import SourceWatcher, WatchTarget


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_write_then_rename_reports_only_the_final_name(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    seen: list[tuple[str, Path]] = []
    with SourceWatcher.for_sources(config.sources, lambda s, p: seen.append((s, p))):
        temp = tmp_path / "drops" / "appointments.csv.tmp"
        temp.write_text("AppointmentID\n1\n")
        (tmp_path / "drops" / "~$appointments.csv").write_text("lock")
        temp.rename(tmp_path / "drops" / "appointments.csv")
        assert wait_for(lambda: any(p.name == "appointments.csv" for _, p in seen))
    assert {p.name for _, p in seen} == {"appointments.csv"}
    assert {s for s, _ in seen} == {"drops"}


def test_a_single_file_source_is_watched_through_its_folder(tmp_path: Path) -> None:
    export = tmp_path / "exports" / "appointments.csv"
    export.parent.mkdir()
    target = WatchTarget("main", export.parent.resolve(), "csv", "appointments.csv")
    seen: list[Path] = []
    with SourceWatcher([target], lambda s, p: seen.append(p)):
        (export.parent / "other.csv").write_text("x")
        export.write_text("AppointmentID\n")
        assert wait_for(lambda: bool(seen))
        export.unlink()
        assert wait_for(lambda: len(seen) >= 2)
    assert {p.name for p in seen} == {"appointments.csv"}


def _running(tmp_path: Path, run: RecordingRun, debounce: float = 0.5):
    processor = Processor(make_config(tmp_path, debounce=debounce), run, LogBus([RecordingSink()]))
    thread = threading.Thread(target=processor.run_forever, daemon=True)
    thread.start()
    assert wait_for(lambda: len(run.calls) == 1)  # the start run
    return processor, thread


def test_slow_chunked_writes_and_a_burst_each_make_one_run(tmp_path: Path,
                                                           recording_run: RecordingRun) -> None:
    processor, thread = _running(tmp_path, recording_run)
    try:
        path = tmp_path / "drops" / "big.csv"
        with path.open("w") as handle:
            for i in range(6):  # pauses well within the debounce: one slow copy
                handle.write(f"row {i}\n")
                handle.flush()
                time.sleep(0.05)
        assert wait_for(lambda: len(recording_run.calls) == 2)
        assert recording_run.contents[-1]["big.csv"].count("row") == 6  # never half the file
        assert wait_for(lambda: (tmp_path / "drops" / "processed" / "big.csv").exists())

        for i in range(20):
            (tmp_path / "drops" / f"burst-{i:02}.csv").write_text(f"{i}\n")
        assert wait_for(lambda: len(recording_run.calls) == 3)
        time.sleep(1.0)  # longer than debounce + settle: no second run follows the burst
        assert len(recording_run.calls) == 3
        assert len(recording_run.seen_files[-1]) == 20
        assert recording_run.calls[-1].triggers == ("file",)
    finally:
        processor.request_stop()
        thread.join(5)
    assert not thread.is_alive()


def test_files_dropped_while_stopped_are_synced_at_start(tmp_path: Path, recording_run: RecordingRun) -> None:
    config = make_config(tmp_path)
    (config.sources[0].path / "waiting.csv").write_text("AppointmentID\n7\n")
    processor, thread = _running(tmp_path, recording_run)
    processor.request_stop()
    thread.join(5)
    assert recording_run.calls[0].triggers == ("start", "file")
    assert (tmp_path / "drops" / "processed" / "waiting.csv").exists()
