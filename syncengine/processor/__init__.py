"""The sync processor behind ``syncengine run``: watch the drop folders, keep a schedule, stay up.

It replaces the legacy Control Center's "Google Sync Processor" job.  The pieces:

- :mod:`~syncengine.processor.watcher`: a watchdog observer on every source's folder;
- :mod:`~syncengine.processor.debounce` and :mod:`~syncengine.processor.drops`: a burst of file events
  becomes one run once the source has been quiet for ``processor.debounce`` and every dropped file is
  complete (temporary and partial files never count);
- :mod:`~syncengine.processor.loop`: the one loop that makes runs (never two at once) at start, on drops,
  every ``processor.interval`` and for retries, then moves the drops away;
- :mod:`~syncengine.processor.backoff`: per-user backoff on transient failures, and a pause with one
  notification when only a person can help (sign-in, calendar, permission);
- :mod:`~syncengine.processor.lock`, :mod:`~syncengine.processor.signals`,
  :mod:`~syncengine.processor.status_file`: one processor per state file, a gentle stop, and what
  ``syncengine status`` shows.

Drop folders
------------
A source whose ``path`` is a folder is a drop folder: the studio saves exports into it (``*.csv`` for a
csv source, ``*.ics`` for an ics one).  Once a run has synced a dropped file without any user failing, the
file moves to ``<folder>/processed/`` (a name already there gets a timestamp suffix); a file that could not
be read moves to ``<folder>/rejected/`` with ``<name>.reason.txt`` beside it saying why and what to do.
So the folder only ever holds drops not yet synced, and a stale drop is never synced again.  A drop whose
run failed for some user stays in the folder and is read again by the retry.

How a folder's files combine is ``sources[].combine``:

- ``newest`` (the default): the files in the folder together are one export; when an appointment appears
  in several, the row from the most recently modified file wins.  Appointments that are in none of the
  files are not deleted: a drop is news about the appointments it holds;
- ``separate``: each file is a set of its own, read and synced as it is.

Cancelling an appointment in the studio software (and exporting it) is how a drop removes an event.
"""

from __future__ import annotations

from syncengine.processor.backoff import UserHealth, user_fingerprint
from syncengine.processor.clock import Clock, ManualClock, SystemClock
from syncengine.processor.loop import Processor
from syncengine.processor.runs import ReconcileRun, RunReportLike, RunRequest, RunSync

__all__ = [
    "Clock",
    "ManualClock",
    "Processor",
    "ReconcileRun",
    "RunReportLike",
    "RunRequest",
    "RunSync",
    "SystemClock",
    "UserHealth",
    "user_fingerprint",
]
