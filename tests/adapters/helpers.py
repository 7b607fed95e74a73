"""Building sources for tests: configs and files in tmp folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.csv import CsvSource
from adapters.ics import IcsSource
from syncengine.config.model import SourceConfig
from syncengine.ports import SourceContext

from .conftest import context_for


def csv_source(path: Path, context: SourceContext | None = None, **options: Any) -> CsvSource:
    config = SourceConfig(id="appointments", format="csv", path=path, dialect="spectra", **options)
    return CsvSource(config, context or context_for(path.parent))


def ics_source(path: Path, context: SourceContext | None = None, **options: Any) -> IcsSource:
    config = SourceConfig(id="calendar", format="ics", path=path, **options)
    return IcsSource(config, context or context_for(path.parent))
