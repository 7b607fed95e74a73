"""Stopping the processor gently on SIGTERM and SIGINT.

The first signal asks the processor to stop: the run in flight sees the stop event, finishes the write
batch it is in, commits, and the processor exits 0.  A second signal means "now": it raises
KeyboardInterrupt (the command line exits 130).  Handlers can only be installed from the main thread;
elsewhere (a processor embedded in another program) this does nothing and the caller stops it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), signal.SIGINT) if s is not None)


@contextmanager
def stop_on_signals(request_stop: Callable[[], None]) -> Iterator[None]:
    """While inside, SIGTERM/SIGINT call ``request_stop`` (the second one interrupts)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            raise KeyboardInterrupt
        request_stop()

    previous: dict[int, Any] = {}
    for sig in _SIGNALS:
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
