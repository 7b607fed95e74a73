"""The backend: the embedded endpoint, the entry point, and what `syncengine check` reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from google_support import ZONE, appointment, create, make_config

from adapters.google import GoogleCalendarBackend
from syncengine import plugins
from syncengine.config.model import (
    GoogleAccount,
    GoogleConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.ports import CalendarBackend, CalendarSession

WINDOW = (date(2026, 5, 1), date(2026, 7, 31))


def _embedded_config(tmp_path: Path) -> StudioConfig:
    return StudioConfig(
        path=tmp_path / "studio.yaml",
        studio=StudioSettings("Embedded Studio", ZONE, tmp_path / ".syncengine" / "state.db"),
        sources=(),
        users=(UserConfig("amanda", "Amanda", GoogleAccount("amanda@studio.example")),),
        google=GoogleConfig(endpoint="embedded"),
    )


def test_entry_point_names_the_backend() -> None:
    assert plugins.load(plugins.CALENDARS, "google") is GoogleCalendarBackend
    assert GoogleCalendarBackend.name == "google"


def test_embedded_endpoint_runs_the_service_and_keeps_its_data(tmp_path: Path) -> None:
    config = _embedded_config(tmp_path)
    backend = GoogleCalendarBackend(config)
    assert isinstance(backend, CalendarBackend)
    try:
        session = backend.open(config.users[0])
        assert isinstance(session, CalendarSession)
        assert backend.root_url.startswith("http://127.0.0.1:")
        result = session.apply([create("amanda", appointment("EMB-1"))])[0]
        assert result.status == "ok"
    finally:
        backend.close()
    assert (tmp_path / ".syncengine" / "calendar").is_dir()
    again = GoogleCalendarBackend(config)
    try:
        read = again.open(config.users[0]).read(None, *WINDOW)
        assert [e.appointment.uid for e in read.entries] == ["EMB-1"]
    finally:
        again.close()


def test_checks_on_the_embedded_service_warn_about_the_zone(tmp_path: Path) -> None:
    config = _embedded_config(tmp_path)
    fresh = {r.name: r for r in GoogleCalendarBackend.checks(config)}
    assert fresh["google: user amanda time zone"].outcome == "ok"  # a new calendar is in the studio's zone
    with GoogleCalendarBackend(config) as backend:
        session = backend.open(config.users[0])
        calendars = session.client.service.calendars()
        calendars.patch(calendarId="primary", body={"timeZone": "Europe/Paris"}).execute()
    results = list(GoogleCalendarBackend.checks(config))
    by_name = {r.name: r for r in results}
    assert by_name["google: reachable"].outcome == "ok"
    assert by_name["google: user amanda calendar"].outcome == "ok"
    assert by_name["google: user amanda writable"].outcome == "ok"
    zone = by_name["google: user amanda time zone"]
    assert zone.outcome == "warn" and "stay correct" in zone.detail and "timeZone" in zone.detail
    assert all(r.ok for r in results)


def test_checks_report_missing_calendar_and_unreachable_service(tmp_path: Path, service) -> None:  # type: ignore[no-untyped-def]
    config = make_config(tmp_path, service, {"amanda": "amanda@studio.example", "bob": "bob@studio.example"},
                         time_zone=ZONE)
    amanda, bob = config.users
    lost = UserConfig("bob", "Bob", GoogleAccount("bob@studio.example", calendar="missing@group.calendar",
                                                  credentials=bob.google.credentials))
    config = StudioConfig(config.path, config.studio, (), (amanda, lost), google=config.google)
    by_name = {r.name: r for r in GoogleCalendarBackend.checks(config)}
    assert by_name["google: user amanda calendar"].outcome == "ok"
    assert by_name["google: user amanda time zone"].outcome == "ok"
    missing = by_name["google: user bob calendar"]
    assert missing.outcome == "fail" and "missing@group.calendar" in missing.detail and missing.fix
    down = StudioConfig(config.path, config.studio, (), (amanda,),
                        google=GoogleConfig(endpoint="http://127.0.0.1:9/"))
    (first,) = list(GoogleCalendarBackend.checks(down))
    assert first.name == "google: reachable" and first.outcome == "fail"
