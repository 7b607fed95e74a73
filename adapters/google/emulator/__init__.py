"""A local Calendar v3 service that behaves like Google where a sync client depends on it.

``CalendarService`` serves the Calendar API subset a sync client uses over real HTTP on loopback:
``calendarList.list/get``, ``calendars.get/patch/update``, ``events.list/get/insert/import/update/patch/
delete/instances``, ``settings``, ``colors`` and the batch endpoint, with Google's ids, etags, sync
tokens, stable pages, tombstones and error JSON, persisted in SQLite.  Tests and benchmarks add faults,
latency and request counts, from Python or through ``/_admin/``::

    with CalendarService(data_dir) as service:
        token = service.add_account("amanda@studio.example", time_zone="America/Chicago")
        # build the real client with client_options={"api_endpoint": service.root_url + "calendar/v3/"}
        # and batches with BatchHttpRequest(batch_uri=service.root_url + "batch/calendar/v3")

Not served: ACLs, secondary calendar creation, ``events.move``/``quickAdd``/``watch``, ``fields``
filtering (the parameter is accepted and ignored).  One service per data folder at a time.

Module map: ``server`` (HTTP + :class:`CalendarService`), ``api`` (router, auth, calendars),
``writes`` (event writes), ``listing`` (events.list), ``tokens``, ``recurrence``, ``resource`` (event
rules), ``batch``, ``faults``, ``accounting``, ``admin``, ``store`` (SQLite), ``cli``.
"""

from __future__ import annotations

from adapters.google.emulator.accounting import CallRecord
from adapters.google.emulator.errors import EmulatorError
from adapters.google.emulator.faults import KINDS as FAULT_KINDS
from adapters.google.emulator.faults import FaultInjector
from adapters.google.emulator.server import CalendarService

__all__ = ["FAULT_KINDS", "CalendarService", "CallRecord", "EmulatorError", "FaultInjector"]
