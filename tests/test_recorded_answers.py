"""Real answers others recorded (tests/fixtures/recorded/, each with its `_source`), replayed on loopback
through connector -> landing -> load -> transform: what a user reads, and what must never be stored."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import requests

from connectors.base import Account, ApiError, AuthError, Credentials, UsageCapError, Window
from connectors.facebook import FacebookConnector, FacebookErrorPolicy
from connectors.http import HttpClient
from connectors.linkedin import LinkedInConnector, LinkedInErrorPolicy
from connectors.testing import FakeServer
from connectors.x import XConnector, XErrorPolicy
from socialmetrics import pipeline
from socialmetrics.land import landing

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
KEY = b"recorded-answers-author-key-0123"
TOKEN = "recorded-token-123456"
Route = Callable[[str, dict[str, str]], tuple[int, dict[str, str], Any]]


def fixture(name: str) -> dict[str, Any]:
    data = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    data.pop("_source", None)
    return data


class Replay:
    """A loopback API answering each request with a recorded body (chosen by `route`)."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.base_url = "http://127.0.0.1"

    def handle(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        status, headers, body = self.route(path, query)
        text = json.dumps(body).replace("https://graph.facebook.com", self.base_url)
        return status, headers, json.loads(text)


@pytest.fixture
def replay() -> Iterator[Callable[[Route], FakeServer]]:
    servers: list[FakeServer] = []

    def start(route: Route) -> FakeServer:
        server = FakeServer(Replay(route)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run_through(
    connector: Any, streams: list[str], window: Window, tmp_path: Path, today: dt.date
) -> duckdb.DuckDBPyConnection:
    """Land the streams, load them and build core and marts; the open warehouse."""
    by_name = {s.name: s for s in connector.streams}
    landing_root, warehouse_path = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    landing.land(connector, {by_name[n].name: window for n in streams}, root=landing_root, run_id="r1",
                 secrets=[TOKEN])  # fmt: skip
    windows = pipeline.load("r1", warehouse_path=warehouse_path, landing_root=landing_root)
    pipeline.run_transform("r1", windows, warehouse_path=warehouse_path, landing_root=landing_root, today=today)
    return duckdb.connect(str(warehouse_path), read_only=True)


def stored_text(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> str:
    """Everything landed (page files and Parquet parts) and every text column of the warehouse."""
    chunks = []
    for path in (tmp_path / "landing").rglob("*"):
        if path.suffix == ".parquet":
            chunks.append(json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False))
        elif path.is_file():
            chunks.append(path.read_text(encoding="utf-8", errors="replace"))
    columns = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    ).fetchall()
    for schema, table, column in columns:
        rows = con.execute(f'SELECT "{column}" FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL').fetchall()
        chunks.extend(str(r[0]) for r in rows)
    return "\n".join(chunks)


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


# -- Facebook -----------------------------------------------------------------------------------------


def test_facebook_recorded_feed_lands_posts_and_comments_without_names_or_ids_of_people(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    """Given keboola's recorded Graph answer (comments with `from`, posts and comments with `likes.data`
    naming people, time-based paging), when it runs through to the marts, then the posts, their comment
    counts and the hashed commenters are there, and no commenter's or liker's name or id is stored."""
    page = fixture("facebook/published_posts_page.json")

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if "__paging_token" in query:  # the recorded next page (until=..., an opaque token) is empty
            return 200, {}, {"data": []}
        return 200, {}, page

    server = replay(route)
    account = Account("facebook", "177057932317550")
    creds = Credentials("facebook_default", TOKEN, base_url=server.base_url)
    connector = FacebookConnector(account, creds, today=dt.date(2014, 9, 1), author_key=KEY)
    con = run_through(connector, ["posts"], Window(dt.date(2014, 8, 25), dt.date(2014, 9, 1)), tmp_path,
                      dt.date(2014, 9, 1))  # fmt: skip
    posts = con.execute("SELECT post_id, text, reactions, format FROM marts.post_performance ORDER BY post_id"
                        ).fetchall()  # fmt: skip
    # the recorded answer was asked without `status_type`: the format is unknown (NULL), not guessed
    assert posts == [("177057932317550_780460005310670", "0sUGI", None, None),
                     ("177057932317550_780602168629787", "K1hIE", None, None)]  # fmt: skip
    comments = con.execute("SELECT comment_id, text, author_hash FROM core.comment ORDER BY comment_id").fetchall()
    assert [c[:2] for c in comments] == [
        ("780460005310670_780465305310140", "9xsTO"), ("780460005310670_780600385296632", "JT7yC"),
        ("780602168629787_780603991962938", "0eGRT"), ("780602168629787_780814588608545", "XjEm4"),
    ]  # fmt: skip
    assert all(c[2] and len(c[2]) == 32 for c in comments)
    stored = stored_text(tmp_path, con)
    for personal in ("XXNGz", "HP2zy", "XNako", "H0q5T", "MSJld", "ByyCS", "UxVy1", "RIhQ2", "Mdxiy",
                     "1072622009419947", "10208033655990803", "401232140086543", "1053716917983736"):  # fmt: skip
        assert personal not in stored, personal
    assert TOKEN not in stored and "XXTOKENXX" not in stored


def test_facebook_code_100_without_subcode_33_says_to_check_page_id_and_permissions() -> None:
    """Given the recorded '(#100) Object does not exist ... requires pages_read_engagement' answer (no
    error_subcode), then the error names the fix: the page id and the token's permissions."""
    body = fixture("facebook/errors.json")["object_missing_permission"]
    verdict = FacebookErrorPolicy().classify(answer(400, body))
    assert verdict.code == "unknown_object"
    assert "Check the account id in the config" in verdict.message
    assert "pages_read_engagement and read_insights" in verdict.message


def test_facebook_rate_limit_names_the_usage_type_and_when_access_returns() -> None:
    """Given a code 80001 answer with Meta's usage header for type ads_insights and 19 minutes to regain
    access, then the client is told to wait 19 minutes and the message names the limit."""
    from connectors.testing.sandbox.facebook import graph_error, throttled_headers

    body = graph_error(80001, "There have been too many calls to this Page account.")
    verdict = FacebookErrorPolicy().classify(answer(400, body, throttled_headers("123", 19)))
    assert verdict.wait_s == 19 * 60
    assert "'ads_insights' limit at 100 %, access returns in about 19 minutes" in verdict.message


# -- LinkedIn -----------------------------------------------------------------------------------------


def test_linkedin_recorded_comment_lands_text_and_hash_but_no_person_urn(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    """Given ebx-linkedin-sdk's recorded post and comment (agent, impersonator, object, content[]), when
    they run through to core, then the post text and the comment text with a hashed author are stored,
    and the agent's person URN, the image URL and the activity are stored nowhere."""
    post, comment = fixture("linkedin/post.json"), fixture("linkedin/comment.json")

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if path.endswith("/rest/posts"):
            return 200, {}, {"elements": [post], "paging": {"start": 0, "count": 100, "links": []}}
        if path.endswith("/comments"):
            return 200, {}, {"elements": [comment], "paging": {"start": 0, "count": 100, "total": 1}}
        return 200, {}, {"elements": []}

    server = replay(route)
    account = Account("linkedin", "5515715")
    creds = Credentials("linkedin_default", TOKEN, base_url=server.base_url)
    connector = LinkedInConnector(account, creds, today=dt.date(2021, 10, 25), author_key=KEY)
    con = run_through(connector, ["posts"], Window(dt.date(2021, 10, 1), dt.date(2021, 10, 25)), tmp_path,
                      dt.date(2021, 10, 25))  # fmt: skip
    assert con.execute("SELECT post_id, text, format FROM core.post").fetchall() == [
        ("urn:li:share:6844785523593134080", "comment on Oct 20", "video")  # content.media.id urn:li:video:...
    ]
    rows = con.execute("SELECT comment_id, text, author_hash FROM core.comment").fetchall()
    assert [r[:2] for r in rows] == [
        ("urn:li:comment:(urn:li:activity:6641861161010679808,6643206422739898368)", "commentV2 with image urn")
    ]
    assert rows[0][2] and len(rows[0][2]) == 32
    stored = stored_text(tmp_path, con)
    for personal in ("urn:li:person:CnpTkB7V70", "CnpTkB7V70", "media.licdn-ei.com", "digitalmediaAsset",
                     "dscAdAccount", "sponsoredAccount"):  # fmt: skip
        assert personal not in stored, personal


def test_linkedin_mentions_in_a_comment_are_replaced_before_landing() -> None:
    """Given a comment whose message.attributes mention a person, then the landed text has "@…" in place
    of the name and keeps an organization's mention."""
    connector = LinkedInConnector(Account("linkedin", "1"), Credentials("linkedin_default", TOKEN), author_key=KEY)
    comment = {"actor": "urn:li:person:abc", "id": "1", "message": {
        "text": "Maria Muster and Acme Corp: congrats",
        "attributes": [
            {"start": 0, "length": 12, "value": {"person": {"person": "urn:li:person:Mm77"}}},
            {"start": 17, "length": 9, "value": {"organization": {"organization": "urn:li:organization:9"}}},
        ],
    }}  # fmt: skip
    landed = connector._landed_comment(comment)
    assert landed["message"] == {"text": "@… and Acme Corp: congrats"}
    assert "urn:li:person" not in json.dumps(landed)


@pytest.mark.parametrize(
    ("case", "status", "kind", "words"),
    [
        ("revoked_401", 401, "revoked", "revoked it"),
        ("version_426", 426, "426", "API version 202511 is retired or unknown"),
        ("unpermitted_403", 403, "request", "not a missing permission"),
    ],
)
def test_linkedin_recorded_error_bodies_get_plain_messages(case: str, status: int, kind: str, words: str) -> None:
    """Given LinkedIn's recorded error bodies, then each is classified by its code and says what to do."""
    verdict = LinkedInErrorPolicy("202511").classify(answer(status, fixture("linkedin/errors.json")[case]))
    assert verdict.code == kind
    assert words in verdict.message


# -- X ------------------------------------------------------------------------------------------------


def test_x_recorded_answer_without_bookmark_count_keeps_it_null_and_drops_personal_fields(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    """Given a recorded timeline answer from before X sent bookmark_count (with includes.users, geo and
    author_id) and an opaque next_token, when it runs through to the marts, then the post's engagements
    are the counts X sent (1 like), bookmark_count is no row and is named as missing, and the user's
    name, location and picture are stored nowhere."""
    timeline = fixture("x/tweet_without_bookmark_count.json")
    user = {"data": {"id": "8379212", "username": "takke", "name": "竹内裕昭🐧", "location": "北海道",
                     "created_at": "2007-08-23T10:06:53.000Z",
                     "public_metrics": {"followers_count": 1681, "following_count": 1065, "tweet_count": 61212,
                                        "listed_count": 126}}}  # fmt: skip
    seen_tokens: list[str] = []

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if path.endswith("/tweets") and "pagination_token" in query:
            seen_tokens.append(query["pagination_token"])
            return 200, {}, {"meta": {"result_count": 0}}
        if path.endswith("/tweets"):
            return 200, {}, timeline
        return 200, {}, user

    server = replay(route)
    account = Account("x", "8379212", options={"read_budget": 300})
    creds = Credentials("x_default", TOKEN, base_url=server.base_url)
    connector = XConnector(account, creds, today=dt.date(2022, 3, 23), author_key=KEY)
    con = run_through(connector, ["posts"], Window(dt.date(2022, 3, 16), dt.date(2022, 3, 23)), tmp_path,
                      dt.date(2022, 3, 23))  # fmt: skip
    assert seen_tokens == ["7140dibdnow9c7btw3w3yduzof7t8ap8xdnfj36j06wj6"]
    assert con.execute(
        "SELECT post_id, reactions, comments, shares, clicks, engagements, engagements_missing "
        "FROM marts.post_performance"
    ).fetchall() == [("1505488910205345795", 1, 0, 0, None, 1, "bookmark_count")]
    sources = {r[0] for r in con.execute("SELECT source_metric FROM raw.post_metrics").fetchall()}
    assert "bookmark_count" not in sources
    stored = stored_text(tmp_path, con)
    for personal in ("竹内裕昭", "北海道", "profile_images", "2e624efa0028615e", "Twitter for Android"):
        assert personal not in stored, personal


def test_x_recorded_reply_lands_without_author_id_or_mentioned_handles() -> None:
    """Given Airbyte's recorded reply (author_id, in_reply_to_user_id, three @handles), then what would be
    landed holds a hash for the author, "@…" for the handles and neither id."""
    reply = fixture("x/search_replies.json")["data"][0]
    connector = XConnector(Account("x", "1"), Credentials("x_default", TOKEN), author_key=KEY)
    landed = connector._pseudonymised(reply)
    from connectors.allowlist import keep
    from connectors.x import REPLY_FIELDS

    kept = json.dumps(keep(landed, REPLY_FIELDS), ensure_ascii=False)
    assert kept.count("@…") == 3 and "imightbemary" not in kept
    assert "14865935" not in kept and "187691014" not in kept and "edit_history" not in kept
    assert json.loads(kept)["author_hash"]


def test_x_monthly_usage_cap_fails_at_once_naming_the_cap(replay: Callable[[Route], FakeServer]) -> None:
    """Given the recorded 429 UsageCapExceeded (Monthly) with 39999 of 40000 calls left, then the first
    answer fails as UsageCapError (never retried, no waiting) naming the monthly cap and its reset."""
    case = fixture("x/errors.json")["usage_cap_429"]
    calls: list[str] = []

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        calls.append(path)
        return case["status"], case["headers"], case["body"]

    server = replay(route)
    waits: list[float] = []
    http = HttpClient(XErrorPolicy(), conn_id="x_default", secrets=[TOKEN], sleep=waits.append)
    connector = XConnector(Account("x", "8379212"), Credentials("x_default", TOKEN, base_url=server.base_url),
                           http, today=dt.date(2026, 11, 20))  # fmt: skip
    with pytest.raises(
        UsageCapError, match=r"Monthly usage cap of product 'standard-basic'.*39999 of 40000.*next billing month"
    ):
        connector.user()
    assert len(calls) == 1 and waits == []


def test_x_depleted_credits_fail_at_once_and_say_what_to_buy() -> None:
    """Given a 402 CreditsDepleted, then it is a usage stop (not a rate limit) that says to buy credits."""
    case = fixture("x/errors.json")["credits_402"]
    verdict = XErrorPolicy().classify(answer(case["status"], case["body"]))
    assert verdict.code == "credits-depleted"
    assert "Buy credits" in verdict.message and "not a rate limit" in verdict.message


def test_auth_errors_stay_auth_errors() -> None:
    """A usage stop is not mistaken for an expired token, nor the other way round."""
    assert not issubclass(UsageCapError, AuthError) and not issubclass(UsageCapError, ApiError)
