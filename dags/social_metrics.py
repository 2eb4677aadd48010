"""social_metrics: nightly at 03:00 in the company's time zone (default Europe/Berlin), and backfills from the UI.

Thin wiring only: every task calls a function of socialmetrics.pipeline. Nothing here does I/O at
import time but listing the company configs' folder and reading each config's `timezone` for the
schedule. A run covers the calendar day of its logical date (company time zone) plus the config's
lookback; backfill runs cover exactly their day (see socialmetrics/pipeline.py).

plan -> extract (mapped over accounts, HTTP only) -> publish (load, check, transform, readers' copy)
  -> report (Monday's weekly report and mail; skipped otherwise) -> finish (the run's verdict, always runs)
  publish -> alert (at most one message of what needs attention; held through quiet hours) -> finish
The one task that writes the DuckDB file runs in a pool with 1 slot: DuckDB has one writer process.
`social_metrics_history` (no schedule) loads a range of days from its Trigger form the same way.

One company (default): the DAG `social_metrics`, config `$SOCIALMETRICS_CONFIG`, warehouse
`$SOCIALMETRICS_WAREHOUSE`, pool `duckdb`. Several companies: with `$SOCIALMETRICS_CONFIG_DIR` set,
one DAG `social_metrics__<slug>` per `<slug>.yml` in it, with the warehouse
`$SOCIALMETRICS_DATA_DIR/<slug>/warehouse.duckdb` and the pool `duckdb__<slug>` (companies write
different files, so they run in parallel; writers of one file never do).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task

P = ParamSpec("P")
R = TypeVar("R")
TASK_LOG = logging.getLogger("socialmetrics.task")

DAG_ID = "social_metrics"
HISTORY_DAG_ID = "social_metrics_history"
DUCKDB_POOL = "duckdb"
# The history form's X read budget (per X account and load): a year of the sandbox's X account needs about 368
# reads; the accounts' nightly read_budget (300 there) does not cover that
HISTORY_X_READ_BUDGET = 1000
HISTORY_DOC = """### History: a year (or two) of every account in one run

*Trigger* this DAG and fill in the form: first and last day (both included; empty = the last 365 days).
Each account's extract reads the whole range in the largest requests its API allows (Facebook 90 days
of insights a request, LinkedIn its 12 months of daily statistics in one, X pages of 100 posts within the read
budget of the form, its estimate logged first); `publish` then replaces exactly those days, like
backfill runs of the same days would. Writers share the `duckdb` pool with the nightly DAG, so a history
load can run while the schedule is active. From a shell: `socialmetrics history --from DATE --to DATE`.

A last day not over yet loads up to yesterday, and a network that keeps fewer days (LinkedIn's statistics 365)
loads from its first kept day: both are said first in `plan`'s log and in the extract's name in the grid. The
first day after the last fails `plan` with one line saying so.
"""


def _settings(company_env: dict[str, str] | None = None) -> Any:
    """This DAG's files (settings.Paths): a company's DAG reads its Company.environ() over the process's
    environment, which stays unchanged; the task functions get the paths as arguments."""
    import os

    from socialmetrics import settings

    return settings.paths({**os.environ, **company_env} if company_env else None)


def _schedule_timezone(company_env: dict[str, str] | None) -> str:
    """The company's time zone, which the nightly schedule follows: 03:00 local, so the run covering
    yesterday starts on the company's today and can keep today's snapshots (follower totals, X posts)."""
    from pathlib import Path

    from socialmetrics import settings

    return settings.schedule_timezone(Path(company_env[settings.CONFIG_ENV]) if company_env else None)


def _companies() -> list[Any]:
    """The companies of $SOCIALMETRICS_CONFIG_DIR (a folder listing, no YAML read); empty when it is unset."""
    from socialmetrics import settings

    return settings.companies()


def fail_fast(func: Callable[P, R]) -> Callable[P, R]:
    """Predictable problems (expired token, missing connection, bad config, a refused history range) fail the
    task at once, their message first: an error derived from connectors.errors.PermanentError (the one list of
    what is never retried) is logged as one line "ERROR - <message>", kept as the task's XCom `error` (so
    `publish` can name it), and fails the task without Airflow's retries. Airflow 3.3's task runner then logs
    "Task failed with exception" with the traceback, below that line."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from connectors.errors import PermanentError

        try:
            return func(*args, **kwargs)
        except PermanentError as exc:
            from airflow.sdk.exceptions import AirflowFailException

            message = " ".join(str(exc).split())  # one line, whatever the message holds
            TASK_LOG.error("%s", message)
            _current_ti().xcom_push(key="error", value=message)
            raise AirflowFailException(message) from None

    return wrapper


def _current_ti() -> Any:
    """The running task instance."""
    return get_current_context()["ti"]


def _check_pool(pool: str) -> None:
    """The run's writer pool exists (created through the REST API if a company was added while Airflow runs);
    called inside a `fail_fast` task function, so a refusal is one line and is not retried."""
    from socialmetrics.run.airflow_setup import ensure_pool

    ensure_pool(pool)


def _run_info() -> tuple[str, dt.datetime, bool]:
    ctx = get_current_context()
    dag_run = ctx["dag_run"]
    logical = ctx.get("logical_date") or dag_run.run_after
    return dag_run.run_id, logical, str(dag_run.run_type).lower().endswith("backfill")


@fail_fast
def _extract(job: dict[str, Any], company_env: dict[str, str] | None) -> dict[str, Any]:
    """Fetch one account's raw pages for its job's window into the landing zone (no warehouse access)."""
    from socialmetrics.extract.credentials import airflow_credentials
    from socialmetrics.pipeline import account_from_dict, job_window
    from socialmetrics.pipeline import extract as extract_account

    paths = _settings(company_env)
    run_id, _, _ = _run_info()
    return extract_account(
        account_from_dict(job),
        job_window(job),
        run_id,
        credentials=airflow_credentials,
        landing_root=paths.landing,
        backfill=bool(job.get("backfill")),
        warehouse_path=paths.warehouse,
    )


def _check_plan(ti: Any, step: str) -> None:
    """`plan` failed, so no extract ran: say why, instead of "no data landed" for every account."""
    from socialmetrics.pipeline import PlanFailedError

    if refused := ti.xcom_pull(task_ids="plan", key="error"):
        raise PlanFailedError(f"nothing to {step}: plan refused the request: {refused}")
    if ti.xcom_pull(task_ids="plan") is None:
        raise PlanFailedError(f"nothing to {step}: plan failed before it made any job; its task log says why")


@fail_fast
def _publish(company_env: dict[str, str] | None) -> dict[str, Any]:
    """Load, check, transform and publish the readers' copy: the run's one writer task."""
    from socialmetrics.config import load_config
    from socialmetrics.pipeline import publish

    _check_plan(_current_ti(), "publish")
    paths = _settings(company_env)
    run_id, _, _ = _run_info()
    return publish(
        run_id, load_config(paths.config), warehouse_path=paths.warehouse, landing_root=paths.landing,
        quality_docs=paths.quality_docs, reports_dir=paths.reports,
    )  # fmt: skip


@fail_fast
def _report(company_env: dict[str, str] | None) -> dict[str, Any]:
    """Monday's weekly report from the readers' copy, mailed; skipped by every other run (one line says why)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from socialmetrics.config import load_config
    from socialmetrics.pipeline import ReportNotDueError, report, run_window
    from socialmetrics.serve.report.mail import MailServerError

    paths = _settings(company_env)
    _, logical, backfill = _run_info()
    if backfill:
        TASK_LOG.info("no weekly report: backfill runs do not write it (the nightly run covering Sunday does)")
        _current_ti().xcom_push(key="skipped", value="backfill run")
        raise AirflowSkipException("backfill run: no weekly report")
    cfg = load_config(paths.config)
    report_day = run_window(logical, cfg, backfill=False).end - dt.timedelta(days=1)
    try:
        return report(cfg, report_day, warehouse_path=paths.warehouse, reports_dir=paths.reports)
    except ReportNotDueError as exc:
        TASK_LOG.info("%s", exc)
        _current_ti().xcom_push(key="skipped", value=str(exc))  # `finish` tells a skip from a failure
        raise AirflowSkipException(str(exc)) from None
    except MailServerError as exc:  # the server may be back later: Airflow's retries build and send again
        TASK_LOG.error("%s", exc)
        raise RuntimeError(str(exc)) from None


@fail_fast
def _alert(company_env: dict[str, str] | None) -> Any:
    """The run's alerts (one message at most), a poke of a sensor in reschedule mode: alerts found in quiet hours
    are held; a scheduled run pokes again every 10 minutes (its writer slot free in between) until they end and
    sends them; any other run (manual, `make demo`) leaves them held for the next alert step after quiet hours."""
    from airflow.sdk import PokeReturnValue

    from socialmetrics.config import load_config
    from socialmetrics.pipeline import alert, run_window

    paths = _settings(company_env)
    run_id, logical, backfill = _run_info()
    dag_run = get_current_context()["dag_run"]
    if backfill:
        TASK_LOG.info("no alerts: backfill runs cover past days and send none (the nightly run does)")
        return PokeReturnValue(is_done=True, xcom_value={"skipped": "backfill run"})
    cfg = load_config(paths.config)
    day = run_window(logical, cfg, backfill=False).end - dt.timedelta(days=1)
    result = alert(cfg, day, run_id, warehouse_path=paths.warehouse, dag_id=dag_run.dag_id, reports_dir=paths.reports)
    wait = bool(result["held_until"]) and str(dag_run.run_type).lower().endswith("scheduled")
    return PokeReturnValue(is_done=not wait, xcom_value=result)


@fail_fast
def _finish(company_env: dict[str, str] | None, *, reports: bool = False) -> None:
    """The run's verdict: fails naming accounts that landed nothing, kept empty answers and rejected files; runs
    whatever the report did (a mail failure never hides it) and fails too when publish did not succeed or (with
    `reports`, the nightly DAG) when `report` failed, so the run is not green while the mail did not go out."""
    from socialmetrics.config import load_config
    from socialmetrics.pipeline import ExtractFailedError, finish

    ti = _current_ti()
    _check_plan(ti, "finish")
    paths = _settings(company_env)
    run_id, _, _ = _run_info()
    published = ti.xcom_pull(task_ids="publish") is not None
    alert_failed = reports and published and ti.xcom_pull(task_ids="alert") is None
    if alert_failed:
        TASK_LOG.error("alert failed: what needs attention was not sent; its task log says why")
    if (
        published
        and reports
        and ti.xcom_pull(task_ids="report") is None
        and not ti.xcom_pull(task_ids="report", key="skipped")
    ):
        TASK_LOG.error("report failed: the weekly report was not written or not sent; its task log says why")
        report_failed = True
    else:
        report_failed = False
    try:
        finish(run_id, load_config(paths.config), landing_root=paths.landing)
    except ExtractFailedError as exc:
        if published:
            raise
        raise ExtractFailedError(f"publish failed (its task log says why), nothing new is published | {exc}") from None
    if not published:
        raise ExtractFailedError("publish failed, so nothing new is published; its task log says why")
    if report_failed:
        raise ExtractFailedError("report failed: the weekly report was not written or not sent; its task log says why")
    if alert_failed:
        raise ExtractFailedError("alert failed: the alerts were not sent; its task log says why")


# network/account; a history job whose days a network cuts says so there too ("linkedin/8048 (... from ...)")
EXTRACT_LABEL = (
    "{{ task.op_kwargs['job'].get('label') or task.op_kwargs['job']['network'] ~ '/' ~ task.op_kwargs['job']['id'] }}"
)


def build(dag_id: str = DAG_ID, pool: str = DUCKDB_POOL, company_env: dict[str, str] | None = None) -> Any:
    """The nightly DAG: `company_env` (a Company's environ()) points its tasks at one company's files."""

    @dag(
        dag_id=dag_id,
        schedule=CronDataIntervalTimetable("0 3 * * *", timezone=_schedule_timezone(company_env)),
        start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_tasks=8,
        default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=5)},
        tags=["socialmetrics"] + ([dag_id.removeprefix(f"{DAG_ID}__")] if company_env else []),
        doc_md=__doc__,
    )
    def social_metrics() -> None:
        """Pull every configured account, load, check and publish the marts."""

        @task
        def plan() -> list[dict[str, Any]]:
            """Check the writer pool, read and validate the config; one job (account and days) per account."""
            return _plan_run(company_env, pool)

        @task(retries=2, map_index_template=EXTRACT_LABEL)
        def extract(job: dict[str, Any]) -> dict[str, Any]:
            """Fetch one account's raw pages into the landing zone (no warehouse access)."""
            return _extract(job, company_env)

        @task(pool=pool, trigger_rule="all_done")
        def publish() -> dict[str, Any]:
            """Replace the run's windows in raw.*, check them, rebuild core and marts, publish the readers' copy
            (accounts that failed are left as they were; `finish` fails the run afterwards, naming them)."""
            return _publish(company_env)

        @task(retries=2, retry_delay=dt.timedelta(minutes=10))
        def report() -> dict[str, Any]:
            """The weekly report on the run covering Sunday (else skipped), from the readers' copy, mailed."""
            return _report(company_env)

        @task.sensor(
            pool=pool, mode="reschedule", poke_interval=600, timeout=18 * 3600, retries=2,
            retry_delay=dt.timedelta(minutes=10),
        )  # fmt: skip
        def alert() -> Any:
            """At most one message (e-mail, chat) of what needs attention; held through quiet hours."""
            return _alert(company_env)

        @task(trigger_rule="all_done", retries=0)
        def finish() -> None:
            """The run's verdict, whatever the report did (a failed report fails the run after it)."""
            _finish(company_env, reports=True)

        published, verdict = publish(), finish()
        extract.expand(job=plan()) >> published >> report() >> verdict
        published >> alert() >> verdict
        published >> verdict

    return social_metrics()


def build_history(
    dag_id: str = HISTORY_DAG_ID, pool: str = DUCKDB_POOL, company_env: dict[str, str] | None = None
) -> Any:
    """The history DAG: one run loads the days of its Trigger form (or `socialmetrics history`)."""

    @dag(
        dag_id=dag_id,
        schedule=None,
        start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        catchup=False,
        max_active_runs=1,  # history loads queue behind each other; nightly runs share the writer pool
        max_active_tasks=8,
        default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=1)},
        tags=["socialmetrics", "history"] + ([dag_id.removeprefix(f"{HISTORY_DAG_ID}__")] if company_env else []),
        params={
            "from": Param(
                None,
                type=["null", "string"],
                format="date",
                title="First day",
                description="The first day to load (default: the 365 days up to yesterday).",
            ),
            "to": Param(
                None,
                type=["null", "string"],
                format="date",
                title="Last day (included)",
                description="The last day to load, included (default and at most: yesterday).",
            ),
            # a whole number, never empty: the accounts' nightly read_budget (300 on the sandbox) is too small
            # for a year (~368 reads on the sandbox); the API and the form refuse anything below 1
            "x_read_budget": Param(
                HISTORY_X_READ_BUDGET,
                type="integer",
                minimum=1,
                title="X read budget for this load",
                description=(
                    "Billed X reads this load may use per X account (about $0.005 each); the task log of X's "
                    "extract shows the estimate before any post is read, and names the budget it needs."
                ),
            ),
        },
        doc_md=HISTORY_DOC,
    )
    def social_metrics_history() -> None:
        """Load a range of days for every configured account in one run."""

        @task
        def plan() -> list[dict[str, Any]]:
            """Validate the range; one job (account and all its days) per account."""
            return _plan_history(company_env, pool)

        @task(retries=2, map_index_template=EXTRACT_LABEL)
        def extract(job: dict[str, Any]) -> dict[str, Any]:
            """Fetch one account's history in the largest requests its API allows (progress in the log)."""
            return _extract(job, company_env)

        @task(pool=pool, trigger_rule="all_done")
        def publish() -> dict[str, Any]:
            """Replace the loaded days in raw.*, check them, rebuild core and marts."""
            return _publish(company_env)

        @task(trigger_rule="all_done", retries=0)
        def finish() -> None:
            """The load's verdict: fails naming accounts that landed nothing."""
            _finish(company_env)

        extract.expand(job=plan()) >> publish() >> finish()

    return social_metrics_history()


@fail_fast
def _plan_run(company_env: dict[str, str] | None, pool: str) -> list[dict[str, Any]]:
    """The nightly (or backfill) run's jobs, once its writer pool is there."""
    from socialmetrics.pipeline import plan_run

    config_path = _settings(company_env).config
    _check_pool(pool)
    _, logical, backfill = _run_info()
    return plan_run(config_path, logical, backfill=backfill)


@fail_fast
def _plan_history(company_env: dict[str, str] | None, pool: str) -> list[dict[str, Any]]:
    """The history run's jobs from its form; what was changed in the days asked for goes to the log (first) and
    to the XCom `adjustments`, which `socialmetrics history` prints and writes into the run's note."""
    from socialmetrics.config import load_config
    from socialmetrics.pipeline import history_plan, history_range

    config_path = _settings(company_env).config
    _check_pool(pool)
    ctx = get_current_context()
    params = ctx["params"]
    first, last = history_range(params.get("from"), params.get("to"), load_config(config_path).tz)
    planned = history_plan(config_path, first, last, read_budget=params.get("x_read_budget"))
    ctx["ti"].xcom_push(key="adjustments", value=planned.adjustments)
    return planned.jobs


if _company_list := _companies():
    for _company in _company_list:
        build(f"{DAG_ID}__{_company.slug}", _company.pool, _company.environ())
        build_history(f"{HISTORY_DAG_ID}__{_company.slug}", _company.pool, _company.environ())
else:
    build()
    build_history()
