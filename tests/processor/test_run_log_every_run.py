"""The run log ("Control Center log") keeps every real run, whichever command started it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from syncengine.cli import main
from syncengine.config.loader import load_config
from syncengine.logs.registry import build_sinks
from syncengine.logs.sqlite import SqliteSink, read_log, run_log_path

WriteConfig = Callable[..., Path]


def test_a_manual_reconcile_is_in_syncengine_log(write_config: WriteConfig,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config()
    assert main(["reconcile", "-c", str(path)]) == 0
    capsys.readouterr()
    assert main(["log", "-c", str(path)]) == 0
    shown = capsys.readouterr()
    assert "sync of 1 user(s)" in shown.out and "run ended with exit code 0" in shown.out
    assert "no run log yet" not in shown.err
    events = read_log(run_log_path(load_config(path)))
    assert events[0].kind == "run-start" and events[-1].kind == "run-end"
    assert events[0].data["trigger"] == "reconcile"

    # a dry run afterwards adds nothing to it
    assert main(["reconcile", "-c", str(path), "--dry-run"]) == 0
    assert len(read_log(run_log_path(load_config(path)))) == len(events)


def test_a_configured_run_log_is_used_and_not_doubled(write_config: WriteConfig) -> None:
    path = write_config(extra="""\
        logging:
          sinks:
            - {type: sqlite, path: logs/control-center.db}
        """)
    assert main(["reconcile", "-c", str(path)]) == 0
    config = load_config(path)
    assert [type(s) for s in build_sinks(config)] == [SqliteSink]
    assert run_log_path(config) == path.parent / "logs" / "control-center.db"
    assert [e.kind for e in read_log(run_log_path(config))].count("run-start") == 1
    assert not (path.parent / ".syncengine" / "runlog.db").exists()


def test_log_before_any_run_says_which_commands_write_it(write_config: WriteConfig,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config()
    assert main(["log", "-c", str(path)]) == 0
    err = capsys.readouterr().err
    assert "no run log yet" in err and "syncengine reconcile" in err
