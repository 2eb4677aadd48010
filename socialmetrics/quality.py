"""The data-quality gate: Great Expectations on the run's slice, before anything is published.

GX 1.x's SQL datasource returns no rows on DuckDB through duckdb-engine (GX issues #11579,
#10738), so the run's slice is read into a pandas DataFrame and validated with an ephemeral GX
context, called from our own task (airflow-provider-great-expectations pins a structlog that
Airflow 3.3 cannot use). Expectations carry a severity in their meta: `blocking` stops the run
before the transform, `warning` is recorded and lets it publish.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

log = logging.getLogger(__name__)
# GX logs every internal registration at INFO and phones home unless told not to (no network here).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

BLOCKING = "blocking"
WARNING = "warning"


class QualityGateError(RuntimeError):
    """Blocking checks failed; nothing was published."""


@dataclass
class CheckResult:
    """One expectation's outcome."""

    suite: str
    expectation: str
    severity: str
    success: bool
    observed_value: Any
    unexpected_count: int
    details: str


def _gx_validate(suite_name: str, df: pd.DataFrame, expectations: list[Any]) -> list[CheckResult]:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(f"{suite_name}_source")
    asset = source.add_dataframe_asset(suite_name)
    batch = asset.add_batch_definition_whole_dataframe("slice").get_batch(batch_parameters={"dataframe": df})
    suite = gx.ExpectationSuite(name=suite_name)
    for exp in expectations:
        suite.add_expectation(exp)
    validation = batch.validate(suite)
    results = []
    for res in validation.results:
        cfg = res.expectation_config
        if cfg is None:
            continue
        kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
        result = res.result or {}
        results.append(
            CheckResult(
                suite=suite_name,
                expectation=f"{cfg.type}({json.dumps(kwargs, default=str, sort_keys=True)})",
                severity=(cfg.meta or {}).get("severity", BLOCKING),
                success=bool(res.success),
                observed_value=result.get("observed_value"),
                unexpected_count=int(result.get("unexpected_count") or 0),
                details=json.dumps(result.get("partial_unexpected_list", [])[:5], default=str),
            )
        )
    return results


def daily_metrics_suite(expected_accounts: list[str], start: dt.date, end: dt.date) -> list[Any]:
    """Expectations for raw.daily_metrics of the run's window."""
    import great_expectations.expectations as gxe

    block = {"severity": BLOCKING}
    return [
        *[
            gxe.ExpectColumnValuesToNotBeNull(column=c, meta=block)
            for c in ("network", "account_id", "day", "source_metric")
        ],
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["network", "account_id", "stream", "day", "source_metric"], meta=block
        ),
        gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0, meta=block),
        gxe.ExpectColumnValuesToBeBetween(
            column="day", min_value=pd.Timestamp(start), max_value=pd.Timestamp(end - dt.timedelta(days=1)), meta=block
        ),
        gxe.ExpectColumnDistinctValuesToContainSet(column="account_key", value_set=expected_accounts, meta=block),
    ]


def check_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    windows: dict[str, tuple[dt.date, dt.date]],
    expected_accounts: list[str],
) -> list[CheckResult]:
    """Validate the slice this run loaded; record results; raise QualityGateError on blocking failures."""
    results: list[CheckResult] = []
    if windows:
        start = min(w[0] for w in windows.values())
        end = max(w[1] for w in windows.values())
        df = con.execute(
            "SELECT network, account_id, network || '/' || account_id AS account_key, stream, "
            "CAST(day AS TIMESTAMP) AS day, source_metric, value FROM raw.daily_metrics "
            "WHERE network || '/' || account_id IN (SELECT unnest($keys)) AND day >= $start AND day < $end",
            {"keys": list(windows), "start": start, "end": end},
        ).df()
        results += _gx_validate("raw_daily_metrics", df, daily_metrics_suite(expected_accounts, start, end))
    now = dt.datetime.now(dt.UTC)
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM meta.quality_results WHERE run_id = ?", [run_id])
    for r in results:
        con.execute(
            "INSERT INTO meta.quality_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                r.suite,
                r.expectation,
                r.severity,
                r.success,
                json.dumps(r.observed_value, default=str),
                r.unexpected_count,
                r.details,
                now,
            ],
        )
    con.execute("COMMIT")
    failed = [r for r in results if not r.success]
    for r in results:
        log.info("%s %-8s %s %s", "PASS" if r.success else "FAIL", r.severity, r.suite, r.expectation)
    blocking = [r for r in failed if r.severity == BLOCKING]
    if blocking:
        lines = "\n".join(
            f"  - {r.suite}: {r.expectation} (unexpected: {r.unexpected_count}, e.g. {r.details})" for r in blocking
        )
        raise QualityGateError(
            f"{len(blocking)} blocking data-quality check(s) failed; nothing was published and the marts still "
            f"show the previous run's numbers:\n{lines}\nDetails: table meta.quality_results, run_id '{run_id}'."
        )
    return results
