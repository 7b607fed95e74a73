"""`syncengine check -c FILE`: validate the config and the environment, one line per check.

::

    OK   config: studio.yaml is valid: 3 users (2 enabled), ...
    FAIL credentials amanda: no sign-in for amanda@... -> run `syncengine auth login amanda -c studio.yaml`

Exit 0 only when no check failed (warnings pass).  A broken config raises ConfigError, which the CLI
shell prints with every problem's line, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from syncengine.checks import run_checks
from syncengine.checks.base import CheckResult
from syncengine.config.loader import load_config
from syncengine.logs.base import redact

_LABELS = {"ok": "OK", "warn": "WARN", "fail": "FAIL"}


def render(result: CheckResult) -> str:
    """One line: ``OK   name: detail`` / ``FAIL name: detail -> fix``."""
    line = f"{_LABELS[result.outcome]:<4} {result.name}"
    if result.detail:
        line += f": {result.detail}"
    if result.fix and result.outcome != "ok":
        line += f" -> {result.fix}"
    return str(redact(line))


@click.command()
@click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default="studio.yaml", show_default=True, help="The studio configuration file.",
)
@click.pass_context
def check(ctx: click.Context, config_path: Path) -> None:
    """Check the configuration and everything a sync needs (folders, credentials, services)."""
    config = load_config(config_path)
    results = run_checks(config)
    for result in results:
        click.echo(render(result))
    failed = sum(1 for r in results if r.outcome == "fail")
    warned = sum(1 for r in results if r.outcome == "warn")
    summary = f"{len(results)} checks: {failed} failed, {warned} warnings"
    click.echo(summary if failed else f"{summary}; ready to sync")
    ctx.exit(1 if failed else 0)
