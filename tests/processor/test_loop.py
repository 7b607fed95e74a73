"""The processor loop, driven step by step with a manual clock and a recording run callable."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from processor_support import Outcome, RecordingRun, make_config

from syncengine.errors import (
    AuthError,
    ConfigError,
    ConfigProblem,
    LockHeldError,
    StateError,
    TransientError,
    UsageError,
)
from syncengine.logs.base import LogBus, RecordingSink
from syncengine.processor import ManualClock, Processor
from syncengine.processor.lock import ProcessorLock, is_held
from syncengine.processor.status_file import read_status


def build(tmp_path: Path, run: RecordingRun, **kw) -> tuple[Processor, ManualClock, RecordingSink]:
    clock = ManualClock()
    sink = RecordingSink()
    processor = Processor(make_config(tmp_path, **kw), run, LogBus([sink]), clock=clock)
    return processor, clock, sink


def drop(processor: Processor, name: str, text: str = "AppointmentID\n1\n") -> Path:
    path = processor.config.sources[0].path / name
    path.write_text(text)
    processor.notify_file("drops", path)
    return path


def settle(processor: Processor, clock: ManualClock, seconds: float) -> list:
    """Step the processor over ``seconds`` of its clock in small increments; returns the reports."""
    reports = []
    for _ in range(int(seconds / 0.25)):
        clock.advance(0.25)
        report = processor.step()
        if report is not None:
            reports.append(report)
    return reports


def test_syncs_once_at_start_then_every_interval(tmp_path: Path, recording_run: RecordingRun) -> None:
    processor, clock, _ = build(tmp_path, recording_run, interval=60)
    assert processor.step() is not None
    assert recording_run.calls[0].triggers == ("start",) and recording_run.calls[0].users == ()
    assert processor.step() is None
    clock.advance(59)
    assert processor.step() is None and processor.next_wake() == pytest.approx(1.0)
    clock.advance(1)
    processor.step()
    assert [c.triggers for c in recording_run.calls] == [("start",), ("interval",)]


def test_a_burst_of_drops_becomes_one_run_after_the_quiet_period(tmp_path: Path,
                                                                   recording_run: RecordingRun) -> None:
    processor, clock, sink = build(tmp_path, recording_run)
    processor.step()
    paths = []
    for i in range(10):
        paths.append(drop(processor, f"export-{i}.csv"))
        clock.advance(0.5)
        assert processor.step() is None  # still inside the quiet period
    reports = settle(processor, clock, 4.0)
    assert len(reports) == 1
    request = recording_run.calls[-1]
    assert request.triggers == ("file",) and request.files == tuple(sorted(paths))
    processed = tmp_path / "drops" / "processed"
    assert sorted(p.name for p in processed.iterdir()) == sorted(p.name for p in paths)
    assert not any(p.exists() for p in paths)
    assert any("moved to processed" in e.message for e in sink.events)


def test_runs_wait_while_a_file_is_still_being_written(tmp_path: Path, recording_run: RecordingRun) -> None:
    processor, clock, _ = build(tmp_path, recording_run, interval=5)
    processor.step()
    path = drop(processor, "slow.csv", "AppointmentID\n")
    for _ in range(12):  # the interval comes and goes while the file keeps growing
        clock.advance(0.5)
        with path.open("a") as handle:
            handle.write("1\n")
        assert processor.step() is None
    reports = settle(processor, clock, 3.5)
    assert len(reports) == 1
    assert recording_run.calls[-1].triggers == ("interval", "file")
    assert recording_run.seen_files[-1] == ("slow.csv",)


def test_a_rejected_drop_moves_to_rejected_with_its_reason(tmp_path: Path,
                                                           recording_run: RecordingRun) -> None:
    processor, clock, sink = build(tmp_path, recording_run)
    processor.step()
    recording_run.reject = {"broken.csv"}
    broken = drop(processor, "broken.csv", '"oops')
    good = drop(processor, "good.csv")
    assert len(settle(processor, clock, 4.0)) == 1
    rejected = tmp_path / "drops" / "rejected"
    assert (rejected / "broken.csv").read_text() == '"oops'
    assert "unterminated quote" in (rejected / "broken.csv.reason.txt").read_text()
    assert (tmp_path / "drops" / "processed" / "good.csv").exists()
    assert not broken.exists() and not good.exists()
    warning = next(e for e in sink.of("warning") if "could not be read" in e.message)
    assert warning.origin == str(broken)


@pytest.mark.parametrize("outcome", ["failed", "gated"])
def test_drops_stay_when_a_user_did_not_sync(tmp_path: Path,
                                             recording_run: RecordingRun, outcome: str) -> None:
    processor, clock, _ = build(tmp_path, recording_run)
    processor.step()
    recording_run.outcomes = {"ben": Outcome(outcome, TransientError("ben", "503") if outcome == "failed"
                                             else None)}
    path = drop(processor, "a.csv")
    assert len(settle(processor, clock, 4.0)) == 1
    assert path.exists()


def test_a_drop_rewritten_during_the_run_stays_for_the_next_run(tmp_path: Path,
                                                                 recording_run: RecordingRun) -> None:
    processor, clock, _ = build(tmp_path, recording_run)
    processor.step()
    path = drop(processor, "a.csv")

    def rewrite() -> None:
        time.sleep(0.01)  # a visible mtime step on every file system this runs on
        path.write_text("AppointmentID\n1\n2\n")
        os.utime(path, (time.time() + 1, time.time() + 1))

    recording_run.during = rewrite
    assert len(settle(processor, clock, 4.0)) == 1
    assert path.exists()


def test_transient_failures_leave_the_user_out_then_retry_alone(tmp_path: Path,
                                                                recording_run: RecordingRun) -> None:
    processor, clock, sink = build(tmp_path, recording_run, interval=600)
    recording_run.outcomes = {"ben": Outcome("failed", TransientError("ben", "503 from the server"))}
    processor.step()
    assert processor.next_wake() == pytest.approx(30.0)
    drop(processor, "a.csv")
    settle(processor, clock, 4.0)
    assert recording_run.calls[-1].users == ("amanda",)  # ben is backing off
    recording_run.outcomes = {}
    clock.advance(26.0)
    processor.step()
    assert recording_run.calls[-1].users == ("ben",) and recording_run.calls[-1].triggers == ("retry",)
    assert any("retrying in 30s" in e.message for e in sink.of("warning"))
    clock.advance(600)
    processor.step()
    assert recording_run.calls[-1].users == ()  # everyone healthy again


def test_an_auth_failure_pauses_the_user_and_notifies_once(tmp_path: Path,
                                                           recording_run: RecordingRun) -> None:
    processor, clock, sink = build(tmp_path, recording_run, interval=60)
    recording_run.outcomes = {"amanda": Outcome("failed", AuthError("amanda", "invalid_grant"))}
    processor.step()
    for _ in range(5):
        clock.advance(60)
        processor.step()
    assert [c.users for c in recording_run.calls] == [(), *[("ben",)] * 5]
    notices = [e for e in sink.of("error") if "paused" in e.message]
    assert len(notices) == 1 and notices[0].user == "amanda"
    assert notices[0].run_id == "run-1"
    # the notice is part of the failed run: it reaches the sinks before that run's run-end
    run_one = [e.kind for e in sink.events if e.run_id == "run-1"]
    assert run_one.index("error") < run_one.index("run-end")
    recording_run.outcomes = {}
    (tmp_path / "tokens" / "amanda.json").write_text("{}")  # `syncengine auth login amanda`
    processor.step()
    assert recording_run.calls[-1].users == ("amanda",) and recording_run.calls[-1].triggers == ("resume",)
    status = read_status(processor.status_file)
    assert status["users"]["amanda"]["outcome"] == "ok" and not status["health"]["amanda"]["paused"]


def test_a_run_refused_by_a_held_lock_is_tried_again(tmp_path: Path, recording_run: RecordingRun) -> None:
    processor, clock, sink = build(tmp_path, recording_run)
    recording_run.raises = [LockHeldError(tmp_path / "state.db", "pid 99")]
    assert processor.step() is None
    assert processor.next_wake() == pytest.approx(5.0)
    clock.advance(4.9)
    processor.step()
    assert len(recording_run.calls) == 1
    clock.advance(0.1)
    assert processor.step() is not None
    assert recording_run.calls[-1].triggers == ("start",)
    assert any("trying again" in e.message for e in sink.of("warning"))
    assert "run-end" in sink.kinds()


def test_an_unexpected_error_in_a_run_does_not_stop_the_processor(tmp_path: Path,
                                                                  recording_run: RecordingRun) -> None:
    processor, clock, sink = build(tmp_path, recording_run)
    recording_run.raises = [RuntimeError("bug")]
    processor.step()
    assert "RuntimeError: bug" in sink.of("error")[0].message
    clock.advance(30)
    assert processor.step() is not None


def test_status_file_tells_the_next_scheduled_run(tmp_path: Path, recording_run: RecordingRun) -> None:
    processor, _, _ = build(tmp_path, recording_run, interval=300)
    processor.step()
    status = read_status(processor.status_file)
    assert status["running"] and status["runs"] == 1
    assert status["next_interval_run"] == "2026-01-05T09:05:00Z"
    assert status["users"]["ben"]["counts"] == {"created": 1}


def test_refuses_to_start_when_disabled(tmp_path: Path, recording_run: RecordingRun) -> None:
    processor, _, _ = build(tmp_path, recording_run, enabled=False)
    with pytest.raises(UsageError, match=r"processor\.enabled"):
        processor.run_forever()
    assert recording_run.calls == []


def test_a_second_processor_on_the_same_state_is_refused(tmp_path: Path, recording_run: RecordingRun) -> None:
    processor, _, _ = build(tmp_path, recording_run)
    with ProcessorLock(processor.config.studio.state):
        assert is_held(processor.config.studio.state)
        with pytest.raises(LockHeldError) as info:
            processor.run_forever()
        assert str(os.getpid()) in info.value.holder
    assert not is_held(processor.config.studio.state)
    assert recording_run.calls == []


def test_a_changed_config_is_reloaded_and_a_broken_one_is_refused(tmp_path: Path,
                                                                   recording_run: RecordingRun) -> None:
    config = make_config(tmp_path)
    config.path.write_text("version: 1\n")
    reloads: list[int] = []
    broken = {"now": False}

    def reload():
        reloads.append(1)
        if broken["now"]:
            raise ConfigError([ConfigProblem(config.path, 3, 1, "unknown key 'userz'")])
        return make_config(tmp_path, users=("amanda", "ben", "cleo"))

    sink = RecordingSink()
    processor = Processor(config, recording_run, LogBus([sink]), clock=ManualClock(), reload=reload)
    processor.step()
    assert reloads == []
    os.utime(config.path, ns=(1, 1))
    processor.step()
    assert [u.id for u in processor.config.users] == ["amanda", "ben", "cleo"]
    broken["now"] = True
    os.utime(config.path, ns=(2, 2))
    processor.step()
    assert len(reloads) == 2 and [u.id for u in processor.config.users] == ["amanda", "ben", "cleo"]
    assert "unknown key 'userz'" in sink.of("error")[-1].message


def test_a_failing_sink_is_reported_to_the_others(tmp_path: Path, recording_run: RecordingRun) -> None:
    class Broken(RecordingSink):
        def on_run_end(self, event) -> None:
            raise OSError("disk full")

    sink = RecordingSink()
    processor = Processor(make_config(tmp_path), recording_run, LogBus([Broken(), sink]), clock=ManualClock())
    processor.step()
    [warning] = [e for e in sink.of("warning") if "log sink" in e.message]
    assert warning.message == "log sink Broken failed: disk full"
    assert processor.bus.sink_failures == []


def test_a_run_that_raises_still_ends_with_its_own_run_id(tmp_path: Path) -> None:
    def run(config, request, stop, bus):
        bus.run_id = "r-broken"
        bus.emit("run-start", "info", "run started")
        raise StateError(config.studio.state, "is from another studio")

    sink = RecordingSink()
    Processor(make_config(tmp_path), run, LogBus([sink]), clock=ManualClock()).step()
    [error] = sink.of("error")
    [end] = sink.of("run-end")
    assert error.run_id == end.run_id == "r-broken"  # a digest sink sends that run's events together
    assert "another studio" in error.message and "move the state file aside" in error.data["advice"]
