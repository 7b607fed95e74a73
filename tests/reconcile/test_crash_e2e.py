"""SIGKILL a real `syncengine reconcile` in the middle of applying; the next run converges, no duplicates.

The Calendar service runs as its own process (`syncengine emulator serve`) with a static token and
injected latency (its admin API), so the first run is still writing batches when it is killed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_cli_e2e import HEADER, row

from adapters.google.emulator.admin_client import admin_call
from syncengine.cli import main

SCRIPT = shutil.which("syncengine") or str(Path(sys.executable).with_name("syncengine"))
ACCOUNT = "amanda@crash.example"
COUNT = 40


def done_writes(state: Path) -> int:
    if not state.exists():
        return 0
    try:
        conn = sqlite3.connect(f"{state.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT count(*) FROM journal WHERE status='done'").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [
            SCRIPT,
            "emulator",
            "serve",
            "--port",
            "0",
            "--data",
            str(tmp_path / "calendar-data"),
            "--token",
            f"tok-a={ACCOUNT}",
            "--time-zone",
            f"{ACCOUNT}=America/Chicago",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    root = proc.stdout.readline().strip()
    try:
        yield root
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_a_killed_run_is_completed_by_the_next_with_no_duplicates(
    tmp_path: Path, server: str, capsys
) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    (tmp_path / "exports").mkdir()
    rows = [row(str(1000 + n), today + timedelta(days=1 + n % 20)) for n in range(COUNT)]
    (tmp_path / "exports" / "appointments.csv").write_text(
        "\n".join([HEADER, *rows]) + "\n", encoding="utf-8"
    )
    config = tmp_path / "studio.yaml"
    config.write_text(
        f"""\
version: 1
studio: {{name: Crash Portraits, timezone: America/Chicago, state: state/state.db}}
sources:
  - {{id: appointments, format: csv, path: exports/appointments.csv, dialect: spectra}}
users:
  - id: amanda
    name: Amanda P
    google: {{account: {ACCOUNT}}}
google:
  endpoint: {server}
  credentials: {{type: static_token, token: tok-a}}
  batch_size: 2
logging: {{sinks: []}}
""",
        encoding="utf-8",
    )
    state = tmp_path / "state" / "state.db"
    admin_call(server, "latency", {"seconds": 0.15})
    run = subprocess.Popen(
        [SCRIPT, "reconcile", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while done_writes(state) < 6 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.02)
    run.kill()  # SIGKILL: no cleanup, no final commit
    run.communicate(timeout=20)
    assert run.returncode == -9, "the run finished before it could be killed"
    written = len(admin_call(server, "events?account=" + ACCOUNT)["items"])
    assert 6 <= written < COUNT

    admin_call(server, "latency", {"seconds": 0})
    assert main(["reconcile", "-c", str(config), "--json"]) == 0
    capsys.readouterr()
    items = admin_call(server, "events?account=" + ACCOUNT)["items"]
    uids = Counter(e["extendedProperties"]["private"]["syncengine_uid"] for e in items)  # type: ignore[union-attr]
    assert len(uids) == COUNT and max(uids.values()) == 1  # every appointment once: none lost, none twice

    assert main(["reconcile", "-c", str(config), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["units"][0]["actions"] == []
