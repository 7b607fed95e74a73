"""SQLite persistence of the embedded Calendar service.

One connection, one lock: every HTTP request (a batch included) runs as one transaction, so a killed
server leaves the store as it was after the last committed request.  The file runs in WAL mode with
``synchronous=NORMAL``: a commit is durable against a process crash without an fsync per request (only a
power loss may lose the last few commits, never corrupt the file).  ``path=None`` keeps everything in
memory.

Every write takes the next value of one store-wide change counter (``seq``); sync and page tokens are
positions on that counter.  Event bodies are stored as the JSON text sent to clients, so a listing joins
stored strings instead of re-encoding thousands of objects.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.google.emulator.errors import EmulatorError

SCHEMA_VERSION = "1"
DB_NAME = "calendar.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(token TEXT PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calendars(
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events(
    calendar TEXT NOT NULL, id TEXT NOT NULL, ical_uid TEXT, status TEXT NOT NULL,
    created_seq INTEGER NOT NULL, seq INTEGER NOT NULL, deleted_seq INTEGER,
    start_ts REAL, end_ts REAL, recurring INTEGER NOT NULL, updated TEXT NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY(calendar, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_seq ON events(calendar, seq);
CREATE INDEX IF NOT EXISTS events_by_uid ON events(calendar, ical_uid);
"""

EVENT_COLUMNS = "id, status, created_seq, seq, deleted_seq, start_ts, end_ts, recurring, updated, body"


def dumps(value: Any) -> str:
    """The compact JSON form used on disk and on the wire."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class EventRow:
    """One stored event (or tombstone) with its bookkeeping columns."""

    id: str
    status: str
    created_seq: int
    seq: int
    deleted_seq: int | None
    start_ts: float | None
    end_ts: float | None
    recurring: bool
    updated: str
    text: str

    @classmethod
    def from_sql(cls, row: tuple[Any, ...]) -> EventRow:
        return cls(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), row[8], row[9])

    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.text)
        return value


class Store:
    """The service's data: accounts and their tokens, calendars, events, and the change counter."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.path = None if data_dir is None else Path(data_dir) / DB_NAME
        conn: sqlite3.Connection | None = None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            target = ":memory:" if self.path is None else str(self.path)
            conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            if self.path is not None:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            if conn is not None:
                conn.close()
            raise EmulatorError(
                f"cannot open the calendar store {self.path or ':memory:'}: {exc}",
                hint="check that the data folder exists and is writable",
            ) from exc
        self.conn = conn
        self.lock = threading.RLock()
        self._depth = 0
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
            self.conn.close()
            raise EmulatorError(f"{self.path}: calendar store schema {meta['schema']} is not supported")
        #: identifies this store in tokens: a token from another store (or an in-memory one that was
        #: restarted) is answered 410, never misread.
        self.epoch = meta.get("epoch") or secrets.token_hex(4)
        self.counter = int(meta.get("counter", "0"))
        self.token_floor = int(meta.get("token_floor", "0"))
        self._last_ms = int(meta.get("last_ms", "0"))
        #: ``updated`` bound of the last tombstone purge: an ``updatedMin`` before it is answered 410
        self.purged_before = meta.get("purged_before", "")
        if "epoch" not in meta:
            with self.transaction():
                self._save_meta(schema=SCHEMA_VERSION, epoch=self.epoch)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- transactions ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit; nested calls become savepoints (a failed batch part rolls back alone)."""
        with self.lock:
            if self._depth:
                name = f"sp{self._depth}"
                self.conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield
                except BaseException:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                    raise
                else:
                    self.conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            before = (self.counter, self.token_floor, self._last_ms)
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
                if (self.counter, self.token_floor, self._last_ms) != before:
                    self._save_meta(
                        counter=str(self.counter),
                        token_floor=str(self.token_floor),
                        last_ms=str(self._last_ms),
                    )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                self.counter, self.token_floor, self._last_ms = before
                raise
            finally:
                self._depth = 0

    def _save_meta(self, **values: str) -> None:
        self.conn.executemany(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            list(values.items()),
        )

    def next_seq(self) -> int:
        self.counter += 1
        return self.counter

    def now_ms(self) -> int:
        """Wall-clock milliseconds that never go backwards (``updated`` must not decrease)."""
        self._last_ms = max(int(time.time() * 1000), self._last_ms)
        return self._last_ms

    def invalidate_tokens(self) -> None:
        """Every sync token issued so far is answered 410 from now on."""
        with self.transaction():
            self.token_floor = self.next_seq()

    # -- accounts and calendars -----------------------------------------------------------------------

    def account_for_token(self, token: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT email FROM tokens WHERE token=?", (token,)).fetchone()
        return None if row is None else str(row[0])

    def add_token(self, token: str, email: str) -> None:
        self.conn.execute(
            "INSERT INTO tokens(token, email) VALUES(?, ?) "
            "ON CONFLICT(token) DO UPDATE SET email=excluded.email",
            (token, email),
        )

    def accounts(self) -> dict[str, list[str]]:
        """Every account (its primary calendar's owner) with its tokens."""
        with self.lock:
            owners = [r[0] for r in self.conn.execute("SELECT DISTINCT owner FROM calendars ORDER BY owner")]
            out: dict[str, list[str]] = {owner: [] for owner in owners}
            for token, email in self.conn.execute("SELECT token, email FROM tokens ORDER BY token"):
                out.setdefault(email, []).append(token)
        return out

    def calendar(self, calendar_id: str) -> tuple[str, dict[str, Any]] | None:
        """``(owner, body)`` of a calendar, or None."""
        row = self.conn.execute("SELECT owner, body FROM calendars WHERE id=?", (calendar_id,)).fetchone()
        return None if row is None else (str(row[0]), json.loads(row[1]))

    def put_calendar(self, calendar_id: str, owner: str, body: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO calendars(id, owner, seq, body) VALUES(?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET owner=excluded.owner, seq=excluded.seq, body=excluded.body",
            (calendar_id, owner, self.counter, dumps(body)),
        )

    def calendars_of(self, owner: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT body FROM calendars WHERE owner=? ORDER BY id", (owner,))
        return [json.loads(r[0]) for r in rows]

    # -- events ---------------------------------------------------------------------------------------

    def event(self, calendar_id: str, event_id: str) -> EventRow | None:
        row = self.conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE calendar=? AND id=?", (calendar_id, event_id)
        ).fetchone()
        return None if row is None else EventRow.from_sql(row)

    def event_by_ical_uid(self, calendar_id: str, ical_uid: str) -> EventRow | None:
        row = self.conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE calendar=? AND ical_uid=? ORDER BY id LIMIT 1",
            (calendar_id, ical_uid),
        ).fetchone()
        return None if row is None else EventRow.from_sql(row)

    def put_event(
        self,
        calendar_id: str,
        body: dict[str, Any],
        *,
        created_seq: int,
        seq: int,
        deleted_seq: int | None,
        bounds: tuple[float | None, float | None],
    ) -> str:
        """Insert or replace one event; returns its JSON text."""
        text = dumps(body)
        self.conn.execute(
            "INSERT OR REPLACE INTO events(calendar, id, ical_uid, status, created_seq, seq, deleted_seq, "
            "start_ts, end_ts, recurring, updated, body) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                calendar_id,
                body["id"],
                body.get("iCalUID"),
                body.get("status", "confirmed"),
                created_seq,
                seq,
                deleted_seq,
                bounds[0],
                bounds[1],
                1 if body.get("recurrence") else 0,
                body.get("updated", ""),
                text,
            ),
        )
        return text

    def rows(self, sql_where: str, params: tuple[Any, ...], limit: int | None = None) -> list[EventRow]:
        """Events matching a WHERE clause (written by the listing code), ordered by id."""
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE {sql_where} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [EventRow.from_sql(r) for r in self.conn.execute(sql, params)]

    def purge_tombstones(self, updated_before: str) -> int:
        """Forget deleted events last written before ``updated_before`` (RFC 3339), as Google does.

        A sync token older than a forgotten deletion could no longer report it, so such tokens are
        answered 410 from now on; newer ones stay valid.  Cancelled occurrences of a series are kept:
        without them the series would show those occurrences again.
        """
        where = "status='cancelled' AND updated<? AND id NOT LIKE '%\\_%' ESCAPE '\\'"
        with self.transaction():
            newest, count = self.conn.execute(f"SELECT MAX(seq), COUNT(*) FROM events WHERE {where}",
                                              (updated_before,)).fetchone()
            self.conn.execute(f"DELETE FROM events WHERE {where}", (updated_before,))
            if count:
                self.token_floor = max(self.token_floor, int(newest))
            self.purged_before = max(self.purged_before, updated_before)
            self._save_meta(purged_before=self.purged_before)
        return int(count)
