"""CSV exports of the studio software: reading (a file or a drop folder) and outbox write-back.

``format: csv`` in a ``sources:`` entry builds :class:`CsvSource` (entry point ``syncengine.sources``).
"""

from __future__ import annotations

from adapters.csv.source import CsvDialect, CsvSource, read_csv_file
from adapters.csv.writer import render_csv, write_export

__all__ = ["CsvDialect", "CsvSource", "read_csv_file", "render_csv", "write_export"]
