"""One run: gather → plan → gates → apply, for every selected user, each independently.

:func:`sync` is what ``syncengine reconcile`` and the processor call.  It takes the state file's lock
(a dry run takes nothing and writes nothing), reads the studio's sources and every user's calendar,
plans (pure), checks the gates (a refused user is planned out, so the others still sync), applies, and
records the run.  A source whose path is a folder is a drop folder: its read is never complete (see
:func:`syncengine.reconcile.gather.gather_studio`).  Every step emits LogBus events: ``run-start``,
``warning`` (each source diagnostic, with its ``file:line``), ``plan``, ``conflict``, ``action``,
``error``, ``run-end``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from syncengine import plugins
from syncengine.config.model import StudioConfig, UserConfig
from syncengine.errors import ConflictsPending, GateRefused, SourceError, SyncEngineError, UsageError
from syncengine.logs.base import LogBus
from syncengine.ports import CalendarBackend, CalendarSession, SourceContext, SourceRead, StudioSource
from syncengine.reconcile import gates
from syncengine.reconcile.apply import Applier
from syncengine.reconcile.gather import gather_studio, read_calendars
from syncengine.reconcile.plan import Plan, Unit
from syncengine.reconcile.planner import CalendarSide, StudioSide, plan
from syncengine.state.store import StateStore
from syncengine.state.view import RunRow, StateView

Outcome = Literal["ok", "failed", "gated", "conflicts", "skipped"]


@dataclass(frozen=True)
class SyncOptions:
    users: tuple[str, ...] = ()
    dry_run: bool = False
    force: bool = False
    resync: bool = False
    trigger: str = "manual"


@dataclass(frozen=True)
class UserOutcome:
    outcome: Outcome
    error: SyncEngineError | None = None
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RunReport:
    exit_code: int
    plan: Plan
    users: Mapping[str, UserOutcome]
    reads: tuple[SourceRead, ...]
    started: datetime
    ended: datetime
    run_id: str


def sync(
    config: StudioConfig,
    options: SyncOptions = SyncOptions(),
    *,
    bus: LogBus | None = None,
    now: datetime | None = None,
    calendars: CalendarBackend | None = None,
    sources: Sequence[StudioSource] | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Run one sync (see the module docstring).  ``progress(done, total)`` reports applied writes."""
    started = datetime.now(UTC)
    now = now or started
    run_id = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"
    bus = bus or LogBus()
    bus.run_id = bus.run_id or run_id
    users = _selected(config, options.users)
    store = StateStore.open(config.studio.state, config.studio.name, read_only=options.dry_run)
    sessions: dict[str, CalendarSession] = {}
    backend: CalendarBackend | None = None
    try:
        store.acquire_lock()
        state = store.view()
        interrupted = [i for i, _ in store.pending_journal()]
        bus.emit(
            "run-start",
            "info",
            f"sync of {len(users)} user(s)",
            data={"users": [u.id for u in users], "trigger": options.trigger, "dry_run": options.dry_run},
        )
        if interrupted:
            bus.emit(
                "warning",
                "warning",
                f"the last run was interrupted after {len(interrupted)} write(s); "
                + ("a real run completes its work" if options.dry_run else "this run completes its work"),
                data={"writes": len(interrupted), "dry_run": options.dry_run},
            )
        outcomes: dict[str, UserOutcome] = {}
        if sources is None:
            context = SourceContext(config, now)
            sources = [plugins.load(plugins.SOURCES, s.format)(s, context) for s in config.sources]
        reads: list[SourceRead] = []
        try:
            studio = gather_studio(sources, config, bus, reads)
        except SourceError as exc:
            bus.emit("error", "error", str(exc), data={"error": "SourceError"})
            outcomes = {u.id: UserOutcome("failed", exc) for u in users}
            return _finish(
                store, bus, config, options, Plan(dry_run=options.dry_run), outcomes, reads, started, run_id
            )
        backend = calendars or plugins.load(plugins.CALENDARS, "google")(config)
        sides: dict[str, CalendarSide] = {}
        for user, session, side, error in read_calendars(backend, users, state, options.resync, now):
            if session is not None:
                sessions[user.id] = session
            if side is not None:
                sides[user.id] = side
            if error is not None:
                outcomes[user.id] = UserOutcome("failed", error)
                bus.emit("error", "error", str(error), user=user.id, data={"error": type(error).__name__})
        gate_input = gates.GateInput(len(studio.appointments), studio.complete, options.force, options.resync)
        final = _plan_with_gates(studio, sides, state, config, now, gate_input)
        final = final.with_dry_run(options.dry_run)
        _emit_plan(bus, final)
        if not options.dry_run:
            applicable = _applicable(final)
            applier = Applier(
                applicable,
                store,
                config,
                sessions,
                {s_id: s for s_id, s in _by_id(sources, config).items()},
                run_id,
                now,
                bus,
                stop,
                skip_journal=interrupted,
                progress=_progress(progress, applicable),
            )
            results = applier.run()
        else:
            results = {}
        for unit in final.units:
            if unit.user in outcomes:
                continue
            result = results.get(unit.user)
            counts = dict(result.counts) if result else unit.counts()
            if unit.refused:
                outcomes[unit.user] = UserOutcome("gated", _refusal(unit), counts)
            elif result is not None and result.error is not None:
                outcomes[unit.user] = UserOutcome("failed", result.error, counts)
            elif unit.pending:
                outcomes[unit.user] = UserOutcome("conflicts", ConflictsPending(unit.pending), counts)
            else:
                outcomes[unit.user] = UserOutcome("ok", None, counts)
        return _finish(store, bus, config, options, final, outcomes, reads, started, run_id)
    finally:
        for session in sessions.values():
            session.close()
        if backend is not None and calendars is None:
            backend.close()
        store.close()


def _selected(config: StudioConfig, wanted: Sequence[str]) -> list[UserConfig]:
    known = {u.id for u in config.users}
    unknown = [u for u in wanted if u not in known]
    if unknown:
        raise UsageError(
            f"no user {', '.join(unknown)} in {config.path}", hint=f"known users: {', '.join(sorted(known))}"
        )
    disabled = [u.id for u in config.users if u.id in wanted and not u.sync.enabled]
    if disabled:
        raise UsageError(
            f"user {', '.join(disabled)} is disabled in {config.path}",
            hint="set users[].sync.enabled: true to sync them again",
        )
    return [u for u in config.enabled_users if not wanted or u.id in wanted]



def _plan_with_gates(
    studio: StudioSide,
    sides: dict[str, CalendarSide],
    state: StateView,
    config: StudioConfig,
    now: datetime,
    gate_input: gates.GateInput,
) -> Plan:
    """Plan, check the gates, and plan again holding refused users' appointments, until none is new."""
    refused: dict[str, Unit] = {}
    while True:
        active = {u: s for u, s in sides.items() if u not in refused}
        first = plan(studio, active, state, config, now, hold=frozenset(refused))
        checked = gates.check(first, state, config, gate_input)
        newly = {u.user: u for u in checked.units if u.refused}
        if not newly:
            break
        refused.update(newly)
    order = [u.id for u in config.users]
    units = sorted([*checked.units, *refused.values()], key=lambda u: order.index(u.user))
    if any(g.refused and g.gate in _STUDIO_WIDE for u in refused.values() for g in u.gates):
        # the studio side itself is in doubt: observe nothing, write nothing
        return Plan(units=tuple(units), decisions=checked.decisions)
    meta = {k: v for k, v in checked.meta.items() if k.removeprefix("scope:") not in refused}
    return Plan(
        units=tuple(units),
        settlements=checked.settlements,
        cursors=checked.cursors,
        populated=checked.populated,
        meta=meta,
        decisions=checked.decisions,
    )


_STUDIO_WIDE = ("source-shrunk", "studio-scope", "time-shift")


def _applicable(final: Plan) -> Plan:
    units = tuple(u for u in final.units if not u.refused)
    return Plan(
        units=units,
        settlements=final.settlements,
        cursors=final.cursors,
        populated=final.populated,
        meta=final.meta,
        dry_run=False,
        decisions=final.decisions,
    )


def _by_id(sources: Sequence[StudioSource], config: StudioConfig) -> dict[str, StudioSource]:
    out: dict[str, StudioSource] = {}
    for index, source in enumerate(sources):
        source_config = getattr(source, "config", None)
        source_id = getattr(source_config, "id", None) or (
            config.sources[index].id if index < len(config.sources) else str(index)
        )
        out[source_id] = source
    return out


def _progress(callback: Callable[[int, int], None] | None, final: Plan) -> Callable[[int], None] | None:
    if callback is None:
        return None
    total = sum(1 for a in final.actions if a.target == "google")
    done = [0]

    def step(count: int) -> None:
        done[0] += count
        callback(done[0], total)

    return step


def _refusal(unit: Unit) -> SyncEngineError:
    gate = next(g for g in unit.gates if g.refused)
    return GateRefused(gate.gate, unit.user, gate.detail, gate.override)


def _emit_plan(bus: LogBus, final: Plan) -> None:
    for unit in final.units:
        bus.emit(
            "plan",
            "info",
            f"plan for {unit.user}: {len(unit.actions)} write(s)",
            user=unit.user,
            data={"counts": unit.counts(), "dry_run": final.dry_run},
        )
        for note in unit.notes:
            bus.emit("warning", "warning", note, user=unit.user, data={"note": note})
        for c in unit.conflicts:
            bus.emit(
                "conflict",
                "warning",
                f"conflict on {c.uid} field {c.field}: {c.resolution}",
                user=unit.user,
                data=c.to_json(),
            )
        for g in unit.gates:
            bus.emit(
                "warning",
                "warning",
                f"safety gate '{g.gate}': {g.detail}" + ("" if g.refused else " (overridden)"),
                user=unit.user,
                data=g.to_json(),
            )


def _finish(
    store: StateStore,
    bus: LogBus,
    config: StudioConfig,
    options: SyncOptions,
    final: Plan,
    outcomes: dict[str, UserOutcome],
    reads: list[SourceRead],
    started: datetime,
    run_id: str,
) -> RunReport:
    ended = datetime.now(UTC)
    codes = {o.outcome for o in outcomes.values()}
    exit_code = 1 if "failed" in codes else 4 if "gated" in codes else 3 if "conflicts" in codes else 0
    if not options.dry_run:
        store.record_runs(
            RunRow(
                run_id,
                user,
                started,
                ended,
                o.outcome,
                dict(o.counts),
                options.trigger,
                str(o.error) if o.error else None,
            )
            for user, o in outcomes.items()
        )
    bus.emit(
        "run-end",
        "info" if exit_code == 0 else "warning",
        f"run ended with exit code {exit_code}",
        data={
            "exit_code": exit_code,
            "outcomes": {u: o.outcome for u, o in outcomes.items()},
            "dry_run": options.dry_run,
        },
    )
    return RunReport(exit_code, final, outcomes, tuple(reads), started, ended, run_id)
