"""What social media brought, in the weekly report: the section "Was hat es gebracht?" equals
marts.web_outcomes_weekly, the posts' links equal marts.post_links_weekly, and the campaign sentence names what
the Herbstfest brought to the website (marts.campaign_impact's web rows, the sandbox's true effect inside the
interval). The warehouse is built once: the sandbox's Facebook page and its Matomo site with 160 days of history
up to 15 Nov 2026; the report is for ISO week 46 (9-15 Nov)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import Credentials
from connectors.testing import FakeServer
from connectors.testing.sandbox import matomo as fake_matomo
from connectors.testing.sandbox.facebook import SANDBOX_TOKEN as FB_TOKEN
from connectors.testing.sandbox.facebook import FacebookSandbox
from socialmetrics import pipeline
from socialmetrics.config import load_config
from socialmetrics.serve.report import build_weekly_report, i18n
from socialmetrics.settings import SQL_DIR
from tests.conftest import AUTHOR_KEY, NOW, TODAY

CONFIG = """company: Brauerei Sonnenhang GmbH
timezone: Europe/Berlin
lookback_days: 160
accounts:
  - network: facebook
    id: "104857600000001"
    name: Brauerei Sonnenhang
  - network: matomo
    id: "1"
    name: www.brauerei-sonnenhang.de
    goals: {1: Tischreservierung, 2: Onlineshop-Bestellung}
campaigns:
  - name: Herbstfest 2026
    start: 2026-09-14
    end: 2026-10-04
    networks: [facebook]
    tags: [herbstfest]
"""
WEEK_START = dt.date(2026, 11, 9)


class Built:
    """The module's warehouse, its config and the report's HTML (German and English)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config_path = root / "socialmetrics.yml"
        self.warehouse = root / "warehouse.duckdb"

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    result = Built(tmp_path_factory.mktemp("web-report"))
    result.config_path.write_text(CONFIG, encoding="utf-8")
    matomo = fake_matomo.MatomoSandbox(today=TODAY)
    with FakeServer(FacebookSandbox(today=TODAY)) as fb, FakeServer(matomo) as mt, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIALMETRICS_AUTHOR_KEY", AUTHOR_KEY)
        mp.setenv("SOCIALMETRICS_WAREHOUSE", str(result.warehouse))
        servers = {"facebook_default": (fb, FB_TOKEN), "matomo_default": (mt, fake_matomo.SANDBOX_TOKEN)}
        cfg = load_config(result.config_path)
        window = pipeline.run_window(dt.datetime(2026, 11, 15, 3, tzinfo=dt.UTC), cfg, backfill=False, now=NOW)
        run_id = "scheduled__2026-11-15"

        def credentials(conn_id: str) -> Credentials:
            server, token = servers[conn_id]
            return Credentials(conn_id, token, server.base_url)

        for acc in pipeline.plan(result.config_path):
            pipeline.extract(pipeline.account_from_dict(acc), window, run_id, credentials=credentials,
                             landing_root=result.root / "landing", today=TODAY)  # fmt: skip
        loaded = pipeline.load(run_id, warehouse_path=result.warehouse, landing_root=result.root / "landing")
        pipeline.run_transform(run_id, loaded, warehouse_path=result.warehouse, cfg=cfg)
    yield result


def _html(built: Built, lang: str, config: str = CONFIG) -> str:
    path = built.root / f"config-{lang}-{abs(hash(config))}.yml"
    path.write_text(config, encoding="utf-8")
    files = build_weekly_report(load_config(path), built.warehouse, (2026, 46), out_dir=built.root / f"out-{lang}",
                                language=lang, today=TODAY, pdf=False)  # fmt: skip
    return files.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html_de(built: Built) -> str:
    return _html(built, "de")


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).replace(i18n.NBSP, " ").split())


def _web_rows(html: str) -> dict[str, str]:
    """data-web-figure -> the row's text."""
    return {m.group(1): _text(m.group(2)) for m in re.finditer(r'<tr data-web-figure="([^"]+)">(.*?)</tr>', html, re.S)}


def _mart(built: Built, network: str, figure: str, goal_id: str = "all") -> tuple[Any, ...]:
    rows = built.query(
        "SELECT value, previous_value, previous_status, previous_change, average_value, average_status, "
        "average_change, days FROM marts.web_outcomes_weekly WHERE analytics = 'matomo' AND site_id = '1' "
        "AND week_start = ? AND network = ? AND figure = ? AND goal_id = ?",
        [WEEK_START, network, figure, goal_id],
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_the_section_follows_the_overview_and_every_figure_equals_the_weekly_mart(built: Built, html_de: str) -> None:
    """Given a whole week of Matomo numbers and four whole weeks before it, then the section shows visits from
    social media, each configured goal by its name and revenue, each against the week before and the 4-week
    average, exactly as marts.web_outcomes_weekly holds them."""
    assert html_de.index('id="overview"') < html_de.index(">Was hat es gebracht?<") < html_de.index('id="trend"')
    rows = _web_rows(html_de)
    assert list(rows) == ["visits", "goal:1", "goal:2", "revenue"]
    visits = _mart(built, "social", "visits")
    value, previous, p_status, p_change, average, a_status, a_change, days = visits
    assert (p_status, a_status, days) == ("ok", "ok", 7)
    # the exact values: what the sandbox's Matomo served for 9..15 Nov (social segment + tagged links)
    served = sum(
        sum(e["visits"] for e in fake_matomo.day_traffic(WEEK_START + dt.timedelta(days=i))["social"].values())
        for i in range(7)
    )
    assert value == served
    total = _mart(built, "all", "visits")[0]
    assert rows["visits"] == _text(
        f"Besuche über Social Media {i18n.number(value, 'de')} {i18n.percent(value / total, 'de', 0)} aller "
        f"{i18n.number(total, 'de')} Besuche {i18n.change_percent(p_change, 'de')} {i18n.number(previous, 'de')} "
        f"{i18n.change_percent(a_change, 'de')} {i18n.number(average, 'de')}"
    )
    for key, goal_id, name in (("goal:1", "1", "Tischreservierung"), ("goal:2", "2", "Onlineshop-Bestellung")):
        value, previous, _s, p_change, average, _a, a_change, _d = _mart(built, "social", "conversions", goal_id)
        assert rows[key] == _text(f"{name} {i18n.number(value, 'de')} {i18n.change_percent(p_change, 'de')} "
                             f"{i18n.number(previous, 'de')} {i18n.change_percent(a_change, 'de')} "
                             f"{i18n.number(average, 'de')}")  # fmt: skip
    revenue = _mart(built, "social", "revenue")
    assert rows["revenue"].startswith(f"Umsatz (€) {i18n.number(revenue[0], 'de', 2)} ")


def test_the_per_network_table_equals_the_weekly_mart(built: Built, html_de: str) -> None:
    facebook = re.search(r'<tr data-web-network="Facebook">(.*?)</tr>', html_de, re.S)
    assert facebook is not None
    visits, tisch, orders, revenue = (_mart(built, "facebook", f, g)[0] for f, g in (
        ("visits", "all"), ("conversions", "1"), ("conversions", "2"), ("revenue", "all")))  # fmt: skip
    change = _mart(built, "facebook", "visits")[3]
    assert _text(facebook.group(1)) == _text(
        f"Facebook {i18n.number(visits, 'de')} ({i18n.change_percent(change, 'de')}) {i18n.number(tisch, 'de')} "
        f"{i18n.number(orders, 'de')} {i18n.number(revenue, 'de', 2)}"
    )
    assert "als „direkt“" in html_de  # the limitation is named


def test_the_posts_links_line_equals_the_links_mart(built: Built, html_de: str) -> None:
    (posts, with_links, tagged, shortened), = built.query(
        "SELECT posts, with_links, tagged, shortened FROM marts.post_links_weekly WHERE week_start = ? "
        "AND network = 'all'",
        [WEEK_START],
    )  # fmt: skip
    assert (
        posts
        == built.query(
            "SELECT count(*) FROM core.post WHERE CAST(timezone('Europe/Berlin', published_at) AS DATE) "
            "BETWEEN ? AND ?",
            [WEEK_START, WEEK_START + dt.timedelta(days=6)],
        )[0][0]
    )
    line = re.search(r'<p data-web="links">(.*?)</p>', html_de, re.S)
    assert line is not None
    expected = i18n.text("web_links_line", "de", posts=posts, with_links=with_links, tagged=tagged,
                         shortened=shortened)  # fmt: skip
    assert _text(line.group(1)) == _text(expected) and shortened == 0


def test_the_campaign_sentence_names_the_web_outcomes_and_the_true_effect_is_inside_the_interval(
    built: Built, html_de: str
) -> None:
    """The Herbstfest (its +40 % on visits from Facebook, plus the visits its extra posts brought: 66 % in all) is
    found inside the 95 % interval of Facebook's visits; the report's sentence names the visits from social media
    and the Tischreservierungen more than expected, as marts.campaign_impact holds them."""
    truth = fake_matomo.true_facebook_visit_lift()
    assert round(truth, 1) == 66.2
    ((low, lift, high, verdict),) = built.query(
        "SELECT ci_low_pct, lift_pct, ci_high_pct, verdict FROM marts.campaign_impact WHERE analytics = 'matomo' "
        "AND network = 'facebook' AND metric = 'visits'"
    )
    assert low <= truth <= high and verdict == "clear effect", (low, lift, high)
    ((v_lift, v_low, v_high),) = built.query(
        "SELECT lift_pct, ci_low_pct, ci_high_pct FROM marts.campaign_impact WHERE analytics = 'matomo' "
        "AND network = 'social' AND metric = 'visits'"
    )
    ((observed, expected, g_low, g_high, g_verdict),) = built.query(
        "SELECT observed, expected, ci_low_pct, ci_high_pct, verdict FROM marts.campaign_impact "
        "WHERE analytics = 'matomo' AND network = 'social' AND goal = 'Tischreservierung'"
    )
    block = re.search(r'<div class="campaign" data-campaign="Herbstfest 2026">(.*?)</div>', html_de, re.S)
    assert block is not None
    text = _text(block.group(1))
    notes = re.search(r'<ul class="footnotes campaign-notes">(.*?)</ul>', html_de, re.S)
    assert notes is not None
    footnotes = _text(notes.group(1))
    # the verdict in plain words, the interval in a footnote (marts.campaign_impact's figures)
    assert v_low > 0 and v_high <= 1000
    assert _text(f"Herbstfest 2026: {i18n.lift(v_lift, 'de')} Besuche über Social Media, sicher mehr als ohne "
                 "Kampagne") in text  # fmt: skip
    assert _text(f"Herbstfest 2026, Besuche über Social Media: gemessen {i18n.lift(v_lift, 'de')}, 95-%-Bereich "
                 f"{i18n.signed(v_low, 'de')} bis {i18n.lift(v_high, 'de')}.") in footnotes  # fmt: skip
    assert "95-%-Bereich" not in text
    # the marks follow the sentence: the visits' footnote before the goal's
    assert footnotes.index("Besuche über Social Media: gemessen") < footnotes.index("Tischreservierung: ")
    assert g_verdict == "clear effect"
    extra = [observed - expected, *(observed - observed / (1 + p / 100) for p in (g_low, g_high))]
    assert _text(f"{i18n.number(extra[0], 'de')} Tischreservierungen mehr als erwartet") in text
    assert _text(f"Herbstfest 2026, Tischreservierung: {i18n.number(extra[0], 'de')} mehr als erwartet, 95-%-Bereich "
                 f"{i18n.number(extra[1], 'de')} bis {i18n.number(extra[2], 'de')}.") in footnotes  # fmt: skip
    # the reach sentences stay as they were: one per metric of the targeted network
    assert text.count("auf Facebook") == 3


def test_without_web_analytics_the_section_says_how_to_connect_it_in_one_line(built: Built) -> None:
    without = CONFIG.replace(
        '  - network: matomo\n    id: "1"\n    name: www.brauerei-sonnenhang.de\n'
        "    goals: {1: Tischreservierung, 2: Onlineshop-Bestellung}\n",
        "",
    )
    assert "matomo" not in without
    html = _html(built, "de", without)
    assert '<p class="none" data-web="connect">' in html
    assert "data-web-figure" not in html and "Keine Website-Analyse verbunden" in html


def test_english_words(built: Built) -> None:
    html = _html(built, "en")
    assert ">What did it bring?<" in html and "Visits from social media" in html


def _weekly_mart(daily: list[tuple[Any, ...]], goals: list[tuple[Any, ...]]) -> duckdb.DuckDBPyConnection:
    """marts.web_outcomes_weekly built from hand-made daily rows."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    keys = "analytics VARCHAR, site_id VARCHAR, day DATE, network VARCHAR, campaign VARCHAR"
    con.execute(f"CREATE TABLE marts.web_outcomes_daily ({keys}, visits DOUBLE, users DOUBLE, conversions DOUBLE, "
                "revenue DOUBLE)")  # fmt: skip
    con.execute(f"CREATE TABLE marts.web_goal_daily ({keys}, goal_id VARCHAR, goal_name VARCHAR, conversions DOUBLE, "
                "revenue DOUBLE)")  # fmt: skip
    if daily:
        con.executemany("INSERT INTO marts.web_outcomes_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", daily)
    if goals:
        con.executemany("INSERT INTO marts.web_goal_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", goals)
    sql = (SQL_DIR / "marts" / "web_outcomes_weekly.sql").read_text(encoding="utf-8")
    con.execute(f"CREATE TABLE marts.web_outcomes_weekly AS {sql}")
    return con


def test_a_week_with_a_missing_day_is_compared_with_nothing_and_left_out_of_the_average() -> None:
    """Given 10 social visits every day for three weeks, except Wednesday of the second week (the tool answered
    empty), then the second week is 'this_week_partial' (no change), the third week's previous week is partial
    and its average takes the first week only."""
    start = dt.date(2026, 11, 2)
    daily = []
    for i in range(21):
        day = start + dt.timedelta(days=i)
        if i == 9:
            continue
        daily += [("matomo", "1", day, "all", None, 100, 90, 5, 0), ("matomo", "1", day, "social", None, 10, 9, 1, 0),
                  ("matomo", "1", day, "facebook", None, 6, 5, 1, 0)]  # fmt: skip
    con = _weekly_mart(daily, [])
    rows = con.execute(
        "SELECT week_start, value, days, previous_status, previous_change, average_status, average_weeks, "
        "average_value, average_left_out FROM marts.web_outcomes_weekly WHERE network = 'social' "
        "AND figure = 'visits' ORDER BY week_start"
    ).fetchall()
    assert rows == [
        (dt.date(2026, 11, 2), 70.0, 7, "no_previous", None, "no_whole_weeks", 0, None, None),
        (dt.date(2026, 11, 9), 60.0, 6, "this_week_partial", None, "this_week_partial", 0, None, None),
        (dt.date(2026, 11, 16), 70.0, 7, "previous_partial", None, "fewer_weeks", 1, 70.0, [dt.date(2026, 11, 9)]),
    ]
    # a network without a row on a day the site answered brought 0 that day; instagram never had a row: no figure
    assert con.execute("SELECT DISTINCT network FROM marts.web_outcomes_weekly ORDER BY 1").fetchall() == [
        ("all",), ("facebook",), ("social",)]  # fmt: skip


def test_the_links_mart_counts_the_sandbox_posts_links_and_tags(built: Built) -> None:
    """Given the sandbox page's posts of the Herbstfest's first week (most link to it, tagged as `socialmetrics
    link` tags) and of a week before it (a quarter link to the shop, untagged), then marts.post_links_weekly counts
    exactly the posts whose text carries a link and those whose link has utm_campaign."""
    from connectors.testing.sandbox import company

    def texts_of(monday: dt.date) -> list[str]:
        return [str(p.get("message") or "") for i in range(7)
                for p in company.facebook_posts(monday + dt.timedelta(days=i))]  # fmt: skip

    mondays = [dt.date(2026, 9, 14) - dt.timedelta(weeks=w) for w in range(1, 9)]
    before = next(m for m in mondays if any("https://" in t for t in texts_of(m)))
    for monday in (dt.date(2026, 9, 14), before):
        texts = texts_of(monday)
        linked = [t for t in texts if "https://" in t]
        tagged = [t for t in linked if "utm_campaign=Herbstfest%202026" in t]
        rows = built.query(
            "SELECT posts, with_links, tagged, shortened, untagged FROM marts.post_links_weekly "
            "WHERE week_start = ? AND network = 'facebook'",
            [monday],
        )
        assert rows == [(len(texts), len(linked), len(tagged), 0, len(linked) - len(tagged))], monday
        assert (len(tagged) > 3) if monday == company.CAMPAIGN.start else (not tagged and linked)


def test_the_website_is_not_listed_as_missing_social_media_days(built: Built, html_de: str) -> None:
    """The Matomo site has no reach or engagement days: it is no account of the missing-data section (its own days
    are the web section's like-for-like rule)."""
    assert built.query("SELECT count(*) FROM marts.account_coverage_weekly WHERE network = 'matomo'") == [(0,)]
    missing = html_de[html_de.index('id="quality"') :]
    assert "Matomo" not in missing[: missing.index('id="appendix"')]


def test_a_website_range_too_wide_to_say_anything_is_named_so_and_not_printed() -> None:
    """Visits from social media measured at +40 % with a 95 % range from −30 % to +150 %: the sentence says 'zu
    wenig Daten für eine Aussage', the footnote why, and the range is printed nowhere."""
    from types import SimpleNamespace

    from socialmetrics.serve.report.web import WebCampaignRow, WebOutcomes, campaign_web_sentence

    row = WebCampaignRow("visits", None, 140.0, 100.0, 40.0, -30.0, 150.0, "inconclusive", None)
    data = SimpleNamespace(web=WebOutcomes(configured=True, campaigns={"Herbstfest": [row]}))
    notes: list[str] = []
    sentence = campaign_web_sentence(data, "Herbstfest", "de", notes)
    assert sentence == "Herbstfest: Besuche über Social Media, zu wenig Daten für eine Aussage¹."
    assert len(notes) == 1 and notes[0].startswith("Zu wenig Daten für eine Aussage") and "150" not in notes[0]
    assert campaign_web_sentence(data, "Herbstfest", "en") == (
        "Herbstfest: visits from social media, too little data to tell."
    )
