"""Signing in end to end: a local token endpoint, the real oauthlib flow, token files, refresh, revoke."""

from __future__ import annotations

import json
import os
import stat
import threading
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from oauth_server import TokenEndpoint, token_endpoint

from adapters.google import auth
from adapters.google.emulator import CalendarService
from syncengine.config.model import (
    Credentials,
    GoogleAccount,
    GoogleConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.errors import AuthError, UsageError

ACCOUNT = "amanda@studio.example"
WINDOW = (date(2026, 5, 1), date(2026, 7, 31))


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    with token_endpoint() as state:
        yield state


def _config(tmp_path: Path, service: CalendarService, endpoint: TokenEndpoint) -> StudioConfig:
    creds = Credentials(type="oauth", client_secrets=endpoint.client_secrets(tmp_path / "client.json"),
                        token_dir=tmp_path / "tokens")
    return StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings("Auth Studio", "America/Chicago", tmp_path / ".syncengine" / "state.db"),
        sources=(),
        users=(UserConfig("amanda", "Amanda", GoogleAccount(ACCOUNT)),
               UserConfig("bob", "Bob", GoogleAccount("bob@studio.example"))),
        google=GoogleConfig(endpoint=service.root_url, credentials=creds),
    )


def _login_no_browser(config: StudioConfig, user: str, code: str) -> auth.LoginResult:
    shown: list[str] = []

    def answer(prompt: str) -> str:
        url = next(line.strip() for text in shown for line in text.splitlines() if "http" in line)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]
        return f"http://localhost:8085/?state={state}&code={code}&scope=calendar"

    return auth.login(config, user, no_browser=True, ask=answer, say=shown.append)


def _expire(path: Path) -> None:
    data = json.loads(path.read_text())
    data["expiry"] = "2000-01-01T00:00:00Z"
    path.write_text(json.dumps(data))


def test_code_exchange_refresh_and_invalid_grant(tmp_path, service, endpoint, backend_for) -> None:
    service.add_account(ACCOUNT, token="access-1")
    service.add_account(ACCOUNT, token="access-2")
    endpoint.codes["good-code"] = ("access-1", "refresh-1")
    endpoint.refreshes["refresh-1"] = "access-2"
    config = _config(tmp_path, service, endpoint)

    result = _login_no_browser(config, "amanda", "good-code")
    path = tmp_path / "tokens" / "amanda.json"
    assert result.account == ACCOUNT and result.token_file == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["token"] == "access-1" and saved["refresh_token"] == "refresh-1"
    assert saved["token_uri"] == endpoint.base + "token"
    assert endpoint.grants[0]["grant_type"] == "authorization_code"

    # An expired access token is refreshed at the client configuration's endpoint and written back.
    _expire(path)
    backend = backend_for(config)
    read = backend.open(config.users[0]).read(None, *WINDOW)
    assert read.full and read.entries == ()
    saved = json.loads(path.read_text())
    assert saved["token"] == "access-2" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    refresh = endpoint.grants[-1]
    assert refresh["grant_type"] == "refresh_token" and refresh["refresh_token"] == "refresh-1"
    assert refresh["client_id"] == "test-client.apps.example"

    # Access revoked on the Google side: invalid_grant is an AuthError naming the login command.
    del endpoint.refreshes["refresh-1"]
    _expire(path)
    with pytest.raises(AuthError) as caught:
        backend_for(config).open(config.users[0]).read(None, *WINDOW)
    assert "invalid_grant" in str(caught.value)
    assert caught.value.advice().startswith("run `syncengine auth login amanda")
    assert "refresh-1" not in str(caught.value) and "access-2" not in str(caught.value)


def test_signing_in_with_another_account_is_refused(tmp_path, service, endpoint) -> None:
    service.add_account("someone@else.example", token="access-x")
    endpoint.codes["wrong-account"] = ("access-x", "refresh-x")
    config = _config(tmp_path, service, endpoint)
    with pytest.raises(AuthError) as caught:
        _login_no_browser(config, "amanda", "wrong-account")
    assert "someone@else.example" in str(caught.value) and ACCOUNT in str(caught.value)
    assert not (tmp_path / "tokens" / "amanda.json").exists()


def test_refused_code_and_pasted_code(tmp_path, service, endpoint) -> None:
    service.add_account(ACCOUNT, token="access-1")
    config = _config(tmp_path, service, endpoint)
    with pytest.raises(AuthError, match="invalid_grant"):
        auth.login(config, "amanda", no_browser=True, ask=lambda _: "stale-code", say=lambda _: None)
    endpoint.codes["pasted"] = ("access-1", "refresh-1")
    result = auth.login(config, "amanda", no_browser=True, ask=lambda _: "  pasted\n", say=lambda _: None)
    assert result.account == ACCOUNT
    with pytest.raises(AuthError, match="state"):
        auth.code_from_answer("http://localhost:8085/?state=other&code=x", "mine")


def test_local_server_flow_with_a_browser(tmp_path, service, endpoint) -> None:
    service.add_account(ACCOUNT, token="access-1")
    endpoint.codes["browser-code"] = ("access-1", "refresh-1")
    config = _config(tmp_path, service, endpoint)
    followed: list[str] = []

    class Browser(webbrowser.BaseBrowser):
        """Plays the person: 'approves' and follows the redirect back to the loopback server."""

        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            back = f"{query['redirect_uri'][0]}?state={query['state'][0]}&code=browser-code"
            followed.append(back)

            def visit() -> None:
                with urllib.request.urlopen(back, timeout=10) as response:
                    response.read()

            threading.Thread(target=visit, daemon=True).start()
            return True

    webbrowser.register("syncengine-test", None, Browser("syncengine-test"))
    result = auth.login(config, "amanda", browser="syncengine-test", say=lambda _: None)
    assert result.account == ACCOUNT and followed and followed[0].startswith("http://localhost:")
    assert json.loads((tmp_path / "tokens" / "amanda.json").read_text())["refresh_token"] == "refresh-1"


def test_logout_revokes_and_deletes_and_status_reports(tmp_path, service, endpoint) -> None:
    service.add_account(ACCOUNT, token="access-1")
    endpoint.codes["good-code"] = ("access-1", "refresh-1")
    config = _config(tmp_path, service, endpoint)
    _login_no_browser(config, "amanda", "good-code")
    rows = {r.user: r for r in auth.status(config)}
    assert rows["amanda"].present and rows["amanda"].refreshable and rows["amanda"].expiry is not None
    assert rows["amanda"].age_seconds is not None and rows["amanda"].age_seconds < 60
    assert rows["bob"].type == "oauth" and not rows["bob"].present

    out = auth.logout(config, "amanda")
    assert out.revoked and out.deleted and endpoint.revoked == ["refresh-1"]
    assert not (tmp_path / "tokens" / "amanda.json").exists()
    assert not auth.logout(config, "amanda").deleted
    with pytest.raises(UsageError):
        auth.login(config, "nobody")
