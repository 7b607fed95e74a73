"""Helpers for the reconciler tests: a studio config in tmp_path, a memory export and memory calendars."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.memory.calendar import MemoryCalendarBackend
from adapters.memory.source import MemorySource
from syncengine.config.model import (
    ConflictsConfig,
    GoogleAccount,
    SafetyConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
    UserSync,
    WritebackConfig,
)
from syncengine.logs.base import LogBus, RecordingSink
from syncengine.model import Appointment, Assignment
from syncengine.ports import SourceContext
from syncengine.reconcile.runner import RunReport, SyncOptions, sync
from syncengine.state.store import StateStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_PATHS = itertools.count()


def user(uid: str, direction: str = "two-way", **sync_kw: Any) -> UserConfig:
    return UserConfig(
        id=uid,
        name=uid.title(),
        google=GoogleAccount(account=f"{uid}@studio.example"),
        sync=UserSync(direction=direction, **sync_kw),  # type: ignore[arg-type]
    )


def make_config(
    tmp_path: Path,
    users: tuple[UserConfig, ...] = (),
    *,
    policy: str = "merge",
    prefer: str = "studio",
    writeback: str = "outbox",
    safety: SafetyConfig | None = None,
    timezone: str = "America/Chicago",
) -> StudioConfig:
    source = SourceConfig(id="appointments", format="memory", path=tmp_path / f"export-{next(_PATHS)}")
    return StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings(name="Bright Light", timezone=timezone, state=tmp_path / "state.db"),
        sources=(source,),
        users=users or (user("amanda"), user("ben")),
        writeback=WritebackConfig(mode=writeback, path=tmp_path / "outbox"),  # type: ignore[arg-type]
        conflicts=ConflictsConfig(policy=policy, prefer=prefer),  # type: ignore[arg-type]
        safety=safety or SafetyConfig(),
    )


def appt(uid: str, *users: str, day: int = 3, hour: int = 14, title: str = "", **kw: Any) -> Appointment:
    start = NOW.replace(hour=hour, minute=0) + timedelta(days=day)
    return Appointment(
        uid=uid,
        title=title or f"Portrait {uid}",
        start=start,
        end=start + timedelta(hours=1),
        timezone="America/Chicago",
        assigned=tuple(Assignment(u, "photographer" if i == 0 else "assistant") for i, u in enumerate(users)),
        client=kw.pop("client", f"Client {uid}"),
        type=kw.pop("type", "Portrait"),
        **kw,
    )


@dataclass
class World:
    """One studio: its config, its export (memory source), every user's calendar, and the state."""

    config: StudioConfig
    source: MemorySource
    backend: MemoryCalendarBackend
    sink: RecordingSink = field(default_factory=RecordingSink)
    now: datetime = NOW

    def sync(self, **options: Any) -> RunReport:
        self.sink = RecordingSink()
        return sync(
            self.config,
            SyncOptions(**options),
            bus=LogBus([self.sink]),
            now=self.now,
            calendars=self.backend,
            sources=[self.source],
        )

    def cal(self, user_id: str) -> Any:
        return self.backend.calendar(user_id)

    def store(self) -> StateStore:
        return StateStore.open(self.config.studio.state, self.config.studio.name, read_only=True)

    def events(self, user_id: str) -> dict[str, Any]:
        """uid -> entry on that calendar; fails on a duplicate uid."""
        out: dict[str, Any] = {}
        for entry in self.cal(user_id).live():
            assert entry.appointment.uid not in out, f"duplicate {entry.appointment.uid} on {user_id}"
            out[entry.appointment.uid] = entry
        return out


def make_world(tmp_path: Path, *appointments: Appointment, **config_kw: Any) -> World:
    config = make_config(tmp_path, **config_kw)
    source = MemorySource(config.sources[0], SourceContext(config, NOW))
    for a in appointments:
        source.put(a)
    return World(config, source, MemoryCalendarBackend())
