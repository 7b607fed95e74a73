"""The JSON-lines sink: one JSON object per event, appended to a file, rotated by size.

Options: ``path`` (default ``logs/sync.jsonl``, relative to the config file's folder), ``max_bytes``
(default 10 MB) and ``backups`` (default 5): when a line would take the file past ``max_bytes`` the file
becomes ``sync.jsonl.1``, the older ones shift up to ``.N`` and the oldest beyond ``backups`` is dropped.

The file is opened for each line and closed again, so a processor that runs for weeks holds no handle
(log rotation by other tools, and a deleted folder, just work) and nothing leaks when a run is killed.
A dry run's events are not written: a dry run writes no file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncengine.logs.base import LogEvent, RecordSink

if TYPE_CHECKING:
    from syncengine.config.model import SinkConfig, StudioConfig

DEFAULT_PATH = Path("logs") / "sync.jsonl"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5


class JsonlSink(RecordSink):
    """Appends ``event.as_dict()`` as one JSON line per event (not a dry run's)."""

    records_dry_runs = False

    def __init__(
        self,
        config: SinkConfig | None = None,
        studio: StudioConfig | None = None,
        *,
        path: Path | None = None,
        max_bytes: int | None = None,
        backups: int | None = None,
    ) -> None:
        super().__init__(config.level if config is not None else "info")
        option = config.option if config is not None else (lambda name, default=None: default)
        base = studio.base_dir if studio is not None else Path.cwd()
        chosen = Path(path if path is not None else option("path", DEFAULT_PATH))
        self.path = chosen if chosen.is_absolute() else base / chosen
        self.max_bytes = int(max_bytes if max_bytes is not None else option("max_bytes", DEFAULT_MAX_BYTES))
        self.backups = int(backups if backups is not None else option("backups", DEFAULT_BACKUPS))

    def record(self, event: LogEvent) -> None:
        line = json.dumps(event.as_dict(), ensure_ascii=False, sort_keys=True, default=_jsonable) + "\n"
        data = line.encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(data) > self.max_bytes:
            self.rotate()
        with self.path.open("ab") as handle:
            handle.write(data)

    def rotate(self) -> None:
        """Shift ``path`` to ``path.1`` (and ``.1`` to ``.2`` ...), dropping what exceeds ``backups``."""
        if self.backups <= 0:
            self.path.unlink(missing_ok=True)
            return
        self.backup(self.backups).unlink(missing_ok=True)
        for index in range(self.backups - 1, 0, -1):
            older = self.backup(index)
            if older.exists():
                os.replace(older, self.backup(index + 1))
        if self.path.exists():
            os.replace(self.path, self.backup(1))

    def backup(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")


def _jsonable(value: Any) -> Any:
    """Paths, dates, sets and dataclass-ish values as JSON: their text."""
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if not isinstance(value, tuple) else list(value)
    return str(value)
