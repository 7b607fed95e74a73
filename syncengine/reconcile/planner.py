"""The planner: from what every side holds now and what the state remembers, decide every write.

Theory of operation
-------------------
All decision logic lives here and in the modules it calls (``sides``: the inputs indexed; ``cases``: the
case table; ``merge``: the field merge; ``keep``: planning an appointment that stays).  None of them
imports an adapter, opens a file or reads the clock (``now`` is passed in), so ``--dry-run`` is simply
gather, plan, print.  The algorithm is the per-replica three-way sync of
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
set all match the state: an idle run over a large studio only hashes the export.  An appointment an
incomplete read (a drop folder's) does not hold counts as matching on the studio side, so a small drop
over a large studio plans only what the drop and the calendars changed.

A row naming staff that matches no user (``StudioSide.unknown_staff``) does not change the assignment:
the last merged record's users are kept, and the plan says so.

Where the rules come from: the studio owns what it exports (type, client, session, assignment); a
modification beats a deletion; absence only means deletion when the read was complete and the
appointment in scope; an outbox change is sent once (design.md, "The run" and "Details of the contract").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from syncengine.config.model import StudioConfig
from syncengine.model import CALENDAR_FIELDS, STUDIO_REPLICA_FIELDS, Appointment, Assignment
from syncengine.ports import CalendarRead
from syncengine.reconcile.cases import Fate, Presence, combine, fate, presence
from syncengine.reconcile.fingerprints import calendar_fp, studio_fp
from syncengine.reconcile.keep import keep
from syncengine.reconcile.plan import Action, Conflict, Plan, Settlement, Unit
from syncengine.reconcile.sides import (
    POPULATE_DAYS,
    CalendarSide,
    CalendarView,
    StudioSide,
    read_window,
    trust_assignments,
    wants_pull,
    wants_push,
)
from syncengine.state.view import RecordRow, ReplicaRow, StateView

P = Presence

__all__ = [
    "POPULATE_DAYS",
    "CalendarSide",
    "Planner",
    "StudioSide",
    "plan",
    "read_window",
    "wants_pull",
    "wants_push",
]


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
    planner = Planner(studio, calendars, state, config, now, hold)
    return planner.run()


class Planner:
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
        self.state = state
        self.config = config
        self.now = now
        self.cals = [CalendarView(u, calendars[u.id], state, now) for u in config.users if u.id in calendars]
        self.studio, kept = trust_assignments(studio, state)
        self.others = [u for u in state.replicas if u not in calendars]
        enabled = [
            CalendarView(u, CalendarSide(u.id, "", CalendarRead(True, ())), state, now)
            for u in config.enabled_users
        ]
        self.scope = (min((c.lo for c in enabled), default=""), max((c.hi for c in enabled), default="9999"))
        self.actions: dict[str, list[Action]] = {c.id: [] for c in self.cals}
        self.conflicts: dict[str, list[Conflict]] = {c.id: [] for c in self.cals}
        self.notes: dict[str, list[str]] = {c.id: list(c.notes) for c in self.cals}
        for uid, users in kept.items():
            note = (
                f"{uid}: the studio names staff that matches no user; "
                f"its assignment stays {', '.join(users) or 'nobody'} (other changes apply)"
            )
            for unit in [u for u in users if u in self.notes][:1] or [c.id for c in self.cals][:1]:
                self.notes[unit].append(note)
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
        if rec is None or rec.sent_fp is not None or rec.shown_fp != rec.studio_fp:
            return False
        if uid in self.state.pending or uid in self.state.takes:
            return False
        if cur is None:
            # not in an incomplete read (a drop folder's), or unreadable: the studio side is unchanged
            if rec.shown_fp is None or (self.studio.complete and uid not in self.studio.unreadable):
                return False
        elif cur_fp != rec.studio_fp:
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
                # a new etag with the same content is no change, but the etag must be stored: the
                # cursor moves past this read, and a later write needs the current etag
                if cal.fps[uid] != rep.fp or cal.entries[uid].etag != rep.etag:
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
            self._delete(uid, rec, cur, sp, pres)
        elif rec is not None or cur is not None:
            keep(self, uid, rec, cur if seen else None, cur_fp, sp, pres, restore=outcome is Fate.RESTORE)

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
    ) -> None:
        if rec is None:
            return
        old = rec.appointment()
        tomb = old.evolve(status="cancelled")
        deleter = next((c.id for c in self.cals if pres[c.id] is P.DELETED), None)
        why = "deleted in the studio" if sp is P.DELETED else f"deleted on {deleter}'s calendar"
        drops: list[str] = []
        seen: list[ReplicaRow] = []
        tomb_fp = calendar_fp(tomb)
        for cal in self.cals:
            rep, ent = cal.replicas.get(uid), cal.entries.get(uid)
            if ent is not None and rep is not None:
                # what was read is stored (the cursor moves past it): a failed delete retries with it
                content = json.dumps(ent.appointment.canonical(CALENDAR_FIELDS), sort_keys=True)
                fp = cal.fps[uid]
                seen.append(
                    ReplicaRow(
                        uid,
                        cal.id,
                        ent.event_id,
                        ent.etag,
                        fp,
                        None if fp == tomb_fp else content,
                        rep.generation,
                    )
                )
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
                # the studio shows it: cancel it there
                (cur is not None and cur.status != "cancelled")
                # the studio does not show it, but a change sent to its outbox may: call that off
                or (cur is None and rec.sent_fp is not None)
            )
        )
        if tell_studio:  # also when forgetting: an appointment sent to the outbox must be called off
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
        sent_fp = rec.sent_fp
        if cur is not None and sent_fp == studio_fp(cur):
            sent_fp = None  # the studio took in what was sent
        row = RecordRow.of(tomb, origin=rec.origin, source_id=rec.source_id, shown=shown, sent_fp=sent_fp)
        # an appointment with an outbox change still in flight is kept (as a tombstone), so that a later
        # export of the same uid supersedes that change instead of meeting it unannounced
        forget = sp in (P.DELETED, P.ABSENT) and not tell_studio and sent_fp is None
        replicas = (*self._materialised(uid, rec, row, skip={*drops, *(r.user for r in seen)}), *seen)
        if row == rec and not drops and not replicas and not forget and not tell_studio:
            return  # a tombstone waiting, as it was
        self.settlements[uid] = Settlement(uid, row, replicas, tuple(drops), forget=forget)

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

    def _owner(self, user: str | None, winners: list[str], assigned: tuple[str, ...]) -> str | None:
        """The unit an appointment-wide item (a studio write, a conflict) is listed under."""
        for candidate in (user, *winners, *assigned, *(c.id for c in self.cals)):
            if candidate is not None and candidate in self.actions:
                return candidate
        return None
