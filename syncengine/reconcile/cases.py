"""Per-replica presence, the one case table, and the symmetric field diff.

Each replica (the studio export, each user calendar) is compared with *its own* last-synced version by
:func:`presence`, which both sides share.  The appointment's fate then comes from :data:`CASE_TABLE`,
indexed by (studio presence, calendar presence), where calendar presence is the strongest presence over
the appointment's calendars that may change it (:func:`combine`: a change beats a new event, which beats
a deletion: a modification beats a deletion).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any


class Presence(Enum):
    NEW = "new"  # present, and this replica never held it at a sync (or held it under no shared history)
    CHANGED = "changed"  # present, and differs from what the replica held at the last sync
    UNCHANGED = "unchanged"  # present as it was (or out of scope: not seen, so taken as unchanged)
    DELETED = "deleted"  # held at the last sync, and now known to be gone
    ABSENT = "absent"  # neither held nor present


class Fate(Enum):
    KEEP = "keep"  # merge every side's changes into the record; write every replica that differs
    RESTORE = "restore"  # as KEEP, though a side deleted it: a modification beats a deletion
    DELETE = "delete"  # remove it from every calendar and cancel it for the studio
    ADOPT = "adopt"  # a person made it on a two-way calendar: it becomes a studio appointment
    FORGET = "forget"  # gone everywhere: drop the state


P, F = Presence, Fate

#: (studio presence, calendar presence) -> fate.  One comment per cell names the scenario.
CASE_TABLE: Mapping[tuple[Presence, Presence], Fate] = {
    # --- the studio exports it for the first time (no studio replica in the state) ---
    (P.NEW, P.NEW): F.KEEP,  # no shared history (state lost, or a run crashed after creating): link, merge
    (P.NEW, P.CHANGED): F.KEEP,  # the studio took in an adopted appointment that a calendar edited since
    (P.NEW, P.UNCHANGED): F.KEEP,  # the studio took in an adopted appointment: link the studio replica
    (P.NEW, P.DELETED): F.RESTORE,  # the studio shows it while a calendar deleted it: the studio's copy wins
    (P.NEW, P.ABSENT): F.KEEP,  # a new studio appointment: push it to its users' calendars
    # --- the export shows an edit ---
    (P.CHANGED, P.NEW): F.KEEP,  # studio edit, and the event re-linked on a calendar: merge both
    (P.CHANGED, P.CHANGED): F.KEEP,  # both edited: three-way merge per field, conflicts by policy
    (P.CHANGED, P.UNCHANGED): F.KEEP,  # a studio edit flows to every calendar
    (P.CHANGED, P.DELETED): F.RESTORE,  # studio edit vs a calendar deletion: the edit wins, recreate
    (P.CHANGED, P.ABSENT): F.KEEP,  # a studio edit to an appointment on no calendar yet (now assigned)
    # --- the export shows it as it was ---
    (P.UNCHANGED, P.NEW): F.KEEP,  # an event with its uid appeared (crash after create, lost replica): link
    (P.UNCHANGED, P.CHANGED): F.KEEP,  # a calendar edit flows to the studio and the other calendars
    (P.UNCHANGED, P.UNCHANGED): F.KEEP,  # nothing changed: only lagging replicas are written
    (P.UNCHANGED, P.DELETED): F.DELETE,  # deleted on a two-way calendar: remove everywhere, cancel in studio
    (P.UNCHANGED, P.ABSENT): F.KEEP,  # on no calendar: create it where it belongs
    # --- the export no longer has it (complete read, in scope) ---
    (P.DELETED, P.NEW): F.RESTORE,  # deleted in the studio while a calendar made a different copy: keep it
    (P.DELETED, P.CHANGED): F.RESTORE,  # deleted in the studio, edited on a calendar: the edit wins, re-sent
    (P.DELETED, P.UNCHANGED): F.DELETE,  # deleted in the studio: remove it from every calendar
    (P.DELETED, P.DELETED): F.FORGET,  # deleted on both sides: drop the state
    (P.DELETED, P.ABSENT): F.FORGET,  # deleted in the studio and on no calendar: drop the state
    # --- the studio never exported it (an appointment adopted from a calendar, or nothing) ---
    (P.ABSENT, P.NEW): F.ADOPT,  # a person created an event on a two-way calendar: a new studio appointment
    (P.ABSENT, P.CHANGED): F.KEEP,  # adopted and edited before the studio took it in: send the edit
    (P.ABSENT, P.UNCHANGED): F.KEEP,  # adopted, waiting for the studio to import it: nothing to do
    (P.ABSENT, P.DELETED): F.DELETE,  # adopted, then deleted on its calendar: cancel it for the studio
    (P.ABSENT, P.ABSENT): F.FORGET,  # held nowhere any more: drop the state
}

_STRENGTH = {P.CHANGED: 4, P.NEW: 3, P.DELETED: 2, P.UNCHANGED: 1, P.ABSENT: 0}


def presence(
    *,
    held_fp: str | None,
    current_fp: str | None,
    record_fp: str | None,
    known_gone: bool,
    also_same: str | None = None,
) -> Presence:
    """One replica's presence: ``held_fp`` is what it held at the last sync (None: never held),
    ``current_fp`` what it holds now (None: not present), ``record_fp`` the merged record's fingerprint
    over the same fields, ``known_gone`` whether absence means deletion (a complete read, in scope).

    ``also_same`` is a second fingerprint that counts as "as it was" (the value sent to an outbox).
    A new replica whose content equals the record is UNCHANGED: re-linking our own copy is no change.
    """
    if current_fp is not None:
        if held_fp is None:
            return P.UNCHANGED if current_fp in (record_fp, also_same) else P.NEW
        return P.UNCHANGED if current_fp in (held_fp, also_same) else P.CHANGED
    if held_fp is None:
        return P.ABSENT
    return P.DELETED if known_gone else P.UNCHANGED


def combine(presences: Iterable[Presence]) -> Presence:
    """The strongest presence over several calendars (ABSENT when there are none)."""
    return max(presences, key=_STRENGTH.__getitem__, default=P.ABSENT)


def fate(studio: Presence, calendar: Presence) -> Fate:
    return CASE_TABLE[(studio, calendar)]


def diff(base: Mapping[str, Any] | None, current: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``current`` that differ from ``base`` (canonical values); all if no base.

    The same function serves the studio side and every calendar: each is diffed against its own base.
    A change to any of start, end and all_day proposes all three: they only make sense together.
    """
    names = tuple(names)
    if base is None:
        return {n: current[n] for n in names}
    out = {n: current[n] for n in names if base.get(n) != current[n]}
    if out.keys() & _TIME_GROUP:
        out.update({n: current[n] for n in _TIME_GROUP if n in names})
    return out


def field_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], names: Iterable[str]
) -> tuple[tuple[str, Any, Any], ...]:
    """``(field, before, after)`` for every named field that differs (for update actions)."""
    old = before or {}
    return tuple((n, old.get(n), after[n]) for n in names if old.get(n) != after[n])


_TIME_GROUP = frozenset({"start", "end", "all_day"})
