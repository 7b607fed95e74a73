"""Retrying calls to the Calendar service, and the per-user request budget.

The client library's own retries are never used (``num_retries=0`` everywhere): they retry POSTs blindly,
ignore ``Retry-After`` and are uncapped.  Instead :class:`RetryPolicy` retries what is worth retrying —
429, 403 with a rate-limit reason, 5xx, dropped connections and timeouts — with exponential backoff and
full jitter (a random wait in ``[0, min(cap, base * 2**attempt)]``), waiting at least what ``Retry-After``
asks.  A retried insert that answers 409 is handled by the session as "our own earlier attempt landed".

Every HTTP request a user's sync makes is paid from a :class:`RequestBudget`; an exhausted budget is a
:class:`~syncengine.errors.QuotaError` (a runaway guard: a sync that needs more is stopped, not looped).

The clock (``sleep``) and the randomness are injectable, so tests of long backoffs run instantly.
"""

from __future__ import annotations

import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httplib2
from googleapiclient.errors import HttpError

from adapters.google.errors import error_reason, retry_after_seconds
from syncengine.errors import QuotaError

T = TypeVar("T")

#: 403 reasons that mean "slow down" (Google says to treat them like 429); `quotaExceeded` is not one:
#: that is the anti-abuse limit, which lasts hours and must not be hammered.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

#: transport failures: the request may or may not have reached the server.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.timeout,
    ssl.SSLError,
    httplib2.HttpLib2Error,
    OSError,
)


def is_retryable(exc: BaseException) -> bool:
    """Whether a failure is worth another attempt."""
    if isinstance(exc, HttpError):
        status = exc.resp.status
        if status == 429 or status >= 500:
            return True
        return status == 403 and error_reason(exc) in RATE_LIMIT_REASONS
    if isinstance(exc, httplib2.RedirectLimit | httplib2.RedirectMissingLocation):
        return False
    return isinstance(exc, TRANSPORT_ERRORS)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter and a cap; honours ``Retry-After``."""

    max_attempts: int = 6
    base: float = 0.5
    cap: float = 32.0
    #: the longest ``Retry-After`` obeyed; a server asking for more makes the run give up instead.
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    #: every wait actually taken, for tests and diagnostics.
    waits: list[float] = field(default_factory=list)

    def delay(self, attempt: int, exc: BaseException | None = None) -> float:
        """The wait before retry number ``attempt`` (0-based) after ``exc``."""
        backoff = self.random() * min(self.cap, self.base * (2**attempt))
        asked = retry_after_seconds(exc) if isinstance(exc, HttpError) else None
        if asked is not None:
            return float(max(backoff, min(asked, self.max_retry_after)))
        return float(backoff)

    def wait(self, attempt: int, exc: BaseException | None = None) -> None:
        seconds = self.delay(attempt, exc)
        self.waits.append(seconds)
        if seconds > 0:
            self.sleep(seconds)

    def call(self, budget: RequestBudget, fn: Callable[[], T]) -> T:
        """``fn()`` (one HTTP request per attempt), retried per the policy; the last failure is raised."""
        attempt = 0
        while True:
            budget.spend()
            try:
                return fn()
            except Exception as exc:
                if not is_retryable(exc) or attempt + 1 >= self.max_attempts:
                    raise
                self.wait(attempt, exc)
                attempt += 1


class RequestBudget:
    """The most HTTP requests one user's sync may make; thread-safe."""

    def __init__(self, user: str, limit: int) -> None:
        self.user = user
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    def spend(self, count: int = 1) -> None:
        """Pay for ``count`` requests, or raise :class:`QuotaError` when the budget cannot."""
        with self._lock:
            if self.limit > 0 and self.used + count > self.limit:
                raise QuotaError(
                    self.user,
                    f"the request budget of {self.limit} calendar requests for one run is used up "
                    "(google.request_budget)",
                )
            self.used += count
