"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the email sink, with LOGIN/PLAIN authentication."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME = "studio-mailer"
PASSWORD = "s3cret-Pa55word"


@dataclass
class Received:
    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    port: int = 0

    def to(self, address: str) -> list[Message]:
        return [m for rcpts, m in self.messages if address in rcpts]


class _Handler:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp_server() -> Iterator[Received]:
    received = Received()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USERNAME \
            and auth_data.password.decode() == PASSWORD
        if ok:
            received.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    received.port = _free_port()
    controller = Controller(_Handler(received), hostname="127.0.0.1", port=received.port,
                            authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield received
    finally:
        controller.stop()
