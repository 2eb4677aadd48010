"""social_metrics: nightly at 03:00 Europe/Berlin, and backfills from the UI.

Thin wiring only: every task calls a function of socialmetrics.pipeline. Nothing here does I/O at
import time but listing the company configs' folder. A run covers the calendar day of its logical
date (company time zone) plus the config's lookback; backfill runs cover exactly their day (see
socialmetrics/pipeline.py).

extract (mapped over accounts, HTTP only) -> load -> check -> transform -> finish
Every task that touches the DuckDB file runs in a pool with 1 slot: DuckDB has one writer process.

One company (default): the DAG `social_metrics`, config `$SOCIALMETRICS_CONFIG`, warehouse
`$SOCIALMETRICS_WAREHOUSE`, pool `duckdb`. Several companies: with `$SOCIALMETRICS_CONFIG_DIR` set,
one DAG `social_metrics__<slug>` per `<slug>.yml` in it, with the warehouse
`$SOCIALMETRICS_DATA_DIR/<slug>/warehouse.duckdb` and the pool `duckdb__<slug>` (companies write
different files, so they run in parallel; writers of one file never do).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task

DAG_ID = "social_metrics"
DUCKDB_POOL = "duckdb"


def _settings(company_env: dict[str, str] | None = None) -> tuple[Any, Any, Any]:
    """Config, warehouse and landing of this DAG; a company's DAG first points the environment at its files."""
    import os

    from socialmetrics import settings

    if company_env:  # a task process works for one company only; pipeline reads its paths from settings
        os.environ.update(company_env)
    return settings.config_path(), settings.warehouse_path(), settings.landing_root()


def _companies() -> list[Any]:
    """The companies of $SOCIALMETRICS_CONFIG_DIR (a folder listing, no YAML read); empty when it is unset."""
    from socialmetrics import settings

    return settings.companies()


def _fail_fast(exc: Exception) -> Exception:
    """Predictable problems (expired token, missing connection, bad config) are not retried: every such
    error derives from connectors.errors.PermanentError, the one list of what is never retried."""
    from airflow.sdk.exceptions import AirflowFailException

    from connectors.errors import PermanentError

    return AirflowFailException(str(exc)) if isinstance(exc, PermanentError) else exc


def _run_info() -> tuple[str, dt.datetime, bool]:
    ctx = get_current_context()
    dag_run = ctx["dag_run"]
    logical = ctx.get("logical_date") or dag_run.run_after
    return dag_run.run_id, logical, str(dag_run.run_type).lower().endswith("backfill")


def build(dag_id: str = DAG_ID, pool: str = DUCKDB_POOL, company_env: dict[str, str] | None = None) -> Any:
    """The DAG: `company_env` (a Company's environ()) points its tasks at one company's files."""

    @dag(
        dag_id=dag_id,
        schedule=CronDataIntervalTimetable("0 3 * * *", timezone="Europe/Berlin"),
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
            """Read and validate the config; one entry per account."""
            from socialmetrics.pipeline import plan as plan_accounts

            config_path, _, _ = _settings(company_env)
            try:
                return plan_accounts(config_path)
            except Exception as exc:
                raise _fail_fast(exc) from None

        @task
        def window() -> dict[str, Any]:
            """The days this run covers."""
            from socialmetrics.config import load_config
            from socialmetrics.pipeline import run_window

            config_path, _, _ = _settings(company_env)
            _, logical, backfill = _run_info()
            w = run_window(logical, load_config(config_path), backfill=backfill)
            return {**w.to_json(), "backfill": backfill}

        @task(
            retries=2,
            map_index_template="{{ task.op_kwargs['account']['network'] }}/{{ task.op_kwargs['account']['id'] }}",
        )
        def extract(account: dict[str, Any], days: dict[str, Any]) -> dict[str, Any]:
            """Fetch one account's raw pages into the landing zone (no warehouse access)."""
            from connectors.base import Window
            from socialmetrics.credentials import airflow_credentials
            from socialmetrics.pipeline import account_from_dict
            from socialmetrics.pipeline import extract as extract_account

            _, _, landing_root = _settings(company_env)
            run_id, _, _ = _run_info()
            w = Window(dt.date.fromisoformat(days["start"]), dt.date.fromisoformat(days["end"]))
            try:
                return extract_account(
                    account_from_dict(account),
                    w,
                    run_id,
                    credentials=airflow_credentials,
                    landing_root=landing_root,
                    backfill=bool(days.get("backfill")),
                )
            except Exception as exc:
                raise _fail_fast(exc) from None

        @task(pool=pool, trigger_rule="all_done")
        def load() -> dict[str, list[str]]:
            """Replace the run's windows in raw.* with what landed (accounts that failed are left as they were)."""
            from socialmetrics.pipeline import load as load_run

            _, warehouse, landing_root = _settings(company_env)
            run_id, _, _ = _run_info()
            windows = load_run(run_id, warehouse_path=warehouse, landing_root=landing_root)
            return {k: [v[0].isoformat(), v[1].isoformat()] for k, v in windows.items()}

        @task(pool=pool)
        def check(loaded: dict[str, list[str]]) -> int:
            """Great Expectations on the loaded slice; blocking failures stop before publishing."""
            from socialmetrics.config import load_config
            from socialmetrics.pipeline import check as check_run

            config_path, warehouse, _ = _settings(company_env)
            run_id, _, _ = _run_info()
            windows = {k: (dt.date.fromisoformat(v[0]), dt.date.fromisoformat(v[1])) for k, v in loaded.items()}
            try:
                return len(check_run(run_id, windows, load_config(config_path), warehouse_path=warehouse))
            except Exception as exc:
                raise _fail_fast(exc) from None

        @task(pool=pool)
        def transform(loaded: dict[str, list[str]], _checked: int) -> dict[str, int]:
            """Rebuild core and marts over the loaded days, in one transaction."""
            from socialmetrics.config import load_config
            from socialmetrics.pipeline import run_transform

            config_path, warehouse, landing_root = _settings(company_env)
            run_id, _, _ = _run_info()
            windows = {k: (dt.date.fromisoformat(v[0]), dt.date.fromisoformat(v[1])) for k, v in loaded.items()}
            return run_transform(
                run_id, windows, warehouse_path=warehouse, cfg=load_config(config_path), landing_root=landing_root
            )

        @task(pool=pool)
        def report(days: dict[str, Any], _published: dict[str, int]) -> str:
            """Monday's nightly run (it covers Sunday) writes the week's report, HTML and PDF, and e-mails it
            when the config names recipients; other runs skip this."""
            from airflow.sdk.exceptions import AirflowSkipException

            from socialmetrics.config import load_config
            from socialmetrics.report import ReportError, build_weekly_report, report_due, send_report

            covered = dt.date.fromisoformat(days["end"]) - dt.timedelta(days=1)
            if days.get("backfill") or not report_due(covered):
                raise AirflowSkipException(f"the weekly report is Monday's; this run covers {covered}")
            config_path, warehouse, _ = _settings(company_env)
            cfg = load_config(config_path)
            try:
                files = build_weekly_report(cfg, warehouse, covered)
                if cfg.report.email_to:
                    send_report(files, cfg)  # MailError (no SMTP connection, refused login) is a ReportError
            except ReportError as exc:
                raise _fail_fast(exc) from None
            return str(files.pdf or files.html)

        @task(trigger_rule="all_done", retries=0)
        def finish() -> None:
            """Fail the run if an account could not be extracted (the others were still published)."""
            from socialmetrics.config import load_config
            from socialmetrics.pipeline import finish as finish_run

            config_path, _, landing_root = _settings(company_env)
            run_id, _, _ = _run_info()
            try:
                finish_run(run_id, load_config(config_path), landing_root=landing_root)
            except Exception as exc:
                raise _fail_fast(exc) from None

        # Leaves are report (after transform, which fails the run when the gate stops it; skipped but
        # on Mondays) and finish (fails the run when an account could not be extracted): Airflow
        # derives the run's state from its leaf tasks.
        days = window()
        extracted = extract.partial(days=days).expand(account=plan())
        loaded = load()
        extracted >> loaded
        published = transform(loaded, check(loaded))
        report(days, published)
        loaded >> finish()

    return social_metrics()


if _company_list := _companies():
    for _company in _company_list:
        build(f"{DAG_ID}__{_company.slug}", _company.pool, _company.environ())
else:
    build()
