"""Which days a run covers."""

from __future__ import annotations

import datetime as dt

from socialmetrics.config import Config
from socialmetrics.pipeline import run_window, stream_windows

CFG = Config.model_validate({"company": "A", "accounts": [{"network": "facebook", "id": "1"}], "lookback_days": 3})
NOW = dt.datetime(2026, 11, 27, 2, 30, tzinfo=dt.UTC)  # 03:30 in Berlin


def test_a_nightly_run_covers_its_day_and_the_lookback() -> None:
    # CronDataIntervalTimetable: the run for 26 Nov has logical date 26 Nov 03:00 Berlin (02:00 UTC)
    w = run_window(dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC), CFG, backfill=False, now=NOW)
    assert (w.start, w.end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 27))


def test_a_backfill_run_covers_exactly_its_day() -> None:
    w = run_window(dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC), CFG, backfill=True, now=NOW)
    assert (w.start, w.end) == (dt.date(2026, 1, 5), dt.date(2026, 1, 6))


def test_dags_test_with_a_date_covers_that_date() -> None:
    # `airflow dags test social_metrics 2026-11-20` gives logical date 2026-11-20T00:00Z (01:00 Berlin)
    w = run_window(dt.datetime(2026, 11, 20, tzinfo=dt.UTC), CFG, backfill=True, now=NOW)
    assert w.start == dt.date(2026, 11, 20)


def test_a_day_that_is_not_over_is_never_measured() -> None:
    w = run_window(dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC), CFG, backfill=False, now=NOW)
    assert w.end == dt.date(2026, 11, 27)  # ends with yesterday


def test_history_older_than_the_api_keeps_is_clamped_with_a_note() -> None:
    from connectors.base import Window
    from connectors.facebook import FacebookConnector

    windows, notes = stream_windows(
        FacebookConnector, Window(dt.date(2023, 1, 1), dt.date(2025, 1, 1)), dt.date(2026, 11, 27)
    )
    assert windows["page_insights"].start == dt.date(2024, 11, 27)
    assert "keeps 730 days" in notes[0]
    assert windows["posts"].start == dt.date(2023, 1, 1)
