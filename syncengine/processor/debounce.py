"""Turning a burst of file events into one run.

Every event on a source restarts that source's quiet period.  Once a source has been quiet for the
debounce time, its touched files go to the completeness check; when each is complete the source is
*ready*.  A file still being written keeps its source (and, through the processor, every run) waiting,
because any run reads every source and must never read half a file.

All times are readings of the processor's clock (see :mod:`syncengine.processor.clock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from syncengine.processor.drops import CompletenessTracker


@dataclass
class _Pending:
    last_event: float
    first_event: float
    paths: set[Path] = field(default_factory=set)


@dataclass(frozen=True)
class ReadySources:
    """What :meth:`Debouncer.poll` found: sources ready to sync, and whether any file is still arriving."""

    ready: dict[str, tuple[Path, ...]]
    in_progress: bool
    #: the earliest clock reading at which polling again can change the answer (None: nothing pending).
    next_poll: float | None


class Debouncer:
    """Collects file events per source and says when each source is quiet and its files complete."""

    def __init__(self, debounce: float, settle: float | None = None) -> None:
        self.debounce = debounce
        # The second look of the completeness check comes `settle` after the first; by default a fraction
        # of the debounce so the check adds little latency beyond the quiet period.
        if settle is None:
            settle = max(0.05, min(1.0, debounce / 4))
        self.tracker = CompletenessTracker(settle)
        self._pending: dict[str, _Pending] = {}

    def touch(self, source_id: str, path: Path, now: float) -> None:
        pending = self._pending.get(source_id)
        if pending is None:
            pending = self._pending[source_id] = _Pending(last_event=now, first_event=now)
        pending.last_event = now
        pending.paths.add(path)
        self.tracker.observe(path, now)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def sources(self) -> tuple[str, ...]:
        return tuple(sorted(self._pending))

    def poll(self, now: float) -> ReadySources:
        """Sources whose quiet period is over and whose files are all complete; they leave the debouncer."""
        ready: dict[str, tuple[Path, ...]] = {}
        in_progress = False
        next_poll: float | None = None
        for source_id, pending in sorted(self._pending.items()):
            quiet_at = pending.last_event + self.debounce
            if now < quiet_at:
                in_progress = True
                next_poll = quiet_at if next_poll is None else min(next_poll, quiet_at)
                continue
            unfinished = [p for p in sorted(pending.paths) if not self.tracker.check(p, now)]
            if unfinished:
                in_progress = True
                for path in unfinished:
                    again = self.tracker.next_check(path)
                    if again is None or again <= now:  # unreadable though stable: look again later
                        again = now + self.tracker.settle
                    next_poll = again if next_poll is None else min(next_poll, again)
                continue
            ready[source_id] = tuple(sorted(pending.paths))
        for source_id in ready:
            del self._pending[source_id]
        return ReadySources(ready=ready, in_progress=in_progress, next_poll=next_poll)

    def waiting_since(self) -> float | None:
        """The clock reading of the oldest event still pending."""
        return min((p.first_event for p in self._pending.values()), default=None)
