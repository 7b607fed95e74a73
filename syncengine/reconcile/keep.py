"""Planning an appointment that stays: merge its sides' changes, then write every replica that differs.

This is the KEEP / RESTORE branch of the case table (see ``planner`` for the theory of operation): each
changed replica proposes the fields it changed against its own base; the merge decides; then every
calendar of an assigned, enabled user in the window gets the event (others lose it), and the studio gets
an outbox change unless it already shows, or was already sent, the merged record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from syncengine.ids import derive_event_id
from syncengine.model import CALENDAR_FIELDS, STUDIO_REPLICA_FIELDS, SYNCED_FIELDS, Appointment, digest
from syncengine.reconcile.cases import Presence, diff, field_changes
from syncengine.reconcile.merge import Proposal, merge
from syncengine.reconcile.plan import Action, Op, Settlement
from syncengine.reconcile.sides import CalendarView
from syncengine.state.view import RecordRow, ReplicaRow, day_of

if TYPE_CHECKING:
    from syncengine.reconcile.planner import Planner

P = Presence


def keep(
    self: Planner,
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
    old_cal = {n: record[n] for n in CALENDAR_FIELDS}
    studio_prop = None
    if cur is not None and rec is not None and sp in (P.NEW, P.CHANGED):
        shown = rec.shown_appointment()
        shown_c = (
            shown.canonical(STUDIO_REPLICA_FIELDS) if shown else {n: record[n] for n in STUDIO_REPLICA_FIELDS}
        )
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
    contested = {c.field for c in result.conflicts}
    for f, value in self.state.overrides.get(uid, {}).items():
        if f in result.values and f not in contested:
            result.values[f] = value  # a re-resolved conflict: the chosen side's kept value
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
                why = _create_reason(self, cal, rec, restore, deleted_on)
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
            why = _update_reason(self, cal, result.studio_took, result.google_winners, pres[cal.id])
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
    forget = new.status == "cancelled" and cur is None and not self.unseen and sent_fp is None
    acted = sum(len(a) for a in self.actions.values()) != before
    if row != rec or replicas or drops or settle or forget or acted:
        self.settlements[uid] = Settlement(
            uid, row, tuple(replicas), tuple(drops), forget=forget, settle_conflicts=settle
        )


def _create_reason(
    self: Planner, cal: CalendarView, rec: RecordRow | None, restore: bool, deleted_on: list[CalendarView]
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


def _update_reason(
    self: Planner, cal: CalendarView, studio_took: bool, winners: list[str], p: Presence
) -> str:
    if p in (P.CHANGED, P.NEW) and not cal.two_way:
        return f"reverted: {cal.id} syncs push-only"
    if winners and winners != [cal.id]:
        return f"changed on {', '.join(w for w in winners if w != cal.id)}'s calendar"
    if studio_took:
        return "changed in the studio"
    if p in (P.CHANGED, P.NEW):
        return "reverted: studio-owned details or a losing edit"
    return "the calendar does not show the merged record yet"


def _build(values: Mapping[str, Any], fallback: Mapping[str, Any], prefer: str) -> Appointment:
    """The merged appointment; a merge that mixed one side's start with the other's end falls back."""
    try:
        return Appointment.from_canonical(values)
    except ValueError:
        mixed = dict(values)
        for name in ("start", "end", "all_day"):
            mixed[name] = fallback[name]
        return Appointment.from_canonical(mixed)
