"""The report's words: ReportData -> one self-contained HTML page (inline CSS and SVG, no requests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from socialmetrics.analytics.comments.topics import topic_label
from socialmetrics.serve.report import care, charts, competitors, highlights, i18n
from socialmetrics.serve.report.data import Campaign, CampaignRow, Comparison, Missing, Post, ReportData, WeekValues
from socialmetrics.serve.report.links import safe_permalink
from socialmetrics.serve.report.web import campaign_web_sentence, web_context
from socialmetrics.serve.report.week import Week

TEXT_EXCERPT = 90
EMOJI_MODIFIERS = {"\ufe0f", "\ufe0e", "\u200d", "\u20e3"}
CHART_KINDS = {
    "reach": "count",
    "engagement_rate": "rate",
    "follower_gain": "signed",
    "comments": "count",
    "tone": "tone",
}


@dataclass(frozen=True)
class HeadlineRow:
    """One line of the headline table."""

    key: str
    label: str
    value: str
    sub: str | None
    change_previous: str
    previous: str
    change_average: str
    average: str


def _css_string(value: object) -> Markup:
    """A CSS string literal that cannot end the <style> element (for @page margin boxes)."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
    return Markup(f'"{escaped}"')


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("socialmetrics.serve.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["css_string"] = _css_string
    return env


def _value(kind: str, value: float | None, lang: str) -> str:
    if kind == "count":
        return i18n.number(value, lang)
    if kind == "rate":
        return i18n.percent(value, lang, 2)
    if kind == "delta":
        return i18n.signed(value, lang)
    return i18n.signed(value, lang, 2)  # tone: net sentiment in -1..1


def _change(kind: str, value: float | None, reference: float | None, lang: str) -> str:
    if value is None or reference is None:
        return i18n.DASH
    if kind == "count":
        return i18n.change_percent(value / reference - 1, lang) if reference > 0 else i18n.DASH
    if kind == "rate":
        return i18n.points(value - reference, lang, 2)
    if kind == "delta":
        return i18n.signed(value - reference, lang)
    return i18n.signed(value - reference, lang, 2)


def _format_change(kind: str, change: float | None, lang: str) -> str:
    """A change as marts.weekly_headline gives it: relative (counts), in points (rates) or a difference."""
    if change is None:
        return i18n.DASH
    if kind == "count":
        return i18n.change_percent(change, lang)
    if kind == "rate":
        return i18n.points(change, lang, 2)
    return i18n.signed(change, lang, 2 if kind == "tone" else 0)


COVERAGE = {"reach": "reach", "engagement_rate": "engagement_rate", "follower_gain": "follower_gain",
            "comments": "comments"}  # fmt: skip


def _partial_accounts(data: ReportData, figure: str, week: Week, accounts: tuple[str, ...], lang: str) -> str:
    """ "LinkedIn 3 von 7 Tagen" for each account behind a figure with fewer than 7 days of it in the week."""
    parts = []
    for key in accounts:
        network, account_id = key.split("/", 1)
        values = data.per_account.get((network, account_id), {}).get(week)
        days = int(values.coverage(figure)) if values else 0
        if days < 7:
            parts.append(i18n.text("account_days", lang, account=account_label(data, network, account_id), n=days))
    return ", ".join(parts)


def _accounts_words(data: ReportData, accounts: tuple[str, ...], lang: str) -> str:
    names = [account_label(data, *key.split("/", 1)) for key in accounts]
    if not names:
        return i18n.DASH
    joiner = " und " if lang == "de" else " and "
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]


def _previous_reason(data: ReportData, c: Comparison, lang: str) -> str:
    """Why there is no comparison with the previous week, in words ("" when there is one)."""
    if c.previous_status in ("ok", "no_value"):
        return ""
    if c.previous_status == "this_week_partial":
        return i18n.text(
            "cmp_this_week_partial", lang, accounts=_partial_accounts(data, c.figure, data.week, c.accounts, lang)
        )
    if c.previous_status == "previous_partial":
        before = data.week.shift(-1)
        return i18n.text(
            "cmp_previous_partial", lang, accounts=_partial_accounts(data, c.figure, before, c.previous_accounts, lang)
        )
    if c.previous_status == "accounts_differ":
        return i18n.text(
            "cmp_accounts_differ",
            lang,
            previous=_accounts_words(data, c.previous_accounts, lang),
            now=_accounts_words(data, c.accounts, lang),
        )
    return i18n.text("cmp_no_previous", lang)


def _average_text(data: ReportData, c: Comparison, lang: str) -> str:
    """The reference line of the 4-week average: its value, of how many whole weeks, or why there is none."""
    value = _value(c.kind, c.average_value, lang)
    if c.average_status == "ok":
        return i18n.text("average_value", lang, v=value)
    if c.average_status == "fewer_weeks":
        text = i18n.text("avg_fewer_weeks", lang, n=c.average_weeks, v=value)
        if c.average_left_out:
            weeks = ", ".join(str(Week.of(d).number) for d in c.average_left_out)
            text += " " + i18n.text("avg_left_out", lang, weeks=weeks)
        return text
    if c.average_status == "this_week_partial":
        return i18n.text(
            "cmp_this_week_partial", lang, accounts=_partial_accounts(data, c.figure, data.week, c.accounts, lang)
        )
    if c.average_status == "no_whole_weeks":
        return i18n.text("avg_no_whole_weeks", lang)
    return ""


SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"


def note_mark(notes: list[str], text: str) -> str:
    """The footnote mark of `text` (¹, ², ...; a text said twice gets one note), added to `notes` if new."""
    if text not in notes:
        notes.append(text)
    n = notes.index(text)
    return SUPERSCRIPTS[n] if n < len(SUPERSCRIPTS) else f"({n + 1})"


def headline_rows(data: ReportData, lang: str, notes: list[str] | None = None) -> list[HeadlineRow]:
    """The headline table: each figure, its change against the previous week and the 4-week average, both
    as marts.weekly_headline defines them; "–" with the reason where no fair comparison exists (the reason a
    footnote, its mark in the cell, when `notes` collects them)."""
    now = data.company_weeks[data.week]
    rows = []
    for key in ("reach", "engagement_rate", "follower_gain", "comments", "tone"):
        c: Comparison = data.headline[key]
        sub = None
        if key == "follower_gain" and now.follower_growth is not None:
            sub = i18n.text("growth_of", lang, pct=i18n.percent(now.follower_growth, lang, 2, sign=True))
        elif key == "comments" and c.value is not None:
            sub = i18n.text("comments_analysed_sub", lang, m=i18n.number(now.comments_analysed, lang))
        elif key == "tone" and now.net_sentiment is not None:
            sub = i18n.text(
                "tone_short",
                lang,
                positive=i18n.percent(now.positive_share, lang, 0),
                negative=i18n.percent(now.negative_share, lang, 0),
            )
        value = _value(c.kind, c.value, lang)
        if c.value is None:
            value = i18n.text("not_reported" if key == "reach" else "no_value", lang)
        previous = i18n.text("previous_value", lang, v=_value(c.kind, c.previous_value, lang))
        reason = _previous_reason(data, c, lang)
        average = _average_text(data, c, lang)
        if notes is not None and reason:
            previous, reason = f"{previous} {note_mark(notes, reason)}", ""
        if notes is not None and c.average_status in ("this_week_partial", "no_whole_weeks") and average:
            average = note_mark(notes, average)
        rows.append(
            HeadlineRow(
                key=key,
                label=i18n.text("tone" if key == "tone" else key, lang),
                value=value,
                sub=sub,
                change_previous=_format_change(c.kind, c.previous_change, lang),
                previous=f"{previous} · {reason}" if reason else previous,
                change_average=_format_change(c.kind, c.average_change, lang),
                average=average,
            )
        )
    return rows


def account_label(data: ReportData, network: str, account_id: str) -> str:
    """Facebook; with the page's name when the company has two accounts on one network."""
    same = [a for a in data.accounts if a.network == network]
    name = i18n.network_name(network)
    if len(same) > 1:
        acc = next((a for a in same if a.account_id == account_id), None)
        name += f" ({acc.name if acc and acc.name else account_id})"
    return name


def network_table(data: ReportData, lang: str) -> dict[str, Any]:
    """Networks side by side: one column per account, this week's values and the change to last week."""
    columns = [a for a in data.accounts if a.configured or (data.per_account.get(a.key, {}).get(data.week) is not None)]
    previous_week = data.week.shift(-1)
    rows_spec: list[tuple[str, str, Any, str]] = [  # key, kind, value, the coverage a change needs
        ("reach", "count", lambda v: v.reach, "reach"),
        ("impressions", "count", lambda v: v.impressions, "impressions"),
        ("engagements", "count", lambda v: v.engagements, "engagements"),
        ("engagement_rate", "rate", lambda v: v.engagement_rate, "engagement_rate"),
        ("followers", "count", lambda v: v.followers_end, "follower_gain"),
        ("follower_gain", "delta", lambda v: v.follower_gain, "follower_gain"),
        ("comments", "count", lambda v: v.comments, "comments"),
        ("posts", "count", lambda v: float(v.posts) if v.days_with_data or v.posts else None, "days"),
    ]
    rows = []
    for key, kind, getter, coverage in rows_spec:
        cells = []
        for acc in columns:
            weeks = data.per_account.get(acc.key, {})
            now: WeekValues | None = weeks.get(data.week)
            before: WeekValues | None = weeks.get(previous_week)
            value = getter(now) if now else None
            prev = getter(before) if before else None
            # a change only between two whole weeks of the account (7 days of the figure on both sides)
            comparable = key != "posts" and _whole(now, coverage) and _whole(before, coverage)
            change = _change(kind, value, prev, lang) if comparable else i18n.DASH
            cells.append({"value": _value(kind, value, lang), "change": change if change != i18n.DASH else ""})
        rows.append({"label": i18n.text(key, lang), "cells": cells})
    days = []
    for acc in columns:
        now = data.per_account.get(acc.key, {}).get(data.week)
        days.append(f"{now.days_with_data if now else 0}/7")
    rows.append({"label": i18n.text("days", lang), "cells": [{"value": d, "change": ""} for d in days]})
    return {"columns": [account_label(data, a.network, a.account_id) for a in columns], "rows": rows}


def _whole(values: WeekValues | None, figure: str) -> bool:
    return values is not None and values.coverage(figure) >= 7


def build_charts(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """One chart per headline figure over the 13 weeks; a figure without any value gets a note instead."""
    week_numbers = [w.number for w in data.weeks]
    result = []
    for key in ("reach", "engagement_rate", "follower_gain", "comments", "tone"):
        if key == "tone" and not data.tone_available:
            continue
        series = []
        for acc in data.accounts:
            weeks = data.per_account.get(acc.key, {})
            values = [weeks[w].value(key) if w in weeks else None for w in data.weeks]
            if any(v is not None for v in values):
                series.append(charts.Series(account_label(data, acc.network, acc.account_id), acc.network, values))
        title = i18n.text(f"chart_{key}", lang)
        chart = charts.line_chart(key, title, week_numbers, series, kind=CHART_KINDS[key], lang=lang)
        result.append(
            {
                "key": key,
                "title": title,
                "svg": Markup(chart.svg) if chart else None,
                "points": chart.points if chart else 0,
                "points_text": i18n.text("points", lang, n=chart.points) if chart else "",
            }
        )
    return result


def _excerpt(text: str | None, lang: str) -> str:
    """The post's text on one line, shortened; emoji dropped (print fonts have none, they would print as boxes)."""
    if not text:
        return i18n.text("no_text", lang)
    flat = " ".join("".join(ch for ch in text if ord(ch) <= 0xFFFF and ch not in EMOJI_MODIFIERS).split())
    if not flat:
        return i18n.text("no_text", lang)
    if len(flat) <= TEXT_EXCERPT:
        return flat
    cut = flat[: TEXT_EXCERPT - 1]
    space = cut.rfind(" ")  # end at a word where one ends late enough; a longer word is cut (the cell wraps it)
    return (cut[:space] if space >= TEXT_EXCERPT * 2 // 3 else cut).rstrip(" ,;:") + "…"


def post_rows(posts: list[Post], data: ReportData, lang: str) -> list[dict[str, Any]]:
    """Table rows of posts with their numbers."""
    rows = []
    for p in posts:
        local = p.published_at.astimezone(dt.UTC).astimezone(_tz(data.timezone))
        link = safe_permalink(p.network, p.permalink)  # anything else is shown as text, never linked
        rows.append(
            {
                "post_id": p.post_id,
                "network": account_label(data, p.network, p.account_id),
                "published": i18n.date(local.date(), lang),
                "text": _excerpt(p.text or (None if link else p.permalink), lang),
                "permalink": link,
                "impressions": i18n.number(p.impressions, lang),
                "reach": i18n.number(p.reach, lang),
                "engagements": i18n.number(p.engagements, lang),
                "engagement_rate": i18n.percent(p.engagement_rate, lang, 1),
                "comments": i18n.number(p.comments, lang),
            }
        )
    return rows


def _tz(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


WIDE_HIGH_PCT = 1000.0  # a 95 % range reaching beyond +1.000 % says nothing about the effect
WIDE_SPAN_PCT = (-25.0, 100.0)  # nor does one from below −25 % to above +100 %


def too_wide(low: float | None, high: float | None) -> bool:
    """A 95 % range so wide that it says nothing: named "zu wenig Daten für eine Aussage", never printed."""
    if low is None or high is None:
        return False
    return high > WIDE_HIGH_PCT or (low < WIDE_SPAN_PCT[0] and high > WIDE_SPAN_PCT[1])


def _campaign_values(campaign: Campaign, row: CampaignRow, lang: str) -> dict[str, Any]:
    (de_noun, de_article), (en_noun, en_article) = i18n.METRIC_WORDS.get(
        row.metric, ((row.metric, row.metric), (row.metric, row.metric))
    )
    noun, the_metric = (de_noun, de_article) if lang == "de" else (en_noun, en_article)
    return {
        "campaign": campaign.name,
        "network": i18n.network_name(row.network),
        "metric": noun,
        "the_metric": the_metric,
        "lift": i18n.lift(row.lift_pct, lang),
        "lift_abs": i18n.lift(row.lift_pct, lang, sign=False),
        "low": i18n.signed(row.ci_low_pct, lang, 0),
        "high": i18n.lift(row.ci_high_pct, lang),
        "mde": i18n.lift(row.min_detectable_lift_pct, lang),
    }


def campaign_note(campaign: Campaign, row: CampaignRow, lang: str) -> str | None:
    """The footnote of a campaign sentence: the measured lift and its 95 % range (marts.campaign_impact), or why
    a range too wide to say anything is not printed; None where the sentence has no range."""
    if row.lift_pct is None or row.ci_low_pct is None or row.ci_high_pct is None:
        return None
    if not row.reported and row.observed is None:
        return None
    if too_wide(row.ci_low_pct, row.ci_high_pct):
        return i18n.text("campaign_too_wide", lang)
    values = _campaign_values(campaign, row, lang)
    if not row.in_campaign:
        return i18n.text("control_interval", lang, **values)
    if row.verdict == "no evidence" and row.min_detectable_lift_pct is not None and not _claims(row):
        return i18n.text("campaign_interval_mde", lang, **values)
    return i18n.text("campaign_interval", lang, **values)


def _claims(row: CampaignRow) -> bool:
    """An effect is claimed only where the 95 % range excludes 0 (a verdict the range contradicts would put the
    words and the footnote's numbers at odds)."""
    low, high = row.ci_low_pct, row.ci_high_pct
    return row.verdict == "clear effect" and low is not None and high is not None and (low > 0 or high < 0)


def campaign_sentence(campaign: Campaign, row: CampaignRow, lang: str, notes: list[str] | None = None) -> str | None:
    """A verdict in plain words (sicher mehr / nicht sicher von Zufall zu unterscheiden / noch zu wenig Daten /
    zu wenig Daten für eine Aussage); None for a metric the network does not report. With `notes`, the measured
    lift's 95 % range becomes a footnote whose mark ends the sentence."""
    if not row.reported and row.observed is None:
        return None
    values = _campaign_values(campaign, row, lang)
    wide = too_wide(row.ci_low_pct, row.ci_high_pct)
    if not row.in_campaign:
        if row.lift_pct is None:
            return None
        sentence = i18n.text("control_row_wide" if wide else "control_row", lang, **values)
    elif row.lift_pct is None or row.ci_low_pct is None or row.ci_high_pct is None:
        return i18n.text("inconclusive_history", lang, **values)
    elif wide:
        sentence = i18n.text("too_wide", lang, **values)
    elif _claims(row):
        sentence = i18n.text("clear_up" if (row.lift_pct or 0) >= 0 else "clear_down", lang, **values)
    elif row.verdict == "no evidence" and row.min_detectable_lift_pct is not None:
        sentence = i18n.text("no_evidence", lang, **values)
    else:
        sentence = i18n.text("inconclusive", lang, **values)
    if notes is not None and (note := campaign_note(campaign, row, lang)):
        sentence = sentence[:-1] + note_mark(notes, note) + "." if sentence.endswith(".") else sentence
    return sentence


def campaign_blocks(data: ReportData, lang: str, notes: list[str] | None = None) -> list[dict[str, Any]]:
    """Per campaign: its window and status, the verdict sentences, and the control networks (their ranges as
    footnotes in `notes`)."""
    blocks = []
    for c in data.campaigns:
        if c.start and c.start > data.week.end:
            status = i18n.text("campaign_planned", lang)
        elif c.end and c.end < data.week.start:
            status = i18n.text("campaign_ended", lang)
        else:
            status = i18n.text("campaign_running", lang)
        window = i18n.date_range(c.start, c.end, lang) if c.start and c.end else ""
        networks = ", ".join(i18n.network_name(n) for n in c.networks) or i18n.text("campaign_all_networks", lang)
        sentences = [s for r in c.rows if r.in_campaign if (s := campaign_sentence(c, r, lang, notes))]
        sentences += [s] if (s := campaign_web_sentence(data, c.name, lang, notes)) else []
        controls = [s for r in c.rows if not r.in_campaign if (s := campaign_sentence(c, r, lang, notes))]
        blocks.append(
            {
                "name": c.name,
                "window": window,
                "networks": networks,
                "status": status,
                "sentences": sentences,
                "controls": controls,
            }
        )
    return blocks


def _day_ranges(days: tuple[dt.date, ...], lang: str) -> str:
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(i18n.date_range(r[0], r[-1], lang) for r in runs)


def _reason_values(data: ReportData, m: Missing, lang: str) -> dict[str, Any]:
    acc = m.account
    return {
        "conn": acc.conn_id or f"{acc.network}_default",
        "network": i18n.network_name(acc.network),
        "folder": f" ({acc.import_dir})" if acc.import_dir else "",
        "run": m.run_id or "",
        "at": i18n.date(m.loaded_at.date(), lang) if m.loaded_at else "",
        "detail": m.detail or "",
    }


def _missing_account(data: ReportData, m: Missing) -> str:
    acc = m.account
    return account_label(data, acc.network, acc.account_id) + (
        f" · {acc.name or acc.account_id}" if acc.name or acc.account_id else ""
    )


def missing_rows(data: ReportData, lang: str) -> list[dict[str, str]]:
    """Accounts without numbers on days of the week, with the reason in the owner's words (no run ids)."""
    rows = []
    for m in data.missing:
        reason = i18n.text(m.reason, lang, **_reason_values(data, m, lang))
        if m.last_day and m.last_day < min(m.missing_days) and m.reason not in ("no_numbers", "no_numbers_noted"):
            reason += " " + i18n.text("last_data", lang, day=i18n.date(m.last_day, lang))
        rows.append(
            {
                "account": _missing_account(data, m),
                "days": i18n.text("missing_days", lang, days=_day_ranges(m.missing_days, lang), n=len(m.missing_days)),
                "reason": reason,
            }
        )
    return rows


def missing_tech_rows(data: ReportData, lang: str) -> list[dict[str, str]]:
    """The technical side of the missing data (appendix): run ids, Airflow connections, what the fetch noted."""
    rows = []
    for m in data.missing:
        key = f"tech_{m.reason}"
        if key not in i18n.TECH_REASONS:
            continue
        detail = i18n.text(key, lang, **_reason_values(data, m, lang))
        rows.append({"account": _missing_account(data, m), "detail": detail})
    return rows


def comments_line(data: ReportData, lang: str) -> str:
    """ "34 Kommentare, davon 19 analysiert: <why the others are not>." ("" without comments)."""
    now = data.company_weeks[data.week]
    if now.comments is None:
        return ""
    reasons = []
    for acc in data.accounts:
        v = data.per_account.get(acc.key, {}).get(data.week)
        if v is None:
            continue
        label = account_label(data, acc.network, acc.account_id)
        if v.comments is None or not v.comments_days:
            if v.tone_comments:  # analysed comments of a week the account has no daily numbers for
                reasons.append(
                    i18n.text("comments_reason_tone_only", lang, network=label, k=i18n.number(v.tone_comments, lang))
                )
            continue
        if v.comments_source == "network" and v.comments > v.comments_loaded:
            reasons.append(
                i18n.text(
                    "comments_reason_texts",
                    lang,
                    network=label,
                    n=i18n.number(v.comments, lang),
                    loaded=i18n.number(v.comments_loaded, lang),
                )  # fmt: skip
            )
        if v.comments_loaded > v.comments_analysed:
            reasons.append(
                i18n.text("comments_reason_pending", lang, network=label, k=v.comments_loaded - v.comments_analysed)
            )
    line = i18n.text(
        "comments_line", lang, n=i18n.number(now.comments, lang), m=i18n.number(now.comments_analysed, lang)
    )
    return line + (": " + "; ".join(reasons) if reasons else "") + "."


def post_blocks(data: ReportData, lang: str) -> list[dict[str, Any]]:
    """Per network: its heading, its top posts and its weakest posts (ranked within the network)."""
    blocks = []
    for network, top, bottom in data.ranked_posts:
        count = sum(1 for p in data.posts if p.network == network)
        blocks.append(
            {
                "network": network,
                "heading": i18n.text("posts_network", lang, network=i18n.network_name(network), n=count),
                "top": post_rows(top, data, lang),
                "bottom": post_rows(bottom, data, lang),
            }
        )
    return blocks


NOT_REPORTED_LABELS = {"followers_end": "followers"}


def not_reported_rows(data: ReportData, lang: str) -> list[str]:
    """Per account: figures without a value this week."""
    lines = []
    for (network, account_id), metrics in data.not_reported.items():
        words = ", ".join(i18n.text(NOT_REPORTED_LABELS.get(m, m), lang) for m in metrics)
        lines.append(
            i18n.text("not_collected_line", lang, network=account_label(data, network, account_id), metrics=words)
        )
    return lines


def issue_rows(data: ReportData, lang: str) -> dict[str, Any]:
    """Failed checks and connector warnings, each merged over the week's runs."""
    severity = {"blocking": i18n.text("severity_blocking", lang), "warning": i18n.text("severity_warning", lang)}
    quality = [
        {
            "suite": i.suite,
            "name": i.expectation,
            "severity": severity.get(i.severity or "", i.severity or ""),
            "detail": "; ".join(
                x for x in (i18n.text("affected", lang, n=i.affected) if i.affected else "", i.detail) if x
            ),
            "runs": i.runs,
        }
        for i in data.issues
        if i.kind == "quality"
    ]
    warnings = [
        {"account": f"{i.network}/{i.account_id}", "code": i.code, "detail": i.detail, "runs": i.runs}
        for i in data.issues
        if i.kind == "warning"
    ]
    more = {
        k: i18n.text("more", lang, n=n) if (n := data.issue_overflow.get(k, 0)) else "" for k in ("quality", "warning")
    }
    return {"quality": quality, "warnings": warnings, "more": more}


def render_html(data: ReportData, lang: str) -> str:
    """The whole report as one HTML document."""
    if lang not in i18n.LANGUAGES:
        raise ValueError(f"report language '{lang}' is not supported; use one of {', '.join(i18n.LANGUAGES)}")
    week = data.week
    texts = {key: i18n.text(key, lang) for key in i18n.TEXTS if "{" not in i18n.TEXTS[key][0]}
    footnotes = []
    for key, networks in (("footnote_reach", data.reach_networks), ("footnote_no_reach", data.no_reach_networks)):
        if networks:
            footnotes.append(i18n.text(key, lang, networks=", ".join(i18n.network_name(n) for n in networks)))
    footnotes += [i18n.text("footnote_rate", lang), i18n.text("footnote_average", lang)]
    notes: list[str] = []
    campaign_notes: list[str] = []  # the campaign sentences' ranges, listed under the campaigns
    headline = headline_rows(data, lang, notes)
    footnotes = [f"{note_mark(notes, note)} {note}" for note in notes] + footnotes
    footnotes.append(i18n.text("comments_source", lang))
    now = data.company_weeks[week]
    tone_lines = [line] if (line := comments_line(data, lang)) else []
    if not data.tone_available:
        tone_lines.append(i18n.text("tone_none", lang))
    elif now.net_sentiment is None:
        tone_lines.append(i18n.text("tone_empty", lang))
    else:
        tone_lines.append(
            i18n.text(
                "tone_line",
                lang,
                positive=i18n.percent(now.positive_share, lang, 0),
                neutral=i18n.percent(now.neutral_share, lang, 0),
                negative=i18n.percent(now.negative_share, lang, 0),
                net=i18n.signed(now.net_sentiment, lang, 2),
                n=i18n.number(now.tone_comments, lang),
            )
        )
        if now.tone_uncertain:
            tone_lines.append(i18n.text("tone_uncertain", lang, n=i18n.number(now.tone_uncertain, lang)))
        if data.topics:
            topics = ", ".join(topic_label(t, lang) for t in data.topics)
            tone_lines.append(i18n.text("tone_topics", lang, topics=topics))
    as_of = max((p.as_of for p in data.posts if p.as_of), default=None)
    checks = sum(1 for i in data.issues if i.kind == "quality") + data.issue_overflow.get("quality", 0)
    warnings = sum(1 for i in data.issues if i.kind == "warning") + data.issue_overflow.get("warning", 0)
    context = {
        "lang": lang,
        "t": texts,
        "company": data.company,
        "week_label": week.label,
        "week_title": f"{i18n.text('week', lang)} {week.number}/{week.year}",
        "week_short": f"{i18n.text('week_short', lang)} {week.number}/{week.year}",
        "date_range": i18n.date_range(week.start, week.end, lang),
        "generated": i18n.date(data.generated_at.date(), lang),
        "data_until": i18n.date(data.data_until, lang) if data.data_until else i18n.DASH,
        "headline": headline,
        "footnotes": footnotes,
        "tone_lines": tone_lines,
        "networks": network_table(data, lang),
        "charts": build_charts(data, lang),
        "post_blocks": post_blocks(data, lang),
        "posts_note": i18n.text(
            "posts_ranked_by", lang, as_of=i18n.date(as_of, lang) if as_of else i18n.DASH, n=len(data.posts)
        ),
        "campaigns": campaign_blocks(data, lang, campaign_notes),
        "campaign_notes": [f"{note_mark(campaign_notes, note)} {note}" for note in campaign_notes],
        "missing": missing_rows(data, lang),
        "missing_tech": missing_tech_rows(data, lang),
        "quality_summary": (
            i18n.text("quality_summary", lang, checks=checks, warnings=warnings)
            if checks or warnings
            else i18n.text("quality_summary_ok", lang)
        ),
        "week_runs": i18n.text("week_runs", lang, runs=", ".join(data.week_runs)) if data.week_runs else "",
        "not_reported": not_reported_rows(data, lang),
        "issues": issue_rows(data, lang),
        "web": web_context(data, lang),
        "competitors": competitors.section(data.competitors, week, data.weeks, lang),
        "in_brief": highlights.sentences(data.highlights, data.posts, data.timezone, lang) if data.highlights else [],
        "care": care.context(data.care, lang),
    }
    return _environment().get_template("report.html.j2").render(**context)
