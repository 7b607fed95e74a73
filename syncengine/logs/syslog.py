"""The syslog sink: each event as one syslog message, through the standard library's SysLogHandler.

Options: ``address`` (default ``/dev/log`` where it exists, else ``127.0.0.1:514`` over UDP) written as a
socket path, ``host:port`` (UDP) or ``tcp://host:port``; ``facility`` (default ``user``; ``daemon``,
``local0`` ... ``local7`` are usual for a service).  The message reads
``syncengine[pid]: LEVEL kind [user] origin: message (run RUN)``.  A syslog that cannot be reached is
retried at the next event; the failure goes to the log bus, never stops a run.
"""

from __future__ import annotations

import logging
import os
import socket
from logging.handlers import SysLogHandler
from pathlib import Path
from typing import TYPE_CHECKING

from syncengine.errors import ConfigError, ConfigProblem
from syncengine.logs.base import LogEvent, RecordSink

if TYPE_CHECKING:
    from syncengine.config.model import SinkConfig, StudioConfig

Address = str | tuple[str, int]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _Handler(SysLogHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        # Called inside the failing `except`: re-raise so the log bus records the failure, instead of
        # logging's default of printing a traceback to stderr.
        raise


def parse_address(text: str | None) -> tuple[Address, socket.SocketKind]:
    """``(address, socket type)`` for the ``address`` option."""
    if not text:
        if Path("/dev/log").exists():
            return "/dev/log", socket.SOCK_DGRAM
        return ("127.0.0.1", 514), socket.SOCK_DGRAM
    kind = socket.SOCK_DGRAM
    rest = text
    for prefix, sock in (("udp://", socket.SOCK_DGRAM), ("tcp://", socket.SOCK_STREAM)):
        if text.startswith(prefix):
            kind, rest = sock, text[len(prefix):]
            break
    else:
        if "/" in text or "\\" in text:
            return text, socket.SOCK_DGRAM
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"'{text}' is not a socket path, host:port or tcp://host:port")
    return (host.strip("[]") or "127.0.0.1", int(port)), kind


class SyslogSink(RecordSink):
    """Sends events at or above its level to syslog."""

    def __init__(self, config: SinkConfig | None = None, studio: StudioConfig | None = None, *,
                 address: str | None = None, facility: str | None = None) -> None:
        super().__init__(config.level if config is not None else "info")
        raw_address = address if address is not None else (config.option("address") if config else None)
        raw_facility = facility if facility is not None else (config.option("facility") if config else None)
        try:
            self.address, self.socktype = parse_address(raw_address)
            name = (raw_facility or "user").lower()
            if name not in SysLogHandler.facility_names:
                raise ValueError(f"unknown syslog facility '{name}' (use user, daemon or local0 .. local7)")
            self.facility = SysLogHandler.facility_names[name]
        except ValueError as exc:
            raise ConfigError([_problem(config, studio, str(exc))]) from exc
        self._handler: _Handler | None = None

    def _ensure(self) -> _Handler:
        if self._handler is None:
            handler = _Handler(address=self.address, facility=self.facility, socktype=self.socktype)
            handler.ident = f"syncengine[{os.getpid()}]: "
            self._handler = handler
        return self._handler

    def record(self, event: LogEvent) -> None:
        parts = [event.level.upper(), event.kind]
        if event.user:
            parts.append(f"[{event.user}]")
        text = " ".join(parts)
        text += f" {event.origin}: {event.message}" if event.origin else f": {event.message}"
        if event.run_id:
            text += f" (run {event.run_id})"
        flat = text.replace("\n", " ")
        record = logging.LogRecord("syncengine", _LEVELS[event.level], "", 0, flat, None, None)
        try:
            self._ensure().handle(record)  # under the handler's lock: runs may log from several threads
        except OSError:
            self.close()  # reconnect at the next event (syslog restarted, socket recreated)
            raise

    def close(self) -> None:
        if self._handler is not None:
            self._handler.close()
            self._handler = None


def _problem(config: SinkConfig | None, studio: StudioConfig | None, message: str) -> ConfigProblem:
    if config is not None and config.where is not None:
        return ConfigProblem(config.where.file, config.where.line, config.where.column, message)
    return ConfigProblem(studio.path if studio is not None else Path("studio.yaml"), 1, 1, message)
