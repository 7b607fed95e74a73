"""Whatever a file holds, loading it either succeeds or raises ConfigError: never another exception.

A person's typo must end as `file:line:col` advice, not a traceback.
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from syncengine.config.loader import TOP_KEYS, load_config
from syncengine.errors import ConfigError

KEYS = st.sampled_from([
    *TOP_KEYS, "name", "timezone", "state", "id", "format", "path", "users", "google", "account", "sync",
    "enabled", "window", "past_days", "type", "level", "sinks", "smtp", "host", "port", "from", "to",
    "credentials", "client_secrets", "endpoint", "interval", "aliases", "mode", "kind", "resources", "x",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "csv", "embedded", "UTC", "America/Chicago", "5m", "oauth", "email", "room",
                     "http://127.0.0.1:1", "a.csv", "Studio A"]),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(TOP_KEYS), VALUES, max_size=8))
def test_any_structure_loads_or_raises_config_error(tmp_path, document):
    buffer = io.StringIO()
    YAML().dump(document, buffer)
    path = tmp_path / "studio.yaml"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.line >= 1 and problem.column >= 1
            assert problem.message


@settings(max_examples=60)
@given(st.text(max_size=200))
def test_any_text_loads_or_raises_config_error(text):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "studio.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_config(path)
        except ConfigError as error:
            assert all(p.line >= 1 for p in error.problems)
