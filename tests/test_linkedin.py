"""LinkedIn organization page against the fake Community Management API."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
import requests

from connectors.base import Account, ApiError, AuthError, Credentials, Window
from connectors.http import ErrorPolicy, HttpClient
from connectors.linkedin import LinkedInConnector
from connectors.testing import FakeServer, Fault
from connectors.testing.sandbox import company
from connectors.testing.sandbox.linkedin import SANDBOX_TOKEN, LinkedInSandbox
from socialmetrics import pipeline
from tests.conftest import TODAY, Harness

ORG = company.LINKEDIN_ORG_ID
DAY = dt.date(2026, 11, 19)


@pytest.fixture
def li(tmp_path, fb_sandbox) -> Harness:
    server = FakeServer(LinkedInSandbox(today=TODAY)).start()
    config = tmp_path / "li.yml"
    config.write_text(f"company: Test\nlookback_days: 6\naccounts:\n  - network: linkedin\n    id: '{ORG}'\n")
    harness = Harness(server, config, tmp_path / "warehouse.duckdb", tmp_path / "landing", token=SANDBOX_TOKEN)
    yield harness
    server.stop()


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def test_daily_statistics_land_exactly_in_the_marts(li: Harness) -> None:
    li.run(DAY)
    window = days(dt.date(2026, 11, 13), dt.date(2026, 11, 20))
    reach = li.query("SELECT day, impressions, reach, followers, follower_gain FROM marts.reach_daily ORDER BY day")
    followers_today = li.sandbox.app.followers_on(TODAY - dt.timedelta(days=1))
    expected = []
    for d in window:
        v = company.linkedin_day(d)
        followers = followers_today if d == TODAY - dt.timedelta(days=1) else None  # a snapshot, no history
        expected.append((d, v["impressionCount"], v["uniqueImpressionsCount"], followers,
                         v["organicFollowerGain"] + v["paidFollowerGain"]))  # fmt: skip
    assert reach == expected
    engagement = li.query(
        "SELECT reactions, comments, shares, clicks, engagements, impressions FROM marts.engagement_daily ORDER BY day"
    )
    for row, d in zip(engagement, window, strict=True):
        v = company.linkedin_day(d)
        parts = (v["likeCount"], v["commentCount"], v["shareCount"], v["clickCount"])
        assert row == (*parts, sum(parts), v["impressionCount"])
    views = dict(li.query("SELECT day, page_views FROM core.account_daily"))
    assert views == {d: company.linkedin_day(d)["pageViews"] for d in window}


def org_replies(comment: dict[str, Any]) -> list[dict[str, Any]]:
    """The organization's answers to a sandbox comment written before TODAY (company.answer_delay, issue #30)."""
    from connectors.testing.sandbox.linkedin import _replies

    return _replies(comment, int(dt.datetime.combine(TODAY, dt.time(), dt.UTC).timestamp() * 1000))


def test_posts_with_their_lifetime_statistics_and_comments(li: Harness) -> None:
    li.run(DAY)
    served = [p for d in days(TODAY - dt.timedelta(days=90), TODAY) for p in company.linkedin_posts(d)]
    posts = {r[0]: r[1:] for r in li.query(
        "SELECT post_id, text, impressions, reach, reactions, comments, shares, clicks FROM marts.post_performance"
    )}  # fmt: skip
    expected = {p["id"]: p for p in served}  # nightly runs refresh posts of the last 90 days
    assert set(posts) == set(expected) and posts
    for post_id, (text, imp, reach, reactions, comments, shares, clicks) in posts.items():
        s = expected[post_id]["_stats"]
        assert (text, imp, reach, reactions, comments, shares, clicks) == (
            expected[post_id]["commentary"], s["impressionCount"], s["uniqueImpressionsCount"], s["likeCount"],
            s["commentCount"], s["shareCount"], s["clickCount"],
        )  # fmt: skip
    comments = li.query("SELECT post_id, text, author_hash FROM core.comment")
    replies = sum(len(org_replies(c)) for p in expected.values() for c in p["_comments"])  # the page's answers
    assert len(comments) == sum(len(p["_comments"]) for p in expected.values()) + replies and replies
    assert all(len(r[2]) == 32 for r in comments)
    stored = li.warehouse.read_bytes() + b"".join(p.read_bytes() for p in li.landing.rglob("*") if p.is_file())
    assert b"urn:li:person:" not in stored  # commenters (actor, agent, impersonator) are pseudonymised before landing
    assert b"Maria Muster" not in stored and b"licdn" not in stored  # mentioned people, images: not declared
    assert any(r[1].startswith("@\u2026 ") for r in comments)  # the fake's mentions, replaced in the text


def test_a_retired_version_fails_and_says_which_setting_to_raise(li: Harness) -> None:
    conn = LinkedInConnector(
        Account("linkedin", ORG), Credentials("linkedin_default", SANDBOX_TOKEN, li.sandbox.base_url,
                                              {"api_version": "202401"}), today=TODAY,
    )  # fmt: skip
    with pytest.raises(ApiError, match=r"426: API version 202401 is retired.*\"api_version\".*linkedin_default"):
        list(conn.fetch(conn.streams[0], Window(DAY, TODAY)))


def test_an_expired_token_names_the_connection_and_the_60_days(li: Harness) -> None:
    li.sandbox.app.expired_tokens.add(SANDBOX_TOKEN)
    with pytest.raises(AuthError, match="linkedin_default.*60 days.*never retried"):
        li.run(DAY)
    assert li.sleeps == []


def test_a_429_without_rate_headers_is_retried_with_backoff(li: Harness) -> None:
    li.sandbox.app.faults.append(Fault("ShareStatistics", 429, {"status": 429, "message": "Resource level throttle"},
                                       times=2))  # fmt: skip
    li.run(DAY)
    assert len(li.sleeps) == 2 and all(0 < s <= 2 for s in li.sleeps)
    assert li.query("SELECT count(*) FROM marts.reach_daily") == [(7,)]


def test_the_sandbox_rejects_wrong_headers_like_the_real_api(li: Harness) -> None:
    url = f"{li.sandbox.base_url}/rest/networkSizes/urn%3Ali%3Aorganization%3A{ORG}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
    auth = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    assert requests.get(url, headers=auth, timeout=5).status_code == 400  # no LinkedIn-Version
    assert requests.get(url, headers=auth | {"LinkedIn-Version": "202511"}, timeout=5).status_code == 400  # Rest.li
    good = auth | {"LinkedIn-Version": "202511", "X-Restli-Protocol-Version": "2.0.0"}
    assert requests.get(url, headers=good, timeout=5).status_code == 200
    encoded = (f"{li.sandbox.base_url}/rest/organizationalEntityShareStatistics?q=organizationalEntity&"
               f"organizationalEntity=urn%3Ali%3Aorganization%3A{ORG}&timeIntervals=%28timeRange%3A%28start%3A1"
               f"%2Cend%3A2%29%2CtimeGranularityType%3ADAY%29")  # fmt: skip
    assert requests.get(encoded, headers=good, timeout=5).status_code == 400


def test_a_backfill_older_than_12_months_loads_what_exists_and_says_what_it_could_not(li: Harness, caplog) -> None:
    windows, notes = pipeline.stream_windows(LinkedInConnector, Window(dt.date(2025, 6, 1), dt.date(2025, 12, 1)),
                                             TODAY, backfill=True)  # fmt: skip
    assert windows["share_statistics"].start == TODAY - dt.timedelta(days=365)
    assert any("keeps 365 days" in n and "share_statistics" in n for n in notes)


def test_request_count_of_a_one_year_backfill(li: Harness) -> None:
    http = HttpClient(ErrorPolicy(), conn_id="linkedin_default", secrets=[SANDBOX_TOKEN], sleep=lambda s: None)
    conn = LinkedInConnector(Account("linkedin", ORG), Credentials("linkedin_default", SANDBOX_TOKEN,
                             li.sandbox.base_url), http, today=TODAY, author_key=b"k" * 32)  # fmt: skip
    window = Window(TODAY - dt.timedelta(days=365), TODAY)
    windows, _ = pipeline.stream_windows(LinkedInConnector, window, TODAY, backfill=True)
    assert "network_size" not in windows  # a backfill cannot take today's follower snapshot
    for stream in conn.streams:
        if stream.name in windows:
            list(conn.fetch(stream, windows[stream.name]))
    posts = [p for d in days(window.start, window.end) for p in company.linkedin_posts(d)]
    stats = 3  # the 12 months the API keeps, one request per statistics stream
    assert len(posts) <= 100  # one posts page; post statistics in batches of 20; comments one request a post
    answered = sum(
        1 for p in posts for c in p["_comments"] if org_replies(c)
    )  # replies: one request a comment with some
    expected = stats + 1 + math.ceil(len(posts) / 20) + len(posts) + answered
    assert http.requests_made == expected, (http.requests_made, len(posts))
