"""Injected faults and latency, for tests and benchmarks of a client's retry behaviour.

A rule makes the next ``count`` matching requests fail (or, with ``fraction``, each matching request
with that probability, ``count`` times at most; ``count=0`` means no limit) in one of these ways:

======================  =============================================================================
``429``                 429 ``rateLimitExceeded`` (domain ``usageLimits``), ``Retry-After`` if given
``403-rate``            403 ``rateLimitExceeded`` (domain ``usageLimits``)
``403-user-rate``       403 ``userRateLimitExceeded``
``403-quota``           403 ``quotaExceeded`` ("Calendar usage limits exceeded.")
``500`` / ``503``       ``backendError``
``hang``                no answer until ``hang_seconds`` have passed (beyond a client's timeout), then
                        the connection is closed; the request is not carried out
``drop``                the connection is closed without an answer; the request is not carried out
``drop-after``          the request is carried out and committed, then the connection is closed
======================  =============================================================================

``methods`` limits a rule to API methods (``events.insert``, ``batch``...).  A rule without methods
hits whole HTTP requests (a batch as a whole); a rule naming methods also hits the matching calls inside
a batch, one part at a time (connection faults always act on the whole HTTP request).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from adapters.google.emulator.errors import ApiError, EmulatorError

KINDS = ("429", "403-rate", "403-user-rate", "403-quota", "500", "503", "hang", "drop", "drop-after")
CONNECTION_KINDS = ("hang", "drop", "drop-after")


@dataclass
class FaultRule:
    kind: str
    remaining: int | None
    fraction: float | None
    retry_after: int | None
    methods: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "remaining": self.remaining, "fraction": self.fraction,
                "retry_after": self.retry_after, "methods": list(self.methods)}


class FaultInjector:
    """The fault rules of one service; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self.latency_seconds = 0.0
        #: how long a ``hang`` lasts (bounded so a forgotten fault cannot block a test run for long)
        self.hang_seconds = 30.0

    def inject(self, kind: str, count: int = 1, *, fraction: float | None = None,
               retry_after: int | None = None, methods: tuple[str, ...] = ()) -> None:
        """Add a rule (see the module docstring)."""
        if kind not in KINDS:
            raise EmulatorError(f"unknown fault kind {kind!r}", hint=f"use one of: {', '.join(KINDS)}")
        if fraction is not None and not 0.0 < fraction <= 1.0:
            raise EmulatorError(f"fault fraction must be in (0, 1], not {fraction}")
        if count < 0:
            raise EmulatorError(f"fault count must not be negative, not {count}")
        with self._lock:
            self._rules.append(FaultRule(kind, count or None, fraction, retry_after, tuple(methods)))

    def latency(self, seconds: float) -> None:
        """Delay every API request by ``seconds`` before it is carried out."""
        if seconds < 0:
            raise EmulatorError(f"latency must not be negative, not {seconds}")
        self.latency_seconds = float(seconds)

    def clear(self) -> None:
        """Remove every rule and the latency."""
        with self._lock:
            self._rules.clear()
        self.latency_seconds = 0.0

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_dict() for rule in self._rules]

    def pick(self, method: str, *, inner: bool = False) -> FaultRule | None:
        """The rule that hits this request (and uses up one of its faults), or None."""
        with self._lock:
            for rule in self._rules:
                if inner and (not rule.methods or rule.kind in CONNECTION_KINDS):
                    continue
                if rule.methods and method not in rule.methods:
                    continue
                if rule.fraction is not None and self._random.random() >= rule.fraction:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule
        return None

    def pick_error(self, method: str) -> ApiError | None:
        """For a call inside a batch: the injected error for it, or None."""
        rule = self.pick(method, inner=True)
        return None if rule is None else error_for(rule)


def error_for(rule: FaultRule) -> ApiError:
    """The error response an error-kind rule stands for."""
    headers = {} if rule.retry_after is None else {"Retry-After": str(rule.retry_after)}
    if rule.kind == "429":
        return ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits",
                        headers=headers)
    if rule.kind == "403-rate":
        return ApiError(403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits",
                        headers=headers)
    if rule.kind == "403-user-rate":
        return ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded", domain="usageLimits",
                        headers=headers)
    if rule.kind == "403-quota":
        return ApiError(403, "quotaExceeded", "Calendar usage limits exceeded.", domain="usageLimits",
                        headers=headers)
    code = 503 if rule.kind == "503" else 500
    return ApiError(code, "backendError", "Backend Error", headers=headers)
