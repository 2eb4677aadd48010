"""History loads: one run over a range of days, read in the largest requests the APIs allow, leaving
exactly the tables that daily backfills of the same days leave; and `socialmetrics history`, which
starts and follows it through Airflow's REST API.

The pipeline tests run the DAG's task functions without Airflow (the Harness); the scheduler-driven
path through the REST API is tests/test_celery_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import Credentials
from connectors.testing.sandbox import company
from socialmetrics import pipeline
from socialmetrics.config import load_config
from socialmetrics.run import history
from tests.conftest import NOW, TIMETABLE, TODAY, Harness

CORE_AND_MARTS = (
    "core.account_daily",
    "core.post",
    "core.comment",
    "marts.reach_daily",
    "marts.engagement_daily",
    "marts.post_performance",
    "marts.network_weekly",
    "marts.campaign_impact",
    "marts.account_weekly",
    "marts.weekly_headline",
)


def load_history(h: Harness, first: dt.date, last: dt.date, run_id: str) -> dict[str, Any]:
    """A history run as the history DAG makes it: plan_history's jobs, one extract each, one publish."""
    jobs = pipeline.plan_history(h.config_path, first, last, now=NOW)
    requests = 0
    for job in jobs:
        landed = pipeline.extract(
            pipeline.account_from_dict(job),
            pipeline.job_window(job),
            run_id,
            credentials=h.credentials,
            landing_root=h.landing,
            today=TODAY,
            http=h.http(job["conn_id"]),
            backfill=job["backfill"],
        )
        requests += json.loads(Path(landed["path"]).read_text())["requests"] or 0
    published = pipeline.publish(run_id, h.cfg, warehouse_path=h.warehouse, landing_root=h.landing, today=TODAY)
    return {"jobs": jobs, "requests": requests, "published": published}


def fingerprint(h: Harness) -> dict[str, str]:
    """What a user reads: every core and mart table, provenance left out."""
    return {t: h.table_hash(t) for t in CORE_AND_MARTS}


def fresh(h: Harness, tmp_path: Path, name: str) -> Harness:
    """The same sandbox and config, another empty warehouse and landing zone."""
    return Harness(h.sandbox, h.config_path, tmp_path / name / "warehouse.duckdb", tmp_path / name / "landing")


def test_a_history_load_leaves_the_tables_of_daily_backfills_of_the_same_days(harness: Harness, tmp_path) -> None:
    """Given 7 days loaded three ways into three warehouses (7 daily backfill runs; one history run;
    two overlapping history runs with a daily backfill between them and a repeat of the first),
    then every core and mart table is identical, row for row."""
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(7)]
    daily = fresh(harness, tmp_path, "daily")
    for day in days:
        daily.run(day, backfill=True)
    once = fresh(harness, tmp_path, "once")
    load_history(once, days[0], days[-1], "manual__history")
    mixed = fresh(harness, tmp_path, "mixed")
    load_history(mixed, days[0], days[4], "manual__h1")
    mixed.run(days[3], backfill=True)
    load_history(mixed, days[2], days[-1], "manual__h2")
    load_history(mixed, days[0], days[4], "manual__h3")

    reference = fingerprint(daily)
    assert fingerprint(once) == reference
    assert fingerprint(mixed) == reference
    rows = once.query(
        "SELECT count(*), count(DISTINCT day), min(day), max(day) FROM marts.reach_daily WHERE network = 'facebook'"
    )
    assert rows == [(7, 7, days[0], days[-1])]  # one row per account and day, no more, no less


def test_a_year_costs_the_fewest_requests_the_api_limits_allow(harness: Harness) -> None:
    """Facebook keeps 90 days of insights per request and 100 posts per page: a year is ceil(365/90)
    insights requests plus one per 100 posts, where 365 daily runs make two requests a day or more."""
    first, last = TODAY - dt.timedelta(days=365), TODAY - dt.timedelta(days=1)
    loaded = load_history(harness, first, last, "manual__year")
    posts = harness.query("SELECT count(*) FROM raw.posts WHERE network = 'facebook'")[0][0]
    minimum = math.ceil(365 / 90) + math.ceil(posts / 100)
    assert posts > 100
    assert loaded["requests"] <= 1.1 * minimum
    assert harness.query("SELECT count(DISTINCT day) FROM marts.reach_daily WHERE network = 'facebook'") == [(365,)]
    assert loaded["published"]["accounts"] == ["facebook/104857600000001"]


def test_the_history_range_is_checked_before_anything_is_read(harness: Harness) -> None:
    with pytest.raises(pipeline.HistoryRangeError, match="the first day is after the last; swap them"):
        pipeline.plan_history(harness.config_path, dt.date(2026, 5, 2), dt.date(2026, 5, 1), now=NOW)
    with pytest.raises(pipeline.HistoryRangeError, match="not over yet .* pick days up to 2026-11-19"):
        pipeline.plan_history(harness.config_path, TODAY, TODAY + dt.timedelta(days=3), now=NOW)
    with pytest.raises(pipeline.HistoryRangeError, match="x_read_budget must be a whole number"):
        pipeline.plan_history(harness.config_path, dt.date(2026, 5, 1), dt.date(2026, 5, 2), read_budget=0, now=NOW)


def test_a_last_day_in_the_future_loads_up_to_yesterday_exactly(harness: Harness) -> None:
    jobs = pipeline.plan_history(harness.config_path, dt.date(2026, 11, 1), dt.date(2026, 12, 31), now=NOW)
    assert [(j["network"], j["window"], j["backfill"]) for j in jobs] == [
        ("facebook", {"start": "2026-11-01", "end": "2026-11-20", "tz": "Europe/Berlin"}, True)  # 19 Nov in, today not
    ]


def test_the_x_read_budget_of_the_form_replaces_the_accounts_own_for_this_load(tmp_path: Path) -> None:
    config = tmp_path / "c.yml"
    config.write_text(
        "company: C\naccounts:\n  - network: x\n    id: '42'\n    read_budget: 300\n"
        "  - network: facebook\n    id: '1'\n",
        encoding="utf-8",
    )
    jobs = pipeline.plan_history(config, dt.date(2026, 1, 1), dt.date(2026, 6, 30), read_budget=1500, now=NOW)
    assert {j["network"]: j["options"].get("read_budget") for j in jobs} == {"x": 1500, "facebook": None}
    nightly = pipeline.plan_run(config, NOW - dt.timedelta(days=1), backfill=False, now=NOW)
    assert {j["network"]: j["options"].get("read_budget") for j in nightly} == {"x": 300, "facebook": None}


# -- socialmetrics history against a fake of Airflow's REST API ----------------------------------


class FakeAirflow:
    """Airflow 3's public API as far as `socialmetrics history` uses it: /auth/token, the DAG, its runs and
    task instances and their logs. A triggered run goes through `states` one poll at a time."""

    def __init__(self, final: dict[str, str], password: str = "pw") -> None:
        self.password = password
        self.final = final  # label -> final state of each task
        self.calls: list[tuple[str, str, Any]] = []
        self.polls = 0
        self.paused = True
        self.xcoms: dict[tuple[str, str], Any] = {}  # (task_id, key) -> value, as the API returns it
        self.note: str | None = None

    def task_instances(self) -> list[dict[str, Any]]:
        done = self.polls >= 2
        tis = []
        for i, (label, state) in enumerate(self.final.items()):
            task_id, _, account = label.partition(" ")
            tis.append({
                "task_id": task_id, "map_index": i if account else -1, "rendered_map_index": account or None,
                "state": state if done else "running", "try_number": 1,
            })  # fmt: skip
        return tis

    def answer(self, method: str, path: str, body: Any, headers: Any) -> tuple[int, Any]:
        self.calls.append((method, path, body))
        if path == "/auth/token":
            ok = body == {"username": "admin", "password": self.password}
            return (201, {"access_token": "jwt"}) if ok else (401, {"detail": "Invalid credentials"})
        if headers.get("Authorization") != "Bearer jwt":
            return 401, {"detail": "Not authenticated"}
        if path == "/api/v2/dags/social_metrics_history" and method == "GET":
            return 200, {"dag_id": "social_metrics_history", "is_paused": self.paused}
        if path == "/api/v2/dags/social_metrics_history" and method == "PATCH":
            self.paused = body["is_paused"]
            return 200, {"is_paused": self.paused}
        if path == "/api/v2/dags/social_metrics_history/dagRuns" and method == "POST":
            return 200, {"dag_run_id": "manual__2026-12-06T10:00:00+00:00", "state": "queued", "conf": body["conf"]}
        if path.endswith("/taskInstances"):
            self.polls += 1
            return 200, {"task_instances": self.task_instances()}
        if "/logs/" in path:
            return 200, {"content": [{"event": "ExtractFailedError: Airflow connection 'x_default' is not defined"}]}
        if "/xcomEntries/" in path:
            task_id, key = path.split("/taskInstances/")[1].split("/xcomEntries/")
            if (task_id, key) not in self.xcoms:
                return 404, {"detail": f"XCom entry with key: `{key}` not found"}
            return 200, {"key": key, "value": self.xcoms[(task_id, key)]}
        if path.startswith("/api/v2/dags/social_metrics_history/dagRuns/") and method == "PATCH":
            self.note = body["note"]
            return 200, {"note": self.note}
        if path.startswith("/api/v2/dags/social_metrics_history/dagRuns/"):
            finished = self.polls >= 2
            failed = any(s == "failed" for s in self.final.values())
            return 200, {"state": ("failed" if failed else "success") if finished else "running"}
        return 404, {"detail": f"no route {path}"}


@pytest.fixture
def fake_airflow() -> Iterator[tuple[FakeAirflow, str]]:
    app = FakeAirflow({"plan": "success", "extract facebook/1": "success", "publish": "success"})

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, payload = app.answer(self.command, self.path.split("?")[0], body, self.headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve  # noqa: N815 (http.server's names)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield app, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_cli(url: str, app: FakeAirflow, first: str = "2025-12-01", last: str = "2026-11-30") -> tuple[int, str]:
    lines: list[str] = []
    api = history.AirflowApi(history.ApiLogin(url, "admin", app.password))
    code = history.run_history(
        dt.date.fromisoformat(first), dt.date.fromisoformat(last), api=api, out=lines.append, poll_s=0.01
    )
    return code, "\n".join(lines)


def test_history_cli_makes_the_trigger_forms_call_and_exits_0_when_every_part_succeeded(fake_airflow) -> None:
    app, url = fake_airflow
    code, out = run_cli(url, app)
    assert code == 0, out
    posts = [c for c in app.calls if c[0] == "POST" and c[1].endswith("/dagRuns")]
    assert posts == [
        ("POST", "/api/v2/dags/social_metrics_history/dagRuns",
         {"logical_date": None, "conf": {"from": "2025-12-01", "to": "2026-11-30"}})
    ]  # fmt: skip
    assert app.paused is False  # runs of a paused DAG would stay queued
    assert "extract facebook/1: success" in out and "every part succeeded" in out


def test_history_cli_exits_1_naming_the_failed_part_with_its_log(fake_airflow) -> None:
    app, url = fake_airflow
    app.final = {"plan": "success", "extract x/42": "failed", "publish": "success"}
    code, out = run_cli(url, app)
    assert code == 1
    assert "failed part(s): extract x/42" in out
    assert "Airflow connection 'x_default' is not defined" in out  # the cause, from the task's log


def test_history_cli_without_a_running_airflow_says_how_to_start_it(tmp_path: Path, capsys) -> None:
    env = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__API__PORT": "9"}  # nothing listens on the discard port
    (tmp_path / "simple_auth_manager_passwords.json.generated").write_text('{"admin": "pw"}')
    login = history.ApiLogin.from_env(env)
    assert login == history.ApiLogin("http://127.0.0.1:9", "admin", "pw")
    with pytest.raises(history.HistoryError, match=r"does not answer: start Airflow with `make airflow`"):
        history.run_history(dt.date(2026, 1, 1), dt.date(2026, 1, 31), api=history.AirflowApi(login))


def test_history_cli_without_a_login_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(history.HistoryError, match=r"no Airflow login found in .*simple_auth_manager_passwords"):
        history.ApiLogin.from_env({"AIRFLOW_HOME": str(tmp_path)})


def test_history_cli_refuses_a_reversed_range_and_a_wrong_date(capsys) -> None:
    from socialmetrics.run.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["history", "--from", "01.12.2025", "--to", "2026-11-30"])
    assert exit_info.value.code == 2
    assert "'01.12.2025' is not a date; use YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(history.HistoryError, match="--from 2026-11-30 is after --to 2025-12-01; swap them"):
        history.run_history(dt.date(2026, 11, 30), dt.date(2025, 12, 1), api=None)  # type: ignore[arg-type]


def test_history_cli_prints_what_plan_changed_and_writes_it_into_the_runs_note(fake_airflow) -> None:
    """Given a plan that shortened the days asked for (its XCom `adjustments`, as Airflow's API returns a
    stored JSON value), the CLI prints each change and sets the run's note, which the UI's grid shows."""
    app, url = fake_airflow
    changes = [
        "2026-12-31 is not over yet in Europe/Berlin: loading 2025-11-01 to 2026-11-19 (384 days) instead of "
        "2025-11-01 to 2026-12-31 (426 days)",
        "linkedin/80486001 share_statistics: the API keeps 365 days; loading 2025-11-20 to 2026-11-19 (365 days)",
    ]
    app.xcoms[("plan", "adjustments")] = json.dumps(changes)
    code, out = run_cli(url, app, "2025-11-01", "2026-12-31")
    assert code == 0, out
    assert out.splitlines()[0].startswith("History 2025-11-01 to 2026-12-31 (426 days): started run manual__")
    assert [line for line in out.splitlines() if line.startswith("  note: ")] == [f"  note: {c}" for c in changes]
    assert app.note == "History 2025-11-01 to 2026-12-31 (426 days) as asked; changed:\n" + "\n".join(
        f"- {c}" for c in changes
    )
    assert out.splitlines()[-1].endswith("every part succeeded (2 change(s) to the days asked for: the notes above).")


def test_history_cli_shows_a_failed_parts_one_line_error_instead_of_its_log(fake_airflow) -> None:
    app, url = fake_airflow
    app.final = {"plan": "success", "extract x/42": "failed", "publish": "success"}
    budget = "x/42: this run would need about 368 reads ...; raise 'X read budget for this load' in the history form"
    app.xcoms[("extract", "error")] = json.dumps(budget)
    code, out = run_cli(url, app)
    assert code == 1
    assert f"--- extract x/42: failed\n{budget}\n" in out
    assert "is not defined" not in out  # the log's end is not printed when the task said what went wrong


def test_history_cli_from_a_plain_shell_finds_the_clones_airflow_home(fake_airflow, tmp_path: Path) -> None:
    """Given AIRFLOW_HOME unset (the Makefile sets it only for `make airflow`), a shell elsewhere and no
    ~/airflow, when `socialmetrics history` runs, then it logs in with the password `make airflow` wrote to
    the clone's .airflow/ (the clone: where the package's Makefile is; here a stand-in for this clone)."""
    import subprocess
    import sys

    app, url = fake_airflow
    clone, home, elsewhere = tmp_path / "clone", tmp_path / "home", tmp_path / "elsewhere"
    for folder in (clone / ".airflow", home, elsewhere):
        folder.mkdir(parents=True)
    (clone / "Makefile").write_text("# the clone's\n")
    (clone / ".airflow" / "simple_auth_manager_passwords.json.generated").write_text('{"admin": "pw"}')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env |= {"HOME": str(home), "AIRFLOW__API__PORT": url.rsplit(":", 1)[1]}
    code = (
        "import sys; from pathlib import Path; from socialmetrics import settings; "
        f"settings.REPO_ROOT = Path({str(clone)!r}); from socialmetrics.run.cli import main; "
        "sys.exit(main(['history', '--from', '2026-11-01', '--to', '2026-11-30']))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=elsewhere, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "History 2026-11-01 to 2026-11-30 (30 days) loaded" in result.stdout
    assert ("POST", "/auth/token", {"username": "admin", "password": "pw"}) in app.calls
    (clone / ".airflow" / "simple_auth_manager_passwords.json.generated").unlink()
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=elsewhere, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: no Airflow login found in {clone / '.airflow' / 'simple_auth_manager_passwords.json.generated'} "
        "(FileNotFoundError; Airflow home: the clone's Airflow home, as AIRFLOW_HOME is unset); start Airflow "
        "with `make airflow`"
    )


def test_commands_from_a_plain_shell_get_what_the_makefile_exports_for_airflow(tmp_path: Path, monkeypatch) -> None:
    """`socialmetrics demo` from a plain shell runs `airflow dags test` with the Makefile's Airflow settings
    (home, DAG folder, ...): the list in settings is the Makefile's, value for value."""
    import re

    from socialmetrics import settings

    makefile = (settings.REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    exported = dict(re.findall(r"^export (AIRFLOW\w+) \?= (.+)$", makefile, flags=re.M))
    expected = {k: v.replace("$(CURDIR)", str(settings.REPO_ROOT)) for k, v in exported.items()}
    clone = tmp_path / "clone"
    (clone / ".airflow").mkdir(parents=True)
    (clone / "Makefile").write_text("")
    monkeypatch.setattr(settings, "REPO_ROOT", clone)
    got = settings.project_airflow_env({"PATH": "/bin"})
    assert got["AIRFLOW_HOME"] == str(clone / ".airflow")
    assert {k: got[k] for k in expected if k != "AIRFLOW_HOME"} == {
        k: v for k, v in expected.items() if k != "AIRFLOW_HOME"
    }
    assert settings.project_airflow_env({"AIRFLOW_HOME": "/srv/airflow"}) == {"AIRFLOW_HOME": "/srv/airflow"}


def test_the_history_plan_says_every_change_it_makes_to_the_days_asked_for(tmp_path: Path) -> None:
    """Given a last day in the future and a first day before LinkedIn's 365 days, the plan loads up to
    yesterday and LinkedIn's statistics from 365 days back, and says both, one line each, inclusive ranges."""
    config = tmp_path / "c.yml"
    config.write_text(
        "company: C\ntimezone: Europe/Berlin\naccounts:\n  - network: facebook\n    id: '1'\n"
        "  - network: linkedin\n    id: '80486001'\n",
        encoding="utf-8",
    )
    planned = pipeline.history_plan(config, dt.date(2025, 10, 1), dt.date(2026, 12, 31), now=NOW)
    assert planned.adjustments == [
        "2026-12-31 is not over yet in Europe/Berlin: loading 2025-10-01 to 2026-11-19 (415 days) instead of "
        "2025-10-01 to 2026-12-31 (457 days)",
        "linkedin/80486001 share_statistics, follower_statistics, page_statistics: the API keeps 365 days; loading "
        "2025-11-20 to 2026-11-19 (365 days)",
    ]
    assert [(j["network"], j["window"], j.get("label")) for j in planned.jobs] == [
        ("facebook", {"start": "2025-10-01", "end": "2026-11-20", "tz": "Europe/Berlin"}, None),
        ("linkedin", {"start": "2025-10-01", "end": "2026-11-20", "tz": "Europe/Berlin"},
         "linkedin/80486001 (share_statistics, follower_statistics, page_statistics from 2025-11-20)"),
    ]  # fmt: skip
    assert pipeline.history_plan(config, dt.date(2026, 11, 1), dt.date(2026, 11, 19), now=NOW).adjustments == []


def test_the_forms_empty_fields_mean_the_365_days_up_to_yesterday_and_a_bad_day_is_one_line() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert pipeline.history_range(None, None, berlin, now=NOW) == (dt.date(2025, 11, 20), dt.date(2026, 11, 19))
    with pytest.raises(pipeline.HistoryRangeError) as bad:
        pipeline.history_range("01.11.2026", None, berlin, now=NOW)
    assert str(bad.value) == (
        "history: 'First day' 01.11.2026 / 'Last day' (empty) is not a date; use YYYY-MM-DD, e.g. 2026-11-19"
    )


def test_summary_and_config_outside_the_clone_say_their_default_is_read_from_the_current_folder(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """In the clone the defaults (config/socialmetrics.yml, data/warehouse.duckdb) are the demo's files; from
    another folder the "not found" message says why and what to do."""
    from socialmetrics import settings
    from socialmetrics.config import ConfigError, load_config
    from socialmetrics.run.cli import main

    monkeypatch.delenv("SOCIALMETRICS_WAREHOUSE", raising=False)
    monkeypatch.delenv("SOCIALMETRICS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["summary"]) == 2
    assert capsys.readouterr().err == (
        f"error: no warehouse at {tmp_path / 'data' / 'warehouse.duckdb'} (SOCIALMETRICS_WAREHOUSE is unset, and its "
        f"default data/warehouse.duckdb is read from the current folder: run this in the clone ({settings.REPO_ROOT}) "
        "or set SOCIALMETRICS_WAREHOUSE); run `make demo` first.\n"
    )
    with pytest.raises(
        ConfigError, match=r"socialmetrics.yml does not exist \(SOCIALMETRICS_CONFIG is unset, and its "
    ):
        load_config(settings.config_path())
    monkeypatch.chdir(settings.REPO_ROOT)
    assert settings.config_path() == settings.REPO_ROOT / "config" / "socialmetrics.yml"
    assert settings.warehouse_hint() == ""


# -- every time zone: the request window, the landed slice and the rebuilt days are the company's local days --

TZ_TODAY = dt.date(2026, 11, 28)  # the frozen clock of the time-zone tests: 20-26 Nov are complete everywhere
TZ_NOW = dt.datetime.combine(TZ_TODAY, dt.time(12), dt.UTC)
TZ_DAYS = [dt.date(2026, 11, 20) + dt.timedelta(days=i) for i in range(7)]


class CompanyIn:
    """The sandbox company's Facebook page and X account in a time zone, run the way the DAGs
    run them: backfill runs get their logical dates from the nightly DAG's own timetable, history loads
    from plan_history."""

    def __init__(self, folder: Path, config: Path, servers: dict[str, Any], timetable: Any) -> None:
        self.config_path, self.servers, self.timetable = config, servers, timetable
        self.tz = load_config(config).timezone
        self.warehouse, self.landing = folder / "warehouse.duckdb", folder / "landing"
        self.h = Harness(servers["facebook_default"], config, self.warehouse, self.landing)

    @staticmethod
    def write_config(path: Path, tz: str) -> Path:
        """The config: a network with a daily series and one whose days come from its posts, in `tz`."""
        accounts = [("facebook", company.FACEBOOK_PAGE_ID), ("x", company.X_USER_ID)]
        path.write_text(
            f"company: Brauerei Sonnenhang GmbH\ntimezone: {tz}\naccounts:\n"
            + "".join(f"  - network: {n}\n    id: '{i}'\n" for n, i in accounts),
            encoding="utf-8",
        )
        return path

    def credentials(self, conn_id: str) -> Credentials:
        server = self.servers[conn_id]
        app = server.app
        return Credentials(conn_id, app.sandbox_token, server.base_url, getattr(app, "sandbox_conn_extra", {}))

    def _publish(self, jobs: list[dict[str, Any]], run_id: str) -> None:
        local_today = TZ_NOW.astimezone(ZoneInfo(self.tz)).date()
        for job in jobs:
            pipeline.extract(pipeline.account_from_dict(job), pipeline.job_window(job), run_id,
                             credentials=self.credentials, landing_root=self.landing, today=local_today,
                             backfill=job["backfill"])  # fmt: skip
        pipeline.publish(run_id, self.h.cfg, warehouse_path=self.warehouse, landing_root=self.landing,
                         today=local_today)  # fmt: skip

    def backfill(self, first: dt.date, last: dt.date, dates_in: str) -> list[dt.date]:
        """`airflow backfill create --from-date <first> --to-date <last + 1 day>` with the dates read in
        `dates_in`: one run per data interval of the nightly DAG's timetable whose start (the logical date)
        lies in that range, as Airflow selects them; returns the days the runs covered."""
        from airflow.serialization.encoders import coerce_to_core_timetable
        from airflow.timetables.base import TimeRestriction

        timetable = coerce_to_core_timetable(self.timetable)
        zone = ZoneInfo(dates_in)
        earliest = dt.datetime.combine(first, dt.time(), zone)
        latest = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
        restriction = TimeRestriction(earliest=earliest, latest=None, catchup=True)
        covered, interval = [], None
        while True:
            info = timetable.next_dagrun_info(last_automated_data_interval=interval, restriction=restriction)
            interval = info.data_interval
            if interval.start >= latest:
                return covered
            jobs = pipeline.plan_run(self.config_path, interval.start, backfill=True, now=TZ_NOW)
            covered.append(pipeline.job_window(jobs[0]).start)
            self._publish(jobs, f"backfill__{interval.start:%Y-%m-%dT%H%M}")

    def history(self, first: dt.date, last: dt.date, run_id: str) -> None:
        """A history run of `first`..`last` as the history DAG makes it."""
        self._publish(pipeline.plan_history(self.config_path, first, last, read_budget=3000, now=TZ_NOW), run_id)


@pytest.fixture(scope="module")
def tz_servers() -> Iterator[dict[str, Any]]:
    """The fake Graph and X APIs with their clocks at TZ_TODAY."""
    from connectors.testing import FakeServer
    from connectors.testing.sandbox.facebook import FacebookSandbox
    from connectors.testing.sandbox.x import XSandbox

    apps = {"facebook_default": FacebookSandbox, "x_default": XSandbox}
    servers = {conn: FakeServer(cls(today=TZ_TODAY)).start() for conn, cls in apps.items()}
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def x_impressions_by_local_day(tz: str, app: Any) -> dict[dt.date, int]:
    """What the X sandbox served: each post's lifetime impressions on its publishing day in `tz` (20-26 Nov)."""
    zone = ZoneInfo(tz)
    found = {day: 0 for day in TZ_DAYS}
    for utc_day in [TZ_DAYS[0] - dt.timedelta(days=1), *TZ_DAYS, TZ_DAYS[-1] + dt.timedelta(days=1)]:
        for post in company.x_posts(utc_day):
            local = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")).astimezone(zone).date()
            if local in found:
                found[local] += app.lifetime(post)["impression_count"]
    return found


@pytest.mark.airflow  # the backfills' logical dates come from the DAG's timetable (imports Airflow)
@pytest.mark.xdist_group(TIMETABLE)  # no Airflow process, no Airflow home: not in the `airflow` lane
@pytest.mark.parametrize(("tz", "dates_in"), [("America/New_York", "UTC"), ("Asia/Tokyo", "Asia/Tokyo")])
def test_history_loads_and_daily_backfills_leave_the_same_tables_in_every_time_zone(
    tz: str, dates_in: str, tz_servers: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a company west (New York) or east (Tokyo) of UTC and the days 20-26 Nov loaded three ways (a
    backfill of 20-26 Nov as Airflow makes it from the nightly DAG's timetable, one run a day: New York with
    the plain dates of `airflow backfill create`, read as UTC; Tokyo with its offset, as docs/airflow.md says;
    one history run; overlapping history runs with a backfill between them), then the backfill covers
    exactly those days, every core and mart table is identical, and X's days (derived from its posts) hold
    the posts published on that local day, as served: nothing wiped, nothing counted on the wrong day."""
    from tests.test_timezones import nightly_timetable

    config = CompanyIn.write_config(tmp_path / "company.yml", tz)
    timetable = nightly_timetable(config, monkeypatch)
    daily = CompanyIn(tmp_path / "daily", config, tz_servers, timetable)
    covered = daily.backfill(TZ_DAYS[0], TZ_DAYS[-1], dates_in)
    once = CompanyIn(tmp_path / "once", config, tz_servers, timetable)
    once.history(TZ_DAYS[0], TZ_DAYS[-1], "manual__history")
    mixed = CompanyIn(tmp_path / "mixed", config, tz_servers, timetable)
    mixed.history(TZ_DAYS[0], TZ_DAYS[4], "manual__h1")
    mixed.backfill(TZ_DAYS[3], TZ_DAYS[3], dates_in)
    mixed.history(TZ_DAYS[2], TZ_DAYS[-1], "manual__h2")
    mixed.history(TZ_DAYS[0], TZ_DAYS[4], "manual__h3")

    served = x_impressions_by_local_day(tz, tz_servers["x_default"].app)
    for loaded in (once, daily, mixed):
        x_days = loaded.h.query(
            "SELECT day, impressions FROM marts.reach_daily WHERE network = 'x' AND day BETWEEN ? AND ? ORDER BY day",
            [TZ_DAYS[0], TZ_DAYS[-1]],
        )
        assert dict(x_days) == served
    reference = fingerprint(once.h)
    assert fingerprint(daily.h) == reference
    assert fingerprint(mixed.h) == reference
    assert covered == TZ_DAYS
