"""`syncengine check`'s SMTP check against a real SMTP server, and through the command line."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest
from smtp_support import PASSWORD, USERNAME, Received

from syncengine.checks import smtp as smtp_checks
from syncengine.cli import main
from syncengine.config.loader import load_config


@pytest.fixture
def mail_config(write_config, smtp_server: Received, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHECK_SMTP_PASSWORD", PASSWORD)
    return write_config(extra=f"""\
        email:
          smtp: {{host: 127.0.0.1, port: {smtp_server.port}, username: {USERNAME},
                  password_env: CHECK_SMTP_PASSWORD, timeout: 5}}
          from: sync@studio.example
        logging:
          sinks:
            - {{type: email, to: [owner@studio.example]}}
        """)


def test_a_reachable_server_with_a_good_login_passes(mail_config: Path, smtp_server: Received) -> None:
    [result] = smtp_checks.checks(load_config(mail_config))
    assert result.outcome == "ok", result
    assert f"login as {USERNAME}" in result.detail
    assert smtp_server.logins == [USERNAME] and smtp_server.messages == []  # nothing is sent


def test_a_wrong_password_fails_without_showing_it(mail_config: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_SMTP_PASSWORD", "not-the-password-42")
    [result] = smtp_checks.checks(load_config(mail_config))
    assert result.outcome == "fail" and "535" in result.detail
    assert "not-the-password-42" not in result.detail + result.fix


def test_a_local_relay_that_is_not_running_only_warns(mail_config: Path, smtp_server: Received) -> None:
    config = load_config(mail_config)
    assert config.email is not None
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = replace(config.email.smtp, port=port, timeout=2.0)
    closed = replace(config, email=replace(config.email, smtp=smtp))
    [result] = smtp_checks.checks(closed)
    # syncing still works; only the digests wait for the mail server
    assert result.outcome == "warn" and f"nothing listens on 127.0.0.1:{port}" in result.detail, result


def test_no_email_configured_means_no_smtp_check(write_config) -> None:
    assert list(smtp_checks.checks(load_config(write_config()))) == []


def test_syncengine_check_runs_the_smtp_and_processor_checks(mail_config: Path, capsys) -> None:
    main(["check", "-c", str(mail_config)])
    out = capsys.readouterr().out
    assert "OK   smtp: 127.0.0.1:" in out
    assert "OK   processor: interval 300s" in out
    assert "run log" in out
