"""Request accounting: counts by API method and a bounded log of recent calls.

Tests and benchmarks read these to check what a client really sent: how many inserts, whether a batch
was used, and that writes carried ``sendUpdates=none`` (each write's value is counted as
``sendUpdates:<value>``).  A call inside a batch counts under its own method, and the batch request
itself under ``batch``; ``http`` counts every HTTP request the server received.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallRecord:
    """One API call as the server saw it (no headers: they may carry tokens)."""

    method: str
    http_method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0
    account: str | None = None
    in_batch: bool = False


class Accounting:
    """Thread-safe counters plus the last ``keep`` call records."""

    def __init__(self, keep: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._calls: deque[CallRecord] = deque(maxlen=keep)

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self._counts[call.method] += 1
            value = call.params.get("sendUpdates")
            if value is not None:
                self._counts[f"sendUpdates:{value}"] += 1
            self._calls.append(call)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def calls(self, method: str | None = None) -> list[CallRecord]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._calls.clear()
