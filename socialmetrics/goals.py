"""The goal vocabulary: which figure a goal in the config can name, and which mart and column hold it.

A goal (config `goals:`) names a figure of this mapping, a period (a month or a quarter) and a target, for
the company or one network. marts.goal_progress (socialmetrics/analytics/goals.py) reads each figure's
daily values from the mart and column named here, so a new figure is one entry in FIGURES:

    FIGURES["comments_answered"] = Figure(
        "comments_answered", "marts.<the daily mart>", "<column>", "sum", not_reported_by=frozenset({...}),
    )

- `mart` must have the columns `day`, `network` and `account_id` (the social marts) or be one of the web marts
  (`analytics`, `site_id`, `day`, `network`, `campaign`: the network is the visits' source, 'all' the whole site).
- `kind`: 'sum' (the period's days added up: reach, engagements), 'level' (a total at the end of the period:
  followers) or 'ratio' (`column` over `denominator`, each summed over the days that have both: the
  engagement rate).
- `not_reported_by`: the networks that never give the figure (docs/data.md "Metric mapping"); a goal on such a
  network is refused at config load, naming the line.

This module imports nothing heavy: the config validates goals against it when the DAG file is parsed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

WEB_MARTS = ("marts.web_outcomes_daily",)
# Networks whose figures are about the website, not a social account (their accounts are analytics tools).
ANALYTICS_NETWORKS = ("matomo", "ga4")


@dataclass(frozen=True)
class Figure:
    """A figure a goal can name: where its daily values are, and how a period adds them up."""

    name: str
    mart: str
    column: str
    kind: Literal["sum", "level", "ratio"]
    denominator: str | None = None  # kind 'ratio': the column the numerator is divided by
    not_reported_by: frozenset[str] = frozenset()
    percent: bool = False  # the target is written in percent (3.5 = 3.5 %); the mart holds the ratio (0.035)

    @property
    def web(self) -> bool:
        """A figure of the website (visits, conversions): its networks are the visits' sources."""
        return self.mart in WEB_MARTS


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure("followers", "marts.reach_daily", "followers", "level"),
        Figure("follower_gain", "marts.reach_daily", "follower_gain", "sum"),
        Figure("reach", "marts.reach_daily", "reach", "sum", not_reported_by=frozenset({"x", "xing"})),
        Figure("impressions", "marts.reach_daily", "impressions", "sum"),
        Figure("engagements", "marts.engagement_daily", "engagements", "sum"),
        Figure(
            "engagement_rate",
            "marts.engagement_daily",
            "engagements",
            "ratio",
            denominator="impressions",
            percent=True,
        ),  # fmt: skip
        # Facebook gives no page-level daily comment count (docs/data.md): its comments are counted under posts.
        Figure("comments", "marts.engagement_daily", "comments", "sum", not_reported_by=frozenset({"facebook"})),
        # Answering comments (marts.community_care_daily, issue #30): of the comments written in the period that need
        # an answer, the share answered (so far) and the share answered within 24 hours. Xing files say nobody's name:
        # its comments cannot be told the account's own from the others'.
        Figure(
            "answer_rate",
            "marts.community_care_daily",
            "answered",
            "ratio",
            denominator="needing_answer",
            not_reported_by=frozenset({"xing"}),
            percent=True,
        ),  # fmt: skip
        Figure(
            "answered_within_24h_rate",
            "marts.community_care_daily",
            "answered_within_24h",
            "ratio",
            denominator="needing_answer",
            not_reported_by=frozenset({"xing"}),
            percent=True,
        ),  # fmt: skip
        Figure("web_visits", "marts.web_outcomes_daily", "visits", "sum"),
        Figure("web_conversions", "marts.web_outcomes_daily", "conversions", "sum"),
    )
}

PERIOD_HELP = "a month (2026-12), a quarter (2026-Q4), or 'month' / 'quarter' for every month or quarter"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)


def parse_period(text: str) -> tuple[str, dt.date | None]:
    """A goal's period: ('month' | 'quarter', its first day), the first day None for a recurring goal.
    Raises ValueError naming the accepted forms."""
    value = text.strip()
    if value.lower() in ("month", "quarter"):
        return value.lower(), None
    if m := _MONTH_RE.match(value):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return "month", dt.date(year, month, 1)
    if m := _QUARTER_RE.match(value):
        return "quarter", dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
    raise ValueError(f"unknown period {value!r}: use {PERIOD_HELP}")


def period_end(kind: str, start: dt.date) -> dt.date:
    """The day after the period that starts on `start`."""
    months = 1 if kind == "month" else 3
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def period_start(kind: str, day: dt.date) -> dt.date:
    """The first day of the month or quarter `day` is in."""
    month = day.month if kind == "month" else 3 * ((day.month - 1) // 3) + 1
    return dt.date(day.year, month, 1)


def period_label(kind: str, start: dt.date) -> str:
    """2026-12 or 2026-Q4."""
    return f"{start:%Y-%m}" if kind == "month" else f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def shown(figure: str, value: float | None) -> str:
    """A goal's value as the summary prints it: rates in percent with two decimals, counts whole."""
    if value is None or value != value:  # NaN: no value
        return "-"
    return f"{value:.2%}" if FIGURES[figure].percent else f"{round(value):,}"


def summary_lines(con: Any) -> list[str]:
    """`socialmetrics summary`'s goal lines: each goal's current period in marts.goal_progress."""
    has_mart = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'goal_progress'"
    ).fetchone()
    if not has_mart or not has_mart[0]:
        return []
    rows = con.execute(
        "SELECT goal, figure, network, period, target, value, expected_by_today, projected, period_end, as_of, status "
        "FROM marts.goal_progress WHERE current ORDER BY goal_index"
    ).fetchall()
    if not rows:
        return []
    lines = ["Goals (marts.goal_progress, the current period; status rule: docs/configuration.md):"]
    for goal, figure, network, period, target, value, expected, projected, end, as_of, status in rows:
        scope = "company" if network == "all" else network
        if value is None:
            lines.append(f"  {goal} ({figure}, {scope}, {period}): target {shown(figure, target)}, no data yet")
            continue
        lines.append(
            f"  {goal} ({figure}, {scope}, {period}): {shown(figure, value)} of {shown(figure, target)} by {as_of}; "
            f"expected by then {shown(figure, expected)}, at this pace {shown(figure, projected)} by {end}: {status}"
        )
    return lines
