"""The planner: from what every side holds now and what the state remembers, decide every write.

Theory of operation
-------------------
All decision logic lives here (with the case table in ``cases`` and the field merge in ``merge``); this
module never imports an adapter, never opens a file and never reads the clock (``now`` is passed in), so
``--dry-run`` is simply gather, plan, print.  The algorithm is the per-replica three-way sync of
vdirsyncer and rclone bisync, extended to one studio and many calendars per appointment:

1. The appointment (its uid) is the unit of truth.  The state keeps its last merged record and, per
   replica (the studio export, each calendar it is on), a fingerprint of what that replica held.
2. Each replica is compared with its own fingerprint (:func:`cases.presence`): new, changed, unchanged,
   deleted or absent.  A replica that is not seen (an incremental read that does not mention it, an
   appointment out of the window, an unreadable row, an incomplete export) is unchanged, never deleted.
3. The case table picks the appointment's fate from (studio presence, strongest calendar presence).
4. The changed replicas' fields merge three-way into the record (:func:`merge.merge`); calendars only
   change SYNCED_FIELDS, and only for two-way users (a push-only user's edits are reverted).
5. Every replica that differs from the new record gets a write: calendars of the assigned, enabled users
   in the window get the event (created with :func:`syncengine.ids.derive_event_id`), others lose it; the
   studio gets an outbox change unless it already shows, or was already sent, the record.
6. What was observed becomes a :class:`Settlement` committed before the writes; each write that succeeds
   then moves its replica to the record.  A failed write leaves its replica behind, so the next plan writes
   it again: the plan never needs to know what failed.

A fast path skips an appointment when its studio fingerprint, every replica fingerprint and its calendar
set all match the state: an idle run over a large studio only hashes the export.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from syncengine.config.model import StudioConfig, UserConfig
from syncengine.ids import derive_event_id
from syncengine.model import (
    CALENDAR_FIELDS,
    STUDIO_REPLICA_FIELDS,
    SYNCED_FIELDS,
    Appointment,
    Assignment,
    digest,
)
from syncengine.ports import CalendarEntry, CalendarRead
from syncengine.reconcile.cases import Fate, Presence, combine, diff, fate, field_changes, presence
from syncengine.reconcile.fingerprints import calendar_fp, studio_fp
from syncengine.reconcile.merge import Proposal, merge
from syncengine.reconcile.plan import Action, Conflict, Op, Plan, Settlement, Unit
from syncengine.state.view import RecordRow, ReplicaRow, StateView, day_of

P = Presence
#: how far a one-time backfill from a calendar reaches, each way
POPULATE_DAYS = 3650


@dataclass(frozen=True)
class StudioSide:
    """The studio's export as gathered: appointments by uid and how far the read can be trusted."""

    appointments: Mapping[str, Appointment] = field(default_factory=dict)
    complete: bool = True
    unreadable: frozenset[str] = frozenset()
    #: uid -> id of the source that holds it (write-backs go there)
    sources: Mapping[str, str] = field(default_factory=dict)
    #: when the export was written (newest-wins compares calendar edits with it)
    modified: datetime | None = None


@dataclass(frozen=True)
class CalendarSide:
    """One user's calendar as gathered."""

    user: str
    calendar: str
    read: CalendarRead


def read_window(user: UserConfig, state: StateView, now: datetime) -> tuple[date, date]:
    """The window a user's calendar is read over: wide once for a pending backfill from Google."""
    today = now.date()
    if wants_pull(user, state):
        return today - timedelta(days=POPULATE_DAYS), today + timedelta(days=POPULATE_DAYS)
    window = user.sync.window
    return today - timedelta(days=window.past_days), today + timedelta(days=window.future_days)


def wants_pull(user: UserConfig, state: StateView) -> bool:
    return user.sync.populate in ("from-google", "both") and (user.id, "from-google") not in state.populated


def wants_push(user: UserConfig, state: StateView) -> bool:
    return user.sync.populate in ("to-google", "both") and (user.id, "to-google") not in state.populated


class _Calendar:
    """One user's side, indexed for the planner."""

    def __init__(self, user: UserConfig, side: CalendarSide, state: StateView, now: datetime) -> None:
        self.user = user
        self.id = user.id
        self.side = side
        self.two_way = user.sync.direction == "two-way"
        self.push_all = wants_push(user, state)
        lo, hi = read_window(user, state, now)
        self.lo, self.hi = lo.isoformat(), hi.isoformat()
        self.replicas: Mapping[str, ReplicaRow] = state.replicas.get(user.id, {})
        by_event = state.by_event.get(user.id, {})
        self.full = side.read.full
        self.entries: dict[str, CalendarEntry] = {}
        self.fps: dict[str, str] = {}
        self.duplicates: list[CalendarEntry] = []
        self.notes: list[str] = []
        self.removed = {by_event[e] for e in side.read.removed if e in by_event}
        for entry in side.read.entries:
            uid = by_event.get(entry.event_id, entry.appointment.uid)
            if entry.appointment.status == "cancelled":
                if uid in self.replicas:
                    self.removed.add(uid)
                continue
            if not entry.ours and uid not in self.replicas:
                if not self.two_way:
                    continue  # a push-only user's own events never become studio appointments
                if not _overlaps(entry.appointment, lo, hi):
                    continue  # incremental reads list changes anywhere: only the window is in scope
                if entry.appointment.status == "tentative" and not user.sync.include_tentative:
                    self.notes.append(f"skipped tentative event {entry.event_id}")
                    continue
            if uid in self.entries:
                keep = self._preferred(uid, self.entries[uid], entry, state.studio)
                other = entry if keep is self.entries[uid] else self.entries[uid]
                if other.ours:
                    self.duplicates.append(other)
                entry = keep
            self.entries[uid] = entry
            rep = self.replicas.get(uid)
            # the same etag is the same content: skip hashing what a sync itself wrote last time
            same = rep is not None and rep.etag is not None and rep.etag == entry.etag
            self.fps[uid] = (
                rep.fp if same and rep is not None else calendar_fp(entry.appointment)
            )

    def _preferred(self, uid: str, a: CalendarEntry, b: CalendarEntry, studio: str) -> CalendarEntry:
        rep = self.replicas.get(uid)
        known = rep.event_id if rep else derive_event_id(studio, self.id, uid)
        return b if b.event_id == known and a.event_id != known else a

    def in_window(self, first_day: str, last_day: str) -> bool:
        return last_day >= self.lo and first_day <= self.hi

    def wants(self, status: str, users: tuple[str, ...], first: str, last: str, live: bool) -> bool:
        if status == "cancelled" or self.id not in users:
            return False
        return live or self.push_all or self.in_window(first, last)


def plan(
    studio: StudioSide,
    calendars: Mapping[str, CalendarSide],
    state: StateView,
    config: StudioConfig,
    now: datetime,
    *,
    hold: frozenset[str] = frozenset(),
) -> Plan:
    """Decide every write for the users in ``calendars`` (a pure function; see the module docstring).

    Appointments of the users in ``hold`` (refused by a safety gate) are left exactly as they are.
    """
    planner = _Planner(studio, calendars, state, config, now, hold)
    return planner.run()


class _Planner:
    def __init__(
        self,
        studio: StudioSide,
        calendars: Mapping[str, CalendarSide],
        state: StateView,
        config: StudioConfig,
        now: datetime,
        hold: frozenset[str] = frozenset(),
    ) -> None:
        self.hold = hold
        self.studio = studio
        self.state = state
        self.config = config
        self.now = now
        self.cals = [_Calendar(u, calendars[u.id], state, now) for u in config.users if u.id in calendars]
        self.others = [u for u in state.replicas if u not in calendars]
        enabled = [
            _Calendar(u, CalendarSide(u.id, "", CalendarRead(True, ())), state, now)
            for u in config.enabled_users
        ]
        self.scope = (min((c.lo for c in enabled), default=""), max((c.hi for c in enabled), default="9999"))
        self.actions: dict[str, list[Action]] = {c.id: [] for c in self.cals}
        self.conflicts: dict[str, list[Conflict]] = {c.id: [] for c in self.cals}
        self.notes: dict[str, list[str]] = {c.id: list(c.notes) for c in self.cals}
        self.settlements: dict[str, Settlement] = {}
        self.decisions: dict[str, tuple[str, str, str]] = {}
        self.unseen = False
        self.pending_users: set[str] = set()
        self.writeback = config.writeback.mode != "off"

    # --- the loop ------------------------------------------------------------------------------------

    def run(self) -> Plan:
        uids: dict[str, None] = dict.fromkeys(self.studio.appointments)
        uids.update(dict.fromkeys(self.state.records))
        for cal in self.cals:
            uids.update(dict.fromkeys(cal.entries))
            for dup in cal.duplicates:
                self._add(
                    cal.id,
                    Action(
                        "delete",
                        "google",
                        dup.appointment.uid,
                        cal.id,
                        "a duplicate of this appointment's event",
                        dup.event_id,
                        etag=dup.etag,
                    ),
                )
        for uid in uids:
            if self.hold and self._held(uid):
                continue
            cur = self.studio.appointments.get(uid)
            cur_fp = studio_fp(cur) if cur is not None else None
            if not self._quiet(uid, cur, cur_fp):
                self._plan_one(uid, cur_fp)
        units = tuple(
            Unit(
                c.id,
                c.side.calendar,
                tuple(self.actions[c.id]),
                tuple(self.conflicts[c.id]),
                notes=tuple(self.notes[c.id]),
            )
            for c in self.cals
        )
        cursors = {c.id: c.side.read.cursor for c in self.cals if c.id not in self.pending_users}
        populated = tuple(
            [(c.id, "to-google") for c in self.cals if c.push_all]
            + [(c.id, "from-google") for c in self.cals if wants_pull(c.user, self.state)]
        )
        return Plan(
            units=units,
            settlements=self.settlements,
            cursors=cursors,
            populated=populated,
            decisions=self.decisions,
        )

    def _held(self, uid: str) -> bool:
        rec = self.state.records.get(uid)
        cur = self.studio.appointments.get(uid)
        users = {*(rec.users if rec else ()), *(cur.users if cur else ())}
        return bool(users & self.hold) or any(uid in self.state.replicas.get(u, {}) for u in self.hold)

    def _quiet(self, uid: str, cur: Appointment | None, cur_fp: str | None) -> bool:
        """Nothing to do for ``uid``: every side shows the record and its calendar set is right."""
        rec = self.state.records.get(uid)
        if rec is None or cur is None or rec.sent_fp is not None or rec.shown_fp != rec.studio_fp:
            return False
        if uid in self.state.pending or uid in self.state.takes:
            return False
        if cur_fp != rec.studio_fp:
            return False
        for cal in self.cals:
            rep = cal.replicas.get(uid)
            if uid in cal.removed:
                return False
            if rep is None:
                if uid in cal.entries or cal.wants(rec.status, rec.users, rec.first_day, rec.last_day, False):
                    return False
                continue
            if rep.fp != rec.cal_fp or not cal.wants(
                rec.status, rec.users, rec.first_day, rec.last_day, True
            ):
                return False
            if uid in cal.entries:
                if cal.fps[uid] != rep.fp:
                    return False
            elif cal.full and cal.in_window(rec.first_day, rec.last_day):
                return False
        return True

    def _add(self, user: str, action: Action) -> None:
        self.actions[user].append(action)

    # --- one appointment -----------------------------------------------------------------------------

    def _plan_one(self, uid: str, cur_fp: str | None) -> None:
        studio, state = self.studio, self.state
        rec = state.records.get(uid)
        cur = studio.appointments.get(uid)
        # An unreadable row, an appointment missing from an incomplete export, or one that left the
        # window and so left the export: what the studio shows is unknown.  It keeps its last version,
        # is never taken as deleted, and the studio is not written to blind.
        gone = studio.complete and rec is not None and self._in_scope(rec.first_day, rec.last_day)
        known_absent = studio.complete and (rec is None or rec.shown_fp is None or gone)
        seen = uid not in studio.unreadable and (cur is not None or known_absent)
        self.unseen = not seen
        if not seen:
            sp = P.UNCHANGED if rec is not None and rec.shown_fp is not None else P.ABSENT
        else:
            sp = presence(
                held_fp=rec.shown_fp if rec else None,
                current_fp=cur_fp,
                record_fp=rec.studio_fp if rec else None,
                known_gone=gone,
                also_same=rec.sent_fp if rec else None,
            )
        pres: dict[str, Presence] = {}
        effective: list[Presence] = []
        for cal in self.cals:
            rep, ent = cal.replicas.get(uid), cal.entries.get(uid)
            if ent is not None:
                p = presence(
                    held_fp=rep.fp if rep else None,
                    current_fp=cal.fps[uid],
                    record_fp=rec.cal_fp if rec else None,
                    known_gone=False,
                )
            else:
                gone = uid in cal.removed or (
                    cal.full
                    and rep is not None
                    and rec is not None
                    and cal.in_window(rec.first_day, rec.last_day)
                )
                p = presence(
                    held_fp=rep.fp if rep else None,
                    current_fp=None,
                    record_fp=rec.cal_fp if rec else None,
                    known_gone=gone,
                )
            pres[cal.id] = p
            if cal.two_way and not (
                p is P.NEW and ent is not None and ent.ours and rec is None and cur is None
            ):
                effective.append(p)
            elif p is not P.ABSENT and rec is not None:
                # push-only: an edit or deletion on the calendar is reverted, so it counts as unchanged
                effective.append(P.UNCHANGED)
        cp = combine(effective)
        outcome = fate(sp, cp)
        self.decisions[uid] = (sp.value, cp.value, outcome.value)
        if outcome is Fate.ADOPT:
            self._adopt(uid)
        elif outcome in (Fate.DELETE, Fate.FORGET):
            self._delete(uid, rec, cur, sp, pres, forget_only=outcome is Fate.FORGET)
        elif rec is not None or cur is not None:
            self._keep(uid, rec, cur if seen else None, cur_fp, sp, pres, restore=outcome is Fate.RESTORE)

    def _in_scope(self, first: str, last: str) -> bool:
        return last >= self.scope[0] and first <= self.scope[1]

    def _adopt(self, uid: str) -> None:
        for cal in self.cals:
            ent = cal.entries.get(uid)
            if ent is None or ent.ours or not cal.two_way:
                continue
            new = ent.appointment.evolve(assigned=(Assignment(cal.id),), timezone=self.config.studio.timezone)
            row = RecordRow.of(
                new, origin="google", source_id=self._source_for(uid, None), shown=None, sent_fp=None
            )
            replica = ReplicaRow(uid, cal.id, ent.event_id, ent.etag, cal.fps[uid], None, 0)
            self.settlements[uid] = Settlement(uid, row, (replica,))
            if self.writeback:
                self._add(
                    cal.id,
                    Action(
                        "create",
                        "studio",
                        uid,
                        cal.id,
                        f"created on {cal.id}'s calendar",
                        ent.event_id,
                        after=new,
                        studio_action="created",
                        source_id=row.source_id,
                    ),
                )
            return

    def _source_for(self, uid: str, rec: RecordRow | None) -> str | None:
        found = self.studio.sources.get(uid) or (rec.source_id if rec else None)
        return found or (self.config.sources[0].id if self.config.sources else None)

    def _delete(
        self,
        uid: str,
        rec: RecordRow | None,
        cur: Appointment | None,
        sp: Presence,
        pres: Mapping[str, Presence],
        *,
        forget_only: bool,
    ) -> None:
        if rec is None:
            return
        old = rec.appointment()
        tomb = old.evolve(status="cancelled")
        deleter = next((c.id for c in self.cals if pres[c.id] is P.DELETED), None)
        why = "deleted in the studio" if sp is P.DELETED else f"deleted on {deleter}'s calendar"
        drops: list[str] = []
        for cal in self.cals:
            rep, ent = cal.replicas.get(uid), cal.entries.get(uid)
            if pres[cal.id] is P.DELETED:
                drops.append(cal.id)
            elif ent is not None or rep is not None:
                event_id = ent.event_id if ent else rep.event_id if rep else ""
                etag = ent.etag if ent else rep.etag if rep else None
                self._add(cal.id, Action("delete", "google", uid, cal.id, why, event_id, etag=etag))
        tell_studio = (
            self.writeback
            and tomb.fingerprint(STUDIO_REPLICA_FIELDS) != rec.sent_fp
            and (
                (cur is not None and cur.status != "cancelled")
                or (cur is None and sp is P.ABSENT and rec.sent_fp)
            )
        )
        if tell_studio and not forget_only:
            user = deleter or (self.cals[0].id if self.cals else "")
            if user in self.actions:
                self._add(
                    user,
                    Action(
                        "delete",
                        "studio",
                        uid,
                        user,
                        why,
                        None,
                        after=tomb,
                        studio_action="cancelled",
                        source_id=self._source_for(uid, rec),
                    ),
                )
        shown = cur if cur is not None else None
        row = RecordRow.of(tomb, origin=rec.origin, source_id=rec.source_id, shown=shown, sent_fp=rec.sent_fp)
        self.settlements[uid] = Settlement(
            uid,
            row,
            self._materialised(uid, rec, row, skip=set(drops)),
            tuple(drops),
            forget=sp in (P.DELETED, P.ABSENT) and not tell_studio,
        )

    def _materialised(
        self, uid: str, rec: RecordRow | None, new: RecordRow, skip: set[str]
    ) -> tuple[ReplicaRow, ...]:
        """Replicas stored as "same as the record" whose record changes: store their own content."""
        if rec is None or rec.cal_fp == new.cal_fp:
            return ()
        out: list[ReplicaRow] = []
        old: str | None = None
        for user in (*self.others, *(c.id for c in self.cals)):
            if user in skip:
                continue
            rep = self.state.replicas.get(user, {}).get(uid)
            if rep is not None and rep.content is None:
                old = old or json.dumps(rec.appointment().canonical(CALENDAR_FIELDS), sort_keys=True)
                out.append(ReplicaRow(rep.uid, rep.user, rep.event_id, rep.etag, rep.fp, old, rep.generation))
        return tuple(out)

    def _keep(
        self,
        uid: str,
        rec: RecordRow | None,
        cur: Appointment | None,
        cur_fp: str | None,
        sp: Presence,
        pres: Mapping[str, Presence],
        *,
        restore: bool,
    ) -> None:
        before = sum(len(a) for a in self.actions.values())
        old = rec.appointment() if rec is not None else None
        base = old if old is not None else cur
        assert base is not None
        record = base.to_canonical()
        old_cal = base.canonical(CALENDAR_FIELDS)
        studio_prop = None
        if cur is not None and sp in (P.NEW, P.CHANGED):
            shown = rec.shown_appointment() if rec is not None else None
            shown_c = (shown or base).canonical(STUDIO_REPLICA_FIELDS)
            current = cur.canonical(STUDIO_REPLICA_FIELDS)
            studio_prop = Proposal("studio", None, diff(shown_c, current, STUDIO_REPLICA_FIELDS), shown_c)
        props: list[Proposal] = []
        canon: dict[str, dict[str, Any]] = {}
        for cal in self.cals:
            ent, rep = cal.entries.get(uid), cal.replicas.get(uid)
            if ent is None:
                continue
            canon[cal.id] = now_c = ent.appointment.canonical(CALENDAR_FIELDS)
            if pres[cal.id] not in (P.NEW, P.CHANGED):
                continue
            held = json.loads(rep.content) if rep is not None and rep.content else old_cal
            changes = diff(held, now_c, CALENDAR_FIELDS)
            synced = {f: v for f, v in changes.items() if f in SYNCED_FIELDS}
            if not cal.two_way:
                if changes:
                    self.notes[cal.id].append(
                        f"{uid}: reverted an edit on the calendar ({cal.id} syncs push-only)"
                    )
                continue
            if len(synced) < len(changes):
                self.notes[cal.id].append(f"{uid}: reverted a calendar edit of studio-owned details")
            props.append(Proposal("google", cal.id, synced, held, ent.updated))
        result = merge(
            uid,
            record,
            studio_prop,
            props,
            self.config.conflicts,
            studio_time=self.studio.modified or self.now,
            take=self.state.takes.get(uid),
            known_pending=self.state.pending.get(uid, frozenset()),
        )
        for c in result.conflicts:
            owner = self._owner(c.user, result.google_winners, ())
            if owner is not None:
                self.conflicts[owner].append(c)
        if result.pending:
            self.pending_users.update(c.user or "" for c in result.conflicts)
            self.pending_users.update(c.id for c in self.cals if c.id in pres and pres[c.id] is not P.ABSENT)
            return
        # most appointments merge to what they were: no rebuild, no re-hashing
        unchanged = result.values == record
        new = base if unchanged else _build(result.values, record, self.config.conflicts.prefer)
        new_canonical = record if unchanged else new.to_canonical()
        new_cal = {n: new_canonical[n] for n in CALENDAR_FIELDS}
        new_cal_fp = rec.cal_fp if unchanged and rec is not None and old is not None else digest(new_cal)
        first, last = day_of(new.start), day_of(new.end)
        deleted_on = [c for c in self.cals if pres[c.id] is P.DELETED]
        replicas: list[ReplicaRow] = []
        drops: list[str] = []
        for cal in self.cals:
            rep, ent = cal.replicas.get(uid), cal.entries.get(uid)
            live = ent is not None or (rep is not None and pres[cal.id] is not P.DELETED)
            want = cal.wants(new.status, new.users, first, last, live)
            gen = rep.generation if rep else 0
            etag: str | None
            if ent is not None:
                observed, observed_fp, event_id, etag = canon[cal.id], cal.fps[uid], ent.event_id, ent.etag
                content = None if observed_fp == new_cal_fp else json.dumps(observed, sort_keys=True)
                replicas.append(ReplicaRow(uid, cal.id, event_id, etag, observed_fp, content, gen))
            elif rep is not None and live:
                observed = json.loads(rep.content) if rep.content else old_cal
                observed_fp, event_id, etag = rep.fp, rep.event_id, rep.etag
                if rep.content is None and rec is not None and rec.cal_fp != new_cal_fp:
                    replicas.append(
                        ReplicaRow(
                            uid,
                            cal.id,
                            event_id,
                            etag,
                            observed_fp,
                            json.dumps(observed, sort_keys=True),
                            gen,
                        )
                    )
            else:
                if rep is not None:
                    drops.append(cal.id)
                if want:
                    why = self._create_reason(cal, rec, restore, deleted_on)
                    self._add(
                        cal.id,
                        Action(
                            "create",
                            "google",
                            uid,
                            cal.id,
                            why,
                            derive_event_id(self.state.studio, cal.id, uid, gen),
                            after=new,
                            generation=gen,
                        ),
                    )
                continue
            if not want:
                why = (
                    "cancelled"
                    if new.status == "cancelled"
                    else f"no longer assigned to {cal.id}"
                    if cal.id not in new.users
                    else "no longer in scope"
                )
                self._add(cal.id, Action("delete", "google", uid, cal.id, why, event_id, etag=etag))
            elif observed_fp != new_cal_fp:
                why = self._update_reason(cal, result.studio_took, result.google_winners, pres[cal.id])
                self._add(
                    cal.id,
                    Action(
                        "update",
                        "google",
                        uid,
                        cal.id,
                        why,
                        event_id,
                        after=new,
                        changes=field_changes(observed, new_cal, CALENDAR_FIELDS),
                        etag=etag,
                        generation=gen,
                    ),
                )
        source_id = self._source_for(uid, rec)
        sent_fp = rec.sent_fp if rec is not None else None
        if cur_fp is not None and cur_fp == sent_fp:
            sent_fp = None  # the studio took in what was sent
        new_studio_fp = (
            rec.studio_fp
            if unchanged and rec is not None
            else digest({n: new_canonical[n] for n in STUDIO_REPLICA_FIELDS})
        )
        # the export shows the record, yet an older outbox change is still waiting to be imported: send the
        # record again, so that importing the outbox in order ends on it
        superseded = sent_fp is not None and sent_fp != new_studio_fp and cur_fp == new_studio_fp
        if (
            self.writeback
            and not self.unseen
            and (cur_fp != new_studio_fp or superseded)
            and sent_fp != new_studio_fp
            and not (new.status == "cancelled" and cur is None)  # nothing to cancel where it is not shown
        ):
            user = self._owner(None, result.google_winners, new.users)
            if user is not None:
                op: Op = "update" if cur is not None else "create"
                why = (
                    "supersedes an outbox change not imported yet"
                    if superseded
                    else "restored: a modification beats a deletion"
                    if restore and cur is None
                    else (
                        f"changed on {', '.join(result.google_winners)}'s calendar"
                        if result.google_winners
                        else "the studio does not show the merged record yet"
                    )
                )
                studio_changes: tuple[tuple[str, Any, Any], ...] = ()
                if cur is not None:
                    studio_changes = field_changes(
                        cur.canonical(STUDIO_REPLICA_FIELDS),
                        new.canonical(STUDIO_REPLICA_FIELDS),
                        STUDIO_REPLICA_FIELDS,
                    )
                self._add(
                    user,
                    Action(
                        op,
                        "studio",
                        uid,
                        user,
                        why,
                        None,
                        after=new,
                        changes=studio_changes,
                        studio_action="updated" if cur is not None else "created",
                        source_id=source_id,
                    ),
                )
        if self.unseen and rec is not None:
            row = RecordRow.of(
                new, origin=rec.origin, source_id=source_id, shown=rec.shown_appointment(), sent_fp=sent_fp
            )
        else:
            row = RecordRow.of(
                new,
                origin=rec.origin if rec else "studio",
                source_id=source_id,
                shown=cur,
                shown_fp=cur_fp,
                sent_fp=sent_fp,
                canonical=new_canonical,
                cal_fp=new_cal_fp,
                studio_fp=new_studio_fp,
            )
        replicas.extend(self._materialised(uid, rec, row, skip={c.id for c in self.cals}))
        settle = uid in self.state.pending or uid in self.state.takes
        # a cancelled appointment the studio no longer shows is dropped once no calendar holds it
        forget = new.status == "cancelled" and cur is None and not self.unseen
        acted = sum(len(a) for a in self.actions.values()) != before
        if row != rec or replicas or drops or settle or forget or acted:
            self.settlements[uid] = Settlement(
                uid, row, tuple(replicas), tuple(drops), forget=forget, settle_conflicts=settle
            )

    def _owner(self, user: str | None, winners: list[str], assigned: tuple[str, ...]) -> str | None:
        """The unit an appointment-wide item (a studio write, a conflict) is listed under."""
        for candidate in (user, *winners, *assigned, *(c.id for c in self.cals)):
            if candidate is not None and candidate in self.actions:
                return candidate
        return None

    def _create_reason(
        self, cal: _Calendar, rec: RecordRow | None, restore: bool, deleted_on: list[_Calendar]
    ) -> str:
        if deleted_on and cal in deleted_on:
            if not cal.two_way:
                return f"re-created: {cal.id} syncs push-only, a deletion on the calendar is reverted"
            return "restored: a modification beats a deletion"
        if restore:
            return "restored: a modification beats a deletion"
        if rec is None:
            return "new appointment"
        if cal.id not in rec.users:
            return f"assigned to {cal.id}"
        return "missing from the calendar"

    def _update_reason(self, cal: _Calendar, studio_took: bool, winners: list[str], p: Presence) -> str:
        if p in (P.CHANGED, P.NEW) and not cal.two_way:
            return f"reverted: {cal.id} syncs push-only"
        if winners and winners != [cal.id]:
            return f"changed on {', '.join(w for w in winners if w != cal.id)}'s calendar"
        if studio_took:
            return "changed in the studio"
        if p in (P.CHANGED, P.NEW):
            return "reverted: studio-owned details or a losing edit"
        return "the calendar does not show the merged record yet"


def _overlaps(appointment: Appointment, lo: date, hi: date) -> bool:
    return day_of(appointment.end) >= lo.isoformat() and day_of(appointment.start) <= hi.isoformat()


def _build(values: Mapping[str, Any], fallback: Mapping[str, Any], prefer: str) -> Appointment:
    """The merged appointment; a merge that mixed one side's start with the other's end falls back."""
    try:
        return Appointment.from_canonical(values)
    except ValueError:
        mixed = dict(values)
        for name in ("start", "end", "all_day"):
            mixed[name] = fallback[name]
        return Appointment.from_canonical(mixed)
