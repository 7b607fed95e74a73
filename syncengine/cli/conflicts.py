"""`syncengine conflicts [list] [--json]` and `syncengine conflicts resolve UID --take studio|google`.

The list shows every conflict the state file keeps (both values are always kept, so nothing a conflict
overwrote is lost): uid, field, base, studio value, Google value, the resolution and when.  ``resolve``
records a person's choice for a pending conflict, or re-resolves the latest one a policy (or an earlier
choice) settled; the next ``syncengine reconcile`` applies that side's kept value.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from syncengine.config.loader import load_config
from syncengine.errors import UsageError
from syncengine.state.store import StateStore

_CONFIG = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="studio.yaml",
    show_default=True,
    help="The studio configuration file.",
)


class _DefaultList(click.Group):
    """`syncengine conflicts` alone (or with only options) means `syncengine conflicts list`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultList)
def conflicts() -> None:
    """List conflicts, or resolve one by taking a side."""


@conflicts.command("list")
@_CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
@click.option("--pending", is_flag=True, help="Only the ones waiting for review.")
def list_conflicts(config_path: Path, as_json: bool, pending: bool) -> None:
    """List conflicts, newest first."""
    config = load_config(config_path)
    with StateStore.open(config.studio.state, config.studio.name, read_only=True) as store:
        rows = store.conflicts(pending_only=pending)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no conflicts")
        return
    for r in rows:
        take = f" (will take {r.take})" if r.take and r.resolution == "pending" else ""
        click.echo(
            f"{r.time:%Y-%m-%d %H:%M} {r.uid} {r.field}: base {_v(r.base)} | studio {_v(r.studio)} | "
            f"google {_v(r.google)}{f' ({r.user})' if r.user else ''} -> {r.resolution}{take}"
        )


@conflicts.command("resolve")
@_CONFIG
@click.argument("uid")
@click.option("--take", type=click.Choice(["studio", "google"]), required=True, help="The side that wins.")
@click.option("--field", "field_name", default=None, help="Only the conflict on this field.")
def resolve(config_path: Path, uid: str, take: str, field_name: str | None) -> None:
    """Take one side for UID's latest conflicts (pending or settled); the next reconcile applies it."""
    config = load_config(config_path)
    with StateStore.open(config.studio.state, config.studio.name) as store:
        store.acquire_lock()
        count = store.resolve(uid, take, field_name)
    if not count:
        what = f"{uid} field {field_name}" if field_name else uid
        raise UsageError(f"no conflict for {what}", hint="see `syncengine conflicts`")
    click.echo(f"{uid}: {count} conflict(s) will take the {take} side; run `syncengine reconcile` to apply")


def _v(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
