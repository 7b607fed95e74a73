"""The console sink: one readable line per event, on stderr by default.

``12:30:05 WARN  amanda  exports/a.csv:12: unknown photographer 'Amy' (unknown-staff)``

Times are shown in the studio's zone (what the owner reads on the wall clock).  Colour is used only when
the stream is a terminal, never in a pipe or a log file, unless ``color: true`` forces it.  Stdout stays
free for what a command prints as its result (a plan, JSON), so the default stream is stderr.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from syncengine.logs.base import LogEvent, RecordSink

if TYPE_CHECKING:
    from syncengine.config.model import SinkConfig, StudioConfig

_LABELS = {"debug": "DEBUG", "info": "INFO", "warning": "WARN", "error": "ERROR"}
_COLOURS = {"debug": "\x1b[2m", "info": "", "warning": "\x1b[33m", "error": "\x1b[31;1m"}
_RESET = "\x1b[0m"


class ConsoleSink(RecordSink):
    """Readable lines for a person.

    Options: ``color`` (auto | true | false) and ``stream`` (stderr | stdout).
    """

    def __init__(
        self,
        config: SinkConfig | None = None,
        studio: StudioConfig | None = None,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__(config.level if config is not None else "info")
        option = config.option if config is not None else (lambda name, default=None: default)
        if stream is None:
            stream = sys.stdout if option("stream", "stderr") == "stdout" else sys.stderr
        self.stream = stream
        color = option("color", "auto")
        self.color = _isatty(stream) if color == "auto" else bool(color)
        self.zone = ZoneInfo(studio.studio.timezone) if studio is not None else None

    def format(self, event: LogEvent) -> str:
        """The line for ``event`` (without colour)."""
        when = event.time.astimezone(self.zone) if self.zone is not None else event.time
        parts = [when.strftime("%H:%M:%S"), f"{_LABELS.get(event.level, event.level.upper()):<5}"]
        if event.user:
            parts.append(event.user)
        message = event.message
        if event.origin:
            message = f"{event.origin}: {message}"
        code = event.data.get("code") if event.data else None
        if code:
            message = f"{message} ({code})"
        parts.append(message)
        return " ".join(parts)

    def record(self, event: LogEvent) -> None:
        line = self.format(event)
        colour = _COLOURS.get(event.level, "") if self.color else ""
        if colour:
            line = f"{colour}{line}{_RESET}"
        self.stream.write(line + "\n")
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or stream-like object without a terminal
        return False
