"""An in-memory studio source: the studio side for tests and for trying syncengine out.

It holds appointments in a list (in insertion order) and implements the
:class:`~syncengine.ports.StudioSource` protocol over it, plus the knobs tests need:

- :meth:`MemorySource.put` / :meth:`MemorySource.remove` edit the "export";
- :meth:`MemorySource.fail_row` makes the next read report one appointment as unreadable (an error
  diagnostic carrying its uid, the uid in ``unreadable``, the appointment left out);
- :meth:`MemorySource.make_incomplete` makes the next read ``complete=False`` (optionally hiding some
  appointments, as a truncated export would);
- :meth:`MemorySource.fail_next_write` makes the next :meth:`write_back` raise ``WritebackError``;
- ``read_only`` makes every write-back raise ``WritebackError``.

Write-back follows the studio's two modes.  ``outbox``: changes are *sent* (recorded in ``sent`` and
``pending``) but the export does not change until the studio imports them with
:meth:`MemorySource.import_outbox`.  ``in-place``: changes apply to the list at once.  A ``cancelled``
change keeps the appointment, with status ``cancelled``, as studio software does with a cancelled booking.

Sources built from the same ``path`` share one store, so a source the engine builds anew for every run
(through the ``syncengine.sources`` entry point, ``format: memory``) sees what a test put in before.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from adapters._combine import shown_after
from syncengine.config.model import (
    SourceConfig,
    StudioConfig,
    StudioSettings,
    WritebackConfig,
)
from syncengine.errors import WritebackError
from syncengine.model import Appointment
from syncengine.ports import (
    Diagnostic,
    SourceContext,
    SourceRead,
    StudioChange,
    WriteBackReceipt,
)

_ANONYMOUS = itertools.count(1)


@dataclass
class _Store:
    """What one in-memory studio holds; shared by every source built on the same path."""

    appointments: dict[str, Appointment] = field(default_factory=dict)
    sent: list[StudioChange] = field(default_factory=list)
    pending: list[StudioChange] = field(default_factory=list)
    failing_rows: dict[str, str] = field(default_factory=dict)
    incomplete: tuple[str, tuple[str, ...]] | None = None
    failing_write: str | None = None
    reads: int = 0


_STORES: dict[str, _Store] = {}


class MemorySource:
    """A studio export held in memory (see the module docstring)."""

    format_name: ClassVar[str] = "memory"
    supports_in_place: ClassVar[bool] = True

    def __init__(self, config: SourceConfig, context: SourceContext, *, read_only: bool = False) -> None:
        self.config = config
        self.context = context
        self.read_only = read_only
        self._store = _STORES.setdefault(str(config.path), _Store())

    @classmethod
    def of(
        cls,
        appointments: Iterable[Appointment] = (),
        source_id: str = "memory",
        *,
        context: SourceContext | None = None,
        timezone: str = "UTC",
        read_only: bool = False,
        path: str | Path | None = None,
    ) -> MemorySource:
        """A fresh source holding ``appointments``; its store is private unless ``path`` is shared."""
        where = Path(path) if path is not None else Path(f"memory-{source_id}-{next(_ANONYMOUS)}")
        config = SourceConfig(id=source_id, format="memory", path=where)
        if context is None:
            studio = StudioConfig(
                path=Path("studio.yaml"),
                studio=StudioSettings(name="memory", timezone=timezone, state=Path("state.db")),
                sources=(config,),
                users=(),
            )
            context = SourceContext(config=studio, now=datetime.now(UTC))
        source = cls(config, context, read_only=read_only)
        source._store.appointments.clear()
        for appointment in appointments:
            source.put(appointment)
        return source

    # --- editing the "export" -------------------------------------------------------------------------

    @property
    def appointments(self) -> tuple[Appointment, ...]:
        """What the export holds now."""
        return tuple(self._store.appointments.values())

    def get(self, uid: str) -> Appointment | None:
        return self._store.appointments.get(uid)

    def put(self, appointment: Appointment) -> None:
        """Add or replace an appointment (by uid); a replaced one keeps its place."""
        self._store.appointments[appointment.uid] = appointment

    def remove(self, uid: str) -> Appointment | None:
        """Take an appointment out of the export; returns it, or None if it was not there."""
        return self._store.appointments.pop(uid, None)

    def fail_row(self, uid: str, reason: str = "row could not be read") -> None:
        """The next read reports ``uid`` as unreadable (it keeps its last synced version)."""
        self._store.failing_rows[uid] = reason

    def make_incomplete(
        self, reason: str = "export did not parse completely", hide: Iterable[str] = ()
    ) -> None:
        """The next read is ``complete=False``; the uids in ``hide`` are left out of it."""
        self._store.incomplete = (reason, tuple(hide))

    def fail_next_write(self, reason: str = "studio side unavailable") -> None:
        """The next :meth:`write_back` raises :class:`WritebackError` and changes nothing."""
        self._store.failing_write = reason

    # --- outbox -----------------------------------------------------------------------------------------

    @property
    def sent(self) -> tuple[StudioChange, ...]:
        """Every change ever sent to this studio (outbox or in place), oldest first."""
        return tuple(self._store.sent)

    @property
    def pending(self) -> tuple[StudioChange, ...]:
        """Outbox changes sent but not imported yet."""
        return tuple(self._store.pending)

    def import_outbox(self) -> int:
        """The studio imports the outbox: apply every pending change to the export; returns how many."""
        count = len(self._store.pending)
        for change in self._store.pending:
            self.put(shown_after(change))
        self._store.pending.clear()
        return count

    # --- the StudioSource protocol ----------------------------------------------------------------------

    @property
    def reads(self) -> int:
        """How many times :meth:`read` ran."""
        return self._store.reads

    def read(self) -> SourceRead:
        store = self._store
        store.reads += 1
        origin = str(self.config.path)
        diagnostics: list[Diagnostic] = []
        complete = True
        hidden: set[str] = set()
        if store.incomplete is not None:
            reason, hide = store.incomplete
            store.incomplete = None
            complete = False
            hidden.update(hide)
            diagnostics.append(Diagnostic("error", reason, file=origin, code="incomplete-source"))
        unreadable = frozenset(uid for uid in store.failing_rows if uid in store.appointments)
        for uid in sorted(unreadable):
            diagnostics.append(
                Diagnostic("error", store.failing_rows[uid], file=origin, uid=uid, code="unreadable-row")
            )
        store.failing_rows.clear()
        kept = tuple(
            a for uid, a in store.appointments.items() if uid not in unreadable and uid not in hidden
        )
        return SourceRead(
            source_id=self.config.id,
            appointments=kept,
            diagnostics=tuple(diagnostics),
            complete=complete,
            unreadable=unreadable,
        )

    def write_back(
        self, changes: Sequence[StudioChange], writeback: WritebackConfig, now: datetime
    ) -> WriteBackReceipt:
        target = writeback.path or self.config.path
        if self.read_only:
            raise WritebackError(target, f"source {self.config.id} is read-only")
        if self._store.failing_write is not None:
            reason, self._store.failing_write = self._store.failing_write, None
            raise WritebackError(target, reason)
        if writeback.mode == "off" or not changes:
            return WriteBackReceipt()
        self._store.sent.extend(changes)
        if writeback.mode == "in-place":
            for change in changes:
                self.put(shown_after(change))
        else:
            self._store.pending.extend(changes)
        shown = tuple((c.appointment.uid, shown_after(c)) for c in changes)
        return WriteBackReceipt(files=(), shown=shown)


__all__ = ["MemorySource", "shown_after"]
