"""Facebook's whole picture in the warehouse: posts, post insights, comments, warnings, request cost."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math

import pytest

from connectors.base import Account, Credentials, Window
from connectors.facebook import FacebookConnector, FacebookErrorPolicy
from connectors.http import HttpClient
from connectors.testing import Fault
from connectors.testing.sandbox import company
from connectors.testing.sandbox.facebook import SANDBOX_TOKEN
from socialmetrics import pipeline
from tests.conftest import AUTHOR_KEY, TODAY, Harness

PAGE = company.FACEBOOK_PAGE_ID
POSTS_START = dt.date(2026, 8, 22)  # a nightly run for 19 Nov refreshes posts of the last 90 days


def served_posts(start: dt.date, end: dt.date) -> list[dict]:
    return [p for d in range((end - start).days) for p in company.facebook_posts(start + dt.timedelta(days=d))]


FACEBOOK_FORMATS = {
    "mobile_status_update": "other",
    "added_photos": "image",
    "added_video": "video",
    "shared_story": "link",
}


def test_post_performance_holds_the_served_lifetime_numbers(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19))
    rows = {r[2]: r for r in harness.query("SELECT * FROM marts.post_performance")}
    served = served_posts(POSTS_START, TODAY)
    assert set(rows) == {p["id"] for p in served}
    for post in served:
        ins = company.facebook_post_insights(post)
        reactions = post["reactions"]["summary"]["total_count"]
        comments = post["comments"]["summary"]["total_count"]
        shares = post.get("shares", {}).get("count", 0)
        engagements = reactions + comments + shares + ins["post_clicks"]
        created = dt.datetime.strptime(post["created_time"], "%Y-%m-%dT%H:%M:%S%z")
        assert rows[post["id"]] == (
            "facebook", PAGE, post["id"], created, post["permalink_url"], post.get("message"),
            FACEBOOK_FORMATS[post["status_type"]],  # docs/data.md "Post format"
            ins["post_media_view"], ins["post_total_media_view_unique"], reactions, comments, shares,
            ins["post_clicks"], engagements, pytest.approx(engagements / ins["post_media_view"]), TODAY,
            None,  # engagements_missing: every part was reported
        )  # fmt: skip


UNTIL = dt.datetime.combine(TODAY, dt.time(), dt.UTC)  # the Page's replies (filter=stream) written before today


def test_comments_land_with_a_keyed_author_hash_and_no_name_anywhere(harness: Harness, caplog) -> None:
    harness.run(dt.date(2026, 11, 19))
    served = {c["id"]: c for p in served_posts(POSTS_START, TODAY) for c in company.facebook_thread(p, UNTIL)}
    rows = harness.query("SELECT comment_id, post_id, created_at, text, author_hash FROM core.comment")
    assert len(rows) == len(served) > 100
    for comment_id, post_id, created_at, text, author_hash in rows:
        c = served[comment_id]
        assert comment_id.startswith(post_id) and text == c["message"]
        assert created_at == dt.datetime.strptime(c["created_time"], "%Y-%m-%dT%H:%M:%S%z")
        expected = hmac.new(AUTHOR_KEY.encode(), c["from"]["id"].encode(), hashlib.sha256).hexdigest()[:32]
        assert author_hash == expected
    names = {c["from"]["name"] for c in served.values()}
    warehouse = harness.warehouse.read_bytes()
    landed = b"".join(p.read_bytes() for p in harness.landing.rglob("*") if p.is_file())
    for name in names:
        for blob in (warehouse, landed, caplog.text.encode()):
            assert name.encode() not in blob and json.dumps(name).encode() not in blob
    assert AUTHOR_KEY.encode() not in warehouse + landed


def test_comments_beyond_the_first_page_are_paged(harness: Harness, monkeypatch) -> None:
    monkeypatch.setattr("connectors.facebook.COMMENTS_PER_PAGE", 4)
    harness.run(dt.date(2026, 11, 19))
    served = [c for p in served_posts(POSTS_START, TODAY) for c in company.facebook_thread(p, UNTIL)]
    assert harness.query("SELECT count(*), count(DISTINCT comment_id) FROM core.comment") == [
        (len(served), len(served))
    ]
    assert any("/comments" in path for path, _ in harness.sandbox.app.requests)


def test_a_removed_post_metric_warns_and_loses_nothing_else(harness: Harness, config_file) -> None:
    text = config_file.read_text().replace(
        "    name: Brauerei Sonnenhang\n",
        "    name: Brauerei Sonnenhang\n    post_metrics: [post_impressions, post_media_view, post_clicks]\n",
    )
    config_file.write_text(text)
    harness.run(dt.date(2026, 11, 19), run_id="churn")
    warnings = harness.query("SELECT run_id, stream, code, message FROM meta.connector_warnings")
    assert [(w[0], w[1], w[2]) for w in warnings] == [("churn", "posts", "invalid_metric")]
    assert "'post_impressions'" in warnings[0][3] and "post_metrics" in warnings[0][3]
    impressions = dict(harness.query("SELECT post_id, impressions FROM marts.post_performance"))
    served = served_posts(POSTS_START, TODAY)
    assert impressions == {p["id"]: company.facebook_post_insights(p)["post_media_view"] for p in served}


def test_a_removed_page_metric_warns_in_the_warehouse_and_the_run_succeeds(harness: Harness, config_file) -> None:
    text = config_file.read_text().replace(
        "    name: Brauerei Sonnenhang\n",
        "    name: Brauerei Sonnenhang\n    metrics: [page_media_view, page_fans, page_total_media_view_unique]\n",
    )
    config_file.write_text(text)
    harness.run(dt.date(2026, 11, 19), run_id="churn")
    assert harness.query("SELECT stream, code FROM meta.connector_warnings") == [("page_insights", "invalid_metric")]
    v = company.facebook_day(dt.date(2026, 11, 19))
    assert harness.query("SELECT impressions, reach, followers FROM marts.reach_daily WHERE day = '2026-11-19'") == [
        (v["page_media_view"], v["page_total_media_view_unique"], None)
    ]


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limit_codes_are_retried(harness: Harness, code: int) -> None:
    body = {"error": {"message": "limit reached", "type": "OAuthException", "code": code, "fbtrace_id": "t"}}
    harness.sandbox.app.faults.append(Fault("insights", 400, body, times=2))
    harness.run(dt.date(2026, 11, 19))
    assert len(harness.sleeps) == 2
    assert harness.query("SELECT count(*) FROM marts.reach_daily") == [(29,)]


@pytest.mark.parametrize("code", [1, 2])
def test_transient_codes_are_retried(harness: Harness, code: int) -> None:
    body = {"error": {"message": "An unexpected error has occurred", "type": "OAuthException", "code": code}}
    harness.sandbox.app.faults.append(Fault("published_posts", 500, body, times=1))
    harness.run(dt.date(2026, 11, 19))
    assert len(harness.sleeps) == 1


def test_app_usage_at_the_limit_waits_longer_than_plain_backoff(harness: Harness) -> None:
    body = {"error": {"message": "(#4) Application request limit reached", "code": 4}}
    usage = json.dumps({"call_count": 100, "total_cputime": 20, "total_time": 30})
    harness.sandbox.app.faults.append(Fault("insights", 400, body, {"X-App-Usage": usage}, times=1))
    harness.run(dt.date(2026, 11, 19))
    assert harness.sleeps == [300.0]


def test_a_one_year_backfill_makes_the_minimum_number_of_requests(fb_sandbox) -> None:
    """One extract over 365 days: ceil(365/90) insights requests and one per 100 posts, nothing more (the
    post metrics are probed only after Meta rejected one)."""
    http = HttpClient(FacebookErrorPolicy(), conn_id="facebook_default", secrets=[SANDBOX_TOKEN], sleep=lambda s: None)
    conn = FacebookConnector(
        Account("facebook", PAGE), Credentials("facebook_default", SANDBOX_TOKEN, fb_sandbox.base_url), http,
        today=TODAY, author_key=b"k" * 32,
    )  # fmt: skip
    window = Window(dt.date(2025, 11, 20), TODAY)
    windows, _ = pipeline.stream_windows(FacebookConnector, window, TODAY, backfill=True)
    for stream in conn.streams:
        if stream.name in windows:  # a backfill takes no snapshot (the competitors' stream), as the pipeline does
            list(conn.fetch(stream, windows[stream.name]))
    posts = len(served_posts(window.start, window.end))
    assert http.requests_made == math.ceil(365 / 90) + math.ceil(posts / 100)
