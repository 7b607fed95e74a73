"""The state file's SQL schema and its version.

One SQLite file (WAL mode) per studio.  Tables:

- ``schema_version``: one row, :data:`SCHEMA_VERSION`; another value is refused with a StateError.
- ``meta``: key/value pairs: the studio name (a state file of another studio is refused), scope
  fingerprints (the scope gate), the last studio record count (the shrink gate).
- ``appointments``: per uid the last merged record (canonical JSON) plus the columns the planner's idle
  check needs without parsing it (fingerprints, first/last day, status, assigned users), and the studio
  replica: what the export last showed (``shown_fp``; ``shown`` JSON only when it differs from the record)
  and, in outbox mode, what was last sent (``sent_fp``).
- ``replicas``: per (uid, user) the calendar event: id, etag, id generation, fingerprint of what it held
  (``content`` JSON only when it differs from the record).
- ``cursors``: per user the sync cursor, written in the same transaction as the state it describes.
- ``journal``: every write, recorded before it is sent and marked done in the commit after it.
- ``conflicts``: both values of every conflict, its resolution, and a person's choice (``take``).
- ``runs``: the run history, one row per user per run.
- ``populated``: which one-time backfills are done.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS appointments (
    uid TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    cal_fp TEXT NOT NULL,
    studio_fp TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    status TEXT NOT NULL,
    users TEXT NOT NULL,
    origin TEXT NOT NULL,
    source_id TEXT,
    shown_fp TEXT,
    shown TEXT,
    sent_fp TEXT
);
CREATE TABLE IF NOT EXISTS replicas (
    uid TEXT NOT NULL,
    user TEXT NOT NULL,
    event_id TEXT NOT NULL,
    etag TEXT,
    fp TEXT NOT NULL,
    content TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (uid, user)
);
CREATE INDEX IF NOT EXISTS replicas_user ON replicas (user);
CREATE TABLE IF NOT EXISTS cursors (user TEXT PRIMARY KEY, cursor TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    user TEXT,
    op TEXT NOT NULL,
    target TEXT NOT NULL,
    uid TEXT NOT NULL,
    event_id TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL,
    field TEXT NOT NULL,
    base TEXT,
    studio TEXT,
    google TEXT,
    user TEXT,
    policy TEXT NOT NULL,
    resolution TEXT NOT NULL,
    time TEXT NOT NULL,
    run_id TEXT,
    take TEXT
);
CREATE INDEX IF NOT EXISTS conflicts_uid ON conflicts (uid);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT NOT NULL,
    user TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT NOT NULL,
    outcome TEXT NOT NULL,
    counts TEXT NOT NULL,
    trigger TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (run_id, user)
);
CREATE TABLE IF NOT EXISTS populated (
    user TEXT NOT NULL, direction TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY (user, direction)
);
"""
