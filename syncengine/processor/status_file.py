"""The processor's status file: what ``syncengine status`` shows about the running processor.

``<state>.processor.json`` beside the state file holds, rewritten atomically after every run and whenever
the schedule changes: the processor's pid, when it last wrote, when the next interval run is due, and per
user the last run the processor made (time, outcome, counts, error) with any backoff or pause.  It is
advisory: the state file stays the truth about what was synced.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def status_path(state: Path) -> Path:
    return state.with_name(state.name + ".processor.json")


def write_status(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON via a temporary file and a rename (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".processor-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_status(path: Path) -> dict[str, Any]:
    """The status file's content, or {} when there is none (or it cannot be read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
