"""Injected faults, latency and request accounting, seen through the real client; the admin API."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
from emulator_support import ACCOUNT, timed
from googleapiclient.errors import HttpError


def _error(call) -> tuple[int, dict]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value.resp.status, caught.value


@pytest.mark.parametrize(("kind", "status", "domain", "reason"), [
    ("429", 429, "usageLimits", "rateLimitExceeded"),
    ("403-rate", 403, "usageLimits", "rateLimitExceeded"),
    ("403-user-rate", 403, "usageLimits", "userRateLimitExceeded"),
    ("403-quota", 403, "usageLimits", "quotaExceeded"),
    ("500", 500, "global", "backendError"),
    ("503", 503, "global", "backendError"),
])
def test_error_faults_answer_like_google_then_stop(service, cal, kind, status, domain, reason):
    service.faults.inject(kind, retry_after=7)
    got, error = _error(cal.events().insert(calendarId="primary", body=timed(id="fault0001")))
    assert got == status
    item = json.loads(error.content)["error"]["errors"][0]
    assert (item["domain"], item["reason"]) == (domain, reason)
    assert error.resp["retry-after"] == "7"
    assert service.events(ACCOUNT) == []  # refused before it ran
    assert cal.events().insert(calendarId="primary", body=timed(id="fault0001")).execute()["id"]


def test_count_and_methods_limit_a_rule(service, cal):
    service.faults.inject("500", 2, methods=("events.insert",))
    assert cal.events().list(calendarId="primary").execute()["items"] == []
    assert _error(cal.events().insert(calendarId="primary", body=timed()))[0] == 500
    assert _error(cal.events().insert(calendarId="primary", body=timed()))[0] == 500
    cal.events().insert(calendarId="primary", body=timed()).execute()
    counts = service.counts()
    assert counts["events.insert"] == 3 and counts["events.list"] == 1 and counts["http"] == 4


def test_client_retries_see_the_faults(service, cal):
    service.faults.inject("503", 2)
    request = cal.events().insert(calendarId="primary", body=timed(id="retr00001"))
    request._sleep = lambda _seconds: None  # the client's backoff pause; the retries themselves are real
    created = request.execute(num_retries=3)
    assert created["id"] == "retr00001"
    assert service.counts()["events.insert"] == 3


def test_fraction_faults_hit_some_requests(service, cal):
    service.faults.inject("429", 0, fraction=0.5)
    failures = 0
    for _ in range(40):
        try:
            cal.events().list(calendarId="primary").execute()
        except HttpError as exc:
            assert exc.resp.status == 429
            failures += 1
    assert 5 < failures < 35
    service.faults.clear()
    cal.events().list(calendarId="primary").execute()


def test_drop_closes_the_connection_without_an_answer(service, cal):
    # httplib2 retries once on a dropped connection, so two drops reach the caller
    service.faults.inject("drop", 2)
    with pytest.raises(http.client.RemoteDisconnected):
        cal.events().list(calendarId="primary").execute()
    assert cal.events().list(calendarId="primary").execute()["items"] == []


def test_drop_after_commit_makes_a_retried_insert_a_duplicate(service, cal):
    service.faults.inject("drop-after", methods=("events.insert",))
    status, _ = _error(cal.events().insert(calendarId="primary", body=timed(id="once00001")))
    assert status == 409  # the first attempt landed; httplib2's automatic retry met the id
    assert [e["id"] for e in service.events(ACCOUNT)] == ["once00001"]


def test_hang_outlasts_the_client_timeout(service, client_factory, token):
    slow = client_factory(token, timeout=0.3)
    service.faults.hang_seconds = 2
    service.faults.inject("hang")
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        slow.events().list(calendarId="primary").execute()
    assert time.monotonic() - started < 1.5
    assert slow.events().list(calendarId="primary").execute()["items"] == []


def test_latency_delays_every_request(service, cal):
    service.faults.latency(0.05)
    started = time.monotonic()
    for _ in range(3):
        cal.events().list(calendarId="primary").execute()
    assert time.monotonic() - started >= 0.15
    service.faults.clear()
    assert service.faults.latency_seconds == 0


def test_counts_reset(service, cal):
    cal.calendars().get(calendarId="primary").execute()
    assert service.counts()["calendars.get"] == 1
    service.reset_counts()
    assert service.counts() == {}


def _admin(service, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    parts = urlsplit(service.root_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, "/_admin/" + path, body=payload, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_admin_api(service, client_factory):
    new_account = {"email": "c@studio.example", "timeZone": "Asia/Tokyo"}
    status, created = _admin(service, "POST", "accounts", new_account)
    assert status == 200 and created["email"] == "c@studio.example"
    client = client_factory(created["token"])
    assert client.calendars().get(calendarId="primary").execute()["timeZone"] == "Asia/Tokyo"
    assert _admin(service, "GET", "accounts")[1] == {"accounts": [{"email": "c@studio.example",
                                                                   "timeZone": "Asia/Tokyo"}]}
    assert _admin(service, "POST", "faults", {"kind": "429", "count": 1, "retry_after": 2})[0] == 200
    assert _error(client.events().list(calendarId="primary"))[0] == 429
    _admin(service, "POST", "latency", {"seconds": 0.01})
    assert _admin(service, "GET", "faults")[1] == {"rules": [], "latency": 0.01}
    _admin(service, "DELETE", "faults")
    client.events().insert(calendarId="primary", body=timed(id="admin0001")).execute()
    counts = _admin(service, "GET", "counts")[1]
    assert counts["events.insert"] == 1 and counts["events.list"] == 1 and counts["http"] == 3
    events = _admin(service, "GET", "events?account=c@studio.example")[1]["items"]
    assert [e["id"] for e in events] == ["admin0001"]
    assert _admin(service, "POST", "counts/reset")[0] == 200
    assert _admin(service, "GET", "counts")[1] == {}
    assert _admin(service, "POST", "faults", {"kind": "nonsense"})[0] == 400
    assert _admin(service, "GET", "nowhere")[0] == 404
    assert _admin(service, "POST", "sync-tokens/invalidate")[0] == 200
