"""The report's "Im Vergleich" section: the company beside its competitors, from marts.competitor_weekly only.

Every figure is a value of the mart (the company's row is computed there from the same public counts as the
competitors'); the one sentence compares the company's follower growth with the competitors' mean growth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
from markupsafe import Markup

from connectors.competitors import NOT_READ
from socialmetrics.config import Config
from socialmetrics.load.warehouse import table_exists
from socialmetrics.serve.report import i18n
from socialmetrics.serve.report.week import Week

COMPANY_STYLE = "company"
LEGEND_CHARS = 16
X_READS_PER_COMPETITOR = 11  # connectors/x.py: 1 user + COMPETITOR_POSTS posts a night at most
X_PRICE_USD = {"posts": 0.005, "users": 0.010}


@dataclass(frozen=True)
class RivalWeek:
    """One row of marts.competitor_weekly."""

    network: str
    competitor: str
    is_company: bool
    week_start: dt.date
    status: str
    followers: float | None
    follower_gain: float | None
    follower_growth: float | None
    posts: float | None
    interactions_per_post: float | None
    interactions_per_1000_followers: float | None


@dataclass
class CompetitorData:
    """What the section shows: the mart's rows of the 13 weeks, the networks left out (and why), X's cost."""

    rows: list[RivalWeek] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    x_competitors: int = 0


def collect(con: duckdb.DuckDBPyConnection, cfg: Config, weeks: list[Week]) -> CompetitorData:
    """The mart's rows for the report's weeks (none when the mart does not exist yet or nothing is configured)."""
    data = CompetitorData(x_competitors=len(cfg.competitors_on("x")))
    if not cfg.competitors:
        return data
    listed = {n for c in cfg.competitors for n in c.handles()}
    if not table_exists(con, "marts", "competitor_weekly"):
        data.left_out = {n: NOT_READ[n] for n in sorted(listed) if n in NOT_READ}
        return data
    cur = con.execute(
        "SELECT network, competitor, is_company, week_start, status, followers, follower_gain, follower_growth, "
        "posts, interactions_per_post, interactions_per_1000_followers FROM marts.competitor_weekly "
        "WHERE week_start >= $first AND week_start <= $last ORDER BY network, is_company DESC, competitor, week_start",
        {"first": weeks[0].start, "last": weeks[-1].start},
    )
    data.rows = [RivalWeek(*row) for row in cur.fetchall()]
    read = {r.network for r in data.rows if not r.is_company and r.status == "ok"}
    data.left_out = {n: NOT_READ[n] for n in sorted(listed - read) if n in NOT_READ}
    return data


def _label(row: RivalWeek, lang: str) -> str:
    return i18n.text("cmp_company", lang) if row.is_company else row.competitor


def _short(name: str) -> str:
    """A legend label that fits two columns of a chart."""
    return name if len(name) <= LEGEND_CHARS else name[: LEGEND_CHARS - 1].rstrip() + "…"


def sentence(rows: list[RivalWeek], lang: str) -> str | None:
    """ "Ihr Wachstum lag über dem Schnitt der 5 Mitbewerber" (the competitors' mean follower growth of the week)."""
    own = [r.follower_growth for r in rows if r.is_company and r.follower_growth is not None]
    others = [r.follower_growth for r in rows if not r.is_company and r.follower_growth is not None]
    if not own or not others:
        return None
    mean = sum(others) / len(others)
    key = "cmp_above" if own[0] > mean else "cmp_below" if own[0] < mean else "cmp_level"
    return i18n.text(key, lang, n=len(others))


def _status(row: RivalWeek, lang: str) -> str:
    return "" if row.status == "ok" else i18n.text(f"cmp_status_{row.status}", lang)


def section(data: CompetitorData, week: Week, weeks: list[Week], lang: str) -> dict[str, Any] | None:
    """The section's template context: per network a table of the week, one chart, a sentence; None without
    competitors."""
    if not data.rows and not data.left_out:
        return None
    blocks = []
    for network in sorted({r.network for r in data.rows}):
        now = [r for r in data.rows if r.network == network and r.week_start == week.start]
        table = [
            {
                "name": _label(r, lang),
                "company": r.is_company,
                "status": _status(r, lang),
                "followers": i18n.number(r.followers, lang),
                "gain": i18n.signed(r.follower_gain, lang, 0),
                "growth": i18n.percent(r.follower_growth, lang, 1, sign=True) if r.follower_growth is not None
                else i18n.DASH,
                "posts": i18n.number(r.posts, lang),
                "per_post": i18n.number(r.interactions_per_post, lang, 1),
                "per_1000": i18n.number(r.interactions_per_1000_followers, lang, 1),
            }
            for r in now
        ]  # fmt: skip
        blocks.append({
            "network": i18n.network_name(network),
            "rows": table,
            "sentence": sentence(now, lang),
            "charts": _charts(data, network, weeks, lang),
        })  # fmt: skip
    x_cost = ""
    if data.x_competitors:
        night = data.x_competitors * (X_PRICE_USD["users"] + (X_READS_PER_COMPETITOR - 1) * X_PRICE_USD["posts"])
        x_cost = i18n.text(
            "cmp_x_cost", lang, n=data.x_competitors, reads=data.x_competitors * X_READS_PER_COMPETITOR,
            month=i18n.number(30 * night, lang, 2),
        )  # fmt: skip
    left_out = [i18n.text("cmp_left_out", lang, network=i18n.network_name(n), why=why) for n, why in
                data.left_out.items()]  # fmt: skip
    return {"blocks": blocks, "left_out": left_out, "x_cost": x_cost}


def _charts(data: CompetitorData, network: str, weeks: list[Week], lang: str) -> list[dict[str, Any]]:
    """Follower growth and interactions per post over the weeks: one line per account, the company's first."""
    from socialmetrics.serve.report import charts  # matplotlib: only when a report is rendered

    names = list(dict.fromkeys((r.competitor, r.is_company) for r in data.rows if r.network == network))
    by = {(r.competitor, r.week_start): r for r in data.rows if r.network == network}
    numbers = [w.number for w in weeks]
    out = []
    figures = (("cmp_growth", "follower_growth", "signed_rate"), ("cmp_per_post", "interactions_per_post", "count"))
    for key, figure, kind in figures:
        series = []
        for i, (name, own) in enumerate(names):
            rows = [by.get((name, w.start)) for w in weeks]
            values = [getattr(r, figure) if r is not None else None for r in rows]
            label = i18n.text("cmp_company_short", lang) if own else _short(name)
            series.append(charts.Series(label, COMPANY_STYLE if own else f"competitor{i}", values))
        title = f"{i18n.text(key, lang)} · {i18n.network_name(network)}"
        chart = charts.line_chart(f"{key}_{network}", title, numbers, series, kind=kind, lang=lang, legend_columns=2)
        out.append({"key": f"{key}_{network}", "title": title, "svg": Markup(chart.svg) if chart else ""})  # noqa: S704 (matplotlib's SVG)
    return out
