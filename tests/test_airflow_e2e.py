"""`airflow dags test social_metrics <date>` with nothing but the documented environment.

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
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from socialmetrics.sandbox import company
from socialmetrics.sandbox.facebook import SANDBOX_TOKEN, FacebookSandbox
from socialmetrics.sandbox.server import SandboxServer, airflow_conn_env, start_all

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


def dags_test(env: dict[str, str], day: dt.date, token: str, sandbox: SandboxServer) -> subprocess.CompletedProcess:
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
    with SandboxServer(FacebookSandbox()) as sandbox:
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
    with SandboxServer(app) as sandbox:
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
