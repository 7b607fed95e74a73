"""The retry policy, the request budget and the error boundary, without a network."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from adapters.google.errors import error_reason, map_error, retry_after_seconds
from adapters.google.retry import RequestBudget, RetryPolicy, is_retryable
from syncengine.errors import (
    AuthError,
    CalendarNotFound,
    PermissionDenied,
    QuotaError,
    TransientError,
)


def http_error(status: int, reason: str = "", headers: dict[str, str] | None = None) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    body = {"error": {"code": status, "message": f"msg {reason}",
                      "errors": [{"domain": "global", "reason": reason, "message": "m"}] if reason else []}}
    return HttpError(resp, json.dumps(body).encode(), uri="http://127.0.0.1/calendar/v3/x?access_token=SECRET")


@pytest.mark.parametrize(("exc", "retry"), [
    (http_error(429, "rateLimitExceeded"), True),
    (http_error(403, "rateLimitExceeded"), True),
    (http_error(403, "userRateLimitExceeded"), True),
    (http_error(403, "quotaExceeded"), False),
    (http_error(403, "forbidden"), False),
    (http_error(500, "backendError"), True),
    (http_error(503), True),
    (http_error(409, "duplicate"), False),
    (http_error(412, "conditionNotMet"), False),
    (ConnectionResetError(), True),
    (TimeoutError(), True),
    (httplib2.ServerNotFoundError("x"), True),
    (ValueError("x"), False),
])
def test_what_is_retried(exc: BaseException, retry: bool) -> None:
    assert is_retryable(exc) is retry


def test_backoff_is_exponential_jittered_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0, random=lambda: 1.0, sleep=lambda _: None)
    assert [policy.delay(k) for k in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    jittered = RetryPolicy(base=1.0, cap=8.0, random=lambda: 0.25)
    assert jittered.delay(3) == 2.0
    assert policy.delay(0, http_error(429, "rateLimitExceeded", {"retry-after": "30"})) == 30.0
    capped = RetryPolicy(max_retry_after=5.0, random=lambda: 0.0)
    assert capped.delay(0, http_error(503, headers={"retry-after": "3600"})) == 5.0
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    seconds = retry_after_seconds(http_error(503, headers={"retry-after": when}))
    assert seconds is not None and 15 <= seconds <= 20


def test_call_retries_then_gives_up_and_spends_the_budget() -> None:
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, sleep=waits.append, random=lambda: 0.5)
    budget = RequestBudget("amanda", 100)
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise http_error(503)
        return "done"

    assert policy.call(budget, flaky) == "done" and budget.used == 3 and len(waits) == 2
    attempts.clear()

    def always(status: int, reason: str = "") -> None:
        attempts.append(1)
        raise http_error(status, reason)

    with pytest.raises(HttpError):
        policy.call(budget, lambda: always(500))
    assert len(attempts) == 3
    with pytest.raises(HttpError):
        policy.call(budget, lambda: always(400, "invalid"))
    assert len(attempts) == 4
    assert budget.used == 7


def test_budget_exhaustion_is_a_quota_error() -> None:
    budget = RequestBudget("amanda", 2)
    budget.spend()
    budget.spend()
    with pytest.raises(QuotaError, match="request_budget"):
        budget.spend()
    assert budget.left == 0


def test_boundary_mapping_is_typed_and_leaks_no_secret() -> None:
    assert isinstance(map_error("a", http_error(401, "authError"), "x"), AuthError)
    assert isinstance(map_error("a", http_error(429, "rateLimitExceeded"), "x"), QuotaError)
    assert isinstance(map_error("a", http_error(403, "quotaExceeded"), "x"), QuotaError)
    assert isinstance(map_error("a", http_error(404, "notFound"), "x", "team@group"), CalendarNotFound)
    assert isinstance(map_error("a", http_error(403, "forbidden"), "x"), PermissionDenied)
    assert isinstance(map_error("a", http_error(503), "x"), TransientError)
    assert isinstance(map_error("a", ConnectionRefusedError(), "x"), TransientError)
    grant = map_error("a", RefreshError("invalid_grant: Token has been expired or revoked."), "x")
    assert isinstance(grant, AuthError) and "auth login a" in grant.advice()
    for exc in (http_error(401, "authError"), http_error(500)):
        assert "SECRET" not in str(map_error("a", exc, "x"))
    assert error_reason(http_error(409, "duplicate")) == "duplicate"
