"""Per-user backoff on transient failures, and a pause with one notification for auth failures."""

from __future__ import annotations

import os
from pathlib import Path

from processor_support import make_config

from syncengine.errors import AuthError, QuotaError, TransientError
from syncengine.processor.backoff import UserHealth, error_kind, needs_person, user_fingerprint


def test_transient_failures_back_off_exponentially_up_to_the_cap() -> None:
    health = UserHealth(base=30.0, cap=200.0)
    delays = []
    for _ in range(5):
        verdict = health.record("amanda", "failed", TransientError("amanda", "503"), 0.0, "fp")
        delays.append(verdict.retry_in)
    assert delays == [30.0, 60.0, 120.0, 200.0, 200.0]
    assert health.blocked(199.0) == {"amanda"}
    assert health.retries_due(200.0) == {"amanda"}
    assert health.record("amanda", "ok", None, 210.0, "fp").action == "healthy"
    assert health.blocked(210.0) == set() and health.next_retry() is None


def test_quota_is_transient_and_auth_needs_a_person() -> None:
    assert not needs_person(QuotaError("amanda", "rate limited"))
    assert needs_person(AuthError("amanda", "invalid_grant"))
    assert error_kind("AuthError: token revoked") == "AuthError"
    assert error_kind("connection reset") == ""


def test_an_auth_failure_pauses_and_notifies_once_per_cause() -> None:
    health = UserHealth()
    first = health.record("amanda", "failed", AuthError("amanda", "invalid_grant"), 0.0, "fp1")
    again = health.record("amanda", "failed", AuthError("amanda", "invalid_grant"), 300.0, "fp1")
    assert (first.action, first.notify) == ("pause", True)
    assert (again.action, again.notify) == ("pause", False)
    assert health.blocked(10_000.0) == {"amanda"}
    assert health.resume_changed({"amanda": "fp1"}) == []
    assert health.resume_changed({"amanda": "fp2"}) == ["amanda"]
    assert health.blocked(0.0) == set()
    after = health.record("amanda", "failed", AuthError("amanda", "still bad"), 400.0, "fp2")
    assert after.notify  # a new cause (the token changed and is still refused) is news again


def test_a_pause_survives_a_restart_but_a_backoff_does_not() -> None:
    health = UserHealth()
    health.record("amanda", "failed", AuthError("amanda", "invalid_grant"), 0.0, "fp1")
    health.record("ben", "failed", TransientError("ben", "timeout"), 0.0, "fpb")
    restored = UserHealth()
    restored.restore(health.snapshot(0.0))
    assert restored.blocked(0.0) == {"amanda"}


def test_the_fingerprint_follows_token_files_and_hides_secrets(tmp_path: Path, monkeypatch) -> None:
    config = make_config(tmp_path)
    before = user_fingerprint(config, "amanda")
    assert before == user_fingerprint(config, "amanda")
    token = tmp_path / "tokens" / "amanda.json"
    token.write_text('{"refresh_token": "1//secret"}')
    after_login = user_fingerprint(config, "amanda")
    assert after_login != before
    assert user_fingerprint(config, "ben") == user_fingerprint(config, "ben")
    os.utime(token, ns=(1, 1))
    assert user_fingerprint(config, "amanda") != after_login
    assert "secret" not in after_login and len(after_login) == 32
