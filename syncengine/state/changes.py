"""What apply hands the state file to commit: plain values, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncengine.state.view import RecordRow, ReplicaRow


@dataclass(frozen=True)
class NewConflict:
    uid: str
    field: str
    base: Any
    studio: Any
    google: Any
    user: str | None
    policy: str
    resolution: str


@dataclass
class StateChanges:
    """What one commit writes; built by apply from the plan and the write results."""

    records: list[RecordRow] = field(default_factory=list)
    drop_records: list[str] = field(default_factory=list)
    replicas: list[ReplicaRow] = field(default_factory=list)
    drop_replicas: list[tuple[str, str]] = field(default_factory=list)
    cursors: dict[str, str | None] = field(default_factory=dict)
    conflicts: list[NewConflict] = field(default_factory=list)
    #: uids whose pending conflicts are settled by this commit
    settled: list[str] = field(default_factory=list)
    journal_done: list[int] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    populated: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.records,
                self.drop_records,
                self.replicas,
                self.drop_replicas,
                self.cursors,
                self.conflicts,
                self.settled,
                self.journal_done,
                self.meta,
                self.populated,
            )
        )


@dataclass(frozen=True)
class JournalEntry:
    user: str | None
    op: str
    target: str
    uid: str
    event_id: str | None
