"""What the studio expects of a sync, one behaviour per test, over the memory adapters."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from reconcile_support import NOW, appt, make_world, user

from syncengine.model import CALENDAR_FIELDS


def ops(report, uid=None):  # type: ignore[no-untyped-def]
    return sorted(f"{a.op}:{a.target}:{a.user}" for a in report.plan.actions if uid is None or a.uid == uid)


def test_an_appointment_lives_on_every_assigned_calendar_and_a_change_reaches_the_others(
    tmp_path: Path,
) -> None:
    w = make_world(tmp_path, appt("A1", "amanda", "ben"))
    assert ops(w.sync()) == ["create:google:amanda", "create:google:ben"]
    later = w.events("ben")["A1"].appointment.start + timedelta(hours=2)
    w.cal("ben").edit(w.events("ben")["A1"].event_id, start=later, end=later + timedelta(hours=1))
    report = w.sync()
    assert ops(report) == ["update:google:amanda", "update:studio:ben"]
    assert w.events("amanda")["A1"].appointment.start == later
    assert w.source.pending[-1].appointment.start == later
    assert w.sync().plan.empty


def test_reassignment_moves_the_event_between_calendars(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    w.source.put(appt("A1", "ben"))
    report = w.sync()
    assert ops(report) == ["create:google:ben", "delete:google:amanda"]
    assert "A1" not in w.events("amanda") and "A1" in w.events("ben")
    assert next(a for a in report.plan.actions if a.op == "delete").reason == "no longer assigned to amanda"


def test_a_new_google_event_becomes_a_studio_appointment_only_for_two_way_users(tmp_path: Path) -> None:
    w = make_world(tmp_path, users=(user("amanda"), user("ben"), user("carol", direction="push")))
    mine = w.cal("amanda").add(appt("x", title="Client call", client="", type=""))
    w.cal("carol").add(appt("y", title="Dentist", client="", type=""))
    report = w.sync()
    assert ops(report) == ["create:studio:amanda"]
    (change,) = w.source.pending
    assert change.action == "created" and change.appointment.uid == f"google-{mine.event_id}"
    assert [a.user for a in change.appointment.assigned] == ["amanda"]
    assert w.events("ben") == {}  # never goes to other users
    w.source.import_outbox()
    assert w.sync().plan.empty


def test_push_only_edits_are_reverted_and_logged(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "carol"), users=(user("carol", direction="push"),))
    w.sync()
    w.cal("carol").edit(w.events("carol")["A1"].event_id, title="Changed on Google")
    report = w.sync()
    assert ops(report) == ["update:google:carol"]
    assert report.plan.actions[0].reason == "reverted: carol syncs push-only"
    assert w.events("carol")["A1"].appointment.title == "Portrait A1"
    assert any("push-only" in e.message for e in w.sink.of("warning"))
    assert w.source.pending == ()


def test_a_push_only_deletion_is_reverted(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "carol"), users=(user("carol", direction="push"),))
    w.sync()
    w.cal("carol").delete(w.events("carol")["A1"].event_id)
    report = w.sync()
    assert ops(report) == ["create:google:carol"]
    assert "A1" in w.events("carol")


def test_tentative_google_events_are_skipped_unless_asked_for(tmp_path: Path) -> None:
    w = make_world(tmp_path, users=(user("amanda"), user("ben", include_tentative=True)))
    w.cal("amanda").add(appt("x", title="Maybe", status="tentative", client="", type=""))
    w.cal("ben").add(appt("y", title="Maybe too", status="tentative", client="", type=""))
    report = w.sync()
    assert ops(report) == ["create:studio:ben"]
    assert any("tentative" in n for n in report.plan.unit("amanda").notes)


def test_only_the_window_is_in_scope_and_leaving_it_never_deletes(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda", day=2), appt("FAR", "amanda", day=500))
    assert ops(w.sync()) == ["create:google:amanda"]  # FAR is beyond the window
    w.now = NOW + timedelta(days=60)  # A1 is now 58 days in the past: out of the window
    w.source.remove("A1")  # the export no longer lists old appointments
    report = w.sync()
    assert report.plan.empty
    assert "A1" in w.events("amanda")


def test_populate_to_google_pushes_beyond_the_window_once(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("FAR", "amanda", day=400), users=(user("amanda", populate="to-google"),))
    assert ops(w.sync()) == ["create:google:amanda"]
    w.source.put(appt("FAR2", "amanda", day=500))
    assert w.sync().plan.empty  # done once, remembered in the state
    with w.store() as store:
        assert ("amanda", "to-google") in store.view().populated


def test_populate_from_google_takes_existing_events_once(tmp_path: Path) -> None:
    w = make_world(tmp_path, users=(user("amanda", populate="from-google"),))
    w.cal("amanda").add(appt("x", day=900, title="Booked long ago", client="", type=""))
    assert ops(w.sync()) == ["create:studio:amanda"]
    w.cal("amanda").add(appt("y", day=901, title="Beyond the window", client="", type=""))
    assert w.sync().plan.empty


def test_cancelled_studio_appointments_are_removed_from_calendars(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda", "ben"))
    w.sync()
    w.source.put(w.source.get("A1").evolve(status="cancelled"))
    assert ops(w.sync()) == ["delete:google:amanda", "delete:google:ben"]
    assert w.events("amanda") == {} and w.events("ben") == {}
    assert w.sync().plan.empty


def test_an_incomplete_export_never_deletes(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), appt("A2", "amanda"))
    w.sync()
    w.source.make_incomplete(hide=["A2"])
    report = w.sync()
    assert report.plan.empty
    assert any(e.data.get("code") == "incomplete-source" for e in w.sink.of("warning"))
    assert "A2" in w.events("amanda")


def test_an_unreadable_row_keeps_its_last_version(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    w.cal("amanda").edit(w.events("amanda")["A1"].event_id, title="Edited meanwhile")
    w.source.fail_row("A1", "bad date in column Date")
    report = w.sync()
    assert ops(report) == []  # the calendar change is taken, but the studio is not written blind
    warning = next(e for e in w.sink.of("warning") if e.data.get("code") == "unreadable-row")
    assert warning.data["uid"] == "A1"
    assert "A1" in w.events("amanda")
    report = w.sync()
    assert ops(report) == ["update:studio:amanda"]


def test_a_failing_user_does_not_stop_the_others(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), appt("B1", "ben"))
    w.backend.fail_open("amanda")
    report = w.sync()
    assert report.exit_code == 1
    assert report.users["amanda"].outcome == "failed"
    assert report.users["ben"].outcome == "ok"
    assert "B1" in w.events("ben")
    assert ops(w.sync()) == ["create:google:amanda"]


def test_failed_writes_are_retried_and_precondition_failures_left_for_the_next_plan(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), appt("A2", "amanda"))
    w.backend.fail_writes("amanda", 1, "failed")
    first = w.sync()
    assert first.exit_code == 1 and first.users["amanda"].counts["failed"] == 1
    w.backend.fail_writes("amanda", 1, "precondition-failed")
    second = w.sync()
    assert second.exit_code == 0 and second.users["amanda"].counts["precondition-failed"] == 1
    assert len(ops(w.sync())) == 1
    assert set(w.events("amanda")) == {"A1", "A2"}


def test_a_lost_state_file_relinks_instead_of_duplicating(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{w.config.studio.state}{suffix}").unlink(missing_ok=True)
    report = w.sync()
    assert report.plan.actions == ()
    assert list(w.events("amanda")) == ["A1"]


def test_a_calendar_in_another_zone_or_travelling_user_is_no_change(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    entry = w.events("amanda")["A1"]
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    w.cal("amanda").edit(
        entry.event_id,
        start=entry.appointment.start.astimezone(tokyo),
        end=entry.appointment.end.astimezone(tokyo),
    )
    after = w.events("amanda")["A1"]
    assert after.etag != entry.etag
    assert after.appointment.fingerprint(CALENDAR_FIELDS) == entry.appointment.fingerprint(CALENDAR_FIELDS)
    assert w.sync().plan.empty


def test_stop_finishes_the_batch_in_flight_and_the_next_run_completes(tmp_path: Path) -> None:
    import threading

    from syncengine.logs.base import LogBus
    from syncengine.reconcile.runner import SyncOptions, sync

    w = make_world(tmp_path, *(appt(f"A{i}", "amanda") for i in range(120)))
    stop = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        stop.set()

    report = sync(
        w.config,
        SyncOptions(force=True),
        bus=LogBus(),
        now=NOW,
        calendars=w.backend,
        sources=[w.source],
        stop=stop,
        progress=progress,
    )
    assert report.exit_code == 0 and seen == [50]
    assert len(w.events("amanda")) == 50
    stop.clear()
    assert len(ops(w.sync())) == 70
    assert len(w.events("amanda")) == 120


def test_a_crash_between_two_writes_is_completed_by_the_next_run(tmp_path: Path) -> None:
    import pytest

    from adapters.memory.calendar import SimulatedCrash

    w = make_world(tmp_path, *(appt(f"A{i}", "amanda", "ben") for i in range(5)))
    w.backend.crash_after(3)
    with pytest.raises(SimulatedCrash):
        w.sync()
    assert len(w.events("amanda")) == 3 and w.events("ben") == {}
    report = w.sync()
    assert any("interrupted" in e.message for e in w.sink.of("warning"))
    assert report.exit_code == 0
    assert set(w.events("amanda")) == set(w.events("ben")) == {f"A{i}" for i in range(5)}
    assert w.sync().plan.empty
    with w.store() as store:
        assert store.pending_journal() == []


def test_only_the_selected_users_are_synced(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda", "ben"))
    report = w.sync(users=("ben",))
    assert [u.user for u in report.plan.units] == ["ben"]
    assert w.events("amanda") == {} and "A1" in w.events("ben")
    assert ops(w.sync()) == ["create:google:amanda"]


def test_a_failed_delete_is_retried_with_the_etag_last_read(tmp_path: Path) -> None:
    """Found by the state machine: the cursor moves past a read, so what it read must be stored."""
    w = make_world(tmp_path, appt("A1", "carol"), appt("B1"), users=(user("carol", direction="push"),))
    w.sync()
    w.source.remove("A1")
    w.cal("carol").edit(w.events("carol")["A1"].event_id, title="Edited meanwhile")
    w.backend.fail_writes("carol", 1, "failed")
    assert w.sync().exit_code == 1
    report = w.sync()
    assert report.users["carol"].counts == {"delete:google": 1}
    assert w.events("carol") == {}


def test_an_etag_change_without_a_content_change_is_stored(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    entry = w.events("amanda")["A1"]
    w.cal("amanda").edit(entry.event_id)  # re-saved: new etag, same content
    assert w.sync().plan.actions == ()
    w.source.put(w.source.get("A1").evolve(title="Renamed in the studio"))
    report = w.sync()
    assert report.users["amanda"].counts == {"update:google": 1}  # not a stale If-Match


def test_a_studio_deletion_calls_off_a_change_still_in_the_outbox(tmp_path: Path) -> None:
    """Found by the state machine: importing the outbox later must not bring the appointment back."""
    w = make_world(tmp_path, appt("A1", "ben"), appt("B1"))
    w.sync()
    w.cal("ben").edit(w.events("ben")["A1"].event_id, title="Renamed on Google")
    w.sync()
    assert [c.action for c in w.source.pending] == ["updated"]
    w.source.remove("A1")
    report = w.sync()
    assert sorted(f"{a.op}:{a.target}" for a in report.plan.actions) == ["delete:google", "delete:studio"]
    assert [c.action for c in w.source.pending] == ["updated", "cancelled"]
    assert w.sync().plan.empty
    w.source.import_outbox()
    assert w.source.get("A1").status == "cancelled"
    assert w.sync().plan.empty
