"""The plan: an immutable, typed, serialisable value that says exactly what a run will write.

A :class:`Plan` holds one :class:`Unit` per user calendar: the :class:`Action` list (writes to that
calendar, and writes to the studio that this calendar's changes caused), the :class:`Conflict` list and
the :class:`GateResult` list.  Beside the units it carries what the state file will become once the
writes are done (:class:`Settlement` per appointment, cursors, markers); that part is not printed.
:meth:`Plan.to_json` is the ``syncengine.plan/1`` document of the design.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from syncengine.model import SYNCED_FIELDS, Appointment
from syncengine.ports import StudioAction
from syncengine.state.view import RecordRow, ReplicaRow

Op = Literal["create", "update", "delete"]
Target = Literal["google", "studio"]
Resolution = Literal["studio", "google", "pending"]
SCHEMA = "syncengine.plan/1"


@dataclass(frozen=True)
class Action:
    """One planned write.  ``changes`` holds ``(field, before, after)`` in canonical form."""

    op: Op
    target: Target
    uid: str
    user: str
    reason: str
    event_id: str | None = None
    after: Appointment | None = None
    changes: tuple[tuple[str, Any, Any], ...] = ()
    etag: str | None = None
    generation: int = 0
    #: for a studio write: how the studio is told (created / updated / cancelled)
    studio_action: StudioAction | None = None
    source_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "op": self.op,
            "target": self.target,
            "uid": self.uid,
            "event_id": self.event_id,
            "reason": self.reason,
        }
        zone = self.after.timezone if self.after is not None else "UTC"
        if self.op == "update":
            out["changes"] = {
                name: [local_value(name, before, zone), local_value(name, after, zone)]
                for name, before, after in self.changes
            }
        elif self.after is not None:
            out["after"] = {
                name: local_value(name, value, zone)
                for name, value in self.after.canonical(SYNCED_FIELDS).items()
            }
        return out


def local_value(name: str, value: Any, zone: str) -> Any:
    """A canonical value for people: instants (UTC in the state) shown in the studio's zone, with offset."""
    if name in ("start", "end") and isinstance(value, str) and value.endswith("Z"):
        try:
            return datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).isoformat()
        except (ValueError, KeyError):
            return value
    return value


@dataclass(frozen=True)
class Conflict:
    """Both sides changed one field differently (or a whole appointment, for the appointment policies)."""

    uid: str
    field: str
    base: Any
    studio: Any
    google: Any
    user: str | None
    policy: str
    resolution: Resolution
    #: False when the state file already holds this conflict (a `manual` one still waiting)
    new: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "field": self.field,
            "base": self.base,
            "studio": self.studio,
            "google": self.google,
            "user": self.user,
            "policy": self.policy,
            "resolution": self.resolution,
        }


@dataclass(frozen=True)
class GateResult:
    """One safety gate's verdict on a unit; ``refused`` False with ``overridden`` when forced."""

    gate: str
    user: str | None
    detail: str
    override: str
    refused: bool = True
    overridden: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "detail": self.detail,
            "override": self.override,
            "refused": self.refused,
            "overridden": self.overridden,
        }


@dataclass(frozen=True)
class Unit:
    """What a run plans for one user's calendar."""

    user: str
    calendar: str
    actions: tuple[Action, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    gates: tuple[GateResult, ...] = ()
    #: notes for the log: reverted edits of a push-only user, skipped tentative events, ...
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return any(g.refused for g in self.gates)

    @property
    def pending(self) -> int:
        return sum(1 for c in self.conflicts if c.resolution == "pending")

    def counts(self) -> dict[str, int]:
        tally = Counter(f"{a.op}:{a.target}" for a in self.actions)
        out = {key: tally.get(key, 0) for key in _COUNT_KEYS}
        out["conflicts"] = len(self.conflicts)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "calendar": self.calendar,
            "actions": [a.to_json() for a in self.actions],
            "conflicts": [c.to_json() for c in self.conflicts],
            "gates": [g.to_json() for g in self.gates],
        }


_COUNT_KEYS = tuple(
    f"{op}:{target}" for target in ("google", "studio") for op in ("create", "update", "delete")
)


@dataclass(frozen=True)
class Settlement:
    """What the state holds for one appointment once this run has observed every side.

    ``record`` is the merged record with the studio replica as seen now; ``replicas`` the calendar
    replicas as seen now (their bases advance to what was read).  Writes then move each replica to the
    record as they succeed.  ``forget``: drop the appointment once no calendar holds it any more.
    """

    uid: str
    record: RecordRow | None
    replicas: tuple[ReplicaRow, ...] = ()
    drop_replicas: tuple[str, ...] = ()
    forget: bool = False
    #: a person's `conflicts resolve` choice (or the pending state) is settled by this run
    settle_conflicts: bool = False


@dataclass(frozen=True)
class Plan:
    units: tuple[Unit, ...] = ()
    settlements: Mapping[str, Settlement] = field(default_factory=dict)
    #: user -> cursor to store with the observed state (None: forget the stored cursor)
    cursors: Mapping[str, str | None] = field(default_factory=dict)
    populated: tuple[tuple[str, str], ...] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    dry_run: bool = True
    #: uid -> (studio presence, calendar presence, fate) for every appointment the planner looked at
    decisions: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)

    def unit(self, user: str) -> Unit:
        for unit in self.units:
            if unit.user == user:
                return unit
        raise KeyError(user)

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(a for u in self.units for a in u.actions)

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        return tuple(c for u in self.units for c in u.conflicts)

    @property
    def empty(self) -> bool:
        return not self.actions and not self.conflicts

    def summary(self) -> dict[str, Any]:
        totals: Counter[str] = Counter()
        for unit in self.units:
            totals.update(unit.counts())
        return {
            **{key: totals.get(key, 0) for key in _COUNT_KEYS},
            "conflicts": totals.get("conflicts", 0),
            "pending": sum(u.pending for u in self.units),
            "refused": sorted(u.user for u in self.units if u.refused),
            "users": len(self.units),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "dry_run": self.dry_run,
            "units": [u.to_json() for u in self.units],
            "summary": self.summary(),
        }

    def with_dry_run(self, dry_run: bool) -> Plan:
        return replace(self, dry_run=dry_run)
