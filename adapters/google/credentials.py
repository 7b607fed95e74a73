"""Credentials per user: token files, the three credential types, and automatic refresh write-back.

Credential types (``google.credentials.type``, or a user's own ``google.credentials``):

- ``oauth``: the user signed in with ``syncengine auth login USER``; their token lives in
  ``<token_dir>/<user id>.json`` (created 0600, replaced atomically).  Refreshed tokens are written back.
- ``service_account``: a Workspace service account key with domain-wide delegation; the subject is the
  user's ``google.account`` (or the credentials' explicit ``subject``).
- ``static_token``: a bearer token (``token`` or ``token_env``) for test servers; never refreshed.

With ``google.endpoint: embedded`` every user gets the token ``embedded:<account>``, which the embedded
service accepts for that account.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import google.auth.credentials
import google.oauth2.credentials
from google.auth.transport import Request
from google.oauth2 import service_account

from syncengine.config.model import Credentials as CredentialsConfig
from syncengine.config.model import StudioConfig, UserConfig
from syncengine.errors import AuthError

SCOPES = ("https://www.googleapis.com/auth/calendar",)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"


def token_dir(config: StudioConfig, creds: CredentialsConfig) -> Path:
    """Where token files live: ``token_dir``, else ``tokens/`` next to the state file."""
    return creds.token_dir or config.studio.state.parent / "tokens"


def token_path(config: StudioConfig, user: UserConfig) -> Path:
    return token_dir(config, config.credentials_for(user)) / f"{user.id}.json"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    # os.open with 0o600: the file never exists with wider permissions, not even for a moment.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def credentials_to_json(creds: google.oauth2.credentials.Credentials) -> str:
    data: dict[str, Any] = {
        "token": creds.token,
        "refresh_token": creds.refresh_token,
        "token_uri": creds.token_uri,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "scopes": list(creds.scopes or SCOPES),
        "expiry": _utc_text(creds.expiry) if creds.expiry else None,
        "saved": _utc_text(datetime.now(UTC)),
    }
    return json.dumps(data, indent=2) + "\n"


def _utc_text(moment: datetime) -> str:
    # google-auth keeps expiry as a naive UTC datetime.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


class StoredCredentials(google.oauth2.credentials.Credentials):
    """User credentials that write themselves back to their token file after every refresh."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]
        self._path = path
        self._refresh_lock = threading.Lock()

    def refresh(self, request: Request) -> None:
        # One refresh at a time: a session's threads share the credentials and the token file.
        with self._refresh_lock:
            super().refresh(request)  # type: ignore[no-untyped-call]
            write_private(self._path, credentials_to_json(self))


def load_token_file(path: Path, user: str) -> StoredCredentials:
    """The credentials saved by ``auth login``; :class:`AuthError` when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuthError(user, f"not signed in to Google (no token file {path})") from None
    except (OSError, ValueError) as exc:
        raise AuthError(user, f"the token file {path} cannot be read ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or not (data.get("token") or data.get("refresh_token")):
        raise AuthError(user, f"the token file {path} holds no token")
    expiry = None
    if data.get("expiry"):
        # google-auth compares expiry as a naive UTC datetime.
        expiry = datetime.fromisoformat(str(data["expiry"]).replace("Z", "+00:00")).astimezone(UTC)
        expiry = expiry.replace(tzinfo=None)
    # Built directly rather than through from_authorized_user_info, which always replaces token_uri
    # with Google's own and so would ignore the client configuration's token endpoint.
    return StoredCredentials(
        path,
        token=data.get("token"),
        refresh_token=data.get("refresh_token"),
        token_uri=data.get("token_uri") or GOOGLE_TOKEN_URI,
        client_id=data.get("client_id"),
        client_secret=data.get("client_secret"),
        scopes=data.get("scopes") or list(SCOPES),
        expiry=expiry,
    )


def static_token(creds: CredentialsConfig, user: str) -> str:
    if creds.token:
        return creds.token
    if creds.token_env:
        value = os.environ.get(creds.token_env)
        if value:
            return value
        raise AuthError(user, f"the environment variable {creds.token_env} "
                              "(google.credentials.token_env) is not set")
    raise AuthError(user, "static_token credentials need `token` or `token_env`")


def user_credentials(config: StudioConfig, user: UserConfig) -> google.auth.credentials.Credentials:
    """The credentials to call the Calendar service as ``user``."""
    if config.google.endpoint == "embedded":
        return google.oauth2.credentials.Credentials(  # type: ignore[no-untyped-call]
            token=f"embedded:{user.google.account}")
    creds = config.credentials_for(user)
    if creds.type == "static_token":
        return google.oauth2.credentials.Credentials(  # type: ignore[no-untyped-call]
            token=static_token(creds, user.id))
    if creds.type == "service_account":
        if creds.key_file is None:
            raise AuthError(user.id, "service_account credentials need `key_file`")
        try:
            base = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(creds.key_file), scopes=list(SCOPES))
        except (OSError, ValueError) as exc:
            raise AuthError(user.id, f"the service account key {creds.key_file} cannot be used "
                                     f"({type(exc).__name__})") from exc
        # A subject only makes sense per user: studio-wide credentials impersonate each user's account.
        own = user.google.credentials
        subject = own.subject if own is not None and own.subject else user.google.account
        delegated: google.auth.credentials.Credentials = base.with_subject(subject)
        return delegated
    return load_token_file(token_path(config, user), user.id)
