"""`syncengine check`: the core checks, how check modules are collected, and the printed lines."""

from __future__ import annotations

import os
import re
import textwrap

import pytest

from syncengine import checks as check_package
from syncengine.checks import _guarded, check_modules, run_checks
from syncengine.checks import config as core
from syncengine.checks.base import CheckResult
from syncengine.cli import main
from syncengine.cli.check import render
from syncengine.config.loader import load_config
from syncengine.errors import AuthError

REMOTE = """\
version: 1
studio: {name: S, timezone: UTC}
sources: [{id: appointments, format: csv, path: exports/appointments.csv}]
users:
  - {id: amanda, name: Amanda, google: {account: amanda@example.com}}
  - {id: dana, name: Dana, google: {account: dana@example.com}, sync: {enabled: false}}
google:
  endpoint: https://calendar.invalid/
"""


def by_name(results):
    return {r.name: r for r in results}


def test_oauth_user_without_a_token_fails_with_the_login_command(write_config):
    path = write_config(REMOTE + "  credentials: {type: oauth, client_secrets: secret.json}\n")
    (path.parent / "secret.json").write_text("{}")
    results = by_name(core.checks(load_config(path)))
    amanda = results["credentials amanda"]
    assert amanda.outcome == "fail"
    assert amanda.fix == f"run `syncengine auth login amanda -c {path.resolve()}`"
    assert results["credentials dana"].outcome == "ok"  # disabled users are not checked

    tokens = path.parent / ".syncengine" / "tokens"
    tokens.mkdir(parents=True)
    (tokens / "amanda.json").write_text("{}")
    assert by_name(core.checks(load_config(path)))["credentials amanda"].outcome == "ok"


def test_oauth_without_the_client_secrets_file_fails(write_config):
    path = write_config(REMOTE + "  credentials: {type: oauth, client_secrets: missing.json}\n")
    result = by_name(core.checks(load_config(path)))["credentials amanda"]
    assert result.outcome == "fail" and "missing.json" in result.detail


def test_service_account_and_static_token_credentials(write_config, monkeypatch):
    path = write_config(REMOTE + "  credentials: {type: service_account, key_file: sa.json}\n")
    assert by_name(core.checks(load_config(path)))["credentials amanda"].outcome == "fail"
    (path.parent / "sa.json").write_text("{}")
    assert by_name(core.checks(load_config(path)))["credentials amanda"].outcome == "ok"

    path = write_config(REMOTE + "  credentials: {type: static_token, token_env: STUDIO_CAL_TOKEN}\n")
    monkeypatch.delenv("STUDIO_CAL_TOKEN", raising=False)
    failed = by_name(core.checks(load_config(path)))["credentials amanda"]
    assert failed.outcome == "fail" and "STUDIO_CAL_TOKEN" in failed.fix
    monkeypatch.setenv("STUDIO_CAL_TOKEN", "abc-123")
    assert by_name(core.checks(load_config(path)))["credentials amanda"].outcome == "ok"


def test_embedded_endpoint_needs_no_credentials(write_config):
    results = by_name(core.checks(load_config(write_config())))
    assert results["credentials amanda"].outcome == "ok"
    assert "embedded" in results["credentials amanda"].detail


def test_state_folder_is_created_and_an_unusable_one_fails(write_config):
    path = write_config()
    results = by_name(core.checks(load_config(path)))
    assert results["state folder"].outcome == "ok"
    assert (path.parent / ".syncengine").is_dir()
    assert os.listdir(path.parent / ".syncengine") == []  # the probe file is gone again

    (path.parent / "blocked").write_text("a file, not a folder")
    path = write_config(extra="")
    text = path.read_text().replace("  timezone: America/Chicago\n",
                                    "  timezone: America/Chicago\n  state: blocked/state.db\n")
    path.write_text(text)
    result = by_name(core.checks(load_config(path)))["state folder"]
    assert result.outcome == "fail" and "studio.state" in result.fix


def test_missing_source_and_unusable_writeback_fail(write_config):
    path = write_config(extra="writeback: {mode: outbox, path: outfile/from-google}\n")
    (path.parent / "outfile").write_text("not a folder")
    (path.parent / "exports" / "appointments.csv").unlink()
    results = by_name(core.checks(load_config(path)))
    assert results["source appointments"].outcome == "fail"
    assert "sources[0].path" in results["source appointments"].fix
    assert results["writeback"].outcome == "fail"


def test_drop_folder_source_is_ok(write_config, minimal_config):
    path = write_config(minimal_config.replace("exports/appointments.csv", "exports"))
    result = by_name(core.checks(load_config(path)))["source appointments"]
    assert result.outcome == "ok" and "drop folder with 1 file" in result.detail


def test_check_modules_are_collected_config_first():
    names = check_modules()
    assert names[0] == "config" and "base" not in names
    assert names[1:] == sorted(names[1:])


def test_a_check_raising_a_syncengine_error_becomes_a_fail_line():
    def flaky(config):
        yield CheckResult("first", "ok", "fine")
        raise AuthError("amanda", "token revoked")

    results = list(_guarded("calendar", flaky, None))
    assert [r.outcome for r in results] == ["ok", "fail"]
    assert results[1].detail == "user amanda: token revoked"
    assert "syncengine auth login amanda" in results[1].fix


def test_run_checks_starts_with_the_core_checks(write_config):
    results = run_checks(load_config(write_config()))
    assert [r.name for r in results[:3]] == ["config", "state folder", "credentials amanda"]
    assert all(isinstance(r, CheckResult) for r in results)
    assert check_package.CALENDAR_BACKEND == "google"


@pytest.mark.parametrize(
    ("result", "line"),
    [
        (CheckResult("config", "ok", "valid", "ignored"), "OK   config: valid"),
        (CheckResult("calendar tz", "warn", "Europe/Paris", "set it to UTC"),
         "WARN calendar tz: Europe/Paris -> set it to UTC"),
        (CheckResult("source a", "fail", "missing", "export it"), "FAIL source a: missing -> export it"),
        (CheckResult("smtp", "fail", "password=hunter2 refused"), "FAIL smtp: password=[redacted] refused"),
    ],
)
def test_render(result, line):
    assert render(result) == line


def test_check_command_exits_1_when_a_check_fails(write_config, capsys):
    path = write_config()
    (path.parent / "exports" / "appointments.csv").unlink()
    code = main(["check", "-c", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL source appointments:" in out
    assert re.fullmatch(r"\d+ checks: 1 failed, \d+ warnings", out.splitlines()[-1])


def test_check_command_default_config_is_studio_yaml_in_the_working_folder(write_config, capsys, monkeypatch):
    path = write_config(textwrap.dedent("""\
        version: 1
        studio: {name: S, timezone: Mars/Base}
        sources: [{id: a, format: csv, path: a.csv}]
        users: []
        """))
    monkeypatch.chdir(path.parent)
    assert main(["check"]) == 2
    assert "studio.yaml:2:" in capsys.readouterr().err
