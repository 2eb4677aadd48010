"""Marts a marketer can trust: hand-computed rollups on a small fixture, and campaign impact on the
sandbox company (the true effect found, none on the control network)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from socialmetrics.analysis import estimate
from socialmetrics.sandbox import company
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
    posts = harness.query("SELECT count(*) FROM marts.campaign_posts WHERE campaign = 'Herbstfest 2026'")
    assert posts[0][0] > 0


def test_too_little_history_is_inconclusive() -> None:
    values = np.full(70, 30.0)
    weekdays = np.arange(70) % 7
    impact = estimate(values, weekdays, 60, 7)
    assert impact.verdict == "inconclusive" and impact.p_value is None and impact.placebo_windows < 20


def test_a_known_lift_on_a_noisy_small_count_series_is_inside_the_interval() -> None:
    rng = np.random.default_rng(3)
    weekdays = np.arange(400) % 7
    mean = 30 * np.array([1.0, 1.05, 1.1, 1.05, 0.95, 0.8, 0.75])[weekdays]
    mean[380:] *= 1.5
    values = rng.poisson(mean).astype(float)
    impact = estimate(values, weekdays, 380, 20)
    assert impact.verdict == "clear effect"
    assert impact.ci_low_pct <= 50 <= impact.ci_high_pct
