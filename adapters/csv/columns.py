"""The declarative column mapping of CSV exports: canonical fields, the built-in presets, statuses.

A mapping says which header holds each canonical field.  It starts from the dialect's preset
(``dialect: spectra``) and ``columns:`` in the source config overrides single entries (studios rename
columns).  Header names match case-insensitively, ignoring surrounding blanks.  Every header the
mapping does not claim is kept verbatim in :attr:`Appointment.extra` and written back unchanged.

Canonical fields (the keys of ``columns:``):

=============  =============================================================================
id             the appointment id (default identity column)
session        session number
client         client name
type           appointment type
status         status label, mapped through ``statuses:``
title          the event title (Spectra "Description"; when empty: "Type – Client")
date           the date (3/8/2025, 03/08/2025 or 2025-03-08)
start_time     start time (2:30 PM, 2:30PM, 14:30, 14:30:00); empty: an all-day appointment
end_time       end time; empty: start + ``length``
length         length in minutes; on an all-day row a multiple of 1440 is that many days
end_date       last day of a multi-day all-day appointment (Spectra preset: ``End Date``, read when
               an export has that column; the Spectra grid itself has none)
photographer   user names, role photographer (several split on ``;`` or ``,``)
assistant      user names, role assistant
staff          user names, role assigned (not in the Spectra preset)
resources      rooms / equipment (shown in the event, never synced as a calendar)
location       the outside location (when empty, the resources become the location)
notes          the notes (the event description)
=============  =============================================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from syncengine.model import Status

FIELDS: tuple[str, ...] = (
    "id", "session", "client", "type", "status", "title", "date", "start_time", "end_time", "length",
    "end_date", "photographer", "assistant", "staff", "resources", "location", "notes",
)  # fmt: skip

#: Names studios may use in ``columns:`` for a canonical field.
ALIASES: Mapping[str, str] = {
    "uid": "id",
    "description": "notes",
    "start": "start_time",
    "end": "end_time",
    "duration": "length",
    "summary": "title",
}

PRESETS: Mapping[str, Mapping[str, str]] = {
    # The appointment grid of the legacy studio software, labels as it shows them.
    "spectra": {
        "id": "AppointmentID",
        "session": "Session Number",
        "client": "Client Name",
        "type": "Appointment Type",
        "status": "Status",
        "title": "Description",
        "date": "Date",
        "start_time": "Start Time",
        "end_time": "End Time",
        "length": "Length",
        "end_date": "End Date",
        "photographer": "Photographer",
        "assistant": "Assistant",
        "resources": "Resources",
        "location": "Outside Location",
        "notes": "Notes",
    },
}
#: The column order of a Spectra export, for files written before any export was read.
SPECTRA_HEADER: tuple[str, ...] = (
    "AppointmentID", "Session Number", "Client Name", "Appointment Type", "Status", "Description", "Date",
    "Start Time", "End Time", "Length", "Photographer", "Assistant", "Resources", "Outside Location",
    "Booked By", "Notes",
)  # fmt: skip
ACTION_COLUMN = "Action"

_DEFAULT_LABELS: Mapping[str, str] = {
    "confirmed": "Confirmed",
    "tentative": "Tentative",
    "cancelled": "Cancelled",
}


def header_key(name: str) -> str:
    """How header names compare: case-insensitive, blanks and a stray BOM ignored."""
    return name.strip().lstrip("\ufeff").strip().casefold()


def field_name(name: str) -> str | None:
    """The canonical field a ``columns:`` key means, or None if it is not one."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    key = ALIASES.get(key, key)
    return key if key in FIELDS else None


def mapping_for(dialect: str | None, columns: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Canonical field -> header name: the preset (default ``spectra``) overridden by ``columns``.

    Raises KeyError for an unknown dialect or field name (the config loader reports it).
    """
    preset = PRESETS[dialect or "spectra"]
    mapping = dict(preset)
    for name, header in columns:
        field = field_name(name)
        if field is None:
            raise KeyError(name)
        mapping[field] = header
    return mapping


@dataclass(frozen=True)
class Statuses:
    """Status labels -> canonical status, with the default rule for labels not configured."""

    #: casefolded label -> status
    labels: Mapping[str, Status]
    #: the configured labels as spelled in ``statuses:``, in order (what :meth:`label` writes)
    spelled: tuple[tuple[str, Status], ...] = ()

    @classmethod
    def from_config(cls, pairs: Iterable[tuple[str, str]]) -> Statuses:
        labels: dict[str, Status] = {}
        spelled: list[tuple[str, Status]] = []
        for label, status in pairs:
            if status not in _DEFAULT_LABELS:
                raise ValueError(
                    f"status {status!r} for label {label!r} is not confirmed/tentative/cancelled"
                )
            labels[label.strip().casefold()] = status  # type: ignore[assignment]
            spelled.append((label.strip(), status))  # type: ignore[arg-type]
        return cls(labels, tuple(spelled))

    def parse(self, label: str) -> Status:
        key = label.strip().casefold()
        if key in self.labels:
            return self.labels[key]
        if "cancel" in key:
            return "cancelled"
        if any(word in key for word in ("tentative", "pending", "hold")):
            return "tentative"
        return "confirmed"

    def label(self, status: Status) -> str:
        """The default label for ``status``: the first configured one, else Confirmed/Tentative/Cancelled."""
        for label, value in self.spelled:
            if value == status:
                return label
        for key, value in self.labels.items():
            if value == status:
                return key.title()
        return _DEFAULT_LABELS[status]


class StatusLabels:
    """Which status label a write-back puts in a row: the studio's own wording, not a rewrite of it.

    - an appointment the export had keeps the label its row had in the export last read (``seen``,
      uid -> label as written), as long as that label still means the appointment's status;
    - otherwise (a new appointment, or the status changed) the label the export uses most for the new
      status (ties: the one seen first), else :meth:`Statuses.label`.
    """

    def __init__(self, statuses: Statuses, seen: Mapping[str, str] | None = None) -> None:
        self.statuses = statuses
        self.seen: Mapping[str, str] = seen or {}
        self.usual: dict[Status, str] = {}
        for label, _count in Counter(v for v in self.seen.values() if v).most_common():
            self.usual.setdefault(statuses.parse(label), label)

    def label(self, uid: str, status: Status) -> str:
        previous = self.seen.get(uid)
        if previous is not None and self.statuses.parse(previous) == status:
            return previous
        return self.usual.get(status) or self.statuses.label(status)


def split_names(cell: str) -> list[str]:
    """Names in one cell, split on ``;`` or ``,``; blanks dropped."""
    if not cell:
        return []
    return [name.strip() for name in cell.replace(";", ",").split(",") if name.strip()]
