"""The plan for people (text) and for programs (the ``syncengine.plan/1`` JSON document)."""

from __future__ import annotations

import json
from typing import Any

from syncengine.reconcile.plan import Action, Plan, Unit, local_value

_MARK = {"create": "+", "update": "~", "delete": "-"}


def plan_json(plan: Plan) -> str:
    """The ``--json`` document: stable key order, two-space indent, UTF-8 text."""
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False, sort_keys=False)


def plan_text(plan: Plan) -> str:
    """The readable plan: per user creates, updates (before → after per field), deletes, conflicts, gates."""
    lines: list[str] = []
    refused = [u.user for u in plan.units if u.refused]
    if plan.dry_run:
        heading = "plan (dry run): nothing is written"
    elif refused and len(refused) == len(plan.units):
        heading = "plan (refused: nothing written)"
    elif refused:
        heading = f"plan (applied; refused for {', '.join(refused)}: nothing written for them)"
    else:
        heading = "plan (applied)"
    lines.append(heading)
    for unit in plan.units:
        lines.extend(_unit(unit, applied=not plan.dry_run))
    s = plan.summary()
    google = f"{s['create:google']}/{s['update:google']}/{s['delete:google']}"
    studio = f"{s['create:studio']}/{s['update:studio']}/{s['delete:studio']}"
    text = f"summary: google {google} (create/update/delete), studio {studio}, {s['conflicts']} conflict(s)"
    if s["pending"]:
        text += f", {s['pending']} waiting for review"
    if s["refused"]:
        text += f", refused for {', '.join(s['refused'])}"
    lines.append(text)
    return "\n".join(lines) + "\n"


def _unit(unit: Unit, *, applied: bool) -> list[str]:
    counts = unit.counts()
    out = [
        f"{unit.user} ({unit.calendar}): "
        f"{counts['create:google']} to create, {counts['update:google']} to update, "
        f"{counts['delete:google']} to delete on Google; "
        f"{counts['create:studio'] + counts['update:studio'] + counts['delete:studio']} for the studio"
        + (" (refused: nothing written)" if applied and unit.refused else "")
    ]
    if not unit.actions and not unit.conflicts and not unit.gates:
        out.append("  nothing to do")
    for op in ("create", "update", "delete"):
        for action in unit.actions:
            if action.op == op:
                out.extend(_action(action))
    for c in unit.conflicts:
        out.append(
            f"  ! conflict {c.uid} {c.field}: base {_v(c.base)}, studio {_v(c.studio)}, "
            f"google {_v(c.google)} -> {c.resolution}"
        )
    for g in unit.gates:
        state = "REFUSED" if g.refused else "overridden"
        out.append(f"  x gate {g.gate} {state}: {g.detail} (override: {g.override})")
    for note in unit.notes:
        out.append(f"  . {note}")
    return out


def _action(action: Action) -> list[str]:
    head = f"  {_MARK[action.op]} {action.op:<6} {action.target:<6} {action.uid}"
    if action.event_id:
        head += f" [{action.event_id}]"
    head += f"  ({action.reason})"
    lines = [head]
    zone = action.after.timezone if action.after is not None else "UTC"
    if action.op == "update":
        for name, before, after in action.changes:
            lines.append(
                f"      {name}: {_v(local_value(name, before, zone))} → {_v(local_value(name, after, zone))}"
            )
    elif action.op == "create" and action.after is not None:
        a = action.after
        when = f"{local_value('start', a.canonical(['start'])['start'], zone)} – "
        when += f"{local_value('end', a.canonical(['end'])['end'], zone)}"
        lines.append(f"      {a.title!r} {when}" + (f" @ {a.location}" if a.location else ""))
    return lines


def _v(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
