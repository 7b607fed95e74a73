"""The processor lock: one processor per state file, and a way to see who holds it.

The lock is an OS lock (``fcntl.flock``, or ``msvcrt.locking`` on Windows) on ``<state>.processor.lock``
beside the state file, so it disappears with the process however the process ends: a crash never leaves a
stale lock behind.  The file also holds the holder's pid and start time, for messages and for
``syncengine status``.  This lock only keeps two processors apart; each run still takes the state file's
own lock, which keeps a processor's run and a manual ``syncengine reconcile`` apart.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from syncengine.errors import LockHeldError


def lock_path(state: Path) -> Path:
    return state.with_name(state.name + ".processor.lock")


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says about its holder ({} when unknown)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class ProcessorLock:
    """Hold with ``with ProcessorLock(state):``; raises :class:`LockHeldError` when another holds it."""

    def __init__(self, state: Path) -> None:
        self.path = lock_path(state)
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a+" never truncates: the holder's details stay readable until we own the lock.
        handle = self.path.open("a+", encoding="utf-8")
        if not _try_lock(handle):
            handle.close()
            holder = read_holder(self.path)
            who = f"processor pid {holder['pid']}" if "pid" in holder else "another processor"
            raise LockHeldError(self.path, who)
        handle.seek(0)
        handle.truncate()
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        handle.write(json.dumps({"pid": os.getpid(), "started": stamp}))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.close()  # closing drops the OS lock
            self._handle = None

    def __enter__(self) -> ProcessorLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_held(state: Path) -> bool:
    """Whether a processor holds the lock of ``state`` right now."""
    path = lock_path(state)
    if not path.exists():
        return False
    with path.open("a+", encoding="utf-8") as handle:
        if _try_lock(handle):
            return False  # closing the handle releases the probe lock at once
    return True
