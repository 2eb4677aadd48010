"""X against the fake X API v2: exact marts, day-over-day snapshots, the read budget, rate limits."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    Account,
    AuthError,
    BudgetExceededError,
    Credentials,
    MalformedResponseError,
    RateLimitError,
    UnknownAccountError,
    Window,
)
from connectors.http import ErrorPolicy, HttpClient
from connectors.testing import FakeServer, Fault
from connectors.testing.sandbox import company
from connectors.testing.sandbox.x import SANDBOX_TOKEN, SANDBOX_USER_TOKEN, XSandbox
from connectors.x import XConnector, post_metrics
from socialmetrics import pipeline
from tests.conftest import REPO, TODAY

USER = company.X_USER_ID
DAY = TODAY - dt.timedelta(days=1)  # 2026-11-19, the day a nightly run on TODAY covers


class XRun:
    """Runs the pipeline's task functions for the X account, with a movable clock."""

    def __init__(self, tmp_path: Path, server: FakeServer, *, budget: int = 300, user_context: bool = True) -> None:
        self.server = server
        self.app: XSandbox = server.app  # type: ignore[assignment]
        self.config = tmp_path / "x.yml"
        self.config.write_text(
            f"company: Test\nlookback_days: 3\naccounts:\n  - network: x\n    id: '{USER}'\n    read_budget: {budget}\n"
        )
        self.warehouse = tmp_path / "warehouse.duckdb"
        self.landing = tmp_path / "landing"
        self.token = SANDBOX_USER_TOKEN if user_context else SANDBOX_TOKEN
        self.extra = {"user_context": True} if user_context else {}
        self.sleeps: list[float] = []

    def credentials(self, conn_id: str) -> Credentials:
        return Credentials(conn_id, self.token, self.server.base_url, self.extra)

    def http(self) -> HttpClient:
        def sleep(seconds: float) -> None:  # the fake API's clock moves instead of the test waiting
            self.sleeps.append(seconds)
            self.app.clock_offset += seconds

        return HttpClient(ErrorPolicy(), conn_id="x_default", secrets=[self.token], sleep=sleep, timeout=(2.0, 5.0))

    def run(self, day: dt.date, *, today: dt.date = TODAY, backfill: bool = False) -> dict[str, Any]:
        from socialmetrics.config import load_config

        self.app.today = today
        cfg = load_config(self.config)
        run_id = f"{'backfill' if backfill else 'scheduled'}__{day}"
        now = dt.datetime.combine(today, dt.time(4, 0), dt.UTC)
        window = pipeline.run_window(dt.datetime.combine(day, dt.time(3), dt.UTC), cfg, backfill=backfill, now=now)
        for acc in pipeline.plan(self.config):
            pipeline.extract(pipeline.account_from_dict(acc), window, run_id, credentials=self.credentials,
                             landing_root=self.landing, today=today, http=self.http(), backfill=backfill)  # fmt: skip
        loaded = pipeline.load(run_id, warehouse_path=self.warehouse, landing_root=self.landing)
        pipeline.check(run_id, loaded, cfg, warehouse_path=self.warehouse, today=today)
        pipeline.run_transform(run_id, loaded, warehouse_path=self.warehouse, cfg=cfg)
        return {"run_id": run_id, "window": window}

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        import duckdb

        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


@pytest.fixture
def x_server() -> Iterator[FakeServer]:
    with FakeServer(XSandbox(today=TODAY)) as server:
        yield server


@pytest.fixture
def xr(tmp_path: Path, x_server: FakeServer) -> XRun:
    return XRun(tmp_path, x_server)


def lifetime(post: dict[str, Any], as_of: dt.date) -> dict[str, int]:
    share = company.x_share(dt.date.fromisoformat(post["created_at"][:10]), as_of)
    return {k: round(v * share) for k, v in post["_final"].items()}


def posts_between(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    return [p for i in range((end - start).days) for p in company.x_posts(start + dt.timedelta(days=i))]


def replies_until(post: dict[str, Any], today: dt.date, *, people_only: bool = False) -> int:
    now = dt.datetime.combine(today, dt.time(), dt.UTC)
    return sum(1 for r in company.x_replies(post) if r["created_at"] < now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
               and not (people_only and r["author_id"] == company.X_USER_ID))  # fmt: skip


def engagements(post: dict[str, Any], as_of: dt.date, today: dt.date, *, clicks: bool = True) -> int:
    v = lifetime(post, as_of)
    total = v["like_count"] + replies_until(post, today) + v["retweet_count"] + v["quote_count"] + v["bookmark_count"]
    return total + (v["url_link_clicks"] + v["user_profile_clicks"] if clicks else 0)


def test_nightly_run_puts_exact_lifetime_numbers_into_post_performance(xr: XRun) -> None:
    xr.run(DAY)
    rows = xr.query(
        "SELECT post_id, impressions, reach, reactions, comments, shares, clicks, engagements, permalink "
        "FROM marts.post_performance WHERE network = 'x' ORDER BY post_id"
    )
    posts = posts_between(TODAY - dt.timedelta(days=7), TODAY)
    assert len(posts) >= 3
    expected = []
    for p in sorted(posts, key=lambda p: p["id"]):
        v = lifetime(p, DAY)
        link = f"https://x.com/{company.X_USERNAME}/status/{p['id']}"
        expected.append((p["id"], v["impression_count"], None, v["like_count"], replies_until(p, TODAY),
                         v["retweet_count"] + v["quote_count"], v["url_link_clicks"] + v["user_profile_clicks"],
                         engagements(p, DAY, TODAY), link))  # fmt: skip
    assert rows == expected
    # X's format needs includes.media, not requested: unknown, never guessed (docs/data.md "Post format")
    assert xr.query("SELECT DISTINCT format FROM marts.post_performance WHERE network = 'x'") == [(None,)]


def test_first_night_counts_each_post_on_its_publishing_day(xr: XRun) -> None:
    xr.run(DAY)
    got = {d: (imp, reach, fol) for d, imp, reach, fol in xr.query(
        "SELECT day, impressions, reach, followers FROM marts.reach_daily WHERE network = 'x'")}  # fmt: skip
    for i in range(7):
        day = TODAY - dt.timedelta(days=7 - i)
        posts = company.x_posts(day)
        if posts:
            assert got[day][0] == sum(lifetime(p, DAY)["impression_count"] for p in posts)
            assert got[day][1] is None  # X has no reach: NULL, never a guessed number
    assert got[DAY][2] == company.x_followers_on(DAY)


def test_second_night_adds_the_day_over_day_differences(xr: XRun) -> None:
    """Given snapshots taken at the end of Nov 19 and Nov 20, Nov 20 gets what every post gained that day."""
    xr.run(DAY)
    nov20, today2 = DAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
    xr.run(nov20, today=today2)
    seen_before = posts_between(TODAY - dt.timedelta(days=7), TODAY)
    still_in_window = {p["id"] for p in posts_between(today2 - dt.timedelta(days=7), today2)}
    gained = sum(
        lifetime(p, nov20)["impression_count"] - lifetime(p, DAY)["impression_count"]
        for p in seen_before
        if p["id"] in still_in_window
    ) + sum(lifetime(p, nov20)["impression_count"] for p in company.x_posts(nov20))
    row = xr.query(
        "SELECT impressions, followers, follower_gain, engagements FROM marts.reach_daily "
        "JOIN marts.engagement_daily USING (network, account_id, day, impressions) WHERE network = 'x' AND day = ?",
        [nov20],
    )
    assert row[0][:3] == (gained, company.x_followers_on(nov20),
                          company.x_followers_on(nov20) - company.x_followers_on(DAY))  # fmt: skip
    # the earlier days keep their first-night values: nothing is counted twice
    day_before = xr.query("SELECT impressions FROM marts.reach_daily WHERE network = 'x' AND day = ?", [DAY])
    assert day_before[0][0] == sum(lifetime(p, DAY)["impression_count"] for p in company.x_posts(DAY)) or (
        day_before[0][0] is None and not company.x_posts(DAY)
    )
    snapshots = xr.query("SELECT DISTINCT as_of FROM raw.post_snapshots ORDER BY 1")
    assert snapshots == [(DAY,), (nov20,)]


def test_backfill_counts_lifetime_numbers_on_the_publishing_day_and_takes_no_snapshot(xr: XRun) -> None:
    day = dt.date(2026, 10, 2)
    while not company.x_posts(day):
        day += dt.timedelta(days=1)
    xr.run(day, backfill=True)
    assert xr.query("SELECT count(*) FROM raw.post_snapshots")[0][0] == 0
    row = xr.query("SELECT impressions, followers FROM marts.reach_daily WHERE network = 'x' AND day = ?", [day])
    assert row == [(sum(lifetime(p, DAY)["impression_count"] for p in company.x_posts(day)), None)]
    # posts older than 30 days have no clicks (X gives non-public metrics for 30 days only): NULL, not 0
    clicks = xr.query("SELECT DISTINCT clicks FROM marts.post_performance WHERE network = 'x'")
    assert clicks == [(None,)]
    reads = dict(xr.query("SELECT resource, reads FROM meta.api_reads"))
    assert reads == {"users": 1, "posts": len(company.x_posts(day))}


def test_reads_are_recorded_and_match_what_x_would_bill(xr: XRun) -> None:
    xr.run(DAY)
    rows = xr.query("SELECT resource, reads, cost_usd, budget, outcome FROM meta.api_reads ORDER BY resource")
    posts = posts_between(TODAY - dt.timedelta(days=7), TODAY)
    replies = sum(replies_until(p, TODAY) for p in posts if p["created_at"] >= f"{TODAY - dt.timedelta(days=6)}")
    assert rows == [
        ("posts", len(posts) + replies, round((len(posts) + replies) * 0.005, 4), 300, "landed"),
        ("users", 1, 0.01, 300, "landed"),
    ]
    assert xr.app.resources_returned == len(posts) + replies + 1


def test_budget_stops_a_run_that_would_exceed_it_before_reading_posts(tmp_path: Path, x_server: FakeServer) -> None:
    xr = XRun(tmp_path, x_server, budget=3)
    with pytest.raises(BudgetExceededError) as err:
        xr.run(DAY)
    pipeline.load(f"scheduled__{DAY}", warehouse_path=xr.warehouse, landing_root=xr.landing)  # load runs all_done
    message = str(err.value)
    assert "read budget is 3" in message and "read_budget" in message and "no post was read" in message
    assert not any("/tweets" in path for path, _ in xr.app.requests)
    assert not list(xr.landing.glob("x/*/*/manifest.json"))
    reads = xr.query("SELECT resource, reads, outcome FROM meta.api_reads ORDER BY resource")
    assert reads == [("posts", 0, "stopped: budget"), ("users", 1, "stopped: budget")]


def test_budget_is_a_hard_cap_when_the_account_posts_more_than_estimated(tmp_path: Path, x_server: FakeServer) -> None:
    """Given an account that claims one post in its life, the estimate passes; its week then holds six."""
    xr = XRun(tmp_path, x_server, budget=6)
    assert len(posts_between(TODAY - dt.timedelta(days=7), TODAY)) == 6

    def one_post(body: dict[str, Any]) -> dict[str, Any]:
        body["data"]["public_metrics"]["tweet_count"] = 1
        return body

    xr.app.faults.append(Fault(f"/2/users/{USER}", mutate=one_post))
    with pytest.raises(BudgetExceededError, match="needs at least 5 reads, only 0 are left"):
        xr.run(DAY)
    assert xr.app.resources_returned == 6  # never more billed reads than the budget
    assert not list(xr.landing.glob("x/*/*/manifest.json"))


def test_429_with_a_reset_is_survived(xr: XRun) -> None:
    reset = str(int(time.time()) + 42)
    xr.app.faults.append(
        Fault(
            "/tweets",
            status=429,
            body={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
            headers={"x-rate-limit-limit": "900", "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset},
        )
    )
    xr.run(DAY)
    assert len(xr.sleeps) == 1 and 35 <= xr.sleeps[0] <= 44
    # after the wait, the run read every post: their exact lifetime numbers, as without the 429
    rows = xr.query("SELECT post_id, impressions, engagements FROM marts.post_performance WHERE network = 'x'")
    posts = posts_between(TODAY - dt.timedelta(days=7), TODAY)
    expected = [(p["id"], lifetime(p, DAY)["impression_count"], engagements(p, DAY, TODAY)) for p in posts]
    assert sorted(rows) == sorted(expected) and len(expected) >= 3


def test_used_up_window_waits_for_a_near_reset_and_fails_clearly_for_a_far_one(x_server: FakeServer) -> None:
    """Given x-rate-limit-remaining: 0, the next call waits for x-rate-limit-reset when it is near."""
    app: XSandbox = x_server.app  # type: ignore[assignment]
    app.limits["users"] = 1
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        app.clock_offset += seconds

    http = HttpClient(ErrorPolicy(), conn_id="x_default", sleep=sleep)
    creds = Credentials("x_default", SANDBOX_TOKEN, x_server.base_url)
    conn = XConnector(Account("x", USER), creds, http, today=TODAY)
    conn.user()  # the window's only call: remaining 0, reset in 15 minutes
    assert conn._reset_at is not None and 880 < conn._reset_at - time.time() < 905
    far = XConnector(Account("x", company.X_USERNAME), creds, http, today=TODAY)
    far._reset_at = time.time() + 3600
    with pytest.raises(RateLimitError, match="used up until .* UTC .*clear this task to retry after that"):
        far.user()
    assert waits == []
    near = XConnector(Account("x", company.X_USERNAME), creds, http, today=TODAY)
    near._reset_at = conn._reset_at
    assert near.user()["username"] == company.X_USERNAME  # waited for the reset, then read
    assert len(waits) == 1 and 880 < waits[0] < 905


def test_401_is_explained_and_names_the_connection(tmp_path: Path, x_server: FakeServer) -> None:
    xr = XRun(tmp_path, x_server)
    xr.token = "revoked-token-123456"
    with pytest.raises(AuthError) as err:
        xr.run(DAY)
    assert "x_default" in str(err.value) and "invalid, revoked or expired" in str(err.value)
    assert "revoked-token-123456" not in str(err.value)


def test_client_not_enrolled_is_explained(xr: XRun) -> None:
    body = {
        "client_id": "27347717",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
        "Twitter developer App that is attached to a Project. You can create a project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    }
    xr.app.faults.append(Fault("/2/users", status=403, body=body))
    with pytest.raises(AuthError, match="not attached to a project") as err:
        xr.run(DAY)
    assert "x_default" in str(err.value)


def test_replies_without_search_access_keep_the_numbers_and_earlier_replies(xr: XRun) -> None:
    xr.run(DAY)
    before = xr.query("SELECT count(*) FROM core.comment WHERE network = 'x'")[0][0]
    assert before > 0
    forbidden = {"title": "Client Forbidden", "reason": "client-not-enrolled", "detail": "not enrolled",
                 "type": "https://api.twitter.com/2/problems/client-forbidden"}  # fmt: skip
    xr.app.faults.append(Fault("/search/recent", status=403, body=forbidden, times=5))
    xr.run(DAY)
    assert xr.query("SELECT count(*) FROM core.comment WHERE network = 'x'")[0][0] == before
    warnings = xr.query("SELECT stream, code FROM meta.connector_warnings WHERE network = 'x'")
    assert ("replies", "replies-unavailable") in warnings


def test_replies_are_pseudonymised_and_other_peoples_handles_hidden(xr: XRun) -> None:
    xr.run(DAY)
    rows = xr.query(
        "SELECT post_id, author_hash, text, parent_id FROM core.comment WHERE network = 'x' AND NOT by_account"
    )  # the account's own answers (issue #30) answer a reply: they have a parent
    posts = {p["id"]: p for p in posts_between(TODAY - dt.timedelta(days=6), TODAY)}
    expected = sum(replies_until(p, TODAY, people_only=True) for p in posts.values())
    assert len(rows) == expected > 0
    assert all(len(h) == 32 for _, h, _, _ in rows)
    assert all(parent is None for *_, parent in rows)
    texts = " ".join(t for _, _, t, _ in rows)
    assert "@lisa_m" not in texts
    author_ids = {r["author_id"] for p in posts.values() for r in company.x_replies(p)} - {company.X_USER_ID}
    landed = " ".join(p.read_text() for p in xr.landing.rglob("*.json"))
    stored = json.dumps(xr.query("SELECT * FROM raw.comments"), default=str)
    for author in author_ids:
        assert author not in landed and author not in stored


def test_app_only_token_gives_null_clicks_never_a_guess(tmp_path: Path, x_server: FakeServer) -> None:
    xr = XRun(tmp_path, x_server, user_context=False)
    xr.run(DAY)
    rows = xr.query("SELECT clicks, engagements, reactions FROM marts.post_performance WHERE network = 'x'")
    assert rows and all(clicks is None and eng is not None and eng >= likes for clicks, eng, likes in rows)


def test_unknown_account_is_a_clear_error(tmp_path: Path, x_server: FakeServer) -> None:
    creds = Credentials("x_default", SANDBOX_TOKEN, x_server.base_url)
    conn = XConnector(Account("x", "999"), creds, HttpClient(ErrorPolicy(), conn_id="x_default"), today=TODAY)
    with pytest.raises(UnknownAccountError, match="X has no account '999'.*numeric user id"):
        conn.user()


def test_username_in_the_config_is_resolved_by_the_same_read(x_server: FakeServer) -> None:
    creds = Credentials("x_default", SANDBOX_TOKEN, x_server.base_url)
    conn = XConnector(Account("x", "@" + company.X_USERNAME), creds, today=TODAY)
    assert conn.user()["id"] == USER and conn.reads == {"posts": 0, "users": 1}


def test_malformed_timeline_page_is_a_clear_error_and_loads_nothing(xr: XRun) -> None:
    def broken(body: dict[str, Any]) -> dict[str, Any]:
        body["data"][0].pop("public_metrics")
        return body

    xr.app.faults.append(Fault("/tweets", mutate=broken))
    with pytest.raises(MalformedResponseError, match="public_metrics"):
        xr.run(DAY)
    assert not list(xr.landing.glob("x/*/*/manifest.json"))


@pytest.mark.parametrize("spelling", ["retweet_count", "repost_count"])
def test_both_spellings_of_reposts_are_read(spelling: str) -> None:
    post = {"id": "1", "public_metrics": {"like_count": 3, "reply_count": 1, spelling: 4, "quote_count": 1,
                                          "bookmark_count": 2, "impression_count": 90}}  # fmt: skip
    values = {m: v for m, _, v in post_metrics(post) if m}
    assert values == {"reactions": 3, "comments": 1, "shares": 5, "impressions": 90, "engagements": 11}


def test_budget_option_must_be_a_whole_number(x_server: FakeServer) -> None:
    creds = Credentials("x_default", SANDBOX_TOKEN, x_server.base_url)
    with pytest.raises(Exception, match="read_budget must be a whole number"):
        XConnector(Account("x", USER, options={"read_budget": "lots"}), creds, today=TODAY)


def test_backfill_windows_never_touch_snapshots_or_replies() -> None:
    windows, notes = pipeline.stream_windows(XConnector, Window(dt.date(2026, 9, 1), dt.date(2026, 9, 2)), TODAY,
                                             backfill=True)  # fmt: skip
    assert set(windows) == {"posts"}
    assert any("6 days" in n and "replies" in n for n in notes)  # the clamp is said; skipped snapshots are not warnings
    nightly, _ = pipeline.stream_windows(XConnector, Window(dt.date(2026, 10, 22), TODAY), TODAY)
    assert nightly["posts"] == Window(TODAY - dt.timedelta(days=7), TODAY)
    assert nightly["post_snapshots"] == nightly["account"] == Window(DAY, TODAY)
    assert nightly["replies"] == Window(TODAY - dt.timedelta(days=6), TODAY)


def test_backfilled_day_without_posts_has_a_zero_row_and_passes_the_quality_gate(xr: XRun) -> None:
    """X has no daily series: on a backfilled day without posts nothing happened (0), while followers
    (no snapshot) and clicks (X gives them per post only) are unknown (NULL); that is not an error."""
    day = dt.date(2026, 10, 2)
    while company.x_posts(day):
        day += dt.timedelta(days=1)
    xr.run(day, backfill=True)
    reach = xr.query("SELECT impressions, reach, followers, follower_gain FROM marts.reach_daily WHERE network = 'x'")
    assert reach == [(0, None, None, None)]
    engagement = xr.query(
        "SELECT day, reactions, comments, shares, clicks, engagements FROM marts.engagement_daily WHERE network = 'x'"
    )
    assert engagement == [(day, 0, 0, 0, None, 0)]
    assert xr.query("SELECT resource, reads FROM meta.api_reads ORDER BY 1") == [("posts", 0), ("users", 1)]


def test_every_backfilled_day_has_exactly_one_row(xr: XRun) -> None:
    """Given daily backfills of 5 to 9 October (days with and without posts), core and both daily marts
    have one row per day; a day's impressions are its posts' lifetime numbers, 0 without a post."""
    days = [dt.date(2026, 10, 5) + dt.timedelta(days=i) for i in range(5)]
    assert any(not company.x_posts(d) for d in days) and any(company.x_posts(d) for d in days)
    for day in days:
        xr.run(day, backfill=True)
    for table in ("core.account_daily", "marts.reach_daily", "marts.engagement_daily"):
        rows = xr.query(f"SELECT day, count(*) FROM {table} WHERE network = 'x' GROUP BY day ORDER BY day")
        assert rows == [(d, 1) for d in days], table
    got = dict(xr.query("SELECT day, impressions FROM marts.reach_daily WHERE network = 'x'"))
    assert got == {d: sum(lifetime(p, DAY)["impression_count"] for p in company.x_posts(d)) for d in days}


def test_nightly_run_has_a_row_for_every_day_of_its_posts_window(xr: XRun) -> None:
    xr.run(DAY)
    rows = xr.query("SELECT day, followers FROM marts.reach_daily WHERE network = 'x' ORDER BY day")
    assert [r[0] for r in rows] == [TODAY - dt.timedelta(days=7 - i) for i in range(7)]
    assert [r[1] is None for r in rows] == [True] * 6 + [False]  # followers only from the night's snapshot


def test_replies_over_the_budget_wait_while_numbers_and_snapshots_land(tmp_path: Path, x_server: FakeServer) -> None:
    """Given a budget that covers the posts but not their replies, tonight's snapshot is still kept."""
    xr = XRun(tmp_path, x_server, budget=10)
    xr.run(DAY)
    assert xr.query("SELECT count(*) FROM marts.post_performance WHERE network = 'x'")[0][0] == 6
    assert xr.query("SELECT DISTINCT as_of FROM raw.post_snapshots") == [(DAY,)]
    assert xr.query("SELECT count(*) FROM core.comment WHERE network = 'x'") == [(0,)]
    (warning,) = xr.query("SELECT code, message FROM meta.connector_warnings WHERE network = 'x'")
    assert warning[0] == "replies-over-budget" and "read_budget" in warning[1]
    assert xr.app.resources_returned <= 10


def test_a_count_that_went_down_is_a_zero_day_not_a_negative_one(xr: XRun) -> None:
    """Given one like less at the second snapshot (an unlike), the day gets 0 reactions, and the gate passes."""
    xr.run(DAY)
    nov20, today2 = DAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=1)

    def unlike(body: dict[str, Any]) -> dict[str, Any]:
        for post in body.get("data", []):
            post["public_metrics"]["like_count"] = 0
        return body

    xr.app.faults.append(Fault("/tweets", mutate=unlike))
    xr.run(nov20, today=today2)
    reactions = xr.query("SELECT reactions FROM marts.engagement_daily WHERE network = 'x' AND day = ?", [nov20])
    assert reactions == [(0,)]


def test_a_history_load_over_the_forms_budget_names_the_form_field_and_the_reads_it_needs(
    tmp_path: Path, x_server: FakeServer
) -> None:
    """Given a year of history with the form's X budget at 50 (the account's nightly read_budget is 300),
    the X extract stops before reading a post and says which field to raise, and to how much; with the
    form's default (dags/social_metrics.py HISTORY_X_READ_BUDGET, 1000) the same year loads."""
    xr = XRun(tmp_path, x_server, budget=300)
    now = dt.datetime.combine(TODAY, dt.time(10), dt.UTC)
    first, last = TODAY - dt.timedelta(days=365), TODAY - dt.timedelta(days=1)

    def extract(read_budget: int) -> dict[str, Any]:
        job = pipeline.plan_history(xr.config, first, last, read_budget=read_budget, now=now)[0]
        return pipeline.extract(pipeline.account_from_dict(job), pipeline.job_window(job), f"manual__{read_budget}",
                                credentials=xr.credentials, landing_root=xr.landing, today=TODAY, http=xr.http(),
                                backfill=True)  # fmt: skip

    with pytest.raises(BudgetExceededError) as err:
        extract(50)
    assert str(err.value) == (
        f"x/{USER}: this run would need about 368 reads for posts of 2025-11-20 to 2026-11-19 (365 days), more "
        "than the budget; no post was read. The read budget is 50 reads per run; 1 were used (about $0.01). Nothing "
        "of this account was loaded by this run and earlier data is unchanged. To load it, raise 'X read budget for "
        "this load' in the history form to 368 or more (or `socialmetrics history --x-read-budget`), or load fewer "
        "days per run."
    )
    dag = (REPO / "dags" / "social_metrics.py").read_text(encoding="utf-8")
    assert "HISTORY_X_READ_BUDGET = 1000\n" in dag
    landed = extract(1000)
    assert landed["rows"]["posts.posts"] == len(posts_between(first, TODAY)) > 200  # the whole year
