"""Accounts, tokens and calendars, through the real client over HTTP."""

from __future__ import annotations

import json

import pytest
from emulator_support import ACCOUNT, make_client, timed
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from adapters.google.emulator import CalendarService, EmulatorError


def _reason(error: HttpError) -> tuple[int, str, str]:
    body = json.loads(error.content)["error"]
    return body["code"], body["errors"][0]["reason"], body.get("status", "")


def test_calendar_list_shows_the_primary_calendar_with_its_zone(cal):
    listing = cal.calendarList().list().execute()
    assert [e["id"] for e in listing["items"]] == [ACCOUNT]
    entry = listing["items"][0]
    assert entry["primary"] is True and entry["accessRole"] == "owner"
    assert entry["timeZone"] == "America/Chicago"
    assert cal.calendarList().get(calendarId="primary").execute()["id"] == ACCOUNT


def test_calendars_get_and_patch_time_zone(cal, service):
    before = cal.calendars().get(calendarId="primary").execute()
    assert before["id"] == ACCOUNT and before["timeZone"] == "America/Chicago"
    after = cal.calendars().patch(calendarId=ACCOUNT, body={"timeZone": "Europe/Zurich"}).execute()
    assert after["timeZone"] == "Europe/Zurich" and after["etag"] != before["etag"]
    assert cal.calendars().get(calendarId="primary").execute()["timeZone"] == "Europe/Zurich"
    assert cal.events().list(calendarId="primary").execute()["timeZone"] == "Europe/Zurich"
    assert service.time_zone(ACCOUNT) == "Europe/Zurich"
    with pytest.raises(HttpError) as bad:
        cal.calendars().patch(calendarId="primary", body={"timeZone": "Mars/Olympus"}).execute()
    assert _reason(bad.value)[0] == 400


def test_percent_encoded_calendar_id_is_decoded(cal):
    created = cal.events().insert(calendarId=ACCOUNT, body=timed()).execute()
    assert cal.events().get(calendarId="primary", eventId=created["id"]).execute()["id"] == created["id"]


def test_no_token_is_401_with_google_error_shape(service, token, client_factory):
    anonymous = client_factory(None)
    with pytest.raises(HttpError) as caught:
        anonymous.calendarList().list().execute()
    assert _reason(caught.value) == (401, "authError", "UNAUTHENTICATED")


def test_unknown_token_is_401_and_credentials_cannot_refresh(service, token, client_factory):
    stranger = client_factory("not-a-token")
    # google-auth tries to refresh on 401; a bare access token has no way to, which proves the 401
    with pytest.raises(RefreshError):
        stranger.calendars().get(calendarId="primary").execute()
    raw = client_factory("not-a-token", timeout=5)
    with pytest.raises(HttpError) as caught:
        raw.calendars().get(calendarId="primary").execute()
    assert caught.value.resp.status == 401


def test_each_token_maps_to_its_own_account(service, client_factory):
    a = client_factory(service.add_account("a@studio.example", time_zone="UTC"))
    b = client_factory(service.add_account("b@studio.example", time_zone="Asia/Tokyo"))
    a.events().insert(calendarId="primary", body=timed("for a")).execute()
    assert b.calendars().get(calendarId="primary").execute()["timeZone"] == "Asia/Tokyo"
    assert b.events().list(calendarId="primary").execute()["items"] == []
    for call in (b.calendars().get(calendarId="a@studio.example"),
                 b.events().list(calendarId="a@studio.example")):
        with pytest.raises(HttpError) as caught:
            call.execute()
        assert _reason(caught.value)[:2] == (404, "notFound")
    assert [e["summary"] for e in service.events("a@studio.example")] == ["for a"]


def test_trusted_embedded_tokens_create_accounts_on_first_use(client_factory):
    with CalendarService(trust_embedded=True) as svc:
        client = make_client(svc.root_url, "embedded:new@studio.example")
        try:
            assert client.calendars().get(calendarId="primary").execute()["timeZone"] == "UTC"
            client.events().insert(calendarId="primary", body=timed()).execute()
        finally:
            client.close()
        assert svc.accounts() == ["new@studio.example"]
        assert len(svc.events("new@studio.example")) == 1


def test_embedded_tokens_are_refused_unless_trusted(service, client_factory):
    client = client_factory("embedded:new@studio.example", timeout=5)
    with pytest.raises(HttpError) as caught:
        client.calendars().get(calendarId="primary").execute()
    assert caught.value.resp.status == 401
    assert service.accounts() == []


def test_python_api_errors_are_emulator_errors(service):
    with pytest.raises(EmulatorError):
        service.events("nobody@studio.example")
    with pytest.raises(EmulatorError):
        service.add_account("x@studio.example", time_zone="Not/AZone")
    with pytest.raises(EmulatorError):
        service.faults.inject("teapot")
    with pytest.raises(EmulatorError):
        _ = CalendarService().root_url


def test_settings_and_colors(cal):
    assert cal.settings().get(setting="timezone").execute()["value"] == "America/Chicago"
    assert set(cal.colors().get().execute()["event"]) == {str(i) for i in range(1, 12)}
