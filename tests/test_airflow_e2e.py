"""`airflow dags test social_metrics <date>` with nothing but the documented environment; and the history
form against a running Airflow (what `make airflow` starts).

Given only AIRFLOW_HOME (migrated), the dags folder, SOCIALMETRICS_CONFIG, SOCIALMETRICS_WAREHOUSE
and AIRFLOW_CONN_* pointing at the sandbox, the DAG runs, publishes exactly the served numbers, gives
the same tables when run again, and an expired token fails the run with a message naming the
connection while the token appears in no log, landing file or table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import duckdb
import pytest
import requests

from connectors.testing import FakeServer
from connectors.testing.sandbox import company
from connectors.testing.sandbox.facebook import SANDBOX_TOKEN, FacebookSandbox
from connectors.testing.sandbox.server import airflow_conn_env, start_all

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).parent / "airflow")
pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def airflow_env(airflow_home: Path, tmp_path_factory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("work")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "SOCIALMETRICS_CONFIG": str(REPO / "config" / "socialmetrics.yml"),
            "SOCIALMETRICS_WAREHOUSE": str(work / "warehouse.duckdb"),
        }
    )
    env["_WORK"] = str(work)
    return env


def dags_test(env: dict[str, str], day: dt.date, token: str, sandbox: FakeServer) -> subprocess.CompletedProcess:
    """Facebook on `sandbox` with `token`; every other network on its own fresh sandbox."""
    conn = {"conn_type": "http", "host": sandbox.base_url, "password": token}
    others = {n: s for n, s in start_all().items() if n != "facebook"}
    run_env = env | airflow_conn_env(others) | {"AIRFLOW_CONN_FACEBOOK_DEFAULT": json.dumps(conn)}
    try:
        return subprocess.run([AIRFLOW, "dags", "test", "social_metrics", day.isoformat()], env=run_env,
                              capture_output=True, text=True, cwd=env["_WORK"], timeout=600)  # fmt: skip
    finally:
        for server in others.values():
            server.stop()


def marts(env: dict[str, str]) -> dict[str, list[tuple]]:
    con = duckdb.connect(env["SOCIALMETRICS_WAREHOUSE"], read_only=True)
    try:
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("marts.reach_daily", "marts.engagement_daily")
        }
    finally:
        con.close()


@dataclass
class SundayRuns:
    """The run covering last Sunday (Monday's nightly run), done twice: the first run's and the second
    run's output, and the marts after each."""

    sunday: dt.date
    first: subprocess.CompletedProcess
    tables: dict[str, list[tuple]]
    second: subprocess.CompletedProcess | None
    tables_again: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def sunday_runs(airflow_env) -> SundayRuns:
    """One scenario for the checks of a successful `dags test` (the served numbers, repeatability, the
    weekly report of the run covering Sunday): each run costs half a minute or more."""
    today = dt.datetime.now(ZoneInfo("Europe/Berlin")).date()
    # the last Sunday at least two days back: the Graph API's days end in Pacific time, so between midnight
    # in Berlin and 09:00 the day before today has no numbers there yet (the sandbox keeps that clock too)
    two_back = today - dt.timedelta(days=2)
    sunday = two_back - dt.timedelta(days=two_back.isoweekday() % 7)
    with FakeServer(FacebookSandbox()) as sandbox:
        first = dags_test(airflow_env, sunday, SANDBOX_TOKEN, sandbox)
        if first.returncode != 0:
            return SundayRuns(sunday, first, {}, None, {})
        tables = marts(airflow_env)
        second = dags_test(airflow_env, sunday, SANDBOX_TOKEN, sandbox)
    return SundayRuns(sunday, first, tables, second, marts(airflow_env))


def test_dags_test_publishes_the_served_numbers_and_is_repeatable(sunday_runs: SundayRuns) -> None:
    first, second, tables, day = sunday_runs.first, sunday_runs.second, sunday_runs.tables, sunday_runs.sunday
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert second is not None and second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert sunday_runs.tables_again == tables
    reach = {row[2]: row for row in tables["marts.reach_daily"] if row[0] == "facebook"}
    assert day in reach and len(reach) >= 1
    v = company.facebook_day(day)
    assert reach[day][3:6] == (v["page_media_view"], v["page_total_media_view_unique"], v["page_follows"])


def test_an_expired_token_fails_the_run_naming_the_connection_and_leaks_nowhere(airflow_env) -> None:
    token = "EAAG-expired-" + hashlib.sha256(b"e2e").hexdigest()[:24]
    day = dt.datetime.now(ZoneInfo("Europe/Berlin")).date() - dt.timedelta(days=3)
    app = FacebookSandbox()
    app.valid_tokens.add(token)
    app.expired_tokens.add(token)
    with FakeServer(app) as sandbox:
        result = dags_test(airflow_env, day, token, sandbox)
    output = result.stdout + result.stderr
    assert result.returncode != 0 or "failed" in output.lower()
    home = Path(airflow_env["AIRFLOW_HOME"])
    logs = "\n".join(p.read_text(errors="replace") for p in (home / "logs").rglob("*") if p.is_file())
    assert "facebook_default" in logs + output and "190" in logs + output
    assert token not in output
    assert token not in logs
    work = Path(airflow_env["_WORK"])
    for path in list(work.rglob("*")) + list(home.rglob("*")):
        if path.is_file() and path.stat().st_size < 200_000_000:
            assert token.encode() not in path.read_bytes(), path


def test_the_run_covering_sunday_writes_the_weekly_report(airflow_env, sunday_runs: SundayRuns, chromium) -> None:
    """Monday's nightly run covers Sunday: its `report` task writes the week's HTML and PDF."""
    sunday, result = sunday_runs.sunday, sunday_runs.first
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    year, week, _ = sunday.isocalendar()
    folder = Path(airflow_env["SOCIALMETRICS_WAREHOUSE"]).parent / "reports" / "brauerei-sonnenhang-gmbh"
    html = folder / f"{year}-W{week:02d}.html"
    assert html.exists() and (folder / f"{year}-W{week:02d}.pdf").read_bytes()[:5] == b"%PDF-"
    text = html.read_text(encoding="utf-8")
    assert "Brauerei Sonnenhang GmbH" in text and f"{week}/{year}" in text


# -- the history form against a running Airflow (`make airflow`'s standalone, on a free port) ------------


@dataclass
class RunningAirflow:
    """`python -m socialmetrics.run.standalone` (what `make airflow` runs) in a home of its own."""

    env: dict[str, str]
    url: str
    token: str

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """One REST call with the admin's JWT."""
        return requests.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"},
                                timeout=60, **kwargs)  # fmt: skip

    def finished_run(self, run_id: str, timeout_s: float = 600) -> dict:
        """The run once it has finished, with its task instances."""
        quoted = quote(run_id, safe="")
        deadline = time.monotonic() + timeout_s
        while True:
            run = self.api("GET", f"/api/v2/dags/{HISTORY_DAG}/dagRuns/{quoted}").json()
            if run["state"] in ("success", "failed") or time.monotonic() > deadline:
                break
            time.sleep(2)
        tis = self.api("GET", f"/api/v2/dags/{HISTORY_DAG}/dagRuns/{quoted}/taskInstances").json()
        return run | {"tis": {t["task_id"]: t for t in tis["task_instances"]}}

    def xcom(self, run_id: str, task_id: str, key: str) -> object:
        """A task's XCom value as the REST API returns it."""
        path = f"/api/v2/dags/{HISTORY_DAG}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/xcomEntries/{key}"
        value = self.api("GET", path).json()["value"]
        try:  # a list comes as its stored JSON, a string as itself
            return json.loads(value) if isinstance(value, str) else value
        except ValueError:
            return value


HISTORY_DAG = "social_metrics_history"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def running_airflow(tmp_path_factory) -> Iterator[RunningAirflow]:
    """Migrated home, pool duckdb, sandbox APIs, Airflow standalone on loopback; stopped afterwards. (A copy of the
    session's migrated metadata DB instead of a migration of its own was tried: the REST API then answered a
    dag run's POST with a database error under load in CI; the home migrates itself, as `make airflow` does.)"""
    home, work = tmp_path_factory.mktemp("standalone-home"), tmp_path_factory.mktemp("standalone-work")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "SOCIALMETRICS_CONFIG": str(REPO / "config" / "socialmetrics.yml"),
        "SOCIALMETRICS_WAREHOUSE": str(work / "warehouse.duckdb"),
    }
    for args in (["db", "migrate"], ["pools", "set", "duckdb", "1", "DuckDB has one writer process"]):
        out = subprocess.run([AIRFLOW, *args], env=env, cwd=work, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    log = (work / "standalone.out").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "socialmetrics.run.standalone"], env=env, cwd=work, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 400
        while "Airflow UI:" not in (work / "standalone.out").read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, (work / "standalone.out").read_text()[-3000:]
            time.sleep(2)
        password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        url = f"http://127.0.0.1:{port}"
        token = requests.post(f"{url}/auth/token", json={"username": "admin", "password": password}, timeout=60)
        yield RunningAirflow(env, url, token.json()["access_token"])
    finally:
        proc.send_signal(signal.SIGTERM)  # standalone stops Airflow's process group and the sandboxes
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.timeout(900)
def test_the_rest_api_refuses_what_the_history_forms_schema_rejects(running_airflow: RunningAirflow) -> None:
    """The form's fields are validated by Airflow itself, for the UI and for the REST API alike."""
    for conf, detail in [
        ({"from": "2026-13-01"}, "Invalid input for param from: '2026-13-01' is not a 'date'"),
        ({"to": "01.11.2026"}, "Invalid input for param to: '01.11.2026' is not a 'date'"),
        ({"x_read_budget": 0}, "Invalid input for param x_read_budget: 0 is less than the minimum of 1"),
        ({"x_read_budget": None}, "Invalid input for param x_read_budget: None is not of type 'integer'"),
    ]:
        for _ in range(5):  # Airflow on SQLite answers 500 ("Database error") while another process writes
            r = running_airflow.api("POST", f"/api/v2/dags/{HISTORY_DAG}/dagRuns", json={"logical_date": None,
                                                                                       "conf": conf})  # fmt: skip
            if r.status_code < 500:
                break
            time.sleep(3)
        assert r.status_code == 400, r.text
        assert r.json()["detail"].splitlines()[0] == detail
    runs = running_airflow.api("GET", f"/api/v2/dags/{HISTORY_DAG}/dagRuns").json()["dag_runs"]
    assert [r["conf"] for r in runs if r["conf"].get("from") == "2026-13-01"] == []  # no run was made


@pytest.mark.timeout(900)
def test_a_reversed_history_range_fails_in_plan_with_its_line_and_publish_names_it(
    running_airflow: RunningAirflow,
) -> None:
    """Given the form's last day before its first (a schema cannot compare two fields), plan fails at once
    with one line, no extract runs, and publish names plan's line instead of blaming five accounts' tokens."""
    reversed_days = {"from": "2026-11-23", "to": "2026-11-20"}
    r = running_airflow.api("POST", f"/api/v2/dags/{HISTORY_DAG}/dagRuns",
                            json={"logical_date": None, "conf": reversed_days})  # fmt: skip
    assert r.status_code == 200, r.text
    run_id = r.json()["dag_run_id"]
    run = running_airflow.finished_run(run_id)
    line = "history 2026-11-23 to 2026-11-20: the first day is after the last; swap them"
    states = {t: (ti["state"], ti["try_number"]) for t, ti in run["tis"].items()}
    assert (run["state"], states) == (
        "failed",
        {"plan": ("failed", 1), "extract": ("upstream_failed", 0), "publish": ("failed", 1), "finish": ("failed", 1)},
    )  # fmt: skip
    assert running_airflow.xcom(run_id, "plan", "error") == line
    assert running_airflow.xcom(run_id, "publish", "error") == f"nothing to publish: plan refused the request: {line}"
    assert running_airflow.xcom(run_id, "finish", "error") == f"nothing to finish: plan refused the request: {line}"
    logs = running_airflow.api(
        "GET", f"/api/v2/dags/{HISTORY_DAG}/dagRuns/{quote(run_id, safe='')}/taskInstances/plan/logs/1",
        params={"full_content": True},
    ).json()["content"]  # fmt: skip
    errors = [c.get("event") for c in logs if isinstance(c, dict) and c.get("level") == "error"]
    assert errors[0] == line  # the first error in the log is the message, one line


@pytest.mark.timeout(900)
def test_history_cli_prints_and_notes_what_plan_changed(running_airflow: RunningAirflow) -> None:
    """Given a last day three days ahead, the load runs up to yesterday; the CLI says so and so does the run's
    note in the grid."""
    yesterday = dt.datetime.now(ZoneInfo("Europe/Berlin")).date() - dt.timedelta(days=1)
    first, last = yesterday - dt.timedelta(days=2), yesterday + dt.timedelta(days=4)
    cli = subprocess.run(
        [str(Path(sys.executable).parent / "socialmetrics"), "history", "--from", first.isoformat(), "--to",
         last.isoformat()],
        env=running_airflow.env, capture_output=True, text=True, timeout=800,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stdout + cli.stderr
    change = (
        f"{last} is not over yet in Europe/Berlin: loading {first} to {yesterday} (3 days) instead of {first} to "
        f"{last} (7 days)"
    )
    assert f"  note: {change}\n" in cli.stdout
    assert cli.stdout.startswith(f"History {first} to {last} (7 days): started run ")
    run_id = cli.stdout.split("started run ", 1)[1].split(" ", 1)[0]
    run = running_airflow.api("GET", f"/api/v2/dags/{HISTORY_DAG}/dagRuns/{quote(run_id, safe='')}").json()
    assert run["note"].startswith(f"History {first} to {last} (7 days) as asked; changed:\n- {change}")
