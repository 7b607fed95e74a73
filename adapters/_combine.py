"""What one export file yielded, and how the files of one source combine into a :class:`SourceRead`.

Rules shared by every file-based source:

- a rejected file contributes nothing and makes the read incomplete, so none of its appointments count
  as deleted;
- a uid that is unreadable in a file keeps its last synced version: it is listed in ``unreadable`` and
  no appointment is returned for it, even if an older file of the drop folder holds one;
- ``combine: newest``: files are taken oldest first (by mtime, then name); a later file's version of a
  uid replaces an earlier one, and a uid absent from the newest file still stands if an older file has it;
- ``combine: separate``: every file is its own set; the same uid in two files is a duplicate, an error
  naming both places, and that uid is unreadable (the read is incomplete).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from syncengine.model import Appointment
from syncengine.ports import Diagnostic, SourceContext, SourceRead, StudioChange


@dataclass
class FileRead:
    """One file's appointments and problems."""

    path: Path
    appointments: list[Appointment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)
    complete: bool = True
    rejected: bool = False
    #: SHA-256 of the bytes read (for in-place write-back: refuse if the file changed since)
    digest: str = ""

    def reject(self, reason: str, line: int | None = None, column: int | None = None) -> FileRead:
        """Throw away everything read so far: the file did not parse completely."""
        self.appointments.clear()
        self.unreadable.clear()
        self.diagnostics = [d for d in self.diagnostics if d.severity == "warning"]
        self.diagnostics.append(
            Diagnostic(
                "error",
                f"file rejected, nothing in it is used: {reason}",
                file=str(self.path),
                line=line,
                column=column,
                code="rejected-file",
            )
        )
        self.complete = False
        self.rejected = True
        return self


def combine(
    source_id: str, reads: Sequence[FileRead], mode: Literal["newest", "separate"] = "newest"
) -> SourceRead:
    """The source's read from its files' reads, oldest file first (see the module docstring)."""
    found: dict[str, Appointment] = {}
    unreadable: set[str] = set()
    diagnostics: list[Diagnostic] = []
    complete = True
    warned: set[str] = set()
    for read in reads:
        for d in read.diagnostics:
            # One warning per unknown staff name and appointment per read, however many files carry it:
            # each appointment's uid is kept (the reconciler does not trust that row's assignment).
            if d.code == "unknown-staff":
                key = f"{d.uid}\0{d.message.casefold()}"
                if key in warned:
                    continue
                warned.add(key)
            diagnostics.append(d)
        complete = complete and read.complete
        if read.rejected:
            continue
        for uid in read.unreadable:
            found.pop(uid, None)
            unreadable.add(uid)
        for appointment in read.appointments:
            uid = appointment.uid
            if uid in read.unreadable:
                continue  # the same file also failed to read this uid: it keeps its last synced version
            earlier = found.get(uid)
            if mode == "separate" and (earlier is not None or uid in unreadable):
                diagnostics.append(_duplicate_across(uid, earlier, appointment))
                found.pop(uid, None)
                unreadable.add(uid)
                complete = False
                continue
            unreadable.discard(uid)
            found[uid] = appointment
    return SourceRead(
        source_id=source_id,
        appointments=tuple(found.values()),
        diagnostics=tuple(diagnostics),
        complete=complete,
        unreadable=frozenset(unreadable),
        files=tuple(r.path for r in reads),
        rejected=tuple(r.path for r in reads if r.rejected),
    )


def _duplicate_across(uid: str, earlier: Appointment | None, later: Appointment) -> Diagnostic:
    def place(a: Appointment | None) -> str:
        if a is None or a.origin is None:
            return "an earlier file"
        return f"{a.origin.file}:{a.origin.line}" if a.origin.line else a.origin.file

    origin = later.origin
    return Diagnostic(
        "error",
        f"appointment {uid} appears in {place(earlier)} and in {place(later)}",
        file=origin.file if origin else None,
        line=origin.line if origin else None,
        uid=uid,
        code="duplicate-uid",
    )


def duplicate(path: Path, uid: str, first_line: int | None, line: int | None) -> Diagnostic:
    """The error for a uid that appears twice in one file; both places are named."""
    return Diagnostic(
        "error",
        f"appointment id {uid} appears twice, on lines {first_line} and {line}; neither row is used",
        file=str(path),
        line=line,
        uid=uid,
        code="duplicate-uid",
    )


def shown_after(change: StudioChange) -> Appointment:
    """What the studio shows once it takes ``change`` in: a cancellation keeps the booking, cancelled."""
    if change.action == "cancelled":
        return change.appointment.evolve(status="cancelled")
    return change.appointment


def expansion_window(context: SourceContext) -> tuple[timedelta, timedelta]:
    """How far back and ahead of ``context.now`` recurring series are expanded: the widest user window."""
    users = context.config.enabled_users or context.config.users
    if not users:
        return timedelta(days=30), timedelta(days=365)
    past = max(u.sync.window.past_days for u in users)
    future = max(u.sync.window.future_days for u in users)
    return timedelta(days=past), timedelta(days=future)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an export is read.

    Why: reading builds hundreds of thousands of small objects and no cycles; every full collection
    in between walks all of them again, which costs a third of the time of a 100,000-row read.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
