"""Helpers for the Calendar service tests: the real client built offline, batches, event bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from adapters.google.emulator import CalendarService

ACCOUNT = "amanda@studio.example"


def make_client(root_url: str, token: str | None, **http_options: Any) -> Any:
    """The real client, built offline, authorised by a bearer token (or an httplib2 without one)."""
    options = {"api_endpoint": root_url + "calendar/v3/"}
    if token is None or http_options:
        http = httplib2.Http(**http_options)
        if token is not None:
            original = http.request

            def with_token(uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                           **kw: Any) -> Any:
                headers = dict(headers or {})
                headers["authorization"] = f"Bearer {token}"
                return original(uri, method, body=body, headers=headers, **kw)

            http.request = with_token  # type: ignore[method-assign]
        return build("calendar", "v3", http=http, static_discovery=True, client_options=options)
    return build("calendar", "v3", credentials=Credentials(token), static_discovery=True,
                 client_options=options)


def new_batch(service: CalendarService, callback: Callable[..., None] | None = None) -> BatchHttpRequest:
    return BatchHttpRequest(callback=callback, batch_uri=service.root_url + "batch/calendar/v3")


def timed(summary: str = "Session", day: int = 10, hour: int = 10, tz: str = "America/Chicago",
          **extra: Any) -> dict[str, Any]:
    body = {
        "summary": summary,
        "start": {"dateTime": f"2026-03-{day:02d}T{hour:02d}:00:00-05:00", "timeZone": tz},
        "end": {"dateTime": f"2026-03-{day:02d}T{hour + 1:02d}:00:00-05:00", "timeZone": tz},
    }
    body.update(extra)
    return body
