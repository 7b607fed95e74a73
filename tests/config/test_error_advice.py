"""Advice names the config file the command was given, so it can be pasted as it is."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from syncengine.cli import main
from syncengine.cli.errors import report, run_guarded
from syncengine.errors import ConfigError, ConfigProblem, UsageError

WriteConfig = Callable[..., Path]


def advice_of(err: str) -> str:
    (line,) = [line for line in err.splitlines() if line.lstrip().startswith("next:")]
    return line.strip()


@pytest.mark.parametrize("form", ["-c {}", "--config {}", "--config={}", "-c{}"])
def test_config_advice_names_the_file_given(form: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "absent.yaml"
    args = ["check", *form.format(path).split(" ")]
    assert main(args) == 2
    assert advice_of(capsys.readouterr().err) == \
        f"next: fix the lines above, then run `syncengine check -c {path}`"


def test_a_path_with_a_space_is_quoted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "my studio" / "studio.yaml"
    assert main(["check", "-c", str(path)]) == 2
    assert advice_of(capsys.readouterr().err).endswith(f"`syncengine check -c '{path}'`")


def test_without_c_the_default_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert advice_of(capsys.readouterr().err).endswith("`syncengine check -c studio.yaml`")


def test_a_hint_of_another_command_names_the_file_too(write_config: WriteConfig,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(extra="processor: {enabled: false}\n")
    assert main(["run", "-c", str(path)]) == 2
    assert advice_of(capsys.readouterr().err) == \
        f"next: set processor.enabled: true, or run `syncengine reconcile -c {path}` by hand"


def test_a_report_made_inside_a_command_names_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    @click.command()
    @click.option("-c", "--config", "config_path", default="studio.yaml")
    def reports(config_path: str) -> None:
        report(ConfigError([ConfigProblem(Path(config_path), 3, 1, "bad")]))

    assert run_guarded(reports, ["-c", "elsewhere/studio.yaml"]) == 0
    assert advice_of(capsys.readouterr().err).endswith("`syncengine check -c elsewhere/studio.yaml`")


def test_file_stays_when_no_config_file_is_known(capsys: pytest.CaptureFixture[str]) -> None:
    @click.command()
    @click.option("--user")
    def no_config(user: str | None) -> None:
        raise UsageError("cannot", hint="run `syncengine check -c FILE`")

    assert run_guarded(no_config, ["--user", "-c"]) == 2
    assert advice_of(capsys.readouterr().err) == "next: run `syncengine check -c FILE`"
    out = io.StringIO()
    report(UsageError("cannot", hint="run `syncengine check -c FILE`"), out)
    assert advice_of(out.getvalue()) == "next: run `syncengine check -c FILE`"
