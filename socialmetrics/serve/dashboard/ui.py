"""The dashboard's pages (Streamlit). app.py runs `main()` on every click; each run opens the readers' copy
read-only, runs the pages' mart queries (queries.py) and closes it. The pages format, never compute."""

from __future__ import annotations

import datetime as dt
import hmac
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from socialmetrics import settings
from socialmetrics.config import Config, load_config
from socialmetrics.serve.dashboard import export, queries
from socialmetrics.serve.dashboard.period import MAX_DAYS, PRESETS, default_period, parse_day, preset
from socialmetrics.serve.dashboard.words import word
from socialmetrics.serve.report import i18n
from socialmetrics.serve.report.data import _campaigns
from socialmetrics.serve.report.i18n import LANGUAGES
from socialmetrics.serve.report.links import safe_permalink
from socialmetrics.serve.report.render import campaign_sentence, note_mark

PASSWORD_ENV = "SOCIALMETRICS_DASHBOARD_PASSWORD"
AUTH_ENV = "SOCIALMETRICS_DASHBOARD_AUTH"  # "none": no login (only behind a reverse proxy with its own)
# Pages of marts that other features add: shown once their table exists in the readers' copy.
OPTIONAL_PAGES = {
    "p_open_questions": "marts.open_questions",
    "p_goals": "marts.goal_progress",
    "p_competitors": "marts.competitor_weekly",
}


@dataclass(frozen=True)
class Ctx:
    """What every page gets: the open copy, the language, the period [start, end) and the config."""

    con: duckdb.DuckDBPyConnection
    lang: str
    start: dt.date
    end: dt.date
    cfg: Config
    tables: set[str]

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def tz(self) -> str:
        return self.cfg.timezone

    def w(self, key: str, **values: object) -> str:
        return word(key, self.lang, **values)


def table(ctx: Ctx, frame: pd.DataFrame, name: str, **kwargs: Any) -> None:
    """A table with its CSV and Excel export (the same rows and columns as shown)."""
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)
    stem = f"{name}_{ctx.start.isoformat()}_{ctx.last.isoformat()}"
    left, right, _ = st.columns([1, 1, 6])
    # The files are written when a button is clicked (Streamlit calls the function then), not on every page. A
    # click must not rerun the page: a rerun registers the button's function anew and revokes the one the click
    # asked for, so on a busy server the download did not start (on_click="ignore").
    left.download_button(
        "CSV", lambda: export.to_csv(frame), f"{stem}.csv", "text/csv", key=f"csv-{name}", on_click="ignore"
    )
    right.download_button(
        "Excel",
        lambda: export.to_xlsx(frame, name),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx-{name}",
        on_click="ignore",
    )


def _login(lang: str) -> bool:
    """True once the session has given the password; shows the form until then."""
    if os.environ.get(AUTH_ENV, "").strip().lower() == "none" or st.session_state.get("signed_in"):
        return True
    expected = os.environ.get(PASSWORD_ENV, "")
    st.title(word("title", lang))
    if not expected:
        st.error(word("login_unset", lang))
        return False
    with st.form("login"):
        st.subheader(word("login_title", lang))
        entered = st.text_input(word("password", lang), type="password")
        submitted = st.form_submit_button(word("login", lang))
    if submitted:
        if hmac.compare_digest(entered.encode(), expected.encode()):
            st.session_state["signed_in"] = True
            st.rerun()
        st.error(word("login_wrong", lang))
    return False


def _settle(key: str, options: Sequence[Any], label: Callable[[Any, str], str]) -> None:
    """Make a choice's stored value one of `options` again, before its widget is drawn or a callback reads it.

    Streamlit hands a choice over by its label: right after the language is switched (or a filter changed the
    options), the browser can still send the label it showed before ("eigener Zeitraum"), and Streamlit then
    returns that label instead of an option. Map such a label back to its option in any language, or drop it
    (the widget's default)."""
    value = st.session_state.get(key)
    if value is None:
        return
    by_label = {label(option, lang): option for option in options for lang in LANGUAGES}
    values = value if isinstance(value, list) else [value]
    settled = [v if any(v == o for o in options) else by_label.get(v) for v in values]
    if isinstance(value, list):
        st.session_state[key] = [v for v in settled if v is not None]
    elif settled[0] is None:
        del st.session_state[key]
    elif settled[0] != value:
        st.session_state[key] = settled[0]


def _period(lang: str, last_day: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The sidebar's period: [start, end) or None after telling what is wrong with the dates typed."""
    first, last = default_period(last_day, dt.date.today())
    fmt = (lambda d: i18n.date(d, "de")) if lang == "de" else dt.date.isoformat
    st.sidebar.subheader(word("period", lang))

    def preset_label(key: str, language: str) -> str:
        return word(f"q_{key}", language)

    def chosen() -> None:  # a quick choice fills both fields (before they are drawn again)
        _settle("period_preset", PRESETS, preset_label)
        name = st.session_state.get("period_preset", "custom")
        if name != "custom":
            a, b = preset(name, last)
            st.session_state["period_from"], st.session_state["period_to"] = fmt(a), fmt(b)

    _settle("period_preset", PRESETS, preset_label)
    st.sidebar.selectbox(
        word("quick", lang), PRESETS, format_func=lambda k: preset_label(k, lang), key="period_preset", on_change=chosen
    )
    example = fmt(last)
    hint = word("date_hint", lang, example=example)
    st.session_state.setdefault("period_from", fmt(first))  # the fields' values live in the session only
    st.session_state.setdefault("period_to", fmt(last))

    def typed() -> None:  # dates typed by hand: no quick choice any more, unless they are the choice's own
        _settle("period_preset", PRESETS, preset_label)
        name = st.session_state.get("period_preset", "custom")
        if name != "custom" and (st.session_state["period_from"], st.session_state["period_to"]) != tuple(
            fmt(d) for d in preset(name, last)
        ):
            st.session_state["period_preset"] = "custom"

    # Both fields in one form: the period changes once, when both are typed (Enter or the button), so a date typed
    # while the page still draws the other one's period is never lost, and no half-typed period is drawn.
    with st.sidebar.form("period_form", border=False):
        typed_from = st.text_input(word("from", lang), help=hint, key="period_from")
        typed_to = st.text_input(word("to", lang), help=hint, key="period_to")
        st.form_submit_button(word("apply", lang), on_click=typed)
    start, stop = parse_day(typed_from), parse_day(typed_to)
    for value, day, field in ((typed_from, start, word("from", lang)), (typed_to, stop, word("to", lang))):
        if day is None:
            st.error(word("bad_date", lang, value=value.strip(), field=field, example=example))
            return None
    assert start is not None and stop is not None
    if stop < start:
        st.error(word("bad_order", lang, start=fmt(start), end=fmt(stop)))
        return None
    if (stop - start).days >= MAX_DAYS:
        st.error(word("too_long", lang, days=MAX_DAYS))
        return None
    return start, stop + dt.timedelta(days=1)


def main() -> None:
    """One run of the dashboard script: login, sidebar, the chosen page."""
    st.set_page_config(page_title="socialmetrics", layout="wide")
    cfg = load_config(settings.config_path())
    default_lang = cfg.report.language
    lang_names = {"de": "Deutsch", "en": "English"}
    lang = st.sidebar.selectbox(
        "Sprache / Language",
        list(lang_names),
        index=list(lang_names).index(default_lang),
        format_func=lang_names.__getitem__,
        key="lang",
    )
    if not _login(lang):
        return
    warehouse = settings.warehouse_path()
    try:
        con = queries.connect(warehouse)
    except queries.NoReadersCopyError as missing:
        st.error(word("no_copy", lang, path=str(missing)))
        return
    try:
        _pages(con, lang, cfg)
    finally:
        con.close()


def _pages(con: duckdb.DuckDBPyConnection, lang: str, cfg: Config) -> None:
    present = queries.tables(con)
    pages: dict[str, Callable[[Ctx], None]] = {
        "p_overview": overview,
        "p_networks": networks,
        "p_posts": posts,
        "p_comments": comments,
        "p_campaigns": campaigns,
    }
    if {"marts.web_outcomes_daily", "marts.web_goal_daily"} & present:
        pages["p_web"] = web
    pages["p_quality"] = quality
    for key, mart in OPTIONAL_PAGES.items():
        if mart in present:
            pages[key] = _optional(mart)
    _settle("page", list(pages), word)
    page = st.sidebar.radio(word("page", lang), list(pages), format_func=lambda k: word(k, lang), key="page")
    _, last_day = queries.data_range(con)
    period = _period(lang, last_day)
    if st.sidebar.button(word("logout", lang)):
        st.session_state["signed_in"] = False
        st.rerun()
    st.title(f"{word(page, lang)} · {cfg.company}")
    if last_day:
        st.caption(word("data_as_of", lang, day=i18n.date(last_day, lang)))
    if period is None:
        return
    start, end = period
    ctx = Ctx(con, lang, start, end, cfg, present)
    pages[page](ctx)


def _period_words(ctx: Ctx, start: dt.date, end: dt.date) -> str:
    return i18n.date_range(start, end - dt.timedelta(days=1), ctx.lang)


def _figure_value(ctx: Ctx, figure: str, value: float | None) -> str:
    if figure == "engagement_rate":
        return i18n.percent(value, ctx.lang, 2)
    if figure == "tone":
        return i18n.signed(None if value is None else 100 * value, ctx.lang, 0)
    if figure == "follower_gain":
        return i18n.signed(value, ctx.lang)
    return i18n.number(value, ctx.lang)


def _figure_change(ctx: Ctx, figure: str, change: float | None) -> str:
    if figure == "engagement_rate":
        return i18n.points(change, ctx.lang, 2)
    if figure == "tone":
        return i18n.signed(None if change is None else 100 * change, ctx.lang, 0)
    if figure == "follower_gain":
        return i18n.signed(change, ctx.lang)
    return i18n.change_percent(change, ctx.lang)


def _label(ctx: Ctx, figure: str) -> str:
    return ctx.w("posts") if figure == "posts" else ctx.w("tone") if figure == "tone" else ctx.w(figure)


def overview(ctx: Ctx) -> None:
    days = (ctx.end - ctx.start).days
    previous = ctx.start - dt.timedelta(days=days)
    st.markdown(
        f"**{_period_words(ctx, ctx.start, ctx.end)}** · "
        + ctx.w("compared_with", period=_period_words(ctx, previous, ctx.start))
    )
    frame = queries.overview(ctx.con, ctx.start, ctx.end, ctx.tz)
    rows = frame.to_dict("records")
    shown = pd.DataFrame(
        {
            ctx.w("figure"): [_label(ctx, r["figure"]) for r in rows],
            ctx.w("this_period"): [_figure_value(ctx, r["figure"], _num(r["value"])) for r in rows],
            ctx.w("previous_period"): [_figure_value(ctx, r["figure"], _num(r["previous_value"])) for r in rows],
            ctx.w("change"): [_figure_change(ctx, r["figure"], _num(r["change"])) for r in rows],
            ctx.w("note"): [ctx.w(f"st_{r['status']}") for r in rows],
        }
    )
    st.table(shown.set_index(ctx.w("figure")))
    st.caption(ctx.w("overview_note"))
    raw = frame.drop(columns=["position"]).rename(columns={"status": "comparison"})
    table(ctx, raw, "overview")


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    return float(value)


def networks(ctx: Ctx) -> None:
    names = queries.networks(ctx.con)
    if not names:
        st.info(ctx.w("st_no_value"))
        return
    network = st.selectbox(ctx.w("network"), names, format_func=i18n.network_name, key="network")
    totals = queries.network_totals(ctx.con, network, ctx.start, ctx.end).iloc[0]
    cols = st.columns(5)
    cols[0].metric(ctx.w("reach"), i18n.number(_num(totals["reach"]), ctx.lang))
    cols[1].metric(ctx.w("engagements"), i18n.number(_num(totals["engagements"]), ctx.lang))
    cols[2].metric(ctx.w("engagement_rate"), i18n.percent(_num(totals["engagement_rate"]), ctx.lang, 2))
    cols[3].metric(ctx.w("followers"), i18n.number(_num(totals["followers"]), ctx.lang))
    cols[4].metric(ctx.w("follower_gain"), i18n.signed(_num(totals["follower_gain"]), ctx.lang))
    daily = queries.network_daily(ctx.con, network, ctx.start, ctx.end)
    st.subheader(ctx.w("daily"))
    if not daily.empty:
        keys = ["reach", "impressions", "engagements", "engagement_rate", "followers"]
        named = daily.rename(columns={k: ctx.w(k) for k in keys})
        chart(named, "day", [ctx.w(k) for k in keys[:3]])
        left, right = st.columns(2)
        with left:
            chart(named, "day", [ctx.w("engagement_rate")])
        with right:
            chart(named, "day", [ctx.w("followers")])
    table(ctx, daily, f"{network}_daily")
    st.subheader(ctx.w("weekly"))
    weekly = queries.network_weekly(ctx.con, network, ctx.start, ctx.end)
    table(ctx, weekly, f"{network}_weekly")


def posts(ctx: Ctx) -> None:
    names = queries.networks(ctx.con)
    left, middle, kind, right, last = st.columns(5)
    chosen = left.multiselect(
        ctx.w("filter_networks"),
        names,
        format_func=i18n.network_name,
        key="post_networks",
        placeholder=ctx.w("all_networks"),
    )
    tag = middle.text_input(ctx.w("filter_tag"), key="post_tag")
    _settle("post_formats", list(queries.POST_FORMATS), lambda f, lang: word(f"format_{f}", lang))
    formats = kind.multiselect(
        ctx.w("filter_formats"),
        list(queries.POST_FORMATS),
        format_func=lambda f: ctx.w(f"format_{f}"),
        key="post_formats",
        placeholder=ctx.w("all_formats"),
    )
    search = right.text_input(ctx.w("filter_text"), key="post_search")
    _settle("post_order", list(queries.POST_ORDER), lambda k, lang: word(f"sort_{k}", lang))
    order = last.selectbox(
        ctx.w("sort_by"), list(queries.POST_ORDER), format_func=lambda k: ctx.w(f"sort_{k}"), key="post_order"
    )
    frame = queries.posts(
        ctx.con, ctx.start, ctx.end, ctx.tz, networks=chosen, tag=tag, formats=formats, search=search, order=order
    )
    frame["permalink"] = [
        safe_permalink(n, _text(u) or None) for n, u in zip(frame["network"], frame["permalink"], strict=True)
    ]
    st.markdown(f"**{ctx.w('posts_count', n=i18n.number(len(frame), ctx.lang))}**")
    table(
        ctx,
        frame,
        "posts",
        column_config={
            "permalink": st.column_config.LinkColumn(ctx.w("open_post"), display_text="↗"),
            "engagement_rate": st.column_config.NumberColumn(format="percent"),
            "text": st.column_config.TextColumn(width="large"),
        },
    )
    if frame.empty:
        st.info(ctx.w("no_posts"))
        return
    st.subheader(ctx.w("post_detail"))
    labels = {
        i: f"{row.published:%Y-%m-%d} · {i18n.network_name(row.network)} · {_text(row.text)[:70]}"
        for i, row in enumerate(frame.itertuples())
    }
    _settle("post_pick", list(labels), lambda i, _: labels[i])
    picked = st.selectbox(ctx.w("choose_post"), list(labels), format_func=labels.__getitem__, key="post_pick")
    row = frame.iloc[picked]
    st.write(_text(row["text"]))
    if row["permalink"]:
        st.link_button(ctx.w("open_post"), str(row["permalink"]))
    else:
        st.caption(ctx.w("no_link"))
    cols = st.columns(4)
    cols[0].metric(ctx.w("impressions"), i18n.number(_num(row["impressions"]), ctx.lang))
    cols[1].metric(ctx.w("engagements"), i18n.number(_num(row["engagements"]), ctx.lang))
    cols[2].metric(ctx.w("engagement_rate"), i18n.percent(_num(row["engagement_rate"]), ctx.lang, 2))
    cols[3].metric(
        ctx.w("tone"),
        i18n.signed(None if _num(row["net_sentiment"]) is None else 100 * float(row["net_sentiment"]), ctx.lang),
    )
    found = queries.post_comments(ctx.con, str(row["network"]), str(row["account_id"]), str(row["post_id"]), ctx.tz)
    st.markdown(ctx.w("post_comments", n=i18n.number(len(found), ctx.lang)))
    table(ctx, found, "post_comments")


def chart(frame: pd.DataFrame, x: str, columns: list[str], *, mark: str = "line", x_type: str = "temporal") -> None:
    """Lines (or stacked bars) of `columns` over `x`, as a Vega-Lite spec: st.line_chart builds the same through
    Altair, whose schema validation takes ~0.25 s a chart; the spec is drawn in the browser all the same."""
    spec = {
        "transform": [{"fold": columns, "as": ["figure", "value"]}],
        "mark": {"type": mark, "tooltip": True},
        "encoding": {
            "x": {"field": x, "type": x_type, "title": None},
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {"field": "figure", "type": "nominal", "title": None, "sort": columns},
        },
    }
    st.vega_lite_chart(frame[[x, *columns]], spec, width="stretch")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def comments(ctx: Ctx) -> None:
    tone = queries.tone_weekly(ctx.con, ctx.start, ctx.end, ctx.tz)
    if tone.empty:
        st.info(ctx.w("no_comments"))
        return
    st.subheader(ctx.w("tone_over_time"))
    tones = {"positive": ctx.w("positive"), "neutral": ctx.w("neutral"), "negative": ctx.w("negative")}
    chart(tone.rename(columns=tones), "week_start", list(tones.values()), mark="bar")
    table(ctx, tone, "tone_weekly")
    st.subheader(ctx.w("topics"))
    table(ctx, queries.topics(ctx.con, ctx.start, ctx.end, ctx.tz), "topics")


def campaigns(ctx: Ctx) -> None:
    if "marts.campaign_impact" not in ctx.tables:
        st.info(ctx.w("no_campaigns"))
        return
    found = _campaigns(ctx.con, ctx.cfg, dt.date(1900, 1, 1), dt.date(2999, 12, 31))
    if not found:
        st.info(ctx.w("no_campaigns"))
    for campaign in found:
        window = i18n.date_range(campaign.start, campaign.end, ctx.lang) if campaign.start and campaign.end else ""
        st.subheader(f"{campaign.name} ({window})" if window else campaign.name)
        notes: list[str] = []  # the 95 % ranges, as footnotes under the campaign (as in the report)
        for row in campaign.rows:
            if row.in_campaign:
                sentence = campaign_sentence(campaign, row, ctx.lang, notes)
                if sentence:
                    st.markdown(f"- {sentence}")
        controls = [campaign_sentence(campaign, r, ctx.lang, notes) for r in campaign.rows if not r.in_campaign]
        if any(controls):
            st.caption(ctx.w("controls") + " " + " ".join(c for c in controls if c))
        if notes:
            st.caption("  \n".join(f"{note_mark(notes, note)} {note}" for note in notes))
    st.subheader(ctx.w("campaign_details"))
    table(ctx, queries.campaign_impact(ctx.con), "campaign_impact")


def web(ctx: Ctx) -> None:
    outcomes = queries.web_outcomes(ctx.con, ctx.start, ctx.end)
    if outcomes.empty:
        st.info(ctx.w("no_web"))
        return
    daily = queries.web_daily(ctx.con, ctx.start, ctx.end)
    if not daily.empty:
        wide = daily.pivot_table(index="day", columns="network", values="visits", aggfunc="sum").reset_index()
        chart(wide, "day", [str(c) for c in wide.columns if c != "day"])
    st.subheader(ctx.w("web_by_network"))
    table(ctx, outcomes, "web_outcomes")
    if "marts.web_goal_daily" in ctx.tables:
        st.subheader(ctx.w("web_goals"))
        table(ctx, queries.web_goals(ctx.con, ctx.start, ctx.end), "web_goals")


def _reason(ctx: Ctx, row: Any) -> str:
    reason = str(row.reason) if row.reason is not None and row.reason == row.reason else ""
    values = {
        "network": i18n.network_name(str(row.network)),
        "folder": "",
        "at": i18n.date(row.loaded_at.date(), ctx.lang)
        if isinstance(row.loaded_at, (dt.datetime, pd.Timestamp)) and not pd.isna(row.loaded_at)
        else "–",
    }
    words = i18n.text(reason, ctx.lang, **values) if reason in i18n.REASONS else reason
    last = row.last_day
    if last is not None and not pd.isna(last):
        words += " " + i18n.text("last_data", ctx.lang, day=i18n.date(pd.Timestamp(last).date(), ctx.lang))
    return words


def quality(ctx: Ctx) -> None:
    st.subheader(ctx.w("missing"))
    found = (
        queries.coverage(ctx.con, ctx.start, ctx.end)
        if "marts.account_coverage_weekly" in ctx.tables
        else pd.DataFrame()
    )
    if found.empty:
        st.success(ctx.w("nothing_missing"))
    for row in found.itertuples():
        week = i18n.date(pd.Timestamp(row.week_start).date(), ctx.lang)
        names = {"network": i18n.network_name(str(row.network)), "account": row.account_id, "week": week}
        if row.days_missing > 0:
            st.markdown("- " + ctx.w("missing_line", days=row.days_missing, reason=_reason(ctx, row), **names))
        if row.not_reported:
            named = [{"followers_end": "followers"}.get(f, f) for f in str(row.not_reported).split(", ")]
            figures = ", ".join(ctx.w(f) if f in i18n.TEXTS else f for f in named)
            st.markdown("- " + ctx.w("not_reported_line", figures=figures, **names))
    if not found.empty:
        table(ctx, found, "missing_data")
    st.subheader(ctx.w("run_issues"))
    issues = queries.run_issues(ctx.con, ctx.start, ctx.end) if "marts.run_issues" in ctx.tables else pd.DataFrame()
    if issues.empty:
        st.success(ctx.w("no_issues"))
    else:
        table(ctx, issues, "run_issues")


def _optional(mart: str) -> Callable[[Ctx], None]:
    def page(ctx: Ctx) -> None:
        st.caption(ctx.w("optional_note", table=mart))
        frame = queries.any_mart(ctx.con, mart, ctx.start, ctx.end)
        if frame.empty:
            st.info(ctx.w("no_rows"))
        table(ctx, frame, re.sub(r"\W", "_", mart.split(".", 1)[1]))

    return page
