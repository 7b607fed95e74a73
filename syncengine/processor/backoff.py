"""Per-user resilience: back off on transient failures, pause on failures only a person can fix.

After each run the processor tells :class:`UserHealth` how every user fared:

- ``ok`` / ``conflicts`` / ``gated`` / ``skipped``: the user is healthy again (a gate or a conflict is a
  decision for a person, reported by the run itself; retrying sooner would not change it);
- ``failed`` with a transient cause (network, 5xx, quota, a lock held by a manual run...): the user is left
  out of runs until ``retry_at``, which doubles with each consecutive failure up to ``cap``; then a retry
  run is made for that user alone;
- ``failed`` because a person must act (sign-in expired or revoked, calendar gone, no permission): the
  user is *paused* and one notification is sent.  The pause lasts until the user's *fingerprint* changes,
  which covers the parts of the config about that user and the token files on disk; so fixing the cause
  (``syncengine auth login USER`` or editing studio.yaml) resumes syncing, and until then no interval
  sends the same mail again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from syncengine.config.model import Credentials, StudioConfig
from syncengine.errors import AuthError, CalendarNotFound, PermissionDenied

#: error types (by class name, so errors that crossed a process boundary as names still count) that
#: retrying cannot fix.
NEEDS_PERSON: frozenset[str] = frozenset({AuthError.__name__, CalendarNotFound.__name__,
                                          PermissionDenied.__name__})
HEALTHY_OUTCOMES: frozenset[str] = frozenset({"ok", "conflicts", "gated", "skipped"})


def error_kind(error: object) -> str:
    """The error's type name: an exception's class, else the text before a colon ("AuthError: ...")."""
    if isinstance(error, BaseException):
        for klass in type(error).__mro__:
            if klass.__name__ in NEEDS_PERSON:
                return klass.__name__
        return type(error).__name__
    text = str(error or "")
    head = text.split(":", 1)[0].strip()
    return head if head.isidentifier() else ""


def needs_person(error: object) -> bool:
    return error_kind(error) in NEEDS_PERSON


@dataclass
class UserState:
    failures: int = 0
    retry_at: float | None = None
    paused: bool = False
    paused_fingerprint: str | None = None
    last_error: str = ""


@dataclass
class Verdict:
    """What a run's outcome for one user means for the processor."""

    user: str
    action: str  # "healthy" | "backoff" | "pause"
    retry_in: float | None = None
    notify: bool = False


@dataclass
class UserHealth:
    """Backoff and pause bookkeeping for every user; times are readings of the processor's clock."""

    base: float = 30.0
    cap: float = 1800.0
    users: dict[str, UserState] = field(default_factory=dict)

    def state(self, user: str) -> UserState:
        return self.users.setdefault(user, UserState())

    def record(self, user: str, outcome: str, error: object, now: float, fingerprint: str) -> Verdict:
        state = self.state(user)
        if outcome in HEALTHY_OUTCOMES:
            self.users[user] = UserState()
            return Verdict(user, "healthy")
        state.last_error = str(error or outcome)
        if needs_person(error):
            # Already paused for this very cause (a run that still included the user): no second mail.
            again = state.paused and state.paused_fingerprint == fingerprint
            state.paused = True
            state.paused_fingerprint = fingerprint
            state.retry_at = None
            return Verdict(user, "pause", notify=not again)
        state.failures += 1
        delay = min(self.cap, self.base * 2 ** (state.failures - 1))
        state.retry_at = now + delay
        return Verdict(user, "backoff", retry_in=delay)

    def resume_changed(self, fingerprints: dict[str, str]) -> list[str]:
        """Unpause users whose fingerprint changed; returns them."""
        resumed = []
        for user, state in self.users.items():
            if state.paused and fingerprints.get(user) != state.paused_fingerprint:
                self.users[user] = UserState()
                resumed.append(user)
        return sorted(resumed)

    def blocked(self, now: float) -> set[str]:
        """Users who must not be in a run now (paused, or backing off)."""
        return {u for u, s in self.users.items() if s.paused or (s.retry_at is not None and s.retry_at > now)}

    def retries_due(self, now: float) -> set[str]:
        return {u for u, s in self.users.items()
                if not s.paused and s.retry_at is not None and s.retry_at <= now}

    def next_retry(self) -> float | None:
        return min((s.retry_at for s in self.users.values() if s.retry_at is not None and not s.paused),
                   default=None)

    def snapshot(self, now: float) -> dict[str, dict[str, Any]]:
        """A JSON-able view for the status file (retry times as seconds from now)."""
        out: dict[str, dict[str, Any]] = {}
        for user, s in sorted(self.users.items()):
            out[user] = {
                "paused": s.paused,
                "failures": s.failures,
                "retry_in": None if s.retry_at is None else max(0.0, s.retry_at - now),
                "last_error": s.last_error,
                "fingerprint": s.paused_fingerprint,
            }
        return out

    def restore(self, saved: dict[str, dict[str, Any]]) -> None:
        """Take back pauses from an earlier processor (not backoffs: a restart retries at once)."""
        for user, entry in saved.items():
            if entry.get("paused") and entry.get("fingerprint"):
                self.users[user] = UserState(paused=True, paused_fingerprint=str(entry["fingerprint"]),
                                             last_error=str(entry.get("last_error", "")))


def token_folder(config: StudioConfig, creds: Credentials) -> Path:
    """Where sign-in tokens live: ``token_dir``, else ``tokens/`` beside the state file."""
    return creds.token_dir or config.studio.state.parent / "tokens"


def user_fingerprint(config: StudioConfig, user_id: str) -> str:
    """A digest of everything a person changes to fix a paused user: their config and credentials on disk.

    Token files are recognised by the user id in their name inside ``token_dir``; a static token or the
    value of ``token_env`` enters only as part of the digest, never in clear.
    """
    try:
        user = config.user(user_id)
    except KeyError:
        return "gone"
    creds = config.credentials_for(user)
    parts: list[str] = [repr(user), repr(replace(creds, token=None)), config.google.endpoint]
    secret = creds.token or (os.environ.get(creds.token_env, "") if creds.token_env else "")
    parts.append(hashlib.sha256(secret.encode("utf-8")).hexdigest())
    files: list[Path] = []
    tokens = token_folder(config, creds)
    if tokens.is_dir():
        files.extend(p for p in sorted(tokens.iterdir()) if user.id in p.name)
    for extra in (creds.key_file, creds.client_secrets):
        if extra is not None:
            files.append(extra)
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            parts.append(f"{path}:missing")
            continue
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]
