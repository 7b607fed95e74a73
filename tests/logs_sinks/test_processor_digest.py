"""The processor and the email sink together: the processor's own notes join the run's one digest."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from smtp_support import Received

from syncengine.config.model import (
    EmailConfig,
    GoogleAccount,
    ProcessorConfig,
    SinkConfig,
    SmtpConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.errors import AuthError
from syncengine.logs.base import LogBus
from syncengine.logs.email import EmailSink
from syncengine.ports import Diagnostic, SourceRead
from syncengine.processor import ManualClock, Processor, RunRequest


@dataclass(frozen=True)
class Outcome:
    outcome: str
    error: object = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    exit_code: int
    users: dict[str, Outcome]
    reads: tuple[SourceRead, ...]
    run_id: str


def test_one_digest_holds_the_run_the_rejected_drop_and_the_paused_user(tmp_path: Path,
                                                                         smtp_server: Received) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    broken = drops / "broken.csv"
    broken.write_text('"oops')
    config = StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings("Bright Light Portraits", "America/Chicago", tmp_path / "state" / "state.db"),
        sources=(SourceConfig("drops", "csv", drops),),
        users=(UserConfig("amanda", "Amanda P", GoogleAccount("amanda@example.com")),),
        processor=ProcessorConfig(interval=timedelta(seconds=60)),
        email=EmailConfig(SmtpConfig("127.0.0.1", smtp_server.port, timeout=5.0), "sync@studio.example"),
    )
    sink = EmailSink(SinkConfig("email", "warning", (("to", ("owner@studio.example",)),)), config)
    calls: list[RunRequest] = []

    def run(config: StudioConfig, request: RunRequest, stop: threading.Event, bus: LogBus) -> Report:
        calls.append(request)
        run_id = f"r{len(calls)}"
        bus.emit("run-start", "info", "run started", run_id=run_id)
        diagnostic = Diagnostic("error", "unterminated quote", file=str(broken), line=1)
        bus.emit("warning", "warning", str(diagnostic), run_id=run_id, origin=f"{broken}:1")
        read = SourceRead("drops", (), (diagnostic,), complete=False, files=(broken,), rejected=(broken,))
        bus.emit("run-end", "warning", "run ended", run_id=run_id)
        return Report(1, {"amanda": Outcome("failed", AuthError("amanda", "invalid_grant"))}, (read,), run_id)

    bus = LogBus([sink])
    clock = ManualClock()
    processor = Processor(config, run, bus, clock=clock)
    processor.step()
    clock.advance(60)
    processor.step()  # amanda is paused: no run, no second mail
    bus.close()
    assert len(calls) == 1 and bus.sink_failures == []
    [(_, message)] = smtp_server.messages
    body = message.get_payload(decode=True).decode()
    assert f"{broken}:1: unterminated quote" in body  # the runner's warning, with file and line
    assert "broken.csv could not be read; moved to rejected/" in body  # the processor's note
    assert "syncing for amanda is paused" in body and "syncengine auth login amanda" in body
    assert (drops / "rejected" / "broken.csv.reason.txt").exists()
