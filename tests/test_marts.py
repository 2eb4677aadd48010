"""Marts a marketer can trust: hand-computed rollups on a small fixture, and campaign impact on the
sandbox company (the true effect found, none on the control network)."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from connectors.testing.sandbox import company
from socialmetrics.analytics.campaigns import campaign_impact, estimate
from socialmetrics.config import CampaignConfig
from tests.conftest import TODAY, Harness

FIXTURE = """Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen
02.11.2026;100;;1.000;10;20;5;5
03.11.2026;102;;2.000;10;20;5;5
04.11.2026;103;;;;;;
05.11.2026;105;;1.000;0;10;0;0
06.11.2026;106;;1.000;0;10;0;0
07.11.2026;110;;1.000;0;10;0;0
08.11.2026;110;;2.000;0;10;0;0
09.11.2026;120;;4.000;40;40;10;10
"""


@pytest.fixture
def fixture_run(harness: Harness, tmp_path) -> Harness:
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "fixture.csv").write_text(FIXTURE, encoding="utf-8")
    harness.config_path.write_text(
        "company: Fixture\naccounts:\n  - network: xing\n    id: fx\n    import_dir: imports\n", encoding="utf-8"
    )
    harness.run(TODAY - dt.timedelta(days=1))
    return harness


def test_weekly_rollup_matches_hand_computed_values(fixture_run: Harness) -> None:
    rows = fixture_run.query(
        "SELECT week_start, days_reported, impressions, reach_daily_sum, engagements, engagement_rate, "
        "followers_start, followers_end, follower_gain, follower_growth_pct FROM marts.network_weekly "
        "WHERE network = 'xing' ORDER BY week_start"
    )
    # week of 2 Nov: impressions 1000+2000+1000*4+2000 = 8000 (4 Nov unreported, not 0);
    # engagements per day = clicks + reactions + comments + shares: 40+40+10+10+10+10 = 120;
    # followers 100 -> 110: the first day's gain is unknown (no 1 Nov), so growth runs from 2 Nov's 100.
    assert rows[0] == (dt.date(2026, 11, 2), 7, 8000, None, 120, pytest.approx(120 / 8000), 100, 110, 10,
                       pytest.approx(10.0))  # fmt: skip
    assert rows[1] == (dt.date(2026, 11, 9), 1, 4000, None, 100, pytest.approx(100 / 4000), 110, 120, 10,
                       pytest.approx(100 * 10 / 110))  # fmt: skip
    company_rows = fixture_run.query("SELECT impressions, engagements FROM marts.network_weekly WHERE network = 'all'")
    assert company_rows == [(8000, 120), (4000, 100)]


def test_unreported_numbers_stay_null_not_zero(fixture_run: Harness) -> None:
    day = fixture_run.query(
        "SELECT impressions, reach, engagements, engagement_rate FROM marts.engagement_daily WHERE day = '2026-11-04'"
    )
    assert day == [(None, None, None, None)]


def test_monthly_rollup_and_comparison_index(fixture_run: Harness) -> None:
    month = fixture_run.query("SELECT network, month_start, impressions, engagements FROM marts.network_monthly")
    assert sorted(month) == [("all", dt.date(2026, 11, 1), 12000, 220), ("xing", dt.date(2026, 11, 1), 12000, 220)]
    index = fixture_run.query("SELECT week_start, impressions_index, weeks_in_median FROM marts.network_comparison")
    # only the complete week counts; it is its own median
    assert index == [(dt.date(2026, 11, 2), pytest.approx(100.0), 1)]


def test_best_posting_time_needs_enough_posts(fixture_run: Harness) -> None:
    assert fixture_run.query("SELECT count(*) FROM marts.best_posting_time") == [(0,)]


def test_best_posting_time_on_the_sandbox_page(harness: Harness, config_file) -> None:
    config_file.write_text(config_file.read_text().replace("lookback_days: 28", "lookback_days: 200"))
    harness.run(dt.date(2026, 11, 19))
    rows = harness.query(
        "SELECT dimension, slot, posts, engagement_rate, rate_index, is_best FROM marts.best_posting_time"
    )
    assert {r[0] for r in rows} == {"weekday", "hour"} and all(r[2] >= 5 for r in rows)
    total = harness.query("SELECT sum(engagements) / sum(impressions) FROM marts.post_performance")[0][0]
    for dimension, slot, _posts, rate, index, _best in rows:
        assert (1 <= slot <= 7) if dimension == "weekday" else (0 <= slot <= 23)
        assert index == pytest.approx(100 * rate / total)
    for dimension in ("weekday", "hour"):
        best = [r for r in rows if r[0] == dimension and r[5]]
        assert len(best) == 1 and best[0][3] == max(r[3] for r in rows if r[0] == dimension)


def test_the_sandbox_campaign_is_found_with_its_true_lift_and_the_control_is_quiet(
    harness: Harness, config_file, tmp_path
) -> None:
    """Given a year of Facebook history with the Herbstfest campaign (+35 % reach, impressions and
    engagement on Facebook) and a year of Xing files the campaign did not touch, then Facebook shows a
    clear effect with 35 % inside every interval, and Xing shows none."""
    imports = tmp_path / "imports"
    imports.mkdir()
    for year, month in [(2025, m) for m in (11, 12)] + [(2026, m) for m in range(1, 11)]:
        (imports / f"xing-{year}-{month:02d}.csv").write_text(company.xing_month_csv(year, month), encoding="utf-8")
    text = config_file.read_text().replace("lookback_days: 28", "lookback_days: 365")
    text = text.replace("campaigns:", "  - network: xing\n    id: sonnenhang\n    import_dir: imports\ncampaigns:")
    config_file.write_text(text)
    harness.run(dt.date(2026, 11, 19))
    rows = harness.query(
        "SELECT network, metric, in_campaign, lift_pct, ci_low_pct, ci_high_pct, p_value, verdict, "
        "min_detectable_lift_pct FROM marts.campaign_impact WHERE campaign = 'Herbstfest 2026' ORDER BY ALL"
    )
    facebook = [r for r in rows if r[0] == "facebook"]
    assert [r[1] for r in facebook] == ["engagements", "impressions", "reach"]
    for _net, metric, in_campaign, lift, low, high, p, verdict, mde in facebook:
        assert in_campaign and verdict == "clear effect" and p < 0.05, metric
        assert low <= 100 * company.CAMPAIGN.lift <= high, (metric, low, lift, high)
        assert mde < 35
    xing = [r for r in rows if r[0] == "xing" and r[1] != "reach"]
    assert [r[1] for r in xing] == ["engagements", "impressions"]
    for _net, metric, in_campaign, lift, low, high, p, verdict, _mde in xing:
        assert not in_campaign and verdict != "clear effect" and low <= 0 <= high, (metric, low, lift, high, p)
    # the campaign's posts: every loaded Facebook post that names the tag (#herbstfest or the word), by tag
    loaded = {r[0] for r in harness.query("SELECT post_id FROM core.post WHERE network = 'facebook'")}
    days = [dt.date(2025, 11, 1) + dt.timedelta(days=i) for i in range(400)]
    tagged = {
        str(p["id"])
        for day in days
        for p in company.facebook_posts(day)
        if "herbstfest" in str(p.get("message", "")).lower() and p["id"] in loaded
    }
    posts = harness.query(
        "SELECT post_id, attributed_by FROM marts.campaign_posts WHERE campaign = 'Herbstfest 2026' ORDER BY 1"
    )
    assert posts == [(post_id, "tag") for post_id in sorted(tagged)] and len(tagged) >= 5


WEEKDAY = np.array([1.0, 1.05, 1.1, 1.05, 0.95, 0.8, 0.75])


def page(seed: int, history: int, lift: float, level: float = 800, days: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """A page's daily counts: `history` days, then `days` campaign days lifted by `lift`; Poisson around
    a weekly pattern with slow growth and day-to-day swings that persist (AR(1) on the log scale)."""
    rng = np.random.default_rng(seed)
    n = history + days
    weekdays = np.arange(n) % 7
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.5 * noise[t - 1] + rng.normal(0, 0.1)
    mean = level * WEEKDAY[weekdays] * (1 + 0.1 * np.arange(n) / n) * np.exp(noise)
    mean[history:] *= 1 + lift
    return rng.poisson(mean).astype(float), weekdays


def test_under_8_weeks_of_history_gives_no_numbers_and_says_why() -> None:
    values, weekdays = page(1, 50, 0.4)
    impact = estimate(values, weekdays, 50, 21)
    assert impact.observed == values[50:].sum() and impact.baseline_days == 50
    assert (impact.lift_pct, impact.ci_low_pct, impact.p_value, impact.min_detectable_lift_pct) == (None,) * 4
    assert impact.verdict == "inconclusive" and "50 days" in impact.reason and "8 weeks" in impact.reason


def test_8_weeks_of_history_give_lift_interval_p_and_detectable_lift() -> None:
    """Given 8 weeks of a page with about 800 events a day and a 21-day campaign with +40 %, every number
    is there and the interval holds the true lift."""
    values, weekdays = page(11, 56, 0.4)
    impact = estimate(values, weekdays, 56, 21)
    assert impact.reason is None and 0 <= impact.p_value < 0.2
    # the verdict follows p (README: clear effect below 0.05, inconclusive below 0.20), never a fixed label
    assert impact.verdict == ("clear effect" if impact.p_value < 0.05 else "inconclusive"), impact
    assert impact.ci_low_pct <= 40 <= impact.ci_high_pct
    assert impact.expected == pytest.approx(impact.observed / (1 + impact.lift_pct / 100))
    assert impact.min_detectable_lift_pct > 0 and impact.baseline_days == 56


def test_13_weeks_of_history_call_a_40_pct_lift_a_clear_effect() -> None:
    values, weekdays = page(11, 91, 0.4)
    impact = estimate(values, weekdays, 91, 21)
    assert impact.verdict == "clear effect" and impact.p_value < 0.05
    assert impact.ci_low_pct <= 40 <= impact.ci_high_pct and impact.min_detectable_lift_pct < 40


def test_less_history_gives_a_wider_interval() -> None:
    """Over 15 pages alike, the median detectable lift shrinks as the history grows."""
    widths = {}
    for weeks in (8, 13, 26):
        found = [estimate(*page(seed, 7 * weeks, 0.0), 7 * weeks, 21).min_detectable_lift_pct for seed in range(15)]
        widths[weeks] = float(np.median(found))
    assert widths[8] > widths[13] > widths[26]


@pytest.mark.parametrize("weeks", [8, 13])
def test_no_lift_after_8_or_13_weeks_is_no_clear_effect(weeks: int) -> None:
    values, weekdays = page(23, 7 * weeks, 0.0)
    impact = estimate(values, weekdays, 7 * weeks, 21)
    assert impact.verdict != "clear effect" and impact.ci_low_pct <= 0 <= impact.ci_high_pct


def test_campaign_days_without_numbers_are_left_out_and_named() -> None:
    values, weekdays = page(11, 91, 0.4)
    values[95:98] = np.nan
    impact = estimate(values, weekdays, 91, 21)
    assert impact.observed == np.nansum(values[91:]) and impact.ci_low_pct <= 40 <= impact.ci_high_pct
    assert impact.reason == "3 of 21 campaign days have no numbers; estimated on the others"


def test_a_metric_the_network_does_not_report_has_a_row_with_the_reason() -> None:
    con = duckdb.connect()
    values, _ = page(2, 120, 0.0)
    days = [dt.date(2026, 5, 1) + dt.timedelta(days=i) for i in range(len(values))]
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE TABLE core.account_daily (network VARCHAR, account_id VARCHAR, day DATE, impressions "
                "BIGINT, reach BIGINT, engagements BIGINT)")  # fmt: skip
    con.executemany("INSERT INTO core.account_daily VALUES ('x', '1', ?, ?, NULL, ?)",
                    [(d, int(v), int(v) // 20) for d, v in zip(days, values, strict=True)])  # fmt: skip
    campaign = CampaignConfig(name="Spring", start=days[120], end=days[-1], networks=["x"])
    rows = campaign_impact(con, [campaign]).set_index("metric")
    assert rows.loc["reach", "reason"] == "x does not report reach" and pd.isna(rows.loc["reach", "lift_pct"])
    p = rows.loc["impressions", "p_value"]
    assert rows.loc["impressions", "verdict"] == ("clear effect" if p < 0.05 else "inconclusive" if p < 0.2
                                                  else "no evidence")  # fmt: skip
    assert rows.loc["impressions", "baseline_days"] == 120 and pd.notna(rows.loc["impressions", "p_value"])


@pytest.mark.parametrize(("lookback", "first_day", "days_before"), [(122, dt.date(2026, 7, 20), 56),
                                                                    (158, dt.date(2026, 6, 14), 92)])  # fmt: skip
def test_8_or_13_weeks_before_the_sandbox_campaign_find_it(
    harness: Harness, config_file, lookback: int, first_day: dt.date, days_before: int
) -> None:
    """Given the sandbox page from 20 July (56 days before the 21-day Herbstfest campaign, +35 %) or from
    14 June (92 days), the mart has lift, interval, p and detectable lift for every Facebook metric, with
    35 % inside the interval."""
    config_file.write_text(config_file.read_text().replace("lookback_days: 28", f"lookback_days: {lookback}"))
    harness.run(dt.date(2026, 11, 19))
    assert harness.query("SELECT min(day) FROM core.account_daily") == [(first_day,)]
    rows = harness.query(
        "SELECT metric, lift_pct, ci_low_pct, ci_high_pct, p_value, verdict, min_detectable_lift_pct, baseline_days, "
        "reason FROM marts.campaign_impact WHERE campaign = 'Herbstfest 2026' AND network = 'facebook' ORDER BY metric"
    )
    assert [r[0] for r in rows] == ["engagements", "impressions", "reach"]
    for metric, _lift, low, high, p, verdict, mde, baseline_days, reason in rows:
        assert verdict == "clear effect" and p < 0.05 and reason is None, metric
        assert baseline_days == days_before == (company.CAMPAIGN.start - first_day).days
        assert low <= 100 * company.CAMPAIGN.lift <= high, (metric, low, high)
        assert mde < (40 if days_before < 91 else 35), (metric, mde)


def test_a_known_lift_on_a_noisy_small_count_series_is_inside_the_interval() -> None:
    rng = np.random.default_rng(3)
    weekdays = np.arange(400) % 7
    mean = 30 * np.array([1.0, 1.05, 1.1, 1.05, 0.95, 0.8, 0.75])[weekdays]
    mean[380:] *= 1.5
    values = rng.poisson(mean).astype(float)
    impact = estimate(values, weekdays, 380, 20)
    assert impact.verdict == "clear effect"
    assert impact.ci_low_pct <= 50 <= impact.ci_high_pct
