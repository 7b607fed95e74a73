"""The email sink against a real SMTP server: one digest per run per recipient, login, rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smtp_support import PASSWORD, USERNAME, Received

from syncengine.config.model import (
    EmailConfig,
    GoogleAccount,
    SinkConfig,
    SmtpConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
    UserSync,
)
from syncengine.errors import EmailError
from syncengine.logs.base import LogBus
from syncengine.logs.email import EmailSink


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def studio(tmp_path: Path, port: int, *, login: bool = True, max_per_hour: int = 4) -> StudioConfig:
    smtp = SmtpConfig(host="127.0.0.1", port=port, username=USERNAME if login else None,
                      password_env="TEST_SMTP_PASSWORD" if login else None, timeout=5.0)
    return StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings(name="Bright Light Portraits", timezone="America/Chicago",
                              state=tmp_path / "state" / "state.db"),
        sources=(SourceConfig(id="appointments", format="csv", path=tmp_path / "exports"),),
        users=(UserConfig(id="amanda", name="Amanda P", google=GoogleAccount(account="amanda@example.com"),
                          sync=UserSync(notify=True)),
               UserConfig(id="ben", name="Ben", google=GoogleAccount(account="ben@example.com"))),
        email=EmailConfig(smtp=smtp, sender="sync@studio.example", max_per_hour=max_per_hour),
    )


def sink_for(config: StudioConfig, clock: Clock, level: str = "warning") -> EmailSink:
    sink_config = SinkConfig(type="email", level=level, options=(("to", ("owner@studio.example",)),))
    return EmailSink(sink_config, config, clock=clock)


def one_run(bus: LogBus, run_id: str, *, password_in_text: str = "") -> None:
    bus.emit("run-start", "info", "run started", run_id=run_id)
    bus.emit("action", "info", "created event", run_id=run_id, user="amanda")
    bus.emit("warning", "warning", "row could not be read: no such date 2/30/2026", run_id=run_id,
             origin="exports/appointments.csv:12", user="amanda")
    bus.emit("warning", "warning", "unknown staff name 'Zed'", run_id=run_id, origin="exports/week.csv:4")
    bus.emit("error", "error", f"user ben: calendar not found {password_in_text}", run_id=run_id, user="ben")
    bus.emit("run-end", "info", "run ended", run_id=run_id)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)


def test_one_digest_per_run_per_recipient_naming_file_and_line(tmp_path: Path, smtp_server: Received) -> None:
    config = studio(tmp_path, smtp_server.port)
    sink = sink_for(config, Clock())
    bus = LogBus([sink])
    one_run(bus, "r1")
    bus.close()
    assert bus.sink_failures == [] and sink.sent_count == 2
    assert smtp_server.logins == [USERNAME]  # one connection carried both
    owner = smtp_server.to("owner@studio.example")
    amanda = smtp_server.to("amanda@example.com")
    assert len(owner) == 1 and len(amanda) == 1 and len(smtp_server.messages) == 2
    body = owner[0].get_payload(decode=True).decode()
    assert owner[0]["Subject"] == "[syncengine] Bright Light Portraits: 1 error, 2 warnings (run r1)"
    assert "exports/appointments.csv:12: row could not be read" in body
    assert "exports/week.csv:4: unknown staff name 'Zed'" in body
    assert "calendar not found" in body and "created event" not in body
    mine = amanda[0].get_payload(decode=True).decode()  # a notified user gets only the events about them
    assert "appointments.csv:12" in mine and "week.csv" not in mine and "ben" not in mine


def test_a_run_without_warnings_sends_nothing(tmp_path: Path, smtp_server: Received) -> None:
    bus = LogBus([sink_for(studio(tmp_path, smtp_server.port), Clock())])
    bus.emit("run-start", "info", "run started", run_id="quiet")
    bus.emit("action", "info", "updated event", run_id="quiet")
    bus.emit("run-end", "info", "run ended", run_id="quiet")
    bus.close()
    assert smtp_server.messages == []


def test_the_rate_limit_holds_digests_back_and_says_so_later(tmp_path: Path, smtp_server: Received) -> None:
    clock = Clock()
    config = studio(tmp_path, smtp_server.port, max_per_hour=2)
    for i in range(6):  # a failing night: a run every ten minutes
        bus = LogBus([sink_for(config, clock, level="error")])  # a restart between runs keeps the limit
        one_run(bus, f"night-{i}")
        bus.close()
        clock.now += timedelta(minutes=10)
    assert len(smtp_server.to("owner@studio.example")) == 2
    clock.now += timedelta(hours=1)
    bus = LogBus([sink_for(config, clock, level="error")])
    one_run(bus, "morning")
    bus.close()
    owner = smtp_server.to("owner@studio.example")
    assert len(owner) == 3
    latest = owner[-1].get_payload(decode=True).decode()
    assert "4 earlier digest(s) with 4 warning(s) and error(s)" in latest
    assert "row could not be read" not in latest  # level: error leaves warnings out


def test_secrets_never_reach_the_mail(tmp_path: Path, smtp_server: Received) -> None:
    config = studio(tmp_path, smtp_server.port)
    bus = LogBus([sink_for(config, Clock())])
    bus.add_secret(PASSWORD)
    one_run(bus, "r1", password_in_text=f"password={PASSWORD} Bearer ya29.abcdef")
    bus.close()
    for _, message in smtp_server.messages:
        text = message.as_string()
        assert PASSWORD not in text and "ya29.abcdef" not in text


def test_a_wrong_password_is_an_email_error_without_the_password(tmp_path: Path, smtp_server: Received,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-password-123")
    sink = sink_for(studio(tmp_path, smtp_server.port), Clock())
    bus = LogBus([sink])
    one_run(bus, "r1")
    bus.close()
    assert len(bus.sink_failures) == 1
    error = bus.sink_failures[0][1]
    assert isinstance(error, EmailError) and "535" in str(error)
    assert "wrong-password-123" not in str(error)
    assert smtp_server.messages == []


def test_a_missing_password_variable_is_named(tmp_path: Path, smtp_server: Received,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_SMTP_PASSWORD")
    sink = sink_for(studio(tmp_path, smtp_server.port), Clock())
    assert sink.send_digest(None, []) == 0  # nothing to send needs no password
    bus = LogBus([sink])
    one_run(bus, "r1")
    assert "TEST_SMTP_PASSWORD" in str(bus.sink_failures[0][1])
    bus.close()
    assert smtp_server.messages == []
