"""Test support for the processor: a studio config with a drop folder, and a run callable that records.

:class:`RecordingRun` stands in for the reconciler's ``sync``: it reads the drop folder the way a folder
source does (every ``*.csv`` lying there), reports a scripted outcome per user, and emits run-start and
run-end on the bus it is given, so every processor path (schedule, drops, backoff, digests) runs for real.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from syncengine.config.model import (
    Credentials,
    GoogleAccount,
    GoogleConfig,
    ProcessorConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.logs.base import LogBus
from syncengine.ports import Diagnostic, SourceRead
from syncengine.processor.runs import RunRequest


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


def make_config(tmp_path: Path, users: tuple[str, ...] = ("amanda", "ben"), *, enabled: bool = True,
                debounce: float = 2.0, interval: float = 300.0, watch: bool = True) -> StudioConfig:
    drops = tmp_path / "drops"
    drops.mkdir(exist_ok=True)
    tokens = tmp_path / "tokens"
    tokens.mkdir(exist_ok=True)
    return StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings(name="Test Studio", timezone="America/Chicago", state=tmp_path / "state.db"),
        sources=(SourceConfig(id="drops", format="csv", path=drops),),
        users=tuple(UserConfig(id=u, name=u.title(), google=GoogleAccount(account=f"{u}@example.com"))
                    for u in users),
        google=GoogleConfig(credentials=Credentials(type="oauth", token_dir=tokens)),
        processor=ProcessorConfig(enabled=enabled, interval=timedelta(seconds=interval), watch=watch,
                                  debounce=timedelta(seconds=debounce)),
    )


class RecordingRun:
    """A run callable that records each request and answers with scripted outcomes."""

    def __init__(self) -> None:
        self.calls: list[RunRequest] = []
        self.outcomes: dict[str, Outcome] = {}
        #: files a run rejects (as a source would an unreadable export)
        self.reject: set[str] = set()
        self.raises: list[Exception] = []
        self.during: Callable[[], None] | None = None
        self.seen_files: list[tuple[str, ...]] = []
        self.contents: list[dict[str, str]] = []
        self.stop_seen: list[bool] = []
        self.warnings: list[tuple[str, str]] = []
        self._ids = itertools.count(1)

    def __call__(self, config: StudioConfig, request: RunRequest, stop: threading.Event,
                 bus: LogBus) -> Report:
        self.calls.append(request)
        if self.raises:
            raise self.raises.pop(0)
        run_id = f"run-{next(self._ids)}"
        bus.emit("run-start", "info", "run started", run_id=run_id, data={"trigger": request.trigger})
        reads = []
        for source in config.sources:
            files = tuple(sorted(source.path.glob("*.csv"))) if source.path.is_dir() else ()
            rejected = tuple(p for p in files if p.name in self.reject)
            diags = tuple(Diagnostic("error", "unterminated quote", file=str(p), line=3, code="rejected-file")
                          for p in rejected)
            reads.append(SourceRead(source.id, (), diagnostics=diags, complete=not rejected,
                                    files=files, rejected=rejected))
            self.seen_files.append(tuple(p.name for p in files))
            self.contents.append({p.name: p.read_text() for p in files})
        for text, origin in self.warnings:
            bus.emit("warning", "warning", text, run_id=run_id, origin=origin)
        if self.during is not None:
            self.during()
        self.stop_seen.append(stop.is_set())
        users = request.users or tuple(u.id for u in config.enabled_users)
        outcomes = {u: self.outcomes.get(u, Outcome("ok", counts={"created": 1})) for u in users}
        code = 1 if any(o.outcome == "failed" for o in outcomes.values()) else 0
        bus.emit("run-end", "info", "run ended", run_id=run_id, data={"exit_code": code})
        return Report(code, outcomes, tuple(reads), run_id)


def kinds(events: list[Any]) -> list[str]:
    return [e.kind for e in events]


SPECTRA_HEADER = ("AppointmentID,Session Number,Client Name,Appointment Type,Status,Description,Date,"
                  "Start Time,End Time,Length,Photographer,Assistant,Resources,Outside Location,"
                  "Booked By,Notes")


def spectra_rows(count: int, *, start_id: int = 1000, photographer: str = "Amanda P",
                 status: str = "Confirmed", hour: int = 10, first_day: int = 3) -> list[str]:
    """``count`` Spectra export rows, one a day from ``first_day`` days ahead (inside the sync window)."""
    rows = []
    for i in range(count):
        day = date.today() + timedelta(days=first_day + i % 300)
        rows.append(f"{start_id + i},S-{start_id + i},Client {i},Portrait,{status},Session {start_id + i},"
                    f"{day.month}/{day.day}/{day.year},{hour}:00 AM,{hour}:45 AM,45,{photographer},,"
                    "Studio A,,Front Desk,")
    return rows


def spectra_export(rows: list[str]) -> str:
    return "\r\n".join([SPECTRA_HEADER, *rows]) + "\r\n"


def studio_yaml(folder: Path, *, debounce: str = "1s", interval: str = "5m", extra: str = "") -> Path:
    """A studio.yaml with a drop folder source, two users and the embedded calendar service."""
    (folder / "drops").mkdir(parents=True, exist_ok=True)
    path = folder / "studio.yaml"
    path.write_text(f"""\
version: 1
studio:
  name: Drop Studio
  timezone: America/Chicago
  state: .syncengine/state.db
sources:
  - id: drops
    format: csv
    path: drops
    dialect: spectra
users:
  - id: amanda
    name: Amanda P
    google: {{account: amanda@example.com}}
  - id: marcus
    name: Marcus Reed
    google: {{account: marcus@example.com}}
google:
  endpoint: embedded
processor: {{interval: {interval}, debounce: {debounce}}}
{extra}""", encoding="utf-8")
    return path
