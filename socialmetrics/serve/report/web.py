"""The report's "Was hat es gebracht?" (What did it bring?): the website's visits, goal conversions and revenue from
social media, read from marts.web_outcomes_weekly (this week, the week before, the 4-week average: like for like),
the week's posts with links and tags (marts.post_links_weekly), and what each campaign brought to the website
(marts.campaign_impact's web rows) for the campaign sentences.

The site shown is the first web-analytics account of the config (Matomo and GA4 measuring the same website are
two views of the same visitors, never added up); the others are named with where their numbers are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from connectors.web import ANALYTICS_NETWORKS as ANALYTICS
from socialmetrics.load.warehouse import dict_rows, table_exists
from socialmetrics.serve.report import i18n
from socialmetrics.serve.report.week import Week

if TYPE_CHECKING:
    from socialmetrics.config import Config

TOOL_NAMES = {"matomo": "Matomo", "ga4": "Google Analytics 4"}
# Networks in the per-network table, in this order ('other_social': Pinterest, Reddit, ... by the mapping).
NETWORK_ORDER = ("facebook", "instagram", "linkedin", "x", "xing", "other_social")


@dataclass(frozen=True)
class WebFigure:
    """One row of marts.web_outcomes_weekly (a figure of one network in one week)."""

    network: str
    figure: str  # visits, conversions, revenue
    goal_id: str  # 'all' or the goal's id
    goal_name: str | None
    value: float | None
    previous_value: float | None
    previous_status: str
    previous_change: float | None
    average_value: float | None
    average_weeks: int
    average_status: str
    average_change: float | None
    days: int

    @property
    def key(self) -> str:
        """visits, revenue, conversions (all goals) or goal:<id>."""
        return f"goal:{self.goal_id}" if self.goal_id != "all" else self.figure


@dataclass(frozen=True)
class WebCampaignRow:
    """A web row of marts.campaign_impact for the site shown (network 'social')."""

    metric: str
    goal: str | None
    observed: float | None
    expected: float | None
    lift_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    verdict: str
    reason: str | None


@dataclass
class WebOutcomes:
    """What the section shows; `site` None: no web analytics configured (or none with numbers)."""

    configured: bool
    analytics: str | None = None
    site_id: str | None = None
    site_name: str | None = None
    others: list[tuple[str, str]] = field(default_factory=list)
    figures: dict[tuple[str, str], WebFigure] = field(default_factory=dict)  # (network, key) -> figure
    goals: list[tuple[str, str]] = field(default_factory=list)  # (goal_id, goal_name) named in the config
    links: dict[str, int] | None = None  # marts.post_links_weekly's 'all' row of the week
    campaigns: dict[str, list[WebCampaignRow]] = field(default_factory=dict)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else number


def collect_web(con: duckdb.DuckDBPyConnection, cfg: Config, week: Week) -> WebOutcomes:
    """The section's data for `week`, from the marts only."""
    sites = [(a.network, a.id, a.name) for a in cfg.accounts if a.network in ANALYTICS]
    out = WebOutcomes(configured=bool(sites))
    if table_exists(con, "marts", "post_links_weekly"):
        found = dict_rows(
            con,
            "SELECT posts, with_links, tagged, shortened, untagged FROM marts.post_links_weekly "
            "WHERE week_start = ? AND network = 'all'",
            [week.start],
        )
        out.links = {k: int(v or 0) for k, v in found[0].items()} if found else None
    if not sites:
        return out
    analytics, site_id, name = sites[0]
    out.analytics, out.site_id, out.site_name = analytics, site_id, name
    out.others = [(a, s) for a, s, _ in sites[1:]]
    if table_exists(con, "marts", "web_outcomes_weekly"):
        for r in dict_rows(
            con,
            "SELECT * FROM marts.web_outcomes_weekly WHERE analytics = ? AND site_id = ? AND week_start = ? "
            "ORDER BY network, figure, goal_id",
            [analytics, site_id, week.start],
        ):
            f = WebFigure(
                network=r["network"],
                figure=r["figure"],
                goal_id=r["goal_id"],
                goal_name=r["goal_name"],
                value=_num(r["value"]),
                previous_value=_num(r["previous_value"]),
                previous_status=r["previous_status"],
                previous_change=_num(r["previous_change"]),
                average_value=_num(r["average_value"]),
                average_weeks=int(r["average_weeks"] or 0),
                average_status=r["average_status"],
                average_change=_num(r["average_change"]),
                days=int(r["days"] or 0),
            )
            out.figures[(f.network, f.key)] = f
            if f.goal_id != "all" and f.goal_name and (f.goal_id, f.goal_name) not in out.goals:
                out.goals.append((f.goal_id, f.goal_name))
    out.goals.sort()
    if table_exists(con, "marts", "campaign_impact"):
        for r in dict_rows(
            con,
            "SELECT campaign, metric, goal, observed, expected, lift_pct, ci_low_pct, ci_high_pct, verdict, reason "
            "FROM marts.campaign_impact WHERE analytics = ? AND site_id = ? AND network = 'social' "
            "AND (metric = 'visits' OR (metric = 'conversions' AND goal IS NOT NULL)) ORDER BY campaign, metric, goal",
            [analytics, site_id],
        ):
            out.campaigns.setdefault(r["campaign"], []).append(
                WebCampaignRow(
                    r["metric"],
                    r["goal"],
                    _num(r["observed"]),
                    _num(r["expected"]),
                    _num(r["lift_pct"]),
                    _num(r["ci_low_pct"]),
                    _num(r["ci_high_pct"]),
                    str(r["verdict"]),
                    r["reason"],
                )  # fmt: skip
            )
    return out


# -- words ---------------------------------------------------------------------------------------------


def _site_label(web: WebOutcomes) -> str:
    tool = TOOL_NAMES.get(web.analytics or "", web.analytics or "")
    return f"{tool} {web.site_name or web.site_id}"


def _figure_label(web: WebOutcomes, key: str, lang: str) -> str:
    if key.startswith("goal:"):
        name = dict(web.goals).get(key.removeprefix("goal:"), key)
        return i18n.text("web_goal", lang, goal=name)
    return i18n.text(f"web_{key}", lang)


def _value(key: str, value: float | None, lang: str) -> str:
    return i18n.number(value, lang, 2 if key == "revenue" else 0)


def _previous(f: WebFigure, web: WebOutcomes, lang: str) -> tuple[str, str]:
    """(change, reference or reason) against the week before."""
    if f.previous_status == "ok":
        return i18n.change_percent(f.previous_change, lang), _value(f.key, f.previous_value, lang)
    reason = i18n.text(f"web_cmp_{f.previous_status}", lang, site=_site_label(web), n=f.days)
    return i18n.DASH, reason


def _average(f: WebFigure, web: WebOutcomes, lang: str) -> tuple[str, str]:
    """(change, reference or reason) against the 4-week average."""
    if f.average_status == "ok":
        return i18n.change_percent(f.average_change, lang), _value(f.key, f.average_value, lang)
    if f.average_status == "fewer_weeks":
        reference = i18n.text("avg_fewer_weeks", lang, n=f.average_weeks, v=_value(f.key, f.average_value, lang))
        return i18n.change_percent(f.average_change, lang), reference
    return i18n.DASH, i18n.text(f"web_avg_{f.average_status}", lang, site=_site_label(web), n=f.days)


def _social_keys(web: WebOutcomes) -> list[str]:
    goals = [f"goal:{g}" for g, _ in web.goals]
    return ["visits", *(goals or ["conversions"]), "revenue"]


def web_context(data: Any, lang: str) -> dict[str, Any]:
    """What the template partial _web.html.j2 shows."""
    web: WebOutcomes | None = getattr(data, "web", None)
    links_line = ""
    if web is not None and web.links and web.links["posts"]:
        links = web.links
        key = "web_links_line_short" if links["shortened"] else "web_links_line"
        links_line = i18n.text(key, lang, posts=links["posts"], with_links=links["with_links"],
                               tagged=links["tagged"], shortened=links["shortened"])  # fmt: skip
    context: dict[str, Any] = {"connect": "", "empty": "", "rows": [], "networks": None, "notes": [],
                               "links": links_line, "site": "", "intro": ""}  # fmt: skip
    if web is None or not web.configured:
        context["connect"] = i18n.text("web_connect", lang)
        return context
    context["site"] = _site_label(web)
    context["intro"] = i18n.text("web_intro", lang, site=_site_label(web))
    if ("social", "visits") not in web.figures:
        context["empty"] = i18n.text("web_no_numbers", lang, site=_site_label(web))
        return context
    rows = []
    for key in _social_keys(web):
        f = web.figures.get(("social", key))
        if f is None:
            continue
        change_previous, previous = _previous(f, web, lang)
        change_average, average = _average(f, web, lang)
        share = ""
        total = web.figures.get(("all", key))
        if key == "visits" and total and total.value:
            share = i18n.text("web_share", lang, share=i18n.percent((f.value or 0) / total.value, lang, 0),
                              total=_value(key, total.value, lang))  # fmt: skip
        rows.append({"key": key, "label": _figure_label(web, key, lang), "value": _value(key, f.value, lang),
                     "sub": share, "change_previous": change_previous, "previous": previous,
                     "change_average": change_average, "average": average})  # fmt: skip
    keys = _social_keys(web)
    networks = [n for n in NETWORK_ORDER if any((n, k) in web.figures for k in keys)]
    table_rows = []
    for network in networks:
        cells = []
        for key in keys:
            f = web.figures.get((network, key))
            change = ""
            if f is not None and key == "visits" and f.previous_status == "ok":
                change = i18n.change_percent(f.previous_change, lang)
            cells.append({"value": _value(key, f.value if f else None, lang), "change": change})
        label = i18n.text("web_other_social", lang) if network == "other_social" else i18n.network_name(network)
        table_rows.append({"label": label, "cells": cells})
    notes = [i18n.text("web_direct_limit", lang), i18n.text("web_like_for_like", lang, site=_site_label(web))]
    if web.others:
        others = ", ".join(f"{TOOL_NAMES.get(a, a)} {s}" for a, s in web.others)
        notes.append(i18n.text("web_others", lang, others=others))
    context.update(
        rows=rows,
        networks={"columns": [_figure_label(web, k, lang) for k in keys], "rows": table_rows},
        notes=notes,
    )
    return context


def _plural(goal: str, lang: str) -> str:
    """A goal's name for a count of it: German nouns in -ung / -e take their plural (Tischreservierungen,
    Anfragen); any other name is quoted, since its plural cannot be guessed."""
    if lang == "de" and goal.endswith("ung"):
        return goal + "en"
    if lang == "de" and goal.endswith("e"):
        return goal + "n"
    return f"„{goal}“" if lang == "de" else f"“{goal}”"


def _extra(row: WebCampaignRow, pct: float | None) -> float | None:
    """Conversions more than expected at a lift of `pct` percent (observed - observed / (1 + lift))."""
    if row.observed is None or pct is None:
        return None
    return row.observed - row.observed / (1 + pct / 100)


def _clear(row: WebCampaignRow) -> bool:
    """A clear effect whose printed range excludes 0 (as the report's other campaign sentences)."""
    low, high = row.ci_low_pct, row.ci_high_pct
    return row.verdict == "clear effect" and low is not None and high is not None and (low > 0 or high < 0)


def campaign_web_sentence(data: Any, campaign: str, lang: str, notes: list[str] | None = None) -> str | None:
    """What the campaign brought to the website (visits from social media and each goal's conversions) in plain
    words, or that it cannot tell yet; None without web analytics. The 95 % ranges become footnotes in `notes`
    (their marks in the sentence); a range too wide to say anything is named so, never printed."""
    from socialmetrics.serve.report.render import note_mark, too_wide

    web: WebOutcomes | None = getattr(data, "web", None)
    if web is None or campaign not in web.campaigns:
        return None

    def mark(note: str) -> str:
        return note_mark(notes, note) if notes is not None else ""

    rows = web.campaigns[campaign]
    visits = next((r for r in rows if r.metric == "visits"), None)
    if visits is None or visits.lift_pct is None or visits.ci_low_pct is None or visits.ci_high_pct is None:
        return i18n.text("web_campaign_cannot_tell", lang, campaign=campaign)
    values = {"campaign": campaign, "lift": i18n.lift(visits.lift_pct, lang),
              "low": i18n.signed(visits.ci_low_pct, lang, 0), "high": i18n.lift(visits.ci_high_pct, lang)}  # fmt: skip
    wide = too_wide(visits.ci_low_pct, visits.ci_high_pct)
    # the visits' footnote first: the marks follow the sentence's order
    interval = mark(i18n.text("campaign_too_wide" if wide else "web_campaign_interval", lang, **values))
    clear, unclear = [], []
    for r in rows:
        if r.metric != "conversions" or r.goal is None or r.observed is None or r.expected is None:
            continue
        if _clear(r) and (r.lift_pct or 0) > 0 and not too_wide(r.ci_low_pct, r.ci_high_pct):
            extra = {"n": i18n.number(_extra(r, r.lift_pct), lang), "goal": _plural(r.goal, lang),
                     "low": i18n.number(_extra(r, r.ci_low_pct), lang),
                     "high": i18n.number(_extra(r, r.ci_high_pct), lang)}  # fmt: skip
            note = i18n.text("web_campaign_goal_interval", lang, campaign=campaign, **{**extra, "goal": r.goal})
            clear.append(i18n.text("web_campaign_goal_more", lang, mark=mark(note), **extra))
        else:
            unclear.append(i18n.text("web_campaign_goal_unclear", lang, goal=r.goal,
                                     observed=i18n.number(r.observed, lang),
                                     expected=i18n.number(r.expected, lang)))  # fmt: skip
    goals = i18n.text("web_and", lang).join(clear)
    if wide:
        sentence = i18n.text("web_campaign_too_wide", lang, mark=interval, **values)
        if clear:
            sentence += " " + i18n.text("web_campaign_goals_sentence", lang, goals=goals)
    else:
        if _clear(visits) and visits.lift_pct > 0:
            sentence = i18n.text("web_campaign_brought_goals" if clear else "web_campaign_brought", lang,
                                 goals=goals, mark=interval, **values)  # fmt: skip
        else:
            sentence = i18n.text("web_campaign_unclear", lang, mark=interval, **values)
            if clear:
                sentence += " " + i18n.text("web_campaign_goals_sentence", lang, goals=goals)
    if unclear:
        sentence += " " + "; ".join(unclear) + "."
    return sentence


def week_days(web: WebOutcomes) -> int:
    """Days of the week the site shown answered for (0 without numbers)."""
    f = web.figures.get(("all", "visits"))
    return f.days if f else 0


__all__ = ["WebOutcomes", "campaign_web_sentence", "collect_web", "web_context", "week_days"]
