"""The nightly run's last three tasks as the DAG calls them: `publish` (the one writer), `report` (Monday's
weekly report and its mail, from the readers' copy) and `finish` (the run's verdict)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from socialmetrics import pipeline, settings
from tests.conftest import NOW, REPO, TODAY, Harness

pytestmark = pytest.mark.airflow

SUNDAY = dt.date(2026, 11, 15)  # the nightly run covering it starts on Monday 16 Nov and writes the week's report
RUN_ID = "scheduled__2026-11-15T02:00:00+00:00"


class FakeTaskInstance:
    """The XComs a task pulls and pushes (Airflow's RuntimeTaskInstance has the same two calls)."""

    def __init__(self, xcoms: dict[tuple[str, str], object]) -> None:
        self.xcoms = xcoms
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> object:
        return self.xcoms.get((task_ids, key))


@pytest.fixture(scope="module")
def dag_module() -> Any:
    """dags/social_metrics.py, imported like the DAG processor does (its task functions)."""
    sys.path.insert(0, str(REPO / "dags"))
    try:
        import social_metrics  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "dags"))
        sys.modules.pop("social_metrics", None)  # test_dag finds the DagBag's copy by its file in sys.modules
    return social_metrics


def closed_port() -> int:
    """A loopback port nothing listens on: an SMTP server that refuses the connection."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count_loads(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM meta.loads").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def extract_sunday(harness: Harness) -> None:
    """The nightly run's extracts of the accounts the sandbox has (facebook/999 of the config lands nothing)."""
    logical = dt.datetime.combine(SUNDAY, dt.time(3, 0), dt.UTC)
    window = pipeline.run_window(logical, harness.cfg, backfill=False, now=NOW)
    for acc in pipeline.plan(harness.config_path):
        if acc["id"] == "999":
            continue
        pipeline.extract(
            pipeline.account_from_dict(acc), window, RUN_ID, credentials=harness.credentials,
            landing_root=harness.landing, today=TODAY, http=harness.http(acc["conn_id"]),
        )  # fmt: skip


def test_a_refused_mail_fails_report_and_finish_still_gives_the_runs_verdict_without_a_reload(
    harness: Harness, dag_module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given Monday's nightly run whose SMTP server refuses the connection and whose config names an account
    that landed nothing, when publish, report and finish run as the DAG runs them, then publish loads once,
    report fails naming the mail connection (a plain error, so Airflow retries it), a retry of report fails the
    same way without loading again (meta.loads unchanged), and finish still fails the run naming the account."""
    from airflow.sdk.exceptions import AirflowFailException

    from socialmetrics.serve.report import pdf

    text = harness.config_path.read_text(encoding="utf-8")
    harness.config_path.write_text(
        text.replace("campaigns:", '  - network: facebook\n    id: "999"\n    name: Other\ncampaigns:', 1)
        + "\nreport:\n  email_to: [chefin@sonnenhang.example]\n  smtp_conn_id: smtp_report\n",
        encoding="utf-8",
    )
    port = closed_port()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_REPORT",
        json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                    "extra": {"from_email": "bericht@sonnenhang.example", "disable_ssl": True, "disable_tls": True}}),
    )  # fmt: skip

    def no_chromium(*_: object) -> None:
        raise pdf.ChromiumError("no Chromium in this test")

    monkeypatch.setattr(pdf, "html_to_pdf", no_chromium)
    extract_sunday(harness)
    company_env = {
        settings.CONFIG_ENV: str(harness.config_path),
        settings.WAREHOUSE_ENV: str(harness.warehouse),
        settings.LANDING_ENV: str(harness.landing),
    }
    logical = dt.datetime.combine(SUNDAY, dt.time(3, 0), dt.UTC)
    monkeypatch.setattr(dag_module, "_run_info", lambda: (RUN_ID, logical, False))
    xcoms: dict[tuple[str, str], object] = {("plan", "return_value"): [{"network": "facebook"}]}
    monkeypatch.setattr(dag_module, "_current_ti", lambda: FakeTaskInstance(xcoms))

    published = dag_module._publish(company_env)
    xcoms[("publish", "return_value")] = published
    loads = count_loads(harness.warehouse)
    assert loads > 0 and "report" not in published  # publish writes no report

    for _attempt in (1, 2):  # the task and its retry: each builds the report again, none loads
        with pytest.raises(RuntimeError, match=f"connection 'smtp_report' \\(127.0.0.1:{port}\\) failed") as failed:
            dag_module._report(company_env)
        assert not isinstance(failed.value, AirflowFailException)  # Airflow retries it
        assert count_loads(harness.warehouse) == loads
    assert (harness.warehouse.parent / "reports").is_dir()

    with pytest.raises(AirflowFailException, match=r"no data landed for facebook/999 in run "):
        dag_module._finish(company_env)


def test_report_skips_a_run_that_does_not_cover_sunday(
    harness: Harness, dag_module: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Given Wednesday's nightly run, report is skipped with one line saying why, and writes nothing."""
    from airflow.sdk.exceptions import AirflowSkipException

    wednesday = dt.datetime(2026, 11, 18, 3, tzinfo=dt.UTC)
    monkeypatch.setattr(dag_module, "_run_info", lambda: ("scheduled__wed", wednesday, False))
    ti = FakeTaskInstance({})
    monkeypatch.setattr(dag_module, "_current_ti", lambda: ti)
    company_env = {settings.CONFIG_ENV: str(harness.config_path), settings.WAREHOUSE_ENV: str(harness.warehouse)}
    with pytest.raises(AirflowSkipException, match="covers up to 2026-11-18, and the weekly report is written by"):
        dag_module._report(company_env)
    assert "the nightly run covering Sunday (Monday's)" in caplog.text
    assert not (harness.warehouse.parent / "reports").exists()
    assert str(ti.pushed["skipped"]).startswith("no weekly report this run")  # what `finish` tells apart


def test_finish_fails_the_run_after_a_failed_report_and_not_after_a_skipped_one(
    harness: Harness, dag_module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a run whose accounts all landed, finish succeeds after a skipped report and fails after a failed one
    (report is no leaf of the graph: without this a mail that never went out would leave the run green)."""
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.setattr(dag_module, "_run_info", lambda: (RUN_ID, dt.datetime(2026, 11, 18, 3, tzinfo=dt.UTC), False))
    monkeypatch.setattr(pipeline, "finish", lambda *a, **k: None)  # every account landed
    env = {settings.CONFIG_ENV: str(harness.config_path), settings.WAREHOUSE_ENV: str(harness.warehouse)}
    done: dict[tuple[str, str], object] = {("plan", "return_value"): [{}], ("publish", "return_value"): {},
                                         ("alert", "return_value"): {}}  # fmt: skip
    skipped = FakeTaskInstance(done | {("report", "skipped"): "no weekly report this run"})
    monkeypatch.setattr(dag_module, "_current_ti", lambda: skipped)
    dag_module._finish(env, reports=True)
    failed = FakeTaskInstance(done)
    monkeypatch.setattr(dag_module, "_current_ti", lambda: failed)
    with pytest.raises(AirflowFailException, match="report failed: the weekly report was not written or not sent"):
        dag_module._finish(env, reports=True)
    dag_module._finish(env)  # the history DAG has no report


def test_two_companies_tasks_in_one_process_write_only_their_own_files(
    harness: Harness, dag_module: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Given two companies' DAGs whose tasks run in one process (a worker running one task after another), when
    each company's plan, extracts and publish run interleaved, then each company's warehouse, landing and author
    key are in its own folder, nothing lands beside $SOCIALMETRICS_WAREHOUSE, and the process's environment is
    unchanged: the tasks get their company's paths as arguments."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_FACEBOOK_DEFAULT",
        json.dumps({"conn_type": "http", "host": harness.sandbox.base_url, "password": harness.token}),
    )
    monkeypatch.delenv("SOCIALMETRICS_AUTHOR_KEY")  # the key file beside each company's warehouse
    companies = [
        settings.Company(slug, harness.config_path, tmp_path / slug, tmp_path / slug / "landing", tmp_path / slug / "r")
        for slug in ("acme", "sonnenhang")
    ]
    logical = dt.datetime.combine(SUNDAY, dt.time(3, 0), dt.UTC)
    monkeypatch.setattr(dag_module, "_run_info", lambda: (RUN_ID, logical, False))
    monkeypatch.setattr(dag_module, "_check_pool", lambda pool: None)
    ti = FakeTaskInstance({("plan", "return_value"): [{"network": "facebook"}]})
    monkeypatch.setattr(dag_module, "_current_ti", lambda: ti)
    before = dict(os.environ)

    jobs = [dag_module._plan_run(c.environ(), c.pool) for c in companies]
    for job_a, job_b in zip(jobs[0], jobs[1], strict=True):
        dag_module._extract(job_a, companies[0].environ())
        dag_module._extract(job_b, companies[1].environ())
    for company in companies:
        dag_module._publish(company.environ())

    assert dict(os.environ) == before
    for company in companies:
        assert count_loads(company.warehouse) > 0
        assert (company.data_dir / "author.key").is_file()
        assert [p.name for p in company.landing.iterdir()] == ["facebook"]
        assert (company.data_dir / "quality_docs").is_dir()
    assert not (tmp_path / "env-warehouse.duckdb").exists() and not (tmp_path / "author.key").exists()
    assert not harness.landing.exists() and not harness.warehouse.exists()
