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
    assert sorted(dagbag.dag_ids) == ["social_metrics", "social_metrics_history"]


@pytest.mark.parametrize("dag_id", ["social_metrics", "social_metrics_history"])
def test_expected_tasks_and_wiring(dagbag, dag_id) -> None:
    """Three tasks a run (plan, one extract per account, one writer): every task process costs seconds."""
    dag = dagbag.dags[dag_id]
    assert set(dag.task_ids) == {"plan", "extract", "publish"}
    assert dag.get_task("extract").upstream_task_ids == {"plan"}
    assert dag.get_task("publish").upstream_task_ids == {"extract"}
    assert dag.get_task("publish").trigger_rule == "all_done"  # accounts that landed are published
    assert {t.task_id for t in dag.leaves} == {"publish"}


@pytest.mark.parametrize("dag_id", ["social_metrics", "social_metrics_history"])
def test_only_the_writer_is_in_the_duckdb_pool(dagbag, dag_id) -> None:
    """Nightly and history runs share the one-slot pool, so their writers never overlap."""
    dag = dagbag.dags[dag_id]
    assert dag.get_task("publish").pool == "duckdb"
    assert dag.get_task("extract").pool != "duckdb"
    assert dag.get_task("plan").pool != "duckdb"


def test_history_dag_has_a_trigger_form_and_no_schedule(dagbag) -> None:
    dag = dagbag.dags["social_metrics_history"]
    assert type(dag.timetable).__name__ == "NullTimetable"  # started from its Trigger form only
    assert dag.max_active_runs == 1
    schema = {name: dag.params.get_param(name).schema for name in ("from", "to", "x_read_budget")}
    assert schema["from"]["format"] == "date" and schema["to"]["format"] == "date"
    assert schema["x_read_budget"]["minimum"] == 1


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
