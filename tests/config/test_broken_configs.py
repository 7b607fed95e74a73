"""Broken configs through `syncengine check`: exit 2, no traceback, the offending line named.

The full error text of each is pinned with syrupy (tmp paths replaced by ``<tmp>``); run
``pytest --snapshot-update`` after an intended change of wording and review the diff.
"""

from __future__ import annotations

import pytest

from syncengine.cli import main

HEAD = """\
version: 1
studio:
  name: Test Studio
  timezone: America/Chicago
sources:
  - {id: appointments, format: csv, path: exports/appointments.csv}
"""
USER = """\
users:
  - id: amanda
    name: Amanda P
    google: {account: amanda@example.com}
"""

#: name -> (file text, the line the first problem must name)
BROKEN: dict[str, tuple[str, int]] = {
    "shared_account": (HEAD + USER + """\
  - id: marcus
    name: Marcus Reed
    google: {account: Amanda@Example.com}
""", 13),
    "room_as_sync_target": (HEAD + USER + """\
  - id: studio-a
    name: Studio A
    google: {account: frontdesk@example.com}
resources:
  - {id: studio-a, name: Studio A, kind: room}
""", 11),
    "bad_time_zone": (HEAD.replace("America/Chicago", "America/Chicgo") + USER, 4),
    "windows_time_zone": (HEAD.replace("America/Chicago", "Central Standard Time") + USER, 4),
    "yaml_syntax_error": (HEAD + USER.replace("example.com}", "example.com"), 10),
    "unknown_key_with_suggestion": (HEAD + USER + "    sync: {enabeld: false}\n", 11),
    "missing_timezone": (HEAD.replace("  timezone: America/Chicago\n", "") + USER, 2),
    "email_sink_without_smtp": (HEAD + USER + """\
logging:
  sinks:
    - {type: console}
    - {type: email, to: [owner@studio.example]}
""", 14),
    "email_without_smtp_section": (HEAD + USER + "email: {from: sync@studio.example}\n", 11),
    "bad_duration": (HEAD + USER + "processor: {interval: 5 minutes, debounce: 2s}\n", 11),
    "bad_endpoint": (HEAD + USER + "google: {endpoint: www.googleapis.com}\n", 11),
    "missing_credentials_file_key": (HEAD + USER + """\
google:
  endpoint: https://www.googleapis.com
  credentials: {type: oauth, token_dir: tokens}
""", 13),
    "static_token_without_token": (HEAD + USER + """\
google:
  endpoint: http://127.0.0.1:9000/
  credentials: {type: static_token}
""", 13),
    "duplicate_user_id": (HEAD + USER + """\
  - id: Amanda
    name: Amanda Two
    google: {account: amanda.two@example.com}
""", 11),
    "wrong_type": (HEAD + USER + """\
safety: {max_delete_percent: lots, max_delete_min: 10}
processor: {watch: sometimes}
""", 11),
    "unknown_sink_option": (HEAD + USER + "logging: {sinks: [{type: jsonl, pth: logs/sync.jsonl}]}\n", 11),
    "unknown_sink_type": (HEAD + USER + "logging: {sinks: [{type: consol}]}\n", 11),
    "password_in_config": (HEAD + USER + """\
email:
  smtp: {host: 127.0.0.1, port: 2525, password: hunter2}
  from: sync@studio.example
""", 12),
    "unknown_top_level_key": (HEAD + USER + "conflict: {policy: merge}\n", 11),
    "duplicate_yaml_key": (HEAD + USER + "    name: Amanda Again\n", 11),
    "not_a_mapping": ("- version: 1\n- studio: {}\n", 1),
    "missing_users_and_version": ("studio: {name: S, timezone: UTC}\nsources: []\n", 1),
    "many_problems_at_once": (HEAD.replace("America/Chicago", "Chicago") + USER + """\
  - id: marcus
    name: Marcus
    google: {acount: marcus@example.com}
writeback: {mode: outbox}
conflicts: {policy: studio-win}
""", 4),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_config_exits_2_and_names_the_line(name, tmp_path, capsys, snapshot):
    text, line = BROKEN[name]
    path = tmp_path / "studio.yaml"
    path.write_text(text, encoding="utf-8")

    code = main(["check", "-c", str(path)])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert f"{path}:{line}:" in err.splitlines()[1]
    assert f"next: fix the lines above, then run `syncengine check -c {path}`" in err
    assert "hunter2" not in err
    assert err.replace(str(tmp_path), "<tmp>") == snapshot


def test_missing_config_file_exits_2(tmp_path, capsys):
    code = main(["check", "-c", str(tmp_path / "absent.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{tmp_path / 'absent.yaml'}:1:1: no such file" in err
    assert "Traceback" not in err


def test_console_script_prints_no_traceback(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "studio.yaml"
    path.write_text(BROKEN["room_as_sync_target"][0], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "syncengine", "check", "-c", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "'studio-a' is a resource (room), not a user: resources never sync" in done.stderr
