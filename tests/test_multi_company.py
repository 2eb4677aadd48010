"""Several companies: one DAG per config in $SOCIALMETRICS_CONFIG_DIR, each with its own files and pool.

Each DagBag is built in a fresh interpreter: the DAG file reads the environment when it is parsed,
and a DagBag in this process would share Airflow's module state with test_dag.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pytest
import yaml

from connectors.errors import PermanentError
from socialmetrics import settings
from socialmetrics.run import airflow_setup, cli
from socialmetrics.run.history import AirflowApi, ApiLogin
from socialmetrics.serve import overview
from socialmetrics.serve.readers import readers_path

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).parent / "airflow")
TASK_IDS = {
    "social_metrics": ["alert", "extract", "finish", "plan", "publish", "report"],
    "social_metrics_history": ["extract", "finish", "plan", "publish"],
}
pytestmark = pytest.mark.airflow

# Prints, per DAG: its task ids, the pools of its tasks, and what its `plan` task really resolves
# when called (the paths it gets from the DAG's _settings, and that it leaves the process's environment as it was).
DAGBAG_PROBE = """
import datetime as dt, json, os, sys, types
from airflow.dag_processing.dagbag import DagBag
from socialmetrics import settings
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
# `plan` reads its run from the task context: give it a manual run of now, and the history form's defaults
now = dt.datetime.now(dt.timezone.utc)
run = types.SimpleNamespace(run_id="probe", run_after=now, run_type="manual")
ti = types.SimpleNamespace(xcom_push=lambda key, value: None)
context = {"dag_run": run, "logical_date": now, "params": {"from": None, "to": None, "x_read_budget": 1000}, "ti": ti}
resolved = []
for module in list(sys.modules.values()):
    if getattr(module, "__file__", None) and module.__file__.endswith("social_metrics.py"):
        module.get_current_context = lambda: context
        module._settings = lambda env=None, _own=module._settings: resolved.append(_own(env)) or resolved[-1]
for dag_id, dag in bag.dags.items():
    saved = dict(os.environ)
    accounts = dag.get_task("plan").python_callable()
    assert dict(os.environ) == saved, "plan changed the process's environment"
    p = resolved[-1]
    paths = {"config": str(p.config), "warehouse": str(p.warehouse), "landing": str(p.landing),
             "quality_docs": str(p.quality_docs), "reports": str(p.reports)}
    os.environ.clear()
    os.environ.update(saved)
    out["dags"][dag_id] = {
        "tasks": sorted(dag.task_ids),
        "pools": {t: dag.get_task(t).pool for t in ("plan", "extract", "publish")},
        "paths": paths,
        "accounts": [(a["network"], a["id"], a["options"].get("import_dir")) for a in accounts],
    }
print(json.dumps(out))
"""


def dagbag(tmp_path: Path, **env: str) -> dict:
    """The DagBag of dags/ parsed with only `env` as socialmetrics settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    clean |= {"AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"} | env
    out = subprocess.run(
        [sys.executable, "-c", DAGBAG_PROBE, str(REPO / "dags")],
        env=clean,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def text_of_repo_config() -> str:
    """The sandbox company's config as shipped."""
    return (REPO / "config" / "socialmetrics.yml").read_text(encoding="utf-8")


@pytest.fixture
def company_dir(tmp_path: Path) -> Path:
    """Two company configs (the sandbox company's file under two names) and a file that is not a config."""
    folder = tmp_path / "companies"
    folder.mkdir()
    text = text_of_repo_config()
    (folder / "sonnenhang.yml").write_text(text, encoding="utf-8")
    (folder / "Acme GmbH.yml").write_text(text.replace("Brauerei Sonnenhang GmbH", "Acme GmbH"), encoding="utf-8")
    (folder / "README.txt").write_text("not a config\n", encoding="utf-8")
    return folder


def test_a_config_folder_gives_one_dag_per_company_with_its_own_warehouse_and_pool(
    company_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    bag = dagbag(tmp_path, SOCIALMETRICS_CONFIG_DIR=str(company_dir), SOCIALMETRICS_DATA_DIR=str(data))
    assert bag["errors"] == {}
    assert sorted(bag["dags"]) == [
        "social_metrics__acme-gmbh",
        "social_metrics__sonnenhang",
        "social_metrics_history__acme-gmbh",
        "social_metrics_history__sonnenhang",
    ]
    for (slug, config), kind in itertools.product(
        (("acme-gmbh", "Acme GmbH.yml"), ("sonnenhang", "sonnenhang.yml")), ("social_metrics", "social_metrics_history")
    ):
        dag = bag["dags"][f"{kind}__{slug}"]
        assert dag["tasks"] == TASK_IDS[kind]
        # the history DAG of a company writes through the same one-slot pool as its nightly DAG
        assert dag["pools"] == {"plan": "default_pool", "extract": "default_pool", "publish": f"duckdb__{slug}"}
        assert dag["paths"] == {
            "config": str(company_dir / config),
            "warehouse": str(data / slug / "warehouse.duckdb"),
            "landing": str(data / slug / "landing"),
            "quality_docs": str(data / slug / "quality_docs"),
            "reports": str(data / slug / "reports"),
        }
        configured = yaml.safe_load(text_of_repo_config())["accounts"]
        assert [a[:2] for a in dag["accounts"]] == [[a["network"], str(a["id"])] for a in configured]
        xing = next(a for a in dag["accounts"] if a[0] == "xing")
        assert xing[2] == str(company_dir / "xing-import")  # import_dir is relative to the company's config


def test_a_landing_root_is_shared_by_companies_in_one_subfolder_each(company_dir: Path, tmp_path: Path) -> None:
    """Given SOCIALMETRICS_LANDING (the compose file's landing volume), each company lands in <root>/<slug>."""
    bag = dagbag(
        tmp_path,
        SOCIALMETRICS_CONFIG_DIR=str(company_dir),
        SOCIALMETRICS_DATA_DIR=str(tmp_path / "data"),
        SOCIALMETRICS_LANDING=str(tmp_path / "landing"),
        SOCIALMETRICS_REPORTS=str(tmp_path / "reports"),
    )
    paths = bag["dags"]["social_metrics__sonnenhang"]["paths"]
    assert paths["landing"] == str(tmp_path / "landing" / "sonnenhang")
    assert paths["reports"] == str(tmp_path / "reports" / "sonnenhang")
    assert paths["warehouse"] == str(tmp_path / "data" / "sonnenhang" / "warehouse.duckdb")


def test_without_a_config_folder_there_is_only_social_metrics_as_before(tmp_path: Path) -> None:
    config, warehouse = REPO / "config" / "socialmetrics.yml", tmp_path / "wh" / "warehouse.duckdb"
    for config_dir in (None, ""):  # the compose file passes an empty value when no folder is configured
        env = {"SOCIALMETRICS_CONFIG": str(config), "SOCIALMETRICS_WAREHOUSE": str(warehouse)}
        if config_dir is not None:
            env["SOCIALMETRICS_CONFIG_DIR"] = config_dir
        bag = dagbag(tmp_path, **env)
        assert bag["errors"] == {}
        assert sorted(bag["dags"]) == ["social_metrics", "social_metrics_history"]
        dag = bag["dags"]["social_metrics"]
        assert dag["tasks"] == TASK_IDS["social_metrics"]
        assert dag["pools"]["publish"] == "duckdb"
        assert bag["dags"]["social_metrics_history"]["pools"]["publish"] == "duckdb"
        assert dag["paths"]["config"] == str(config)
        assert dag["paths"]["warehouse"] == str(warehouse)
        assert dag["paths"]["landing"] == str(warehouse.parent / "landing")


def test_an_empty_config_folder_is_an_import_error_that_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    bag = dagbag(tmp_path, SOCIALMETRICS_CONFIG_DIR=str(tmp_path / "empty"))
    assert bag["dags"] == {}
    assert any("holds no *.yml company config" in e for e in bag["errors"].values())


def test_two_files_with_the_same_slug_are_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "companies"
    folder.mkdir()
    (folder / "acme.yml").write_text("company: A\n")
    (folder / "ACME.yml").write_text("company: B\n")
    monkeypatch.setenv("SOCIALMETRICS_CONFIG_DIR", str(folder))
    with pytest.raises(ValueError, match=r"ACME.yml and acme.yml .* both give the company slug 'acme'"):
        settings.companies()


def test_init_creates_the_duckdb_pool_and_one_pool_per_company(company_dir: Path, monkeypatch) -> None:
    """What docker-compose's airflow-init imports: every pool the DAG file can use, 1 slot each."""
    monkeypatch.delenv("SOCIALMETRICS_CONFIG_DIR", raising=False)
    assert list(settings.duckdb_pools()) == ["duckdb"]
    monkeypatch.setenv("SOCIALMETRICS_CONFIG_DIR", str(company_dir))
    assert list(settings.duckdb_pools()) == ["duckdb", "duckdb__acme-gmbh", "duckdb__sonnenhang"]


# --- an agency: every company's writer pool, runs of DAGs that are gone, all companies at a glance ---

TODAY = dt.date(2026, 12, 9)  # a Wednesday: the last complete week is 2026-W49 (Monday 2026-11-30)
WEEK = dt.date(2026, 11, 30)


def readers_copy(warehouse: Path, last_day: dt.date, published: dt.datetime, headline: dict[str, tuple]) -> None:
    """A company's readers' copy with the tables `summary --all` reads (what `publish` leaves there)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(readers_path(warehouse)))
    try:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA meta")
        con.execute("CREATE TABLE marts.reach_daily (network VARCHAR, account_id VARCHAR, day DATE, reach BIGINT)")
        rows = "('facebook', '1', $d - 1, 5), ('x', '2', $d, 7)"
        con.execute(f"INSERT INTO marts.reach_daily VALUES {rows}", {"d": last_day})
        con.execute("CREATE TABLE meta.published AS SELECT CAST($at AS TIMESTAMPTZ) AS published_at, 'r' AS run_id",
                    {"at": published})  # fmt: skip
        con.execute(
            "CREATE TABLE marts.weekly_headline (week_start DATE, figure VARCHAR, value DOUBLE, "
            "previous_change DOUBLE, previous_status VARCHAR)"
        )
        for figure, (value, change, status) in headline.items():
            for week in (WEEK - dt.timedelta(days=7), WEEK):  # the week before is not what is shown
                shown = value if week == WEEK else 1.0
                con.execute("INSERT INTO marts.weekly_headline VALUES ($w, $f, $v, $c, $s)",
                            {"w": week, "f": figure, "v": shown, "c": change, "s": status})  # fmt: skip
    finally:
        con.close()


class FakeApi:
    """Airflow's REST API as `summary --all` and `plan` use it: dag runs, pools; every call recorded."""

    def __init__(self, failed: dict[str, list[dict]], pools: set[str] | None = None, refuse: str = "") -> None:
        self.failed, self.pools, self.refuse, self.calls = failed, pools or set(), refuse, []
        self.busy = 0

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        from socialmetrics.run.history import HistoryError

        self.calls.append((method, path, kwargs.get("params") or kwargs.get("json")))
        if path.endswith("/dagRuns"):
            dag_id = path.split("/")[4]
            if dag_id not in self.failed:
                raise HistoryError(f"Airflow answered 404 to {method} {path}: The Dag `{dag_id}` was not found")
            return {"dag_runs": self.failed[dag_id], "total_entries": len(self.failed[dag_id])}
        if path.startswith("/api/v2/pools/") and method == "GET":
            if path.rsplit("/", 1)[1] not in self.pools:
                raise HistoryError(f"Airflow answered 404 to GET {path}: The Pool with name: `x` was not found")
            return {"name": path.rsplit("/", 1)[1], "slots": 1}
        if path == "/api/v2/pools" and method == "POST":
            if self.busy:  # Airflow on SQLite while another process writes
                self.busy -= 1
                raise HistoryError(f"Airflow answered 500 to POST {path}: {{'reason': 'Database error'}}")
            if self.refuse:
                raise HistoryError(f"Airflow answered 403 to POST {path}: {self.refuse}")
            self.pools.add(kwargs["json"]["name"])
            return kwargs["json"]
        raise AssertionError(f"unexpected call {method} {path}")


@pytest.fixture
def agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three companies: alpha publishes every night, beta's token expired on 2026-11-29, gamma never published."""
    folder, data = tmp_path / "companies", tmp_path / "data"
    folder.mkdir()
    for slug in ("alpha", "beta", "gamma"):
        (folder / f"{slug}.yml").write_text(text_of_repo_config(), encoding="utf-8")
    monkeypatch.setenv("SOCIALMETRICS_CONFIG_DIR", str(folder))
    monkeypatch.setenv("SOCIALMETRICS_DATA_DIR", str(data))
    readers_copy(
        data / "alpha" / "warehouse.duckdb",
        dt.date(2026, 12, 8),
        dt.datetime(2026, 12, 9, 2, 14, tzinfo=dt.UTC),
        {
            "reach": (12345.0, 0.04, "ok"),
            "engagement_rate": (0.0312, -0.002, "ok"),
            "follower_gain": (38.0, 5.0, "ok"),
            "comments": (17.0, None, "previous_partial"),
        },
    )
    readers_copy(
        data / "beta" / "warehouse.duckdb",
        dt.date(2026, 11, 28),
        dt.datetime(2026, 11, 29, 2, 9, tzinfo=dt.UTC),
        {"reach": (900.0, None, "no_previous"), "engagement_rate": (None, None, "no_value")},
    )
    return data


def test_summary_all_shows_each_company_and_names_the_one_whose_runs_fail(agency: Path) -> None:
    """Given three companies, beta failing every night since its token expired and gamma never published,
    when an agency runs `socialmetrics summary --all`, then one line per company shows its last day, last
    publish, failed runs (from Airflow's API) and last week's headline figures, and beta and gamma are named."""
    failed = {
        "social_metrics__alpha": [],
        "social_metrics_history__alpha": [],
        "social_metrics__beta": [
            {"dag_run_id": f"scheduled__2026-12-0{d}T02:00:00+00:00", "run_after": f"2026-12-0{d}T02:00:00Z"}
            for d in (8, 7, 6)
        ],
        "social_metrics_history__beta": [],
        "social_metrics__gamma": [],  # gamma's history DAG is not registered: a 404, not an error
    }
    api = FakeApi(failed)
    found, note = overview.statuses(TODAY, api, now=dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC))
    assert note == ""
    dash = "–"
    assert overview.render(found) == "\n".join(
        [
            "company              last day   published (UTC)  failed 7d  reach 2026-W49         eng. rate          "
            "followers comments",
            "alpha                2026-12-08 2026-12-09 02:14         0  12,345 (+4%)           "
            "3.12% (-0.2 pt)          +38 17",
            f"beta                 2026-11-28 2026-11-29 02:09         3  900                    "
            f"{dash:<18} {dash:>9} {dash}",
            f"gamma                {dash:<10} {dash:<16}         0  {dash:<22} {dash:<18} {dash:>9} {dash}",
            "",
            "Needs attention:",
            "  beta: its last day is 2026-11-28, 11 days ago; 3 failed run(s) in 7 days, the last: "
            "social_metrics__beta scheduled__2026-12-08T02:00:00+00:00",
            f"  gamma: nothing published yet (no {agency / 'gamma' / 'warehouse.marts.duckdb'})",
        ]
    )
    since = {c[2]["run_after_gte"] for c in api.calls}
    assert since == {"2026-12-02T09:00:00+00:00"}  # the last 7 days
    assert [c[1] for c in api.calls][:2] == [
        "/api/v2/dags/social_metrics__alpha/dagRuns",
        "/api/v2/dags/social_metrics_history__alpha/dagRuns",
    ]


def test_summary_all_without_a_running_airflow_still_shows_the_warehouse_side(agency: Path, capsys) -> None:
    """Given no Airflow answering, `summary --all` prints the table with '?' as failed runs and says why,
    and exits 1 because beta and gamma need attention."""
    env_home = agency.parent / "no-airflow"
    env_home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(env_home))  # no password file: Airflow was never started here
        mp.delenv("SOCIALMETRICS_AIRFLOW_PASSWORD", raising=False)
        mp.delenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", raising=False)
        code = cli.main(["summary", "--all"])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("alpha                2026-12-08 2026-12-09 02:14         ?  12,345 (+4%)")
    assert lines[-1] == (
        "Failed runs unknown (?): no Airflow login found in "
        f"{env_home / 'simple_auth_manager_passwords.json.generated'} (FileNotFoundError; Airflow home: set by "
        "AIRFLOW_HOME); start Airflow with `make airflow` (it writes that file), point AIRFLOW_HOME at the home of "
        "the Airflow you run, or set SOCIALMETRICS_AIRFLOW_PASSWORD"
    )


def test_plan_creates_a_missing_writer_pool_through_the_api() -> None:
    """Given a company config added while Airflow runs (its pool missing), `plan` creates the pool."""
    api = FakeApi({}, pools={"duckdb"})
    said: list[str] = []
    assert airflow_setup.ensure_pool("duckdb__delta", api, log=said.append) == said[0]
    assert said == ["created the missing writer pool duckdb__delta (1 slot): a company config added while Airflow runs"]
    assert api.calls[-1][0:2] == ("POST", "/api/v2/pools")
    assert api.calls[-1][2]["slots"] == 1 and api.calls[-1][2]["include_deferred"] is False
    assert airflow_setup.ensure_pool("duckdb__delta", api, log=said.append) == "the writer pool duckdb__delta exists"


def test_plan_repeats_the_pool_creation_while_airflow_answers_500(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given Airflow on SQLite answering 500 while another process writes, `plan` tries again (4 attempts);
    a 500 that persists fails `plan` so that Airflow retries it (not a PermanentError)."""
    monkeypatch.setattr(airflow_setup, "API_RETRY_S", 0.0)
    api = FakeApi({}, pools={"duckdb"})
    api.busy = 3
    assert airflow_setup.ensure_pool("duckdb__delta", api, log=lambda _: None).startswith("created the missing")
    assert [c[0] for c in api.calls] == ["GET", "POST", "POST", "POST", "POST"]
    api = FakeApi({}, pools={"duckdb"})
    api.busy = 4
    with pytest.raises(RuntimeError) as caught:
        airflow_setup.ensure_pool("duckdb__delta", api, log=lambda _: None)
    assert not isinstance(caught.value, PermanentError)
    assert str(caught.value).startswith("the writer pool duckdb__delta does not exist: restart `make airflow` or run")


def test_plan_fails_with_one_line_when_the_pool_is_missing_and_cannot_be_created() -> None:
    api = FakeApi({}, pools={"duckdb"}, refuse="Forbidden")
    with pytest.raises(airflow_setup.PoolMissingError) as caught:
        airflow_setup.ensure_pool("duckdb__delta", api)
    assert str(caught.value) == (
        "the writer pool duckdb__delta does not exist: restart `make airflow` or run "
        "`airflow pools set duckdb__delta 1 'DuckDB has one writer process'` "
        "(Airflow answered 403 to POST /api/v2/pools: Forbidden)"
    )
    assert isinstance(caught.value, PermanentError)  # the DAG's plan fails at once, no retry


MARKER = "SOCIALMETRICS_TEST_AGENCY"
UP_TIMEOUT_S = 420


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def marked_pids(marker: str) -> list[int]:
    """Every process whose environment carries this test's marker (standalone.py, Airflow's components)."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def airflow_cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=300, cwd=env["AIRFLOW_HOME"]
    )
    assert out.returncode == 0, f"airflow {' '.join(args)}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    return out.stdout


def plans_finished(api: AirflowApi, dag_id: str) -> bool:
    """The DAG has a run, and the `plan` of each of its runs has finished."""
    runs = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns")["dag_runs"]
    return bool(runs) and all(
        api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quote(r['dag_run_id'], safe='')}/taskInstances/plan")["state"]
        in ("success", "failed")
        for r in runs
    )


def test_make_airflow_with_a_folder_of_companies_creates_their_pools_and_ends_the_old_runs(
    airflow_home: Path, tmp_path: Path
) -> None:
    """Given an Airflow home that ran one company (a queued `social_metrics` run, the pool of a company that
    is gone), when `make airflow` (socialmetrics.run.standalone) starts it with a folder of three companies,
    then every company's pool exists before the DAGs are unpaused, the old pool is deleted, the old run is
    failed with a note; and a pool deleted while Airflow runs is created again by the next run's `plan`."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(airflow_home / "airflow.db", home / "airflow.db")  # migrated once per session (conftest)
    marker, port = uuid.uuid4().hex, free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
        "SOCIALMETRICS_CONFIG": str(REPO / "config" / "socialmetrics.yml"),
        "SOCIALMETRICS_WAREHOUSE": str(tmp_path / "one" / "warehouse.duckdb"),
        "SOCIALMETRICS_AUTHOR_KEY": "test-author-key-0123456789abcdef",
        MARKER: marker,
    }
    # one company, as before the switch: its DAG registered, a run queued, and a pool of a former company
    pools_file = tmp_path / "pools.json"  # what `make airflow-db` made for one company, and a company that left
    pools_file.write_text(json.dumps({name: {"slots": 1, "description": name, "include_deferred": False}
                                      for name in ("duckdb", "duckdb__gone")}))  # fmt: skip
    airflow_cli(env, "pools", "import", str(pools_file))
    airflow_cli(env, "dags", "reserialize")
    airflow_cli(env, "dags", "trigger", "social_metrics")
    folder = tmp_path / "companies"
    folder.mkdir()
    for slug in ("firma-1", "firma-2", "firma-3"):
        (folder / f"{slug}.yml").write_text(text_of_repo_config(), encoding="utf-8")
    env |= {"SOCIALMETRICS_CONFIG_DIR": str(folder), "SOCIALMETRICS_DATA_DIR": str(tmp_path / "data")}
    out_path = tmp_path / "make-airflow.out"
    with out_path.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "socialmetrics.run.standalone"], env=env, cwd=tmp_path,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + UP_TIMEOUT_S
        while "Airflow UI:" not in out_path.read_text(errors="replace"):
            assert proc.poll() is None, out_path.read_text(errors="replace")
            assert time.monotonic() < deadline, out_path.read_text(errors="replace")
            time.sleep(2)
        printed = out_path.read_text(errors="replace").splitlines()
        setup = f"SOCIALMETRICS_CONFIG_DIR={folder}"
        summary = f"Writer pools: duckdb, duckdb__firma-1, duckdb__firma-2, duckdb__firma-3 (1 slot each); home {home}."
        assert printed[: printed.index(summary)] == [
            next(p for p in printed if p.startswith("No credentials set: the DAG reads the built-in sandbox APIs")),
            "created the writer pool duckdb__firma-1 (1 slot)",
            "created the writer pool duckdb__firma-2 (1 slot)",
            "created the writer pool duckdb__firma-3 (1 slot)",
            f"deleted the pool duckdb__gone: its company's config is gone ({setup})",
            next(p for p in printed if p.startswith("ended the run manual__")),
        ]
        ended = next(p for p in printed if p.startswith("ended the run manual__"))
        assert ended.endswith(f" of social_metrics (failed, 6 unfinished task(s)): that DAG no longer exists ({setup})")
        run_id = ended.split()[3]
        unpaused = next(p for p in printed if p.startswith("Unpaused "))
        assert "social_metrics__firma-3" in unpaused and "social_metrics, " not in unpaused

        api = AirflowApi(ApiLogin.from_env(env))
        pools = {p["name"]: p["slots"] for p in api.call("GET", "/api/v2/pools")["pools"]}
        assert pools == {"default_pool": 128, "duckdb": 1, "duckdb__firma-1": 1, "duckdb__firma-2": 1,
                         "duckdb__firma-3": 1}  # fmt: skip
        assert api.call("GET", "/api/v2/dags/social_metrics")["is_paused"] is True  # it would schedule runs again
        run = api.call("GET", f"/api/v2/dags/social_metrics/dagRuns/{quote(run_id, safe='')}")
        assert run["state"] == "failed"
        assert run["note"] == (
            f"Ended by socialmetrics at Airflow's start: the DAG social_metrics no longer exists in this setup "
            f"({setup}), so this run could never finish. Load its days again in the DAG of its company "
            f"(social_metrics__firma-1, social_metrics__firma-2, social_metrics__firma-3)."
        )

        # a pool that disappears while Airflow runs (a config added after the start has none): `plan` creates it.
        # First the plan of the run the scheduler made when the DAG was unpaused (it checks the pool too).
        dag_id = "social_metrics__firma-3"
        deadline = time.monotonic() + UP_TIMEOUT_S
        while not plans_finished(api, dag_id):
            assert time.monotonic() < deadline, api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns")
            time.sleep(2)
        airflow_setup._call(api, "DELETE", "/api/v2/pools/duckdb__firma-3")  # repeated on SQLite's 500s
        new = airflow_setup._call(api, "POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})[
            "dag_run_id"
        ]
        plan_url = f"/api/v2/dags/{dag_id}/dagRuns/{quote(new, safe='')}/taskInstances/plan"
        deadline = time.monotonic() + UP_TIMEOUT_S
        while (plan := api.call("GET", plan_url))["state"] not in ("success", "failed"):
            assert time.monotonic() < deadline, plan
            time.sleep(2)
        log = api.log_tail(dag_id, new, plan, chars=1_000_000)  # the whole log: plan's result comes after
        assert plan["state"] == "success", log[-3000:]
        assert "created the missing writer pool duckdb__firma-3 (1 slot)" in log
        assert api.call("GET", "/api/v2/pools/duckdb__firma-3")["slots"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)  # standalone.py stops Airflow's process group, then exits
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
        time.sleep(1)
        for pid in marked_pids(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
