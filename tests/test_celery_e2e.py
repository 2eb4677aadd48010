"""The production topology of docker-compose.yml, natively: PostgreSQL, Redis, Celery, REST API.

Given a fresh PostgreSQL database as Airflow's metadata DB, a Redis database of its own as the Celery
broker, the sandbox APIs behind the connections, the admin login file written as airflow-init writes
it, and `airflow api-server`, `scheduler`, `dag-processor`, `triggerer` and TWO `celery worker`s
(different hostnames), when every health check of docker-compose.yml passes against them and the
test (through the REST API only, with a JWT from /auth/token) unpauses social_metrics, triggers a
run and creates a 7-day backfill, then every run succeeds; reach_daily holds exactly one row per
network, account and backfilled day with the sandbox's numbers; the tasks of the `duckdb` pool
never overlapped in time although both workers ran some of them; `socialmetrics history` then loads a
year through social_metrics_history (the Trigger form's REST call), exits 0, leaves exactly one row per
account and day of the year and the backfilled days exactly as the backfill left them (a hash of their
core and mart rows); and stopping the processes leaves none behind.

Skips only when PostgreSQL or Redis cannot be reached and CI is not set (with CI=true it fails).
`SOCIALMETRICS_E2E_WORKERS=1` runs it with one worker, to compare the backfill's wall time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
import requests

from connectors.testing import FakeServer
from connectors.testing.sandbox import company
from connectors.testing.sandbox.server import airflow_conn_env, start_all

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).parent / "airflow")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DBS = range(8, 16)  # a free one of these is the broker's; 0-7 are left to other users of the machine
TZ = ZoneInfo("Europe/Berlin")
BACKFILL_DAYS = 7
# A year through the history DAG, after the backfill: the 364 days from the first LinkedIn keeps (365 days
# back) to two days back (Facebook's days end in Pacific time)
HISTORY_DAYS = 364
NETWORKS = ("facebook", "linkedin", "xing")
XING_IMPORTS = REPO / "config" / "xing-import"
WORKERS = int(os.environ.get("SOCIALMETRICS_E2E_WORKERS", "2"))
STARTUP_TIMEOUT_S = 120
RUNS_TIMEOUT_S = 540

STOP_GRACE_S = 30
MARKER = "SOCIALMETRICS_E2E_MARKER"  # in the environment of every process this test starts
COMPOSE_FILE = REPO / "docker-compose.yml"

pytestmark = [pytest.mark.airflow, pytest.mark.services, pytest.mark.timeout(1200)]


def _services_or_skip() -> None:
    """PostgreSQL and Redis on loopback, or a skip (a failure when CI is set: CI must run this)."""
    import psycopg2
    import redis

    problems = []
    try:
        psycopg2.connect(dbname="postgres", connect_timeout=3, **PG).close()
    except Exception as exc:  # noqa: BLE001 (any reason is reported)
        problems.append(f"PostgreSQL on 127.0.0.1:5432 as postgres: {str(exc).strip()}")
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"Redis on 127.0.0.1:6379: {exc}")
    if problems:
        message = "; ".join(problems) + " (.ci/run starts both)"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the services: {message}")
        pytest.skip(message)


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards (connections of stray processes included)."""
    import psycopg2

    _services_or_skip()
    name = f"sm_celery_{uuid.uuid4().hex[:12]}"
    con = psycopg2.connect(dbname="postgres", **PG)
    con.autocommit = True
    try:
        con.cursor().execute(f'CREATE DATABASE "{name}"')
        yield name
        cur = con.cursor()
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name])
        assert cur.fetchone() == (0,), f"database {name} is still there"
    finally:
        con.close()


@pytest.fixture
def redis_db() -> Iterator[int]:
    """An empty Redis database number for the broker, flushed afterwards."""
    import redis

    _services_or_skip()
    for number in REDIS_DBS:
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number)
        if client.dbsize() == 0 and client.set("socialmetrics:e2e:claimed", "1", nx=True):
            break
        client.close()
    else:
        pytest.fail(f"no empty Redis database among {REDIS_DBS.start}..{REDIS_DBS.stop - 1} for the broker")
    try:
        yield number
    finally:
        client.flushdb()
        client.close()


def company_config(folder: Path) -> Path:
    """The sandbox company's config with the accounts this test checks (Facebook, LinkedIn, Xing)."""
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "socialmetrics.yml").read_text(encoding="utf-8"))
    cfg["accounts"] = [a for a in cfg["accounts"] if a["network"] in NETWORKS]
    assert {a["network"] for a in cfg["accounts"]} == set(NETWORKS)
    for account in cfg["accounts"]:
        if account.get("import_dir"):
            account["import_dir"] = str(XING_IMPORTS)
    path = folder / "socialmetrics.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def marked_pids(marker: str) -> list[int]:
    """Every process whose environment carries this test's marker (all it started, and their children)."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


@dataclass
class Deployment:
    """The processes of one Airflow deployment on loopback, and how to talk to its REST API."""

    env: dict[str, str]
    home: Path
    work: Path
    url: str
    marker: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""
    times: dict[str, float] = field(default_factory=lambda: {"begin": time.monotonic()})

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """An airflow CLI command to completion; fails with its output."""
        out = subprocess.run([AIRFLOW, *args], env=self.env, cwd=self.work, capture_output=True, text=True,
                             timeout=timeout)  # fmt: skip
        assert out.returncode == 0, f"airflow {' '.join(args)}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out

    def start(self, name: str, *args: str) -> None:
        """A long-running component in its own process group, its output in <work>/<name>.log."""
        log = (self.work / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, *args], env=self.env, cwd=self.work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def log(self, name: str) -> str:
        """What a component printed."""
        return (self.work / f"{name}.log").read_text(errors="replace")

    def alive(self) -> None:
        """Fail with its log when a component died."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)[-4000:]}")

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST call with the JWT; fails on an error status."""
        r = requests.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"},
                             timeout=30, **kwargs)  # fmt: skip
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text[:2000]}"
        return r.json() if r.content else None

    def stop(self) -> list[int]:
        """SIGTERM every process group, SIGKILL what is left after the grace time; returns the pids of
        marked processes that were still there after both (killed then, so nothing outlives the test)."""
        for proc in self.procs.values():
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        time.sleep(0.5)
        left = marked_pids(self.marker)
        for pid in left:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return left


@pytest.fixture
def deployment(database: str, redis_db: int, tmp_path: Path) -> Iterator[Deployment]:
    """Migrated metadata DB, pool duckdb, sandboxes, api-server, scheduler, dag-processor, workers."""
    from cryptography.fernet import Fernet

    home, work = tmp_path / "airflow", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    marker = uuid.uuid4().hex
    password = secrets.token_urlsafe(16)
    passwords_file = home / "passwords.json"
    passwords_file.write_text(json.dumps({"admin": password}))  # what compose's airflow-init writes from .env
    # psycopg2 named explicitly: SQLAlchemy 2.1's default PostgreSQL driver is psycopg 3 (not installed)
    db_url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{database}"
    servers: dict[str, FakeServer] = start_all()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env |= airflow_conn_env(servers) | {
        "PATH": os.pathsep.join([str(Path(AIRFLOW).parent), env.get("PATH", "")]),  # `celery`, as in the image
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{db_url}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        # a 2-core machine: few processes, short polls where the test waits on them
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "300",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",  # as in the compose file, on loopback
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
        "SOCIALMETRICS_CONFIG": str(company_config(tmp_path)),
        "SOCIALMETRICS_WAREHOUSE": str(work / "data" / "warehouse.duckdb"),
        "SOCIALMETRICS_AUTHOR_KEY": secrets.token_hex(16),
        MARKER: marker,
    }
    d = Deployment(env, home, work, url, marker)
    try:
        d.run("db", "migrate")
        d.run("pools", "set", "duckdb", "1", "DuckDB has one writer process")
        d.start("api-server", "api-server")
        d.start("scheduler", "scheduler")
        d.start("dag-processor", "dag-processor")
        d.start("triggerer", "triggerer", "--skip-serve-logs")
        for n in range(1, WORKERS + 1):  # -s: the log server's port 8793 is one per host; logs are local files
            d.start(f"worker{n}", "celery", "worker", "-H", f"celery@w{n}-%h", "-c", "2", "-s")
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            d.alive()
            try:
                r = requests.post(f"{url}/auth/token", json={"username": "admin", "password": password}, timeout=5)
                if r.status_code == 201:
                    d.token = r.json()["access_token"]
                    d.times["up"] = time.monotonic()
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"api-server not up in {STARTUP_TIMEOUT_S} s:\n{d.log('api-server')}"
            time.sleep(1)
        yield d
    finally:
        d.stop()
        for server in servers.values():
            server.stop()


def compose_health_check(service: str) -> str:
    """A service's health check command from docker-compose.yml, as the container's shell gets it."""
    import yaml

    test = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"][service]["healthcheck"]["test"]
    command = test[1] if test[0] == "CMD-SHELL" else shlex.join(test[1:])
    return command.replace("$$", "$")


def run_compose_health_checks(d: Deployment) -> None:
    """Every health check of the compose file against the native components (loopback addresses for
    `localhost`, and the names the components run under here for $HOSTNAME); all must pass."""
    api = compose_health_check("airflow-apiserver")
    scheduler = compose_health_check("airflow-scheduler")
    assert "localhost:8080" in api and "localhost:8974" in scheduler
    health_port = d.env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"]
    checks = {
        "airflow-apiserver": (api.replace("localhost:8080", d.url.removeprefix("http://")), {}),
        "airflow-scheduler": (scheduler.replace("localhost:8974", f"127.0.0.1:{health_port}"), {}),
    }
    for service, job_type in (("airflow-dag-processor", "DagProcessorJob"), ("airflow-triggerer", "TriggererJob")):
        jobs = d.api("GET", "/api/v2/jobs", params={"job_type": job_type, "is_alive": True})["jobs"]
        assert jobs, f"no live {job_type}"
        checks[service] = (compose_health_check(service), {"HOSTNAME": jobs[0]["hostname"]})
    for n in range(1, WORKERS + 1):  # worker n runs as celery@w<n>-<host>
        checks[f"airflow-worker {n}"] = (compose_health_check("airflow-worker"),
                                         {"HOSTNAME": f"w{n}-{socket.gethostname()}"})  # fmt: skip
    procs = {
        name: subprocess.Popen(
            ["sh", "-c", command],
            env=d.env | extra,
            cwd=d.work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for name, (command, extra) in checks.items()
    }
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"health check of {name} failed: {checks[name][0]}\n{out[-2000:]}"


def expected_reach(days: list[dt.date]) -> dict[tuple[str, str, dt.date], tuple[Any, ...]]:
    """(network, account, day) -> (impressions, reach, followers) as the sandbox serves them."""
    rows: dict[tuple[str, str, dt.date], tuple[Any, ...]] = {}
    for day in days:
        fb, li = company.facebook_day(day), company.linkedin_day(day)
        fb_row = (fb["page_media_view"], fb["page_total_media_view_unique"], fb["page_follows"])
        rows[("facebook", company.FACEBOOK_PAGE_ID, day)] = fb_row
        # LinkedIn gives the follower total only as today's snapshot: NULL on past days
        rows[("linkedin", company.LINKEDIN_ORG_ID, day)] = (li["impressionCount"], li["uniqueImpressionsCount"], None)
    for csv in sorted(XING_IMPORTS.glob("*.csv")):  # the files dropped for Xing
        lines = csv.read_text(encoding="utf-8-sig").splitlines()
        header = lines[0].split(";")
        for line in lines[1:]:
            r = dict(zip(header, line.split(";"), strict=True))
            day = dt.datetime.strptime(r["Datum"], "%d.%m.%Y").date()
            if not r["Beitrag"] and day in days:
                number = int(r["Impressionen"].replace(".", "")), int(r["Follower"].replace(".", ""))
                rows[("xing", "brauerei-sonnenhang", day)] = (number[0], None, number[1])
    return rows


def slice_fingerprint(d: Deployment, days: list[dt.date]) -> str:
    """A content hash of every core and mart row of these days (posts and comments by their post's day),
    provenance columns left out: what a user reads of the days."""
    import hashlib

    tables = {
        "core.account_daily": "day", "marts.reach_daily": "day", "marts.engagement_daily": "day",
        "core.post": "CAST(published_at AS DATE)", "marts.post_performance": "CAST(published_at AS DATE)",
        "core.comment": "CAST(post_published_at AS DATE)",
    }  # fmt: skip
    con = duckdb.connect(d.env["SOCIALMETRICS_WAREHOUSE"], read_only=True)
    try:
        digest = hashlib.sha256()
        for table, day in tables.items():
            cols = [c for c, *_ in con.execute(f"DESCRIBE {table}").fetchall() if c not in ("run_id", "extracted_at")]
            rows = con.execute(
                f"SELECT {', '.join(cols)} FROM {table} WHERE {day} BETWEEN ? AND ? ORDER BY ALL", [days[0], days[-1]]
            ).fetchall()
            assert rows or table == "core.comment", f"{table} has no rows for {days[0]}..{days[-1]}"
            digest.update(repr((table, rows)).encode())
        return digest.hexdigest()
    finally:
        con.close()


def wait_for_runs(d: Deployment, backfill_runs: int) -> list[dict[str, Any]]:
    """Every run of social_metrics once all have finished: the manual run, the backfill's runs and the
    scheduled run that unpausing creates for the latest interval (catchup=False); fails with task logs."""
    deadline = time.monotonic() + RUNS_TIMEOUT_S
    while True:
        d.alive()
        runs = d.api("GET", "/api/v2/dags/social_metrics/dagRuns", params={"limit": 100})["dag_runs"]
        kinds = sorted(r["run_type"] for r in runs)
        finished = all(r["state"] in ("success", "failed") for r in runs)
        if (finished and kinds.count("backfill") == backfill_runs) or time.monotonic() > deadline:
            break
        time.sleep(2)
    bad = [r for r in runs if r["state"] != "success"]
    if bad or not finished:
        status = "finished" if finished else f"still running after {RUNS_TIMEOUT_S} s"
        pytest.fail(f"runs not all successful ({status}): {[(r['dag_run_id'], r['state']) for r in bad]}"
                    f"\n{failing_task_logs(d, bad)}")  # fmt: skip
    assert kinds.count("manual") == 1 and set(kinds) <= {"backfill", "manual", "scheduled"}, kinds
    return runs


def failing_task_logs(d: Deployment, runs: list[dict[str, Any]]) -> str:
    """The log files of every task of these runs that did not succeed, and the components' last lines."""
    out = []
    for run in runs:
        tis = d.api("GET", f"/api/v2/dags/social_metrics/dagRuns/{run['dag_run_id']}/taskInstances")
        for ti in tis["task_instances"]:
            if ti["state"] == "success":
                continue
            out.append(f"--- {run['dag_run_id']} {ti['task_id']}[{ti['map_index']}]: {ti['state']}")
            pattern = f"dag_id=social_metrics/run_id={run['dag_run_id']}/task_id={ti['task_id']}/**/*.log"
            for path in sorted(d.home.glob(f"logs/{pattern}")):
                out.append(f"{path}:\n{path.read_text(errors='replace')[-3000:]}")
    for name in d.procs:
        out.append(f"--- {name} (last lines)\n{d.log(name)[-1500:]}")
    return "\n".join(out)


def test_celery_workers_on_postgres_and_redis_run_and_backfill_with_serialised_writers(
    deployment: Deployment,
) -> None:
    d = deployment
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while requests.get(f"{d.url}/api/v2/dags/social_metrics", headers={"Authorization": f"Bearer {d.token}"},
                       timeout=10).status_code != 200:  # fmt: skip
        d.alive()
        assert time.monotonic() < deadline, f"DAG not parsed in {STARTUP_TIMEOUT_S} s:\n{d.log('dag-processor')}"
        time.sleep(1)
    run_compose_health_checks(d)
    assert d.api("PATCH", "/api/v2/dags/social_metrics", json={"is_paused": False})["is_paused"] is False

    today = dt.datetime.now(TZ).date()
    first = today - dt.timedelta(days=45)  # older than the manual run's 28-day lookback: only backfills write it
    days = [first + dt.timedelta(days=i) for i in range(BACKFILL_DAYS)]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    d.api("POST", "/api/v2/dags/social_metrics/dagRuns", json={"logical_date": now.isoformat(), "conf": {}})
    started = time.monotonic()
    backfill = d.api(
        "POST",
        "/api/v2/backfills",
        json={
            "dag_id": "social_metrics",
            "from_date": dt.datetime.combine(days[0], dt.time(0, 0), TZ).isoformat(),
            "to_date": dt.datetime.combine(days[-1], dt.time(23, 0), TZ).isoformat(),
            "run_backwards": False,
            "dag_run_conf": {},
            "reprocess_behavior": "none",
            "max_active_runs": BACKFILL_DAYS,
        },
    )
    runs = wait_for_runs(d, BACKFILL_DAYS)
    backfill_runs = [r for r in runs if r["run_type"] == "backfill"]
    assert len(backfill_runs) == BACKFILL_DAYS
    assert sorted(dt.datetime.fromisoformat(r["logical_date"]).astimezone(TZ).date() for r in backfill_runs) == days
    finished = max(dt.datetime.fromisoformat(r["end_date"]) for r in backfill_runs)
    created = dt.datetime.fromisoformat(backfill["created_at"])
    print(f"\n{WORKERS} worker(s): the {BACKFILL_DAYS}-day backfill took {(finished - created).total_seconds():.0f} s "
          f"(created -> last run ended; all {len(runs)} runs done {time.monotonic() - started:.0f} s after the "
          "trigger)")  # fmt: skip

    before_history = slice_fingerprint(d, days)

    # A year of history through the UI path: `socialmetrics history` makes the Trigger form's REST call to
    # social_metrics_history and follows the run; it exits 0 only when every part succeeded.
    # up to two days back: Facebook's days end in Pacific time (see expected_reach's sandbox clock)
    last_day = today - dt.timedelta(days=2)
    first_day = last_day - dt.timedelta(days=HISTORY_DAYS - 1)
    history_started = time.monotonic()
    cli = subprocess.run(
        [sys.executable, "-m", "socialmetrics.run.cli", "history", "--from", first_day.isoformat(), "--to",
         last_day.isoformat()],
        env=d.env, cwd=d.work, capture_output=True, text=True, timeout=RUNS_TIMEOUT_S,
    )  # fmt: skip
    history_s = time.monotonic() - history_started
    assert cli.returncode == 0, f"{cli.stdout[-4000:]}\n{cli.stderr[-3000:]}"
    assert "every part succeeded" in cli.stdout
    assert "extract facebook/104857600000001: success" in cli.stdout  # progress per account, by name
    print(f"history of {HISTORY_DAYS} days through the REST API: {history_s:.0f} s")
    history_runs = d.api("GET", "/api/v2/dags/social_metrics_history/dagRuns")["dag_runs"]
    assert [(r["run_type"], r["state"], r["conf"]["from"]) for r in history_runs] == [
        ("manual", "success", first_day.isoformat())
    ]

    tis = d.api("GET", "/api/v2/dags/~/dagRuns/~/taskInstances", params={"pool": "duckdb", "limit": 500})
    writers = sorted(
        (dt.datetime.fromisoformat(t["start_date"]), dt.datetime.fromisoformat(t["end_date"]), t)
        for t in tis["task_instances"]
        if t.get("start_date") and t.get("end_date")
    )
    tasks = Counter(t["task_id"] for *_, t in writers)
    assert set(tasks) == {"publish", "alert"}  # the writer tasks: publish, and the nightly DAG's alert (meta.alerts)
    assert tasks["publish"] == len(runs) + 1  # the nightly DAG's runs and the history run
    assert 1 <= tasks["alert"] <= len(runs)  # the history DAG has no alert step
    for (_, end, a), (start, _, b) in zip(writers, writers[1:], strict=False):
        assert start >= end, f"{a['task_id']} of {a['dag_run_id']} overlapped {b['task_id']} of {b['dag_run_id']}"
    worker_logs = {n: d.log(f"worker{n}") for n in range(1, WORKERS + 1)}
    ran_on = {
        n: {t["id"] for *_, t in writers if re.search(re.escape(t["id"]), text)} for n, text in worker_logs.items()
    }
    assert set().union(*ran_on.values()) == {t["id"] for *_, t in writers}  # every writer is in a worker's log
    assert all(ran_on.values()), f"a worker ran no writer: { {n: len(ids) for n, ids in ran_on.items()} }"

    d.times["runs done"] = time.monotonic()
    left = d.stop()
    d.times["stopped"] = time.monotonic()
    steps = list(d.times.items())
    print(" | ".join(f"{b[0]}: +{b[1] - a[1]:.0f} s" for a, b in zip(steps, steps[1:], strict=False)))
    assert left == [], f"processes left after SIGTERM and SIGKILL of every process group: {left}"
    assert marked_pids(d.marker) == []

    con = duckdb.connect(d.env["SOCIALMETRICS_WAREHOUSE"], read_only=True)
    try:
        rows = con.execute(
            "SELECT network, account_id, day, impressions, reach, followers FROM marts.reach_daily "
            "WHERE day BETWEEN ? AND ? ORDER BY ALL",
            [days[0], days[-1]],
        ).fetchall()
    finally:
        con.close()
    keys = [r[:3] for r in rows]
    assert len(keys) == len(set(keys))  # one row per network, account and day
    assert {r[:3]: r[3:] for r in rows} == expected_reach(days)
    # The history load re-read the backfilled days: they are exactly as the daily backfill left them.
    assert slice_fingerprint(d, days) == before_history
    year = [first_day + dt.timedelta(days=i) for i in range(HISTORY_DAYS)]
    con = duckdb.connect(d.env["SOCIALMETRICS_WAREHOUSE"], read_only=True)
    try:
        per_day = con.execute(
            "SELECT network, account_id, count(*), count(DISTINCT day) FROM marts.reach_daily "
            "WHERE day BETWEEN ? AND ? AND network IN ('facebook', 'linkedin') GROUP BY ALL ORDER BY ALL",
            [year[0], year[-1]],
        ).fetchall()
        served = con.execute(
            "SELECT network, account_id, day, impressions, reach, followers FROM marts.reach_daily "
            "WHERE day = ANY(?) AND network IN ('facebook', 'linkedin') ORDER BY ALL",
            [[year[0], year[100], year[-1]]],
        ).fetchall()
    finally:
        con.close()
    assert per_day == [  # exactly one row per account and day of the year
        ("facebook", company.FACEBOOK_PAGE_ID, HISTORY_DAYS, HISTORY_DAYS),
        ("linkedin", company.LINKEDIN_ORG_ID, HISTORY_DAYS, HISTORY_DAYS),
    ]
    want = expected_reach([year[0], year[100], year[-1]])  # impressions and reach as served (LinkedIn's
    # follower total of yesterday is the manual run's snapshot, which no history load can take)
    assert {r[:3]: r[3:5] for r in served} == {k: v[:2] for k, v in want.items() if k[0] != "xing"}
