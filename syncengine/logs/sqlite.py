"""The SQLite run log: the "Control Center log" that ``syncengine log`` and ``syncengine status`` read.

Options: ``path`` (default ``<state folder>/runlog.db``).  One row per event: time (UTC, ISO, sortable),
run id, kind, level, user, origin (``file:line`` for input problems), message, and the event's data as
JSON.  Events are already redacted by the log bus; nothing here adds a secret.

Writes are grouped: a commit happens at every run start and end, for every warning or error, and at the
latest every :data:`COMMIT_EVERY` events or :data:`COMMIT_SECONDS`, so a 10,000-write run costs a few
commits, not ten thousand, and a warning is on disk the moment it is logged.  Rows older than
:data:`KEEP_DAYS` are dropped when the log is opened.  WAL mode lets ``syncengine log`` read while the
processor writes.  Dry runs are not logged (see :mod:`syncengine.logs.base`): the log says what happened.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncengine.logs.base import LEVELS, LogEvent, RecordSink

if TYPE_CHECKING:
    from syncengine.config.model import SinkConfig, StudioConfig

DEFAULT_NAME = "runlog.db"
COMMIT_EVERY = 500
COMMIT_SECONDS = 1.0
KEEP_DAYS = 90
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    run_id TEXT,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    level_no INTEGER NOT NULL,
    user TEXT,
    origin TEXT,
    message TEXT NOT NULL,
    data TEXT
);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE INDEX IF NOT EXISTS events_user ON events(user, time);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
"""


def _stamp(moment: datetime) -> str:
    # Fixed width (microseconds always present) so text order is time order.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_path(studio: StudioConfig) -> Path:
    return studio.studio.state.parent / DEFAULT_NAME


def run_log_path(studio: StudioConfig) -> Path:
    """Where the run log is: the first sqlite sink's ``path``, else the default beside the state file."""
    for sink in studio.logging.sinks:
        if sink.type == "sqlite" and sink.option("path") is not None:
            path = Path(sink.option("path"))
            return path if path.is_absolute() else studio.base_dir / path
    return default_path(studio)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path | set | frozenset):
        return str(value) if isinstance(value, Path) else sorted(value)
    return str(value)


class SqliteSink(RecordSink):
    """Appends every event at or above its level to the run log (not a dry run's)."""

    records_dry_runs = False

    def __init__(self, config: SinkConfig | None = None, studio: StudioConfig | None = None, *,
                 path: Path | None = None) -> None:
        super().__init__(config.level if config is not None else "info")
        chosen = path if path is not None else (config.option("path") if config is not None else None)
        if chosen is None:
            if studio is None:
                raise ValueError("SqliteSink needs a path or a studio config")
            chosen = default_path(studio)
        base = studio.base_dir if studio is not None else Path.cwd()
        self.path = Path(chosen) if Path(chosen).is_absolute() else base / chosen
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pending = 0
        self._last_commit = time.monotonic()

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            cutoff = _stamp(datetime.now(UTC) - timedelta(days=KEEP_DAYS))
            db.execute("DELETE FROM events WHERE time < ?", (cutoff,))
            db.commit()
            self._db = db
        return self._db

    def record(self, event: LogEvent) -> None:
        data = json.dumps(dict(event.data), ensure_ascii=False, sort_keys=True, default=_jsonable) \
            if event.data else None
        row = (_stamp(event.time), event.run_id, event.kind, event.level, LEVELS.index(event.level),
               event.user, event.origin, event.message, data)
        with self._lock:
            db = self._connect()
            db.execute("INSERT INTO events (time, run_id, kind, level, level_no, user, origin, message, data)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            self._pending += 1
            urgent = event.kind in ("run-start", "run-end") or LEVELS.index(event.level) >= 2
            overdue = time.monotonic() - self._last_commit > COMMIT_SECONDS
            if urgent or overdue or self._pending >= COMMIT_EVERY:
                self._commit(db)

    def _commit(self, db: sqlite3.Connection) -> None:
        db.commit()
        self._pending = 0
        self._last_commit = time.monotonic()

    def flush(self) -> None:
        with self._lock:
            if self._db is not None:
                self._commit(self._db)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._commit(self._db)
                self._db.close()
                self._db = None


# --- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogQuery:
    """What ``syncengine log`` asks for; every part optional."""

    since: datetime | None = None
    level: str | None = None
    user: str | None = None
    run_id: str | None = None
    limit: int | None = None


@contextmanager
def _reader(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)) as db:
        yield db


def read_log(path: Path, query: LogQuery = LogQuery()) -> list[LogEvent]:
    """Events of the run log matching ``query``, oldest first (the newest ``limit`` when limited)."""
    if not path.exists():
        return []
    where: list[str] = []
    args: list[Any] = []
    if query.since is not None:
        where.append("time >= ?")
        args.append(_stamp(query.since))
    if query.level is not None:
        where.append("level_no >= ?")
        args.append(LEVELS.index(query.level))
    if query.user is not None:
        where.append("user = ?")
        args.append(query.user)
    if query.run_id is not None:
        where.append("run_id = ?")
        args.append(query.run_id)
    sql = "SELECT time, run_id, kind, level, user, origin, message, data FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if query.limit is not None:
        sql += " LIMIT ?"
        args.append(query.limit)
    with _reader(path) as db:
        rows = db.execute(sql, args).fetchall()
    return [_event(row) for row in reversed(rows)]


def _event(row: tuple[Any, ...]) -> LogEvent:
    stamp, run_id, kind, level, user, origin, message, data = row
    return LogEvent(kind=kind, level=level, message=message,
                    time=datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
                    run_id=run_id, user=user, origin=origin, data=json.loads(data) if data else {})
