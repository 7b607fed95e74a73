"""Conflict policies, a modification beating a deletion, and `syncengine conflicts` over the state."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from reconcile_support import World, appt, make_world

from syncengine.errors import ConflictsPending


def both_edit(w: World, *, studio_title: str = "Studio title", google_title: str = "Google title") -> None:
    """The studio renames A1 and moves it; amanda renames it and sets a location."""
    w.sync()
    current = w.source.get("A1")
    w.source.put(
        current.evolve(
            title=studio_title, start=current.start + timedelta(hours=1), end=current.end + timedelta(hours=1)
        )
    )
    entry = w.events("amanda")["A1"]
    w.cal("amanda").edit(entry.event_id, title=google_title, location="Riverside Park")


def record(w: World):  # type: ignore[no-untyped-def]
    with w.store() as store:
        return store.view().records["A1"].appointment(), store.conflicts()


@pytest.mark.parametrize(("prefer", "title"), [("studio", "Studio title"), ("google", "Google title")])
def test_merge_is_per_field_and_same_field_conflicts_go_to_prefer(
    tmp_path: Path, prefer: str, title: str
) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), policy="merge", prefer=prefer)
    both_edit(w)
    report = w.sync()
    assert report.exit_code == 0
    merged, conflicts = record(w)
    assert merged.title == title
    assert merged.location == "Riverside Park"  # only Google changed it
    assert merged.start == appt("A1").start + timedelta(hours=1)  # only the studio changed it
    (conflict,) = conflicts
    assert (conflict.field, conflict.base, conflict.studio, conflict.google, conflict.resolution) == (
        "title",
        "Portrait A1",
        "Studio title",
        "Google title",
        prefer,
    )
    assert w.events("amanda")["A1"].appointment.title == title
    assert [e.data["field"] for e in w.sink.of("conflict")] == ["title"]
    assert w.sync().plan.empty


@pytest.mark.parametrize(("policy", "winner"), [("studio-wins", "studio"), ("google-wins", "google")])
def test_side_wins_policies_take_the_whole_version_and_keep_every_losing_value(
    tmp_path: Path, policy: str, winner: str
) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), policy=policy)
    both_edit(w)
    assert w.sync().exit_code == 0
    merged, conflicts = record(w)
    if winner == "studio":
        assert (merged.title, merged.location) == ("Studio title", "")
    else:
        assert (merged.title, merged.location) == ("Google title", "Riverside Park")
        assert merged.start == appt("A1").start  # the studio's move lost too
    assert {c.field for c in conflicts} == {"title", "location", "start", "end"}
    assert {c.resolution for c in conflicts} == {winner}
    assert w.sync().plan.empty


def test_newest_wins_compares_the_calendar_edit_with_the_export_time(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), policy="newest-wins")
    both_edit(w)  # the memory calendar's clock is in January 2026; the run's `now` (the export) is June
    assert w.sync().exit_code == 0
    merged, conflicts = record(w)
    assert merged.title == "Studio title"
    assert {c.resolution for c in conflicts} == {"studio"}


def test_manual_leaves_it_untouched_until_resolved(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), policy="manual")
    both_edit(w)
    first = w.sync()
    assert first.exit_code == 3
    assert isinstance(first.users["amanda"].error, ConflictsPending)
    assert first.plan.actions == ()
    assert w.events("amanda")["A1"].appointment.title == "Google title"
    again = w.sync()
    assert again.exit_code == 3
    with w.store() as store:
        assert len(store.conflicts(pending_only=True)) == 1  # not recorded twice
    with w.store() as store:
        pass
    from syncengine.state.store import StateStore

    with StateStore.open(w.config.studio.state, w.config.studio.name) as store:
        assert store.resolve("A1", "google") == 1
    resolved = w.sync()
    assert resolved.exit_code == 0
    merged, conflicts = record(w)
    assert (merged.title, merged.location) == ("Google title", "Riverside Park")
    assert [c.resolution for c in conflicts if c.field == "title"] == ["google"]
    assert w.sync().plan.empty


def test_a_modification_beats_a_deletion_and_says_so(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda", "ben"), appt("B1"))
    w.sync()
    w.cal("amanda").delete(w.events("amanda")["A1"].event_id)
    w.cal("ben").edit(w.events("ben")["A1"].event_id, title="Still on")
    report = w.sync()
    create = next(a for a in report.plan.actions if a.op == "create")
    assert create.user == "amanda" and create.reason.startswith("restored: a modification beats a deletion")
    assert w.events("amanda")["A1"].appointment.title == "Still on"
