"""The rows of the state file as plain frozen values, and the read-only snapshot the planner sees.

:class:`StateView` is gathered once per run and handed to the pure planner; nothing in it talks to the
database.  Record JSON stays a string until the planner needs the appointment (an idle run over a large
studio never parses it: the fingerprint and day columns answer "is anything to do?").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

from syncengine.model import CALENDAR_FIELDS, STUDIO_REPLICA_FIELDS, Appointment


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One appointment's last merged record and its studio replica."""

    uid: str
    record: str
    cal_fp: str
    studio_fp: str
    first_day: str
    last_day: str
    status: str
    users: tuple[str, ...]
    #: "studio" for an appointment the studio exported first, "google" for one adopted from a calendar.
    origin: str = "studio"
    source_id: str | None = None
    #: fingerprint of what the export last showed; None: the studio has never exported it.
    shown_fp: str | None = None
    #: JSON of what the export last showed, only when it differs from the record.
    shown: str | None = None
    #: outbox mode: fingerprint of what was last sent and not yet seen back in an export.
    sent_fp: str | None = None

    def appointment(self) -> Appointment:
        return Appointment.from_canonical(json.loads(self.record))

    def shown_appointment(self) -> Appointment | None:
        if self.shown_fp is None:
            return None
        return Appointment.from_canonical(json.loads(self.shown)) if self.shown else self.appointment()

    @staticmethod
    def of(
        appointment: Appointment,
        *,
        origin: str,
        source_id: str | None,
        shown: Appointment | None,
        shown_fp: str | None = None,
        sent_fp: str | None,
        canonical: dict[str, Any] | None = None,
        cal_fp: str | None = None,
        studio_fp: str | None = None,
    ) -> RecordRow:
        """The row for ``appointment`` with its studio replica (``shown``: what the export showed).

        ``canonical``, ``cal_fp``, ``studio_fp`` and ``shown_fp`` may be passed when already known.
        """
        canonical = canonical or appointment.to_canonical()
        studio_fp = studio_fp or appointment.fingerprint(STUDIO_REPLICA_FIELDS)
        if shown is not None and shown_fp is None:
            shown_fp = shown.fingerprint(STUDIO_REPLICA_FIELDS)
        shown_json = None
        if shown is not None and shown_fp != studio_fp:
            shown_json = json.dumps(shown.to_canonical(), sort_keys=True)
        return RecordRow(
            uid=appointment.uid,
            record=json.dumps(canonical, sort_keys=True),
            cal_fp=cal_fp or appointment.fingerprint(CALENDAR_FIELDS),
            studio_fp=studio_fp,
            first_day=day_of(appointment.start),
            last_day=day_of(appointment.end),
            status=appointment.status,
            users=appointment.users,
            origin=origin,
            source_id=source_id,
            shown_fp=shown_fp,
            shown=shown_json,
            sent_fp=sent_fp,
        )


@dataclass(frozen=True, slots=True)
class ReplicaRow:
    """One appointment on one user's calendar, as it was at the last sync."""

    uid: str
    user: str
    event_id: str
    etag: str | None
    fp: str
    #: JSON of CALENDAR_FIELDS, only when it differs from the record's.
    content: str | None = None
    generation: int = 0


@dataclass(frozen=True)
class ConflictRow:
    """One conflict: the base and both values (JSON text), and how it was resolved."""

    id: int
    uid: str
    field: str
    base: Any
    studio: Any
    google: Any
    user: str | None
    policy: str
    #: "studio" | "google" (the side that won) | "pending" (manual, waiting for a person)
    resolution: str
    time: datetime
    take: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "field": self.field,
            "base": self.base,
            "studio": self.studio,
            "google": self.google,
            "user": self.user,
            "policy": self.policy,
            "resolution": self.resolution,
            "take": self.take,
            "time": self.time.isoformat(),
        }


@dataclass(frozen=True)
class RunRow:
    """One user's part of one run, from the run history."""

    run_id: str
    user: str
    started: datetime
    ended: datetime
    outcome: str
    counts: Mapping[str, int]
    trigger: str
    error: str | None = None


@dataclass(frozen=True)
class StateView:
    """Everything the planner needs from the state file, read once."""

    studio: str = ""
    records: Mapping[str, RecordRow] = field(default_factory=dict)
    #: user -> uid -> replica
    replicas: Mapping[str, Mapping[str, ReplicaRow]] = field(default_factory=dict)
    cursors: Mapping[str, str] = field(default_factory=dict)
    #: (user, direction) pairs of one-time backfills already done
    populated: frozenset[tuple[str, str]] = frozenset()
    #: uid -> side a person chose with `conflicts resolve`
    takes: Mapping[str, str] = field(default_factory=dict)
    #: uid -> fields with `manual` conflicts still waiting
    pending: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: uid -> field -> the kept value of the side a person chose (a conflict re-resolved after the
    #: policy settled it: applied where this run's merge does not contest the field)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def by_event(self) -> dict[str, dict[str, str]]:
        """user -> event id -> uid."""
        return {user: {r.event_id: uid for uid, r in rows.items()} for user, rows in self.replicas.items()}

    @property
    def last_studio_count(self) -> int | None:
        value = self.meta.get("studio_count")
        return int(value) if value is not None else None


def day_of(value: date | datetime) -> str:
    """The calendar day (UTC for instants) as ISO text; sortable, so window checks compare strings."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date().isoformat()
    return value.isoformat()
