"""marts.alert_candidates: each account's daily figures and negative comments against their expected range.

The expected range is the campaign analysis's baseline (socialmetrics/analytics/campaigns.py), applied to
one day: log(count + 0.5) = level + weekday effect + trend on up to 26 weeks before the day, AR(2) errors,
the day as a one-day "campaign". A day is outside its range when the two-sided p-value of that one-day step
is below ALERT_P; the range is the expected value times exp(±t·se) at that level. ALERT_P is calibrated on
simulated years (benchmarks/alerts.py): at most one false alarm per account and month for the three daily
figures together, far below it for negative comments.

Negative comments are small counts (most days none), where a log-normal baseline is too wide to see a wave of
eight: their expected value is the mean of the same up to 26 weeks before the day, their spread a negative
binomial fitted to those days (method of moments; Poisson when they vary less), and the day is outside when
P(at least the observed count) is below ALERT_P. The rule's min_count keeps a quiet account's first three
comments from being a "wave".

The alert rules (config `alerts.rules`) choose from these rows; their figures are the rows' figures.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from socialmetrics.analytics.campaigns import MAX_BASELINE_DAYS, METRICS, MIN_BASELINE_DAYS, estimate

ALERT_P = 0.0005  # two-sided, per day and figure: see benchmarks/alerts.py
CANDIDATE_DAYS = 400  # days back from each account's latest day that get a row (about a year and a month)
NEGATIVE = "negative_comments"
COLUMNS = ["network", "account_id", "day", "figure", "observed", "expected", "range_low", "range_high",
           "change_pct", "p_value", "outside", "direction", "baseline_days", "reason"]  # fmt: skip


def day_check(values: np.ndarray, weekdays: np.ndarray, index: int, alert_p: float = ALERT_P) -> dict[str, Any]:
    """One day of a daily series against the baseline of the days before it."""
    impact = estimate(values, weekdays, index, 1, alpha=alert_p)
    row: dict[str, Any] = {"observed": impact.observed, "baseline_days": impact.baseline_days, "reason": impact.reason}
    if impact.p_value is None or impact.lift_pct is None or impact.observed is None:
        return {**row, "expected": None, "range_low": None, "range_high": None, "change_pct": None,
                "p_value": None, "outside": False, "direction": None}  # fmt: skip
    outside = impact.p_value < alert_p
    return {
        **row,
        "expected": impact.expected,
        # the one-day step's interval at the alert level, turned into the range of the day's value
        "range_low": impact.observed / (1 + impact.ci_high_pct / 100),  # type: ignore[operator]
        "range_high": impact.observed / (1 + impact.ci_low_pct / 100),  # type: ignore[operator]
        "change_pct": impact.lift_pct,
        "p_value": impact.p_value,
        "outside": bool(outside),
        "direction": ("up" if impact.lift_pct > 0 else "down") if outside else None,
    }


def count_check(values: np.ndarray, index: int, alert_p: float = ALERT_P) -> dict[str, Any]:
    """One day of a small daily count (negative comments) against the same count on the days before it."""
    pre = values[max(0, index - MAX_BASELINE_DAYS) : index]
    pre = pre[~np.isnan(pre)]
    observed = float(values[index])
    row: dict[str, Any] = {"observed": observed, "baseline_days": len(pre), "reason": None}
    if len(pre) < MIN_BASELINE_DAYS:
        reason = f"only {len(pre)} days before it; {MIN_BASELINE_DAYS} needed"
        return {**row, "expected": None, "range_low": None, "range_high": None, "change_pct": None, "p_value": None,
                "outside": False, "direction": None, "reason": reason}  # fmt: skip
    mean = max(float(pre.mean()), 0.5 / len(pre))  # none in the baseline: as if half a comment in it
    var = float(pre.var(ddof=1))
    if var > mean * 1.01:  # overdispersed: negative binomial with the baseline's mean and variance
        size = mean * mean / (var - mean)
        dist: Any = stats.nbinom(size, size / (size + mean))
    else:
        dist = stats.poisson(mean)
    p_value = float(dist.sf(observed - 1)) if observed > 0 else 1.0
    outside = p_value < alert_p
    return {
        **row,
        "expected": mean,
        "range_low": 0.0,
        "range_high": float(dist.ppf(1 - alert_p)),
        "change_pct": 100 * (observed / mean - 1),
        "p_value": min(1.0, p_value),
        "outside": outside,
        "direction": "up" if outside else None,
    }


def series_checks(
    frame: pd.DataFrame, value_column: str, days: int = CANDIDATE_DAYS, *, counts: bool = False
) -> list[dict[str, Any]]:
    """The last `days` days of one account's daily series (columns day and value_column), each checked."""
    frame = frame.dropna(subset=["day"])
    if frame.empty:
        return []
    first, last = pd.Timestamp(frame["day"].min()), pd.Timestamp(frame["day"].max())
    calendar = pd.date_range(first, last, freq="D")
    values = frame.set_index(pd.to_datetime(frame["day"]))[value_column].reindex(calendar).to_numpy("float64")
    if np.all(np.isnan(values)):
        return []
    weekdays = calendar.weekday.to_numpy()
    rows = []
    for index in range(max(MIN_BASELINE_DAYS, len(calendar) - days), len(calendar)):
        if np.isnan(values[index]):
            continue
        check = count_check(values, index) if counts else day_check(values, weekdays, index)
        rows.append({"day": calendar[index].date(), **check})
    return rows


def alert_candidates(con: duckdb.DuckDBPyConnection, tz: str) -> pd.DataFrame:
    """One row per account, day and figure (impressions, reach, engagements, negative_comments) of the last
    CANDIDATE_DAYS days with numbers, with the expected range and whether the day is outside it."""
    daily = con.execute(
        """
        SELECT r.network, r.account_id, r.day, r.impressions, r.reach, e.engagements
        FROM marts.reach_daily AS r
        LEFT JOIN marts.engagement_daily AS e USING (network, account_id, day)
        ORDER BY r.network, r.account_id, r.day
        """
    ).df()
    # negative comments per day of the company's calendar, zero on the account's days without one
    negative = con.execute(
        """
        WITH days AS (SELECT network, account_id, day FROM marts.reach_daily),
        neg AS (
            SELECT network, account_id, CAST(timezone($tz, created_at) AS DATE) AS day, count(*) AS n
            FROM core.comment
            WHERE sentiment = 'negative' AND sentiment_confident AND NOT coalesce(by_account, false)
            GROUP BY ALL
        ),
        active AS (SELECT DISTINCT network, account_id FROM core.comment)
        SELECT d.network, d.account_id, d.day, coalesce(n.n, 0) AS negative_comments
        FROM days AS d JOIN active USING (network, account_id)
        LEFT JOIN neg AS n USING (network, account_id, day)
        ORDER BY d.network, d.account_id, d.day
        """,
        {"tz": tz},
    ).df()
    rows: list[dict[str, Any]] = []
    for (network, account_id), frame in daily.groupby(["network", "account_id"], sort=True):
        for metric in METRICS:
            for row in series_checks(frame, metric):
                rows.append({"network": network, "account_id": account_id, "figure": metric, **row})
    for (network, account_id), frame in negative.groupby(["network", "account_id"], sort=True):
        for row in series_checks(frame, NEGATIVE, counts=True):
            rows.append({"network": network, "account_id": account_id, "figure": NEGATIVE, **row})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["day"] = pd.to_datetime(out["day"]).dt.date if len(out) else out["day"]
    return out
