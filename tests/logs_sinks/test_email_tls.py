"""The email sink over TLS: STARTTLS and implicit SSL against aiosmtpd with a self-signed certificate.

The certificate is made with the `openssl` command for 127.0.0.1 and trusted through SSL_CERT_FILE, so the
sink's default, verifying TLS context is what is tested (no verification is switched off).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from smtp_support import PASSWORD, USERNAME, Received, _free_port, _Handler

from syncengine.config.model import (
    EmailConfig,
    GoogleAccount,
    SinkConfig,
    SmtpConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.logs.base import LogBus
from syncengine.logs.email import EmailSink

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("TLS_SMTP_PASSWORD", PASSWORD)
    return cert, key


def _authenticator(received: Received) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (USERNAME,
                                                                                                 PASSWORD)
        if ok:
            received.logins.append(USERNAME)
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(request: pytest.FixtureRequest,
               certificate: tuple[Path, Path]) -> Iterator[tuple[str, Received]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    received = Received(port=_free_port())
    if request.param == "starttls":  # login is only offered once the connection is encrypted
        controller = Controller(_Handler(received), hostname="127.0.0.1", port=received.port,
                                tls_context=context, require_starttls=True,
                                authenticator=_authenticator(received), auth_require_tls=True)
    else:  # the whole connection is TLS; aiosmtpd does not count that as "TLS" for AUTH, hence the flag
        controller = Controller(_Handler(received), hostname="127.0.0.1", port=received.port,
                                ssl_context=context, authenticator=_authenticator(received),
                                auth_require_tls=False)
    controller.start()
    try:
        yield request.param, received
    finally:
        controller.stop()


def test_digests_go_out_encrypted_with_login(tmp_path: Path, tls_server: tuple[str, Received]) -> None:
    mode, received = tls_server
    smtp = SmtpConfig("127.0.0.1", received.port, starttls=mode == "starttls", ssl=mode == "ssl",
                      username=USERNAME, password_env="TLS_SMTP_PASSWORD", timeout=5.0)
    config = StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings("Studio", "America/Chicago", tmp_path / "state.db"),
        sources=(SourceConfig("a", "csv", tmp_path / "a.csv"),),
        users=(UserConfig("amanda", "Amanda P", GoogleAccount("amanda@example.com")),),
        email=EmailConfig(smtp, "sync@studio.example"),
    )
    bus = LogBus([EmailSink(SinkConfig("email", "warning", (("to", ("owner@studio.example",)),)), config)])
    bus.emit("warning", "warning", "odd row", run_id="r1", origin="a.csv:2")
    bus.emit("run-end", "info", "done", run_id="r1")
    bus.close()
    assert bus.sink_failures == []
    assert received.logins == [USERNAME] and len(received.messages) == 1
    assert "a.csv:2: odd row" in received.messages[0][1].get_payload(decode=True).decode()
    unencrypted = replace(smtp, starttls=False, ssl=False, timeout=1.0)
    plain = replace(config, email=replace(config.email, smtp=unencrypted))
    refused = LogBus([EmailSink(SinkConfig("email", "warning", (("to", ("x@studio.example",)),)), plain)])
    refused.emit("error", "error", "boom", run_id="r2")
    refused.emit("run-end", "info", "done", run_id="r2")
    refused.close()
    assert len(refused.sink_failures) == 1  # no encryption, no login, no mail
    assert len(received.messages) == 1
