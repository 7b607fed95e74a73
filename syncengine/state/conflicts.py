"""The conflicts table: listing records, the choices a person made, and (re-)resolving.

Both values of every conflict are kept, so any conflict can be resolved again.  A choice (``take``) on a
pending conflict is applied by the next reconcile's merge; choosing a side for a conflict a policy
already settled re-opens its latest record with the choice, and the next reconcile applies that side's
kept value (``StateView.overrides``) wherever its merge does not contest the field anew.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from syncengine.state.view import ConflictRow


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def choices(
    conn: sqlite3.Connection,
) -> tuple[dict[str, str], dict[str, frozenset[str]], dict[str, dict[str, Any]]]:
    """(uid -> side taken, uid -> fields pending, uid -> field -> the taken side's kept value)."""
    takes: dict[str, str] = {}
    pending: dict[str, set[str]] = {}
    overrides: dict[str, dict[str, Any]] = {}
    for uid, name, take, studio_value, google_value in conn.execute(
        "SELECT uid, field, take, studio, google FROM conflicts WHERE resolution='pending' ORDER BY id"
    ):
        pending.setdefault(uid, set()).add(name)
        if take:
            takes[uid] = take
            overrides.setdefault(uid, {})[name] = _load(studio_value if take == "studio" else google_value)
    return takes, {uid: frozenset(names) for uid, names in pending.items()}, overrides


def rows(
    conn: sqlite3.Connection, *, pending_only: bool = False, uid: str | None = None
) -> list[ConflictRow]:
    """Conflict records, newest first."""
    sql = "SELECT id, uid, field, base, studio, google, user, policy, resolution, time, take FROM conflicts"
    where: list[str] = []
    args: list[Any] = []
    if pending_only:
        where.append("resolution='pending'")
    if uid is not None:
        where.append("uid=?")
        args.append(uid)
    if where:
        sql += " WHERE " + " AND ".join(where)
    found = conn.execute(sql + " ORDER BY id DESC", args).fetchall()
    return [
        ConflictRow(
            r[0],
            r[1],
            r[2],
            _load(r[3]),
            _load(r[4]),
            _load(r[5]),
            r[6],
            r[7],
            r[8],
            datetime.fromisoformat(r[9]),
            r[10],
        )
        for r in found
    ]


def resolve(cur: sqlite3.Cursor, uid: str, take: str, field: str | None = None) -> int:
    """Record a choice for ``uid``'s conflicts (only ``field``'s, if given); returns how many.

    Pending conflicts take the side.  With none pending, the latest record of each field (from the
    latest run that recorded any) is re-opened with the choice, whether a policy or a person settled it.
    """
    only = " AND field=?" if field is not None else ""
    args: tuple[str, ...] = (uid, field) if field is not None else (uid,)
    cur.execute(f"UPDATE conflicts SET take=? WHERE uid=?{only} AND resolution='pending'", (take, *args))
    if cur.rowcount:
        return cur.rowcount
    found = cur.execute(f"SELECT id, field, run_id FROM conflicts WHERE uid=?{only} ORDER BY id DESC", args)
    latest: dict[str, int] = {}
    last_run: object = None
    for n, (row_id, name, run_id) in enumerate(found.fetchall()):
        if n == 0:
            last_run = run_id
        if run_id == last_run and name not in latest:
            latest[name] = row_id
    cur.executemany(
        "UPDATE conflicts SET take=?, resolution='pending' WHERE id=?", [(take, i) for i in latest.values()]
    )
    return len(latest)
