"""Facebook connector behaviour against the fake Graph API."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connectors.base import Account, Credentials, Kind, Window
from connectors.facebook import FacebookConnector, FacebookErrorPolicy, end_time_to_day
from connectors.http import HttpClient
from connectors.testing import Fault
from connectors.testing.sandbox import company
from connectors.testing.sandbox.facebook import SANDBOX_TOKEN
from tests.conftest import TODAY

PAGE = company.FACEBOOK_PAGE_ID


def make(server, *, metrics=None, sleeps=None) -> FacebookConnector:
    options = {"metrics": metrics} if metrics else {}
    creds = Credentials("facebook_default", SANDBOX_TOKEN, server.base_url)
    http = HttpClient(
        FacebookErrorPolicy(),
        conn_id="facebook_default",
        secrets=[SANDBOX_TOKEN],
        sleep=(sleeps if sleeps is not None else []).append,
    )
    return FacebookConnector(Account("facebook", PAGE, options=options), creds, http, today=TODAY)


@pytest.mark.parametrize(
    ("end_time", "day"),
    [
        ("2026-01-02T08:00:00+0000", dt.date(2026, 1, 1)),  # winter: midnight PST
        ("2026-07-02T07:00:00+0000", dt.date(2026, 7, 1)),  # summer: midnight PDT
    ],
)
def test_end_time_marks_the_end_of_the_day_it_counts(end_time: str, day: dt.date) -> None:
    assert end_time_to_day(end_time) == day


def test_a_long_window_is_split_into_requests_of_at_most_90_days(fb_sandbox) -> None:
    conn = make(fb_sandbox)
    stream = conn.streams[0]
    pages = list(conn.fetch(stream, Window(dt.date(2025, 12, 1), dt.date(2026, 7, 1))))  # 212 days
    spans = []
    for _path, params in fb_sandbox.app.requests:
        since, until = dt.date.fromisoformat(params["since"]), dt.date.fromisoformat(params["until"])
        spans.append((until - since).days)
    assert spans == [90, 90, 32]
    days = {rec["day"] for p in pages for _k, rec in conn.parse(stream, p)}
    assert len(days) == 212 and min(days) == dt.date(2025, 12, 1) and max(days) == dt.date(2026, 6, 30)


def test_insights_paging_next_is_not_followed(fb_sandbox) -> None:
    """Insights' paging.next points at the next time range: following it would fetch forever."""
    conn = make(fb_sandbox)
    pages = list(conn.fetch(conn.streams[0], Window(dt.date(2026, 11, 1), dt.date(2026, 11, 8))))
    assert len(pages) == 1 and "next" in pages[0].body["paging"]
    assert len(fb_sandbox.app.requests) == 1


def test_a_removed_metric_is_dropped_with_a_warning_and_the_rest_loads(fb_sandbox) -> None:
    metrics = ["page_media_view", "page_impressions", "page_total_media_view_unique", "page_follows"]
    conn = make(fb_sandbox, metrics=metrics)
    stream = conn.streams[0]
    pages = list(conn.fetch(stream, Window(dt.date(2026, 11, 1), dt.date(2026, 11, 3))))
    names = {rec["source_metric"] for p in pages for _k, rec in conn.parse(stream, p)}
    assert names == {"page_media_view", "page_total_media_view_unique", "page_follows"}
    assert [w.code for w in conn.warnings] == ["invalid_metric"]
    assert "page_impressions" in conn.warnings[0].message


def test_request_less_data_halves_the_window(fb_sandbox) -> None:
    fb_sandbox.app.faults.append(
        Fault(
            "insights", 400, {"error": {"code": 1, "error_subcode": 99, "message": "Please reduce the amount of data"}}
        )
    )
    conn = make(fb_sandbox)
    stream = conn.streams[0]
    pages = list(conn.fetch(stream, Window(dt.date(2026, 11, 1), dt.date(2026, 11, 11))))
    days = sorted({rec["day"] for p in pages for _k, rec in conn.parse(stream, p)})
    assert len(pages) == 2 and days[0] == dt.date(2026, 11, 1) and days[-1] == dt.date(2026, 11, 10)


def test_posts_follow_cursor_paging_to_the_end(fb_sandbox) -> None:
    conn = make(fb_sandbox)
    stream = conn.streams[1]
    window = Window(dt.date(2026, 1, 1), dt.date(2026, 11, 1))
    pages = list(conn.fetch(stream, window))
    posts = [rec for p in pages for kind, rec in conn.parse(stream, p) if kind is Kind.POSTS]
    served = [p for i in range(window.days) for p in company.facebook_posts(window.start + dt.timedelta(days=i))]
    assert len(pages) == -(-len(served) // 100) > 1
    assert sorted(r["post_id"] for r in posts) == sorted(p["id"] for p in served)


def test_an_absent_message_is_null_not_empty(fb_sandbox) -> None:
    conn = make(fb_sandbox)
    stream = conn.streams[1]
    pages = list(conn.fetch(stream, Window(dt.date(2026, 1, 1), dt.date(2026, 11, 1))))
    posts = [rec for p in pages for kind, rec in conn.parse(stream, p) if kind is Kind.POSTS]
    no_text = [r for r in posts if json.loads(r["payload"]).get("message") is None]
    assert no_text and all(r["text"] is None for r in no_text)


def test_a_long_rate_limit_fails_and_says_when_to_retry(fb_sandbox) -> None:
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 1,
                "total_time": 1,
                "estimated_time_to_regain_access": 45,
            }
        ]
    }
    fb_sandbox.app.faults.append(
        Fault(
            "insights",
            400,
            {"error": {"code": 32, "message": "Page request limit reached"}},
            {"X-Business-Use-Case-Usage": json.dumps(usage)},
        )
    )
    conn = make(fb_sandbox)
    from connectors.base import RateLimitError

    with pytest.raises(RateLimitError, match="resets in 45 minutes"):
        list(conn.fetch(conn.streams[0], Window(dt.date(2026, 11, 1), dt.date(2026, 11, 3))))


def test_a_missing_token_is_explained() -> None:
    from connectors.base import ApiError

    with pytest.raises(ApiError, match="connection 'facebook_default' has no token"):
        FacebookConnector(Account("facebook", PAGE), Credentials("facebook_default", None))


def test_the_api_version_comes_from_the_connection_extra(fb_sandbox) -> None:
    creds = Credentials("facebook_default", SANDBOX_TOKEN, fb_sandbox.base_url, {"api_version": "v24.0"})
    conn = FacebookConnector(Account("facebook", PAGE), creds, today=TODAY)
    list(conn.fetch(conn.streams[0], Window(dt.date(2026, 11, 1), dt.date(2026, 11, 2))))
    assert fb_sandbox.app.requests[0][0].startswith("/v24.0/")
