"""Every time zone: the nightly run of a company anywhere keeps its snapshots, and history loads and
backfills leave the same tables (issue #27).

The nightly runs here are driven the way Airflow drives them: the DAG file's own timetable (built from
the company's config) gives the run's data interval, the clock is frozen at the moment that run starts
(time-machine), and the task functions run without Airflow.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
import time_machine

from connectors.base import Credentials
from connectors.testing import FakeServer
from connectors.testing.sandbox import company
from connectors.testing.sandbox.instagram import IG_USER_ID, InstagramSandbox
from connectors.testing.sandbox.linkedin import LinkedInSandbox
from connectors.testing.sandbox.x import XSandbox
from socialmetrics import pipeline
from socialmetrics.config import load_config
from tests.conftest import TIMETABLE

REPO = Path(__file__).resolve().parent.parent
LOCAL_TODAY = dt.date(2026, 11, 27)  # the company's today when its nightly run starts: it covers 26 Nov
SNAPSHOT_ACCOUNTS = [("instagram", IG_USER_ID), ("linkedin", company.LINKEDIN_ORG_ID),
                     ("x", company.X_USER_ID)]  # fmt: skip
CONNECTIONS = {"instagram_default": InstagramSandbox, "linkedin_default": LinkedInSandbox, "x_default": XSandbox}
# Builds the DAG's timetable (imports Airflow) but starts no Airflow and uses no Airflow home: a lane of its own
# (tests/conftest.py), beside the `airflow` group's Airflow processes instead of after them.
pytestmark = [pytest.mark.airflow, pytest.mark.xdist_group(TIMETABLE)]


def write_config(folder: Path, tz: str) -> Path:
    """The sandbox company's accounts with a snapshot stream (follower totals; X's post numbers) in `tz`."""
    path = folder / "socialmetrics.yml"
    path.write_text(
        f"company: Brauerei Sonnenhang GmbH\ntimezone: {tz}\nlookback_days: 2\naccounts:\n"
        f"  - network: linkedin\n    id: '{company.LINKEDIN_ORG_ID}'\n"
        f"  - network: x\n    id: '{company.X_USER_ID}'\n"
        f"  - network: instagram\n    id: '{IG_USER_ID}'\n",
        encoding="utf-8",
    )
    return path


def nightly_timetable(config: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The timetable of the DAG `social_metrics` as dags/social_metrics.py builds it for this config."""
    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(config))
    monkeypatch.delenv("SOCIALMETRICS_CONFIG_DIR", raising=False)
    spec = importlib.util.spec_from_file_location("social_metrics_dag_under_test", REPO / "dags" / "social_metrics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build("social_metrics_tz_probe").timetable


def scheduled_run(timetable: Any, local_today: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """(logical date, start) of the first scheduled run of `timetable` that starts on `local_today` in the
    company's time zone: Airflow starts a run when its data interval ends."""
    from airflow.serialization.encoders import coerce_to_core_timetable  # what the scheduler runs
    from airflow.timetables.base import DataInterval, TimeRestriction

    timetable = coerce_to_core_timetable(timetable)
    midnight = dt.datetime.combine(local_today, dt.time(), ZoneInfo(tz))
    last = DataInterval(midnight - dt.timedelta(days=3), midnight - dt.timedelta(days=2))
    restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
    while True:
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info.data_interval.end >= midnight:
            return info.data_interval.start, info.data_interval.end
        last = info.data_interval


@pytest.fixture
def servers() -> Iterator[dict[str, FakeServer]]:
    """The fake Instagram, LinkedIn and X APIs (their clocks are set per run)."""
    started = {conn: FakeServer(cls()).start() for conn, cls in CONNECTIONS.items()}
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


def nightly(config: Path, servers: dict[str, FakeServer], logical: dt.datetime, start: dt.datetime, tmp: Path,
            run_id: str) -> dict[str, Any]:  # fmt: skip
    """One nightly run started at `start` (the clock frozen there): plan, every extract, publish."""
    for server in servers.values():  # the APIs' own clocks: their data is complete up to their (UTC) today
        server.app.today = start.astimezone(dt.UTC).date()

    def credentials(conn_id: str) -> Credentials:
        app = servers[conn_id].app
        return Credentials(
            conn_id, app.sandbox_token, servers[conn_id].base_url, getattr(app, "sandbox_conn_extra", {})
        )

    with time_machine.travel(start + dt.timedelta(minutes=5), tick=True):
        jobs = pipeline.plan_run(config, logical, backfill=False)
        for job in jobs:
            pipeline.extract(pipeline.account_from_dict(job), pipeline.job_window(job), run_id,
                             credentials=credentials, landing_root=tmp / "landing", backfill=False)  # fmt: skip
        pipeline.publish(run_id, load_config(config), warehouse_path=tmp / "warehouse.duckdb",
                         landing_root=tmp / "landing")  # fmt: skip
    return {"window": pipeline.job_window(jobs[0])}


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def x_posts_of(first: dt.date, end: dt.date, tz: str, api_today: dt.date) -> list[str]:
    """The sandbox's X posts published in the local days [first, end) of `tz` that its API serves on `api_today`."""
    zone = ZoneInfo(tz)
    lo, hi = (dt.datetime.combine(d, dt.time(), zone) for d in (first, end))
    served_before = dt.datetime.combine(api_today, dt.time(), dt.UTC)
    days = [first - dt.timedelta(days=1) + dt.timedelta(days=i) for i in range((end - first).days + 2)]
    return sorted(
        p["id"] for d in days for p in company.x_posts(d)
        if lo <= dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")) < min(hi, served_before)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("tz", "x_posts"),
    [("America/New_York", 6), ("Europe/Berlin", 6), ("Asia/Tokyo", 6)],
)
def test_the_nightly_run_keeps_every_snapshot_in_any_time_zone(
    tz: str, x_posts: int, servers: dict[str, FakeServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a company in `tz`, when its nightly run starts as the DAG schedules it (03:00 local on 27 Nov),
    then it covers 26 Nov and keeps 26 Nov's follower total of each snapshot account and the numbers of
    X's posts of the last 7 local days (7 metric rows a post), with no snapshot warning."""
    config = write_config(tmp_path, tz)
    logical, start = scheduled_run(nightly_timetable(config, monkeypatch), LOCAL_TODAY, tz)
    result = nightly(config, servers, logical, start, tmp_path, "scheduled__tz")

    day = LOCAL_TODAY - dt.timedelta(days=1)
    assert (result["window"].start, result["window"].end) == (day - dt.timedelta(days=2), LOCAL_TODAY)
    warehouse = tmp_path / "warehouse.duckdb"
    followers = query(
        warehouse,
        "SELECT network, account_id, count(*), min(day) FROM raw.daily_metrics WHERE metric = 'followers' "
        "GROUP BY ALL ORDER BY ALL",
    )
    assert followers == [(network, account, 1, day) for network, account in SNAPSHOT_ACCOUNTS]
    snapshots = query(warehouse, "SELECT count(*), count(DISTINCT post_id), min(as_of) FROM raw.post_snapshots")
    assert snapshots == [(7 * x_posts, x_posts, day)]
    served = x_posts_of(LOCAL_TODAY - dt.timedelta(days=7), LOCAL_TODAY, tz, start.astimezone(dt.UTC).date())
    assert [r[0] for r in query(warehouse, "SELECT DISTINCT post_id FROM raw.post_snapshots ORDER BY 1")] == served
    assert query(warehouse, "SELECT count(*) FROM meta.connector_warnings WHERE code = 'snapshot-skipped'") == [(0,)]
    assert start == dt.datetime.combine(LOCAL_TODAY, dt.time(3), ZoneInfo(tz))  # 03:00 local


def test_a_nightly_run_that_starts_a_day_late_warns_of_each_snapshot_it_cannot_take(
    servers: dict[str, FakeServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the New York company's nightly run covering 25 Nov, when it starts only on 27 Nov (the scheduler
    was down a day), then no snapshot is kept (it would label 27 Nov's totals with 25 Nov), and each snapshot
    stream is a warning in meta.connector_warnings (which the report's data-quality section lists), not
    only an INFO line."""
    tz = "America/New_York"
    config = write_config(tmp_path, tz)
    logical, _ = scheduled_run(nightly_timetable(config, monkeypatch), LOCAL_TODAY - dt.timedelta(days=1), tz)
    late = dt.datetime.combine(LOCAL_TODAY, dt.time(3), ZoneInfo(tz))
    nightly(config, servers, logical, late, tmp_path, "scheduled__late")

    warehouse = tmp_path / "warehouse.duckdb"
    assert query(warehouse, "SELECT count(*) FROM raw.daily_metrics WHERE metric = 'followers'") == [(0,)]
    assert query(warehouse, "SELECT count(*) FROM raw.post_snapshots") == [(0,)]
    warnings = query(
        warehouse,
        "SELECT network, stream, message FROM meta.connector_warnings WHERE code = 'snapshot-skipped' ORDER BY ALL",
    )
    assert [(n, s) for n, s, _ in warnings] == [
        ("instagram", "account"), ("linkedin", "network_size"), ("x", "account"), ("x", "post_snapshots")
    ]  # fmt: skip
    assert warnings[3][2] == (
        "x post_snapshots: no snapshot for 2026-11-25: this run covers 2026-11-23 to 2026-11-25 (3 days) but started "
        "on 2026-11-27 (America/New_York), and today's totals can only be kept as yesterday's, so 2026-11-25 has no "
        "post numbers and none can be taken later. If this was the nightly run, find out why it started late "
        "(scheduler down, DAG paused)."
    )
    assert "so 2026-11-25 has no follower total" in warnings[0][2]


TIMETABLE_PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "schedules": {
    dag_id: [dag.timetable.expression, str(getattr(dag.timetable.timezone, "name", dag.timetable.timezone))]
    for dag_id, dag in bag.dags.items() if hasattr(dag.timetable, "expression")}}))
"""


def test_each_companys_nightly_dag_runs_at_three_in_the_companys_time_zone(tmp_path: Path) -> None:
    """Given company configs in New York, Tokyo, one without `timezone` and one that is not valid YAML, then
    each nightly DAG runs at 03:00 in its company's time zone; the broken config still gets its DAG (with the
    default zone), whose `plan` task names the YAML error."""
    folder = tmp_path / "companies"
    folder.mkdir()
    base = "company: C\naccounts:\n  - network: facebook\n    id: '1'\n"
    (folder / "newyork.yml").write_text(base + "timezone: America/New_York\n", encoding="utf-8")
    (folder / "tokyo.yml").write_text("timezone: 'Asia/Tokyo'  # JST\n" + base, encoding="utf-8")
    (folder / "plain.yml").write_text(base, encoding="utf-8")
    (folder / "broken.yml").write_text(base + "timezone: [America/New_York\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env |= {"AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "SOCIALMETRICS_CONFIG_DIR": str(folder), "SOCIALMETRICS_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", TIMETABLE_PROBE, str(REPO / "dags")], env=env, capture_output=True,
                         text=True, cwd=tmp_path, timeout=120, check=True)  # fmt: skip
    bag = json.loads(out.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}
    assert bag["schedules"] == {
        "social_metrics__broken": ["0 3 * * *", "Europe/Berlin"],
        "social_metrics__newyork": ["0 3 * * *", "America/New_York"],
        "social_metrics__plain": ["0 3 * * *", "Europe/Berlin"],
        "social_metrics__tokyo": ["0 3 * * *", "Asia/Tokyo"],
    }


def test_every_request_asks_for_the_instants_of_the_companys_local_midnights() -> None:
    """Given the New York days 8-9 Mar 2026 (daylight saving time starts on the 8th), then X's start_time and
    end_time, Facebook's and Instagram's since/until and LinkedIn's post filter are the UTC instants of local
    midnight, and landing keeps a post by its instant: 01:00 UTC on 10 Mar is still 9 Mar in New York."""
    from connectors import facebook, instagram, linkedin, x
    from connectors.base import Kind, Window
    from socialmetrics.land.landing import _records_table

    window = Window(dt.date(2026, 3, 8), dt.date(2026, 3, 10), "America/New_York")
    assert (window.start_at.isoformat(), window.end_at.isoformat()) == (
        "2026-03-08T05:00:00+00:00",  # EST, UTC-5
        "2026-03-10T04:00:00+00:00",  # EDT, UTC-4
    )
    posts = next(d for d in x.DECLARED if d.name == "posts")
    params = posts.params(window)
    assert (params["start_time"], params["end_time"]) == ("2026-03-08T05:00:00Z", "2026-03-10T04:00:00Z")
    unix = {"since": 1772946000, "until": 1773115200}
    assert unix == {"since": int(window.start_at.timestamp()), "until": int(window.end_at.timestamp())}
    assert facebook._unix_range(window) == unix
    assert instagram._unix_range(window) == unix
    connector = linkedin.LinkedInConnector.__new__(linkedin.LinkedInConnector)
    spec = connector.spec("posts")
    late = {"publishedAt": int(dt.datetime(2026, 3, 10, 1, tzinfo=dt.UTC).timestamp() * 1000)}
    assert linkedin.posts_wanted(connector, spec, late, window) is True
    assert linkedin.posts_wanted(connector, spec, late, Window(dt.date(2026, 3, 8), dt.date(2026, 3, 10))) is False
    record = {"post_id": "1", "published_at": dt.datetime(2026, 3, 10, 1, tzinfo=dt.UTC), "payload": "{}"}
    provenance = {"network": "x", "account_id": "1", "run_id": "r", "extracted_at": dt.datetime.now(dt.UTC),
                  "stream": "posts"}  # fmt: skip
    assert _records_table(Kind.POSTS, [record], provenance, window)[1] == 0  # kept: inside 8-9 Mar in New York
    assert _records_table(Kind.POSTS, [record], provenance, Window(window.start, window.end))[1] == 1  # UTC: out
