"""The local state file: last merged records, per-replica fingerprints, cursors, journal, conflicts, runs.

Read API for other parts (``syncengine status``, ``syncengine conflicts``)::

    with StateStore.open(path, studio_name, read_only=True) as store:
        store.last_runs()          # user -> RunRow (outcome, counts, time)
        store.conflicts(pending_only=True)
        store.view().cursors       # user -> sync cursor
"""

from __future__ import annotations

from syncengine.state.changes import JournalEntry, NewConflict, StateChanges
from syncengine.state.store import StateStore
from syncengine.state.view import ConflictRow, RecordRow, ReplicaRow, RunRow, StateView

__all__ = [
    "ConflictRow",
    "JournalEntry",
    "NewConflict",
    "RecordRow",
    "ReplicaRow",
    "RunRow",
    "StateChanges",
    "StateStore",
    "StateView",
]
