"""Watching the sources: a real watchdog observer reporting drops of export files.

Each ``sources:`` entry becomes a :class:`WatchTarget`: a drop folder is watched itself (not its
``processed/`` and ``rejected/`` subfolders), a single export file through its folder.  The observer's
threads only report ``(source id, path)`` to a callback; deciding when to run is the processor's job.

Which events count, and why:

- created and modified files: a new export, or one being written (each chunk of a slow copy is a
  modification; the debounce and the completeness check wait for the end);
- moved *into* place: editors and exporters write ``name.tmp`` then rename it to ``name.csv``; the
  destination is what counts, the temporary source name never does;
- deletions and moves *out* of a drop folder are ignored: they are mostly the processor's own moves to
  ``processed/``.  For a single export file, a deletion or move away counts (the run then reports it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchdog.events import (
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from syncengine.config.model import SourceConfig
from syncengine.processor.drops import is_candidate

OnDrop = Callable[[str, Path], None]


@dataclass(frozen=True)
class WatchTarget:
    """What to watch for one source: a folder, and either every candidate in it or one file name."""

    source_id: str
    folder: Path
    format_name: str
    #: None for a drop folder; the export's file name for a single-file source.
    file_name: str | None = None

    @classmethod
    def for_source(cls, source: SourceConfig) -> WatchTarget:
        if source.is_folder:
            return cls(source.id, Path(os.path.realpath(source.path)), source.format)
        return cls(source.id, Path(os.path.realpath(source.path.parent)), source.format, source.path.name)

    def matches(self, path: Path) -> bool:
        """Whether a file at ``path`` is (a candidate for) this source's export."""
        if Path(os.path.realpath(path.parent)) != self.folder:
            return False
        if self.file_name is not None:
            return path.name == self.file_name
        return is_candidate(path, self.format_name)


def _path(raw: bytes | str) -> Path:
    return Path(os.fsdecode(raw))


class _Handler(FileSystemEventHandler):
    def __init__(self, target: WatchTarget, on_drop: OnDrop) -> None:
        self.target = target
        self.on_drop = on_drop

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for path in self._relevant(event):
            self.on_drop(self.target.source_id, path)

    def _relevant(self, event: FileSystemEvent) -> list[Path]:
        kind = event.event_type
        single = self.target.file_name is not None
        if kind in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED):
            path = _path(event.src_path)
            return [path] if self.target.matches(path) else []
        if kind == EVENT_TYPE_MOVED:
            found = []
            dest = _path(event.dest_path)
            if self.target.matches(dest):
                found.append(dest)
            source = _path(event.src_path)
            if single and self.target.matches(source):
                found.append(source)
            return found
        if kind == EVENT_TYPE_DELETED and single:
            path = _path(event.src_path)
            return [path] if self.target.matches(path) else []
        return []


class SourceWatcher:
    """One watchdog observer over every target; :meth:`start` and :meth:`stop` it (or use ``with``)."""

    def __init__(self, targets: Sequence[WatchTarget], on_drop: OnDrop, observer: Any = None) -> None:
        self.targets = tuple(targets)
        self.on_drop = on_drop
        self._observer: Any = observer if observer is not None else Observer()
        self.missing: list[WatchTarget] = []

    @classmethod
    def for_sources(cls, sources: Iterable[SourceConfig], on_drop: OnDrop) -> SourceWatcher:
        return cls([WatchTarget.for_source(s) for s in sources], on_drop)

    def start(self) -> None:
        for target in self.targets:
            if target.file_name is None:
                # A drop folder that does not exist yet is created: the studio can start dropping.
                target.folder.mkdir(parents=True, exist_ok=True)
            if not target.folder.is_dir():
                self.missing.append(target)
                continue
            self._observer.schedule(_Handler(target, self.on_drop), str(target.folder), recursive=False)
        self._observer.start()

    def stop(self) -> None:
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout=5)

    def pending(self) -> list[tuple[str, Path]]:
        """Candidate files already lying in the watched places (dropped while nothing was watching)."""
        found: list[tuple[str, Path]] = []
        for target in self.targets:
            if not target.folder.is_dir():
                continue
            for entry in sorted(target.folder.iterdir()):
                if entry.is_file() and target.matches(entry):
                    found.append((target.source_id, entry))
        return found

    def __enter__(self) -> SourceWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
