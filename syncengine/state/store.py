"""The state file: open (checked), lock, read a :class:`StateView`, journal and commit.

Every commit is one SQLite transaction, so a crash leaves the state of the last commit: the journal says
which writes were sent after it, and the next run's plan (which reads every side again and links events
by their deterministic ids) completes them without duplicating anything.  A dry run opens the file
read-only (or not at all when it does not exist yet) and writes nothing, not even the lock file.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncengine.errors import LockHeldError, StateError
from syncengine.state import conflicts
from syncengine.state.changes import JournalEntry, StateChanges
from syncengine.state.schema import SCHEMA, SCHEMA_VERSION
from syncengine.state.view import ConflictRow, RecordRow, ReplicaRow, RunRow, StateView


class StateStore:
    """One open state file.  Use :meth:`open`; close it (or use it as a context manager)."""

    def __init__(self, path: Path, studio: str, conn: sqlite3.Connection | None, read_only: bool) -> None:
        self.path = path
        self.studio = studio
        self.read_only = read_only
        self._conn = conn
        self._lock_fd: int | None = None

    # --- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, studio: str, *, read_only: bool = False) -> StateStore:
        """Open (creating it unless ``read_only``) and check the version and studio name."""
        if read_only:
            if not path.exists():
                return cls(path, studio, None, True)
            # With no write-ahead log beside it (the last writer closed cleanly), open it immutable:
            # a plain read-only open of a WAL database still creates its -shm and -wal files.
            wal = path.with_name(path.name + "-wal")
            live = wal.exists() and wal.stat().st_size > 0
            mode = "mode=ro" if live else "mode=ro&immutable=1"
            try:
                conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
            except sqlite3.Error as exc:
                raise StateError(path, f"cannot be opened: {exc}") from exc
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except (OSError, sqlite3.Error) as exc:
                raise StateError(path, f"cannot be opened: {exc}") from exc
        store = cls(path, studio, conn, read_only)
        try:
            store._check_or_create()
        except BaseException:
            conn.close()
            raise
        return store

    def _check_or_create(self) -> None:
        conn = self._db()
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise StateError(self.path, f"is not a syncengine state file ({exc})") from exc
        if "schema_version" not in tables:
            if tables:
                raise StateError(self.path, "is not a syncengine state file")
            if self.read_only:
                return
            conn.executescript(SCHEMA)
            with self._transaction() as cur:
                cur.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
                cur.execute("INSERT INTO meta VALUES ('studio', ?)", (self.studio,))
            return
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            found = row[0] if row else "none"
            raise StateError(
                self.path,
                f"has schema version {found}; this syncengine reads version {SCHEMA_VERSION}",
                hint="use the syncengine version that wrote it, or move it aside and run "
                "`syncengine reconcile --resync --dry-run`",
            )
        studio = conn.execute("SELECT value FROM meta WHERE key='studio'").fetchone()
        if studio is not None and studio[0] != self.studio:
            raise StateError(
                self.path,
                f"belongs to studio {studio[0]!r}, not {self.studio!r}",
                hint="point studio.state at this studio's own state file",
            )

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StateError(self.path, "is not open")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        if self.read_only:
            raise StateError(self.path, "is open read-only (dry run)")
        conn = self._db()
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    # --- the lock ------------------------------------------------------------------------------------

    def acquire_lock(self) -> None:
        """Take the lock file beside the state file; :class:`LockHeldError` when another run holds it."""
        if self.read_only or self._lock_fd is not None:
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise LockHeldError(self.path, f"pid {holder}" if holder else "") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        self._lock_fd = fd

    def release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def close(self) -> None:
        self.release_lock()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------------------

    def view(self) -> StateView:
        """A snapshot of everything the planner needs (bulk reads, no per-row queries)."""
        if self._conn is None:
            return StateView(studio=self.studio)
        conn = self._conn
        records = {
            row[0]: RecordRow(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                row[6],
                tuple(row[7].split("\x1f")) if row[7] else (),
                row[8],
                row[9],
                row[10],
                row[11],
                row[12],
            )
            for row in conn.execute(
                "SELECT uid, record, cal_fp, studio_fp, first_day, last_day, status, users, origin, "
                "source_id, shown_fp, shown, sent_fp FROM appointments"
            )
        }
        replicas: dict[str, dict[str, ReplicaRow]] = {}
        for row in conn.execute("SELECT uid, user, event_id, etag, fp, content, generation FROM replicas"):
            replicas.setdefault(row[1], {})[row[0]] = ReplicaRow(*row)
        cursors = dict(conn.execute("SELECT user, cursor FROM cursors").fetchall())
        populated = frozenset(conn.execute("SELECT user, direction FROM populated").fetchall())
        takes, pending, overrides = conflicts.choices(conn)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return StateView(
            studio=self.studio,
            records=records,
            replicas=replicas,
            cursors=cursors,
            populated=populated,
            takes=takes,
            pending=pending,
            overrides=overrides,
            meta=meta,
        )

    def conflicts(self, *, pending_only: bool = False, uid: str | None = None) -> list[ConflictRow]:
        """Conflict records, newest first."""
        if self._conn is None:
            return []
        return conflicts.rows(self._conn, pending_only=pending_only, uid=uid)

    def last_runs(self) -> dict[str, RunRow]:
        """The latest run of each user (for `syncengine status`)."""
        if self._conn is None:
            return {}
        out: dict[str, RunRow] = {}
        for r in self._conn.execute(
            "SELECT run_id, user, started, ended, outcome, counts, trigger, error FROM runs ORDER BY ended"
        ):
            out[r[1]] = RunRow(
                r[0],
                r[1],
                datetime.fromisoformat(r[2]),
                datetime.fromisoformat(r[3]),
                r[4],
                json.loads(r[5]),
                r[6],
                r[7],
            )
        return out

    def pending_journal(self) -> list[tuple[int, JournalEntry]]:
        """Writes sent (or about to be) whose commit never happened: a crash interrupted that run."""
        if self._conn is None:
            return []
        rows = self._conn.execute(
            "SELECT id, user, op, target, uid, event_id FROM journal WHERE status='pending' ORDER BY id"
        ).fetchall()
        return [(r[0], JournalEntry(r[1], r[2], r[3], r[4], r[5])) for r in rows]

    # --- writing -------------------------------------------------------------------------------------

    def journal(self, run_id: str, entries: Sequence[JournalEntry], now: datetime) -> list[int]:
        """Record writes about to be sent (committed before they are sent); returns their ids."""
        ids: list[int] = []
        stamp = now.astimezone(UTC).isoformat()
        with self._transaction() as cur:
            for e in entries:
                cur.execute(
                    "INSERT INTO journal (run_id, user, op, target, uid, event_id, time) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (run_id, e.user, e.op, e.target, e.uid, e.event_id, stamp),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def commit(self, changes: StateChanges, *, run_id: str, now: datetime) -> None:
        """Write ``changes`` in one transaction."""
        if not changes:
            return
        stamp = now.astimezone(UTC).isoformat()
        with self._transaction() as cur:
            if changes.drop_records:
                cur.executemany("DELETE FROM appointments WHERE uid=?", [(u,) for u in changes.drop_records])
            cur.executemany(
                "INSERT OR REPLACE INTO appointments (uid, record, cal_fp, studio_fp, first_day, last_day, "
                "status, users, origin, source_id, shown_fp, shown, sent_fp) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.uid,
                        r.record,
                        r.cal_fp,
                        r.studio_fp,
                        r.first_day,
                        r.last_day,
                        r.status,
                        "\x1f".join(r.users),
                        r.origin,
                        r.source_id,
                        r.shown_fp,
                        r.shown,
                        r.sent_fp,
                    )
                    for r in changes.records
                ],
            )
            cur.executemany("DELETE FROM replicas WHERE uid=? AND user=?", changes.drop_replicas)
            cur.executemany(
                "INSERT OR REPLACE INTO replicas (uid, user, event_id, etag, fp, content, generation) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.uid, r.user, r.event_id, r.etag, r.fp, r.content, r.generation)
                    for r in changes.replicas
                ],
            )
            for user, cursor in changes.cursors.items():
                if cursor is None:
                    cur.execute("DELETE FROM cursors WHERE user=?", (user,))
                else:
                    cur.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?)", (user, cursor))
            if changes.settled:
                cur.executemany(
                    "UPDATE conflicts SET resolution=COALESCE(take, 'superseded') "
                    "WHERE uid=? AND resolution='pending'",
                    [(u,) for u in changes.settled],
                )
            cur.executemany(
                "INSERT INTO conflicts (uid, field, base, studio, google, user, policy, resolution, time, "
                "run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.uid,
                        c.field,
                        _dump(c.base),
                        _dump(c.studio),
                        _dump(c.google),
                        c.user,
                        c.policy,
                        c.resolution,
                        stamp,
                        run_id,
                    )
                    for c in changes.conflicts
                ],
            )
            cur.executemany(
                "UPDATE journal SET status='done' WHERE id=?", [(i,) for i in changes.journal_done]
            )
            cur.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(changes.meta.items()))
            cur.executemany(
                "INSERT OR REPLACE INTO populated VALUES (?, ?, ?)",
                [(user, direction, stamp) for user, direction in changes.populated],
            )

    def forget(self, uids: Iterable[str]) -> None:
        """Drop appointments that no calendar holds any more (a cancelled one, gone from the studio)."""
        with self._transaction() as cur:
            cur.executemany(
                "DELETE FROM appointments WHERE uid=? AND NOT EXISTS (SELECT 1 FROM replicas WHERE uid=?)",
                [(u, u) for u in uids],
            )

    def settle_journal(self, ids: Iterable[int]) -> None:
        """Mark journal entries of an interrupted run as dealt with (the new plan covers them)."""
        with self._transaction() as cur:
            cur.executemany("UPDATE journal SET status='superseded' WHERE id=?", [(i,) for i in ids])

    def record_runs(self, rows: Iterable[RunRow]) -> None:
        with self._transaction() as cur:
            cur.executemany(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.run_id,
                        r.user,
                        r.started.isoformat(),
                        r.ended.isoformat(),
                        r.outcome,
                        json.dumps(dict(r.counts), sort_keys=True),
                        r.trigger,
                        r.error,
                    )
                    for r in rows
                ],
            )

    def resolve(self, uid: str, take: str, field: str | None = None) -> int:
        """Record a person's choice for ``uid``'s conflicts (see :func:`conflicts.resolve`)."""
        with self._transaction() as cur:
            return conflicts.resolve(cur, uid, take, field)

    def set_meta(self, values: Mapping[str, str]) -> None:
        with self._transaction() as cur:
            cur.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
