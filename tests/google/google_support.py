"""Helpers for the Google adapter tests: configs on the embedded service, appointments, writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.google.emulator import CalendarService
from syncengine.config.model import (
    Credentials,
    GoogleAccount,
    GoogleConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.ids import derive_event_id
from syncengine.model import Appointment
from syncengine.ports import CalendarWrite

STUDIO = "Test Studio"
ZONE = "America/Chicago"


@dataclass
class Sleeps:
    """An injected sleep: records the waits, never sleeps."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_config(tmp_path: Path, svc: CalendarService, users: dict[str, str], *, batch_size: int = 50,
                request_budget: int = 10_000, time_zone: str = "UTC") -> StudioConfig:
    """A config with one static-token user per ``{user id: account}`` on ``svc``."""
    entries = []
    for user_id, account in users.items():
        token = svc.add_account(account, time_zone=time_zone)
        creds = Credentials(type="static_token", token=token)
        entries.append(UserConfig(id=user_id, name=user_id.title(),
                                  google=GoogleAccount(account=account, credentials=creds)))
    return StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings(name=STUDIO, timezone=ZONE, state=tmp_path / ".syncengine" / "state.db"),
        sources=(),
        users=tuple(entries),
        google=GoogleConfig(endpoint=svc.root_url, batch_size=batch_size, request_budget=request_budget,
                            credentials=Credentials(type="static_token", token="unused")),
    )


def appointment(uid: str, day: int = 1, hour: int = 10, **kw: object) -> Appointment:
    start = datetime(2026, 6, day, hour, 0, tzinfo=ZoneInfo(ZONE))
    fields: dict[str, object] = dict(uid=uid, title=f"Session {uid}", start=start,
                                     end=start + timedelta(hours=1), timezone=ZONE, client="Jane Doe",
                                     type="Portrait", description="notes")
    fields.update(kw)
    return Appointment(**fields)  # type: ignore[arg-type]


def create(user: str, appt: Appointment, generation: int = 0) -> CalendarWrite:
    return CalendarWrite("create", appt.uid, derive_event_id(STUDIO, user, appt.uid, generation),
                         appointment=appt)
