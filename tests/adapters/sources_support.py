"""Support for the studio-side adapter tests: a studio config built in code, and sources over tmp files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters._files import decode
from adapters.csv import CsvSource
from adapters.ics import IcsSource
from syncengine.config.model import (
    GoogleAccount,
    ResourceConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.ports import SourceContext

ZONE = "America/Chicago"
#: "now" for every adapter test: recurring series expand around it.
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "fixtures"


def studio_config(path: Path, sources: tuple[SourceConfig, ...] = (), zone: str = ZONE) -> StudioConfig:
    users = (
        UserConfig(
            id="amanda", name="Amanda P", aliases=("AmandaP",), google=GoogleAccount("amanda@x.example")
        ),
        UserConfig(id="ben", name="Ben Ortiz", google=GoogleAccount("ben@x.example")),
        UserConfig(id="cora", name="Cora Li", aliases=("C. Li",), google=GoogleAccount("cora@x.example")),
    )
    return StudioConfig(
        path=path / "studio.yaml",
        studio=StudioSettings(name="Test Studio", timezone=zone, state=path / "state.db"),
        sources=sources,
        users=users,
        resources=(ResourceConfig("studio-a", "Studio A"),),
    )


def context_for(path: Path, zone: str = ZONE, now: datetime = NOW) -> SourceContext:
    return SourceContext(config=studio_config(path, zone=zone), now=now)


def csv_source(path: Path, context: SourceContext | None = None, **options: Any) -> CsvSource:
    config = SourceConfig(id="appointments", format="csv", path=path, dialect="spectra", **options)
    return CsvSource(config, context or context_for(path.parent))


def ics_source(path: Path, context: SourceContext | None = None, **options: Any) -> IcsSource:
    config = SourceConfig(id="calendar", format="ics", path=path, **options)
    return IcsSource(config, context or context_for(path.parent))


def table(path: Path) -> tuple[list[str], list[list[str]], str, str]:
    """(header, rows, encoding, newline) of a CSV file."""
    decoded = decode(path, path.read_bytes())
    header, *rows = csv.reader(io.StringIO(decoded.text, newline=""))
    return header, rows, decoded.encoding, decoded.newline


def import_outbox(export_path: Path, outbox: Path) -> None:
    """The studio software taking an outbox file in: a row with the same AppointmentID is replaced,
    a new one appended, the Action column dropped; the export keeps its encoding and line endings."""
    header, rows, encoding, newline = table(export_path)
    sent_header, sent, _, _ = table(outbox)
    columns = header + [h for h in sent_header if h not in header and h != "Action"]
    by_id = {row[0]: [*row, *[""] * (len(columns) - len(row))] for row in rows}
    for row in sent:
        cells = dict(zip(sent_header, row, strict=True))
        by_id[cells["AppointmentID"]] = [cells.get(h, "") for h in columns]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    writer.writerows(by_id.values())
    export_path.write_bytes(out.getvalue().encode(encoding))
