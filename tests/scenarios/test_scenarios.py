"""Golden scenarios: each folder holds a scenario.yaml (an initial synced state, then edits on either
side); the test syncs the initial state for real, applies the edits, and pins the `--dry-run` plan as
text and as the ``--json`` document with syrupy.  Regenerate with ``pytest --snapshot-update``.

scenario.yaml::

    description: what it shows
    users: [{id: amanda, direction: two-way, include_tentative: false}]
    config: {policy: merge, prefer: studio, writeback: outbox}
    before: {studio: [APPOINTMENT...], calendars: {amanda: [EVENT...]}}
    then:
      studio: {put: [APPOINTMENT...], remove: [UID...]}
      calendars: {amanda: {edit: [{uid, FIELD: VALUE}], delete: [UID], add: [EVENT...]}}
    expect_exit: 0

APPOINTMENT: {uid, users: [...], day, hour, hours, title, location, status}; EVENT: the same without
users (a person's own event on that calendar).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).parent.parent / "reconcile"))

from reconcile_support import NOW, World, appt, make_world, user

from syncengine.config.model import SafetyConfig
from syncengine.reconcile.render import plan_json, plan_text

HERE = Path(__file__).parent
SCENARIOS = sorted(p.name for p in HERE.iterdir() if (p / "scenario.yaml").exists())


def _appointment(spec: dict[str, Any]) -> Any:
    spec = dict(spec)
    uid = str(spec.pop("uid", "person"))
    users = spec.pop("users", [])
    day, hour, hours = spec.pop("day", 3), spec.pop("hour", 15), spec.pop("hours", 1)
    made = appt(uid, *users, day=day, hour=hour, **spec)
    return made.evolve(end=made.start + timedelta(hours=hours))


def _event(spec: dict[str, Any]) -> Any:
    return _appointment({"client": "", "type": "", **spec})


def _edit(w: World, user_id: str, spec: dict[str, Any]) -> None:
    spec = dict(spec)
    entry = w.events(user_id)[str(spec.pop("uid"))]
    if "shift_hours" in spec:
        shift = timedelta(hours=spec.pop("shift_hours"))
        spec["start"], spec["end"] = entry.appointment.start + shift, entry.appointment.end + shift
    w.cal(user_id).edit(entry.event_id, **spec)


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((HERE / name / "scenario.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def build(tmp_path: Path, scenario: dict[str, Any]) -> World:
    users = tuple(user(u.pop("id"), **u) for u in (dict(x) for x in scenario["users"]))
    options = dict(scenario.get("config", {}))
    safety = options.pop("safety", None)
    w = make_world(tmp_path, users=users, safety=SafetyConfig(**safety) if safety else None, **options)
    before = scenario.get("before", {})
    for spec in before.get("studio", []):
        w.source.put(_appointment(spec))
    for user_id, events in before.get("calendars", {}).items():
        for spec in events:
            w.cal(user_id).add(_event(spec))
    assert w.sync(force=True).exit_code == 0
    w.source.import_outbox()
    assert w.sync().plan.empty
    then = scenario.get("then", {})
    studio = then.get("studio", {})
    for spec in studio.get("put", []):
        w.source.put(_appointment(spec))
    for uid in studio.get("remove", []):
        w.source.remove(str(uid))
    for user_id, edits in then.get("calendars", {}).items():
        for spec in edits.get("edit", []):
            _edit(w, user_id, spec)
        for uid in edits.get("delete", []):
            w.cal(user_id).delete(w.events(user_id)[str(uid)].event_id)
        for spec in edits.get("add", []):
            w.cal(user_id).add(_event(spec))
    return w


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name: str, tmp_path: Path, snapshot: Any) -> None:
    scenario = load(name)
    w = build(tmp_path, scenario)
    report = w.sync(dry_run=True)
    assert report.exit_code == scenario.get("expect_exit", 0)
    assert plan_text(report.plan) == snapshot(name="plan.txt")
    assert plan_json(report.plan) == snapshot(name="plan.json")
    assert w.now == NOW


def test_every_scenario_says_what_it_shows() -> None:
    assert len(SCENARIOS) >= 8
    for name in SCENARIOS:
        assert load(name).get("description"), name
