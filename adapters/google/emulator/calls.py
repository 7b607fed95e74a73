"""The plain data a request and its response are made of inside the service."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from adapters.google.emulator.errors import ApiError
from adapters.google.emulator.store import dumps

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class ApiRequest:
    method: str
    target: str  # path with query string
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class ApiResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200) -> ApiResponse:
        text = value if isinstance(value, str) else dumps(value)
        return cls(status, text.encode("utf-8"), {"Content-Type": JSON_TYPE})

    @classmethod
    def error(cls, error: ApiError) -> ApiResponse:
        return cls(error.code, error.json_bytes(), {"Content-Type": JSON_TYPE, **error.headers})


@dataclass
class Call:
    """A routed request: who asks, for which calendar, with which parameters and body."""

    account: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    raw_body: bytes
    calendar_id: str = ""
    calendar: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else None

    def body(self) -> dict[str, Any]:
        try:
            value = json.loads(self.raw_body or b"{}")
        except ValueError as exc:
            raise ApiError(400, "parseError", "Parse Error") from exc
        if not isinstance(value, dict):
            raise ApiError(400, "parseError", "Parse Error")
        return value

    @property
    def time_zone(self) -> str:
        return str(self.calendar.get("timeZone", "UTC"))
