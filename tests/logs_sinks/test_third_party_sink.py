"""The example third-party sink (examples/third_party_sink), found through its entry point.

The package is made importable and its distribution metadata (with the entry point) is put on sys.path,
which is what `pip install` does, so the real importlib.metadata discovery finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncengine import plugins
from syncengine.config.loader import load_config
from syncengine.logs.registry import build_bus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "third_party_sink"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    site = tmp_path / "site"
    info = site / "syncengine_sink_example-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: syncengine-sink-example\nVersion: 0.1.0\n")
    pyproject = (EXAMPLE / "pyproject.toml").read_text()
    entry = next(line for line in pyproject.splitlines() if line.startswith("tally ="))
    (info / "entry_points.txt").write_text(f"[syncengine.log_sinks]\n{entry.replace(chr(34), '')}\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    plugins._group.cache_clear()
    yield
    plugins._group.cache_clear()


def test_the_example_sink_receives_the_events_of_a_run(installed: None, write_config) -> None:
    assert "tally" in plugins.names(plugins.LOG_SINKS)
    path = write_config(extra="""\
        logging:
          sinks:
            - {type: tally, path: logs/tally.tsv}
        """)
    config = load_config(path)
    bus = build_bus(config)
    bus.emit("run-start", "info", "run started", run_id="run-1")
    bus.emit("warning", "warning", "row could not be read", run_id="run-1",
             origin="exports/appointments.csv:3")
    bus.emit("action", "debug", "below the level", run_id="run-1")
    bus.emit("run-end", "info", "run ended", run_id="run-1")
    bus.close()
    assert bus.sink_failures == []
    lines = (path.parent / "logs" / "tally.tsv").read_text().splitlines()
    assert any("\twarning\twarning\t-\trow could not be read" in line for line in lines)
    assert lines[-1] == "run run-1 info=1 warning=1"  # run-start + the warning, summed at run-end
