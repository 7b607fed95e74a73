"""`syncengine status`, `syncengine log` and the processor checks, through the real command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from processor_support import Outcome, RecordingRun

from syncengine.checks import processor as processor_checks
from syncengine.cli import main
from syncengine.cli.processor import parse_since
from syncengine.config.loader import load_config
from syncengine.errors import AuthError
from syncengine.logs.base import LogBus, LogEvent
from syncengine.logs.sqlite import SqliteSink
from syncengine.processor import ManualClock, Processor
from syncengine.processor.lock import ProcessorLock

USERS = """
users:
  - id: amanda
    name: Amanda P
    google: {account: amanda@example.com}
  - id: ben
    name: Ben
    google: {account: ben@example.com, calendar: work}
"""


@pytest.fixture
def config_path(write_config, minimal_config: str) -> Path:
    text = minimal_config.replace("""users:
  - id: amanda
    name: Amanda P
    google: {account: amanda@example.com}
""", USERS.lstrip("\n")).replace("path: exports/appointments.csv", "path: drops")
    path = write_config(text, extra="processor: {interval: 5m, debounce: 1s}\n")
    (path.parent / "drops").mkdir()
    return path


def test_status_shows_each_user_and_the_schedule(config_path: Path, capsys) -> None:
    config = load_config(config_path)
    run = RecordingRun()
    run.outcomes = {"ben": Outcome("failed", AuthError("ben", "invalid_grant"))}
    processor = Processor(config, run, LogBus(), clock=ManualClock(datetime.now(UTC)))
    processor.step()
    (config.studio.state.parent / "tokens").mkdir(parents=True, exist_ok=True)
    (config.studio.state.parent / "tokens" / "amanda.json").write_text("{}")
    with ProcessorLock(config.studio.state):
        assert main(["status", "-c", str(config_path)]) == 0
        out = capsys.readouterr().out
        assert "processor: running" in out
        assert "amanda  calendar amanda@example.com / primary" in out
        assert "ok  (created 1)" in out
        assert "token age 0h" in out
        assert "paused until the sign-in or the config changes" in out
        assert "invalid_grant" in out
        assert main(["status", "-c", str(config_path), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "syncengine.status/1" and doc["processor"]["running"]
    ben = next(u for u in doc["users"] if u["user"] == "ben")
    assert ben["outcome"] == "failed" and ben["calendar"] == "ben@example.com / work"
    assert main(["status", "-c", str(config_path)]) == 0
    assert "processor not running" in capsys.readouterr().out


def test_log_filters_by_level_user_and_time(config_path: Path, capsys) -> None:
    config = load_config(config_path)
    sink = SqliteSink(None, config)  # the default place: beside the state file
    now = datetime.now(UTC)
    rows = [(180, "info", "amanda", "old news"), (30, "warning", "amanda", "odd row"),
            (20, "error", "ben", "calendar gone"), (10, "info", "ben", "created")]
    for minutes, level, user, text in rows:
        sink.record(LogEvent("warning" if level == "warning" else "action", level, text,
                             time=now - timedelta(minutes=minutes), user=user, run_id="r1",
                             origin="drops/a.csv:4" if level == "warning" else None))
    sink.close()
    assert main(["log", "-c", str(config_path), "--since", "2h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [" ".join(line.split()[3:]) for line in lines] == [
        "[amanda] drops/a.csv:4: odd row (run r1)", "[ben] calendar gone (run r1)", "[ben] created (run r1)"]
    assert main(["log", "-c", str(config_path), "--level", "warning", "--user", "ben", "--json"]) == 0
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(d["level"], d["message"]) for d in docs] == [("error", "calendar gone")]
    assert main(["log", "-c", str(config_path), "--user", "nobody"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert main(["log", "-c", str(config_path), "--since", "yesterday-ish"]) == 2


def test_since_takes_durations_and_studio_local_times(config_path: Path) -> None:
    config = load_config(config_path)
    now = datetime(2026, 3, 8, 20, 0, tzinfo=UTC)
    assert parse_since("90m", config, now) == now - timedelta(minutes=90)
    # 2026-03-08 is the spring-forward day: 09:00 is CDT (UTC-5)
    assert parse_since("2026-03-08T09:00", config, now) == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    assert parse_since("2026-03-08T09:00Z", config, now) == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)


def test_run_refuses_when_the_processor_is_disabled(write_config, capsys) -> None:
    path = write_config(extra="processor: {enabled: false}\n")
    assert main(["run", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert "processor.enabled: false" in err and "Traceback" not in err


def test_processor_checks(config_path: Path) -> None:
    config = load_config(config_path)
    results = {r.name: r for r in processor_checks.checks(config)}
    assert results["processor"].outcome == "ok"
    watch = results["watch appointments"]
    assert watch.outcome == "ok" and "0 file(s) waiting" in watch.detail
    assert results["processor running"].outcome == "ok"
    assert results["run log"].outcome == "ok"
    with ProcessorLock(config.studio.state):
        running = next(r for r in processor_checks.checks(config) if r.name == "processor running")
    assert running.outcome == "warn" and "pid" in running.detail


def test_run_refuses_a_second_processor_on_the_same_state(config_path: Path, capsys) -> None:
    config = load_config(config_path)
    with ProcessorLock(config.studio.state):
        assert main(["run", "-c", str(config_path)]) == 1
    err = capsys.readouterr().err
    assert "another syncengine run is using" in err and "processor pid" in err


def test_the_run_log_check_creates_nothing_and_spots_a_broken_log(config_path: Path) -> None:
    config = load_config(config_path)
    log = config.studio.state.parent / "runlog.db"
    [first] = [r for r in processor_checks.checks(config) if r.name == "run log"]
    assert first.outcome == "ok" and "created by the first" in first.detail and not log.exists()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"this is not a database" * 100)
    [broken] = [r for r in processor_checks.checks(config) if r.name == "run log"]
    assert broken.outcome == "fail" and "cannot be opened" in broken.detail
