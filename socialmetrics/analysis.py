"""Campaign impact, honest for short, noisy daily series with small counts.

For each campaign, network and metric:

1. expected: what the campaign window would have shown without the campaign, from the account's own
   pre-period: the mean of each weekday over the 8 weeks before the window, summed over the
   window's weekdays (weekly seasonality, no model to overfit).
2. calibration: the same prediction is made for every window of the same length before the campaign
   (placebo windows, each with its own 8-week baseline). Their log errors are the predictor's
   real noise on this account, counts and autocorrelation included. Their median corrects the
   predictor's bias (growth); their spread gives the interval and the p-value. No normality, no
   Poisson assumption: the account's own history is the null distribution.
3. lift_pct = observed / (expected x bias) - 1. The placebo errors' spread is the noise; since
   overlapping placebo windows share days, only about one per window length is independent, so the
   95 % interval and the two-sided p-value use a t distribution with that many degrees of freedom
   (prediction-interval form). min_detectable_lift_pct = the lift that would just reach p = 0.05.
4. verdict: 'clear effect' when p < 0.05; 'inconclusive' when p < 0.20 or there are fewer than
   20 placebo windows (too little history); otherwise 'no evidence'.

Networks the campaign does not target get rows too (in_campaign = false): they are the control a
reader checks (a "lift" there means something else moved everything).
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

BASELINE_DAYS = 56
MIN_PLACEBOS = 20
MIN_WINDOW_DAYS = 3
METRICS = ("impressions", "reach", "engagements")
ALPHA = 0.05
INCONCLUSIVE_P = 0.20
METHOD = "weekday baseline (8 weeks), calibrated on same-length pre-campaign placebo windows"


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
    placebo_windows: int


def window_log_ratios(
    values: np.ndarray, weekdays: np.ndarray, starts: np.ndarray, length: int, baseline: int = BASELINE_DAYS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For windows [s, s+length): log((observed+0.5)/(expected+0.5)), observed, expected, valid.

    Vectorised with cumulative sums; a window is valid when it has no missing day and its baseline
    has at least half its days."""
    missing = np.isnan(values)
    clean = np.where(missing, 0.0, values)
    onehot = weekdays[:, None] == np.arange(7)[None, :]
    present = onehot & ~missing[:, None]
    zero7 = np.zeros((1, 7))
    sums = np.vstack([zero7, np.cumsum(clean[:, None] * present, axis=0)])
    counts = np.vstack([zero7, np.cumsum(present, axis=0)])
    days = np.vstack([zero7, np.cumsum(onehot, axis=0)])
    total = np.concatenate([[0.0], np.cumsum(clean)])
    gaps = np.concatenate([[0], np.cumsum(missing)])
    lo, hi, end = starts - baseline, starts, starts + length
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums[hi] - sums[lo]) / (counts[hi] - counts[lo])
    expected = np.nansum(means * (days[end] - days[hi]), axis=1)
    observed = total[end] - total[hi]
    valid = (
        (lo >= 0)
        & (gaps[end] - gaps[hi] == 0)
        & (counts[hi] - counts[lo]).min(axis=1).astype(bool)
        & ((gaps[hi] - gaps[lo]) <= baseline // 2)
    )
    ratio = np.log((observed + 0.5) / (expected + 0.5))
    return ratio, observed, expected, valid


def estimate(values: np.ndarray, weekdays: np.ndarray, start: int, length: int) -> Impact:
    """The campaign window [start, start+length) of a daily series against its own history."""
    if length < MIN_WINDOW_DAYS or start < BASELINE_DAYS:
        return Impact(None, None, None, None, None, None, "inconclusive", None, 0)
    obs_r, obs, exp, ok = window_log_ratios(values, weekdays, np.array([start]), length)
    if not ok[0]:
        return Impact(None, None, None, None, None, None, "inconclusive", None, 0)
    placebo_starts = np.arange(BASELINE_DAYS, start - length + 1)
    ratios, _o, _e, valid = window_log_ratios(values, weekdays, placebo_starts, length)
    placebo = ratios[valid]
    if len(placebo) < MIN_PLACEBOS:
        return Impact(float(obs[0]), float(exp[0]), None, None, None, None, "inconclusive", None, len(placebo))
    bias = float(np.median(placebo))
    errors = placebo - bias
    effect = float(obs_r[0]) - bias
    # Overlapping placebo windows share most of their days: only about one per window length is
    # independent. Their spread is the noise; a t reference with that effective count as degrees of
    # freedom (and the prediction-interval factor) keeps the false-alarm rate at the nominal level
    # where raw placebo quantiles would be too thin in the tails.
    independent = max(2, len(placebo_starts) // length)
    scale = float(np.std(errors, ddof=1)) * np.sqrt(1 + 1 / independent)
    t_crit = float(stats.t.ppf(1 - ALPHA / 2, independent - 1))
    p_value = float(2 * stats.t.sf(abs(effect) / scale, independent - 1)) if scale > 0 else 0.0
    mde = float(np.expm1(t_crit * scale))
    if p_value < ALPHA:
        verdict = "clear effect"
    elif p_value < INCONCLUSIVE_P:
        verdict = "inconclusive"
    else:
        verdict = "no evidence"
    return Impact(
        observed=float(obs[0]),
        expected=float((exp[0] + 0.5) * np.exp(bias) - 0.5),
        lift_pct=100 * float(np.expm1(effect)),
        ci_low_pct=100 * float(np.expm1(effect - t_crit * scale)),
        ci_high_pct=100 * float(np.expm1(effect + t_crit * scale)),
        p_value=p_value,
        verdict=verdict,
        min_detectable_lift_pct=100 * mde,
        placebo_windows=len(errors),
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
                if np.all(np.isnan(values)) or start < 0 or length < 1:
                    impact = Impact(None, None, None, None, None, None, "inconclusive", None, 0)
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
    columns = ["campaign", "network", "metric", "observed", "expected", "lift_pct", "ci_low_pct", "ci_high_pct",
               "p_value", "verdict", "min_detectable_lift_pct", "in_campaign", "start", "end", "placebo_windows",
               "method"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


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


def campaign_comment_sentiment(con: duckdb.DuckDBPyConnection, posts: pd.DataFrame) -> pd.DataFrame:
    """What people said under each campaign's posts: per campaign and network, the comment count, the
    shares of positive, neutral and negative comments, net sentiment and the three most frequent topics.

    As in marts.comment_sentiment, shares and net count only confident comments; uncertain_comments the rest."""
    con.register("campaign_posts_frame", posts[["campaign", "network", "account_id", "post_id"]])
    try:
        return con.execute(
            """
            WITH c AS (
                SELECT p.campaign, k.network, k.sentiment, k.topics, k.sentiment_confident
                FROM campaign_posts_frame AS p
                JOIN core.comment AS k USING (network, account_id, post_id)
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
    finally:
        con.unregister("campaign_posts_frame")


def publish(con: duckdb.DuckDBPyConnection, campaigns: list[Any]) -> dict[str, int]:
    """Rebuild marts.campaign_impact and marts.campaign_posts (inside the caller's transaction)."""
    written = {}
    posts = campaign_posts(con, campaigns)
    for table, frame in (
        ("marts.campaign_impact", campaign_impact(con, campaigns)),
        ("marts.campaign_posts", posts),
        ("marts.campaign_comment_sentiment", campaign_comment_sentiment(con, posts)),
    ):
        con.register("frame_to_publish", frame)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM frame_to_publish")
        con.unregister("frame_to_publish")
        written[table] = len(frame)
    log.info("campaign impact: %d rows, %d attributed posts", written["marts.campaign_impact"],
             written["marts.campaign_posts"])  # fmt: skip
    return written
