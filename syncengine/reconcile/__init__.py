"""The reconciler: gather → plan (pure) → gates → apply.

- ``planner.plan(studio, calendars, state, config, now) -> Plan``: every decision, no I/O
  (with ``sides``, ``cases``, ``merge`` and ``keep``);
- ``gates.check``: the safety gates over a plan;
- ``apply.Applier``: the only place that writes (journal first, then write, then commit);
- ``runner.sync``: one run for the CLI and the processor;
- ``render``: the plan as text and as the ``syncengine.plan/1`` JSON document.
"""

from __future__ import annotations

from syncengine.reconcile.plan import Action, Conflict, GateResult, Plan, Unit
from syncengine.reconcile.planner import CalendarSide, StudioSide, plan
from syncengine.reconcile.runner import RunReport, SyncOptions, UserOutcome, sync

__all__ = [
    "Action",
    "CalendarSide",
    "Conflict",
    "GateResult",
    "Plan",
    "RunReport",
    "StudioSide",
    "SyncOptions",
    "Unit",
    "UserOutcome",
    "plan",
    "sync",
]
