"""syncengine: two-way sync between a studio's appointment exports and each user's Google Calendar.

The public surface is the handful of names in ``__all__``; everything else is internal and may change.
Names are imported on first use, so ``import syncengine`` (and the CLI's start-up) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncengine.config.loader import load_config
    from syncengine.config.model import StudioConfig
    from syncengine.errors import (
        AuthError,
        CalendarError,
        ConfigError,
        ConflictsPending,
        GateRefused,
        SourceError,
        StateError,
        SyncEngineError,
    )
    from syncengine.logs.base import LogBus, LogEvent, RecordSink, Sink
    from syncengine.model import Appointment, Assignment
    from syncengine.ports import CalendarBackend, CalendarSession, StudioSource
    from syncengine.reconcile.plan import Action, Conflict, GateResult, Plan, Unit
    from syncengine.reconcile.planner import plan
    from syncengine.reconcile.runner import RunReport, SyncOptions, sync

_WHERE = {
    "load_config": "syncengine.config.loader",
    "StudioConfig": "syncengine.config.model",
    "AuthError": "syncengine.errors",
    "CalendarError": "syncengine.errors",
    "ConfigError": "syncengine.errors",
    "ConflictsPending": "syncengine.errors",
    "GateRefused": "syncengine.errors",
    "SourceError": "syncengine.errors",
    "StateError": "syncengine.errors",
    "SyncEngineError": "syncengine.errors",
    "LogBus": "syncengine.logs.base",
    "LogEvent": "syncengine.logs.base",
    "RecordSink": "syncengine.logs.base",
    "Sink": "syncengine.logs.base",
    "Appointment": "syncengine.model",
    "Assignment": "syncengine.model",
    "CalendarBackend": "syncengine.ports",
    "CalendarSession": "syncengine.ports",
    "StudioSource": "syncengine.ports",
    "Action": "syncengine.reconcile.plan",
    "Conflict": "syncengine.reconcile.plan",
    "GateResult": "syncengine.reconcile.plan",
    "Plan": "syncengine.reconcile.plan",
    "Unit": "syncengine.reconcile.plan",
    "plan": "syncengine.reconcile.planner",
    "RunReport": "syncengine.reconcile.runner",
    "SyncOptions": "syncengine.reconcile.runner",
    "sync": "syncengine.reconcile.runner",
}

__all__ = [
    "Action",
    "Appointment",
    "Assignment",
    "AuthError",
    "CalendarBackend",
    "CalendarError",
    "CalendarSession",
    "ConfigError",
    "Conflict",
    "ConflictsPending",
    "GateRefused",
    "GateResult",
    "LogBus",
    "LogEvent",
    "Plan",
    "RecordSink",
    "RunReport",
    "Sink",
    "SourceError",
    "StateError",
    "StudioConfig",
    "StudioSource",
    "SyncEngineError",
    "SyncOptions",
    "Unit",
    "load_config",
    "plan",
    "sync",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'syncengine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
