"""TallySink: an example log sink shipped as its own package (see the README beside pyproject.toml).

Options: ``path`` (the file to append to, relative to the studio config's folder; default
``logs/tally.tsv``).  One line per event: time, level, kind, user, message; at each ``run-end`` a line
``run <id> <level>=<count>...`` sums up that run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from syncengine.logs.base import LogEvent, RecordSink


class TallySink(RecordSink):
    def __init__(self, config: Any, studio: Any) -> None:
        super().__init__(config.level)
        path = Path(config.option("path", "logs/tally.tsv"))
        self.path = path if path.is_absolute() else studio.base_dir / path
        self.counts: dict[str | None, Counter[str]] = {}

    def record(self, event: LogEvent) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["\t".join([event.time.isoformat(), event.level, event.kind, event.user or "-",
                            event.message.replace("\t", " ").replace("\n", " ")])]
        tally = self.counts.setdefault(event.run_id, Counter())
        if event.kind == "run-end":
            summary = " ".join(f"{level}={n}" for level, n in sorted(tally.items()))
            lines.append(f"run {event.run_id} {summary}")
            self.counts.pop(event.run_id, None)
        else:
            tally[event.level] += 1
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
