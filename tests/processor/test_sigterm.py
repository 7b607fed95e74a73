"""A real `syncengine run` process, stopped with SIGTERM in the middle of a run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from processor_support import spectra_export, spectra_rows, studio_yaml

from adapters.google.emulator import CalendarService
from syncengine.logs.sqlite import LogQuery, read_log
from syncengine.processor.status_file import read_status
from syncengine.state import StateStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
COUNT = 400


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def runs_logged(log: Path, kind: str) -> int:
    try:
        return len([e for e in read_log(log, LogQuery()) if e.kind == kind])
    except sqlite3.Error:  # the processor may be creating the log right now
        return 0


class Processor:
    """`syncengine run` in a subprocess, output kept in files."""

    def __init__(self, folder: Path, config: Path, name: str) -> None:
        self.out = (folder / f"{name}.out").open("wb")
        self.err_path = folder / f"{name}.err"
        self.err = self.err_path.open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "syncengine", "run", "-c", str(config)],
                                        stdout=self.out, stderr=self.err, env=env, cwd=folder)

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; returns the exit code and the seconds it took to exit."""
        signalled = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        return code, time.monotonic() - signalled

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.out.close()
        self.err.close()


def test_sigterm_mid_run_exits_zero_and_the_next_start_converges(tmp_path: Path) -> None:
    config_path = studio_yaml(tmp_path, debounce="0.2s",
                              extra="logging:\n  sinks:\n    - {type: jsonl, path: logs/sync.jsonl}\n")
    events = tmp_path / "logs" / "sync.jsonl"  # written line by line: the test sees writes as they happen
    state = tmp_path / ".syncengine" / "state.db"
    status = state.with_name("state.db.processor.json")
    log = tmp_path / ".syncengine" / "runlog.db"
    first = Processor(tmp_path, config_path, "first")
    try:
        assert wait_for(lambda: read_status(status).get("runs", 0) >= 1), "the start run never ended"
        (tmp_path / "drops" / "big.csv").write_text(spectra_export(spectra_rows(COUNT)), encoding="utf-8")
        assert wait_for(lambda: events.exists() and '"kind": "action"' in events.read_text()), \
            "the drop never reached the calendar"
        code, took = first.terminate()  # the first batch of writes is done; more are on their way
    finally:
        first.close()
    assert code == 0, first.err_path.read_text()
    assert took < 10
    assert "processor stopped" in [e.message for e in read_log(log)]
    with StateStore.open(state, "Drop Studio", read_only=True) as store:
        view = store.view()
        assert len(view.records) == COUNT  # what the run observed was committed before any write
        written = len(view.replicas.get("amanda", {}))
    assert 0 < written < COUNT  # stopped between two batches, the batch in flight committed

    # the next start completes whatever the stop left, without a duplicate
    second = Processor(tmp_path, config_path, "second")
    try:
        assert wait_for(lambda: runs_logged(log, "run-end") >= 3), "the start run never ended"
        code, _ = second.terminate()
    finally:
        second.close()
    assert code == 0, second.err_path.read_text()
    with StateStore.open(state, "Drop Studio", read_only=True) as store:
        runs = store.last_runs()
        assert runs["amanda"].outcome == "ok"
        assert len(store.view().replicas["amanda"]) == COUNT
    with CalendarService(data_dir=state.parent / "calendar") as service:
        summaries = [e["summary"] for e in service.events("amanda@example.com")]
    assert len(summaries) == COUNT and len(set(summaries)) == COUNT
