"""Every cell of the case table, each reached through a real sequence of edits and syncs.

Each test builds the situation the cell names with the memory adapters, plans (a dry run), checks that
the planner saw exactly that (studio presence, calendar presence) and decided the cell's fate, and
checks the writes the fate implies; then it applies and checks that an immediate re-sync plans nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from reconcile_support import World, appt, make_world, user

from syncengine.ids import derive_event_id
from syncengine.reconcile.cases import CASE_TABLE, Fate, Presence

UID = "A1"
Setup = Callable[[World], str]


def synced(w: World, *users: str, **kw: object) -> None:
    w.source.put(appt(UID, *(users or ("amanda",)), **kw))  # type: ignore[arg-type]
    assert w.sync().exit_code == 0


def event(w: World, user_id: str = "amanda", uid: str = UID):
    return w.events(user_id)[uid]


def stray(w: World, title: str = "Copied by hand") -> None:
    """An event carrying our uid appears on amanda's calendar without a replica in the state."""
    w.cal("amanda").add(
        appt(UID, "ben", title=title), ours=True, event_id=derive_event_id("Bright Light", "x", UID)
    )


def adopted(w: World) -> str:
    """amanda made an event on Google; it was adopted (uid google-<id>) and sent to the studio's outbox."""
    entry = w.cal("amanda").add(appt("tmp", title="Made on Google", client="", type=""))
    assert w.sync().exit_code == 0
    return entry.appointment.uid


def shown_edited(w: World, uid: str) -> None:
    """The studio imported the outbox and edited the appointment before the next export."""
    w.source.import_outbox()
    w.source.put(w.source.get(uid).evolve(location="Studio B"))


def cell_new_new(w: World) -> str:
    w.source.put(appt(UID, "amanda"))
    w.cal("amanda").add(
        appt(UID, "amanda", title="Edited before the state was lost"),
        ours=True,
        event_id=derive_event_id("Bright Light", "amanda", UID),
    )
    return UID


def cell_new_changed(w: World) -> str:
    uid = adopted(w)
    shown_edited(w, uid)
    w.cal("amanda").edit(event(w, uid=uid).event_id, title="Renamed on Google")
    return uid


def cell_new_unchanged(w: World) -> str:
    uid = adopted(w)
    shown_edited(w, uid)
    return uid


def cell_new_deleted(w: World) -> str:
    uid = adopted(w)
    shown_edited(w, uid)
    w.cal("amanda").delete(event(w, uid=uid).event_id)
    return uid


def cell_new_absent(w: World) -> str:
    w.source.put(appt(UID, "amanda"))
    return UID


def cell_changed_new(w: World) -> str:
    synced(w, "ben")
    w.source.put(w.source.get(UID).evolve(location="Studio B"))
    stray(w)
    return UID


def cell_changed_changed(w: World) -> str:
    synced(w)
    w.source.put(w.source.get(UID).evolve(location="Studio B"))
    w.cal("amanda").edit(event(w).event_id, title="Renamed on Google")
    return UID


def cell_changed_unchanged(w: World) -> str:
    synced(w)
    w.source.put(w.source.get(UID).evolve(title="Renamed in the studio"))
    return UID


def cell_changed_deleted(w: World) -> str:
    synced(w)
    w.source.put(w.source.get(UID).evolve(title="Renamed in the studio"))
    w.cal("amanda").delete(event(w).event_id)
    return UID


def cell_changed_absent(w: World) -> str:
    synced(w, day=400)  # beyond the window: not on the calendar
    w.source.put(w.source.get(UID).evolve(start=appt(UID).start, end=appt(UID).end))
    return UID


def cell_unchanged_new(w: World) -> str:
    synced(w, "ben")
    stray(w)
    return UID


def cell_unchanged_changed(w: World) -> str:
    synced(w)
    w.cal("amanda").edit(event(w).event_id, title="Renamed on Google")
    return UID


def cell_unchanged_unchanged(w: World) -> str:
    synced(w)
    w.backend.fail_writes("ben", 1)  # ben's copy lags behind: it is written again
    w.source.put(w.source.get(UID).evolve(assigned=appt(UID, "amanda", "ben").assigned))
    w.sync()
    return UID


def cell_unchanged_deleted(w: World) -> str:
    synced(w)
    w.cal("amanda").delete(event(w).event_id)
    return UID


def cell_unchanged_absent(w: World) -> str:
    w.backend.fail_writes("amanda", 1)
    synced_with_failure = appt(UID, "amanda")
    w.source.put(synced_with_failure)
    assert w.sync().exit_code == 1
    return UID


def cell_deleted_new(w: World) -> str:
    synced(w, "ben")
    w.source.remove(UID)
    stray(w)
    return UID


def cell_deleted_changed(w: World) -> str:
    synced(w)
    w.source.remove(UID)
    w.cal("amanda").edit(event(w).event_id, title="Renamed on Google")
    return UID


def cell_deleted_unchanged(w: World) -> str:
    synced(w)
    w.source.remove(UID)
    return UID


def cell_deleted_deleted(w: World) -> str:
    synced(w)
    w.source.remove(UID)
    w.cal("amanda").delete(event(w).event_id)
    return UID


def cell_deleted_absent(w: World) -> str:
    w.source.put(appt(UID))  # assigned to nobody: on no calendar
    assert w.sync().exit_code == 0
    w.source.remove(UID)
    return UID


def cell_absent_new(w: World) -> str:
    return w.cal("amanda").add(appt("tmp", title="Made on Google", client="", type="")).appointment.uid


def cell_absent_changed(w: World) -> str:
    uid = adopted(w)
    w.cal("amanda").edit(event(w, uid=uid).event_id, title="Renamed on Google")
    return uid


def cell_absent_unchanged(w: World) -> str:
    return adopted(w)


def cell_absent_deleted(w: World) -> str:
    uid = adopted(w)
    w.cal("amanda").delete(event(w, uid=uid).event_id)
    return uid


def cell_absent_absent(w: World) -> str:
    uid = cell_absent_deleted(w)
    assert w.sync().exit_code == 0  # cancelled for the studio; the tombstone waits
    return uid


P = Presence
CELLS: dict[tuple[Presence, Presence], tuple[Setup, set[str]]] = {
    (P.NEW, P.NEW): (cell_new_new, {"update:studio"}),
    (P.NEW, P.CHANGED): (cell_new_changed, {"update:google", "update:studio"}),
    # the studio edited it after (or instead of) importing: the edit is re-sent over the waiting outbox
    (P.NEW, P.UNCHANGED): (cell_new_unchanged, {"update:google", "update:studio"}),
    (P.NEW, P.DELETED): (cell_new_deleted, {"create:google", "update:studio"}),
    (P.NEW, P.ABSENT): (cell_new_absent, {"create:google"}),
    (P.CHANGED, P.NEW): (cell_changed_new, {"delete:google", "update:google", "update:studio"}),
    (P.CHANGED, P.CHANGED): (cell_changed_changed, {"update:google", "update:studio"}),
    (P.CHANGED, P.UNCHANGED): (cell_changed_unchanged, {"update:google"}),
    (P.CHANGED, P.DELETED): (cell_changed_deleted, {"create:google"}),
    (P.CHANGED, P.ABSENT): (cell_changed_absent, {"create:google"}),
    (P.UNCHANGED, P.NEW): (cell_unchanged_new, {"delete:google", "update:google", "update:studio"}),
    (P.UNCHANGED, P.CHANGED): (cell_unchanged_changed, {"update:studio"}),
    (P.UNCHANGED, P.UNCHANGED): (cell_unchanged_unchanged, {"create:google"}),
    (P.UNCHANGED, P.DELETED): (cell_unchanged_deleted, {"delete:studio"}),
    (P.UNCHANGED, P.ABSENT): (cell_unchanged_absent, {"create:google"}),
    (P.DELETED, P.NEW): (cell_deleted_new, {"create:studio", "delete:google", "update:google"}),
    (P.DELETED, P.CHANGED): (cell_deleted_changed, {"create:studio"}),
    (P.DELETED, P.UNCHANGED): (cell_deleted_unchanged, {"delete:google"}),
    (P.DELETED, P.DELETED): (cell_deleted_deleted, set()),
    (P.DELETED, P.ABSENT): (cell_deleted_absent, set()),
    (P.ABSENT, P.NEW): (cell_absent_new, {"create:studio"}),
    (P.ABSENT, P.CHANGED): (cell_absent_changed, {"create:studio"}),  # never shown: sent whole
    (P.ABSENT, P.UNCHANGED): (cell_absent_unchanged, set()),
    (P.ABSENT, P.DELETED): (cell_absent_deleted, {"delete:studio"}),
    (P.ABSENT, P.ABSENT): (cell_absent_absent, set()),
}


def test_the_table_covers_every_cell() -> None:
    assert set(CASE_TABLE) == {(s, c) for s in Presence for c in Presence}
    assert set(CELLS) == set(CASE_TABLE)


@pytest.mark.parametrize("cell", list(CELLS), ids=lambda c: f"{c[0].value}-{c[1].value}")
def test_cell(tmp_path: Path, cell: tuple[Presence, Presence]) -> None:
    setup, expected_ops = CELLS[cell]
    # an unrelated appointment keeps the export from being empty (the empty-export gate is tested apart)
    w = make_world(tmp_path, appt("B1"), users=(user("amanda"), user("ben")))
    uid = setup(w)
    dry = w.sync(dry_run=True)
    fate = CASE_TABLE[cell]
    assert dry.plan.decisions[uid] == (cell[0].value, cell[1].value, fate.value)
    ops = {f"{a.op}:{a.target}" for a in dry.plan.actions if a.uid == uid}
    assert ops == expected_ops
    applied = w.sync()
    assert applied.exit_code == 0, applied.users
    again = w.sync()
    assert again.plan.empty, again.plan.actions
    with w.store() as store:
        row = store.view().records.get(uid)
    present = row is not None
    if fate is Fate.FORGET:
        # gone, or kept as a tombstone while a change sent to the outbox may still be waiting
        assert row is None or (row.status == "cancelled" and row.sent_fp is not None)
    if fate in (Fate.KEEP, Fate.RESTORE, Fate.ADOPT):
        assert present
