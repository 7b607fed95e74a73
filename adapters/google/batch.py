"""Sending many calls: batches of ``google.batch_size`` (0 = one request per call), retrying only what failed.

A batch is one HTTP request carrying up to ``batch_size`` calls; each call answers on its own.  After a
round, calls whose answer is worth retrying (429, rate-limit 403, 5xx) go out again in the next round,
after one backoff wait, while the calls that answered stay answered.  When the whole batch request fails
(a dropped connection, a timeout, a garbled reply) every call in it is sent again: a create that had
already landed then answers 409, which the session recognises as its own.

The client library retries nothing here: a batch has no ``num_retries``, and single calls are executed
with ``num_retries=0``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from googleapiclient.errors import BatchError, HttpError

from adapters.google.client import CalendarClient
from adapters.google.errors import retry_after_seconds
from adapters.google.retry import RequestBudget, RetryPolicy, is_retryable


@dataclass(frozen=True)
class Call:
    """One API call: ``make(client)`` builds the request (fresh for every attempt)."""

    key: str
    make: Callable[[CalendarClient], Any]


@dataclass(frozen=True)
class Outcome:
    """The answer to one call: a parsed response, or the exception it ended with."""

    response: Any = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _whole_batch_retryable(exc: BaseException) -> bool:
    # A reply that does not parse as a batch (parts missing after a dropped connection) says nothing about
    # which calls landed: send them all again.
    return isinstance(exc, BatchError | KeyError | IndexError | ValueError) or is_retryable(exc)


def run_calls(
    client: CalendarClient,
    calls: Sequence[Call],
    batch_size: int,
    policy: RetryPolicy,
    budget: RequestBudget,
) -> dict[str, Outcome]:
    """Every call's outcome, keyed by :attr:`Call.key`.  Budget exhaustion (QuotaError) propagates."""
    if batch_size <= 0:
        return {call.key: _run_single(client, call, policy, budget) for call in calls}
    outcomes: dict[str, Outcome] = {}
    pending = list(calls)
    attempt = 0
    while pending:
        retry: list[Call] = []
        last: dict[str, Outcome] = {}
        worst: Exception | None = None
        for start in range(0, len(pending), batch_size):
            chunk = pending[start:start + batch_size]
            answered = _run_batch(client, chunk, budget)
            for call in chunk:
                outcome = answered[call.key]
                if outcome.error is not None and is_retryable(outcome.error):
                    retry.append(call)
                    last[call.key] = outcome
                    worst = _longer_wait(worst, outcome.error)
                else:
                    outcomes[call.key] = outcome
        if not retry:
            break
        if attempt + 1 >= policy.max_attempts:
            # Out of attempts: each call ends with its own last failure.
            outcomes.update((call.key, last[call.key]) for call in retry)
            break
        policy.wait(attempt, worst)
        attempt += 1
        pending = retry
    return outcomes


def _longer_wait(current: Exception | None, new: Exception) -> Exception:
    """Of two failures, the one whose ``Retry-After`` asks for the longer wait."""
    if current is None:
        return new
    def asked(exc: BaseException) -> float:
        return (retry_after_seconds(exc) if isinstance(exc, HttpError) else None) or 0.0
    return new if asked(new) > asked(current) else current


def _run_batch(client: CalendarClient, chunk: Sequence[Call], budget: RequestBudget) -> dict[str, Outcome]:
    answered: dict[str, Outcome] = {}

    def on_answer(request_id: str, response: Any, exception: Exception | None) -> None:
        answered[request_id] = Outcome(response=response, error=exception)

    batch = client.new_batch()
    for call in chunk:
        batch.add(call.make(client), callback=on_answer, request_id=call.key)
    budget.spend()
    try:
        batch.execute(http=client.http)
    except Exception as exc:
        if not _whole_batch_retryable(exc):
            raise
        # Mark every call unanswered with a retryable transport failure (answers already parsed are lost
        # with the batch: the library hands them out only after the whole reply was read).
        failure = exc if is_retryable(exc) else ConnectionError(
            f"incomplete batch reply ({type(exc).__name__})")
        return {call.key: Outcome(error=failure) for call in chunk}
    for call in chunk:
        answered.setdefault(call.key, Outcome(error=ConnectionError("no answer in the batch reply")))
    return answered


def _run_single(client: CalendarClient, call: Call, policy: RetryPolicy, budget: RequestBudget) -> Outcome:
    try:
        return Outcome(response=policy.call(budget, lambda: call.make(client).execute(num_retries=0)))
    except HttpError as exc:
        return Outcome(error=exc)
    except Exception as exc:
        if is_retryable(exc):
            return Outcome(error=exc)
        raise
