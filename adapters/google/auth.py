"""Signing studio users in to Google, out again, and reporting who is signed in.

``login`` runs the installed-app OAuth flow (google-auth-oauthlib) for one user: by default through a
one-shot server on loopback that the browser is sent back to; with ``no_browser`` it prints the address to
open elsewhere and reads back the code, or the whole address the browser ended on.  The signed-in account
must be the user's configured ``google.account`` (each user syncs with their own account); otherwise
nothing is saved and the error names both.  The token is saved to ``<token_dir>/<user id>.json`` (0600).

``logout`` revokes the token at the client configuration's revoke endpoint when that answers, then
deletes the file.  ``status`` lists every user's credential type, token file, expiry and token age.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httplib2
from google_auth_oauthlib.flow import InstalledAppFlow

from adapters.google.client import CalendarClient, normalise_root
from adapters.google.credentials import (
    GOOGLE_REVOKE_URI,
    SCOPES,
    credentials_to_json,
    token_path,
    write_private,
)
from syncengine.config.model import StudioConfig, UserConfig
from syncengine.errors import AuthError, SyncEngineError, TransientError, UsageError

NO_BROWSER_REDIRECT = "http://localhost:8085/"


def _user(config: StudioConfig, user_id: str) -> UserConfig:
    try:
        return config.user(user_id)
    except KeyError:
        known = ", ".join(u.id for u in config.users) or "none"
        raise UsageError(f"no user {user_id!r} in {config.path}", f"users are: {known}") from None


def _oauth_user(config: StudioConfig, user_id: str) -> UserConfig:
    user = _user(config, user_id)
    creds = config.credentials_for(user)
    if config.google.endpoint == "embedded":
        raise UsageError(f"user {user_id} uses the embedded calendar service, which needs no sign-in")
    if creds.type != "oauth":
        raise UsageError(f"user {user_id} uses {creds.type} credentials; there is nothing to sign in to",
                         "`auth login` is for credentials of type oauth")
    if creds.client_secrets is None:
        raise UsageError("google.credentials.client_secrets is not set",
                         "download the OAuth client (Desktop app) JSON and point client_secrets at it")
    return user


def client_config(path: Path) -> dict[str, Any]:
    """The OAuth client configuration (the ``installed`` or ``web`` section's parent mapping)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"the OAuth client file {path} cannot be read ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or not ({"installed", "web"} & data.keys()):
        raise UsageError(f"{path} is not an OAuth client file (no 'installed' or 'web' section)")
    return data


def _section(data: dict[str, Any]) -> dict[str, Any]:
    section = data.get("installed") or data.get("web") or {}
    return section if isinstance(section, dict) else {}


@contextlib.contextmanager
def _loopback_http_allowed(token_uri: str) -> Iterator[None]:
    """oauthlib refuses plain http; a token endpoint on this machine (test servers) is allowed it."""
    host = urllib.parse.urlsplit(token_uri).hostname or ""
    if not token_uri.startswith("http://") or host not in {"127.0.0.1", "localhost", "::1"}:
        yield
        return
    before = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = before


def code_from_answer(answer: str, state: str | None) -> str:
    """The authorization code from what a person pasted: the code itself, or the redirect address."""
    answer = answer.strip()
    if not answer.lower().startswith(("http://", "https://")):
        if not answer:
            raise AuthError("*", "no authorization code was entered")
        return answer
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer).query)
    if "error" in query:
        raise AuthError("*", f"Google refused the sign-in: {query['error'][0]}")
    if state is not None and query.get("state", [state])[0] != state:
        raise AuthError("*", "the pasted address belongs to another sign-in attempt (state mismatch)")
    codes = query.get("code")
    if not codes:
        raise AuthError("*", "the pasted address holds no authorization code")
    return codes[0]


def _email_from_id_token(id_token: Any) -> str | None:
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    email = claims.get("email") if isinstance(claims, dict) else None
    return str(email) if email else None


def signed_in_account(config: StudioConfig, credentials: Any) -> str | None:
    """The account the credentials belong to: the primary calendar's id, else the id token's email."""
    client = CalendarClient(normalise_root(config.google.endpoint), credentials, timeout=30.0)
    try:
        primary = client.service.calendars().get(calendarId="primary").execute(num_retries=0)
        account = primary.get("id")
        if account:
            return str(account)
    except Exception:  # the scope may not allow it; the id token is the other witness
        pass
    finally:
        client.close()
    return _email_from_id_token(getattr(credentials, "id_token", None))


@dataclass(frozen=True)
class LoginResult:
    user: str
    account: str
    token_file: Path


def login(
    config: StudioConfig,
    user_id: str,
    *,
    no_browser: bool = False,
    open_browser: bool = True,
    port: int = 0,
    browser: str | None = None,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
) -> LoginResult:
    """Sign ``user_id`` in and save their token; raises AuthError (account mismatch, refused sign-in).

    ``browser`` names a :mod:`webbrowser` controller for the local-server flow (None: the default one).
    """
    user = _oauth_user(config, user_id)
    creds_config = config.credentials_for(user)
    assert creds_config.client_secrets is not None
    data = client_config(creds_config.client_secrets)
    token_uri = str(_section(data).get("token_uri") or "https://oauth2.googleapis.com/token")
    flow = InstalledAppFlow.from_client_config(data, scopes=list(SCOPES))
    try:
        with _loopback_http_allowed(token_uri):
            if no_browser:
                flow.redirect_uri = NO_BROWSER_REDIRECT if not port else f"http://localhost:{port}/"
                url, state = flow.authorization_url(access_type="offline", prompt="consent",
                                                    login_hint=user.google.account)
                say(f"Sign in as {user.google.account}: open this address in a browser\n\n    {url}\n")
                answer = ask("Then paste the code, or the whole address the browser ended on: ")
                flow.fetch_token(code=code_from_answer(answer, state))
            else:
                flow.run_local_server(
                    host="localhost", port=port, open_browser=open_browser, browser=browser,
                    timeout_seconds=600,
                    authorization_prompt_message=f"Sign in as {user.google.account}: {{url}}",
                    access_type="offline", prompt="consent", login_hint=user.google.account)
    except SyncEngineError as exc:
        if isinstance(exc, AuthError) and exc.user == "*":
            raise AuthError(user.id, exc.reason) from exc
        raise
    except Exception as exc:
        raise _login_failure(user.id, exc) from exc
    credentials = flow.credentials
    account = signed_in_account(config, credentials)
    if account is None:
        raise AuthError(user.id, "the account that signed in could not be determined")
    if account.lower() != user.google.account.lower():
        raise AuthError(user.id, f"signed in as {account}, but users[{user.id}].google.account is "
                                 f"{user.google.account}; sign in with that account")
    path = token_path(config, user)
    write_private(path, credentials_to_json(credentials))
    return LoginResult(user.id, account, path)


def _login_failure(user: str, exc: Exception) -> SyncEngineError:
    name = type(exc).__name__
    text = str(getattr(exc, "description", "") or getattr(exc, "error", "") or "")
    if "invalid_grant" in str(exc) or name == "InvalidGrantError":
        return AuthError(user, "the authorization code was refused (invalid_grant); start the sign-in again")
    if name in {"ConnectionError", "Timeout", "ConnectTimeout", "ReadTimeout"}:
        return TransientError(user, "the Google sign-in service could not be reached")
    if name == "WSGITimeoutError":
        return AuthError(user, "no answer from the browser in time; run the sign-in again")
    return AuthError(user, f"the sign-in failed ({name}{': ' + text if text else ''})")


@dataclass(frozen=True)
class LogoutResult:
    user: str
    revoked: bool
    deleted: bool
    note: str = ""


def logout(config: StudioConfig, user_id: str, timeout: float = 10.0) -> LogoutResult:
    """Revoke the user's token (when the revoke endpoint answers) and delete the token file."""
    user = _user(config, user_id)
    path = token_path(config, user)
    if not path.exists():
        return LogoutResult(user.id, revoked=False, deleted=False, note=f"no token file {path}")
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    token = saved.get("refresh_token") or saved.get("token")
    revoke_uri = GOOGLE_REVOKE_URI
    secrets = config.credentials_for(user).client_secrets
    if secrets is not None and secrets.exists():
        revoke_uri = str(_section(client_config(secrets)).get("revoke_uri") or revoke_uri)
    revoked, note = False, ""
    if token:
        http = httplib2.Http(timeout=timeout)
        try:
            response, _ = http.request(
                revoke_uri, "POST", body=urllib.parse.urlencode({"token": token}),
                headers={"content-type": "application/x-www-form-urlencoded"})
            revoked = response.status == 200
            note = "" if revoked else f"the revoke endpoint answered HTTP {response.status}"
        except (OSError, httplib2.HttpLib2Error) as exc:
            note = f"the revoke endpoint could not be reached ({type(exc).__name__})"
        finally:
            http.close()
    path.unlink(missing_ok=True)
    return LogoutResult(user.id, revoked=revoked, deleted=True, note=note)


@dataclass(frozen=True)
class AuthStatus:
    user: str
    account: str
    type: str
    token_file: Path | None
    present: bool
    expiry: datetime | None
    #: how long ago the token file was last written (sign-in or refresh).
    age_seconds: float | None
    refreshable: bool


def status(config: StudioConfig, now: datetime | None = None) -> list[AuthStatus]:
    """Every user's sign-in state."""
    moment = now or datetime.now(UTC)
    rows: list[AuthStatus] = []
    for user in config.users:
        creds = config.credentials_for(user)
        kind = "embedded" if config.google.endpoint == "embedded" else creds.type
        if kind != "oauth":
            rows.append(AuthStatus(user.id, user.google.account, kind, None, False, None, None, False))
            continue
        path = token_path(config, user)
        expiry: datetime | None = None
        refreshable = False
        age: float | None = None
        if path.exists():
            age = max(0.0, moment.timestamp() - path.stat().st_mtime)
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                refreshable = bool(data.get("refresh_token"))
                if data.get("expiry"):
                    expiry = datetime.fromisoformat(str(data["expiry"]).replace("Z", "+00:00"))
            except (OSError, ValueError):
                pass
        rows.append(AuthStatus(user.id, user.google.account, kind, path, path.exists(), expiry, age,
                               refreshable))
    return rows
