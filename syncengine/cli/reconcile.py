"""`syncengine reconcile`: gather, plan, check the gates and (unless --dry-run) apply; print the plan.

Stdout carries the result (the readable plan, or the ``--json`` document); log events and the progress
indicator go to stderr.  The exit code is the run's (0, 1, 3, 4), or 2 for bad usage or configuration.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncengine.cli.errors import report
from syncengine.config.loader import load_config
from syncengine.logs.registry import build_bus
from syncengine.reconcile.render import plan_json, plan_text
from syncengine.reconcile.runner import SyncOptions, sync


class _Progress:
    """``applying 120/480`` on stderr, rewritten in place; only when stderr is a terminal."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total >= 20 and sys.stderr.isatty():
            sys.stderr.write(f"\rapplying {done}/{total}")
            sys.stderr.flush()
            self.shown = True

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


@click.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="studio.yaml",
    show_default=True,
    help="The studio configuration file.",
)
@click.option("--dry-run", is_flag=True, help="Show the plan; write nothing (not even the state file).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as a syncengine.plan/1 JSON document.")
@click.option("--user", "users", multiple=True, metavar="ID", help="Sync only this user (repeatable).")
@click.option("--force", is_flag=True, help="Override the delete, shrink and time-shift safety gates.")
@click.option("--resync", is_flag=True, help="Accept a change of scope; read every calendar in full.")
@click.pass_context
def reconcile(
    ctx: click.Context,
    config_path: Path,
    dry_run: bool,
    as_json: bool,
    users: tuple[str, ...],
    force: bool,
    resync: bool,
) -> None:
    """Bring the studio's exports and every user's calendar in step (or show what that would do)."""
    config = load_config(config_path)
    bus = build_bus(config, dry_run=dry_run)
    progress = _Progress()
    try:
        result = sync(
            config,
            SyncOptions(users=users, dry_run=dry_run, force=force, resync=resync, trigger="reconcile"),
            bus=bus,
            progress=progress,
        )
    finally:
        progress.end()
        bus.close()
    click.echo(plan_json(result.plan) if as_json else plan_text(result.plan), nl=False)
    if as_json:
        click.echo()
    for user, outcome in result.users.items():
        if outcome.error is not None and outcome.outcome in ("failed", "gated"):
            print(f"user {user}:", file=sys.stderr)
            report(outcome.error)
    pending = sum(u.pending for u in result.plan.units)
    if pending and result.exit_code == 3:
        print(
            f"{pending} conflict(s) wait for review: `syncengine conflicts -c {config_path}`", file=sys.stderr
        )
    ctx.exit(result.exit_code)
