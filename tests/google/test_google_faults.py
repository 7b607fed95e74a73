"""Faults on the wire: bursts of 429/503, dropped connections, timeouts, budgets, and typed errors."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from google_support import appointment, create, make_config

from syncengine.config.model import Credentials, GoogleAccount, UserConfig
from syncengine.errors import AuthError, CalendarNotFound, PermissionDenied, QuotaError, TransientError
from syncengine.ports import CalendarWrite

ACCOUNT = "amanda@studio.example"
WINDOW = (date(2026, 5, 1), date(2026, 7, 31))


def _session(tmp_path, service, backend_for, **kw):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path, service, {"amanda": ACCOUNT}, **kw)
    return backend_for(config).open(config.users[0])


def _converged(service, uids: list[str]) -> None:  # type: ignore[no-untyped-def]
    events = service.events(ACCOUNT)
    held = sorted(e["extendedProperties"]["private"]["syncengine_uid"] for e in events)
    assert held == sorted(uids), "every appointment exactly once: none lost, none duplicated"


def test_429_and_503_in_a_batch_retry_only_failed_parts(tmp_path, service, backend_for, sleeps) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=10)
    appts = [appointment(f"R-{i}", day=1 + i) for i in range(10)]
    service.faults.inject("429", count=3, methods=("events.insert",), retry_after=2)
    service.faults.inject("503", count=2, methods=("events.insert",))
    results = session.apply([create("amanda", a) for a in appts])
    assert [r.status for r in results] == ["ok"] * 10
    _converged(service, [a.uid for a in appts])
    counts = service.counts()
    assert counts["batch"] == 2  # the first batch, then one batch of the 5 failed parts
    assert counts["events.insert"] == 15
    assert sleeps.waits and max(sleeps.waits) >= 2.0  # Retry-After honoured


def test_rate_limited_single_requests_back_off_and_converge(tmp_path, service, backend_for, sleeps) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=0)
    appts = [appointment(f"S-{i}", day=1 + i) for i in range(4)]
    service.faults.inject("403-rate", count=2)
    service.faults.inject("500", count=1)
    results = session.apply([create("amanda", a) for a in appts])
    assert all(r.status == "ok" for r in results)
    _converged(service, [a.uid for a in appts])
    assert len(sleeps.waits) == 3


def test_connection_dropped_after_the_batch_committed(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=50)
    appts = [appointment(f"T-{i}", day=1 + i) for i in range(6)]
    # The server carries out the batch, then the connection dies before the answer: every insert is
    # sent again, answers 409, and is recognised as our own earlier success.
    service.faults.inject("drop-after", count=1, methods=("batch",))
    results = session.apply([create("amanda", a) for a in appts])
    assert [r.status for r in results] == ["ok"] * 6
    assert [r.event_id for r in results] == [create("amanda", a).event_id for a in appts]
    _converged(service, [a.uid for a in appts])


def test_dropped_and_hung_connections_are_retried(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=3)
    appts = [appointment(f"U-{i}", day=1 + i) for i in range(7)]
    service.faults.inject("drop", count=2, methods=("batch",))
    service.faults.inject("hang", count=1, methods=("batch",))
    results = session.apply([create("amanda", a) for a in appts])
    assert all(r.status == "ok" for r in results)
    _converged(service, [a.uid for a in appts])
    service.faults.inject("drop", count=1, methods=("events.list",))
    assert len(session.read(None, *WINDOW).entries) == 7


def test_request_budget_is_a_quota_error(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=0, request_budget=3)
    with pytest.raises(QuotaError) as caught:
        session.apply([create("amanda", appointment(f"V-{i}", day=1 + i)) for i in range(5)])
    assert "request_budget" in str(caught.value)
    assert len(service.events(ACCOUNT)) == 3


def test_quota_exceeded_is_not_hammered(tmp_path, service, backend_for, sleeps) -> None:
    session = _session(tmp_path, service, backend_for)
    service.faults.inject("403-quota", count=0)
    with pytest.raises(QuotaError):
        session.apply([create("amanda", appointment("W-1"))])
    assert sleeps.waits == [] and service.counts()["batch"] == 1


def test_bad_token_is_an_auth_error_without_the_token(tmp_path, service, backend_for) -> None:
    config = make_config(tmp_path, service, {"amanda": ACCOUNT})
    secret = "s3cret-token-value"
    bad = UserConfig("amanda", "Amanda", GoogleAccount(ACCOUNT, credentials=Credentials(
        type="static_token", token=secret)))
    session = backend_for(config).open(bad)
    with pytest.raises(AuthError) as caught:
        session.read(None, *WINDOW)
    assert secret not in str(caught.value) and "auth login amanda" in caught.value.advice()
    with pytest.raises(AuthError):
        session.apply([create("amanda", appointment("X-1"))])


def test_unknown_calendar_and_forbidden_calendar(tmp_path, service, backend_for) -> None:
    config = make_config(tmp_path, service, {"amanda": ACCOUNT, "bob": "bob@studio.example"})
    backend = backend_for(config)
    amanda, bob = config.users
    lost = UserConfig("amanda", "Amanda", GoogleAccount(ACCOUNT, calendar="nope@group.calendar",
                                                        credentials=amanda.google.credentials))
    with pytest.raises(CalendarNotFound):
        backend.open(lost).read(None, *WINDOW)
    foreign = UserConfig("bob", "Bob", GoogleAccount("bob@studio.example", calendar=ACCOUNT,
                                                     credentials=bob.google.credentials))
    with pytest.raises((PermissionDenied, CalendarNotFound)):
        backend.open(foreign).apply([create("bob", appointment("Y-1"))])
    assert service.events(ACCOUNT) == []


def test_users_sync_concurrently_from_threads(tmp_path, service, backend_for) -> None:
    accounts = {f"user{i}": f"user{i}@studio.example" for i in range(4)}
    config = make_config(tmp_path, service, accounts, batch_size=5)
    backend = backend_for(config)
    errors: list[BaseException] = []

    def sync(user: UserConfig) -> None:
        try:
            session = backend.open(user)
            appts = [appointment(f"{user.id}-{i}", day=1 + i) for i in range(12)]
            assert all(r.status == "ok" for r in session.apply([create(user.id, a) for a in appts]))
            assert len(session.read(None, *WINDOW).entries) == 12
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(u,)) for u in config.users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert all(len(service.events(a)) == 12 for a in accounts.values())


def test_single_insert_answer_lost_is_adopted_on_409(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=0)
    appts = [appointment(f"Z-{i}", day=1 + i) for i in range(3)]
    service.faults.inject("drop-after", count=2, methods=("events.insert",))
    results = session.apply([create("amanda", a) for a in appts])
    assert [r.status for r in results] == ["ok"] * 3
    _converged(service, [a.uid for a in appts])
    assert service.counts()["events.get"] >= 1  # the 409 was looked at, not ignored


def test_a_part_failing_beyond_the_retries_fails_alone(tmp_path, service, backend_for, sleeps) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=50)
    appts = [appointment(f"Q-{i}", day=1 + i) for i in range(3)]
    session.apply([create("amanda", appts[0])])
    service.faults.inject("503", count=0, methods=("events.update",))
    results = session.apply([create("amanda", appts[0].evolve(title="changed")),
                             *(create("amanda", a) for a in appts[1:])])
    assert [r.status for r in results] == ["failed", "ok", "ok"]
    assert isinstance(results[0].error, TransientError) and "503" in str(results[0].error)
    assert len(sleeps.waits) == 5  # the default policy: 6 attempts
    _converged(service, [a.uid for a in appts])


def test_update_whose_answer_was_lost_is_recognised_on_412(tmp_path, service, backend_for) -> None:
    session = _session(tmp_path, service, backend_for, batch_size=0)
    appt = appointment("L-1")
    made = session.apply([create("amanda", appt)])[0]
    assert made.entry is not None
    service.faults.inject("drop-after", count=1, methods=("events.update",))
    # httplib2 resends the dropped request once by itself; our retry then meets a changed etag.
    changed = appt.evolve(title="renamed")
    result = session.apply([CalendarWrite("update", "L-1", made.event_id or "", etag=made.entry.etag,
                                          appointment=changed)])[0]
    assert result.status == "ok" and result.entry is not None
    assert result.entry.appointment.title == "renamed" and result.entry.etag != made.entry.etag
    assert service.counts()["events.get"] >= 1
