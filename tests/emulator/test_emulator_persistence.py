"""Persistence across restarts and kills, and the `syncengine emulator` commands."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from emulator_support import ACCOUNT, make_client, timed
from googleapiclient.errors import HttpError
from icalendar import Calendar

from adapters.google.emulator import CalendarService, EmulatorError
from syncengine.cli import main

SCRIPT = str(Path(sys.executable).with_name("syncengine"))


def _full_list(client) -> tuple[list[dict], str]:
    items, token = [], None
    while True:
        page = client.events().list(calendarId="primary", pageToken=token, maxResults=2).execute()
        items += page["items"]
        token = page.get("nextPageToken")
        if token is None:
            return items, page["nextSyncToken"]


def test_data_and_sync_tokens_survive_a_restart(tmp_path):
    with CalendarService(tmp_path) as first:
        token = first.add_account(ACCOUNT, time_zone="Europe/Berlin")
        client = make_client(first.root_url, token)
        for n in range(3):
            client.events().insert(calendarId="primary", body=timed(id=f"keep{n:05d}")).execute()
        before, sync = _full_list(client)
        client.close()
    with CalendarService(tmp_path) as second:
        client = make_client(second.root_url, token)
        try:
            after, _ = _full_list(client)
            assert after == before
            assert client.events().list(calendarId="primary", syncToken=sync).execute()["items"] == []
            client.events().delete(calendarId="primary", eventId="keep00001").execute()
            delta = client.events().list(calendarId="primary", syncToken=sync).execute()
            assert [(i["id"], i["status"]) for i in delta["items"]] == [("keep00001", "cancelled")]
            assert client.calendars().get(calendarId="primary").execute()["timeZone"] == "Europe/Berlin"
        finally:
            client.close()


def test_the_same_service_object_can_stop_and_start_again(tmp_path):
    service = CalendarService(tmp_path)
    token = service.add_account(ACCOUNT)
    service.start()
    client = make_client(service.root_url, token)
    client.events().insert(calendarId="primary", body=timed(id="again0001")).execute()
    client.close()
    service.stop()
    service.start()
    try:
        client = make_client(service.root_url, token)
        assert client.events().get(calendarId="primary", eventId="again0001").execute()["id"] == "again0001"
        client.close()
    finally:
        service.stop()


def test_tokens_from_a_forgotten_store_are_410_not_500():
    with CalendarService() as memory:
        token = memory.add_account(ACCOUNT, "fixed-token")
        client = make_client(memory.root_url, token)
        _, sync = _full_list(client)
        client.close()
    with CalendarService() as fresh:
        fresh.add_account(ACCOUNT, "fixed-token")
        client = make_client(fresh.root_url, "fixed-token")
        try:
            with pytest.raises(HttpError) as caught:
                client.events().list(calendarId="primary", syncToken=sync).execute()
            assert caught.value.resp.status == 410
        finally:
            client.close()


def _serve(data: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([SCRIPT, "emulator", "serve", "--port", "0", "--data", str(data),
                             "--token", f"tok-1={ACCOUNT}", "--time-zone", f"{ACCOUNT}=America/Chicago",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_subprocess_stops_on_sigterm_and_keeps_data(tmp_path, capsys):
    data = tmp_path / "calendar"
    with _serve(data) as proc:
        assert proc.stdout is not None
        root = proc.stdout.readline().strip()
        assert root.startswith("http://127.0.0.1:") and root.endswith("/")
        client = make_client(root, "tok-1")
        client.events().insert(calendarId="primary", body={
            "id": "cli000001", "summary": "Family portrait", "location": "Studio A",
            "start": {"dateTime": "2026-03-10T10:00:00-05:00", "timeZone": "America/Chicago"},
            "end": {"dateTime": "2026-03-10T11:00:00-05:00", "timeZone": "America/Chicago"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"]}).execute()
        client.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
    assert main(["emulator", "events", ACCOUNT, "--data", str(data)]) == 0
    table = capsys.readouterr().out
    assert "cli000001" in table and "Family portrait" in table and "2026-03-10T10:00:00-05:00" in table
    assert main(["emulator", "events", ACCOUNT, "--data", str(data), "--ics"]) == 0
    calendar = Calendar.from_ical(capsys.readouterr().out)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "cli000001@google.com" and str(event["SUMMARY"]) == "Family portrait"
    assert event["RRULE"]["COUNT"] == [2]
    assert event.decoded("DTSTART").isoformat() == "2026-03-10T10:00:00-05:00"


def test_a_killed_server_leaves_a_readable_store(tmp_path):
    data = tmp_path / "calendar"
    with _serve(data) as proc:
        assert proc.stdout is not None
        client = make_client(proc.stdout.readline().strip(), "tok-1")
        for n in range(20):
            client.events().insert(calendarId="primary", body=timed(id=f"kill{n:05d}")).execute()
        client.close()
        proc.kill()
        proc.communicate(timeout=20)
    service = CalendarService(data)
    try:
        assert len(service.events(ACCOUNT)) == 20
    finally:
        service.stop()


def test_cli_reports_usage_errors(tmp_path, capsys):
    assert main(["emulator", "serve", "--token", "no-equals-sign", "--data", str(tmp_path)]) == 2
    assert "--token expects LEFT=RIGHT" in capsys.readouterr().err
    assert main(["emulator", "events", "nobody@studio.example", "--data", str(tmp_path)]) == 1
    assert "no calendar" in capsys.readouterr().err


def test_cli_table_of_an_empty_calendar(tmp_path, capsys):
    service = CalendarService(tmp_path)
    service.add_account(ACCOUNT)
    service.stop()
    assert main(["emulator", "events", ACCOUNT, "--data", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert out.out.split()[:5] == ["ID", "STATUS", "START", "END", "SUMMARY"]
    assert out.err.strip() == "0 event(s)"


def test_an_unreadable_store_is_an_emulator_error(tmp_path, capsys):
    (tmp_path / "calendar.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(EmulatorError) as caught:
        CalendarService(tmp_path)
    assert "calendar.db" in str(caught.value)
    assert main(["emulator", "events", ACCOUNT, "--data", str(tmp_path)]) == 1
    assert "cannot open the calendar store" in capsys.readouterr().err
