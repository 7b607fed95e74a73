"""Safety gates (each refuses with exit 4 naming its override) and the state file's guarantees."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from reconcile_support import appt, make_world, user

from adapters.memory.calendar import SimulatedCrash
from syncengine.config.model import SafetyConfig, UserSync, Window
from syncengine.errors import GateRefused, LockHeldError, StateError
from syncengine.logs.base import LogBus, LogEvent, RecordSink
from syncengine.reconcile.render import plan_text
from syncengine.reconcile.runner import SyncOptions, sync
from syncengine.state.store import StateStore


def gate_of(report, user_id):  # type: ignore[no-untyped-def]
    error = report.users[user_id].error
    assert isinstance(error, GateRefused)
    return error


def test_mass_delete_is_refused_for_that_user_only_and_force_overrides(tmp_path: Path) -> None:
    many = [appt(f"A{i}", "amanda") for i in range(12)]
    others = [appt(f"C{i}") for i in range(20)]  # unassigned: keeps the export from shrinking sharply
    w = make_world(tmp_path, *many, *others, appt("B1", "ben"), appt("B2", "ben"))
    w.sync()
    for a in many:
        w.source.remove(a.uid)
    w.source.put(appt("B3", "ben"))
    report = w.sync()
    assert report.exit_code == 4
    error = gate_of(report, "amanda")
    assert (error.gate, error.override) == ("mass-delete", "--force")
    assert "12 of 12" in error.detail
    assert len(w.events("amanda")) == 12  # a refused user writes nothing
    assert "B3" in w.events("ben")  # the others still sync
    assert plan_text(report.plan).startswith("plan (applied; refused for amanda: nothing written for them)")
    assert w.sync().exit_code == 4  # still refused: nothing moved forward
    forced = w.sync(force=True)
    assert forced.exit_code == 0
    assert w.events("amanda") == {}


def test_few_deletions_pass_even_above_the_percentage(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), appt("A2", "amanda"), appt("B1"))
    w.sync()
    w.source.remove("A1")
    w.source.remove("A2")
    assert w.sync().exit_code == 0


def test_an_empty_export_is_refused_for_everyone(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"), appt("B1", "ben"))
    w.sync()
    w.source.remove("A1")
    w.source.remove("B1")
    report = w.sync()
    assert report.exit_code == 4
    assert {gate_of(report, u).gate for u in ("amanda", "ben")} == {"source-shrunk"}
    text = plan_text(report.plan)
    assert text.startswith("plan (refused: nothing written)\n") and "(refused: nothing written)\n" in text
    assert set(w.events("amanda")) == {"A1"}
    assert w.sync().exit_code == 4
    assert w.sync(force=True).exit_code == 0
    assert w.events("amanda") == {}


def test_a_sharp_shrink_is_refused(tmp_path: Path) -> None:
    w = make_world(tmp_path, *(appt(f"A{i}") for i in range(30)), safety=SafetyConfig(max_delete_min=5))
    w.sync()
    for i in range(20):
        w.source.remove(f"A{i}")
    report = w.sync()
    assert gate_of(report, "amanda").gate == "source-shrunk"
    assert "30 to 10" in gate_of(report, "amanda").detail


def test_most_events_moving_by_one_offset_is_refused(tmp_path: Path) -> None:
    w = make_world(tmp_path, *(appt(f"A{i}", "amanda", day=i + 1) for i in range(8)))
    w.sync()
    for i in range(8):
        a = w.source.get(f"A{i}")
        w.source.put(a.evolve(start=a.start + timedelta(hours=1), end=a.end + timedelta(hours=1)))
    report = w.sync()
    error = gate_of(report, "amanda")
    assert error.gate == "time-shift" and "+1 h" in error.detail
    assert w.sync(force=True).exit_code == 0


def test_a_time_shift_spread_over_users_is_refused_for_the_whole_studio(tmp_path: Path) -> None:
    held = {"amanda": 6, "ben": 2, "cara": 1}
    appointments = [appt(f"{u}{i}", u, day=i + 1) for u, n in held.items() for i in range(n)]
    w = make_world(tmp_path, *appointments, users=(user("amanda"), user("ben"), user("cara")))
    w.sync()
    before = {u: {uid: e.appointment.start for uid, e in w.events(u).items()} for u in held}
    for a in appointments:
        w.source.put(a.evolve(start=a.start + timedelta(hours=1), end=a.end + timedelta(hours=1)))
    report = w.sync()
    assert report.exit_code == 4
    for u in held:
        error = gate_of(report, u)
        assert error.gate == "time-shift" and "9 of 9" in error.detail
    assert {u: {uid: e.appointment.start for uid, e in w.events(u).items()} for u in held} == before
    assert w.sync(force=True).exit_code == 0
    assert all(e.appointment.start.hour == 15 for u in held for e in w.events(u).values())


def test_a_scope_change_needs_resync(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    narrow = replace(w.config.users[0], sync=UserSync(window=Window(past_days=7, future_days=30)))
    w.config = replace(w.config, users=(narrow, w.config.users[1]))
    report = w.sync()
    error = gate_of(report, "amanda")
    assert (error.gate, error.override) == ("scope", "--resync")
    assert report.users["ben"].outcome == "ok"
    assert w.sync(force=True).exit_code == 4  # --force is not the override for this one
    assert w.sync(resync=True).exit_code == 0
    assert w.sync().exit_code == 0


def test_a_studio_zone_change_needs_resync(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    w.config = replace(w.config, studio=replace(w.config.studio, timezone="America/Denver"))
    report = w.sync()
    assert gate_of(report, "amanda").gate == "studio-scope"
    assert w.sync(resync=True).exit_code == 0


def test_dry_run_writes_nothing_at_all(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    report = w.sync(dry_run=True)
    assert report.plan.dry_run and len(report.plan.actions) == 1
    assert not w.config.studio.state.exists()
    assert not Path(f"{w.config.studio.state}.lock").exists()
    assert w.events("amanda") == {} and w.source.pending == ()
    w.sync()
    before = w.config.studio.state.read_bytes()
    w.cal("amanda").edit(w.events("amanda")["A1"].event_id, title="Changed")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(w.sync(dry_run=True).plan.actions) == 1
    assert w.config.studio.state.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no -wal, no -shm either
    assert w.source.pending == ()


class Persisting(RecordSink):
    """A sink that persists what it records: dry runs must reach it not at all."""

    records_dry_runs = False

    def __init__(self) -> None:
        super().__init__("debug")
        self.kept: list[LogEvent] = []

    def record(self, event: LogEvent) -> None:
        self.kept.append(event)

    on_run_start = on_plan = on_action = on_conflict = RecordSink._maybe
    on_warning = on_error = on_watch_event = on_run_end = RecordSink._maybe


def test_a_dry_run_after_an_interrupted_run_persists_no_log_event(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.backend.crash_after(0)
    with contextlib.suppress(SimulatedCrash):
        w.sync()
    w.backend.crash_after(None)
    sink = Persisting()
    sync(w.config, SyncOptions(dry_run=True), bus=LogBus([sink]), now=w.now, calendars=w.backend,
         sources=[w.source])  # fmt: skip
    assert sink.kept == []
    sink = Persisting()
    sync(w.config, SyncOptions(), bus=LogBus([sink]), now=w.now, calendars=w.backend, sources=[w.source])
    assert [e.kind for e in sink.kept][:2] == ["run-start", "warning"]
    assert "interrupted" in sink.kept[1].message


def test_a_second_run_waits_for_the_lock(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    with StateStore.open(w.config.studio.state, w.config.studio.name) as holder:
        holder.acquire_lock()
        with pytest.raises(LockHeldError) as caught:
            w.sync()
        assert "pid" in caught.value.holder
    assert w.sync().exit_code == 0


def test_another_schema_version_or_studio_is_a_clear_error(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda"))
    w.sync()
    with pytest.raises(StateError, match="belongs to studio 'Bright Light'"):
        StateStore.open(w.config.studio.state, "Another Studio")
    with sqlite3.connect(w.config.studio.state) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(StateError, match="schema version 99") as caught:
        w.sync()
    assert caught.value.exit_code == 2
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StateError):
        StateStore.open(garbage, "x")


def test_the_run_history_and_status_read_api(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("A1", "amanda", "ben"), users=(user("amanda"), user("ben")))
    w.backend.fail_open("ben")
    w.sync()
    with w.store() as store:
        runs = store.last_runs()
        assert runs["amanda"].outcome == "ok" and runs["amanda"].counts["create:google"] == 1
        assert runs["ben"].outcome == "failed" and "calendar unavailable" in (runs["ben"].error or "")
        assert store.view().cursors["amanda"].startswith("seq:")
        assert "ben" not in store.view().cursors
