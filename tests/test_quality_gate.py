"""Write, audit, publish: wrong numbers are never published; warnings publish and are recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from connectors.testing import Fault
from connectors.testing.sandbox import company
from socialmetrics import pipeline
from socialmetrics.check.quality import QualityGateError
from tests.conftest import TODAY, Harness

DAY = dt.date(2026, 11, 19)
MARTS = ("marts.reach_daily", "marts.engagement_daily", "marts.post_performance")


def set_value(metric: str, value: Any, day: dt.date = DAY) -> Callable[[Any], Any]:
    """A mutation of an insights answer: `metric` on `day` becomes `value`."""
    end_time = (day + dt.timedelta(days=1)).strftime("%Y-%m-%dT08:00:00+0000")

    def mutate(body: Any) -> Any:
        for series in body["data"]:
            if series["name"] == metric:
                for point in series["values"]:
                    if point["end_time"] == end_time:
                        point["value"] = value
        return body

    return mutate


def published(harness: Harness) -> dict[str, str]:
    return {t: harness.table_hash(t) for t in MARTS}


def failed_checks(harness: Harness, run_id: str) -> list[tuple]:
    return harness.query(
        "SELECT suite, severity, expectation, unexpected_count FROM meta.quality_results "
        "WHERE run_id = ? AND NOT success ORDER BY ALL",
        [run_id],
    )


def test_a_clean_run_passes_every_check_and_builds_data_docs(harness: Harness, tmp_path) -> None:
    harness.run(DAY, run_id="clean")
    counts = harness.query("SELECT count(*), count(*) FILTER (WHERE success) FROM meta.quality_results")
    assert counts[0][0] >= 25 and counts[0][0] == counts[0][1]
    suites = {r[0] for r in harness.query("SELECT DISTINCT suite FROM meta.quality_results")}
    assert suites == {
        "core.account_daily",
        "raw.daily_metrics",
        "raw.web_traffic",
        "core.post",
        "core.comment",
        "anomalies",
    }
    docs = tmp_path / "quality_docs"  # beside $SOCIALMETRICS_WAREHOUSE (set by conftest)
    assert (docs / "index.html").exists() and list((docs / "validations").rglob("*.html"))


@pytest.mark.parametrize(
    ("defect", "mutation", "suite", "expectation"),
    [
        (
            "a negative count",
            set_value("page_actions_post_reactions_total", {"like": -5}),
            "core.account_daily",
            '"column": "reactions"',
        ),
        (
            "reach above impressions",
            set_value("page_total_media_view_unique", company.facebook_day(DAY)["page_media_view"] + 1),
            "core.account_daily",
            "reach_minus_impressions",
        ),
        ("a fractional count", set_value("page_follows", 5710.5), "raw.daily_metrics", "is_integer"),
    ],
)
def test_a_blocking_defect_stops_publication_and_keeps_the_old_marts(
    harness: Harness, defect: str, mutation: Callable, suite: str, expectation: str
) -> None:
    harness.run(DAY, run_id="good")
    before = published(harness)
    harness.sandbox.app.faults.append(Fault("insights", mutate=mutation))
    with pytest.raises(QualityGateError, match="nothing was published"):
        harness.run(DAY, run_id="bad")
    assert published(harness) == before, defect
    failures = failed_checks(harness, "bad")
    assert [(s, sev) for s, sev, _e, _n in failures] == [(suite, "blocking")], failures
    assert expectation in failures[0][2] and failures[0][3] == 1


def test_a_silently_empty_account_keeps_its_numbers_and_fails_the_run(harness: Harness) -> None:
    """The load keeps the published days of a stream that answers empty (tests/test_faults.py has the
    variants), so the gate sees them and `finish` fails the run naming the stream."""
    harness.run(DAY, run_id="good")
    before = published(harness)
    harness.sandbox.app.faults.append(Fault("insights", mutate=lambda body: {"data": [], "paging": {}}))
    with pytest.raises(pipeline.ExtractFailedError, match="page_insights .* answered 0 days where 29 are published"):
        harness.run(DAY, run_id="empty")
    assert published(harness) == before


def test_a_duplicate_key_is_a_blocking_failure(harness: Harness) -> None:
    """Given a loaded run, when a duplicate row sneaks into raw (a broken loader or a manual insert),
    then the check stops the run before the transform."""
    import duckdb

    harness.run(DAY, run_id="good")
    con = duckdb.connect(str(harness.warehouse))
    con.execute("INSERT INTO raw.daily_metrics SELECT * FROM raw.daily_metrics WHERE day = ? LIMIT 1", [DAY])
    con.close()
    windows = {f"facebook/{company.FACEBOOK_PAGE_ID}": (DAY, DAY + dt.timedelta(days=1))}
    with pytest.raises(QualityGateError, match="expect_compound_columns_to_be_unique"):
        pipeline.check("dup", windows, harness.cfg, warehouse_path=harness.warehouse, today=TODAY)
    assert failed_checks(harness, "dup")[0][:2] == ("raw.daily_metrics", "blocking")


def test_a_zero_after_a_steady_series_is_a_warning_and_publishes(harness: Harness, config_file) -> None:
    config_file.write_text(config_file.read_text().replace("lookback_days: 28", "lookback_days: 75"))
    harness.run(DAY - dt.timedelta(days=1), run_id="history")
    zeroes = [set_value(m, 0) for m in ("page_media_view", "page_total_media_view_unique", "page_post_engagements")]

    def no_activity(body: Any) -> Any:
        for mutate in zeroes:
            body = mutate(body)
        return body

    harness.sandbox.app.faults.append(Fault("insights", mutate=no_activity))
    harness.run(DAY, run_id="zero")
    failures = failed_checks(harness, "zero")
    assert [(s, sev) for s, sev, _e, _n in failures] == [("anomalies", "warning")]
    assert "zero_after_steady" in failures[0][2] and failures[0][3] == 3  # impressions, reach, engagements
    assert harness.query("SELECT impressions FROM marts.reach_daily WHERE day = ?", [DAY]) == [(0,)]


def test_a_twenty_fold_jump_is_a_warning_and_publishes(harness: Harness, config_file) -> None:
    config_file.write_text(config_file.read_text().replace("lookback_days: 28", "lookback_days: 40"))
    harness.run(DAY - dt.timedelta(days=1), run_id="history")
    views = company.facebook_day(DAY)["page_media_view"]
    harness.sandbox.app.faults.append(Fault("insights", mutate=set_value("page_media_view", views * 30)))
    harness.run(DAY, run_id="jump")
    failures = failed_checks(harness, "jump")
    assert [(s, sev) for s, sev, _e, _n in failures] == [("anomalies", "warning")]
    assert "jump_ratio" in failures[0][2]
    assert harness.query("SELECT impressions FROM marts.reach_daily WHERE day = ?", [DAY]) == [(views * 30,)]


def test_the_gate_checks_the_tone_of_every_comment_before_anything_is_published(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a nightly run, when the gate has checked it, then every loaded comment with a text already has
    its tone (the analysis runs before the gate, not inside the transform); given an analyzer that leaves
    one comment without a tone, then the gate stops the run and the published comments stay as they were."""
    from socialmetrics.transform import comment_analysis

    harness.run(DAY, run_id="good")
    comments = harness.query("SELECT count(*) FROM core.comment WHERE text IS NOT NULL")[0][0]
    assert comments > 0
    assert harness.query("SELECT count(*) FROM core.comment WHERE text IS NOT NULL AND sentiment IS NULL") == [(0,)]
    checked = harness.query(
        "SELECT expectation, success FROM meta.quality_results WHERE run_id = 'good' AND suite = 'core.comment'"
    )
    assert any("sentiment_if_text" in e and ok for e, ok in checked), checked
    before = harness.table_hash("core.comment")

    real_update = comment_analysis.update

    def forgets_one(con: Any) -> dict[str, int]:
        written = real_update(con)
        con.execute(f"DELETE FROM {comment_analysis.ANALYSIS_TABLE} WHERE comment_id = (SELECT max(comment_id) "
                    f"FROM {comment_analysis.ANALYSIS_TABLE})")  # fmt: skip
        return written

    monkeypatch.setattr(comment_analysis, "update", forgets_one)
    with pytest.raises(QualityGateError, match="nothing was published"):
        harness.run(DAY, run_id="untoned")
    failures = failed_checks(harness, "untoned")
    assert [(s, sev) for s, sev, _e, _n in failures] == [("core.comment", "blocking")], failures
    assert "sentiment_if_text" in failures[0][2] and failures[0][3] == 1
    assert harness.table_hash("core.comment") == before


def test_an_account_without_daily_numbers_is_named_not_counted_as_zero_unexpected(harness: Harness) -> None:
    """Given a run whose account has no daily numbers in the window (an aggregate check: no row is
    "unexpected"), when the gate fails, then its line names the account and the days, never "0 unexpected"."""
    import duckdb

    harness.run(DAY, run_id="good")
    con = duckdb.connect(str(harness.warehouse))
    con.execute("DELETE FROM raw.daily_metrics WHERE day = ?", [DAY])
    con.close()
    windows = {f"facebook/{company.FACEBOOK_PAGE_ID}": (DAY, DAY + dt.timedelta(days=1))}
    with pytest.raises(QualityGateError) as err:
        pipeline.check("nodays", windows, harness.cfg, warehouse_path=harness.warehouse, today=TODAY)
    assert (
        '  - core.account_daily: expect_column_distinct_values_to_contain_set({"column": "account_key", '
        f'"value_set": ["facebook/{company.FACEBOOK_PAGE_ID}"]}}) (no daily numbers in 2026-11-19..2026-11-19 for '
        f"facebook/{company.FACEBOOK_PAGE_ID})\n"
    ) in str(err.value)
    assert "unexpected" not in str(err.value)
