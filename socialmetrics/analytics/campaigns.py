"""Campaign impact, honest for short, noisy daily series with small counts.

For each campaign, network and metric:

1. Baseline model, fitted on the account's own pre-period (the up to 26 weeks before the start, at
   least 8 weeks): log(count + 0.5) = level + weekday effect + linear trend + error. Daily counts are
   overdispersed and their day-to-day swings persist (a good week stays good for a while), so the
   errors are modelled as an autoregressive process, AR(2), estimated (Yule-Walker) on the
   pre-period residuals. Poisson noise, extra-Poisson noise and autocorrelation all end up in the
   residuals: nothing assumes Poisson.
2. Effect: the same regression over pre-period and campaign window with one extra term, a step of
   size delta on the campaign's days, fitted by feasible GLS (both sides prewhitened with the AR
   filter; Cochrane-Orcutt). delta is the mean log lift on the campaign's days relative to what the
   weekday pattern and trend predict; its standard error includes the uncertainty of the level,
   the weekday effects and the extrapolated trend, so it is wider with less history.
3. lift_pct = exp(delta) - 1; expected = observed / (1 + lift). The 95 % interval and the two-sided
   p-value use a t distribution; its degrees of freedom are the effective number of independent
   campaign-length windows in the data (prewhitened days / window length, at least 2), not the
   number of days: the AR fit itself is uncertain in short histories, and the t reference on the
   few truly independent windows keeps the false-alarm rate at the nominal level
   (benchmarks/campaign_simulation.py). min_detectable_lift_pct = the lift that would just reach
   p = 0.05.
4. verdict: 'clear effect' when p < 0.05; 'inconclusive' when p < 0.20; otherwise 'no evidence'.
   Where no estimate is possible (fewer than 8 weeks of numbers before the start, no numbers in the
   window, a metric the network does not report) the numbers are NULL, the verdict 'inconclusive'
   and `reason` says why.

Networks the campaign does not target get rows too (in_campaign = false): they are the control a
reader checks (a "lift" there means something else moved everything).

Web outcomes (marts.web_outcomes_daily, marts.web_goal_daily), per analytics site: visits, conversions (all goals,
and each goal named in the config: `goal`) and revenue, from social media as a whole (network 'social': in the
campaign) and from each network (in the campaign when targeted), by the same method. A day the site answered for
and a network has no row counts 0 for it; a day the site did not answer is missing. Visits are a few dozen a day
and conversions a few: the simulation (benchmarks/campaign_simulation.py) measures false alarms and detection
for such counts too.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

log = logging.getLogger(__name__)

MIN_BASELINE_DAYS = 56  # 8 weeks of numbers before the start: below that, no estimate
MAX_BASELINE_DAYS = 182  # the baseline is local: a linear trend over more than half a year is not
AR_ORDER = 2
MIN_WINDOW_DAYS = 1
METRICS = ("impressions", "reach", "engagements")
WEB_METRICS = ("visits", "conversions", "revenue")
ALPHA = 0.05
INCONCLUSIVE_P = 0.20
METHOD = (
    "log-linear baseline (weekday, trend) on up to 26 weeks before the start, AR(2) errors (feasible GLS), "
    "t reference on the independent campaign-length windows"
)


@dataclass(frozen=True)
class Impact:
    """The estimate for one campaign window of one series."""

    observed: float | None
    expected: float | None
    lift_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    p_value: float | None
    verdict: str
    min_detectable_lift_pct: float | None
    baseline_days: int
    reason: str | None = None


def no_estimate(reason: str, observed: float | None = None, baseline_days: int = 0) -> Impact:
    """A row without numbers, saying why."""
    return Impact(observed, None, None, None, None, None, "inconclusive", None, baseline_days, reason)


def _design(t: np.ndarray, weekdays: np.ndarray, start: int, step: np.ndarray | None) -> np.ndarray:
    """Columns: level, six weekday contrasts, trend (weeks from the start), the campaign step."""
    cols = [np.ones(len(t))]
    cols += [(weekdays == d).astype("float64") for d in range(1, 7)]
    cols.append((t - start) / 7.0)
    if step is not None:
        cols.append(step)
    return np.column_stack(cols)


def _ar_coefficients(residuals: np.ndarray, order: int) -> np.ndarray:
    """Yule-Walker AR coefficients of a residual series with gaps (NaN): autocovariances over the
    pairs of days both present."""
    r = residuals - np.nanmean(residuals)
    n = len(r)
    gamma = np.empty(order + 1)
    for k in range(order + 1):
        a, b = r[: n - k], r[k:]
        both = ~(np.isnan(a) | np.isnan(b))
        gamma[k] = float(np.sum(a[both] * b[both])) / max(int(np.sum(~np.isnan(r))), 1)
    if gamma[0] <= 0:
        return np.zeros(order)
    toeplitz = np.array([[gamma[abs(i - j)] for j in range(order)] for i in range(order)])
    phi = np.linalg.solve(toeplitz, gamma[1:])
    # A non-stationary fit (rare, in very short series) would explode the prewhitening: drop to AR(1).
    if np.any(np.abs(np.roots(np.concatenate([[1.0], -phi]))) >= 1):
        return np.concatenate([[np.clip(gamma[1] / gamma[0], -0.95, 0.95)], np.zeros(order - 1)])
    return phi


def _prewhiten(series: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """series[t] - sum_j phi_j series[t-j] along axis 0 (NaN where a needed day is missing)."""
    p = len(phi)
    out = series[p:].copy()
    for j, coef in enumerate(phi, start=1):
        out = out - coef * series[p - j : len(series) - j]
    return out


def estimate(values: np.ndarray, weekdays: np.ndarray, start: int, length: int, alpha: float = ALPHA) -> Impact:
    """The campaign window [start, start+length) of a daily series against its own history; the interval and
    min_detectable_lift_pct at level `alpha` (the alerts check one day at a stricter level)."""
    lo = max(0, start - MAX_BASELINE_DAYS)
    pre = values[lo:start]
    baseline_days = int(np.sum(~np.isnan(pre)))
    window = values[start : start + length]
    seen = ~np.isnan(window)
    observed = float(np.sum(window[seen])) if seen.any() else None
    if length < MIN_WINDOW_DAYS:
        return no_estimate("the campaign has no days yet")
    if baseline_days < MIN_BASELINE_DAYS:
        return no_estimate(
            f"only {baseline_days} days with numbers before the start; the baseline needs {MIN_BASELINE_DAYS} "
            "(8 weeks)", observed, baseline_days,
        )  # fmt: skip
    if observed is None:
        return no_estimate("no numbers for any day of the campaign", None, baseline_days)
    y = np.log(values[lo : start + length] + 0.5)
    t = np.arange(lo, start + length, dtype="float64")
    wd = weekdays[lo : start + length]
    step = (t >= start).astype("float64")
    in_pre = t < start
    # 1. the baseline alone on the pre-period: its residuals give the error process
    x_pre = _design(t[in_pre], wd[in_pre], start, None)
    ok = ~np.isnan(y[in_pre])
    coef, *_ = np.linalg.lstsq(x_pre[ok], y[in_pre][ok], rcond=None)
    residuals = y[in_pre] - x_pre @ coef
    phi = _ar_coefficients(residuals, AR_ORDER)
    # 2. baseline + campaign step on both, prewhitened (feasible GLS)
    x = _design(t, wd, start, step)
    y_w, x_w = _prewhiten(y, phi), _prewhiten(x, phi)
    rows = ~(np.isnan(y_w) | np.isnan(x_w).any(axis=1))
    y_w, x_w = y_w[rows], x_w[rows]
    n, k = x_w.shape
    if n - k < 2 or np.linalg.matrix_rank(x_w) < k:
        return no_estimate("too few consecutive days with numbers to fit the baseline", observed, baseline_days)
    beta, *_ = np.linalg.lstsq(x_w, y_w, rcond=None)
    sigma2 = float(np.sum((y_w - x_w @ beta) ** 2)) / (n - k)
    cov = sigma2 * np.linalg.inv(x_w.T @ x_w)
    effect, se = float(beta[-1]), float(np.sqrt(cov[-1, -1]))
    # The AR fit on a few weeks is itself uncertain, so the days are not n independent observations:
    # the t reference counts independent campaign-length windows instead (at least 2).
    dof = max(2.0, n / max(length, 7) - 1)
    t_crit = float(stats.t.ppf(1 - alpha / 2, dof))
    if se > 1e-9:
        p_value = float(2 * stats.t.sf(abs(effect) / se, dof))
    else:  # a series without any noise: any change is certain, no change is none
        p_value = 0.0 if abs(effect) > 1e-6 else 1.0
    if p_value < ALPHA:
        verdict = "clear effect"
    elif p_value < INCONCLUSIVE_P:
        verdict = "inconclusive"
    else:
        verdict = "no evidence"
    missing = int(np.sum(~seen))
    reason = f"{missing} of {length} campaign days have no numbers; estimated on the others" if missing else None
    return Impact(
        observed=observed,
        expected=observed / float(np.exp(effect)),
        lift_pct=100 * float(np.expm1(effect)),
        ci_low_pct=100 * float(np.expm1(effect - t_crit * se)),
        ci_high_pct=100 * float(np.expm1(effect + t_crit * se)),
        p_value=p_value,
        verdict=verdict,
        min_detectable_lift_pct=100 * float(np.expm1(t_crit * se)),
        baseline_days=baseline_days,
        reason=reason,
    )


def campaign_impact(con: duckdb.DuckDBPyConnection, campaigns: list[Any]) -> pd.DataFrame:
    """One row per campaign, network and metric (targeted networks and the controls)."""
    daily = con.execute(
        f"SELECT network, day, {', '.join(f'sum({m}) AS {m}' for m in METRICS)} "
        "FROM core.account_daily GROUP BY network, day ORDER BY network, day"
    ).df()
    rows: list[dict[str, Any]] = []
    for campaign in campaigns:
        targeted = {n.lower() for n in campaign.networks}
        for network, frame in daily.groupby("network"):
            first, last = frame["day"].min().date(), frame["day"].max().date()
            calendar = pd.date_range(first, last, freq="D")
            series = frame.set_index("day").reindex(calendar)
            start = (pd.Timestamp(campaign.start) - pd.Timestamp(first)).days
            end = min(campaign.end, last)  # a running campaign: the days so far
            length = (end - campaign.start).days + 1
            weekdays = calendar.weekday.to_numpy()
            for metric in METRICS:
                values = series[metric].to_numpy(dtype="float64")
                if np.all(np.isnan(values)):
                    impact = no_estimate(f"{network} does not report {metric}")
                elif start < 0:
                    impact = no_estimate(f"the campaign starts before the first day with numbers ({first})")
                elif length < 1:
                    impact = no_estimate(f"no numbers yet for the campaign's days (latest: {last})")
                else:
                    impact = estimate(values, weekdays, start, length)
                rows.append(
                    {
                        "campaign": campaign.name,
                        "network": network,
                        "metric": metric,
                        "in_campaign": (not targeted) or network in targeted,
                        "start": campaign.start,
                        "end": campaign.end,
                        **impact.__dict__,
                        "method": METHOD,
                    }
                )
    rows += _web_impact(con, campaigns)
    columns = ["campaign", "network", "metric", "observed", "expected", "lift_pct", "ci_low_pct", "ci_high_pct",
               "p_value", "verdict", "min_detectable_lift_pct", "in_campaign", "start", "end", "baseline_days",
               "reason", "method", "analytics", "site_id", "goal"]  # fmt: skip
    # typed text even when every row is NULL (no website analytics), so the table's columns never change type
    return pd.DataFrame(rows, columns=columns).astype({"analytics": "string", "site_id": "string", "goal": "string"})


def _web_daily(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per site, network (not 'all'), day and metric ('visits', 'conversions', 'revenue', or 'goal:<name>'): the
    value; 0 on a day the site answered and the network had no row. Empty without the web marts."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' "
        "AND table_name IN ('web_outcomes_daily', 'web_goal_daily')"
    ).fetchone()
    if not found or found[0] < 2:
        return pd.DataFrame(columns=["analytics", "site_id", "network", "metric", "day", "value"])
    return con.execute(
        """
        WITH site_days AS (
            SELECT DISTINCT analytics, site_id, day FROM marts.web_outcomes_daily
            WHERE network = 'all' AND campaign IS NULL
        ),
        values AS (
            SELECT analytics, site_id, network, day, m.metric,
                CASE m.metric WHEN 'visits' THEN visits WHEN 'conversions' THEN conversions ELSE revenue END AS value
            FROM marts.web_outcomes_daily
            CROSS JOIN (VALUES ('visits'), ('conversions'), ('revenue')) AS m (metric)
            WHERE campaign IS NULL AND network <> 'all'
            UNION ALL
            SELECT analytics, site_id, network, day, 'goal:' || goal_name, conversions
            FROM marts.web_goal_daily
            WHERE campaign IS NULL AND network <> 'all' AND goal_name IS NOT NULL
        ),
        series AS (SELECT DISTINCT analytics, site_id, network, metric FROM values)
        SELECT s.analytics, s.site_id, s.network, s.metric, d.day, CAST(coalesce(v.value, 0) AS DOUBLE) AS value
        FROM series AS s
        JOIN site_days AS d USING (analytics, site_id)
        LEFT JOIN values AS v USING (analytics, site_id, network, metric, day)
        ORDER BY s.analytics, s.site_id, s.network, s.metric, d.day
        """
    ).df()


def _web_impact(con: duckdb.DuckDBPyConnection, campaigns: list[Any]) -> list[dict[str, Any]]:
    """The web outcomes' rows: per campaign, site, network ('social' and each network) and metric."""
    daily = _web_daily(con)
    rows: list[dict[str, Any]] = []
    if daily.empty:
        return rows
    for campaign in campaigns:
        targeted = {n.lower() for n in campaign.networks}
        for (analytics, site_id, network, metric), frame in daily.groupby(["analytics", "site_id", "network",
                                                                             "metric"]):  # fmt: skip
            first, last = frame["day"].min().date(), frame["day"].max().date()
            calendar = pd.date_range(first, last, freq="D")
            values = frame.set_index("day")["value"].reindex(calendar).to_numpy(dtype="float64")
            start = (pd.Timestamp(campaign.start) - pd.Timestamp(first)).days
            length = (min(campaign.end, last) - campaign.start).days + 1
            if start < 0:
                impact = no_estimate(f"the campaign starts before the site's first day with numbers ({first})")
            elif length < 1:
                impact = no_estimate(f"no website numbers yet for the campaign's days (latest: {last})")
            else:
                impact = estimate(values, calendar.weekday.to_numpy(), start, length)
            goal = metric.removeprefix("goal:") if metric.startswith("goal:") else None
            rows.append(
                {
                    "campaign": campaign.name,
                    "network": network,
                    "metric": "conversions" if goal else metric,
                    "in_campaign": network == "social" or not targeted or network in targeted,
                    "start": campaign.start,
                    "end": campaign.end,
                    **impact.__dict__,
                    "method": METHOD,
                    "analytics": analytics,
                    "site_id": site_id,
                    "goal": goal,
                }
            )
    return rows


def campaign_posts(con: duckdb.DuckDBPyConnection, campaigns: list[Any]) -> pd.DataFrame:
    """Posts attributed to each campaign: by tag (#tag or the word in the text) or, without tags,
    by being published in the window on a targeted network."""
    posts = con.execute(
        "SELECT network, account_id, post_id, published_at, text, impressions, engagements FROM core.post"
    ).df()
    rows = []
    for campaign in campaigns:
        targeted = {n.lower() for n in campaign.networks}
        start = pd.Timestamp(campaign.start, tz="UTC")
        end = pd.Timestamp(campaign.end + dt.timedelta(days=1), tz="UTC")
        for post in posts.itertuples(index=False):
            in_window = start <= post.published_at < end and (not targeted or post.network in targeted)
            text = post.text.lower() if isinstance(post.text, str) else ""  # NULL comes back as NaN
            tagged = [t for t in campaign.tags if f"#{t.lower()}" in text or t.lower() in text]
            if tagged or (in_window and not campaign.tags):
                rows.append(
                    {"campaign": campaign.name, **post._asdict(), "attributed_by": "tag" if tagged else "window"}
                )
    columns = ["campaign", "network", "account_id", "post_id", "published_at", "text", "impressions",
               "engagements", "attributed_by"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def campaign_comment_sentiment(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What people said under each campaign's posts (marts.campaign_posts): per campaign and network, the comment
    count, the shares of positive, neutral and negative comments, net sentiment and the three most frequent topics.

    As in marts.comment_sentiment, shares and net count only confident comments; uncertain_comments the rest."""
    return con.execute(
        """
            WITH c AS (
                SELECT p.campaign, k.network, k.sentiment, k.topics, k.sentiment_confident
                FROM marts.campaign_posts AS p
                JOIN core.comment AS k USING (network, account_id, post_id)
                WHERE NOT coalesce(k.by_account, false)  -- the audience's comments, not the account's answers
            ),
            counted AS (
                SELECT campaign, network, count(*) AS comments,
                    count(*) FILTER (WHERE sentiment IS NOT NULL) AS classified,
                    count(*) FILTER (WHERE sentiment IS NOT NULL AND sentiment_confident) AS confident,
                    count(*) FILTER (WHERE sentiment = 'positive' AND sentiment_confident) AS positive,
                    count(*) FILTER (WHERE sentiment = 'neutral' AND sentiment_confident) AS neutral,
                    count(*) FILTER (WHERE sentiment = 'negative' AND sentiment_confident) AS negative
                FROM c GROUP BY campaign, network
            ),
            topics AS (
                SELECT *, row_number() OVER (PARTITION BY campaign, network ORDER BY n DESC, topic) AS rn
                FROM (
                    SELECT campaign, network, topic, count(*) AS n
                    FROM (SELECT campaign, network, unnest(topics) AS topic FROM c)
                    GROUP BY campaign, network, topic
                )
            )
            SELECT k.campaign, k.network, k.comments, k.classified,
                k.confident AS confident_comments, k.classified - k.confident AS uncertain_comments,
                k.positive / nullif(k.confident, 0) AS positive_share,
                k.neutral / nullif(k.confident, 0) AS neutral_share,
                k.negative / nullif(k.confident, 0) AS negative_share,
                (k.positive - k.negative) / nullif(k.confident, 0) AS net_sentiment,
                (SELECT string_agg(t.topic, ', ' ORDER BY t.n DESC, t.topic) FROM topics AS t
                 WHERE t.campaign = k.campaign AND t.network = k.network AND t.rn <= 3) AS top_topics
            FROM counted AS k ORDER BY k.campaign, k.network
            """
    ).df()
