"""Safety gates: pure checks over a plan and a few counts, between plan and apply.

Each gate that trips gives a :class:`GateResult` on the unit it concerns, naming the override: ``--force``
for the first three, ``--resync`` for the scope gate.  A refused unit writes nothing (the runner plans
again without it, so the other users still sync).

- ``mass-delete``: a user would lose more than ``max_delete_percent`` of their synced appointments *and*
  more than ``max_delete_min`` of them (rclone's max-delete: small studios churn, large drops are bugs).
- ``source-shrunk``: the export is suddenly empty, or shrank by more than ``max_shrink_percent`` since the
  last run (vdirsyncer's StorageEmpty: an empty export is more often a failed export than a closed studio).
- ``time-shift``: most updates in the whole studio (every unit's, each appointment counted once) move
  appointments by the one same non-zero offset (a zone mistake in an export, or a calendar whose zone
  changed: the old processor's best-known failure).  Studio-wide: it refuses every user.
- ``scope`` / ``studio-scope``: a user's window, calendar or enablement, or the studio zone or sources
  changed since the last run,
  so "not in the export" or "not on the calendar" no longer means what the state remembers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from syncengine.config.model import StudioConfig, UserConfig
from syncengine.model import digest
from syncengine.reconcile.plan import GateResult, Plan, Unit
from syncengine.state.view import StateView

#: fewer shifted updates than this never look like a zone mistake
MIN_SHIFTED = 5


@dataclass(frozen=True)
class GateInput:
    """The counts the gates need besides the plan."""

    studio_count: int
    studio_complete: bool
    force: bool = False
    resync: bool = False


def scope_fingerprints(config: StudioConfig) -> dict[str, str]:
    """``scope:`` (studio-wide) and ``scope:<user>`` fingerprints of what decides the sync's scope."""
    out = {
        "scope:": digest(
            {
                "timezone": config.studio.timezone,
                "sources": sorted([s.id, s.format, _scope_path(s.path, config)] for s in config.sources),
            }
        )
    }
    for user in config.users:
        out[f"scope:{user.id}"] = _user_scope(user)
    return out


def _scope_path(path: Path, config: StudioConfig) -> str:
    """A source's path as the scope sees it: relative to the config file's folder when inside it, so a
    studio folder copied or moved as a whole keeps its scope."""
    try:
        return path.relative_to(config.base_dir).as_posix()
    except ValueError:
        return str(path)


def _user_scope(user: UserConfig) -> str:
    window = user.sync.window
    return digest(
        {
            "enabled": user.sync.enabled,
            "window": [window.past_days, window.future_days],
            "calendar": [user.google.account, user.google.calendar],
        }
    )


def check(plan: Plan, state: StateView, config: StudioConfig, gates: GateInput) -> Plan:
    """The plan with every unit's gate results filled in, and the meta the state stores when applied."""
    safety = config.safety
    scopes = scope_fingerprints(config)
    studio_wide: list[tuple[str, str, str]] = []
    last = state.last_studio_count
    if last and gates.studio_complete:
        if gates.studio_count == 0:
            studio_wide.append(("source-shrunk", f"the export is empty; the last run saw {last}", "--force"))
        else:
            shrink = 100 * (last - gates.studio_count) / last
            if shrink > safety.max_shrink_percent and last - gates.studio_count > safety.max_delete_min:
                studio_wide.append(
                    (
                        "source-shrunk",
                        f"the export shrank from {last} to {gates.studio_count} appointments "
                        f"({shrink:.0f}% > {safety.max_shrink_percent}%)",
                        "--force",
                    )
                )
    shift = _common_shift(plan.units)
    if shift is not None:
        offset, moved, updates = shift
        if 100 * moved / updates >= safety.max_shift_percent:
            detail = f"{moved} of {updates} updated appointments move by the same {offset}"
            studio_wide.append(("time-shift", detail, "--force"))
    stored = state.meta.get("scope:")
    if stored is not None and stored != scopes["scope:"]:
        studio_wide.append(
            ("studio-scope", "the studio's time zone or sources changed since the last run", "--resync")
        )
    units: list[Unit] = []
    for unit in plan.units:
        results = [_result(g, unit.user, d, o, gates) for g, d, o in studio_wide]
        held = len(state.replicas.get(unit.user, {}))
        deletes = sum(1 for a in unit.actions if a.op == "delete")
        if deletes > safety.max_delete_min and held and 100 * deletes / held > safety.max_delete_percent:
            detail = (
                f"{deletes} of {held} synced appointments would be deleted "
                f"(over {safety.max_delete_percent}% and over {safety.max_delete_min})"
            )
            results.append(_result("mass-delete", unit.user, detail, "--force", gates))
        user_scope = state.meta.get(f"scope:{unit.user}")
        if user_scope is not None and user_scope != scopes[f"scope:{unit.user}"]:
            detail = "this user's window, calendar or enablement changed since the last run"
            results.append(_result("scope", unit.user, detail, "--resync", gates))
        units.append(replace(unit, gates=tuple(results)))
    meta = dict(scopes)
    meta["studio_count"] = str(gates.studio_count)
    return replace(plan, units=tuple(units), meta=meta)


def _result(gate: str, user: str, detail: str, override: str, gates: GateInput) -> GateResult:
    overridden = gates.resync if override == "--resync" else gates.force
    return GateResult(gate, user, detail, override, refused=not overridden, overridden=overridden)


def _common_shift(units: Sequence[Unit]) -> tuple[str, int, int] | None:
    """(offset, how many updated appointments share it, how many there are), the offset non-zero.

    Over every unit's updates together, each appointment (uid) counted once: an appointment on three
    calendars is one shifted appointment, and a shift spread thinly over many users still shows.
    """
    deltas: dict[str, float] = {}
    for unit in units:
        for action in unit.actions:
            if action.op != "update":
                continue
            changes: Mapping[str, tuple[object, object]] = {n: (b, a) for n, b, a in action.changes}
            before, after = changes.get("start", (None, None))
            seconds = 0.0
            if isinstance(before, str) and isinstance(after, str) and "T" in before and "T" in after:
                seconds = (datetime.fromisoformat(after) - datetime.fromisoformat(before)).total_seconds()
            if seconds or action.uid not in deltas:
                deltas[action.uid] = seconds
    updates = len(deltas)
    offsets = Counter(s for s in deltas.values() if s)
    if not offsets:
        return None
    seconds, moved = offsets.most_common(1)[0]
    if moved < MIN_SHIFTED:
        return None
    return f"{seconds / 3600:+g} h", moved, updates


def refused_users(plan: Plan) -> set[str]:
    return {u.user for u in plan.units if u.refused}
