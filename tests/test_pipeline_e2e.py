"""The whole pipeline (extract -> load -> check -> transform) against the sandbox, without Airflow."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from connectors.base import ApiError, AuthError, MalformedResponseError
from connectors.testing import Fault
from connectors.testing.sandbox import company
from tests.conftest import Harness

PAGE = company.FACEBOOK_PAGE_ID
MART_TABLES = ("core.account_daily", "marts.reach_daily", "marts.engagement_daily")
RAW_TABLES = ("raw.daily_metrics", "raw.posts", "raw.post_metrics")


def expected_reach(day: dt.date) -> tuple:
    v = company.facebook_day(day)
    return (
        "facebook",
        PAGE,
        day,
        v["page_media_view"],
        v["page_total_media_view_unique"],
        v["page_follows"],
        v["page_daily_follows_unique"] - v["page_daily_unfollows_unique"],
    )


def expected_engagement(day: dt.date) -> tuple:
    v = company.facebook_day(day)
    reactions = sum(v["page_actions_post_reactions_total"].values())
    eng, imp = v["page_post_engagements"], v["page_media_view"]
    reach = v["page_total_media_view_unique"]
    # the last None: engagements_missing (engagements is Meta's own total, nothing is missing)
    return ("facebook", PAGE, day, reactions, None, None, None, eng, imp, reach, pytest.approx(eng / imp),
            pytest.approx(eng / reach), None)  # fmt: skip


def test_marts_hold_exactly_the_numbers_the_sandbox_served(harness: Harness) -> None:
    """Given the sandbox page, when a nightly run covers 2026-11-19 with a 28-day lookback,
    then reach_daily and engagement_daily hold the served values for each of the 29 days."""
    result = harness.run(dt.date(2026, 11, 19))
    days = [result["window"].start + dt.timedelta(days=i) for i in range(result["window"].days)]
    assert result["window"].start == dt.date(2026, 10, 22) and len(days) == 29
    reach = harness.query("SELECT * FROM marts.reach_daily ORDER BY day")
    assert reach == [expected_reach(d) for d in days]
    engagement = harness.query("SELECT * FROM marts.engagement_daily ORDER BY day")
    assert engagement == [expected_engagement(d) for d in days]


def served_posts(start: dt.date, end: dt.date) -> list[dict]:
    return [p for d in range((end - start).days) for p in company.facebook_posts(start + dt.timedelta(days=d))]


def test_nightly_runs_refresh_posts_of_the_last_90_days_with_their_numbers(harness: Harness) -> None:
    """Given a nightly run for 19 Nov, then posts published from 22 Aug (90 days) land with their
    summary totals and lifetime insights, exactly as served."""
    harness.run(dt.date(2026, 11, 19))
    served = served_posts(dt.date(2026, 8, 22), dt.date(2026, 11, 20))
    rows = harness.query("SELECT post_id, text, permalink FROM raw.posts ORDER BY post_id")
    assert rows == sorted((p["id"], p.get("message"), p["permalink_url"]) for p in served)
    metrics = harness.query("SELECT post_id, source_metric, metric, value FROM raw.post_metrics")
    by_post = {(r[0], r[1]): (r[2], r[3]) for r in metrics}
    for post in served:
        insights = company.facebook_post_insights(post)
        assert by_post[(post["id"], "shares")] == ("shares", float(post.get("shares", {}).get("count", 0)))
        assert by_post[(post["id"], "reactions")] == ("reactions", post["reactions"]["summary"]["total_count"])
        assert by_post[(post["id"], "post_media_view")] == ("impressions", insights["post_media_view"])
        assert by_post[(post["id"], "post_clicks")] == ("clicks", insights["post_clicks"])
        assert by_post[(post["id"], "post_reactions_by_type_total")] == (
            None,
            sum(insights["post_reactions_by_type_total"].values()),
        )


def test_a_backfill_reads_posts_of_exactly_its_day(harness: Harness) -> None:
    harness.run(dt.date(2026, 9, 15), backfill=True)
    served = served_posts(dt.date(2026, 9, 15), dt.date(2026, 9, 16))
    assert harness.query("SELECT post_id FROM raw.posts ORDER BY 1") == sorted((p["id"],) for p in served)


def test_rerunning_a_day_leaves_identical_tables(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="first")
    before = {t: harness.table_hash(t) for t in MART_TABLES + RAW_TABLES}
    harness.run(dt.date(2026, 11, 19), run_id="second")
    after = {t: harness.table_hash(t) for t in MART_TABLES + RAW_TABLES}
    assert before == after
    assert harness.query("SELECT count(*) FROM marts.reach_daily") == [(29,)]


def test_overlapping_backfills_leave_identical_tables(harness: Harness, tmp_path) -> None:
    """Given two backfills over 1-4 and 3-6 October (overlapping 3-4: each day of the overlap is replaced
    by the second backfill), when both run, then the tables equal one clean backfill over 1-6 October, with
    one row per day. (Each run costs seconds; the overlap, not its length, is what is tested. Overlapping
    history loads mixed with backfills: tests/test_history.py.)"""
    for day in range(1, 5):
        harness.run(dt.date(2026, 10, day), backfill=True)
    for day in range(3, 7):
        harness.run(dt.date(2026, 10, day), backfill=True)
    overlapped = {t: harness.table_hash(t) for t in MART_TABLES + RAW_TABLES}
    clean = Harness(harness.sandbox, harness.config_path, tmp_path / "clean.duckdb", tmp_path / "clean-landing")
    for day in range(1, 7):
        clean.run(dt.date(2026, 10, day), backfill=True)
    assert overlapped == {t: clean.table_hash(t) for t in MART_TABLES + RAW_TABLES}
    assert harness.query("SELECT count(*), count(DISTINCT day) FROM marts.reach_daily") == [(6, 6)]
    posts = harness.query("SELECT count(DISTINCT post_id) FROM raw.posts")
    assert posts == clean.query("SELECT count(DISTINCT post_id) FROM raw.posts") and posts[0][0] > 0


def test_backfill_run_covers_exactly_its_day(harness: Harness) -> None:
    result = harness.run(dt.date(2026, 3, 1), backfill=True)
    assert (result["window"].start, result["window"].end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert harness.query("SELECT day FROM marts.reach_daily") == [(dt.date(2026, 3, 1),)]


def test_429_with_retry_after_is_survived_with_the_same_data(harness: Harness, tmp_path) -> None:
    harness.sandbox.app.faults.append(
        Fault("insights", 429, {"error": {"message": "slow down", "code": 4}}, {"Retry-After": "7"}, times=2)
    )
    harness.run(dt.date(2026, 11, 19))
    assert harness.sleeps == [7.0, 7.0]
    assert harness.query("SELECT * FROM marts.reach_daily ORDER BY day")[-1] == expected_reach(dt.date(2026, 11, 19))


def test_rate_limit_code_4_waits_for_the_business_use_case_estimate(harness: Harness) -> None:
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 40,
                "total_time": 40,
                "estimated_time_to_regain_access": 2,
            }
        ]
    }
    harness.sandbox.app.faults.append(
        Fault(
            "insights",
            400,
            {
                "error": {
                    "message": "(#4) Application request limit reached",
                    "type": "OAuthException",
                    "code": 4,
                    "fbtrace_id": "x",
                }
            },
            {"X-Business-Use-Case-Usage": json.dumps(usage)},
            times=1,
        )
    )
    harness.run(dt.date(2026, 11, 19))
    assert harness.sleeps == [120.0]  # 2 minutes, as the header says
    assert harness.query("SELECT count(*) FROM marts.reach_daily") == [(29,)]


def test_a_burst_of_5xx_is_survived(harness: Harness) -> None:
    harness.sandbox.app.faults.extend(
        [
            Fault("insights", 502, b"<html>Bad Gateway</html>", times=2),
            Fault(
                "published_posts", 503, {"error": {"code": 2, "message": "Service temporarily unavailable"}}, times=2
            ),
        ]
    )
    harness.run(dt.date(2026, 11, 19))
    assert len(harness.sleeps) == 4
    assert harness.query("SELECT * FROM marts.reach_daily ORDER BY day")[-1] == expected_reach(dt.date(2026, 11, 19))


def test_a_timeout_is_survived(harness: Harness) -> None:
    harness.timeout = (1.0, 0.5)
    harness.sandbox.app.faults.append(Fault("insights", 0, delay_s=1.2, times=1))
    harness.run(dt.date(2026, 11, 19))
    assert len(harness.sleeps) == 1
    assert harness.query("SELECT count(*) FROM marts.reach_daily") == [(29,)]


def test_too_many_5xx_fail_with_a_clear_message_and_keep_the_loaded_data(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = harness.table_hash("marts.reach_daily")
    harness.sandbox.app.faults.append(
        Fault("insights", 500, {"error": {"code": 1, "message": "An unknown error"}}, times=99)
    )
    with pytest.raises(ApiError, match="gave up after 6 attempts.*Nothing already loaded was changed"):
        harness.run(dt.date(2026, 11, 19), run_id="bad")
    assert harness.table_hash("marts.reach_daily") == before


def test_expired_token_fails_naming_the_connection_and_leaks_nowhere(harness: Harness, caplog) -> None:
    """Given a good run, when the token has expired, then extract fails without retrying, the message
    names facebook_default, the marts keep their numbers, and the token is in no log, file or table."""
    harness.token = "EAAB-expired-secret-token-1234567890"
    harness.sandbox.app.valid_tokens.add(harness.token)
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = harness.table_hash("marts.reach_daily")
    harness.sandbox.app.expired_tokens.add(harness.token)
    with pytest.raises(AuthError) as err:
        harness.run(dt.date(2026, 11, 19), run_id="expired")
    message = str(err.value)
    assert "facebook_default" in message and "190" in message and "never retried" in message
    assert harness.sleeps == []
    assert harness.table_hash("marts.reach_daily") == before
    assert harness.token not in message
    assert harness.token not in caplog.text
    for path in harness.landing.rglob("*"):
        if path.is_file():
            assert harness.token.encode() not in path.read_bytes(), path
    assert harness.token.encode() not in harness.warehouse.read_bytes()
    # the paging.next URLs of published_posts carried it: they were landed scrubbed
    pages = list(harness.landing.rglob("posts/*.json"))
    assert pages and all("access_token=***" in p.read_text() or "next" not in p.read_text() for p in pages)


def test_a_malformed_page_fails_clearly_and_loads_nothing(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = {t: harness.table_hash(t) for t in MART_TABLES + RAW_TABLES}
    harness.sandbox.app.faults.append(Fault("insights", 200, {"unexpected": "shape"}, times=1))
    with pytest.raises(MalformedResponseError, match="no 'data' list"):
        harness.run(dt.date(2026, 11, 19), run_id="bad")
    assert before == {t: harness.table_hash(t) for t in MART_TABLES + RAW_TABLES}
    assert not list(harness.landing.glob("facebook/*/bad*"))


def test_a_non_numeric_value_fails_clearly(harness: Harness) -> None:
    body = {
        "data": [
            {
                "name": "page_media_view",
                "period": "day",
                "values": [{"value": "lots", "end_time": "2026-11-20T08:00:00+0000"}],
            }
        ]
    }
    harness.sandbox.app.faults.append(Fault("insights", 200, body, times=1))
    with pytest.raises(MalformedResponseError, match="'lots'.*is not a number"):
        harness.run(dt.date(2026, 11, 19))


def test_failed_account_does_not_block_the_others(harness: Harness, config_file) -> None:
    """Given a second page that the token cannot read, when the run loads, then the good page is
    published and `finish` names the failed account."""
    from socialmetrics import pipeline

    text = config_file.read_text().replace(
        "campaigns:", '  - network: facebook\n    id: "999"\n    name: Other\ncampaigns:'
    )
    config_file.write_text(text)
    window = pipeline.run_window(
        dt.datetime(2026, 11, 19, 3, tzinfo=dt.UTC),
        harness.cfg,
        backfill=True,
        now=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC),
    )
    for acc in pipeline.plan(config_file):
        try:
            pipeline.extract(
                pipeline.account_from_dict(acc),
                window,
                "r1",
                credentials=harness.credentials,
                landing_root=harness.landing,
                http=harness.http(),
            )
        except ApiError:
            logging.getLogger("test").info("extract failed as expected for %s", acc["id"])
    loaded = pipeline.load("r1", warehouse_path=harness.warehouse, landing_root=harness.landing)
    pipeline.check("r1", loaded, harness.cfg, warehouse_path=harness.warehouse)
    pipeline.run_transform("r1", loaded, warehouse_path=harness.warehouse)
    with pytest.raises(pipeline.ExtractFailedError, match="facebook/999"):
        pipeline.finish("r1", harness.cfg, landing_root=harness.landing)
    assert harness.query("SELECT account_id FROM marts.reach_daily") == [(PAGE,)]


def test_a_landed_run_replays_without_the_api(harness: Harness) -> None:
    """Given a landed and loaded run, when its Parquet is rebuilt from the kept pages with the API
    down, and loaded again, then the tables are unchanged."""
    from connectors import registry
    from connectors.base import Credentials
    from socialmetrics import pipeline
    from socialmetrics.land import landing

    harness.run(dt.date(2026, 11, 19), run_id="r1")
    before = {t: harness.table_hash(t) for t in MART_TABLES + RAW_TABLES}
    harness.sandbox.stop()
    for manifest in landing.read_manifests(harness.landing, "r1"):
        for _s, _k, _w, file in manifest.parts():
            file.unlink()
        cls = registry.get(manifest.network)
        acc = pipeline.account_from_dict({"network": manifest.network, "id": manifest.account_id})
        landing.replay(cls(acc, Credentials("facebook_default", "unused")), manifest)
    loaded = pipeline.load("r1", warehouse_path=harness.warehouse, landing_root=harness.landing)
    pipeline.run_transform("r1", loaded, warehouse_path=harness.warehouse)
    assert before == {t: harness.table_hash(t) for t in MART_TABLES + RAW_TABLES}


def test_a_nightly_run_rebuilds_daily_marts_for_its_lookback_and_post_marts_for_90_days(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="first")
    harness.run(dt.date(2026, 11, 19), run_id="nightly")
    windows = dict(
        (t, (lo, hi))
        for t, lo, hi in harness.query(
            "SELECT tbl, window_start, window_end FROM meta.transforms WHERE run_id = 'nightly'"
        )
    )
    assert windows["core.account_daily"] == (dt.date(2026, 10, 22), dt.date(2026, 11, 20))  # 28-day lookback
    # posts up to 90 days old, in the company's local days: rebuilt by UTC day, a day wider on each side
    assert windows["core.post"] == (dt.date(2026, 8, 21), dt.date(2026, 11, 21))
    assert windows["marts.network_weekly"] == (dt.date(2026, 10, 19), dt.date(2026, 11, 23))  # whole weeks
