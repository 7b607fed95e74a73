"""Log sinks: console and JSON lines, rotation, redaction, a failing sink, finding sinks by name."""

from __future__ import annotations

import io
import json
import os
import textwrap
from datetime import UTC, datetime

import pytest

from syncengine import plugins
from syncengine.config.loader import load_config
from syncengine.config.model import SinkConfig
from syncengine.errors import ConfigError
from syncengine.logs.base import LogBus, LogEvent, RecordingSink, Sink
from syncengine.logs.console import ConsoleSink
from syncengine.logs.jsonl import JsonlSink
from syncengine.logs.registry import BUILTIN_SINKS, build_bus, build_sinks

NOON_UTC = datetime(2026, 12, 5, 18, 0, 5, tzinfo=UTC)


def event(level="info", message="planned 3 writes", **kw) -> LogEvent:
    return LogEvent(kind=kw.pop("kind", "plan"), level=level, message=message, time=NOON_UTC, **kw)


@pytest.fixture
def config(write_config):
    return load_config(write_config(extra="""\
        logging:
          sinks:
            - {type: console, level: warning, color: false}
            - {type: jsonl, path: logs/sync.jsonl}
        """))


# --- console -----------------------------------------------------------------------------------------


def test_console_line_shows_studio_time_level_user_origin_and_code(config):
    stream = io.StringIO()
    sink = ConsoleSink(SinkConfig(type="console"), config, stream=stream)
    sink.on_warning(event("warning", "unknown photographer 'Amy'", kind="warning", user="amanda",
                          origin="exports/a.csv:12", data={"code": "unknown-staff"}))
    # 18:00:05 UTC is 12:00:05 in Chicago; no colour on a StringIO.
    expected = "12:00:05 WARN  amanda exports/a.csv:12: unknown photographer 'Amy' (unknown-staff)\n"
    assert stream.getvalue() == expected


def test_console_level_filter(config):
    stream = io.StringIO()
    sink = ConsoleSink(SinkConfig(type="console", level="warning"), config, stream=stream)
    sink.on_plan(event("info"))
    sink.on_error(event("error", "user amanda: calendar not found", kind="error"))
    assert stream.getvalue().splitlines() == ["12:00:05 ERROR user amanda: calendar not found"]


def test_console_colour_only_on_a_terminal(config):
    try:
        primary, secondary = os.openpty()
    except OSError:  # a sandbox without pseudo-terminals
        pytest.skip("no pseudo-terminal available")
    with open(secondary, "w", encoding="utf-8") as tty, open(primary, "rb", buffering=0) as reader:
        sink = ConsoleSink(SinkConfig(type="console"), config, stream=tty)
        assert sink.color
        sink.on_error(event("error", "boom", kind="error"))
        assert b"\x1b[31;1m" in reader.read(200)
    plain = ConsoleSink(SinkConfig(type="console"), config, stream=io.StringIO())
    assert not plain.color
    forced = ConsoleSink(SinkConfig(type="console", options=(("color", True),)), config, stream=io.StringIO())
    forced.on_error(event("error", "boom", kind="error"))
    assert forced.stream.getvalue().startswith("\x1b[31;1m")


def test_console_stream_option(capsys, config):
    sink = ConsoleSink(SinkConfig(type="console", options=(("stream", "stdout"),)), config)
    sink.on_plan(event())
    out, err = capsys.readouterr()
    assert "planned 3 writes" in out and err == ""


# --- jsonl -------------------------------------------------------------------------------------------


def test_jsonl_appends_one_object_per_line_relative_to_the_config(config):
    path = config.base_dir / "logs" / "sync.jsonl"
    assert not path.parent.exists()
    for _ in range(2):  # two runs, two sink instances: the file grows
        sink = JsonlSink(SinkConfig(type="jsonl", options=(("path", "logs/sync.jsonl"),)), config)
        sink.on_action(event(kind="action", user="amanda", data={"op": "create", "uid": "10231"}))
        sink.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record == {"time": "2026-12-05T18:00:05Z", "kind": "action", "level": "info",
                      "message": "planned 3 writes", "user": "amanda",
                      "data": {"op": "create", "uid": "10231"}}


def test_jsonl_rotation_keeps_the_configured_backups(tmp_path):
    path = tmp_path / "sync.jsonl"
    sink = JsonlSink(path=path, max_bytes=1024, backups=2)
    for index in range(60):
        sink.on_plan(event(message=f"event {index:03d}"))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["sync.jsonl", "sync.jsonl.1", "sync.jsonl.2"]
    kept = []
    for name in ("sync.jsonl.2", "sync.jsonl.1", "sync.jsonl"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert len(text.encode()) <= 1024
        kept += [json.loads(line)["message"] for line in text.splitlines()]
    # the newest events survive, in order, with no gap; the oldest were dropped
    numbers = [int(m.split()[1]) for m in kept]
    assert numbers == list(range(numbers[0], 60)) and numbers[0] > 0


def test_jsonl_without_backups_starts_over(tmp_path):
    sink = JsonlSink(path=tmp_path / "s.jsonl", max_bytes=1024, backups=0)
    for index in range(40):
        sink.on_plan(event(message=f"event {index}"))
    assert [p.name for p in tmp_path.iterdir()] == ["s.jsonl"]
    assert json.loads((tmp_path / "s.jsonl").read_text().splitlines()[-1])["message"] == "event 39"


# --- the bus -----------------------------------------------------------------------------------------


class Exploding(Sink):
    def on_plan(self, event: LogEvent) -> None:
        raise RuntimeError("disk full")


def test_bus_keeps_going_when_a_sink_raises():
    recording = RecordingSink()
    bus = LogBus([Exploding(), recording], run_id="run-1")
    bus.emit("plan", "info", "planned")
    bus.emit("run-end", "info", "done")
    assert recording.kinds() == ["plan", "run-end"]
    assert recording.events[0].run_id == "run-1"
    assert len(bus.sink_failures) == 1 and str(bus.sink_failures[0][1]) == "disk full"
    bus.close()
    assert recording.closed


def test_secrets_never_reach_a_sink(tmp_path):
    path = tmp_path / "log.jsonl"
    recording = RecordingSink()
    bus = LogBus([JsonlSink(path=path), recording])
    bus.add_secret("studio-s3cret-value")
    bus.emit("error", "error", "refresh with studio-s3cret-value failed: Bearer ya29.a0AfH6SMB",
             data={"password": "hunter2", "url": "https://x/?access_token=abc123&x=1",
                   "nested": ["token=zzz999"]})
    text = path.read_text(encoding="utf-8")
    for secret in ("studio-s3cret-value", "ya29.a0AfH6SMB", "hunter2", "abc123", "zzz999"):
        assert secret not in text
        assert secret not in repr(recording.events)
    assert "[redacted]" in recording.events[0].message


def test_build_bus_knows_the_configured_token(write_config, monkeypatch):
    monkeypatch.setenv("CAL_TOKEN", "tok-from-the-environment")
    config = load_config(write_config(textwrap.dedent("""\
        version: 1
        studio: {name: S, timezone: UTC}
        sources: [{id: a, format: csv, path: a.csv}]
        users: [{id: amanda, name: Amanda, google: {account: a@example.com}}]
        google:
          endpoint: http://127.0.0.1:9/
          credentials: {type: static_token, token_env: CAL_TOKEN}
        logging: {sinks: []}
        """)))
    recording = RecordingSink()
    bus = build_bus(config, sinks=[recording])
    bus.emit("warning", "warning", "server said tok-from-the-environment is odd")
    assert "tok-from-the-environment" not in recording.events[0].message


# --- finding sinks -----------------------------------------------------------------------------------


def test_build_sinks_builds_the_configured_builtins(config):
    sinks = build_sinks(config, run_log=False)
    assert [type(s) for s in sinks] == [ConsoleSink, JsonlSink]
    assert sinks[0].level == "warning" and not sinks[0].color
    assert sinks[1].path == config.base_dir / "logs" / "sync.jsonl"


def test_an_explicitly_registered_class_is_found_through_the_builtins_mapping(config, tmp_path, monkeypatch):
    module = tmp_path / "studio_extra_sinks.py"
    module.write_text(textwrap.dedent("""\
        from syncengine.logs.base import RecordingSink

        class ListSink(RecordingSink):
            def __init__(self, config, studio):
                super().__init__()
                self.config = config
        """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    builtins = {**BUILTIN_SINKS, "console": "studio_extra_sinks:ListSink"}
    sinks = build_sinks(config, builtins=builtins)
    assert type(sinks[0]).__name__ == "ListSink" and sinks[0].config.level == "warning"
    assert isinstance(sinks[1], JsonlSink)


@pytest.fixture
def third_party_sink(tmp_path, monkeypatch):
    """A real installed distribution (dist-info on sys.path) registering a sink entry point."""
    (tmp_path / "teamchat_sink.py").write_text(textwrap.dedent("""\
        from syncengine.logs.base import RecordSink

        class TeamChatSink(RecordSink):
            def __init__(self, config, studio):
                super().__init__(config.level)
                self.room = config.option("room")
                self.lines = []

            def record(self, event):
                self.lines.append(f"{self.room}: {event.message}")
        """), encoding="utf-8")
    info = tmp_path / "teamchat_sink-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: teamchat-sink\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[syncengine.log_sinks]\nteamchat = teamchat_sink:TeamChatSink\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins._group.cache_clear()
    yield
    plugins._group.cache_clear()


def test_a_third_party_sink_is_loaded_through_its_entry_point(third_party_sink, write_config):
    config = load_config(write_config(extra="""\
        logging:
          sinks:
            - {type: teamchat, room: front-desk, level: warning, any_key: [1, 2]}
        """))
    assert config.logging.sinks[0].options == (("room", "front-desk"), ("any_key", (1, 2)))
    (sink,) = build_sinks(config, run_log=False)
    bus = LogBus([sink])
    bus.emit("plan", "info", "quiet")
    bus.emit("warning", "warning", "row 12 unreadable")
    assert sink.lines == ["front-desk: row 12 unreadable"]


def test_an_unknown_sink_type_is_a_config_error(config):
    broken = type(config)(**{**config.__dict__, "logging": type(config.logging)(
        sinks=(SinkConfig(type="pager"),))})
    with pytest.raises(ConfigError, match="log sink 'pager' is not available"):
        build_sinks(broken)


def test_config_secrets_include_the_smtp_password_file(write_config):
    path = write_config(extra="""\
        email:
          smtp: {host: 127.0.0.1, port: 2525, username: sync, password_file: secrets/smtp.txt}
          from: sync@studio.example
        """)
    (path.parent / "secrets").mkdir()
    (path.parent / "secrets" / "smtp.txt").write_text("pw-from-a-file\n", encoding="utf-8")
    recording = RecordingSink()
    bus = build_bus(load_config(path), sinks=[recording])
    bus.emit("error", "error", "login pw-from-a-file refused")
    assert recording.events[0].message == "login [redacted] refused"


def test_a_sink_that_cannot_be_imported_names_its_line(config):
    with pytest.raises(ConfigError) as caught:
        build_sinks(config, builtins={**BUILTIN_SINKS, "jsonl": "syncengine.logs.no_such_module:Sink"})
    (problem,) = caught.value.problems
    lines = config.path.read_text(encoding="utf-8").splitlines()
    assert "type: jsonl" in lines[problem.line - 1]
    assert "log sink 'jsonl' is not available" in problem.message


def test_build_sinks_adds_the_run_log_unless_one_is_configured(config):
    from syncengine.logs.sqlite import SqliteSink, default_path

    sinks = build_sinks(config)
    assert [type(s) for s in sinks] == [ConsoleSink, JsonlSink, SqliteSink]
    assert sinks[2].path == default_path(config) and sinks[2].level == "info"
    assert [type(s) for s in build_sinks(config, dry_run=True)] == [ConsoleSink]
