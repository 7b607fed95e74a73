"""Three-way merge of one appointment's changes, per field, against its last merged record.

Every side offers a :class:`Proposal`: the fields it changed against *its own* base, with that base.
Calendar proposals only carry SYNCED_FIELDS (the studio owns type, client, session and the assignment).

Rules, in order:

1. Calendars that changed one field differently: the newest edit (``updated``) wins, then config order;
   the others are kept as conflicts.
2. A side whose base for a field is not the record's value ("lagging": a write to it failed, or the
   outbox was not imported yet) and that changed the field conflicts with the record's value.
3. Conflicts (both sides changed a field differently) follow the policy: ``merge`` decides per field by
   ``prefer``; ``studio-wins``/``google-wins``/``newest-wins`` decide per appointment (when both sides
   changed it, the winner's version wins whole and every losing change is kept as a conflict);
   ``manual`` changes nothing and leaves the conflicts pending.  A person's choice (``take``) wins over
   the policy for that appointment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncengine.config.model import ConflictsConfig
from syncengine.reconcile.plan import Conflict, Resolution


@dataclass(frozen=True)
class Proposal:
    side: str  # "studio" | "google"
    user: str | None
    changes: Mapping[str, Any]
    base: Mapping[str, Any]
    updated: datetime | None = None


@dataclass
class MergeResult:
    values: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)
    pending: bool = False
    #: users whose calendar changes were taken (the studio write is credited to the first)
    google_winners: list[str] = field(default_factory=list)
    studio_took: bool = False


def merge(
    uid: str,
    record: Mapping[str, Any],
    studio: Proposal | None,
    calendars: Sequence[Proposal],
    policy: ConflictsConfig,
    *,
    studio_time: datetime | None,
    take: str | None = None,
    known_pending: frozenset[str] = frozenset(),
) -> MergeResult:
    """Merge the proposals into ``record`` (canonical field values); see the module docstring."""
    result = MergeResult(values=dict(record))
    name = policy.policy

    def conflict(f: str, base: Any, s: Any, g: Any, user: str | None, resolution: Resolution) -> None:
        result.conflicts.append(
            Conflict(
                uid,
                f,
                base,
                s,
                g,
                user,
                name,
                resolution,
                new=f not in known_pending,  # a waiting conflict is recorded once
            )
        )

    # 1. one value per field from the calendars
    google: dict[str, tuple[Any, Proposal]] = {}
    ranked = sorted(enumerate(calendars), key=lambda p: (_stamp(p[1].updated), -p[0]), reverse=True)
    for _, prop in ranked:
        for f, value in prop.changes.items():
            if value == record.get(f):
                continue
            if f not in google:
                google[f] = (value, prop)
            elif google[f][0] != value:
                conflict(f, record.get(f), record.get(f), value, prop.user, "google")
    studio_changes = {f: v for f, v in (studio.changes.items() if studio else ()) if v != record.get(f)}

    # 2. lagging sides conflict with the record's value
    both: dict[str, tuple[Any, Any, Any, str | None]] = {}  # field -> (base, studio, google, user)
    for f, (value, prop) in google.items():
        if f in studio_changes:
            if studio_changes[f] != value:
                both[f] = (record.get(f), studio_changes[f], value, prop.user)
        elif prop.base.get(f, record.get(f)) != record.get(f):
            both[f] = (prop.base.get(f), record.get(f), value, prop.user)
    if studio is not None:
        for f, value in studio_changes.items():
            if f not in google and studio.base.get(f, record.get(f)) != record.get(f):
                both[f] = (studio.base.get(f), value, record.get(f), None)

    if (name == "manual" and take is None) and both:
        result.pending = True
        for f, (base, s, g, user) in both.items():
            conflict(f, base, s, g, user, "pending")
        return result

    # 3. decide
    def winner_for(f: str) -> str:
        if take is not None:
            return take
        if name == "merge" or name == "manual":
            return policy.prefer
        if name == "studio-wins":
            return "studio"
        if name == "google-wins":
            return "google"
        g_time = max((_stamp(p.updated) for _, p in google.values()), default=0.0)
        s_time = _stamp(studio_time)
        if g_time == s_time:
            return policy.prefer
        return "google" if g_time > s_time else "studio"

    whole = name in ("studio-wins", "google-wins", "newest-wins") or take is not None
    if whole and studio_changes and google:
        side = winner_for("")
        for f in sorted(set(studio_changes) | set(google)):
            s = studio_changes.get(f, record.get(f))
            g = google[f][0] if f in google else record.get(f)
            if s != g:
                base, _, _, user = both.get(
                    f, (record.get(f), s, g, google[f][1].user if f in google else None)
                )
                conflict(f, base, s, g, user, side)  # type: ignore[arg-type]
        if side == "studio":
            result.values.update(studio_changes)
            result.studio_took = True
        else:
            _take_google(result, google)
        return result

    for f, value in studio_changes.items():
        if f in both:
            continue
        result.values[f] = value
        result.studio_took = True
    for f, (value, prop) in google.items():
        if f in both:
            continue
        result.values[f] = value
        if prop.user is not None and prop.user not in result.google_winners:
            result.google_winners.append(prop.user)
    for f, (base, s, g, user) in both.items():
        side = winner_for(f)
        conflict(f, base, s, g, user, side)  # type: ignore[arg-type]
        if side == "studio":
            result.values[f] = s
            result.studio_took = True
        else:
            result.values[f] = g
            if user is not None and user not in result.google_winners:
                result.google_winners.append(user)
    return result


def _take_google(result: MergeResult, google: Mapping[str, tuple[Any, Proposal]]) -> None:
    for f, (value, prop) in google.items():
        result.values[f] = value
        if prop.user is not None and prop.user not in result.google_winners:
            result.google_winners.append(prop.user)


def _stamp(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0
