"""A tiny OAuth token endpoint on 127.0.0.1 for the sign-in tests (code exchange, refresh, revoke)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class TokenEndpoint:
    """What the endpoint knows: codes -> (access, refresh), refresh tokens -> next access token."""

    base: str = ""
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    refreshes: dict[str, str] = field(default_factory=dict)
    #: service accounts: the impersonated subject -> the access token issued for it
    subjects: dict[str, str] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)
    grants: list[dict[str, str]] = field(default_factory=list)

    def client_secrets(self, path: Path) -> Path:
        path.write_text(json.dumps({"installed": {
            "client_id": "test-client.apps.example", "client_secret": "test-client-secret",
            "auth_uri": self.base + "auth", "token_uri": self.base + "token",
            "revoke_uri": self.base + "revoke",
            "redirect_uris": ["http://localhost"],
        }}), encoding="utf-8")
        return path


def _handler(state: TokenEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _reply(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
            if self.path.startswith("/revoke"):
                state.revoked.append(form.get("token", ""))
                self._reply(200, {})
                return
            state.grants.append(form)
            if form.get("grant_type") == "authorization_code" and form.get("code") in state.codes:
                access, refresh = state.codes.pop(form["code"])
                self._reply(200, {"access_token": access, "refresh_token": refresh, "expires_in": 3600,
                                  "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/calendar"})
                return
            if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                payload = form.get("assertion", "..").split(".")[1]
                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
                if claims.get("sub") in state.subjects:
                    self._reply(200, {"access_token": state.subjects[claims["sub"]], "expires_in": 3600,
                                      "token_type": "Bearer"})
                    return
            if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in state.refreshes:
                self._reply(200, {"access_token": state.refreshes[form["refresh_token"]], "expires_in": 3600,
                                  "token_type": "Bearer"})
                return
            self._reply(400, {"error": "invalid_grant",
                              "error_description": "Token has been expired or revoked."})

    return Handler


@contextmanager
def token_endpoint() -> Iterator[TokenEndpoint]:
    state = TokenEndpoint()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
