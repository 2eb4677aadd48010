"""The dashboard in a real headless Chromium: login, every page, figures against mart queries, the posts
table filtered, a CSV export read back; and the export's formula neutralising on the files.

The warehouse is the weekly report's (tests/test_report.py: Facebook, LinkedIn and Xing with 160 days of
history, the Herbstfest campaign, a failed LinkedIn fetch), published as the readers' copy; one Streamlit
server serves the whole module. Playwright drives the system Chromium (/usr/bin/chromium): no browser is
downloaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from socialmetrics.serve import readers
from socialmetrics.serve.dashboard import export, queries
from socialmetrics.serve.dashboard.__main__ import command, wait_up
from socialmetrics.serve.dashboard.period import parse_day, preset
from socialmetrics.serve.report import i18n
from tests.test_report import Built, built  # noqa: F401 (the module's warehouse fixture)

PASSWORD = "test-dashboard-password"
WEEK_START, WEEK_END = dt.date(2026, 11, 9), dt.date(2026, 11, 16)  # ISO week 46
TZ = "Europe/Berlin"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(built: Built) -> Iterator[str]:  # noqa: F811
    readers.publish(built.warehouse, run_id="test")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALMETRICS")}
    env |= {
        "SOCIALMETRICS_CONFIG": str(built.config_path),
        "SOCIALMETRICS_WAREHOUSE": str(built.warehouse),
        "SOCIALMETRICS_DASHBOARD_PASSWORD": PASSWORD,
        "HOME": str(built.root),  # Streamlit's ~/.streamlit
    }
    proc = subprocess.Popen(command("127.0.0.1", port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_up(url, proc), proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else url
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium: apt-get install -y chromium")
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1500, "height": 1100}, locale="de-DE")
    tab = context.new_page()
    tab.set_default_timeout(90_000)  # the CI machine runs Airflow tests beside it
    tab.goto(server)
    yield tab
    context.close()


def login(tab: Any, password: str = PASSWORD) -> None:
    tab.get_by_label("Passwort").fill(password)
    tab.get_by_role("button", name="Anmelden").click()


def set_period(tab: Any, first: str, last: str, labels: tuple[str, str] = ("Von", "Bis")) -> None:
    """Type both dates and submit them together: Enter in the second field submits the sidebar's period form."""
    wait_idle(tab)
    for label, value in zip(labels, (first, last), strict=True):
        tab.get_by_label(label, exact=True).fill(value)
    tab.get_by_label(labels[1], exact=True).press("Enter")
    wait_idle(tab)
    typed = [tab.get_by_label(label, exact=True).input_value() for label in labels]
    assert typed == [first, last], screen(tab)


def screen(tab: Any) -> str:
    """What the page shows, for a failure's message: the period fields, any message box, the main area's start."""
    fields = {
        label: tab.get_by_label(label, exact=True).input_value()
        for label in ("Von", "Bis", "From", "To")
        if tab.get_by_label(label, exact=True).count()
    }
    alerts = [a.inner_text() for a in tab.get_by_test_id("stAlert").all()]
    login = tab.get_by_label("Passwort").count() + tab.get_by_label("Password").count()
    main = tab.get_by_test_id("stMain").inner_text()[:1500] if tab.get_by_test_id("stMain").count() else "-"
    return f"fields {fields}; messages {alerts}; login form shown: {bool(login)}; main area:\n{main}"


def shows(tab: Any, locator: Any) -> None:
    """Wait until the page shows `locator`; if it never does, fail with what the page shows instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.first.wait_for()
    except PlaywrightTimeout as timeout:
        raise AssertionError(f"never shown: {locator}\n{screen(tab)}") from timeout


def download(tab: Any, button: Any) -> Any:
    """Click a download button once the app is idle and return the download; without one, fail with the buttons'
    error text ("Deferred file … not found" was what a click that also reran the page got on a loaded machine)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wait_idle(tab)
    try:
        with tab.expect_download() as info:
            button.click()
    except PlaywrightTimeout as timeout:
        errors = [e.inner_text() for e in tab.get_by_test_id("stDownloadButtonError").all()]
        raise AssertionError(f"no download: {errors}\n{screen(tab)}") from timeout
    return info.value


def wait_idle(tab: Any) -> None:
    """Until Streamlit has finished the run the last input started."""
    tab.wait_for_timeout(300)
    tab.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)


def open_page(tab: Any, name: str) -> None:
    tab.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    tab.get_by_role("heading", name=name).first.wait_for()
    wait_idle(tab)


def mart(built: Built, sql: str, params: Any = None) -> list[tuple[Any, ...]]:  # noqa: F811
    con = duckdb.connect(str(readers.readers_path(built.warehouse)), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_the_dashboard_asks_for_the_password_and_refuses_a_wrong_one(page: Any) -> None:
    page.get_by_label("Passwort").wait_for()
    assert page.get_by_text("Beiträge", exact=True).count() == 0  # nothing of the data before the login
    login(page, "wrong")
    page.get_by_text("Das Passwort stimmt nicht.").wait_for()
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))


def test_the_overview_of_an_iso_week_equals_the_weekly_headline_mart(page: Any, built: Built) -> None:  # noqa: F811
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))
    set_period(page, "09.11.2026", "15.11.2026")
    (reach_value,) = mart(
        built, "SELECT value FROM marts.weekly_headline WHERE week_start = ? AND figure = 'reach'", [WEEK_START]
    )[0]
    shows(page, page.get_by_test_id("stTable").get_by_text(i18n.number(reach_value, "de"), exact=True))
    wait_idle(page)
    cells = {
        row.locator("th").inner_text().strip(): [c.inner_text().strip() for c in row.locator("td").all()]
        for row in page.locator("[data-testid=stTable] tbody tr").all()
    }
    headline = dict(
        (r[0], r[1:])
        for r in mart(
            built,
            "SELECT figure, value, previous_value FROM marts.weekly_headline WHERE week_start = ?",
            [WEEK_START],
        )
    )
    reach, reach_before = headline["reach"]
    assert cells["Reichweite"][0] == i18n.number(reach, "de")
    assert cells["Reichweite"][1] == i18n.number(reach_before, "de")
    rate, rate_before = headline["engagement_rate"]
    assert cells["Engagement-Rate"][0] == i18n.percent(rate, "de", 2)
    assert cells["Engagement-Rate"][1] == i18n.percent(rate_before, "de", 2)
    gain = headline["follower_gain"][0]
    assert cells["Follower-Zuwachs"][0] == i18n.signed(gain, "de")
    # and the page shows exactly what the overview query returns, status words included
    frame = queries.overview(queries.connect(built.warehouse), WEEK_START, WEEK_END, TZ)
    posts = frame.set_index("figure").loc["posts"]
    assert cells["Beiträge"][0] == i18n.number(posts["value"], "de")
    (count,) = mart(
        built,
        "SELECT count(*) FROM marts.post_performance WHERE CAST(timezone(?, published_at) AS DATE) BETWEEN ? AND ?",
        [TZ, WEEK_START, WEEK_END - dt.timedelta(days=1)],
    )[0]
    assert posts["value"] == count
    # LinkedIn's fetch failed in week 46: its accounts differ from the week before, so no comparison
    if frame.set_index("figure").loc["reach", "status"] != "ok":
        assert cells["Reichweite"][2] == i18n.DASH and cells["Reichweite"][3]


def test_a_wrong_date_gets_a_clear_message(page: Any) -> None:
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))
    set_period(page, "31.02.2026", "15.11.2026")
    page.get_by_text("„31.02.2026“ ist kein gültiges Datum (Von)").wait_for()
    set_period(page, "20.11.2026", "15.11.2026")
    page.get_by_text("Der Zeitraum endet (15.11.2026) vor seinem Beginn (20.11.2026)").wait_for()


def test_english_is_an_option_with_english_number_formats(page: Any, built: Built) -> None:  # noqa: F811
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))
    page.get_by_test_id("stSidebar").get_by_label("Sprache / Language").click()
    page.get_by_role("option", name="English").click()
    shows(page, page.get_by_role("heading", name="Overview"))
    set_period(page, "2026-11-09", "2026-11-15", ("From", "To"))
    (reach,) = mart(
        built, "SELECT value FROM marts.weekly_headline WHERE week_start = ? AND figure = 'reach'", [WEEK_START]
    )[0]
    shows(page, page.get_by_test_id("stTable").get_by_text(i18n.number(reach, "en"), exact=True))
    assert i18n.number(reach, "en") != i18n.number(reach, "de")  # 13,654 against 13.654
    # the quick choice and the pages, whose German labels the browser may still send, work in English
    page.get_by_test_id("stSidebar").get_by_label("Quick choice").click()
    page.get_by_role("option", name="last 28 days").click()
    wait_idle(page)
    shows(page, page.get_by_text(i18n.date_range(dt.date(2026, 10, 19), dt.date(2026, 11, 15), "en"), exact=False))
    assert page.get_by_label("From", exact=True).input_value() == "2026-10-19", screen(page)
    open_page(page, "Posts")
    assert page.get_by_test_id("stException").count() == 0, screen(page)


def test_a_choice_sent_back_by_its_label_in_either_language_is_its_option_again(monkeypatch: Any) -> None:
    """Streamlit hands a choice over by its label; right after the language switch the browser can still send the
    German one ("eigener Zeitraum"), which was once handed to the period's code as the choice (a traceback)."""
    from socialmetrics.serve.dashboard import ui
    from socialmetrics.serve.dashboard.words import word

    state = {
        "period_preset": "eigener Zeitraum",
        "page": "Überblick",
        "post_formats": ["Bild", "video", "Grafik"],
        "post_pick": "2026-11-09 · Facebook · a post the filter removed",
    }
    monkeypatch.setattr(ui.st, "session_state", state)
    ui._settle("period_preset", ("custom", "last_7"), lambda k, lang: word(f"q_{k}", lang))
    ui._settle("page", ["p_overview", "p_posts"], word)
    ui._settle("post_formats", list(queries.POST_FORMATS), lambda f, lang: word(f"format_{f}", lang))
    ui._settle("post_pick", [0, 1], lambda i, _: ["2026-11-10 · X · one", "2026-11-11 · X · two"][i])
    assert state == {"period_preset": "custom", "page": "p_overview", "post_formats": ["image", "video"]}
    state["period_preset"] = "last whole week"
    ui._settle("period_preset", ("custom", "last_week"), lambda k, lang: word(f"q_{k}", lang))
    assert state["period_preset"] == "last_week"


def test_every_page_opens_and_the_networks_figures_are_the_marts(page: Any, built: Built) -> None:  # noqa: F811
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))
    set_period(page, "09.11.2026", "15.11.2026")
    for name in ("Netzwerke", "Beiträge", "Kommentare", "Kampagnen", "Datenqualität"):
        open_page(page, name)
        assert page.get_by_test_id("stException").count() == 0, name
    open_page(page, "Netzwerke")
    (engagements,) = mart(
        built,
        "SELECT sum(engagements) FROM marts.engagement_daily WHERE network = 'facebook' AND day BETWEEN ? AND ?",
        [WEEK_START, WEEK_END - dt.timedelta(days=1)],
    )[0]
    metric = page.get_by_test_id("stMetric").filter(has_text="Interaktionen")
    shows(page, metric.filter(has_text=i18n.number(engagements, "de")))
    # campaigns: the verdict of marts.campaign_impact in plain words, its interval in a footnote
    open_page(page, "Kampagnen")
    shows(page, page.get_by_text("Herbstfest 2026: "))
    (lift,) = mart(built, "SELECT lift_pct FROM marts.campaign_impact WHERE campaign = 'Herbstfest 2026' "
                          "AND network = 'facebook' AND metric = 'reach'")[0]  # fmt: skip
    shows(page, page.get_by_text(f"Herbstfest 2026: {i18n.lift(lift, 'de')} Reichweite auf Facebook"))
    assert "95-%-Bereich" in page.get_by_test_id("stMain").inner_text()
    # data quality: LinkedIn's failed fetch in the owner's words (marts.account_coverage_weekly)
    open_page(page, "Datenqualität")
    shows(page, page.get_by_text("4 Tage ohne Zahlen"))
    reasons = {r[0] for r in mart(built, "SELECT reason FROM marts.account_coverage_weekly WHERE week_start = ? "
                                          "AND len(missing_days) > 0", [WEEK_START])}  # fmt: skip
    text = page.get_by_test_id("stMain").inner_text()
    assert "extract_failed" in reasons and "brachte Zahlen der anderen Konten, aber keine für dieses" in text


def test_the_posts_table_filters_by_tag_and_format_and_exports_what_it_shows(page: Any, built: Built) -> None:  # noqa: F811
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))
    set_period(page, "01.09.2026", "15.11.2026")
    open_page(page, "Beiträge")
    first, last = dt.date(2026, 9, 1), dt.date(2026, 11, 16)
    every = queries.posts(queries.connect(built.warehouse), first, last, TZ)
    page.get_by_text(f"{i18n.number(len(every), 'de')} Beiträge", exact=True).wait_for()
    tagged = every[[("karriere" in list(t)) for t in every["tags"]]]
    assert 0 < len(tagged) < len(every)
    box = page.get_by_label("Tag (ohne #)")
    box.fill("#Karriere")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text(f"{i18n.number(len(tagged), 'de')} Beiträge", exact=True).wait_for()
    got = download(page, page.get_by_test_id("stDownloadButton").filter(has_text="CSV").first)
    path = Path(got.path())
    assert got.suggested_filename == "posts_2026-09-01_2026-11-15.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert len(rows) == len(tagged)
    assert {r["post_id"] for r in rows} == set(tagged["post_id"])
    by_id = {r["post_id"]: r for r in rows}
    (post_id, engagements, impressions) = mart(
        built,
        "SELECT post_id, engagements, impressions FROM marts.post_performance WHERE post_id = ?",
        [tagged.iloc[0]["post_id"]],
    )[0]
    assert float(by_id[post_id]["engagements"]) == engagements
    assert float(by_id[post_id]["impressions"]) == impressions
    # a post's detail: its comments from core.comment with their tone
    page.get_by_role("heading", name="Ein Beitrag im Detail").wait_for()
    assert page.get_by_text("Kommentare zu diesem Beitrag").count() == 1
    # the format filter: the table holds exactly the mart's posts of that format (docs/data.md "Post format")
    box.fill("")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text(f"{i18n.number(len(every), 'de')} Beiträge", exact=True).wait_for()
    images = {
        r[0]
        for r in mart(
            built,
            "SELECT post_id FROM marts.post_performance WHERE format = 'image' "
            "AND CAST(timezone(?, published_at) AS DATE) >= ? AND CAST(timezone(?, published_at) AS DATE) < ?",
            [TZ, first, TZ, last],
        )
    }
    assert 0 < len(images) < len(every)
    page.get_by_test_id("stMultiSelect").filter(has_text="Formate").click()
    page.get_by_role("option", name="Bild", exact=True).click()
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_text(f"{i18n.number(len(images), 'de')} Beiträge", exact=True).wait_for()
    # The browser's download again, right after the format filter: before the buttons stopped rerunning the page
    # (on_click="ignore"), this click started no download on a loaded machine (docs/testing.md).
    got = download(page, page.get_by_test_id("stDownloadButton").filter(has_text="CSV").first)
    rows = list(csv.DictReader(io.StringIO(Path(got.path()).read_bytes().decode("utf-8-sig"), newline="")))
    assert {r["post_id"] for r in rows} == images
    assert {r["format"] for r in rows} == {"image"}


def test_a_download_does_not_rerun_the_page(monkeypatch: Any) -> None:
    """A rerun on the click revokes the file function the click asks for (Streamlit registers it anew each run):
    on a loaded server the download then never starts. Both export buttons download without a rerun."""
    from types import SimpleNamespace

    from socialmetrics.serve.dashboard import ui

    clicks: list[dict[str, Any]] = []
    column = SimpleNamespace(download_button=lambda *args, **kwargs: clicks.append(kwargs))
    monkeypatch.setattr(ui.st, "dataframe", lambda *args, **kwargs: None)
    monkeypatch.setattr(ui.st, "columns", lambda spec: [column, column, column])
    ctx = SimpleNamespace(start=WEEK_START, last=WEEK_END - dt.timedelta(days=1))
    ui.table(ctx, pd.DataFrame({"n": [1]}), "posts")  # type: ignore[arg-type]
    assert [(c["key"], c["on_click"]) for c in clicks] == [("csv-posts", "ignore"), ("xlsx-posts", "ignore")]


def test_export_neutralises_formulas_in_csv_and_excel(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "text": ['=HYPERLINK("https://evil.example")', "+49 171", "-1+2", "@SUM(A1)", "\tx", "\rx", "Prost!"],
            "n": [1, -2, 3, 4, 5, 6, 7],
        }
    )
    rows = list(csv.reader(io.StringIO(export.to_csv(frame).decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"https://evil.example\")", "'+49 171", "'-1+2", "'@SUM(A1)",
                                        "'\tx", "'\rx", "Prost!"]  # fmt: skip
    assert rows[2][1] == "-2"  # a negative number stays a number
    path = tmp_path / "t.xlsx"
    path.write_bytes(export.to_xlsx(frame))
    sheet = load_workbook(path).active
    assert sheet is not None
    values = [sheet.cell(row=i, column=1).value for i in range(2, 9)]
    assert values[0] == '\'=HYPERLINK("https://evil.example")' and values[3] == "'@SUM(A1)"
    assert all(sheet.cell(row=i, column=1).data_type == "s" for i in range(2, 9))
    assert sheet.cell(row=3, column=2).value == -2


def test_the_quick_choices_are_whole_weeks_and_months_up_to_the_last_day() -> None:
    last = dt.date(2026, 11, 19)  # a Thursday
    assert preset("last_week", last) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert preset("last_week", dt.date(2026, 11, 15)) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert preset("last_month", last) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert preset("last_month", dt.date(2026, 10, 31)) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert preset("last_7", last) == (dt.date(2026, 11, 13), last)
    assert preset("year_to_date", last) == (dt.date(2026, 1, 1), last)


def test_a_quick_choice_fills_the_period(page: Any) -> None:
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))
    page.get_by_test_id("stSidebar").get_by_label("Schnellwahl").click()
    page.get_by_role("option", name="letzte ganze Kalenderwoche").click()
    wait_idle(page)
    page.get_by_text("09.11.2026–15.11.2026", exact=True).wait_for()  # the data end on Sunday 15 Nov
    assert page.get_by_label("Von", exact=True).input_value() == "09.11.2026"


def test_dates_are_read_in_german_and_iso_form_and_nothing_else() -> None:
    assert parse_day("16.11.2026") == parse_day("2026-11-16") == dt.date(2026, 11, 16)
    assert parse_day("31.02.2026") is None and parse_day("16.11.26") is None and parse_day("gestern") is None


def test_the_dashboard_refuses_to_start_without_the_readers_copy(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALMETRICS")}
    env["SOCIALMETRICS_WAREHOUSE"] = str(tmp_path / "warehouse.duckdb")
    out = subprocess.run(
        [sys.executable, "-m", "socialmetrics.serve.dashboard"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and "run `make demo` first" in out.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()  # the writer's file is never created or opened


def test_the_nightly_swap_of_the_readers_copy_shows_at_the_next_click(page: Any, built: Built) -> None:  # noqa: F811
    """publish() replaces the copy while the dashboard runs: the writer does not wait, the next page has the new
    numbers. (Last in the module: it changes the warehouse and puts it back.)"""
    login(page)
    shows(page, page.get_by_role("heading", name="Überblick"))
    set_period(page, "09.11.2026", "15.11.2026")
    (reach,) = mart(
        built, "SELECT value FROM marts.weekly_headline WHERE week_start = ? AND figure = 'reach'", [WEEK_START]
    )[0]
    table = page.get_by_test_id("stTable")
    shows(page, table.get_by_text(i18n.number(reach, "de"), exact=True))
    day = dt.date(2026, 11, 10)
    update = "UPDATE marts.reach_daily SET reach = reach + ? WHERE network = 'facebook' AND day = ?"
    con = duckdb.connect(str(built.warehouse))
    con.execute(update, [1000, day])
    con.close()
    try:
        published = readers.publish(built.warehouse, run_id="swap")  # the dashboard is up and has read the copy
        assert published.tables > 0
        set_period(page, "10.11.2026", "16.11.2026")  # the next click
        set_period(page, "09.11.2026", "15.11.2026")
        shows(page, table.get_by_text(i18n.number(reach + 1000, "de"), exact=True))
    finally:
        con = duckdb.connect(str(built.warehouse))
        con.execute(update, [-1000, day])
        con.close()
        readers.publish(built.warehouse, run_id="swap-back")
