"""Several companies: one DAG per config in $SOCIALMETRICS_CONFIG_DIR, each with its own files and pool.

Each DagBag is built in a fresh interpreter: the DAG file reads the environment when it is parsed,
and a DagBag in this process would share Airflow's module state with test_dag.py.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from socialmetrics import settings

REPO = Path(__file__).resolve().parent.parent
TASK_IDS = ["extract", "plan", "publish"]
pytestmark = pytest.mark.airflow

# Prints, per DAG: its task ids, the pools of its tasks, and what its `plan` task really resolves
# when called (the config it reads, and the settings it leaves in the task process's environment).
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
for module in list(sys.modules.values()):
    if getattr(module, "__file__", None) and module.__file__.endswith("social_metrics.py"):
        module.get_current_context = lambda: context
for dag_id, dag in bag.dags.items():
    saved = dict(os.environ)
    accounts = dag.get_task("plan").python_callable()
    paths = {"config": str(settings.config_path()), "warehouse": str(settings.warehouse_path()),
             "landing": str(settings.landing_root()), "quality_docs": str(settings.quality_docs_dir()),
             "reports": str(settings.reports_dir())}
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
        assert dag["tasks"] == TASK_IDS
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
        assert dag["tasks"] == TASK_IDS
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
