"""`syncengine auth login|logout|status`: connect each studio user's own Google account.

Registered through the ``syncengine.commands`` entry point; every command takes ``-c/--config``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from adapters.google import auth as flows
from syncengine.config.model import StudioConfig

_CONFIG = click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default="studio.yaml", show_default=True, help="The studio configuration file.",
)


def _load(path: Path) -> StudioConfig:
    from syncengine.config.loader import load_config

    return load_config(path)


def age_text(seconds: float | None) -> str:
    """``45s``, ``12m``, ``3h``, ``9d``: how old a token file is."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


@click.group()
def auth() -> None:
    """Sign studio users in to Google (each with their own account), out, and show who is signed in."""


@auth.command()
@click.argument("user")
@_CONFIG
@click.option("--no-browser", is_flag=True, help="Print the sign-in address and read the code back.")
@click.option("--port", type=int, default=0, show_default=True,
              help="Loopback port the browser returns to (0: any free port).")
def login(user: str, config_path: Path, no_browser: bool, port: int) -> None:
    """Sign USER in to Google and save their token (readable by this account only)."""
    config = _load(config_path)
    result = flows.login(config, user, no_browser=no_browser, port=port,
                         ask=lambda prompt: click.prompt(prompt, prompt_suffix="", type=str),
                         say=click.echo)
    click.echo(f"signed in {result.user} as {result.account}; token saved to {result.token_file}")


@auth.command()
@click.argument("user")
@_CONFIG
def logout(user: str, config_path: Path) -> None:
    """Revoke USER's Google token and delete it."""
    config = _load(config_path)
    result = flows.logout(config, user)
    if not result.deleted:
        click.echo(f"{result.user} was not signed in ({result.note})")
        return
    revoked = "revoked and deleted" if result.revoked else "deleted"
    click.echo(f"{result.user}: token {revoked}{f' ({result.note})' if result.note else ''}")


@auth.command()
@_CONFIG
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
def status(config_path: Path, as_json: bool) -> None:
    """Show every user's credential type, token file, expiry and token age."""
    config = _load(config_path)
    now = datetime.now(UTC)
    rows = flows.status(config, now)
    if as_json:
        for row in rows:
            click.echo(json.dumps({
                "user": row.user, "account": row.account, "type": row.type,
                "token_file": str(row.token_file) if row.token_file else None, "present": row.present,
                "expiry": row.expiry.isoformat() if row.expiry else None, "age_seconds": row.age_seconds,
                "refreshable": row.refreshable,
            }))
        return
    click.echo(f"{'USER':<14} {'TYPE':<16} {'TOKEN':<10} {'EXPIRES':<22} AGE  ACCOUNT")
    for row in rows:
        token = "n/a" if row.type != "oauth" else "present" if row.present else "missing"
        expires = row.expiry.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if row.expiry else "-"
        click.echo(f"{row.user:<14} {row.type:<16} {token:<10} {expires:<22} {age_text(row.age_seconds):<4} "
                   f"{row.account}")
    missing = [r.user for r in rows if r.type == "oauth" and not r.present]
    for user in missing:
        click.echo(f"  next: run `syncengine auth login {user} -c {config_path}`")
