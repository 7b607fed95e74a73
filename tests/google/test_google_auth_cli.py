"""`syncengine auth login|status|logout` through the real CLI entry point and a real config file."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest
from oauth_server import token_endpoint

from syncengine.cli import main

ACCOUNT = "amanda@studio.example"


def _write_config(tmp_path: Path, root: str) -> Path:
    path = tmp_path / "studio.yaml"
    path.write_text(f"""\
version: 1
studio:
  name: Test Studio
  timezone: America/Chicago
sources:
  - id: appointments
    format: csv
    path: exports/appointments.csv
    dialect: spectra
users:
  - id: amanda
    name: Amanda P
    google: {{account: {ACCOUNT}}}
google:
  endpoint: {root}
  credentials: {{type: oauth, client_secrets: client.json, token_dir: tokens}}
""", encoding="utf-8")
    (tmp_path / "exports").mkdir()
    export = tmp_path / "exports" / "appointments.csv"
    export.write_text("AppointmentID,Date,Start Time\n", encoding="utf-8")
    return path


def test_login_status_logout(tmp_path, service, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with token_endpoint() as endpoint:
        endpoint.client_secrets(tmp_path / "client.json")
        service.add_account(ACCOUNT, token="cli-access")
        endpoint.codes["cli-code"] = ("cli-access", "cli-refresh")
        config = str(_write_config(tmp_path, service.root_url))

        assert main(["auth", "status", "-c", config]) == 0
        out = capsys.readouterr().out
        assert "amanda" in out and "missing" in out and "syncengine auth login amanda" in out

        monkeypatch.setattr("sys.stdin", io.StringIO("cli-code\n"))
        assert main(["auth", "login", "amanda", "-c", config, "--no-browser"]) == 0
        out = capsys.readouterr().out
        assert "accounts.google.com" not in out and endpoint.base + "auth" in out
        assert f"signed in amanda as {ACCOUNT}" in out
        token_file = tmp_path / "tokens" / "amanda.json"
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        assert "cli-access" not in out and "cli-refresh" not in out

        assert main(["auth", "status", "-c", config, "--json"]) == 0
        (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert row["present"] and row["refreshable"] and row["type"] == "oauth" and "token" not in row

        assert main(["auth", "logout", "amanda", "-c", config]) == 0
        assert "revoked and deleted" in capsys.readouterr().out
        assert endpoint.revoked == ["cli-refresh"] and not token_file.exists()


def test_login_for_an_unknown_user_is_a_usage_error(tmp_path, service, capsys) -> None:  # type: ignore[no-untyped-def]
    with token_endpoint() as endpoint:
        endpoint.client_secrets(tmp_path / "client.json")
        config = str(_write_config(tmp_path, service.root_url))
        assert main(["auth", "login", "zoe", "-c", config, "--no-browser"]) == 2
        err = capsys.readouterr().err
        assert "no user 'zoe'" in err and "amanda" in err


@pytest.mark.parametrize("argv", [["auth", "--help"], ["auth", "login", "--help"]])
def test_help(argv: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(argv) == 0
    assert "Usage" in capsys.readouterr().out
