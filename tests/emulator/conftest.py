"""Fixtures: a running service and real google-api-python-client objects talking to it over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from emulator_support import ACCOUNT, make_client

from adapters.google.emulator import CalendarService


@pytest.fixture
def service() -> Iterator[CalendarService]:
    with CalendarService() as svc:
        yield svc


@pytest.fixture
def token(service: CalendarService) -> str:
    return service.add_account(ACCOUNT, "token-amanda", time_zone="America/Chicago")


@pytest.fixture
def client_factory(service: CalendarService) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def factory(token: str | None, **http_options: Any) -> Any:
        client = make_client(service.root_url, token, **http_options)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def cal(client_factory: Callable[..., Any], token: str) -> Any:
    return client_factory(token)
