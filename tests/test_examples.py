"""The bundled example must keep working: it is the quick start of the README."""

from __future__ import annotations

import csv
import shutil
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from syncengine.cli import main
from syncengine.config.loader import load_config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SPECTRA_HEADER = [
    "AppointmentID", "Session Number", "Client Name", "Appointment Type", "Status", "Description", "Date",
    "Start Time", "End Time", "Length", "Photographer", "Assistant", "Resources", "Outside Location",
    "Booked By", "Notes",
]


@pytest.fixture
def example(tmp_path) -> Path:
    """A copy of examples/ so a check (which creates the state folder) leaves the repository clean."""
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns(".syncengine", "logs", "imports"))
    return copy / "studio.yaml"


def test_example_config_loads_with_what_it_promises(example):
    config = load_config(example)
    assert len(config.users) >= 3
    assert any(not u.sync.enabled for u in config.users)
    assert any(u.sync.direction == "push" for u in config.users)
    assert {s.format for s in config.sources} == {"csv", "ics"}
    assert config.sources[0].dialect == "spectra"
    assert config.resources and config.writeback.mode == "outbox"
    assert config.google.endpoint == "embedded" and config.google.credentials.type == "oauth"
    assert config.email is not None and config.email.smtp.port == 2525
    assert [s.type for s in config.logging.sinks] == ["console", "jsonl", "email"]
    assert all(s.path.exists() for s in config.sources)


class _Accept:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


@pytest.fixture
def mail_server():
    """A real SMTP server on a free loopback port (the example's 2525 may be taken on a shared machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_check_passes_on_the_example(example, mail_server, capsys):
    text = example.read_text(encoding="utf-8")
    assert "port: 2525" in text
    example.write_text(text.replace("port: 2525", f"port: {mail_server}"), encoding="utf-8")
    code = main(["check", "-c", str(example)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out
    assert out.splitlines()[0].startswith("OK   config: studio.yaml is valid")
    assert (example.parent / ".syncengine").is_dir()


def test_check_passes_on_the_example_without_a_mail_server(example, capsys):
    # A fresh clone has no mail server on 127.0.0.1:2525: that is a warning, not a failure.
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 2525)) == 0:
            pytest.skip("something listens on 127.0.0.1:2525; this test needs the port free")
    code = main(["check", "-c", str(example)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "WARN smtp: nothing listens on 127.0.0.1:2525" in out


def test_example_export_has_the_spectra_header_and_staff_from_the_config(example):
    config = load_config(example)
    names = {n.casefold() for u in config.users for n in u.names}
    with (example.parent / "exports" / "appointments.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == SPECTRA_HEADER
    assert len(rows) >= 10
    assert len({r["AppointmentID"] for r in rows}) == len(rows)
    for row in rows:
        month, _, year = row["Date"].split("/")
        assert (year, month) in {("2026", "12"), ("2027", "01")}, row["Date"]
        cells = (row["Photographer"], row["Assistant"])
        staff = [n.strip() for cell in cells for n in cell.replace(";", ",").split(",")]
        assert all(n.casefold() in names for n in staff if n), staff


def test_example_ics_is_a_calendar_with_events():
    from icalendar import Calendar

    calendar = Calendar.from_ical((EXAMPLES / "exports" / "calendar.ics").read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) >= 3
    assert len({str(e["UID"]) for e in events}) == len(events)
