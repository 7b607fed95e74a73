"""What ``syncengine status`` reports: per user, the last run and what comes next.

Gathered from three places, each optional: the state file's run history and pending conflicts (the truth
about what was synced), the processor's status file (the schedule, backoffs, pauses) and the token files
(how old each user's sign-in is).  Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from syncengine.config.model import StudioConfig, UserConfig
from syncengine.errors import StateError
from syncengine.processor.backoff import token_folder
from syncengine.processor.lock import is_held, lock_path, read_holder
from syncengine.processor.status_file import read_status, status_path
from syncengine.state import StateStore


@dataclass(frozen=True)
class UserStatus:
    user: str
    enabled: bool
    calendar: str
    last_run: datetime | None = None
    outcome: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    pending_conflicts: int = 0
    token_age: timedelta | None = None
    next_run: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "user": self.user, "enabled": self.enabled, "calendar": self.calendar,
            "last_run": _iso(self.last_run), "outcome": self.outcome, "counts": dict(self.counts),
            "error": self.error, "pending_conflicts": self.pending_conflicts,
            "token_age_hours": None if self.token_age is None
            else round(self.token_age.total_seconds() / 3600, 1),
            "next_run": self.next_run,
        }


@dataclass(frozen=True)
class StatusReport:
    processor_running: bool
    processor_pid: int | None
    users: tuple[UserStatus, ...]
    updated: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"schema": "syncengine.status/1", "processor": {"running": self.processor_running,
                                                                "pid": self.processor_pid,
                                                                "updated": self.updated},
                "users": [u.as_dict() for u in self.users]}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _token_age(config: StudioConfig, user: UserConfig, now: datetime) -> timedelta | None:
    creds = config.credentials_for(user)
    if creds.type != "oauth":
        return None
    try:
        stamp = (token_folder(config, creds) / f"{user.id}.json").stat().st_mtime
    except OSError:
        return None
    return now - datetime.fromtimestamp(stamp, UTC)


def _state_rows(config: StudioConfig) -> tuple[dict[str, Any], dict[str, int]]:
    """(user -> last RunRow, user -> pending conflicts) from the state file; empty when unavailable."""
    try:
        with StateStore.open(config.studio.state, config.studio.name, read_only=True) as store:
            runs: dict[str, Any] = dict(store.last_runs())
            pending: dict[str, int] = {}
            for conflict in store.conflicts(pending_only=True):
                key = conflict.user or ""
                pending[key] = pending.get(key, 0) + 1
    except StateError:
        return {}, {}
    return runs, pending


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def gather_status(config: StudioConfig, now: datetime | None = None) -> StatusReport:
    now = now or datetime.now(UTC)
    state = config.studio.state
    running = is_held(state)
    holder = read_holder(lock_path(state)) if running else {}
    processor = read_status(status_path(state))
    runs, pending = _state_rows(config)
    seen = _section(processor, "users")
    health = _section(processor, "health")
    rows = []
    for user in config.users:
        run = runs.get(user.id)
        mine = seen.get(user.id, {})
        last_run = run.ended if run is not None else _parse(mine.get("last_run"))
        outcome = run.outcome if run is not None else mine.get("outcome")
        counts = dict(run.counts) if run is not None else dict(mine.get("counts") or {})
        error = (run.error if run is not None else mine.get("error")) or None
        rows.append(UserStatus(
            user=user.id, enabled=user.sync.enabled,
            calendar=f"{user.google.account} / {user.google.calendar}",
            last_run=last_run, outcome=outcome, counts=counts, error=error,
            pending_conflicts=pending.get(user.id, 0) + (pending.get("", 0) if len(config.users) == 1 else 0),
            token_age=_token_age(config, user, now),
            next_run=_next_run(user, running, processor, health.get(user.id, {}), now),
        ))
    pid = holder.get("pid")
    return StatusReport(running, int(pid) if isinstance(pid, int) else None, tuple(rows),
                        processor.get("updated") if running else None)


def _next_run(user: UserConfig, running: bool, processor: Mapping[str, Any], health: Mapping[str, Any],
              now: datetime) -> str:
    if not user.sync.enabled:
        return "disabled"
    if not running:
        return "processor not running (start it with `syncengine run`)"
    if health.get("paused"):
        return "paused until the sign-in or the config changes"
    next_interval = _parse(processor.get("next_interval_run"))
    retry = health.get("retry_in")
    updated = _parse(processor.get("updated"))
    if isinstance(retry, int | float) and updated is not None:
        return f"retry at {_iso(updated + timedelta(seconds=float(retry)))}"
    return _iso(next_interval) or "on the next drop"
