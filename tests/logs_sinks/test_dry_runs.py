"""A dry run writes nothing and sends nothing: no digest, no rate-limit state, no run log, no JSON lines.

The runner marks a dry run in its events (``dry_run: true`` in ``run-start``, ``plan`` and ``run-end``);
the sinks that persist or send leave such a run out, and ``build_sinks(dry_run=True)`` does not build them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from smtp_support import Received

from syncengine.cli import main
from syncengine.config.loader import load_config
from syncengine.config.model import (
    EmailConfig,
    GoogleAccount,
    SinkConfig,
    SmtpConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.logs.base import LogBus, RecordingSink
from syncengine.logs.console import ConsoleSink
from syncengine.logs.email import STATE_NAME, EmailSink
from syncengine.logs.jsonl import JsonlSink
from syncengine.logs.registry import build_sinks
from syncengine.logs.sqlite import SqliteSink, read_log

WriteConfig = Callable[..., Path]

HEADER = (
    "AppointmentID,Session Number,Client Name,Appointment Type,Status,Description,Date,Start Time,"
    "End Time,Length,Photographer,Assistant,Resources,Outside Location,Booked By,Notes"
)
CONFIG = """\
version: 1
studio:
  name: Dry Portraits
  timezone: America/Chicago
  state: .syncengine/state.db
sources:
  - {id: appointments, format: csv, path: exports/appointments.csv, dialect: spectra}
users:
  - id: amanda
    name: Amanda P
    google: {account: amanda@dry.example}
google:
  endpoint: embedded
email:
  smtp: {host: 127.0.0.1, port: PORT}
  from: sync@dry.example
  max_per_hour: 1
logging:
  sinks:
    - {type: console, level: error}
    - {type: jsonl, path: logs/sync.jsonl}
    - {type: email, to: [owner@dry.example]}
"""


def _row(uid: str, when: str) -> str:
    return f"{uid},S-{uid},Client {uid},Portrait,Confirmed,Portrait {uid},{when},10:00 AM,11:00 AM,60," \
        "Amanda P,,Studio A,,Front Desk,"


@pytest.fixture
def studio_with_a_bad_row(tmp_path: Path, smtp_server: Received) -> Path:
    """A studio whose export has one row that cannot be read: every run has a warning to mail."""
    soon = date.today() + timedelta(days=3)
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "appointments.csv").write_text("\n".join([
        HEADER, _row("1", f"{soon.month:02d}/{soon.day:02d}/{soon.year}"), _row("2", f"02/30/{soon.year}"),
    ]) + "\n", encoding="utf-8")
    path = tmp_path / "studio.yaml"
    path.write_text(CONFIG.replace("PORT", str(smtp_server.port)), encoding="utf-8")
    return path


def test_a_dry_run_reconcile_sends_no_digest_and_writes_no_log(
    studio_with_a_bad_row: Path, smtp_server: Received, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = studio_with_a_bad_row.parent
    written = [folder / ".syncengine" / STATE_NAME, folder / ".syncengine" / "runlog.db",
               folder / "logs" / "sync.jsonl"]

    assert main(["reconcile", "-c", str(studio_with_a_bad_row), "--dry-run"]) == 0
    assert "plan (dry run)" in capsys.readouterr().out
    assert smtp_server.messages == []
    assert [p for p in written if p.exists()] == []

    # The same studio, for real: the digest goes out (the dry run used none of the hourly limit of 1),
    # and the run is in the run log and the JSON lines.
    assert main(["reconcile", "-c", str(studio_with_a_bad_row)]) == 0
    (message,) = smtp_server.to("owner@dry.example")
    assert "02/30/" in message.get_payload()
    assert [p for p in written if not p.exists()] == []


def studio(tmp_path: Path, port: int = 9) -> StudioConfig:
    return StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings(name="Dry Portraits", timezone="America/Chicago",
                              state=tmp_path / "state" / "state.db"),
        sources=(SourceConfig(id="appointments", format="csv", path=tmp_path / "exports"),),
        users=(UserConfig(id="amanda", name="Amanda P", google=GoogleAccount(account="amanda@example.com")),),
        email=EmailConfig(smtp=SmtpConfig(host="127.0.0.1", port=port, timeout=5.0),
                          sender="sync@studio.example", max_per_hour=1),
    )


def a_run(bus: LogBus, run_id: str, *, dry_run: bool, note_first: bool = False) -> None:
    """The runner's events, in its order (a note about the last run may come before ``run-start``)."""
    if note_first:
        bus.emit("warning", "warning", "the last run was interrupted after 2 write(s)", run_id=run_id)
    bus.emit("run-start", "info", "sync of 1 user(s)", run_id=run_id,
             data={"users": ["amanda"], "trigger": "reconcile", "dry_run": dry_run})
    bus.emit("warning", "warning", "row not read", run_id=run_id, origin="exports/a.csv:3")
    bus.emit("plan", "info", "amanda: 1 to create", run_id=run_id, user="amanda",
             data={"counts": {"create": 1}, "dry_run": dry_run})
    bus.emit("error", "error", "user amanda: calendar not found", run_id=run_id, user="amanda")
    bus.emit("run-end", "warning", "run ended with exit code 1", run_id=run_id,
             data={"exit_code": 1, "dry_run": dry_run})


def test_the_email_sink_leaves_a_dry_run_out_and_keeps_its_limit(tmp_path: Path,
                                                                  smtp_server: Received) -> None:
    config = studio(tmp_path, smtp_server.port)
    sink = EmailSink(SinkConfig(type="email", options=(("to", ("owner@studio.example",)),)), config,
                     clock=lambda: datetime(2026, 2, 1, 2, 0, tzinfo=UTC))
    bus = LogBus([sink])
    a_run(bus, "dry-1", dry_run=True, note_first=True)
    assert smtp_server.messages == [] and not sink.state_path.exists()
    a_run(bus, "real-1", dry_run=False, note_first=True)  # the limit is 1 an hour: this one is still allowed
    bus.close()  # nothing of the dry run is left over to go out at close either
    assert bus.sink_failures == [] and sink.sent_count == 1
    (message,) = smtp_server.to("owner@studio.example")
    assert "run real-1" in message["Subject"] and "dry-1" not in message.get_payload()
    assert "2 errors" not in message["Subject"]


def test_the_run_log_and_json_lines_leave_a_dry_run_out(tmp_path: Path) -> None:
    config = studio(tmp_path)
    run_log = SqliteSink(SinkConfig(type="sqlite"), config)
    lines = JsonlSink(SinkConfig(type="jsonl"), config)
    console = RecordingSink()  # stands in for the console: it shows a dry run
    bus = LogBus([run_log, lines, console])
    a_run(bus, "dry-1", dry_run=True)
    assert not run_log.path.exists() and not lines.path.exists()
    a_run(bus, "real-1", dry_run=False)
    bus.emit("watch", "info", "config reloaded")  # outside any run: kept
    bus.close()
    kept = read_log(run_log.path)
    assert {e.run_id for e in kept} == {"real-1", None} and len(kept) == 6
    assert "dry-1" not in lines.path.read_text(encoding="utf-8")
    assert len(lines.path.read_text(encoding="utf-8").splitlines()) == 6
    assert [e.run_id for e in console.events].count("dry-1") == 5


def test_build_sinks_for_a_dry_run_builds_only_what_neither_writes_nor_sends(
    write_config: WriteConfig,
) -> None:
    config = load_config(write_config(extra="""\
        email:
          smtp: {host: 127.0.0.1, port: 2525}
          from: sync@studio.example
        logging:
          sinks:
            - {type: console}
            - {type: jsonl, path: logs/sync.jsonl}
            - {type: sqlite}
            - {type: email, to: [owner@studio.example]}
        """))
    assert [type(s) for s in build_sinks(config, dry_run=True)] == [ConsoleSink]
    assert [type(s) for s in build_sinks(config)] == [ConsoleSink, JsonlSink, SqliteSink, EmailSink]
