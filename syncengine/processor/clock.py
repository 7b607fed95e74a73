"""The processor's sense of time, injectable so tests are fast and deterministic.

The processor asks a :class:`Clock` three things: a monotonic reading in seconds (for debounce, schedule and
backoff arithmetic, immune to the wall clock jumping), the wall-clock time (for what people read: status,
log lines), and to wait until either something wakes it or a timeout passes.  :class:`SystemClock` is the
real thing; :class:`ManualClock` only moves when a test calls :meth:`ManualClock.advance`.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def now(self) -> datetime:
        """The wall-clock time, timezone-aware UTC."""
        ...

    def wait(self, wake: threading.Event, timeout: float) -> bool:
        """Block until ``wake`` is set (True) or ``timeout`` seconds of this clock passed (False)."""
        ...


class SystemClock:
    """The real clocks of the machine."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, wake: threading.Event, timeout: float) -> bool:
        return wake.wait(max(0.0, timeout))


class ManualClock:
    """A clock that stands still until :meth:`advance` moves it.

    :meth:`wait` returns as soon as ``wake`` is set or the clock has been advanced past the deadline; it
    checks in short real-time slices, so a thread waiting on it notices an advance from another thread.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._elapsed = 0.0
        self._moved = threading.Condition()

    def monotonic(self) -> float:
        return self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def advance(self, seconds: float) -> None:
        with self._moved:
            self._elapsed += seconds
            self._moved.notify_all()

    def wait(self, wake: threading.Event, timeout: float) -> bool:
        deadline = self._elapsed + max(0.0, timeout)
        while True:
            if wake.is_set():
                return True
            if self._elapsed >= deadline:
                return False
            with self._moved:
                # A short real slice keeps `wake` responsive; the condition makes `advance` prompt.
                self._moved.wait(0.01)
