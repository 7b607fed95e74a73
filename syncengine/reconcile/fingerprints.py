"""Fast replica fingerprints, equal to :meth:`Appointment.fingerprint` over the same fields.

An idle run hashes every appointment of the export once and nothing else, so this is the planner's
hottest line: the generic path builds the canonical form field by field through ``canonical_value``;
this one builds the same dictionary directly.  ``tests/reconcile/test_fingerprints.py`` checks that
both agree on generated appointments, so the two can never drift apart unnoticed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syncengine.model import Appointment, digest


def _moment(value: Any) -> str:
    if isinstance(value, datetime):
        # microseconds are already dropped by the model; isoformat is the C fast path
        return value.astimezone(UTC).isoformat()[:19] + "Z"
    return str(value.isoformat())


def _calendar_part(a: Appointment) -> dict[str, Any]:
    return {
        "title": a.title,
        "start": _moment(a.start),
        "end": _moment(a.end),
        "all_day": a.all_day,
        "location": a.location,
        "description": a.description,
        "status": a.status,
        "type": a.type,
        "client": a.client,
        "session": a.session,
    }


def calendar_fp(a: Appointment) -> str:
    """``a.fingerprint(CALENDAR_FIELDS)``."""
    return digest(_calendar_part(a))


def studio_fp(a: Appointment) -> str:
    """``a.fingerprint(STUDIO_REPLICA_FIELDS)``."""
    data = _calendar_part(a)
    data["assigned"] = [{"user": x.user, "role": x.role} for x in a.assigned]
    data["resources"] = list(a.resources)
    data["extra"] = [[k, v] for k, v in a.extra]
    return digest(data)
