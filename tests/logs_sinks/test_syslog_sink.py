"""The syslog sink sending to a real UDP socket on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncengine.config.model import SinkConfig, SourceConfig, StudioConfig, StudioSettings
from syncengine.errors import ConfigError
from syncengine.logs.base import LogBus
from syncengine.logs.syslog import SyslogSink, parse_address


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        yield sock


def studio(tmp_path: Path) -> StudioConfig:
    return StudioConfig(path=tmp_path / "studio.yaml",
                        studio=StudioSettings("Studio", "America/Chicago", tmp_path / "state.db"),
                        sources=(SourceConfig("a", "csv", tmp_path / "a.csv"),), users=())


def test_events_arrive_as_syslog_messages(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    config = SinkConfig(type="syslog", level="info",
                        options=(("address", f"127.0.0.1:{port}"), ("facility", "local3")))
    bus = LogBus([SyslogSink(config, studio(tmp_path))])
    bus.add_secret("hunter22")
    bus.emit("warning", "warning", "row could not be read (token=hunter22)", user="amanda",
             origin="exports/a.csv:12", run_id="r9")
    bus.emit("action", "debug", "not at this level")
    bus.emit("error", "error", "user ben: calendar not found", user="ben")
    first = listener.recv(4096).decode()
    second = listener.recv(4096).decode()
    bus.close()
    assert bus.sink_failures == []
    # priority = facility local3 (19) * 8 + severity (warning 4, error 3)
    assert first.startswith("<156>syncengine[")
    assert "WARNING warning [amanda] exports/a.csv:12: row could not be read" in first
    assert "(run r9)" in first and "hunter22" not in first
    assert second.startswith("<155>") and "calendar not found" in second


def test_addresses_and_facilities_are_checked() -> None:
    assert parse_address("/dev/log") == ("/dev/log", socket.SOCK_DGRAM)
    assert parse_address("tcp://logs.example:601") == (("logs.example", 601), socket.SOCK_STREAM)
    with pytest.raises(ValueError, match="not a socket path"):
        parse_address("logs.example")
    with pytest.raises(ConfigError, match="facility"):
        SyslogSink(SinkConfig(type="syslog", options=(("facility", "kitchen"),)))


def test_an_unreachable_syslog_is_a_sink_failure_not_a_crash(tmp_path: Path) -> None:
    bus = LogBus([SyslogSink(address=str(tmp_path / "no-such-socket"))])
    bus.emit("error", "error", "something")
    bus.close()
    assert len(bus.sink_failures) == 1 and isinstance(bus.sink_failures[0][1], OSError)
