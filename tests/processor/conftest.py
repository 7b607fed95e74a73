"""Fixtures for the processor tests (the helpers themselves are in ``processor_support``)."""

from __future__ import annotations

import pytest
from processor_support import RecordingRun


@pytest.fixture
def recording_run() -> RecordingRun:
    return RecordingRun()
