"""Instagram: the fake API through to the marts, answers others recorded (tests/fixtures/recorded/instagram),
and the errors a user has to act on."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    Account,
    ApiError,
    AuthError,
    Credentials,
    MalformedResponseError,
    UnknownAccountError,
    Window,
)
from connectors.instagram import InstagramConnector, InstagramErrorPolicy, end_time_to_day
from connectors.testing import FakeServer
from connectors.testing.sandbox import instagram as ig
from tests.test_recorded_answers import KEY, TOKEN, Route, answer, fixture, replay, run_through, stored_text

__all__ = ["replay"]  # the fixture, used by name
TODAY = dt.date(2026, 11, 20)
WEEK = Window(dt.date(2026, 11, 13), TODAY)
QUARTER = Window(TODAY - dt.timedelta(days=90), TODAY)  # the media streams' nightly window
ALL = ["account_insights", "follower_count", "account_totals", "account", "media", "media_insights", "comments"]


@pytest.fixture
def sandbox():
    app = ig.InstagramSandbox(today=TODAY)
    app.valid_tokens.add(TOKEN)
    with FakeServer(app) as server:
        yield app, server


def connector(server: Any, account_id: str = ig.IG_USER_ID, **options: Any) -> InstagramConnector:
    creds = Credentials("instagram_default", TOKEN, base_url=server.base_url)
    return InstagramConnector(Account("instagram", account_id, options=options), creds, today=TODAY, author_key=KEY)


def test_a_week_through_to_the_marts_holds_the_served_numbers(sandbox, tmp_path: Path) -> None:
    """Given the fake API's week, when all streams run through to the marts, then a day's reach, views
    (as impressions), likes, comments, shares and total interactions are the served ones, clicks are NULL
    (Instagram has none), and followers are the snapshot of the day that just ended."""
    app, server = sandbox
    con = run_through(connector(server), ALL, WEEK, tmp_path, TODAY)
    day = dt.date(2026, 11, 17)
    served = ig.day_values(day)
    assert con.execute(
        "SELECT e.impressions, r.reach, e.reactions, e.comments, e.shares, e.clicks, e.engagements "
        "FROM marts.engagement_daily e JOIN marts.reach_daily r USING (network, account_id, day) "
        "WHERE network = 'instagram' AND day = ?", [day]
    ).fetchone() == (served["views"], served["reach"], served["likes"], served["comments"], served["shares"], None,
                     served["total_interactions"])  # fmt: skip
    followers = con.execute("SELECT day, followers FROM marts.reach_daily WHERE network = 'instagram' "
                            "AND followers IS NOT NULL").fetchall()  # fmt: skip
    assert followers == [(dt.date(2026, 11, 19), ig.followers_on(dt.date(2026, 11, 19)))]


def test_media_land_as_posts_with_lifetime_insights_and_hidden_likes_stay_null(sandbox, tmp_path: Path) -> None:
    """Given the fake account's media of the last 90 days, then each is a post with views as impressions
    and like_count as reactions; a media whose likes are hidden has NULL reactions, not 0."""
    app, server = sandbox
    con = run_through(connector(server), ["media", "media_insights"], QUARTER, tmp_path, TODAY)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT post_id, impressions, reach, reactions, comments, shares FROM marts.post_performance "
        "WHERE network = 'instagram'").fetchall()}  # fmt: skip
    media = [m for d in range(1, 91) for m in ig.media_of(TODAY - dt.timedelta(days=d))]
    assert len(rows) == len(media) > 20
    for m in media:
        served = ig.media_insights(m)
        assert rows[m["id"]] == (served["views"], served["reach"], m.get("like_count"), m["comments_count"],
                                 served["shares"])  # fmt: skip
    assert any(m.get("like_count") is None for m in media)


def test_commenters_are_hashed_and_mentions_replaced_before_landing(sandbox, tmp_path: Path) -> None:
    """Given comments with `username` and `from` and an @mention in the text, then core.comment has a hash
    per author, "@…" for the mention, and no username or IG user id of a commenter is stored anywhere."""
    app, server = sandbox
    con = run_through(connector(server), ["media", "comments"], QUARTER, tmp_path, TODAY)
    comments = con.execute("SELECT text, author_hash FROM core.comment WHERE network = 'instagram'").fetchall()
    assert comments and all(h and len(h) == 32 for _, h in comments)
    assert any(t == "@… da müssen wir hin!" for t, _ in comments)
    stored = stored_text(tmp_path, con)
    for user_id, username in ig.COMMENTERS:
        assert user_id not in stored and username not in stored
    assert TOKEN not in stored


def test_media_posted_before_the_conversion_skip_their_insights_with_a_warning(sandbox, tmp_path: Path) -> None:
    """Given media older than the account's conversion to a professional account (100/2108006), then their
    insights are skipped with a warning naming the media, and the posts still load."""
    app, server = sandbox
    window = Window(dt.date(2024, 9, 10), dt.date(2024, 9, 25))
    c = connector(server)
    con = run_through(c, ["media", "media_insights"], window, tmp_path, TODAY)
    before = [m for d in range(15) for m in ig.media_of(dt.date(2024, 9, 10) + dt.timedelta(days=d))
              if m["timestamp"] < "2024-09-20"]  # fmt: skip
    assert before
    warned = [w for w in c.warnings if w.stream == "media_insights"]
    assert {m["id"] for m in before} == {w.message.split("media ")[1].split(" ")[0] for w in warned}
    assert con.execute("SELECT count(*) FROM marts.post_performance WHERE network = 'instagram' AND impressions "
                       "IS NULL").fetchone() == (len(before),)  # fmt: skip


def test_a_page_id_configured_as_the_account_says_to_use_the_instagram_id(sandbox, tmp_path: Path) -> None:
    """Given the Facebook Page id where the Instagram account id belongs, then the run stops with an error
    that says which id to put there."""
    app, server = sandbox
    with pytest.raises(ApiError, match=r"not the Facebook Page id"):
        list(connector(server, app.page_id).fetch(InstagramConnector.streams[4], WEEK))


def test_a_page_linking_another_account_names_the_right_id(sandbox) -> None:
    """Given `page_id` of a Page that links another Instagram account, then the error gives the right id."""
    app, server = sandbox
    c = connector(server, "17841499999999999", page_id=app.page_id)
    with pytest.raises(UnknownAccountError, match=f'id: "{ig.IG_USER_ID}"'):
        list(c.fetch(InstagramConnector.streams[0], WEEK))


def test_an_expired_token_names_the_connection_and_is_not_retried(sandbox) -> None:
    app, server = sandbox
    app.expired_tokens.add(TOKEN)
    with pytest.raises(AuthError, match="instagram_default.*never retried"):
        list(connector(server).fetch(InstagramConnector.streams[0], WEEK))
    assert len(app.requests) == 1


def test_the_per_day_totals_cost_one_request_a_day_and_reach_one_per_30_days(sandbox) -> None:
    """Given 45 days, then account_totals asks day by day (Meta gives one total per since..until) and
    account_insights in two requests of at most 30 days."""
    app, server = sandbox
    window = Window(dt.date(2026, 10, 1), dt.date(2026, 11, 15))
    c = connector(server)
    assert len(list(c.fetch(InstagramConnector.streams[2], window))) == 45
    pages = list(c.fetch(InstagramConnector.streams[0], window))
    assert [p.request["params"]["since"] for p in pages] == ["2026-10-01", "2026-10-31"]


# -- recorded answers ---------------------------------------------------------------------------------


def test_recorded_media_insights_and_comments_run_through_to_the_marts(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    """Given Airbyte's recorded media page (fields we never ask for: ig_id, media_url, owner, username...),
    its general media insights (video_views, follows, profile_visits besides ours), the posted-before-
    conversion error for the second media, and Meta's documented comments answer (no author fields), when
    they run through to the marts, then the first post has reach 8000, reactions 12 (like_count), shares 25;
    the second has no insights; comments have no author hash (none was sent); fields not declared are
    stored nowhere."""
    media, insights, comments = fixture("instagram/media_page.json"), fixture("instagram/media_insights.json"), \
        fixture("instagram/comments.json")  # fmt: skip
    errors = fixture("instagram/errors.json")
    asked: list[str] = []

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        asked.append(path)
        if path.endswith("/media"):
            return 200, {}, media
        if path.endswith("84386203808767123/insights"):
            return 200, {}, insights
        if path.endswith("/insights"):
            return 400, {}, {"error": errors["posted_before_business"]["error"]}
        if path.endswith("84386203808767123/comments"):
            return 200, {}, comments
        return 404, {}, {}

    server = replay(route)
    c = InstagramConnector(Account("instagram", "41408147298757123"),
                           Credentials("instagram_default", TOKEN, base_url=server.base_url),
                           today=dt.date(2023, 6, 15), author_key=KEY)  # fmt: skip
    con = run_through(c, ["media", "media_insights", "comments"], Window(dt.date(2023, 5, 15), dt.date(2023, 6, 15)),
                      tmp_path, dt.date(2023, 6, 15))  # fmt: skip
    assert con.execute("SELECT post_id, impressions, reach, reactions, comments, shares FROM marts.post_performance "
                       "ORDER BY post_id").fetchall() == [
        ("64256500936159123", None, None, 10, 0, None),
        ("84386203808767123", None, 8000, 12, 2, 25),
    ]  # fmt: skip
    assert not any(p.endswith("64256500936159123/comments") for p in asked)  # comments_count 0: not asked
    # both recorded media are VIDEO with media_product_type REELS: reels (docs/data.md "Post format")
    assert con.execute("SELECT post_id, format FROM core.post ORDER BY 1").fetchall() == [
        ("64256500936159123", "reel"), ("84386203808767123", "reel")
    ]  # fmt: skip
    assert con.execute("SELECT comment_id, text, author_hash FROM core.comment ORDER BY 1").fetchall() == [
        ("17870913679156914", "This is awesome!", None),
        ("17873440459141021", "Amazing!", None),
    ]
    raw = {r[0]: r[1] for r in con.execute("SELECT source_metric, metric FROM raw.post_metrics "
                                           "WHERE post_id = '84386203808767123'").fetchall()}  # fmt: skip
    assert raw["video_views"] is None and raw["saved"] is None and raw["reach"] == "reach"
    assert [w.code for w in c.warnings] == ["100"]
    stored = stored_text(tmp_path, con)
    for undeclared in ("fakecontent", "HGagdsy38", "owner", "3123724930722523505", "is_comment_enabled"):
        assert undeclared not in stored, undeclared


def test_recorded_user_insights_date_the_values_by_their_pacific_day(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    """Given Airbyte's recorded user insights (end_time 2024-01-15T07:00:00+0000), then reach 500 and 1000 new
    followers count for 14 Jan, and the follower total stays NULL (follower_count is not a total)."""
    body = fixture("instagram/user_insights.json")
    server = replay(lambda path, query: (200, {}, body))
    c = InstagramConnector(Account("instagram", "222222222222222"),
                           Credentials("instagram_default", TOKEN, base_url=server.base_url),
                           today=dt.date(2024, 1, 16), author_key=KEY)  # fmt: skip
    con = run_through(c, ["account_insights"], Window(dt.date(2024, 1, 10), dt.date(2024, 1, 16)), tmp_path,
                      dt.date(2024, 1, 16))  # fmt: skip
    assert con.execute("SELECT day, reach, followers FROM marts.reach_daily").fetchall() == [
        (dt.date(2024, 1, 14), 500, None)
    ]
    assert con.execute("SELECT metric, value FROM raw.daily_metrics WHERE source_metric = 'follower_count'"
                       ).fetchall() == [("follows", 1000.0)]  # fmt: skip


def test_an_empty_media_page_loads_nothing_and_asks_for_no_children(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    asked: list[str] = []

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        asked.append(path)
        return 200, {}, {"data": []}

    server = replay(route)
    c = InstagramConnector(Account("instagram", "1"), Credentials("instagram_default", TOKEN, server.base_url),
                           today=TODAY)  # fmt: skip
    con = run_through(c, ["media", "media_insights", "comments"], WEEK, tmp_path, TODAY)
    assert con.execute("SELECT count(*) FROM raw.posts").fetchone() == (0,)
    assert asked == ["/v25.0/1/media"]


def test_comment_paging_that_repeats_itself_stops_with_an_error(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    """Given a comments answer whose paging.next is the same request again, then paging stops with an error."""
    media = {"data": [{"id": "5", "timestamp": "2026-11-15T10:00:00+0000", "comments_count": 3}]}

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if path.endswith("/media"):
            return 200, {}, media
        return 200, {}, {"data": [{"id": "c1", "text": "x", "timestamp": "2026-11-15T11:00:00+0000"}],
                         "paging": {"cursors": {"after": "QQ"}, "next": "https://graph.facebook.com/v25.0/5/comments"
                                                                        "?after=QQ"}}  # fmt: skip

    server = replay(route)
    c = InstagramConnector(Account("instagram", "1"), Credentials("instagram_default", TOKEN, server.base_url),
                           today=TODAY)  # fmt: skip
    with pytest.raises(MalformedResponseError, match="paging loops"):
        list(c.fetch(InstagramConnector.streams[6], WEEK))


@pytest.mark.parametrize(
    ("case", "kind", "words"),
    [
        ("permission_10", AuthError, "instagram_manage_insights"),
        ("unsupported_get_33", ApiError, "not the Facebook Page id"),
    ],
)
def test_recorded_errors_say_what_to_fix(case: str, kind: type, words: str) -> None:
    body = {"error": fixture("instagram/errors.json")[case]["error"]}
    verdict = InstagramErrorPolicy().classify(answer(400, body))
    policy = InstagramErrorPolicy()
    message = policy.auth_message(verdict, "instagram_default") if kind is AuthError else verdict.message
    assert words in message and "Instagram (Graph API) error" in message


def test_a_page_without_a_linked_account_says_how_to_link_it(replay: Callable[[Route], FakeServer]) -> None:
    """Given the recorded Page without instagram_business_account, then the error says to link one."""
    page = fixture("instagram/errors.json")["page_without_instagram"]["data"][1]
    server = replay(lambda path, query: (200, {}, page))
    c = InstagramConnector(Account("instagram", "17841462677220873", options={"page_id": page["id"]}),
                           Credentials("instagram_default", TOKEN, server.base_url), today=TODAY)  # fmt: skip
    with pytest.raises(UnknownAccountError, match="has no Instagram professional account linked"):
        list(c.fetch(InstagramConnector.streams[0], WEEK))


def test_end_time_is_read_as_the_nearest_pacific_midnight() -> None:
    assert end_time_to_day("2026-01-02T08:00:00+0000") == dt.date(2026, 1, 1)
    assert end_time_to_day("2026-07-02T07:00:00+0000") == dt.date(2026, 7, 1)
    assert end_time_to_day("2026-01-02T07:00:00+0000") == dt.date(2026, 1, 1)


def test_fixtures_name_their_source() -> None:
    for path in (Path(__file__).parent / "fixtures" / "recorded" / "instagram").glob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["_source"], path
