"""ICS exports (a file or a folder of one-event files): reading, outbox and in-place write-back.

``format: ics`` in a ``sources:`` entry builds :class:`IcsSource` (entry point ``syncengine.sources``).
"""

from __future__ import annotations

from adapters.ics.parse import read_ics_file
from adapters.ics.source import IcsSource
from adapters.ics.write import event_for, render_appointments, render_calendar, render_changes

__all__ = [
    "IcsSource",
    "event_for",
    "read_ics_file",
    "render_appointments",
    "render_calendar",
    "render_changes",
]
