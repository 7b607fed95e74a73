"""Property: damaged exports never crash a read; whatever is damaged is reported, never silently lost."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sources_support import FIXTURES, context_for, csv_source, ics_source

SEEDS = ["quoted_newline.csv", "utf16le_bom.csv", "cp1252.csv", "rrule_exdate_override.ics", "vtimezone.ics"]


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(SEEDS))
    data = bytearray((FIXTURES / name).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "insert", "replace", "truncate"]))
        if kind == "truncate":
            del data[at:]
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 20))]
        else:
            chunk = draw(
                st.binary(min_size=1, max_size=6) | st.sampled_from([b'"', b",", b"\r", b"\n", b":", b";"])
            )
            data[at : at + (len(chunk) if kind == "replace" else 0)] = chunk
    return name, bytes(data)


_EMPTY_PARAMETER = (
    "vtimezone.ics",
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=,DATE:20261201\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n",
)


@settings(max_examples=60)
@given(damaged())
@example(_EMPTY_PARAMETER)  # a parameter with an empty value made the ICS parser raise AttributeError
def test_damaged_exports_read_without_crashing(case: tuple[str, bytes]) -> None:
    name, data = case
    with TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        context = context_for(Path(folder))
        source = csv_source(path, context) if name.endswith(".csv") else ics_source(path, context)
        read = source.read()
    if read.rejected:
        assert not read.complete and read.appointments == ()
    errors = [d for d in read.diagnostics if d.severity == "error"]
    if not read.complete or read.unreadable:
        assert errors, "an incomplete read must say why"
    for d in errors:
        assert d.file and d.message
