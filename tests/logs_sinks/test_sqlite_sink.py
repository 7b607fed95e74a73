"""The SQLite run log: what is written, and the queries `syncengine log` makes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncengine.config.model import SinkConfig, SourceConfig, StudioConfig, StudioSettings
from syncengine.logs.base import LogBus, LogEvent
from syncengine.logs.sqlite import LogQuery, SqliteSink, read_log

T0 = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)


def studio(tmp_path: Path) -> StudioConfig:
    return StudioConfig(path=tmp_path / "studio.yaml",
                        studio=StudioSettings("Studio", "America/Chicago", tmp_path / "state" / "state.db"),
                        sources=(SourceConfig("a", "csv", tmp_path / "a.csv"),), users=())


def event(minutes: int, level: str = "info", user: str | None = None, **kw) -> LogEvent:
    return LogEvent(kind=kw.pop("kind", "action"), level=level, message=kw.pop("message", f"event {minutes}"),
                    time=T0 + timedelta(minutes=minutes), user=user, run_id=kw.pop("run_id", "r1"), **kw)


def test_defaults_to_the_state_folder_and_answers_queries(tmp_path: Path) -> None:
    sink = SqliteSink(SinkConfig(type="sqlite"), studio(tmp_path))
    assert sink.path == tmp_path / "state" / "runlog.db"
    bus = LogBus([sink])
    bus.send(event(0, kind="run-start"))
    bus.send(event(1, user="amanda"))
    bus.send(event(2, "warning", user="amanda", origin="exports/a.csv:12", kind="warning",
                   data={"path": Path("/x"), "when": T0}))
    bus.send(event(3, "error", user="ben", kind="error"))
    bus.send(event(4, "debug", user="ben"))  # below the sink's level (info): not kept
    bus.send(event(5, user="ben"))
    bus.close()
    everything = read_log(sink.path)
    assert [e.message for e in everything] == ["event 0", "event 1", "event 2", "event 3", "event 5"]
    warnings = read_log(sink.path, LogQuery(level="warning"))
    assert [(e.level, e.user) for e in warnings] == [("warning", "amanda"), ("error", "ben")]
    assert warnings[0].origin == "exports/a.csv:12" and warnings[0].data["path"] == "/x"
    assert [e.message for e in read_log(sink.path, LogQuery(user="ben"))] == ["event 3", "event 5"]
    assert [e.message for e in read_log(sink.path, LogQuery(since=T0 + timedelta(minutes=3)))] == \
        ["event 3", "event 5"]
    assert [e.message for e in read_log(sink.path, LogQuery(limit=2))] == ["event 3", "event 5"]
    assert everything[2].time == T0 + timedelta(minutes=2)


def test_the_level_option_filters_what_is_kept(tmp_path: Path) -> None:
    sink = SqliteSink(SinkConfig(type="sqlite", level="warning", options=(("path", tmp_path / "log.db"),)),
                      studio(tmp_path))
    sink.on_action(event(0))
    sink.on_warning(event(1, "warning"))
    sink.close()
    assert [e.level for e in read_log(tmp_path / "log.db")] == ["warning"]


def test_a_warning_is_on_disk_at_once_while_actions_are_grouped(tmp_path: Path) -> None:
    sink = SqliteSink(path=tmp_path / "log.db")
    for i in range(50):
        sink.on_action(event(i))

    def committed() -> int:
        with closing(sqlite3.connect(tmp_path / "log.db")) as db:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])

    assert committed() < 50
    sink.on_warning(event(60, "warning"))
    assert committed() == 51
    sink.close()


def test_reading_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert read_log(tmp_path / "nothing.db") == []
