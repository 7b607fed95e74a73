"""Dropped files: which ones count, when one is complete, and where it goes once synced.

A studio saves an export into a drop folder from the legacy software, a spreadsheet or a browser.  Those
write in pieces and leave temporary files behind, so the processor takes a file only when

- its name is not a temporary or partial one (:func:`is_candidate`): Office lock files ``~$*``, ``*.tmp``,
  ``*.part``, browser downloads ``*.crdownload``, hidden files ``.*``; and it has the extension of the
  source's format (``.csv`` for a csv source), when the format has one;
- its size was the same at two checks at least ``settle`` seconds apart, and it can be opened for reading
  (:class:`CompletenessTracker`).  The first look is taken at the file's last event and the second once
  the quiet period is over, so a file that is complete adds no wait beyond the debounce.  A file that
  vanished counts as complete: its removal is the news.

After a run, :func:`move_processed` takes each synced file out of the way into ``processed/`` and
:func:`move_rejected` puts a file that could not be read into ``rejected/`` with ``<name>.reason.txt``
beside it, so a folder never re-syncs stale drops.  Names never collide: a later drop with the same name
gets a timestamp suffix.  Because synced drops leave, the reconciler reads every drop folder as news
(``syncengine.reconcile.runner``: its read is never complete).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PROCESSED = "processed"
REJECTED = "rejected"
IGNORED_PATTERNS: tuple[str, ...] = ("~$*", "*.tmp", "*.temp", "*.part", "*.partial", "*.crdownload",
                                     "*.download", "*.swp", "*~", ".*")
#: the extensions a drop of each built-in format may have; other formats take any non-temporary file.
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {"csv": (".csv", ".txt"), "ics": (".ics", ".ical", ".ifb")}


def is_ignored_name(name: str) -> bool:
    """Whether ``name`` is a temporary, partial or hidden file that never counts as a drop."""
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in IGNORED_PATTERNS)


def is_candidate(path: Path, format_name: str) -> bool:
    """Whether ``path`` may be an export of a source of ``format_name``."""
    if is_ignored_name(path.name):
        return False
    suffixes = FORMAT_SUFFIXES.get(format_name)
    return suffixes is None or path.suffix.lower() in suffixes


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    at: float


class CompletenessTracker:
    """Decides when a file is complete: the same size and mtime at two checks ``settle`` seconds apart.

    Times are readings of the processor's clock, so a test decides when "later" is.
    """

    def __init__(self, settle: float) -> None:
        self.settle = settle
        self._seen: dict[Path, _Seen] = {}

    def observe(self, path: Path, now: float) -> None:
        """Take a first look now (at a file event), so the check after the quiet period can confirm."""
        self._seen.pop(path, None)
        try:
            stat = path.stat()
        except OSError:
            return
        self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)

    def check(self, path: Path, now: float) -> bool:
        """True when ``path`` is complete (or gone); otherwise remembers this look for the next check."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._seen.pop(path, None)
            return True
        except OSError:
            return False
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
            return False
        if now - seen.at < self.settle:
            return False
        if not _readable(path):
            return False
        self._seen.pop(path, None)
        return True

    def next_check(self, path: Path) -> float | None:
        """The clock reading at which a pending ``path`` can next be confirmed, if it was seen."""
        seen = self._seen.get(path)
        return None if seen is None else seen.at + self.settle

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)


def _readable(path: Path) -> bool:
    # Windows keeps a file that is still being written locked; elsewhere this catches permission trouble.
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True


def _free_name(folder: Path, name: str, now: datetime) -> Path:
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = os.path.splitext(name)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    counter = 0
    while True:
        extra = f"-{counter}" if counter else ""
        target = folder / f"{stem}.{stamp}{extra}{suffix}"
        if not target.exists():
            return target
        counter += 1


def move_processed(path: Path, now: datetime) -> Path:
    """Move a synced drop into ``processed/`` beside it; returns where it went."""
    folder = path.parent / PROCESSED
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, path.name, now)
    os.replace(path, target)
    return target


def move_rejected(path: Path, reason: str, now: datetime) -> Path:
    """Move an unreadable drop into ``rejected/`` and write ``<name>.reason.txt`` beside it."""
    folder = path.parent / REJECTED
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, path.name, now)
    os.replace(path, target)
    stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    note = (
        f"{path.name} could not be read and was not synced ({stamp}).\n\n{reason.strip()}\n\n"
        "Export the file again from the studio software and drop the new file into the folder.\n"
    )
    target.with_name(target.name + ".reason.txt").write_text(note, encoding="utf-8")
    return target
