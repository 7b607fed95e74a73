"""A local Calendar v3 service that behaves like Google where a sync client depends on it.

``CalendarService`` serves the Calendar API subset a sync client uses (calendarList, calendars, events,
the batch endpoint) over real HTTP on loopback, with Google's ids, etags, sync tokens, pagination,
tombstones and error JSON, persisted in SQLite, plus injectable faults and request counts for tests::

    with CalendarService(data_dir) as service:
        token = service.add_account("amanda@studio.example", time_zone="America/Chicago")
        # build the real client against service.root_url + "calendar/v3/"
"""

from __future__ import annotations

from adapters.google.emulator.accounting import CallRecord
from adapters.google.emulator.errors import EmulatorError
from adapters.google.emulator.faults import KINDS as FAULT_KINDS
from adapters.google.emulator.faults import FaultInjector
from adapters.google.emulator.server import CalendarService

__all__ = ["FAULT_KINDS", "CalendarService", "CallRecord", "EmulatorError", "FaultInjector"]
