"""DAG integrity: it imports cleanly, fast, with the expected tasks, schedule and pools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert list(dagbag.dag_ids) == ["social_metrics"]


def test_expected_tasks_and_wiring(dagbag) -> None:
    dag = dagbag.dags["social_metrics"]
    assert set(dag.task_ids) == {"plan", "window", "extract", "load", "check", "transform", "report", "finish"}
    assert dag.get_task("load").upstream_task_ids == {"extract"}
    assert dag.get_task("transform").upstream_task_ids == {"load", "check"}
    assert {t.task_id for t in dag.leaves} == {"report", "finish"}
    assert dag.get_task("report").upstream_task_ids == {"transform", "window"}
    assert dag.get_task("report").pool == "duckdb"


def test_every_warehouse_task_is_in_the_duckdb_pool(dagbag) -> None:
    dag = dagbag.dags["social_metrics"]
    for task_id in ("load", "check", "transform"):
        assert dag.get_task(task_id).pool == "duckdb"
    assert dag.get_task("extract").pool != "duckdb"


def test_nightly_at_three_berlin(dagbag) -> None:
    timetable = dagbag.dags["social_metrics"].timetable
    assert type(timetable).__name__ == "CronDataIntervalTimetable"  # logical date = start of the day covered
    assert timetable.expression == "0 3 * * *"
    assert str(getattr(timetable.timezone, "name", timetable.timezone)) == "Europe/Berlin"


def test_the_dag_file_parses_in_under_a_second() -> None:
    """Import Airflow first (its cost is not the DAG's), then time the DAG file alone."""
    code = (
        "import time, runpy, airflow.sdk\n"
        "t = time.perf_counter()\n"
        f"runpy.run_path({str(REPO / 'dags' / 'social_metrics.py')!r})\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout.strip().splitlines()[-1]) < 1.0


def test_ruff_airflow_rules_are_clean() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "AIR", str(REPO / "dags")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout
