"""The dashboard's mart queries: every figure it shows is one of these, run on the readers' copy.

They read the marts (and core.comment, which the readers' copy carries for the comment pages) and nothing
else; the pages format what they return and compute nothing. Periods are [start, end) in days: `end` is the
day after the last day shown. docs/dashboard.md lists them with what each figure means.

The overview compares a period with the one of the same length just before it, like for like as
marts.weekly_headline does for ISO weeks: a figure is compared only when the same accounts stand behind it
on both sides and each of them reported it on every day of both periods; `status` says why not otherwise
(the same words as weekly_headline's previous_status). For an ISO week the figures equal weekly_headline's
(tests/test_dashboard.py checks it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from socialmetrics.serve import readers


class NoReadersCopyError(RuntimeError):
    """The readers' copy of the marts does not exist yet (no run has published it)."""


def connect(warehouse: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the readers' copy (never the writer's file). A new one for every page: after
    the nightly swap the next page shows the new numbers, and the writer never waits for the dashboard."""
    path = readers.readers_path(warehouse)
    if not path.exists():
        raise NoReadersCopyError(str(path))
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """'schema.table' of every table and view in the copy: pages of marts that do not exist are left out."""
    rows = con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()
    return {str(r[0]) for r in rows}


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object] | None = None) -> pd.DataFrame:
    return con.execute(sql, dict(params or {})).df()


DATA_RANGE = """
SELECT min(day) AS first_day, max(day) AS last_day FROM marts.reach_daily
"""


def data_range(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.date | None]:
    """The first and the last day with numbers."""
    row = con.execute(DATA_RANGE).fetchone()
    return (row[0], row[1]) if row else (None, None)


# The headline figures of [$start, $end) against [$prev_start, $start), like for like. Counts are sums; the
# engagement rate is the ratio of the sums of the days that have both parts; the tone is the net sentiment
# of the confident comments written in the period (company time zone), compared whenever both sides have one.
OVERVIEW = """
WITH facts AS (
    SELECT network, account_id, day, 'reach' AS figure, CAST(reach AS DOUBLE) AS num, NULL::DOUBLE AS den
    FROM marts.reach_daily WHERE reach IS NOT NULL AND day >= $prev_start AND day < $end
    UNION ALL
    SELECT network, account_id, day, 'impressions', impressions, NULL
    FROM marts.engagement_daily WHERE impressions IS NOT NULL AND day >= $prev_start AND day < $end
    UNION ALL
    SELECT network, account_id, day, 'engagements', engagements, NULL
    FROM marts.engagement_daily WHERE engagements IS NOT NULL AND day >= $prev_start AND day < $end
    UNION ALL
    SELECT network, account_id, day, 'engagement_rate', engagements, impressions
    FROM marts.engagement_daily
    WHERE engagements IS NOT NULL AND impressions IS NOT NULL AND day >= $prev_start AND day < $end
    UNION ALL
    SELECT network, account_id, day, 'follower_gain', follower_gain, NULL
    FROM marts.reach_daily WHERE follower_gain IS NOT NULL AND day >= $prev_start AND day < $end
    UNION ALL
    -- comments as marts.account_weekly counts them: the network's count, else (a network whose comment
    -- texts are loaded and that gives no count: Facebook) the comments loaded, 0 on a day without one
    SELECT e.network, e.account_id, e.day, 'comments',
        CASE WHEN e.comments IS NOT NULL THEN e.comments ELSE coalesce(c.loaded, 0) END, NULL
    FROM marts.engagement_daily AS e
    LEFT JOIN (
        SELECT network, account_id, CAST(timezone($tz, created_at) AS DATE) AS day, count(*) AS loaded
        FROM core.comment GROUP BY ALL
    ) AS c USING (network, account_id, day)
    WHERE e.day >= $prev_start AND e.day < $end
      AND (e.comments IS NOT NULL OR e.network IN (SELECT DISTINCT network FROM core.comment))
),

per_account AS (
    SELECT
        CASE WHEN day >= $start THEN 'this' ELSE 'previous' END AS side,
        figure, network || '/' || account_id AS account, count(DISTINCT day) AS days, sum(num) AS num, sum(den) AS den
    FROM facts
    GROUP BY ALL
),

sides AS (
    SELECT
        side,
        figure,
        CASE WHEN figure = 'engagement_rate' THEN sum(num) / nullif(sum(den), 0) ELSE sum(num) END AS value,
        list_sort(list(account)) AS accounts,
        bool_and(days = $days) AS whole
    FROM per_account
    GROUP BY side, figure
),

tone AS (
    SELECT
        CASE WHEN CAST(timezone($tz, created_at) AS DATE) >= $start THEN 'this' ELSE 'previous' END AS side,
        'tone' AS figure,
        CAST(count(*) FILTER (WHERE sentiment = 'positive') - count(*) FILTER (WHERE sentiment = 'negative') AS DOUBLE)
            / nullif(count(*), 0) AS value,
        NULL::VARCHAR[] AS accounts,
        true AS whole
    FROM core.comment
    WHERE sentiment IS NOT NULL AND sentiment_confident
      AND created_at >= CAST($prev_start AS TIMESTAMP) AT TIME ZONE 'UTC' - INTERVAL 1 DAY
      AND created_at < CAST($end AS TIMESTAMP) AT TIME ZONE 'UTC' + INTERVAL 1 DAY
      AND CAST(timezone($tz, created_at) AS DATE) >= $prev_start AND CAST(timezone($tz, created_at) AS DATE) < $end
    GROUP BY ALL
),

posts AS (
    SELECT
        CASE WHEN CAST(timezone($tz, published_at) AS DATE) >= $start THEN 'this' ELSE 'previous' END AS side,
        'posts' AS figure, CAST(count(*) AS DOUBLE) AS value, NULL::VARCHAR[] AS accounts, true AS whole
    FROM marts.post_performance
    WHERE CAST(timezone($tz, published_at) AS DATE) >= $prev_start AND CAST(timezone($tz, published_at) AS DATE) < $end
    GROUP BY ALL
),

all_sides AS (
    SELECT * FROM sides UNION ALL SELECT * FROM tone UNION ALL SELECT * FROM posts
),

figures AS (
    SELECT * FROM (VALUES (1, 'reach'), (2, 'impressions'), (3, 'engagements'), (4, 'engagement_rate'),
        (5, 'follower_gain'), (6, 'comments'), (7, 'posts'), (8, 'tone')) AS f(position, figure)
)

SELECT
    f.position,
    f.figure,
    t.value,
    t.accounts,
    coalesce(t.whole, false) AS whole,
    p.value AS previous_value,
    p.accounts AS previous_accounts,
    CASE
        WHEN t.value IS NULL THEN 'no_value'
        WHEN p.value IS NULL THEN 'no_previous'
        WHEN NOT t.whole THEN 'this_week_partial'
        WHEN NOT p.whole THEN 'previous_partial'
        WHEN t.accounts IS DISTINCT FROM p.accounts THEN 'accounts_differ'
        ELSE 'ok'
    END AS status,
    CASE
        WHEN t.value IS NULL OR p.value IS NULL OR NOT t.whole OR NOT p.whole
            OR t.accounts IS DISTINCT FROM p.accounts THEN NULL
        WHEN f.figure IN ('engagement_rate', 'tone', 'follower_gain') THEN t.value - p.value
        ELSE t.value / nullif(p.value, 0) - 1
    END AS change
FROM figures AS f
LEFT JOIN all_sides AS t ON t.figure = f.figure AND t.side = 'this'
LEFT JOIN all_sides AS p ON p.figure = f.figure AND p.side = 'previous'
ORDER BY f.position
"""


def overview(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, tz: str) -> pd.DataFrame:
    """One row per headline figure of [start, end) with the period of the same length before it."""
    days = (end - start).days
    params = {"start": start, "end": end, "prev_start": start - dt.timedelta(days=days), "days": days, "tz": tz}
    return _df(con, OVERVIEW, params)


NETWORKS = """
SELECT DISTINCT network FROM marts.reach_daily
UNION SELECT DISTINCT network FROM marts.engagement_daily
ORDER BY network
"""


def networks(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The networks with daily numbers."""
    return [str(r[0]) for r in con.execute(NETWORKS).fetchall()]


# A network's days: every account's numbers added up per day; the rate is the ratio of the day's sums.
NETWORK_DAILY = """
SELECT
    coalesce(r.day, e.day) AS day,
    sum(r.reach) AS reach,
    sum(e.impressions) AS impressions,
    sum(e.engagements) AS engagements,
    sum(e.engagements) FILTER (WHERE e.impressions IS NOT NULL)
        / nullif(sum(e.impressions) FILTER (WHERE e.engagements IS NOT NULL), 0) AS engagement_rate,
    sum(r.followers) AS followers,
    sum(r.follower_gain) AS follower_gain
FROM marts.reach_daily AS r
FULL OUTER JOIN marts.engagement_daily AS e USING (network, account_id, day)
WHERE coalesce(r.network, e.network) = $network AND coalesce(r.day, e.day) >= $start AND coalesce(r.day, e.day) < $end
GROUP BY ALL
ORDER BY day
"""

# Its weeks as marts.account_weekly has them (the weeks that overlap the period), accounts added up.
NETWORK_WEEKLY = """
SELECT
    week_start,
    sum(reach) AS reach,
    sum(impressions) AS impressions,
    sum(engagements) AS engagements,
    sum(rate_engagements) / nullif(sum(rate_impressions), 0) AS engagement_rate,
    sum(followers_end) AS followers_end,
    sum(follower_gain) AS follower_gain,
    sum(posts) AS posts,
    sum(comments) AS comments
FROM marts.account_weekly
WHERE network = $network AND week_start > $start - INTERVAL 7 DAY AND week_start < $end
GROUP BY ALL
ORDER BY week_start
"""

# The period's totals of the network: reach, engagements, the rate (ratio of sums over the days with both
# parts), the followers at the period's last day with numbers and the gain.
NETWORK_TOTALS = """
WITH days AS (
    SELECT r.account_id, coalesce(r.day, e.day) AS day, r.reach, r.followers, r.follower_gain,
        e.impressions, e.engagements
    FROM marts.reach_daily AS r
    FULL OUTER JOIN marts.engagement_daily AS e USING (network, account_id, day)
    WHERE coalesce(r.network, e.network) = $network
      AND coalesce(r.day, e.day) >= $start AND coalesce(r.day, e.day) < $end
),
last_followers AS (
    SELECT account_id, arg_max(followers, day) AS followers FROM days WHERE followers IS NOT NULL GROUP BY ALL
)
SELECT
    (SELECT sum(reach) FROM days) AS reach,
    (SELECT sum(impressions) FROM days) AS impressions,
    (SELECT sum(engagements) FROM days) AS engagements,
    (SELECT sum(engagements) FILTER (WHERE impressions IS NOT NULL)
        / nullif(sum(impressions) FILTER (WHERE engagements IS NOT NULL), 0) FROM days) AS engagement_rate,
    (SELECT sum(followers) FROM last_followers) AS followers,
    (SELECT sum(follower_gain) FROM days) AS follower_gain
"""


def network_daily(con: duckdb.DuckDBPyConnection, network: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, NETWORK_DAILY, {"network": network, "start": start, "end": end})


def network_weekly(con: duckdb.DuckDBPyConnection, network: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, NETWORK_WEEKLY, {"network": network, "start": start, "end": end})


def network_totals(con: duckdb.DuckDBPyConnection, network: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, NETWORK_TOTALS, {"network": network, "start": start, "end": end})


# Every post published in the period (company time zone), its lifetime figures from marts.post_performance,
# its tags (the #words of its text, lower case) and its comments' tone (confident ones, core.comment).
POSTS = """
WITH tone AS (
    SELECT network, account_id, post_id,
        count(*) AS comments_loaded,
        CAST(count(*) FILTER (WHERE sentiment = 'positive' AND sentiment_confident)
            - count(*) FILTER (WHERE sentiment = 'negative' AND sentiment_confident) AS DOUBLE)
            / nullif(count(*) FILTER (WHERE sentiment IS NOT NULL AND sentiment_confident), 0) AS net_sentiment
    FROM core.comment
    GROUP BY ALL
)
SELECT
    p.network,
    p.account_id,
    p.post_id,
    CAST(timezone($tz, p.published_at) AS TIMESTAMP) AS published,
    p.text,
    list_distinct(regexp_extract_all(lower(coalesce(p.text, '')), '#([[:alnum:]_äöüß]+)', 1)) AS tags,
    p.format,
    p.impressions,
    p.reach,
    p.reactions,
    p.comments,
    p.shares,
    p.clicks,
    p.engagements,
    p.engagement_rate,
    t.comments_loaded,
    t.net_sentiment,
    p.permalink
FROM marts.post_performance AS p
LEFT JOIN tone AS t USING (network, account_id, post_id)
WHERE CAST(timezone($tz, p.published_at) AS DATE) >= $start AND CAST(timezone($tz, p.published_at) AS DATE) < $end
  AND (len(CAST($networks AS VARCHAR[])) = 0 OR list_contains(CAST($networks AS VARCHAR[]), p.network))
  AND ($tag = '' OR list_contains(regexp_extract_all(lower(coalesce(p.text, '')), '#([[:alnum:]_äöüß]+)', 1), $tag))
  AND (len(CAST($formats AS VARCHAR[])) = 0 OR list_contains(CAST($formats AS VARCHAR[]), p.format))
  AND ($search = '' OR contains(lower(coalesce(p.text, '')), lower($search)))
ORDER BY {order} NULLS LAST, p.published_at DESC, p.post_id
"""
# The formats of marts.post_performance.format (docs/data.md "Post format"); NULL (the network does not say)
# is in no format's filter.
POST_FORMATS = ("text", "image", "video", "link", "album", "reel", "poll", "other")
POST_ORDER = {
    "published": "p.published_at DESC",
    "engagements": "p.engagements DESC",
    "engagement_rate": "p.engagement_rate DESC",
    "impressions": "p.impressions DESC",
    "comments": "p.comments DESC",
}


def posts(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    tz: str,
    *,
    networks: list[str] | None = None,
    tag: str = "",
    formats: list[str] | None = None,
    search: str = "",
    order: str = "published",
) -> pd.DataFrame:
    """The posts of the period, filtered by network, tag (without #), format and a word of the text, in `order`."""
    sql = POSTS.replace("{order}", POST_ORDER[order])
    params = {"start": start, "end": end, "tz": tz, "networks": networks or [], "tag": tag.lstrip("#").lower()}
    return _df(con, sql, params | {"formats": formats or [], "search": search})


TAGS = """
SELECT tag, count(*) AS posts
FROM (
    SELECT unnest(list_distinct(regexp_extract_all(lower(coalesce(text, '')), '#([[:alnum:]_äöüß]+)', 1))) AS tag
    FROM marts.post_performance
    WHERE CAST(timezone($tz, published_at) AS DATE) >= $start AND CAST(timezone($tz, published_at) AS DATE) < $end
)
GROUP BY ALL
ORDER BY posts DESC, tag
"""


def tags(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, tz: str) -> pd.DataFrame:
    return _df(con, TAGS, {"start": start, "end": end, "tz": tz})


# A post's comments (texts the retention has not deleted yet), oldest first, with their tone.
POST_COMMENTS = """
SELECT
    CAST(timezone($tz, created_at) AS TIMESTAMP) AS written,
    text,
    sentiment,
    sentiment_confident AS confident,
    sentiment_confidence AS confidence,
    array_to_string(topics, ', ') AS topics,
    parent_id IS NOT NULL AS reply
FROM core.comment
WHERE network = $network AND account_id = $account_id AND post_id = $post_id
ORDER BY created_at, comment_id
"""


def post_comments(con: duckdb.DuckDBPyConnection, network: str, account_id: str, post_id: str, tz: str) -> pd.DataFrame:
    params = {"network": network, "account_id": account_id, "post_id": post_id, "tz": tz}
    return _df(con, POST_COMMENTS, params)


# The tone week by week (the comments' creation week, company time zone): confident comments only in the shares.
TONE_WEEKLY = """
SELECT
    CAST(date_trunc('week', CAST(timezone($tz, created_at) AS DATE)) AS DATE) AS week_start,
    count(*) AS comments,
    count(*) FILTER (WHERE sentiment IS NOT NULL AND sentiment_confident) AS confident,
    count(*) FILTER (WHERE sentiment = 'positive' AND sentiment_confident) AS positive,
    count(*) FILTER (WHERE sentiment = 'neutral' AND sentiment_confident) AS neutral,
    count(*) FILTER (WHERE sentiment = 'negative' AND sentiment_confident) AS negative,
    CAST(count(*) FILTER (WHERE sentiment = 'positive' AND sentiment_confident)
        - count(*) FILTER (WHERE sentiment = 'negative' AND sentiment_confident) AS DOUBLE)
        / nullif(count(*) FILTER (WHERE sentiment IS NOT NULL AND sentiment_confident), 0) AS net_sentiment
FROM core.comment
WHERE CAST(timezone($tz, created_at) AS DATE) >= $start AND CAST(timezone($tz, created_at) AS DATE) < $end
GROUP BY ALL
ORDER BY week_start
"""

TOPICS = """
SELECT topic, count(*) AS comments,
    count(*) FILTER (WHERE sentiment = 'positive' AND sentiment_confident) AS positive,
    count(*) FILTER (WHERE sentiment = 'negative' AND sentiment_confident) AS negative
FROM (
    SELECT unnest(topics) AS topic, sentiment, sentiment_confident
    FROM core.comment
    WHERE CAST(timezone($tz, created_at) AS DATE) >= $start AND CAST(timezone($tz, created_at) AS DATE) < $end
)
GROUP BY ALL
ORDER BY comments DESC, topic
"""


def tone_weekly(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, tz: str) -> pd.DataFrame:
    return _df(con, TONE_WEEKLY, {"start": start, "end": end, "tz": tz})


def topics(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, tz: str) -> pd.DataFrame:
    return _df(con, TOPICS, {"start": start, "end": end, "tz": tz})


CAMPAIGN_IMPACT = """
SELECT campaign, network, metric, in_campaign, observed, expected, lift_pct, ci_low_pct, ci_high_pct, p_value,
    verdict, min_detectable_lift_pct, start, "end", baseline_days, reason
FROM marts.campaign_impact
ORDER BY start DESC NULLS LAST, campaign, NOT in_campaign, network, metric
"""


def campaign_impact(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, CAMPAIGN_IMPACT)


# The visits, conversions and revenue the networks brought to the website in the period (all campaigns).
WEB_OUTCOMES = """
SELECT * FROM (
SELECT analytics, site_id, network, sum(visits) AS visits, sum(users) AS users, sum(conversions) AS conversions,
    sum(revenue) AS revenue
FROM marts.web_outcomes_daily
WHERE campaign IS NULL AND day >= $start AND day < $end
GROUP BY ALL
)
ORDER BY analytics, site_id, network = 'all' DESC, network = 'social' DESC, visits DESC NULLS LAST, network
"""

WEB_GOALS = """
SELECT * FROM (
SELECT analytics, site_id, network, goal_id, coalesce(goal_name, goal_id) AS goal, sum(conversions) AS conversions,
    sum(revenue) AS revenue
FROM marts.web_goal_daily
WHERE campaign IS NULL AND day >= $start AND day < $end
GROUP BY ALL
)
ORDER BY analytics, site_id, goal, network = 'all' DESC, conversions DESC NULLS LAST, network
"""

WEB_DAILY = """
SELECT day, network, sum(visits) AS visits
FROM marts.web_outcomes_daily
WHERE campaign IS NULL AND day >= $start AND day < $end AND network NOT IN ('all', 'social')
GROUP BY ALL
ORDER BY day, network
"""


def web_outcomes(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, WEB_OUTCOMES, {"start": start, "end": end})


def web_goals(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, WEB_GOALS, {"start": start, "end": end})


def web_daily(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, WEB_DAILY, {"start": start, "end": end})


# What is missing in the weeks that overlap the period, account by account, and why (marts.account_coverage_weekly).
COVERAGE = """
SELECT week_start, network, account_id, len(coalesce(missing_days, [])) AS days_missing,
    array_to_string(missing_days, ', ') AS missing_days, reason, loaded_at, last_day, detail,
    array_to_string(not_reported, ', ') AS not_reported
FROM marts.account_coverage_weekly
WHERE configured AND (len(coalesce(missing_days, [])) > 0 OR len(coalesce(not_reported, [])) > 0)
  AND week_start > $start - INTERVAL 7 DAY AND week_start < $end
ORDER BY week_start DESC, network, account_id
"""

RUN_ISSUES = """
SELECT week_start, kind, suite, expectation, severity, network, account_id, code, detail, affected, runs
FROM marts.run_issues
WHERE week_start > $start - INTERVAL 7 DAY AND week_start < $end
ORDER BY week_start DESC, kind, position
"""


def coverage(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, COVERAGE, {"start": start, "end": end})


def run_issues(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    return _df(con, RUN_ISSUES, {"start": start, "end": end})


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".", 1)
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    return [str(r[0]) for r in rows]


def any_mart(con: duckdb.DuckDBPyConnection, table: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """A mart shown as it is (the optional pages: marts other features add), limited to the period by its
    first date column among week_start, day, month_start."""
    if table not in tables(con):
        raise KeyError(table)
    cols = columns(con, table)
    schema, name = table.split(".", 1)
    by = next((c for c in ("week_start", "day", "month_start") if c in cols), None)
    sql = f'SELECT * FROM {schema}."{name}"'
    if by == "week_start":
        sql += f' WHERE "{by}" > $start - INTERVAL 7 DAY AND "{by}" < $end ORDER BY "{by}" DESC'
    elif by == "month_start":
        sql += f' WHERE "{by}" > $start - INTERVAL 1 MONTH AND "{by}" < $end ORDER BY "{by}" DESC'
    elif by:
        sql += f' WHERE "{by}" >= $start AND "{by}" < $end ORDER BY "{by}" DESC'
    return _df(con, sql, {"start": start, "end": end} if by else None)
