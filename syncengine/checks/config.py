"""The core checks: the config, the state folder, each enabled user's credentials, sources, writeback.

These need nothing but the local machine; the calendar backend and the other check modules add the
network-facing ones.  A check never changes anything a run depends on, except that the state folder is
created when missing (a run would create it anyway, and creating it is the honest writability test).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from syncengine.checks.base import CheckResult
from syncengine.config.model import Credentials, StudioConfig, UserConfig


def checks(config: StudioConfig) -> Iterator[CheckResult]:
    yield _config_ok(config)
    yield _state_folder(config)
    for user in config.users:
        yield _credentials(config, user)
    for index, source in enumerate(config.sources):
        yield _source(source.id, index, source.path)
    yield _writeback(config)


def _config_ok(config: StudioConfig) -> CheckResult:
    enabled = len(config.enabled_users)
    detail = (f"{config.path.name} is valid: {len(config.users)} users ({enabled} enabled), "
              f"{len(config.sources)} sources, {len(config.resources)} resources, "
              f"time zone {config.studio.timezone}")
    return CheckResult("config", "ok", detail)


def _state_folder(config: StudioConfig) -> CheckResult:
    folder = config.studio.state.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".check-", delete=True):
            pass
    except OSError as exc:
        return CheckResult("state folder", "fail", f"{folder} is not writable ({exc.strerror or exc})",
                           f"make {folder} writable, or set studio.state to a writable place")
    return CheckResult("state folder", "ok", f"{folder} is writable")


def _credentials(config: StudioConfig, user: UserConfig) -> CheckResult:
    name = f"credentials {user.id}"
    if not user.sync.enabled:
        return CheckResult(name, "ok", "user is disabled: not synced, not checked")
    if config.google.endpoint == "embedded":
        return CheckResult(name, "ok", "the embedded calendar service needs no credentials")
    return _credential_files(config, user, config.credentials_for(user), name)


def _credential_files(config: StudioConfig, user: UserConfig, cred: Credentials, name: str) -> CheckResult:
    if cred.type == "oauth":
        if cred.client_secrets is None:
            return CheckResult(name, "fail", "no OAuth client secrets configured",
                               "set google.credentials.client_secrets to the client JSON from Google Cloud")
        if not cred.client_secrets.is_file():
            return CheckResult(name, "fail", f"OAuth client secrets {cred.client_secrets} not found",
                               "download the OAuth client JSON from the Google Cloud console to that path")
        token_dir = cred.token_dir or config.studio.state.parent / "tokens"
        token = token_dir / f"{user.id}.json"
        if not token.is_file():
            return CheckResult(name, "fail", f"no sign-in for {user.google.account} ({token} missing)",
                               f"run `syncengine auth login {user.id} -c {config.path}`")
        return CheckResult(name, "ok", f"signed in as {user.google.account} ({token.name})")
    if cred.type == "service_account":
        if cred.key_file is None or not cred.key_file.is_file():
            return CheckResult(name, "fail", f"service account key {cred.key_file} not found",
                               "save the service account's JSON key there, or fix key_file")
        return CheckResult(name, "ok", f"service account key {cred.key_file.name}"
                           f" acting as {cred.subject or user.google.account}")
    if cred.token:
        return CheckResult(name, "ok", "static token configured")
    if cred.token_env and os.environ.get(cred.token_env):
        return CheckResult(name, "ok", f"static token from ${cred.token_env}")
    return CheckResult(name, "fail", f"environment variable {cred.token_env or '(none)'} is not set",
                       f"export {cred.token_env or 'THE_TOKEN_VARIABLE'}=... before running syncengine")


def _source(source_id: str, index: int, path: Path) -> CheckResult:
    name = f"source {source_id}"
    if path.is_file():
        return CheckResult(name, "ok", f"{path} ({path.stat().st_size} bytes)")
    if path.is_dir():
        files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
        return CheckResult(name, "ok", f"{path} is a drop folder with {len(files)} file(s)")
    return CheckResult(name, "fail", f"{path} does not exist",
                       f"export the appointments there, or fix sources[{index}].path")


def _writeback(config: StudioConfig) -> CheckResult:
    wb = config.writeback
    if wb.mode == "off":
        return CheckResult("writeback", "ok", "off: changes made in Google are not sent to the studio")
    if wb.mode == "in-place":
        return CheckResult("writeback", "ok", "in-place: ICS sources are rewritten")
    assert wb.path is not None  # the loader requires a path for outbox
    existing = wb.path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        state = "exists" if existing == wb.path else "can be created"
        return CheckResult("writeback", "ok", f"outbox {wb.path} {state}")
    return CheckResult("writeback", "fail", f"outbox {wb.path} cannot be created under {existing}",
                       "set writeback.path to a writable folder")
