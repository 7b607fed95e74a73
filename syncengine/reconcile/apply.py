"""Apply: the only place that writes.  Journal first, then write, then commit, batch by batch.

1. One transaction stores what the run observed (the plan's settlements: merged records, the replicas as
   read, dropped replicas, new conflicts, cursors, gate meta).  From here on every replica that still
   differs from its record is one the next plan writes again, so a crash loses nothing.
2. Per user, writes go to the calendar in batches: each batch is journalled (committed), sent, and its
   results committed (a replica moves to the record only when its write succeeded).
3. Studio changes go through each source's ``write_back`` (journalled the same way); the receipt says
   what the studio will show, which becomes the replica's "sent" (outbox) or "shown" (in-place) value.
4. Appointments that are gone everywhere are forgotten.

A crash between any two steps leaves the state of the last commit; the next run reads every side again
and its plan completes the work: a create whose response was lost is found by its deterministic id (the
calendar adapter answers a duplicate create by re-linking), an update or delete is simply seen as done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from syncengine.config.model import StudioConfig
from syncengine.errors import CalendarError, SyncEngineError, WritebackError
from syncengine.logs.base import LogBus
from syncengine.model import CALENDAR_FIELDS, STUDIO_REPLICA_FIELDS, Appointment
from syncengine.ports import CalendarSession, CalendarWrite, StudioChange, StudioSource
from syncengine.reconcile.plan import Action, Plan
from syncengine.state.changes import JournalEntry, NewConflict, StateChanges
from syncengine.state.store import StateStore
from syncengine.state.view import RecordRow, ReplicaRow

#: writes per journalled batch when the calendar does not batch (google.batch_size: 0)
DEFAULT_BATCH = 50


@dataclass
class UserResult:
    """What applying one user's unit did."""

    counts: dict[str, int] = field(default_factory=dict)
    error: SyncEngineError | None = None

    def bump(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1


@dataclass
class Applier:
    plan: Plan
    store: StateStore
    config: StudioConfig
    sessions: Mapping[str, CalendarSession]
    sources: Mapping[str, StudioSource]
    run_id: str
    now: datetime
    bus: LogBus
    stop: threading.Event | None = None
    skip_journal: Sequence[int] = ()
    progress: Callable[[int], None] | None = None
    results: dict[str, UserResult] = field(default_factory=dict)

    def run(self) -> dict[str, UserResult]:
        self.results = {u.user: UserResult() for u in self.plan.units}
        self._commit_observed()
        for unit in self.plan.units:
            writes = [a for a in unit.actions if a.target == "google"]
            if writes and not self._stopped():
                self._calendar(unit.user, writes)
        studio = [a for u in self.plan.units for a in u.actions if a.target == "studio"]
        if studio and not self._stopped():
            self._studio(studio)
        forget = [uid for uid, s in self.plan.settlements.items() if s.forget]
        if forget:
            self.store.forget(forget)
        return self.results

    def _stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    # --- 1. what was observed ------------------------------------------------------------------------

    def _commit_observed(self) -> None:
        changes = StateChanges(cursors=dict(self.plan.cursors), meta=dict(self.plan.meta))
        changes.populated.extend(self.plan.populated)
        for s in self.plan.settlements.values():
            if s.record is not None:
                changes.records.append(s.record)
            changes.replicas.extend(s.replicas)
            changes.drop_replicas.extend((s.uid, user) for user in s.drop_replicas)
            if s.settle_conflicts:
                changes.settled.append(s.uid)
        for c in self.plan.conflicts:
            if c.new:
                changes.conflicts.append(
                    NewConflict(c.uid, c.field, c.base, c.studio, c.google, c.user, c.policy, c.resolution)
                )
        self.store.commit(changes, run_id=self.run_id, now=self.now)
        if self.skip_journal:
            self.store.settle_journal(self.skip_journal)

    # --- 2. calendars --------------------------------------------------------------------------------

    def _calendar(self, user: str, actions: list[Action]) -> None:
        session = self.sessions.get(user)
        result = self.results[user]
        if session is None:
            return
        size = self.config.google.batch_size or DEFAULT_BATCH
        for start in range(0, len(actions), size):
            if start and self._stopped():
                return
            batch = actions[start : start + size]
            ids = self.store.journal(
                self.run_id, [JournalEntry(user, a.op, "google", a.uid, a.event_id) for a in batch], self.now
            )
            writes = [CalendarWrite(a.op, a.uid, a.event_id or "", a.etag, a.after) for a in batch]
            try:
                outcomes = session.apply(writes)
            except CalendarError as exc:
                result.error = exc
                self.bus.emit("error", "error", str(exc), user=user, data={"error": type(exc).__name__})
                return
            changes = StateChanges(journal_done=ids)
            for action, outcome in zip(batch, outcomes, strict=True):
                self._note(user, action, outcome.status)
                if outcome.status == "ok":
                    result.bump(f"{action.op}:google")
                    if action.op == "delete":
                        changes.drop_replicas.append((action.uid, user))
                    elif action.after is not None:
                        etag = outcome.entry.etag if outcome.entry is not None else None
                        event_id = outcome.event_id or action.event_id or ""
                        fp = action.after.fingerprint(CALENDAR_FIELDS)
                        changes.replicas.append(
                            ReplicaRow(action.uid, user, event_id, etag, fp, None, action.generation)
                        )
                elif outcome.status == "precondition-failed":
                    result.bump("precondition-failed")
                else:
                    result.bump("failed")
                    if result.error is None:
                        error = outcome.error
                        result.error = (
                            error
                            if isinstance(error, SyncEngineError)
                            else CalendarError(user, f"{action.op} of {action.uid} failed: {error}")
                        )
            self.store.commit(changes, run_id=self.run_id, now=self.now)
            if self.progress is not None:
                self.progress(len(batch))

    def _note(self, user: str, action: Action, outcome: str) -> None:
        level = "info" if outcome == "ok" else "warning" if outcome == "precondition-failed" else "error"
        kind = "action" if outcome != "failed" else "error"
        self.bus.emit(
            kind,
            level,  # type: ignore[arg-type]
            f"{action.op} {action.uid} on {action.target} ({user}): {outcome}",
            user=user,
            data={
                "op": action.op,
                "target": action.target,
                "uid": action.uid,
                "event_id": action.event_id,
                "outcome": outcome,
                "reason": action.reason,
            },
        )

    # --- 3. the studio -------------------------------------------------------------------------------

    def _studio(self, actions: list[Action]) -> None:
        by_source: dict[str, list[Action]] = {}
        for action in actions:
            if self.results.get(action.user) is not None:
                by_source.setdefault(action.source_id or "", []).append(action)
        for source_id, group in by_source.items():
            source = self.sources.get(source_id) or next(iter(self.sources.values()), None)
            if source is None:
                continue
            ids = self.store.journal(
                self.run_id,
                [JournalEntry(a.user, a.op, "studio", a.uid, a.event_id) for a in group],
                self.now,
            )
            changes = [
                StudioChange(a.studio_action or "updated", a.after) for a in group if a.after is not None
            ]
            try:
                receipt = source.write_back(changes, self.config.writeback, self.now)
            except WritebackError as exc:
                for action in group:
                    self._note(action.user, action, "failed")
                    self.results[action.user].error = self.results[action.user].error or exc
                    self.results[action.user].bump("failed")
                continue
            shown = dict(receipt.shown)
            state = StateChanges(journal_done=ids)
            for action in group:
                self._note(action.user, action, "ok")
                self.results[action.user].bump(f"{action.op}:studio")
                settlement = self.plan.settlements.get(action.uid)
                if settlement is None or settlement.record is None:
                    continue
                state.records.append(self._studio_row(settlement.record, shown.get(action.uid, action.after)))
            self.store.commit(state, run_id=self.run_id, now=self.now)

    def _studio_row(self, row: RecordRow, shown: Appointment | None) -> RecordRow:
        if shown is None:
            return row
        fp = shown.fingerprint(STUDIO_REPLICA_FIELDS)
        if self.config.writeback.mode == "in-place":
            return RecordRow.of(
                row.appointment(), origin=row.origin, source_id=row.source_id, shown=shown, sent_fp=None
            )
        if fp != row.studio_fp:
            # The studio cannot hold the merged record exactly (an "assigned" user comes back as the
            # photographer, a resource name with a comma as two): what it will show becomes the record, or
            # the outbox would send the same change every run.  Calendars that differ get it next run.
            return RecordRow.of(
                shown.evolve(uid=row.uid), origin=row.origin, source_id=row.source_id,
                shown=row.shown_appointment(), sent_fp=fp,
            )
        return replace(row, sent_fp=fp)
