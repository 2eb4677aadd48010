"""The data-quality gate: Great Expectations on the run's slice, before anything is published.

Write, audit, publish: `check` computes the run's window of every core table from raw (the same
sql/core files the transform will run, but into DataFrames, not tables) and validates them; only
when no blocking expectation fails does `transform` publish them. GX 1.x's SQL datasource returns
no rows on DuckDB through duckdb-engine (GX issues #11579, #10738), and
airflow-provider-great-expectations pins a structlog that Airflow 3.3 cannot use, so the slices are
pandas DataFrames validated by an ephemeral GX context called from our own task.

Expectations carry a severity in their meta: `blocking` stops the run before the transform (the
marts keep the previous numbers), `warning` is recorded and lets the run publish.

The column tests of the gated core tables (key unique, not null, accepted values, ranges) come from the models'
declarations (the `-- columns:` block of sql/core/*.sql, read by socialmetrics/transform/runner.py); what is not a test
of one column stays here as code: the expected accounts, the window's days, reach <= impressions, the raw
values, the anomalies.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from connectors.base import PermanentError, describe_days
from socialmetrics.transform import runner as transform

log = logging.getLogger(__name__)
# GX logs every internal registration at INFO and phones home unless told not to (no network here).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

BLOCKING = "blocking"
WARNING = "warning"
DOCS_SITE = "socialmetrics"
GATED = ("core.account_daily", "core.post", "core.comment")  # the core tables checked before the transform
ANOMALY_METRICS = ("impressions", "reach", "engagements")
STEADY_DAYS = 60  # a 0 after this many non-zero days is suspicious
JUMP_FACTOR = 20.0  # a value this many times the trailing median is suspicious
JUMP_BASELINE_DAYS = 28


class QualityGateError(RuntimeError, PermanentError):
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


@dataclass
class Suite:
    """A DataFrame and what must hold for it."""

    name: str
    frame: pd.DataFrame
    expectations: list[Any]


# a row of raw.web_traffic: its slice (network, account, stream) and the key of connectors.base.KIND_PRIMARY_KEY
WEB_KEY = ("network", "account_id", "stream", "day", "source_kind", "source_network", "referrer", "campaign", "medium",
           "goal_id")  # fmt: skip


def _block() -> dict[str, str]:
    return {"severity": BLOCKING}


def _warn() -> dict[str, str]:
    return {"severity": WARNING}


def preview(
    con: duckdb.DuckDBPyConnection, table: str, start: dt.date, end: dt.date, tz: str = transform.DEFAULT_TZ
) -> pd.DataFrame:
    """The rows the transform would write for `table` over [start, end), without writing them."""
    sql = transform.sql_of(table)
    return con.execute(sql, transform.model_params(sql, start, end, tz)).df()


def declared_expectations(table: str) -> tuple[list[Any], list[Any]]:
    """The expectations a model's declaration gives, each with its declared severity: what identifies a row (the
    columns' `not null` tests, the key unique, blocking) and what its values must be (`in` and `range` tests),
    columns in their declared order."""
    import great_expectations.expectations as gxe

    model = next(m for m in transform.models() if m.table == table)
    tests = [(c.name, t) for c in model.columns for t in c.tests]
    keys: list[Any] = [
        gxe.ExpectColumnValuesToNotBeNull(column=name, meta={"severity": t.severity})
        for name, t in tests
        if t.kind == "not_null"
    ]
    keys.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(model.key), meta=_block()))
    found: list[Any] = []
    for name, t in tests:
        if t.kind == "accepted_values":
            found.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(t.values),
                                                          meta={"severity": t.severity}))  # fmt: skip
        elif t.kind == "range":
            # only the bounds declared: an unbounded side is left out of the expectation, not passed as None
            bounds: dict[str, Any] = {
                k: v for k, v in (("min_value", t.min_value), ("max_value", t.max_value)) if v is not None
            }
            found.append(gxe.ExpectColumnValuesToBeBetween(column=name, **bounds, meta={"severity": t.severity}))
    return keys, found


def _reach_within_impressions(frame: pd.DataFrame) -> Any:
    """Blocking: unique reach never exceeds impressions where a network gives both (adds the column)."""
    import great_expectations.expectations as gxe

    both = frame[["reach", "impressions"]].notna().all(axis=1)
    frame["reach_minus_impressions"] = (frame["reach"] - frame["impressions"]).where(both)
    return gxe.ExpectColumnValuesToBeBetween(column="reach_minus_impressions", max_value=0, meta=_block())


def _anomalies(con: duckdb.DuckDBPyConnection, current: pd.DataFrame, start: dt.date) -> pd.DataFrame:
    """Per account, metric and day of the window: a 0 after a steady series, and the jump ratio."""
    keys = ["network", "account_id", "day"]
    cols = keys + list(ANOMALY_METRICS)
    try:
        history = con.execute(
            f"SELECT {', '.join(cols)} FROM core.account_daily WHERE day >= ? AND day < ?",
            [start - dt.timedelta(days=STEADY_DAYS + 1), start],
        ).df()
    except duckdb.CatalogException:  # first run: nothing published yet
        history = pd.DataFrame(columns=cols)
    frames = [f[cols].assign(day=pd.to_datetime(f["day"])) for f in (history, current) if not f.empty]
    rows: list[dict[str, Any]] = []
    if not frames:
        return pd.DataFrame(columns=["network", "account_id", "day", "metric", "zero_after_steady", "jump_ratio"])
    both = pd.concat(frames, ignore_index=True).drop_duplicates(keys, keep="last").sort_values(keys)
    in_window = both["day"] >= pd.Timestamp(start)
    for metric in ANOMALY_METRICS:
        values = both[metric].astype("float64")
        grouped = values.groupby([both["network"], both["account_id"]])
        steady_min = grouped.transform(lambda s: s.shift(1).rolling(STEADY_DAYS, min_periods=STEADY_DAYS).min())
        baseline = grouped.transform(lambda s: s.shift(1).rolling(JUMP_BASELINE_DAYS, min_periods=14).median())
        zero = (values == 0) & (steady_min > 0)
        ratio = values / baseline.where(baseline > 0)
        for idx in both.index[in_window.to_numpy()]:
            rows.append(
                {
                    "network": both.at[idx, "network"],
                    "account_id": both.at[idx, "account_id"],
                    "day": both.at[idx, "day"],
                    "metric": metric,
                    "zero_after_steady": bool(zero.at[idx]),
                    "jump_ratio": None if pd.isna(ratio.at[idx]) else float(ratio.at[idx]),
                }
            )
    return pd.DataFrame(rows)


def build_suites(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    expected_accounts: list[str],
    today: dt.date,
    tz: str = transform.DEFAULT_TZ,
) -> list[Suite]:
    """The suites of one run: core tables of the window, the raw values behind them, anomalies."""
    import great_expectations.expectations as gxe

    suites = []
    last_day = min(end - dt.timedelta(days=1), today)

    daily_keys, daily_values = declared_expectations("core.account_daily")
    daily = preview(con, "core.account_daily", start, end, tz)
    daily["account_key"] = daily["network"] + "/" + daily["account_id"]
    daily["day"] = pd.to_datetime(daily["day"])
    daily["engagement_rate"] = (daily["engagements"] / daily["impressions"].where(daily["impressions"] > 0)).astype(
        "float64"
    )
    suites.append(
        Suite(
            "core.account_daily",
            daily,
            [
                *daily_keys,
                gxe.ExpectColumnValuesToBeBetween(
                    column="day", min_value=pd.Timestamp(start), max_value=pd.Timestamp(last_day), meta=_block()
                ),
                gxe.ExpectColumnDistinctValuesToContainSet(
                    column="account_key", value_set=expected_accounts, meta=_block()
                ),
                *daily_values,
                _reach_within_impressions(daily),
                gxe.ExpectColumnValuesToBeBetween(column="engagement_rate", min_value=0, max_value=1, meta=_warn()),
            ],
        )
    )

    raw = con.execute(
        "SELECT network, account_id, stream, day, source_metric, value, value = round(value) AS is_integer "
        "FROM raw.daily_metrics WHERE day >= $start AND day < $end",
        {"start": start, "end": end},
    ).df()
    suites.append(
        Suite(
            "raw.daily_metrics",
            raw,
            [
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["network", "account_id", "stream", "day", "source_metric"], meta=_block()
                ),
                gxe.ExpectColumnValuesToBeInSet(column="is_integer", value_set=[True], meta=_block()),
            ],
        )
    )

    post_keys, post_values = declared_expectations("core.post")
    # Website analytics (Matomo, GA4): one row per key of a slice, no negative visits, users, conversions, revenue.
    web = con.execute(
        f"SELECT {', '.join(WEB_KEY)}, visits, users, conversions, revenue FROM raw.web_traffic "
        "WHERE day >= $start AND day < $end",
        {"start": start, "end": end},
    ).df()
    suites.append(
        Suite(
            "raw.web_traffic",
            web,
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(WEB_KEY), ignore_row_if="never", meta=_block()),
                *[
                    gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, meta=_block())
                    for c in ("visits", "users", "conversions", "revenue")
                ],
            ],
        )
    )

    posts = preview(con, "core.post", start, end, tz)
    posts["published_at"] = pd.to_datetime(posts["published_at"], utc=True)
    now = pd.Timestamp(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC))
    suites.append(
        Suite(
            "core.post",
            posts,
            [
                *post_keys,
                gxe.ExpectColumnValuesToBeBetween(column="published_at", max_value=now, meta=_block()),
                *post_values,
                _reach_within_impressions(posts),
            ],
        )
    )

    comment_keys, comment_values = declared_expectations("core.comment")
    comments = preview(con, "core.comment", start, end, tz)
    has_text = comments["text"].notna() & (comments["text"].astype("string").str.strip() != "")
    # NULL where the comment has a text but no tone; a placeholder where it has none (retention, media only)
    comments["sentiment_if_text"] = comments["sentiment"].where(has_text, "no text")
    suites.append(
        Suite(
            "core.comment",
            comments,
            [
                *comment_keys,
                # the comment analysis ran before the gate: every comment with a text has its tone
                gxe.ExpectColumnValuesToNotBeNull(column="sentiment_if_text", meta=_block()),
                *comment_values,
            ],
        )
    )

    anomalies = _anomalies(con, daily, start)
    suites.append(
        Suite(
            "anomalies",
            anomalies,
            [
                gxe.ExpectColumnValuesToBeInSet(column="zero_after_steady", value_set=[False], meta=_warn()),
                gxe.ExpectColumnValuesToBeBetween(column="jump_ratio", max_value=JUMP_FACTOR, meta=_warn()),
            ],
        )
    )
    return suites


def run_suites(suites: list[Suite], docs_dir: Path | None) -> list[CheckResult]:
    """Validate every suite with one ephemeral GX context; build Data Docs into `docs_dir`."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas("socialmetrics")
    results: list[CheckResult] = []
    for suite_def in suites:
        asset = source.add_dataframe_asset(suite_def.name.replace(".", "_"))
        batch_def = asset.add_batch_definition_whole_dataframe("run_slice")
        suite = context.suites.add(gx.ExpectationSuite(name=suite_def.name))
        for exp in suite_def.expectations:
            suite.add_expectation(exp)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate {suite_def.name}", data=batch_def, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=f"check {suite_def.name}", validation_definitions=[validation])
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": suite_def.frame})
        for run_result in outcome.run_results.values():
            for res in run_result.results:
                cfg = res.expectation_config
                if cfg is None:
                    continue
                kwargs = {k: v for k, v in cfg.kwargs.items() if k != "batch_id"}
                result = res.result or {}
                details = _examples(suite_def.frame, result)
                if "value_set" in kwargs and cfg.type == "expect_column_distinct_values_to_contain_set":
                    # an aggregate expectation: no row is "unexpected", the set lacks values (GX gives the
                    # observed set only); name them
                    missing = sorted(set(kwargs["value_set"]) - set(result.get("observed_value") or []))
                    details = json.dumps({"missing": missing})
                results.append(
                    CheckResult(
                        suite=suite_def.name,
                        expectation=f"{cfg.type}({json.dumps(kwargs, default=str, sort_keys=True)})",
                        severity=(cfg.meta or {}).get("severity", BLOCKING),
                        success=bool(res.success),
                        observed_value=result.get("observed_value"),
                        unexpected_count=int(result.get("unexpected_count") or 0),
                        details=details,
                    )
                )
    if docs_dir is not None:
        context.build_data_docs(site_names=[DOCS_SITE])
    return results


def _examples(frame: pd.DataFrame, result: dict[str, Any]) -> str:
    """A few offending rows (with their keys), so the log says which account and day."""
    index = result.get("partial_unexpected_index_list") or []
    keys = [c for c in ("network", "account_id", "day", "post_id", "comment_id", "metric") if c in frame.columns]
    if index and keys:
        rows = frame.loc[[i for i in index[:3] if i in frame.index], keys]
        return json.dumps(rows.to_dict("records"), default=str)
    return json.dumps((result.get("partial_unexpected_list") or [])[:3], default=str)


def _finding(r: CheckResult, start: dt.date, end: dt.date) -> str:
    """What a failed check found, in words: the rows it counted, or what an aggregate check missed."""
    if r.unexpected_count:
        return f"{r.unexpected_count} unexpected, e.g. {r.details}"
    missing = json.loads(r.details).get("missing") if r.details.startswith("{") else None
    if missing and '"account_key"' in r.expectation:
        last = end - dt.timedelta(days=1)
        return f"no daily numbers in {start}..{last} for {', '.join(missing)}"
    if missing:
        return f"missing: {', '.join(str(m) for m in missing)}"
    return f"observed {json.dumps(r.observed_value, default=str)}"


def check_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    windows: dict[str, tuple[dt.date, dt.date]],
    expected_accounts: list[str],
    *,
    today: dt.date | None = None,
    docs_dir: Path | None = None,
    tz: str = transform.DEFAULT_TZ,
) -> list[CheckResult]:
    """Validate the run's slice; record results; raise QualityGateError on blocking failures."""
    if not windows:
        return []
    today = today or dt.datetime.now(dt.UTC).date()
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    suites = build_suites(con, start, end, expected_accounts, today, tz)
    results = run_suites(suites, docs_dir)
    now = dt.datetime.now(dt.UTC)
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM meta.quality_results WHERE run_id = ?", [run_id])
    for r in results:
        con.execute(
            "INSERT INTO meta.quality_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, r.suite, r.expectation, r.severity, r.success, json.dumps(r.observed_value, default=str),
             r.unexpected_count, r.details, now],
        )  # fmt: skip
    con.execute("COMMIT")
    failed = [r for r in results if not r.success]
    log.info(
        "data quality for %s: %d checks, %d passed, %d blocking failures, %d warnings",
        describe_days(start, end - dt.timedelta(days=1)), len(results), len(results) - len(failed),
        sum(r.severity == BLOCKING for r in failed), sum(r.severity == WARNING for r in failed),
    )  # fmt: skip
    for r in failed:
        log.warning("%s %s %s: %s", r.severity.upper(), r.suite, r.expectation, _finding(r, start, end))
    if docs_dir is not None:
        log.info("Data Docs: %s", docs_dir / "index.html")
    blocking = [r for r in failed if r.severity == BLOCKING]
    if blocking:
        lines = "\n".join(f"  - {r.suite}: {r.expectation} ({_finding(r, start, end)})" for r in blocking)
        raise QualityGateError(
            f"{len(blocking)} blocking data-quality check(s) failed; nothing was published and the marts still "
            f"show the previous run's numbers:\n{lines}\nDetails: table meta.quality_results, run_id '{run_id}'."
        )
    return results
