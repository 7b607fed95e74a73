"""Fixtures for the Google adapter: the embedded Calendar service on loopback, and backends on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from google_support import Sleeps

from adapters.google import GoogleCalendarBackend
from adapters.google.emulator import CalendarService
from adapters.google.retry import RetryPolicy
from syncengine.config.model import StudioConfig


@pytest.fixture
def service() -> Iterator[CalendarService]:
    with CalendarService() as svc:
        svc.faults.hang_seconds = 3.0
        yield svc


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def backend_for(sleeps: Sleeps) -> Iterator[Callable[[StudioConfig], GoogleCalendarBackend]]:
    made: list[GoogleCalendarBackend] = []

    def build(config: StudioConfig) -> GoogleCalendarBackend:
        backend = GoogleCalendarBackend(
            config, policy_factory=lambda: RetryPolicy(sleep=sleeps, random=lambda: 0.5), timeout=1.5)
        made.append(backend)
        return backend

    yield build
    for backend in made:
        backend.close()
