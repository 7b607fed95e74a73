"""The Google Calendar adapter (and its embedded Calendar v3 service, in ``emulator``).

Registered as the ``google`` entry point of ``syncengine.calendars``; ``auth`` (``syncengine auth ...``)
is registered in ``syncengine.commands``.
"""

from __future__ import annotations

from adapters.google.backend import GoogleCalendarBackend
from adapters.google.session import GoogleCalendarSession

__all__ = ["GoogleCalendarBackend", "GoogleCalendarSession"]
