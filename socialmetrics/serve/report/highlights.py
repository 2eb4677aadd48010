"""The sentences that open the weekly report ("the week in brief"): read from the marts, put into words by render.

Three to five sentences, each with numbers a mart holds (tests/test_report.py compares them):

1. What rose or fell beyond normal variation: marts.week_highlights, verdict 'rose' or 'fell' (the account's own
   8 weeks before, mean +- 2 standard deviations); the two largest deviations, or that nothing did.
2. The goals and their status: marts.goal_progress, each goal's current period (only when goals are set).
3. The best and the weakest post of the week: marts.post_performance (the report's posts), by engagements.
4. One suggestion: the best weekday and hour of the network with the most posts in marts.best_posting_time,
   when the evidence is enough (SUGGEST_MIN_INDEX, SUGGEST_MIN_POSTS), saying how many posts stand behind it;
   else that the evidence is not enough yet.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from socialmetrics.load.warehouse import table_exists
from socialmetrics.serve.report.week import Week

log = logging.getLogger(__name__)

MAX_CHANGES = 2  # the largest deviations named
SUGGEST_MIN_INDEX = 110.0  # the best slot's engagement rate at least 10 % above the network's average post
SUGGEST_MIN_POSTS = 10  # and at least 10 posts in that slot


@dataclass(frozen=True)
class Change:
    """A row of marts.week_highlights whose verdict is 'rose' or 'fell'."""

    network: str
    account_id: str
    figure: str
    value: float
    low: float
    high: float
    baseline_weeks: int
    verdict: str


@dataclass(frozen=True)
class GoalRow:
    """A goal's current period in marts.goal_progress."""

    goal: str
    name: str | None
    figure: str
    network: str
    period: str
    target: float
    value: float | None
    projected: float | None
    period_end: dt.date
    as_of: dt.date | None
    status: str


@dataclass(frozen=True)
class Slot:
    """The best slot of one dimension (weekday, hour) of a network in marts.best_posting_time."""

    dimension: str
    slot: int
    posts: int
    rate_index: float


@dataclass(frozen=True)
class Suggestion:
    """The network with the most posts in marts.best_posting_time, its best weekday and hour, and its posts."""

    network: str
    network_posts: int  # the posts of its weekday slots (every post with numbers falls into one weekday)
    slots: tuple[Slot, ...]  # the best weekday and hour that pass the evidence rule

    @property
    def enough(self) -> bool:
        """Whether a slot passes the rule (index >= SUGGEST_MIN_INDEX and posts >= SUGGEST_MIN_POSTS)."""
        return bool(self.slots)


@dataclass
class Highlights:
    """What the opening sentences say."""

    changes: list[Change] = field(default_factory=list)
    compared: int = 0  # figures of the week compared with their normal range (verdict rose, fell or normal)
    goals: list[GoalRow] = field(default_factory=list)
    suggestion: Suggestion | None = None
    posting_time_available: bool = False  # marts.best_posting_time exists


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


def collect(con: duckdb.DuckDBPyConnection, week: Week) -> Highlights:
    """Read what the opening sentences say from the marts (a missing mart leaves its sentence out)."""
    found = Highlights()
    if table_exists(con, "marts", "week_highlights"):
        found.changes = [
            Change(*row)
            for row in _rows(
                con,
                "SELECT network, account_id, figure, value, low, high, baseline_weeks, verdict "
                "FROM marts.week_highlights WHERE week_start = ? AND verdict IN ('rose', 'fell') "
                "ORDER BY abs(z) DESC NULLS LAST, network, account_id, figure LIMIT ?",
                [week.start, MAX_CHANGES],
            )
        ]
        found.compared = _rows(
            con,
            "SELECT count(*) FROM marts.week_highlights WHERE week_start = ? AND verdict IN ('rose', 'fell', 'normal')",
            [week.start],
        )[0][0]
    if table_exists(con, "marts", "goal_progress"):
        found.goals = [
            GoalRow(*row)
            for row in _rows(
                con,
                "SELECT goal, name, figure, network, period, target, value, projected, period_end, as_of, status "
                "FROM marts.goal_progress WHERE current ORDER BY goal_index",
                [],
            )
        ]
    if table_exists(con, "marts", "best_posting_time"):
        found.posting_time_available = True
        best = _rows(
            con,
            "WITH networks AS (SELECT network, sum(posts) AS posts FROM marts.best_posting_time "
            "WHERE dimension = 'weekday' GROUP BY network) "
            "SELECT network, posts FROM networks ORDER BY posts DESC, network LIMIT 1",
            [],
        )
        if best:
            network, posts = best[0]
            slots = _rows(
                con,
                "SELECT dimension, slot, posts, rate_index FROM marts.best_posting_time "
                "WHERE network = ? AND is_best AND rate_index >= ? AND posts >= ? "
                "ORDER BY dimension DESC",  # weekday, then hour
                [network, SUGGEST_MIN_INDEX, SUGGEST_MIN_POSTS],
            )
            found.suggestion = Suggestion(
                network, int(posts), tuple(Slot(d, int(s), int(p), float(i)) for d, s, p, i in slots)
            )
    return found


STATUS_KEYS = {"erreicht": "hl_reached", "auf Kurs": "hl_on_track", "knapp": "hl_close", "verfehlt": "hl_off_track",
               "keine Daten": "hl_no_data"}  # fmt: skip
EXCERPT = 48


def _excerpt(text: str | None, lang: str) -> str:
    from socialmetrics.serve.report import i18n

    words = " ".join((text or "").split())
    if not words:
        return i18n.text("hl_no_text", lang)
    if len(words) <= EXCERPT:
        return words
    return words[:EXCERPT].rsplit(" ", 1)[0] + "…"


def figure_value(figure: str, value: float | None, lang: str) -> str:
    """A figure of a sentence as the report writes it (rates in percent, gains signed, counts whole)."""
    from socialmetrics import goals as vocabulary
    from socialmetrics.serve.report import i18n

    if figure in vocabulary.FIGURES and vocabulary.FIGURES[figure].percent or figure == "engagement_rate":
        return i18n.percent(value, lang, 2)
    if figure == "follower_gain":
        return i18n.signed(value, lang)
    return i18n.number(value, lang)


def goal_label(figure: str, network: str, period: str, lang: str) -> str:
    """How the report names a goal without a name: "Engagement-Rate (alle Konten, month)"."""
    from socialmetrics.serve.report import i18n

    words = {
        "followers": "follower_total",
        "web_visits": "goal_web_visits",
        "web_conversions": "goal_web_conversions",
    }.get(figure, figure)
    label = i18n.text(words, lang) if words in i18n.TEXTS else figure
    scope = i18n.text("hl_company", lang) if network == "all" else i18n.network_name(network)
    return i18n.text("hl_goal_unnamed", lang, figure=label, scope=scope, period=period)


def sentences(found: Highlights, posts: list[Any], timezone: str, lang: str) -> list[str]:
    """The opening sentences in `lang` (3 to 5; the module docstring says what each is)."""
    from babel.dates import get_day_names

    from socialmetrics import goals as vocabulary
    from socialmetrics.serve.report import i18n

    zone = ZoneInfo(timezone)
    out: list[str] = []
    for c in found.changes:
        out.append(
            i18n.text(
                "hl_rose" if c.verdict == "rose" else "hl_fell",
                lang,
                network=i18n.network_name(c.network),
                figure=i18n.text(c.figure, lang),
                value=figure_value(c.figure, c.value, lang),
                low=figure_value(c.figure, c.low, lang),
                high=figure_value(c.figure, c.high, lang),
                weeks=c.baseline_weeks,
            )  # fmt: skip
        )
    if not found.changes:
        out.append(i18n.text("hl_steady", lang, n=found.compared) if found.compared else i18n.text("hl_no_range", lang))
    if found.goals:
        items = []
        for g in found.goals:
            status = i18n.text(STATUS_KEYS.get(g.status, "hl_no_data"), lang)
            goal = g.name or goal_label(g.figure, g.network, g.period, lang)
            if g.value is None:
                items.append(i18n.text("hl_goal_empty", lang, goal=goal, status=status))
                continue
            if vocabulary.FIGURES[g.figure].kind == "ratio":
                items.append(
                    i18n.text(
                        "hl_goal_rate",
                        lang,
                        goal=goal,
                        status=status,
                        value=figure_value(g.figure, g.value, lang),
                        target=figure_value(g.figure, g.target, lang),
                    )  # fmt: skip
                )
                continue
            items.append(
                i18n.text(
                    "hl_goal",
                    lang,
                    goal=goal,
                    status=status,
                    value=figure_value(g.figure, g.value, lang),
                    target=figure_value(g.figure, g.target, lang),
                    projected=figure_value(g.figure, g.projected, lang),
                    end=i18n.date(g.period_end, lang),
                )  # fmt: skip
            )
        as_of = max((g.as_of for g in found.goals if g.as_of), default=None)
        out.append(
            i18n.text("hl_goals", lang, goals="; ".join(items), as_of=i18n.date(as_of, lang) if as_of else i18n.DASH)
        )
    # The networks count differently (the post tables compare a post only with its own network's): the best and
    # the weakest post of the network with the most posts this week (by engagements, like the tables).
    counted = [p for p in posts if p.engagements is not None]
    networks = sorted({p.network for p in counted}, key=lambda n: (-sum(p.network == n for p in counted), n))
    ranked = (
        sorted((p for p in counted if p.network == networks[0]), key=lambda p: (-p.engagements, p.post_id))
        if networks
        else []
    )
    if ranked:
        best, weakest = ranked[0], ranked[-1]

        def post_words(p: Any) -> dict[str, str]:
            day = p.published_at.astimezone(zone).date()
            return {
                "network": i18n.network_name(p.network), "date": i18n.date(day, lang),
                "text": _excerpt(p.text, lang), "eng": i18n.number(p.engagements, lang),
                "rate": i18n.percent(p.engagement_rate, lang, 1),
            }  # fmt: skip

        if len(ranked) == 1:
            out.append(i18n.text("hl_one_post", lang, **post_words(best)))
        else:
            words = post_words(best) | {f"w_{k}": v for k, v in post_words(weakest).items()}
            out.append(i18n.text("hl_posts", lang, n=len(ranked), **words))
    else:
        out.append(i18n.text("hl_no_posts", lang))
    s = found.suggestion
    if s is not None and s.enough:
        days = get_day_names("wide", locale=i18n.LOCALES[lang])
        parts = []
        for slot in s.slots:
            when = (
                i18n.text("hl_weekday", lang, day=days[slot.slot - 1])
                if slot.dimension == "weekday"
                else i18n.text("hl_hour", lang, hour=f"{slot.slot:02d}:00")
            )
            parts.append(
                i18n.text("hl_slot", lang, when=when, index=i18n.number(slot.rate_index, lang), posts=slot.posts)
            )
        out.append(
            i18n.text(
                "hl_suggest",
                lang,
                network=i18n.network_name(s.network),
                slots=i18n.text("hl_and", lang).join(parts),
                n=s.network_posts,
            )  # fmt: skip
        )
    elif found.posting_time_available:
        out.append(i18n.text("hl_suggest_none", lang, index=round(SUGGEST_MIN_INDEX - 100), posts=SUGGEST_MIN_POSTS))
    return out
