"""The boundary: what the client library raises, turned into syncengine's typed errors.

Nothing from googleapiclient, httplib2 or google.auth goes further than this adapter.  Messages are built
from the status, the machine reason and the server's human text, never from request headers or URLs with
credentials in them, and are passed through :func:`syncengine.logs.base.redact` for good measure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from syncengine.errors import (
    AuthError,
    CalendarError,
    CalendarNotFound,
    PermissionDenied,
    QuotaError,
    TransientError,
)
from syncengine.logs.base import redact

_QUOTA_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"})


def error_body(exc: HttpError) -> dict[str, Any]:
    """The ``error`` object of Google's error JSON, or ``{}``."""
    try:
        raw = exc.content
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        data = json.loads(content)
    except (ValueError, TypeError):
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def error_reason(exc: HttpError) -> str | None:
    """The first machine ``reason`` of an error reply (``rateLimitExceeded``, ``duplicate``...)."""
    error = error_body(exc)
    items = error.get("errors") or []
    if items and isinstance(items[0], dict) and items[0].get("reason"):
        return str(items[0]["reason"])
    status = error.get("status")
    return str(status) if status else None


def error_message(exc: HttpError) -> str:
    message = error_body(exc).get("message")
    return str(message) if message else f"HTTP {exc.resp.status}"


def retry_after_seconds(exc: HttpError) -> float | None:
    """The reply's ``Retry-After`` in seconds (delta-seconds or an HTTP date), if any."""
    value = exc.resp.get("retry-after") if exc.resp is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def status_of(exc: BaseException) -> int | None:
    return exc.resp.status if isinstance(exc, HttpError) else None


def is_invalid_grant(exc: BaseException) -> bool:
    text = str(exc)
    return "invalid_grant" in text or "Token has been expired or revoked" in text


def map_error(user: str, exc: BaseException, what: str, calendar: str = "") -> CalendarError:
    """The typed error for a failure of ``what`` (e.g. "listing events") for ``user``."""
    if isinstance(exc, CalendarError):
        return exc
    if isinstance(exc, RefreshError):
        if is_invalid_grant(exc):
            return AuthError(user, "the Google sign-in was revoked or has expired (invalid_grant)", 401)
        return AuthError(user, f"the access token could not be refreshed: {_safe(exc)}", 401)
    if isinstance(exc, TransportError):
        return TransientError(user, f"{what}: the sign-in service could not be reached")
    if not isinstance(exc, HttpError):
        return TransientError(user, f"{what}: network failure ({type(exc).__name__})")
    status = exc.resp.status
    reason = error_reason(exc) or ""
    detail = f"{what}: HTTP {status}{f' {reason}' if reason else ''}: {_safe(error_message(exc))}"
    if status == 401:
        return AuthError(user, detail, status)
    if status == 429 or reason in _QUOTA_REASONS:
        return QuotaError(user, detail, status)
    if status == 404:
        target = f"calendar {calendar!r}" if calendar else "the calendar"
        return CalendarNotFound(user, f"{target} was not found ({what})", status)
    if status == 403:
        return PermissionDenied(user, detail, status)
    if status >= 500:
        return TransientError(user, detail, status)
    return CalendarError(user, detail, status)


def _safe(value: Any) -> str:
    return str(redact(str(value)))
