"""What the weekly report says, read from the marts only: figures, series, posts, campaigns, what is missing
and why, the runs' issues.

Everything here is plain data (no HTML, no language): `render` turns it into words and charts. Field names
are the marts' column names. Weeks are ISO weeks (Monday to Sunday) of the company's calendar days, like the
marts' `day`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, fields
from typing import Any

import duckdb

from socialmetrics.config import Config
from socialmetrics.load.warehouse import dict_rows, table_exists
from socialmetrics.serve.report import care, competitors
from socialmetrics.serve.report.care import CareData
from socialmetrics.serve.report.competitors import CompetitorData
from socialmetrics.serve.report.highlights import Highlights
from socialmetrics.serve.report.highlights import collect as collect_highlights
from socialmetrics.serve.report.web import WebOutcomes, collect_web
from socialmetrics.serve.report.week import ReportError, Week

log = logging.getLogger(__name__)

TREND_WEEKS = 13
TOP_POSTS = 3
MAX_ISSUES = 8
CAMPAIGN_METRICS = ("reach", "impressions", "engagements")
# The marts the report cannot do without (the others are optional sections).
REQUIRED_MARTS = ("reach_daily", "engagement_daily", "post_performance", "account_weekly", "weekly_headline",
                  "account_coverage_weekly", "run_issues", "week_runs")  # fmt: skip


@dataclass(frozen=True)
class AccountRef:
    """An account the report talks about (from the config, or found in the data)."""

    network: str
    account_id: str
    name: str | None = None
    conn_id: str | None = None
    import_dir: str | None = None
    configured: bool = True

    @property
    def key(self) -> tuple[str, str]:
        """(network, account_id)."""
        return (self.network, self.account_id)


@dataclass
class WeekValues:
    """One row of marts.account_weekly: an account's (or the company's) week; None = not reported."""

    days_with_data: int = 0
    reach: float | None = None
    reach_days: int = 0
    impressions: float | None = None
    impressions_days: int = 0
    engagements: float | None = None
    engagement_rate: float | None = None  # rate_engagements / rate_impressions (days with both)
    engagement_rate_days: int = 0
    follower_gain: float | None = None
    follower_gain_days: int = 0
    followers_end: float | None = None
    follower_growth: float | None = None
    comments: float | None = None
    comments_days: int = 0
    comments_source: str | None = None  # 'network' (its own count) or 'loaded' (texts counted)
    comments_loaded: int = 0
    comments_analysed: int = 0
    posts: int = 0
    tone_comments: float | None = None  # analysed comments
    # Analysed comments left out of the shares because their label was not confident enough.
    tone_uncertain: float | None = None
    positive_share: float | None = None
    neutral_share: float | None = None
    negative_share: float | None = None
    net_sentiment: float | None = None

    def value(self, figure: str) -> float | None:
        """The figure's value (figure: reach, engagement_rate, follower_gain, comments, tone, ...)."""
        value: float | None = getattr(self, FIGURE_COLUMNS.get(figure, figure))
        return value

    def coverage(self, figure: str) -> float:
        """How much data stands behind the figure (account-days; analysed comments for the tone)."""
        return float(getattr(self, COVERAGE_COLUMNS.get(figure, "days_with_data")) or 0)


# The column of marts.account_weekly behind a chart's figure, where it is not the figure's own name.
FIGURE_COLUMNS = {"tone": "net_sentiment"}
# The column of marts.account_weekly that says how much data stands behind a figure (a change needs 7 days);
# engagements are compared over the days that have the engagement rate's both parts.
COVERAGE_COLUMNS = {
    "reach": "reach_days",
    "impressions": "impressions_days",
    "engagements": "engagement_rate_days",
    "engagement_rate": "engagement_rate_days",
    "follower_gain": "follower_gain_days",
    "comments": "comments_days",
    "tone": "tone_comments",
}


@dataclass(frozen=True)
class Comparison:
    """A headline figure: this week against the previous week and the 4-week average (marts.weekly_headline).

    A status other than 'ok' (or 'fewer_weeks' for the average) means no fair comparison: the report
    shows "–" and the reason in words."""

    figure: str
    kind: str  # count (relative change), rate (difference in points), delta (absolute difference), tone
    value: float | None
    previous_value: float | None
    average_value: float | None
    average_weeks: int
    previous_status: str = "ok"
    average_status: str = "ok"
    previous_change: float | None = None
    average_change: float | None = None
    accounts: tuple[str, ...] = ()
    previous_accounts: tuple[str, ...] = ()
    average_left_out: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Post:
    """A post published in the week, with its lifetime numbers."""

    network: str
    account_id: str
    post_id: str
    published_at: dt.datetime
    permalink: str | None
    text: str | None
    impressions: float | None
    reach: float | None
    reactions: float | None
    comments: float | None
    shares: float | None
    clicks: float | None
    engagements: float | None
    engagement_rate: float | None
    as_of: dt.date | None


@dataclass(frozen=True)
class CampaignRow:
    """One row of marts.campaign_impact."""

    network: str
    metric: str
    in_campaign: bool
    observed: float | None
    expected: float | None
    lift_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    p_value: float | None
    verdict: str
    min_detectable_lift_pct: float | None
    reported: bool  # whether the network gives this metric at all


@dataclass(frozen=True)
class Campaign:
    """A campaign of the last 13 weeks with its impact rows."""

    name: str
    start: dt.date | None
    end: dt.date | None
    networks: tuple[str, ...]
    rows: tuple[CampaignRow, ...]


@dataclass(frozen=True)
class Missing:
    """A row of marts.account_coverage_weekly with missing days: an account without numbers on them, and why."""

    account: AccountRef
    missing_days: tuple[dt.date, ...]
    reason: str  # a key of i18n.REASONS
    run_id: str | None = None
    loaded_at: dt.datetime | None = None
    last_day: dt.date | None = None
    detail: str | None = None  # what the run's fetch of this account recorded (meta.connector_warnings)


@dataclass(frozen=True)
class Issue:
    """A row of marts.run_issues: a failed quality check or a connector warning, merged over the week's runs."""

    kind: str  # quality | warning
    position: int
    suite: str | None  # quality: the suite, expectation and severity of the check
    expectation: str | None
    severity: str | None
    network: str | None  # warning: the account and the warning's code
    account_id: str | None
    code: str | None
    detail: str
    affected: int | None  # rows the check found (quality)
    runs: int


@dataclass
class ReportData:
    """Everything the report shows for one company and week."""

    company: str
    timezone: str
    week: Week
    weeks: list[Week]
    accounts: list[AccountRef]
    per_account: dict[tuple[str, str], dict[Week, WeekValues]]
    company_weeks: dict[Week, WeekValues]
    headline: dict[str, Comparison]
    reach_networks: list[str]
    no_reach_networks: list[str]
    posts: list[Post]
    ranked_posts: list[tuple[str, list[Post], list[Post]]]  # per network: its top and its bottom posts
    campaigns: list[Campaign]
    tone_available: bool
    topics: list[str]
    missing: list[Missing]
    not_reported: dict[tuple[str, str], list[str]]
    issues: list[Issue]
    issue_overflow: dict[str, int]
    data_until: dt.date | None
    generated_at: dt.datetime
    week_runs: list[str] = field(default_factory=list)
    web: WebOutcomes | None = None  # "Was hat es gebracht?" (web.py)
    competitors: CompetitorData = field(default_factory=CompetitorData)
    highlights: Highlights | None = None  # the opening sentences' facts (highlights.py)
    care: CareData | None = None  # do we answer? (socialmetrics/serve/report/care.py)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else number  # NaN from pandas-built tables means NULL


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def accounts_of(cfg: Config) -> list[AccountRef]:
    """The configured accounts, in config order."""
    return [
        AccountRef(a.network, a.id, a.name, a.conn_id or f"{a.network}_default", a.import_dir) for a in cfg.accounts
    ]


def collect(con: duckdb.DuckDBPyConnection, cfg: Config, week: Week) -> ReportData:
    """Read everything the report shows from the marts (the connection may be read-only)."""
    for table in REQUIRED_MARTS:
        if not table_exists(con, "marts", table):
            raise ReportError(
                f"the warehouse has no marts.{table} yet; run `make demo` (or the DAG) first: every run builds "
                f"the marts the report reads"
            )
    weeks = [week.shift(i) for i in range(-(TREND_WEEKS - 1), 1)]
    first, last = weeks[0].start, week.end
    tz = cfg.timezone
    per_account, company_weeks = _weekly(con, first, last)
    accounts = accounts_of(cfg)
    known = {a.key for a in accounts}
    for key in sorted(per_account):
        if key not in known:
            accounts.append(AccountRef(key[0], key[1], configured=False))
    tone_available = table_exists(con, "marts", "comment_sentiment")
    topics = _topics(con, week) if tone_available else []
    for wk in weeks:
        company_weeks.setdefault(wk, WeekValues())
    this_week = [v[week] for v in per_account.values() if week in v]
    posts = _posts(con, week, tz)
    if not any(v.days_with_data for v in this_week) and not posts:
        span = con.execute("SELECT min(day), max(day) FROM marts.reach_daily").fetchone()
        if not span or span[0] is None:
            raise ReportError("the warehouse has no daily numbers yet; run `make demo` (or the DAG) first")
        raise ReportError(
            f"no data for week {week.label} ({week.start:%d.%m.%Y}-{week.end:%d.%m.%Y}): the warehouse has numbers "
            f"from {span[0]:%d.%m.%Y} to {span[1]:%d.%m.%Y}. Pick a week in that range (--week YYYY-Www) or "
            f"backfill this one."
        )
    headline = _headline(con, week)
    reach_networks = sorted({k[0] for k, v in per_account.items() if week in v and v[week].reach is not None})
    with_days = {k[0] for k, v in per_account.items() if week in v and v[week].days_with_data}
    no_reach = sorted(with_days - set(reach_networks))
    missing, not_reported = _coverage(con, accounts, week)
    issues, overflow = _issues(con, week)
    data_until = con.execute("SELECT max(day) FROM marts.reach_daily").fetchone()
    return ReportData(
        company=cfg.company,
        timezone=tz,
        week=week,
        weeks=weeks,
        accounts=accounts,
        per_account=per_account,
        company_weeks=company_weeks,
        headline=headline,
        reach_networks=reach_networks,
        no_reach_networks=no_reach,
        posts=posts,
        ranked_posts=rank_within_networks(posts),
        campaigns=_campaigns(con, cfg, weeks[0].start, week.end),
        tone_available=tone_available,
        topics=topics,
        missing=missing,
        not_reported=not_reported,
        issues=issues,
        issue_overflow=overflow,
        data_until=data_until[0] if data_until else None,
        generated_at=dt.datetime.now(cfg.tz),
        week_runs=_week_runs(con, week),
        web=collect_web(con, cfg, week),
        competitors=competitors.collect(con, cfg, weeks),
        highlights=collect_highlights(con, week),
        care=care.collect(con, week),
    )


def rank_within_networks(posts: list[Post]) -> list[tuple[str, list[Post], list[Post]]]:
    """Per network (in network order): its top posts by engagements and, of the rest, its weakest.

    Posts are ranked only against posts of the same network: networks count impressions and
    engagements differently (X counts every view of a reply thread, Facebook media views), so one
    scale across networks would rank the networks, not the posts."""
    result = []
    for network in sorted({p.network for p in posts}):
        ranked = sorted(
            (p for p in posts if p.network == network and p.engagements is not None),
            key=lambda p: (-(p.engagements or 0), -(p.engagement_rate or 0), p.post_id),
        )
        top = ranked[:TOP_POSTS]
        bottom = [p for p in reversed(ranked) if p not in top][:TOP_POSTS]
        if ranked:
            result.append((network, top, bottom))
    return result


def _field_value(kind: str, value: Any) -> Any:
    """A mart value as the field's type: counts 0 when NULL, strings as they are, numbers float (NaN: None)."""
    if kind == "int":
        return int(value or 0)
    return value if kind.startswith("str") else _num(value)


def _weekly(
    con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date
) -> tuple[dict[tuple[str, str], dict[Week, WeekValues]], dict[Week, WeekValues]]:
    """Per account and ISO week, and for the company ('all'): the rows of marts.account_weekly."""
    columns = {f.name: str(f.type) for f in fields(WeekValues)}
    rows = dict_rows(
        con,
        f"SELECT network, account_id, week_start, {', '.join(columns)} FROM marts.account_weekly "
        "WHERE week_start BETWEEN $first AND $last",
        {"first": first, "last": last},
    )
    per_account: dict[tuple[str, str], dict[Week, WeekValues]] = {}
    company: dict[Week, WeekValues] = {}
    for r in rows:
        values = WeekValues(**{name: _field_value(kind, r[name]) for name, kind in columns.items()})
        if r["network"] == "all" and r["account_id"] == "all":
            company[Week.of(r["week_start"])] = values
        else:
            per_account.setdefault((r["network"], r["account_id"]), {})[Week.of(r["week_start"])] = values
    return per_account, company


HEADLINE_KINDS = {
    "reach": "count",
    "comments": "count",
    "engagement_rate": "rate",
    "follower_gain": "delta",
    "tone": "tone",
}


def _headline(con: duckdb.DuckDBPyConnection, week: Week) -> dict[str, Comparison]:
    """The week's comparisons as marts.weekly_headline defines them (like for like, or a status saying why not)."""
    rows = {
        r["figure"]: r
        for r in dict_rows(con, "SELECT * FROM marts.weekly_headline WHERE week_start = $week", {"week": week.start})
    }
    result = {}
    for figure, kind in HEADLINE_KINDS.items():
        r = rows.get(figure)
        if r is None:
            result[figure] = Comparison(figure, kind, None, None, None, 0, "no_value", "no_value")
            continue
        result[figure] = Comparison(
            figure=figure,
            kind=kind,
            value=_num(r["value"]),
            previous_value=_num(r["previous_value"]),
            average_value=_num(r["average_value"]),
            average_weeks=int(r["average_weeks"] or 0),
            previous_status=str(r["previous_status"]),
            average_status=str(r["average_status"]),
            previous_change=_num(r["previous_change"]),
            average_change=_num(r["average_change"]),
            accounts=tuple(r["accounts"] or ()),
            previous_accounts=tuple(r["previous_accounts"] or ()),
            average_left_out=tuple(r["average_left_out"] or ()),
        )
    return result


def _topics(con: duckdb.DuckDBPyConnection, week: Week) -> list[str]:
    """The week's five most frequent topics of marts.comment_sentiment, ranked by the comments behind them."""
    try:
        rows = con.execute(
            """
            SELECT trim(topic) AS topic, sum(comments) AS weight
            FROM (SELECT unnest(string_split(top_topics, ',')) AS topic, comments
                  FROM marts.comment_sentiment WHERE CAST(week_start AS DATE) = $start AND comments > 0)
            WHERE trim(topic) <> ''
            GROUP BY 1 ORDER BY weight DESC, topic LIMIT 5
            """,
            {"start": week.start},
        ).fetchall()
    except duckdb.Error as exc:
        log.warning("marts.comment_sentiment cannot be read (%s); the report names no topics", exc)
        return []
    return [str(t[0]) for t in rows]


def _posts(con: duckdb.DuckDBPyConnection, week: Week, tz: str) -> list[Post]:
    rows = dict_rows(
        con,
        """
        SELECT network, account_id, post_id, published_at, permalink, text, impressions, reach, reactions,
               comments, shares, clicks, engagements, engagement_rate, CAST(as_of AS DATE) AS as_of
        FROM marts.post_performance
        WHERE CAST(timezone($tz, published_at) AS DATE) BETWEEN $start AND $end
        ORDER BY published_at, post_id
        """,
        {"tz": tz, "start": week.start, "end": week.end},
    )
    return [
        Post(
            network=r["network"],
            account_id=r["account_id"],
            post_id=r["post_id"],
            published_at=r["published_at"],
            permalink=r["permalink"],
            text=r["text"],
            **{
                k: _num(r[k])
                for k in (
                    "impressions",
                    "reach",
                    "reactions",
                    "comments",
                    "shares",
                    "clicks",
                    "engagements",
                    "engagement_rate",
                )
            },
            as_of=r["as_of"],
        )
        for r in rows
    ]


def _campaigns(con: duckdb.DuckDBPyConnection, cfg: Config, first: dt.date, last: dt.date) -> list[Campaign]:
    """Campaigns that overlap the 13 weeks up to this week and have rows in marts.campaign_impact."""
    if not table_exists(con, "marts", "campaign_impact"):
        return []
    rows = dict_rows(  # the website's outcomes (analytics set) are the web module's (socialmetrics/serve/report/web.py)
        con, "SELECT * FROM marts.campaign_impact WHERE analytics IS NULL ORDER BY campaign, network, metric"
    )
    reported: set[tuple[str, str]] = set()
    for network, reach, impressions in con.execute(
        "SELECT network, count(reach), count(impressions) FROM marts.reach_daily GROUP BY network"
    ).fetchall():
        reported |= {(network, m) for m, n in (("reach", reach), ("impressions", impressions)) if n}
    for network, engagements in con.execute(
        "SELECT network, count(engagements) FROM marts.engagement_daily GROUP BY network"
    ).fetchall():
        if engagements:
            reported.add((network, "engagements"))
    configured = {c.name: c for c in cfg.campaigns}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_name.setdefault(str(r["campaign"]), []).append(r)
    campaigns = []
    for name, group in by_name.items():
        conf = configured.get(name)
        start = conf.start if conf else _as_date(group[0].get("start"))
        end = conf.end if conf else _as_date(group[0].get("end"))
        if start is not None and end is not None and (start > last or end < first):
            continue
        order = {m: i for i, m in enumerate(CAMPAIGN_METRICS)}
        campaign_rows = tuple(
            sorted(
                (
                    CampaignRow(
                        network=str(r["network"]),
                        metric=str(r["metric"]),
                        in_campaign=bool(r.get("in_campaign", True)),
                        observed=_num(r.get("observed")),
                        expected=_num(r.get("expected")),
                        lift_pct=_num(r.get("lift_pct")),
                        ci_low_pct=_num(r.get("ci_low_pct")),
                        ci_high_pct=_num(r.get("ci_high_pct")),
                        p_value=_num(r.get("p_value")),
                        verdict=str(r.get("verdict") or "inconclusive"),
                        min_detectable_lift_pct=_num(r.get("min_detectable_lift_pct")),
                        reported=(str(r["network"]), str(r["metric"])) in reported,
                    )
                    for r in group
                ),
                key=lambda c: (not c.in_campaign, c.network, order.get(c.metric, 9), c.metric),
            )
        )
        networks = tuple(conf.networks) if conf else tuple(sorted({c.network for c in campaign_rows if c.in_campaign}))
        campaigns.append(Campaign(name, start, end, networks, campaign_rows))
    return sorted(campaigns, key=lambda c: (c.start or dt.date.min, c.name), reverse=True)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _coverage(
    con: duckdb.DuckDBPyConnection, accounts: list[AccountRef], week: Week
) -> tuple[list[Missing], dict[tuple[str, str], list[str]]]:
    """The week's rows of marts.account_coverage_weekly, in account order: the accounts with missing days (and
    why), and per account with days the figures it has no value for."""
    rows = {
        (r["network"], r["account_id"]): r
        for r in dict_rows(
            con,
            "SELECT network, account_id, missing_days, reason, run_id, loaded_at, last_day, detail, not_reported "
            "FROM marts.account_coverage_weekly WHERE week_start = $week",
            {"week": week.start},
        )
    }
    by_key = {a.key: a for a in accounts}
    order = [a.key for a in accounts] + sorted(k for k in rows if k not in by_key)
    missing = [
        Missing(
            by_key.get(key) or AccountRef(key[0], key[1], configured=False),
            tuple(r["missing_days"]),
            r["reason"],
            r["run_id"],
            r["loaded_at"],
            r["last_day"],
            r["detail"],
        )
        for key in order
        if (r := rows.get(key)) and r["missing_days"]
    ]
    not_reported = {key: list(r["not_reported"]) for key in order if (r := rows.get(key)) and r["not_reported"]}
    return missing, not_reported


def _week_runs(con: duckdb.DuckDBPyConnection, week: Week) -> list[str]:
    """The runs that loaded anything for a day of the week (marts.week_runs), oldest first."""
    rows = con.execute(
        "SELECT run_id FROM marts.week_runs WHERE week_start = $week ORDER BY loaded_at, run_id", {"week": week.start}
    ).fetchall()
    return [r[0] for r in rows]


def _issues(con: duckdb.DuckDBPyConnection, week: Week) -> tuple[list[Issue], dict[str, int]]:
    """The week's rows of marts.run_issues, the first MAX_ISSUES of each kind, and how many more there are."""
    rows = dict_rows(
        con,
        "SELECT kind, position, suite, expectation, severity, network, account_id, code, detail, affected, runs "
        "FROM marts.run_issues WHERE week_start = $week ORDER BY kind, position",
        {"week": week.start},
    )
    issues = [Issue(**r) for r in rows if r["position"] <= MAX_ISSUES]
    overflow = {kind: sum(1 for r in rows if r["kind"] == kind and r["position"] > MAX_ISSUES)
                for kind in ("quality", "warning")}  # fmt: skip
    return issues, overflow
