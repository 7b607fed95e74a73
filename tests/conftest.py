"""Shared test set-up: Hypothesis profiles and a fixture that writes a studio config into tmp_path.

Profiles: ``dev`` (the default: quick), ``ci`` (chosen when the CI variable is set: a few more examples,
no deadline, since shared runners are slow and noisy, and derandomised so a CI run is reproducible),
``deterministic`` (derandomised, for bisecting a failure).  Pick one explicitly with HYPOTHESIS_PROFILE=name.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True,
    derandomize=True, database=None,
)
settings.register_profile("deterministic", max_examples=25, deadline=None, derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

#: The smallest config that loads: one user, one CSV source.  Tests extend it with ``extra``.
MINIMAL_CONFIG = """\
version: 1
studio:
  name: Test Studio
  timezone: America/Chicago
sources:
  - id: appointments
    format: csv
    path: exports/appointments.csv
    dialect: spectra
users:
  - id: amanda
    name: Amanda P
    google: {account: amanda@example.com}
google:
  endpoint: embedded
"""

WriteConfig = Callable[..., Path]


@pytest.fixture
def minimal_config() -> str:
    """The text of :data:`MINIMAL_CONFIG`, for tests that edit it."""
    return MINIMAL_CONFIG


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """``write_config(text=MINIMAL_CONFIG, name="studio.yaml", extra="")`` -> the written file's path.

    ``text`` is dedented, so tests can indent YAML with their code; ``extra`` is appended (more top-level
    sections).  The exports folder with an empty CSV export is created next to it, so `check` finds it.
    """

    def write(text: str = MINIMAL_CONFIG, name: str = "studio.yaml", extra: str = "") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) + textwrap.dedent(extra), encoding="utf-8")
        exports = path.parent / "exports"
        exports.mkdir(exist_ok=True)
        csv = exports / "appointments.csv"
        if not csv.exists():
            csv.write_text("AppointmentID,Date,Start Time\n", encoding="utf-8")
        return path

    return write
