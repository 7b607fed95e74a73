"""Errors of the embedded Calendar service.

:class:`ApiError` is what a request gets back: an HTTP status plus Google's error JSON
(``{"error": {"code", "message", "errors": [{"domain", "reason", "message"}], "status"}}``) with the
reasons Google uses.  It never leaves the server as a Python exception.  :class:`EmulatorError` is for
people using the service from Python or the command line (a data folder that cannot be opened, an unknown
account) and belongs to the project's one error hierarchy.
"""

from __future__ import annotations

import json
from typing import Any

from syncengine.errors import SyncEngineError

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """A Calendar API error response: status, domain, reason and message, as Google sends them."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = dict(headers or {})
        super().__init__(f"{code} {reason}: {message}")

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location is not None:
            item["locationType"] = self.location_type or "parameter"
            item["location"] = self.location
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item]}
        if self.code in _STATUS_NAMES:
            error["status"] = _STATUS_NAMES[self.code]
        return {"error": error}

    def json_bytes(self) -> bytes:
        return json.dumps(self.body()).encode("utf-8")


def bad_request(message: str, reason: str = "invalid", location: str | None = None) -> ApiError:
    return ApiError(400, reason, message, location=location)


def required(field: str) -> ApiError:
    return ApiError(400, "required", f"Missing {field}.", location=field)


def not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "authError",
        "Request had invalid authentication credentials.",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def full_sync_required() -> ApiError:
    return ApiError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        domain="calendar",
        location="syncToken",
    )


def condition_not_met() -> ApiError:
    return ApiError(
        412, "conditionNotMet", "Precondition Failed", location="If-Match", location_type="header"
    )


class EmulatorError(SyncEngineError):
    """The embedded Calendar service could not do what was asked from Python or the command line."""

    def __init__(self, reason: str, hint: str = "") -> None:
        self.reason = reason
        self.hint = hint
        super().__init__(reason)

    def advice(self) -> str:
        return self.hint or "see `syncengine emulator --help`"
