"""End to end through the command line: a CSV export in tmp_path, the embedded Calendar service.

Everything is real: the config loader, the CSV source, the Google adapter over HTTP through the real
client library against the project's own Calendar service (``google.endpoint: embedded``), the outbox.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from adapters.google import GoogleCalendarBackend
from syncengine.cli import main
from syncengine.config.loader import load_config
from syncengine.ports import CalendarWrite

HEADER = (
    "AppointmentID,Session Number,Client Name,Appointment Type,Status,Description,Date,Start Time,"
    "End Time,Length,Photographer,Assistant,Resources,Outside Location,Booked By,Notes"
)
CONFIG = """\
version: 1
studio:
  name: E2E Portraits
  timezone: America/Chicago
  state: .syncengine/state.db
sources:
  - id: appointments
    format: csv
    path: exports/appointments.csv
    dialect: spectra
writeback:
  mode: outbox
  path: imports/from-google
users:
  - id: amanda
    name: Amanda P
    google: {account: amanda@e2e.example}
  - id: jen
    name: Jen Ortiz
    google: {account: jen@e2e.example}
    sync: {direction: push}
google:
  endpoint: embedded
conflicts: {policy: POLICY, prefer: studio}
logging:
  sinks: []
"""


def row(
    uid: str,
    day: date,
    start: str = "10:00 AM",
    end: str = "11:00 AM",
    who: str = "Amanda P",
    assistant: str = "",
    status: str = "Confirmed",
    title: str = "",
) -> str:
    when = f"{day.month:02d}/{day.day:02d}/{day.year}"
    return (
        f"{uid},S-{uid},Client {uid},Portrait,{status},{title or 'Portrait ' + uid},{when},{start},{end},60,"
        f"{who},{assistant},Studio A,,Front Desk,"
    )


@pytest.fixture
def studio(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(rows: list[str], policy: str = "merge") -> Path:
        (tmp_path / "exports").mkdir(exist_ok=True)
        (tmp_path / "exports" / "appointments.csv").write_text(
            "\n".join([HEADER, *rows]) + "\n", encoding="utf-8"
        )
        config = tmp_path / "studio.yaml"
        config.write_text(CONFIG.replace("POLICY", policy), encoding="utf-8")
        return config

    return make


def run(capsys, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    return code, capsys.readouterr().out


def soon(days: int) -> date:
    return date.today() + timedelta(days=days)


def retitle_on_google(config: Path, uid: str, title: str) -> None:
    """Change the title of amanda's one event, as a person on Google would (through the real adapter)."""
    loaded = load_config(config)
    with GoogleCalendarBackend(loaded) as backend:
        session = backend.open(loaded.user("amanda"))
        (entry,) = session.read(None, soon(-1), soon(30)).entries
        (result,) = session.apply(
            [CalendarWrite("update", uid, entry.event_id, entry.etag, entry.appointment.evolve(title=title))]
        )
        assert result.status == "ok"
        session.close()


def test_reconcile_dry_run_apply_and_nothing_left_to_do(studio, capsys) -> None:  # type: ignore[no-untyped-def]
    config = studio([row("101", soon(3), assistant="Jen Ortiz"), row("102", soon(5))])
    code, out = run(capsys, "reconcile", "-c", str(config), "--dry-run", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "syncengine.plan/1" and doc["dry_run"] is True
    by_user = {u["user"]: u for u in doc["units"]}
    assert [a["uid"] for a in by_user["amanda"]["actions"]] == ["101", "102"]
    assert [a["op"] for a in by_user["jen"]["actions"]] == ["create"]
    create = by_user["amanda"]["actions"][0]
    assert create["target"] == "google"
    assert create["after"]["start"][-6:] in ("-05:00", "-06:00")  # shown in the studio's zone, with offset
    assert not (config.parent / ".syncengine" / "state.db").exists()

    code, out = run(capsys, "reconcile", "-c", str(config))
    assert code == 0 and "plan (applied)" in out and "+ create google 101" in out
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["dry_run"] is False and all(u["actions"] == [] for u in doc["units"])

    # the studio moves 102 by an hour: one update, with before -> after per field
    config = studio([row("101", soon(3), assistant="Jen Ortiz"), row("102", soon(5), "11:00 AM", "12:00 PM")])
    code, out = run(capsys, "reconcile", "-c", str(config), "--dry-run")
    assert code == 0
    assert "~ update google 102" in out and "start:" in out and "→" in out
    assert run(capsys, "reconcile", "-c", str(config))[0] == 0

    # cancelled in the studio: removed from both calendars
    config = studio(
        [
            row("101", soon(3), assistant="Jen Ortiz", status="Cancelled"),
            row("102", soon(5), "11:00 AM", "12:00 PM"),
        ]
    )
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    ops = sorted((u["user"], a["op"], a["uid"]) for u in json.loads(out)["units"] for a in u["actions"])
    assert code == 0 and ops == [("amanda", "delete", "101"), ("jen", "delete", "101")]


def test_a_google_edit_goes_to_the_outbox_and_conflicts_are_listed(studio, capsys) -> None:  # type: ignore[no-untyped-def]
    config = studio([row("201", soon(4))])
    assert run(capsys, "reconcile", "-c", str(config))[0] == 0
    retitle_on_google(config, "201", "Renamed on Google")
    config = studio([row("201", soon(4), title="Renamed in the studio")])
    code, out = run(capsys, "reconcile", "-c", str(config))
    assert code == 0 and "! conflict 201 title" in out
    code, out = run(capsys, "conflicts", "-c", str(config), "--json")
    assert code == 0
    (conflict,) = json.loads(out)
    assert (conflict["studio"], conflict["google"], conflict["resolution"]) == (
        "Renamed in the studio",
        "Renamed on Google",
        "studio",
    )
    code, out = run(capsys, "conflicts", "-c", str(config))
    assert code == 0 and "201 title" in out and "-> studio" in out


def test_manual_conflicts_exit_3_until_resolved(studio, capsys) -> None:  # type: ignore[no-untyped-def]
    config = studio([row("301", soon(4))], policy="manual")
    assert run(capsys, "reconcile", "-c", str(config))[0] == 0
    retitle_on_google(config, "301", "Google side")
    config = studio([row("301", soon(4), title="Studio side")], policy="manual")
    assert main(["reconcile", "-c", str(config)]) == 3
    captured = capsys.readouterr()
    assert "waiting for review" in captured.out and "syncengine conflicts" in captured.err
    code, out = run(capsys, "conflicts", "resolve", "301", "--take", "google", "-c", str(config))
    assert code == 0 and "google" in out
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    assert code == 0
    (studio_write,) = [a for u in json.loads(out)["units"] for a in u["actions"]]
    assert studio_write["target"] == "studio" and studio_write["changes"]["title"] == [
        "Studio side",
        "Google side",
    ]
    outbox = list((config.parent / "imports" / "from-google").glob("from-google-*.csv"))
    assert outbox and "Google side" in outbox[0].read_text(encoding="utf-8")


def test_bad_usage_exits_2(studio, capsys) -> None:  # type: ignore[no-untyped-def]
    config = studio([row("401", soon(2))])
    assert main(["reconcile", "-c", str(config), "--user", "nobody"]) == 2
    assert "no user nobody" in capsys.readouterr().err
    assert main(["conflicts", "resolve", "401", "--take", "studio", "-c", str(config)]) == 2


def test_a_conflict_the_policy_settled_can_be_re_resolved(studio, capsys) -> None:  # type: ignore[no-untyped-def]
    config = studio([row("501", soon(4))])
    assert run(capsys, "reconcile", "-c", str(config))[0] == 0
    retitle_on_google(config, "501", "Google side")
    config = studio([row("501", soon(4), title="Studio side")])
    code, out = run(capsys, "reconcile", "-c", str(config))
    assert code == 0 and "! conflict 501 title" in out  # merge, prefer studio: the studio's title wins
    c = ["-c", str(config)]
    assert main(["conflicts", "resolve", "501", "--take", "google", "--field", "notes", *c]) == 2
    capsys.readouterr()
    code, out = run(capsys, "conflicts", "resolve", "501", "--take", "google", "-c", str(config))
    assert code == 0 and "google" in out
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    assert code == 0
    writes = {(a["target"], a["op"]): a for u in json.loads(out)["units"] for a in u["actions"]}
    assert writes[("google", "update")]["changes"]["title"] == ["Studio side", "Google side"]
    assert writes[("studio", "update")]["changes"]["title"] == ["Studio side", "Google side"]
    code, out = run(capsys, "conflicts", "-c", str(config), "--json")
    (latest, *_) = json.loads(out)
    assert (latest["field"], latest["resolution"]) == ("title", "google")
    assert run(capsys, "reconcile", "-c", str(config), "--json")[0] == 0
    # and back again: the studio's kept value
    code, out = run(capsys, "conflicts", "resolve", "501", "--take", "studio", "--field", "title", *c)
    assert code == 0
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    writes = {(a["target"], a["op"]): a for u in json.loads(out)["units"] for a in u["actions"]}
    assert writes[("google", "update")]["changes"]["title"] == ["Google side", "Studio side"]


def test_reconcile_builds_its_bus_from_the_registry(studio, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import syncengine.cli.reconcile as command
    from syncengine.logs import registry

    calls: list[bool] = []

    def spy(config, **kw):  # type: ignore[no-untyped-def]
        calls.append(kw.get("dry_run", False))
        return registry.build_bus(config, **kw)

    monkeypatch.setattr(command, "build_bus", spy)
    config = studio([row("601", soon(3))])
    assert run(capsys, "reconcile", "-c", str(config), "--dry-run")[0] == 0
    assert run(capsys, "reconcile", "-c", str(config))[0] == 0
    assert calls == [True, False]


def test_a_drop_folder_is_news_so_an_emptied_one_deletes_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    drops = tmp_path / "drops"
    drops.mkdir()
    config = tmp_path / "studio.yaml"
    config.write_text(CONFIG.replace("POLICY", "merge").replace("exports/appointments.csv", "drops"))
    week = drops / "week.csv"
    week.write_text("\n".join([HEADER, row("701", soon(3)), row("702", soon(4))]) + "\n", encoding="utf-8")
    assert run(capsys, "reconcile", "-c", str(config))[0] == 0
    week.unlink()  # what the processor does with a synced drop (into processed/)
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    assert code == 0
    assert [a for u in json.loads(out)["units"] for a in u["actions"]] == []
    # a later drop carries only its news: one appointment cancelled, the other untouched
    (drops / "cancel.csv").write_text(HEADER + "\n" + row("701", soon(3), status="Cancelled") + "\n")
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    ops = [(a["op"], a["uid"]) for u in json.loads(out)["units"] for a in u["actions"]]
    assert code == 0 and ops == [("delete", "701")]


def test_a_staff_typo_in_the_export_moves_nothing_off_a_calendar(studio, capsys) -> None:  # type: ignore[no-untyped-def]
    config = studio([row("801", soon(3)), row("802", soon(4)), row("803", soon(5))])
    assert run(capsys, "reconcile", "-c", str(config))[0] == 0
    typo = [row("801", soon(3), who="Amanda Q."), row("802", soon(4), who="Amanda Q.", title="Renamed")]
    config = studio([*typo, row("803", soon(5))])
    code, out = run(capsys, "reconcile", "-c", str(config), "--dry-run")
    notes = [line.strip() for line in out.splitlines() if "matches no user" in line]
    assert code == 0 and {n.split(":")[0] for n in notes} == {". 801", ". 802"}
    code, out = run(capsys, "reconcile", "-c", str(config), "--json")
    ops = [(a["op"], a["uid"]) for u in json.loads(out)["units"] for a in u["actions"]]
    assert code == 0 and ops == [("update", "802")]  # the other change still applies
