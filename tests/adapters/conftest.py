"""Fixtures for the studio-side adapter tests."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.register_assert_rewrite("contract", "sources_support")

from sources_support import context_for  # noqa: E402

from syncengine.ports import SourceContext  # noqa: E402


@pytest.fixture
def context(tmp_path: Path) -> SourceContext:
    return context_for(tmp_path)
