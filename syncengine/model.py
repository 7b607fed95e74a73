"""The canonical appointment: what every adapter reads into and writes from.

Normalisation happens once, when an :class:`Appointment` is built, so two appointments that mean the same
thing compare equal and have the same fingerprint whichever side they came from:

- text: Unicode NFC; CRLF and lone CR become LF (Windows exports, Google's API both send CRLF at times);
  trailing blanks on each line and blank lines at either end are dropped (spreadsheet padding);
  single-line fields (title, location, type, client, session) fold runs of white space to one space.
- times: timed appointments carry aware datetimes; the fingerprint uses the UTC instant, so the same
  moment written in another zone (a calendar in another zone, a travelling user) is no change.
  Microseconds are dropped: no side keeps them.
- all-day appointments carry dates, the end exclusive (as in iCalendar and Google).
- names in ``assigned`` and ``resources`` keep the studio's order but are de-duplicated.

The fingerprint is a SHA-256 over a canonical JSON serialisation of a chosen set of fields, never Python's
``hash()``: it must be the same in every process and every version that keeps this canonical form.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args

Status = Literal["confirmed", "tentative", "cancelled"]
Role = Literal["photographer", "assistant", "assigned"]
STATUSES: tuple[str, ...] = get_args(Status)
ROLES: tuple[str, ...] = get_args(Role)

#: Fields either side may change; these merge three-way.
SYNCED_FIELDS: tuple[str, ...] = ("title", "start", "end", "all_day", "location", "description", "status")
#: Fields only the studio changes; calendars show them (in the details block) but cannot change them.
STUDIO_FIELDS: tuple[str, ...] = ("type", "client", "session")
#: What a calendar replica shows: its fingerprint covers exactly these.
CALENDAR_FIELDS: tuple[str, ...] = (*SYNCED_FIELDS, *STUDIO_FIELDS)
#: What the studio replica shows.
STUDIO_REPLICA_FIELDS: tuple[str, ...] = (*CALENDAR_FIELDS, "assigned", "resources", "extra")

_SPACE_RUN = re.compile(r"\s+")
_SINGLE_LINE = ("title", "location", "type", "client", "session")


@dataclass(frozen=True)
class Assignment:
    """A studio user assigned to an appointment, in one role."""

    user: str
    role: Role = "assigned"


@dataclass(frozen=True)
class Origin:
    """Where a record was read from, for messages; never part of a fingerprint."""

    file: str
    line: int | None = None


@dataclass(frozen=True)
class Appointment:
    """One studio appointment in canonical form (see the module docstring for the rules)."""

    uid: str
    title: str
    start: datetime | date
    end: datetime | date
    timezone: str
    all_day: bool = False
    location: str = ""
    description: str = ""
    status: Status = "confirmed"
    type: str = ""
    client: str = ""
    session: str = ""
    assigned: tuple[Assignment, ...] = ()
    resources: tuple[str, ...] = ()
    #: Columns or properties syncengine does not interpret, kept so a write-back preserves them.
    extra: tuple[tuple[str, str], ...] = ()
    origin: Origin | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in _SINGLE_LINE:
            object.__setattr__(self, name, normalise_line(getattr(self, name)))
        object.__setattr__(self, "description", normalise_text(self.description))
        object.__setattr__(self, "uid", self.uid.strip())
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        start, end = self.start, self.end
        if self.all_day:
            start, end = _as_date(start), _as_date(end)
        else:
            start, end = _as_instant(start, "start"), _as_instant(end, "end")
        if end < start:
            raise ValueError(f"appointment {self.uid}: end {end} is before start {start}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "assigned", tuple(dict.fromkeys(self.assigned)))
        object.__setattr__(self, "resources", tuple(dict.fromkeys(normalise_line(r) for r in self.resources)))
        object.__setattr__(self, "extra", tuple((str(k), str(v)) for k, v in self.extra))

    @property
    def users(self) -> tuple[str, ...]:
        """The ids of assigned users, each once, in the studio's order."""
        return tuple(dict.fromkeys(a.user for a in self.assigned))

    def evolve(self, **changes: Any) -> Appointment:
        """A copy with some fields changed (normalised again)."""
        return replace(self, **changes)

    def canonical(self, names: Iterable[str] = STUDIO_REPLICA_FIELDS) -> dict[str, Any]:
        """The JSON-ready canonical value of the named fields."""
        return {name: canonical_value(name, getattr(self, name)) for name in names}

    def fingerprint(self, names: Iterable[str] = STUDIO_REPLICA_FIELDS) -> str:
        """A stable digest of the named fields (hex SHA-256 of canonical JSON)."""
        return digest(self.canonical(names))

    @classmethod
    def from_canonical(cls, data: Mapping[str, Any]) -> Appointment:
        """Rebuild from :meth:`canonical` output of every field (as stored in the state file)."""
        all_day = bool(data.get("all_day", False))
        parse = date.fromisoformat if all_day else datetime.fromisoformat
        return cls(
            uid=data["uid"],
            title=data.get("title", ""),
            start=parse(data["start"]),
            end=parse(data["end"]),
            timezone=data.get("timezone", "UTC"),
            all_day=all_day,
            location=data.get("location", ""),
            description=data.get("description", ""),
            status=data.get("status", "confirmed"),
            type=data.get("type", ""),
            client=data.get("client", ""),
            session=data.get("session", ""),
            assigned=tuple(Assignment(a["user"], a["role"]) for a in data.get("assigned", ())),
            resources=tuple(data.get("resources", ())),
            extra=tuple((k, v) for k, v in data.get("extra", ())),
        )

    def to_canonical(self) -> dict[str, Any]:
        """Every field in canonical form; the inverse of :meth:`from_canonical`."""
        names = [f.name for f in fields(self) if f.name != "origin"]
        return self.canonical(names)


def normalise_text(text: str) -> str:
    """Multi-line text: NFC, LF line ends, no trailing blanks, no blank lines at either end."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n").strip()


def normalise_line(text: str) -> str:
    """Single-line text: NFC, white space runs (including newlines) folded to one space."""
    return _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", text)).strip()


def canonical_value(name: str, value: Any) -> Any:
    """The JSON form of one field value."""
    if isinstance(value, datetime):
        # The instant, in UTC: zone-equivalent times are the same appointment.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if name == "assigned":
        return [{"user": a.user, "role": a.role} for a in value]
    if name == "extra":
        return [[k, v] for k, v in value]
    if isinstance(value, tuple):
        return list(value)
    return value


def digest(data: Any) -> str:
    """Hex SHA-256 of canonical JSON (sorted keys, no spaces, UTF-8)."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _as_instant(value: datetime | date, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} of a timed appointment must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value!r}")
    return value.replace(microsecond=0)
