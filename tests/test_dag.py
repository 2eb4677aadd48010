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


def test_nightly_tasks_and_wiring(dagbag) -> None:
    """plan, one extract per account, the one writer, the report after it, the verdict last: the grid shows
    what Monday's run does, a report retry never loads again, and a failed report never hides the verdict."""
    dag = dagbag.dags["social_metrics"]
    assert set(dag.task_ids) == {"plan", "extract", "publish", "report", "alert", "finish"}
    assert dag.get_task("extract").upstream_task_ids == {"plan"}
    assert dag.get_task("publish").upstream_task_ids == {"extract"}
    assert dag.get_task("publish").trigger_rule == "all_done"  # accounts that landed are published
    assert dag.get_task("report").upstream_task_ids == {"publish"}
    assert dag.get_task("report").trigger_rule == "all_success"  # only after publish succeeded
    assert dag.get_task("report").retries == 2  # noqa: PLR2004 - its own retries (the mail server may be back)
    assert dag.get_task("finish").upstream_task_ids == {"publish", "report", "alert"}
    assert dag.get_task("finish").trigger_rule == "all_done"  # runs when report failed or skipped
    assert {t.task_id for t in dag.leaves} == {"finish"}
    # alerts: after publish, a writer (meta.alerts), a sensor that frees its slot while quiet hours hold messages
    alert = dag.get_task("alert")
    assert alert.upstream_task_ids == {"publish"} and alert.trigger_rule == "all_success"
    assert alert.mode == "reschedule" and alert.retries == 2  # noqa: PLR2004


def test_history_tasks_and_wiring(dagbag) -> None:
    """A history load writes no report: plan, extract, publish, then the verdict."""
    dag = dagbag.dags["social_metrics_history"]
    assert set(dag.task_ids) == {"plan", "extract", "publish", "finish"}
    assert dag.get_task("extract").upstream_task_ids == {"plan"}
    assert dag.get_task("publish").upstream_task_ids == {"extract"}
    assert dag.get_task("publish").trigger_rule == "all_done"
    assert dag.get_task("finish").upstream_task_ids == {"publish"}
    assert dag.get_task("finish").trigger_rule == "all_done"
    assert {t.task_id for t in dag.leaves} == {"finish"}


@pytest.mark.parametrize(
    ("dag_id", "writers"), [("social_metrics", {"publish", "alert"}), ("social_metrics_history", {"publish"})]
)
def test_only_the_writers_are_in_the_duckdb_pool(dagbag, dag_id, writers) -> None:
    """Nightly and history runs share the one-slot pool, so their writers (publish; alert, which records
    meta.alerts) never overlap."""
    dag = dagbag.dags[dag_id]
    assert {t.task_id for t in dag.tasks if t.pool == "duckdb"} == writers  # report reads the readers' copy


def test_history_dag_has_a_trigger_form_and_no_schedule(dagbag) -> None:
    dag = dagbag.dags["social_metrics_history"]
    assert type(dag.timetable).__name__ == "NullTimetable"  # started from its Trigger form only
    assert dag.max_active_runs == 1
    schema = {name: dag.params.get_param(name).schema for name in ("from", "to", "x_read_budget")}
    assert schema["from"]["format"] == "date" and schema["to"]["format"] == "date"
    assert schema["x_read_budget"] == {"type": "integer", "minimum": 1, "title": "X read budget for this load"}


def test_the_history_form_refuses_what_its_schema_can_tell_before_a_run_starts(dagbag) -> None:
    """Airflow validates the form's fields against their JSON schema in the UI and in the REST API (POST
    .../dagRuns answers 400 "Invalid input for param ..."; tests/test_airflow_e2e.py sees that against a running
    Airflow): the same check, on a copy of the DAG's params as the API makes it."""
    import copy

    from airflow.sdk.definitions.param import ParamValidationError

    def trigger(conf: dict) -> dict:
        params = copy.deepcopy(dagbag.dags["social_metrics_history"].params)
        params.update(conf)  # each field is checked against its schema as it is set
        return params.validate()

    for conf, problem in [
        ({"from": "2026-13-01"}, "Invalid input for param from: '2026-13-01' is not a 'date'"),
        ({"to": "01.11.2026"}, "Invalid input for param to: '01.11.2026' is not a 'date'"),
        ({"x_read_budget": 0}, "Invalid input for param x_read_budget: 0 is less than the minimum of 1"),
        ({"x_read_budget": None}, "Invalid input for param x_read_budget: None is not of type 'integer'"),
    ]:
        with pytest.raises(ParamValidationError) as refused:
            trigger(conf)
        assert str(refused.value).splitlines()[0] == problem
    assert trigger({}) == {"from": None, "to": None, "x_read_budget": 1000}  # the empty form: a year, 1000 reads


def _dag_module(dagbag):
    """The module the DagBag loaded dags/social_metrics.py as (its helpers and the tasks' globals)."""
    return next(
        m for m in list(sys.modules.values()) if (getattr(m, "__file__", None) or "").endswith("social_metrics.py")
    )


class FakeTaskInstance:
    """The XComs a task pushes and pulls (Airflow's RuntimeTaskInstance has the same two calls)."""

    def __init__(self, xcoms: dict[tuple[str, str], object] | None = None) -> None:
        self.xcoms = dict(xcoms or {})
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> object:
        return self.xcoms.get((task_ids, key))


def test_a_permanent_error_is_one_error_line_first_and_fails_the_task_without_retries(
    dagbag, monkeypatch, caplog
) -> None:
    """Given a task function that raises a PermanentError with a two-line message, when it runs, then the
    first thing it logs is that message as one ERROR line, its XCom `error` holds the same line, and it raises
    AirflowFailException (Airflow's task runner fails such a task at once, without its retries); any other
    error goes to Airflow unchanged (and is retried)."""
    from airflow.sdk.exceptions import AirflowFailException

    from connectors.errors import AuthError

    module = _dag_module(dagbag)
    ti = FakeTaskInstance()
    monkeypatch.setattr(module, "_current_ti", lambda: ti)

    @module.fail_fast
    def expired() -> None:
        raise AuthError("facebook_default: the token expired (code 190);\nrenew it in the connection")

    caplog.clear()
    with pytest.raises(AirflowFailException) as failed:
        expired()
    line = "facebook_default: the token expired (code 190); renew it in the connection"
    assert str(failed.value) == line
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("ERROR", line)]
    assert ti.pushed == {"error": line}

    @module.fail_fast
    def flaky() -> None:
        raise ConnectionError("reset by peer")

    with pytest.raises(ConnectionError, match="reset by peer"):
        flaky()
    source = (REPO / "dags" / "social_metrics.py").read_text(encoding="utf-8")
    assert source.count("@fail_fast\ndef _") == 7 and "except Exception" not in source  # one decorator


def test_publish_after_a_refused_plan_names_plans_line_and_no_account(dagbag, monkeypatch, caplog) -> None:
    """Given a history run whose plan refused its days (so no extract ran), publish fails with plan's line,
    not with "no data landed for <every account> ... (an expired token ...)"."""
    from airflow.sdk.exceptions import AirflowFailException

    module = _dag_module(dagbag)
    refused = "history 2026-11-23 to 2026-11-20: the first day is after the last; swap them"
    monkeypatch.setattr(module, "_current_ti", lambda: FakeTaskInstance({("plan", "error"): refused}))
    caplog.clear()
    with pytest.raises(AirflowFailException) as failed:
        dagbag.dags["social_metrics_history"].get_task("publish").python_callable()
    assert str(failed.value) == f"nothing to publish: plan refused the request: {refused}"
    assert "token" not in caplog.text and "no data landed" not in caplog.text
    monkeypatch.setattr(module, "_current_ti", lambda: FakeTaskInstance())  # plan died of something unforeseen
    with pytest.raises(AirflowFailException, match="plan failed before it made any job; its task log says why"):
        dagbag.dags["social_metrics"].get_task("publish").python_callable()
    with pytest.raises(AirflowFailException, match="nothing to finish: plan failed before it made any job"):
        dagbag.dags["social_metrics"].get_task("finish").python_callable()


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
