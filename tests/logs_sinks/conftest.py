"""Fixtures for the sink tests: a real SMTP server (see ``smtp_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from smtp_support import Received, running_smtp_server


@pytest.fixture
def smtp_server() -> Iterator[Received]:
    with running_smtp_server() as received:
        yield received
