"""Bad input from the networks and the config: a character that cannot be stored, a post deleted during
the run, odd account ids, ids in request paths, comments dated in the future, 4xx answers no retry can fix.
Each fault is made by a transport of tests/test_faults.py or the fake API servers; each test asserts what
a user sees."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors import registry
from connectors.base import Account, ConnectorDefaults, Credentials, Window
from connectors.errors import ApiError, ConnectorError, MalformedResponseError, PermanentError, RequestRejectedError
from connectors.facebook import FacebookErrorPolicy
from connectors.http import ErrorPolicy, HttpClient
from connectors.linkedin import LinkedInErrorPolicy
from connectors.sdk import path_part
from connectors.testing import FakeServer
from connectors.testing.sandbox.x import XSandbox
from connectors.x import XErrorPolicy
from socialmetrics.config import ConfigError, load_config
from socialmetrics.land.storable import Replaced, storable
from tests.conftest import REPO, TODAY, Harness
from tests.test_faults import Rewrite, query, use_faults, x_faults
from tests.test_sdk import Items, ItemsConnector
from tests.test_x import DAY, USER, XRun

LONE = "\ud83d"  # half of a surrogate pair: JSON "\ud83d" alone decodes to it, UTF-8 cannot encode it


@pytest.fixture
def x_run(tmp_path: Any) -> Any:
    with FakeServer(XSandbox(today=TODAY)) as server:
        yield XRun(tmp_path, server)


# -- 1. text that cannot be stored as UTF-8 is made valid before landing --------------------------------


def test_a_lone_surrogate_in_a_facebook_comment_lands_as_replacement_character(harness: Harness) -> None:
    """Given a posts answer whose first comment ends in a lone surrogate (JSON "\\ud83d"), when the night runs,
    then the account loads, the comment is stored with U+FFFD and a warning names the count and the comment."""
    seen: dict[str, str] = {}

    def broken(real: bytes) -> bytes:
        body = json.loads(real)
        post = next(p for p in body["data"] if (p.get("comments") or {}).get("data"))
        comment = post["comments"]["data"][0]
        comment["message"] += LONE
        seen["comment"] = comment["id"]
        return json.dumps(body).encode()  # ensure_ascii: the lone surrogate travels as the escape \ud83d

    use_faults(harness, [Rewrite("/published_posts", broken, times=1)])
    harness.run(dt.date(2026, 11, 19), run_id="lone")
    text = query(harness.warehouse, "SELECT text FROM core.comment WHERE comment_id = ?", [seen["comment"]])
    assert len(text) == 1 and text[0][0].endswith("\ufffd")
    warnings = query(
        harness.warehouse, "SELECT stream, code, message FROM meta.connector_warnings WHERE run_id = ?", ["lone"]
    )
    assert warnings == [
        (
            "posts",
            "text-replaced",
            f"facebook/104857600000001 posts: 1 character that cannot be stored as UTF-8 text (a lone UTF-16 "
            f"surrogate or a control character) was replaced by U+FFFD (record ids: {seen['comment']}); everything "
            f"else landed as answered.",
        )
    ]


def test_a_lone_surrogate_in_an_x_post_and_a_reply_lands_as_replacement_character(x_run: XRun) -> None:
    """Given an X timeline whose first post text and a reply whose text hold a lone surrogate and a NUL, when
    the night runs, then both land with U+FFFD and each stream warns with its count and id."""
    seen: dict[str, str] = {}

    def post_broken(real: bytes) -> bytes:
        body = json.loads(real)
        body["data"][0]["text"] = LONE + body["data"][0]["text"]
        seen["post"] = body["data"][0]["id"]
        return json.dumps(body).encode()

    def reply_broken(real: bytes) -> bytes:
        body = json.loads(real)
        body["data"][0]["text"] += "\x00"
        seen["reply"] = body["data"][0]["id"]
        return json.dumps(body).encode()

    x_faults(x_run, [Rewrite("/tweets", post_broken, times=1), Rewrite("/search/recent", reply_broken, times=1)])
    x_run.run(DAY)
    post = x_run.query("SELECT text FROM core.post WHERE post_id = ?", [seen["post"]])
    assert post[0][0].startswith("\ufffd")
    reply = x_run.query("SELECT text FROM core.comment WHERE comment_id = ?", [seen["reply"]])
    assert reply[0][0].endswith("\ufffd")
    warnings = x_run.query(
        "SELECT stream, message FROM meta.connector_warnings WHERE code = ? ORDER BY 1", ["text-replaced"]
    )
    said = "1 character that cannot be stored as UTF-8 text (a lone UTF-16 surrogate or a control character) was "
    # post_snapshots lands the timeline's pages again (no extra read), so it says the same of the same post
    assert warnings == [
        ("post_snapshots", f"x/{USER} post_snapshots: {said}replaced by U+FFFD (record ids: {seen['post']}); "
                           "everything else landed as answered."),
        ("posts", f"x/{USER} posts: {said}replaced by U+FFFD (record ids: {seen['post']}); everything else landed "
                  "as answered."),
        ("replies", f"x/{USER} replies: {said}replaced by U+FFFD (record ids: {seen['reply']}); everything else "
                    "landed as answered."),
    ]  # fmt: skip


def test_storable_replaces_nul_and_controls_but_keeps_tabs_and_line_breaks() -> None:
    """Tab, line feed and carriage return are text; NUL, ESC and lone surrogates are not."""
    replaced = Replaced()
    body = {"data": [{"id": "7", "message": "a\tb\nc\r\nd\x00e\x1b", "from": {"name": "x" + LONE}}], "n": 3}
    fixed = storable(body, replaced, "page 1")
    assert fixed == {"data": [{"id": "7", "message": "a\tb\nc\r\nd\ufffde\ufffd", "from": {"name": "x\ufffd"}}], "n": 3}
    assert (replaced.count, replaced.where) == (3, ["7"])
    assert json.dumps(fixed, ensure_ascii=False).encode("utf-8")  # storable: encodes without an error


# -- 6. a 4xx that no retry can fix is a PermanentError, attempted once ----------------------------------


class Answering(HTTPAdapter):
    """A transport that answers every request with one status and JSON body, counting what was sent."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__()
        self.status, self.body, self.sent = status, body, 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent += 1
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.body).encode()  # noqa: SLF001 (a transport builds its Response)
        response._content_consumed = True  # type: ignore[attr-defined] # noqa: SLF001
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = request.url or "", request
        return response


LINKEDIN_ERRORS = json.loads((REPO / "tests" / "fixtures" / "recorded" / "linkedin" / "errors.json").read_text())
X_BAD_REQUEST = {
    "errors": [{"parameters": {"max_results": ["500"]},
                "message": "The `max_results` query parameter value [500] is not between 5 and 100"}],
    "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}  # fmt: skip
FB_DELETED = {"error": {
    "message": "Unsupported get request. Object with ID '1_2' does not exist, cannot be loaded due to missing "
               "permissions, or does not support this operation.",
    "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "Ab",
}}  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "status", "body", "said"),
    [
        (LinkedInErrorPolicy("202401"), 426, LINKEDIN_ERRORS["version_426"], "LinkedIn answered 426: API version "
                                                                            "202401 is retired or unknown"),
        (LinkedInErrorPolicy("202511"), 403, LINKEDIN_ERRORS["unpermitted_403"], "LinkedIn answered 403 "
                                                                                "(serviceErrorCode 100: Unpermitted"),
        (XErrorPolicy(), 400, X_BAD_REQUEST, "X answered 400: Invalid Request; One or more parameters"),
        (FacebookErrorPolicy(), 400, FB_DELETED, "Facebook error 100/33 (GraphMethodException): Unsupported get"),
        (ErrorPolicy(), 404, {"message": "Not Found"}, "api answered 404: {\"message\": \"Not Found\"}"),
    ],
    ids=["linkedin-426-retired-version", "linkedin-403-unpermitted-fields", "x-400-bad-request",
         "facebook-100-33-deleted-object", "plugin-404-not-found"],
)  # fmt: skip
def test_a_4xx_no_retry_can_fix_is_permanent_and_sent_once(
    policy: ErrorPolicy, status: int, body: Any, said: str
) -> None:
    """Given an API that answers a request it will never accept, when it is read, then the error is a
    RequestRejectedError (a PermanentError: the DAG fails the task without Airflow's retries), after one request."""
    transport = Answering(status, body)
    session = requests.Session()
    session.mount("http://", transport)
    sleeps: list[float] = []
    http = HttpClient(policy, conn_id="c_default", session=session, sleep=sleeps.append)
    with pytest.raises(ConnectorError) as err:
        http.get_json("http://api.test/v1/thing")
    assert type(err.value) is RequestRejectedError and isinstance(err.value, PermanentError)
    assert str(err.value).startswith(said)
    assert (transport.sent, http.requests_made, sleeps) == (1, 1, [])


def test_a_408_a_5xx_and_a_graph_error_marked_transient_stay_transient() -> None:
    """A 408 (the server stopped waiting) and a Graph error with "is_transient": true are retried; a 5xx that
    persists stays an error Airflow may retry."""
    marked = {"error": {"message": "Service temporarily unavailable", "type": "OAuthException", "code": 9004,
                        "is_transient": True, "fbtrace_id": "Ab"}}  # fmt: skip
    for policy, status, body in (
        (ErrorPolicy(), 408, {}),
        (ErrorPolicy(), 503, {}),
        (FacebookErrorPolicy(), 400, marked),
    ):
        transport = Answering(status, body)
        session = requests.Session()
        session.mount("http://", transport)
        http = HttpClient(policy, conn_id="c_default", session=session, sleep=lambda s: None, max_attempts=2)
        with pytest.raises(ConnectorError) as err:
            http.get_json("http://api.test/v1/thing")
        assert (type(err.value), transport.sent) == (ApiError, 2)


# -- 2. a post deleted during the run: its further comments are skipped with a warning -------------------


def test_a_post_deleted_while_its_comments_are_paged_is_skipped_with_a_warning(harness: Harness) -> None:
    """Given two posts whose first comment page says more exist, when the comment edge of the first answers
    Graph's 100/33 "does not exist" (deleted during the run), then its further comments are skipped with a
    warning naming the post, the other post's next page is read, and everything else loads."""
    seen: dict[str, str] = {}

    def with_more_comments(real: bytes) -> bytes:
        body = json.loads(real)
        deleted, kept = [p for p in body["data"] if (p.get("comments") or {}).get("data")][:2]
        for post in (deleted, kept):
            query = urlencode({"access_token": harness.token, "limit": 100, "after": "MQ=="})  # base64 "1"
            post["comments"].setdefault("paging", {})["next"] = (
                f"{harness.sandbox.base_url}/v25.0/{post['id']}/comments?{query}"
            )
        seen.update(deleted=deleted["id"], kept=kept["id"])
        return json.dumps(body).encode()

    gone = Rewrite("/comments", json.dumps(FB_DELETED).encode(), status=400, times=1)  # the first post's edge
    use_faults(harness, [Rewrite("/published_posts", with_more_comments, times=1), gone])
    harness.run(dt.date(2026, 11, 19), run_id="deleted")
    warnings = query(harness.warehouse, "SELECT stream, code, message FROM meta.connector_warnings WHERE run_id = ?",
                     ["deleted"])  # fmt: skip
    assert warnings == [
        ("comments", "unknown_object", f"Facebook post {seen['deleted']} no longer exists (deleted during the run?): "
         "Graph answered error 100 'does not exist' for its comments, so those beyond the first 100 were not read; "
         "everything else loaded."),
    ]  # fmt: skip
    pages = sorted(harness.landing.glob("facebook/*/deleted/pages/posts/*.json"))
    parts = [json.loads(p.read_text())["request"] for p in pages]
    assert [(r.get("part"), r["parent"].get("id")) for r in parts if r.get("part")] == [("comments", seen["kept"])]
    assert query(harness.warehouse, "SELECT count(*) FROM marts.reach_daily") == [(29,)]
    assert query(harness.warehouse, "SELECT count(*) FROM core.post WHERE post_id = ?", [seen["deleted"]]) == [(1,)]


# -- 3. account ids are checked per network when the config is read -------------------------------------

FB_HELP = 'a Facebook Page id is a number, e.g. "104857600000001"'
X_HELP = (
    'an X account id is the numeric user id, e.g. "1480000000000000001", or the @username (1-15 letters, digits or _)'
)
LI_HELP = 'a LinkedIn organization id is a number: "80486001" of urn:li:organization:80486001'
XING_HELP = ('a Xing account id is the page\'s name in its address, lowercase letters, digits and -, e.g. '
             '"brauerei-sonnenhang" of xing.com/pages/brauerei-sonnenhang')  # fmt: skip


def config_error(tmp_path: Path, accounts: str) -> str:
    path = tmp_path / "c.yml"
    path.write_text(f"company: T\naccounts:\n{accounts}", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    return str(err.value).removeprefix(f"{path}: invalid config\n")


@pytest.mark.parametrize(
    ("accounts", "said"),
    [
        ("  - {network: facebook, id: '..'}\n",
         f'  accounts[0] (facebook/..): account id ".." is not a valid facebook account id: {FB_HELP}'),
        ("  - {network: facebook, id: '.'}\n",
         f'  accounts[0] (facebook/.): account id "." is not a valid facebook account id: {FB_HELP}'),
        ("  - {network: instagram, id: '../17841400000000001'}\n",
         '  accounts[0] (instagram/../17841400000000001): account id "../17841400000000001" is not a valid instagram '
         'account id: an Instagram professional account id is a number, e.g. "17841400000000001"'),
        ("  - {network: x, id: 'a/b'}\n",
         f'  accounts[0] (x/a/b): account id "a/b" is not a valid x account id: {X_HELP}'),
        ("  - {network: x, id: '42?expansions=pinned_tweet_id'}\n",
         '  accounts[0] (x/42?expansions=pinned_tweet_id): account id "42?expansions=pinned_tweet_id" is not a valid x '
         f"account id: {X_HELP}"),
        ("  - {network: x, id: '@sixteen_chars_xx'}\n",
         f'  accounts[0] (x/@sixteen_chars_xx): account id "@sixteen_chars_xx" is not a valid x account id: {X_HELP}'),
        ("  - {network: linkedin, id: 'urn:li:organization:80486001'}\n",
         '  accounts[0] (linkedin/urn:li:organization:80486001): account id "urn:li:organization:80486001" is not a '
         f"valid linkedin account id: {LI_HELP}"),
        ("  - {network: xing, id: 'Brauerei Sonnenhang', import_dir: i}\n",
         '  accounts[0] (xing/Brauerei Sonnenhang): account id "Brauerei Sonnenhang" is not a valid xing account id: '
         f"{XING_HELP}"),
        ("  - {network: facebook, id: '" + "1" * 300 + "'}\n",
         f'  accounts[0] (facebook/{"1" * 40}…): account id "{"1" * 40}…" has 300 characters, more than 64; {FB_HELP}'),
        ('  - {network: facebook, id: "1\\x002"}\n',
         f'  accounts[0] (facebook/1\\x002): account id "1\\x002" is not a valid facebook account id: {FB_HELP}'),
        ("  - {network: x, id: '@Sonnenhang'}\n  - {network: x, id: sonnenhang}\n",
         "  (top level): accounts x/@Sonnenhang and x/sonnenhang are one account (their ids differ only in case or a "
         "leading @) and would share the landing folder x/sonnenhang: keep one of them"),
        ("  - {network: facebook, id: '1'}\n  - {network: facebook, id: 1}\n",
         "  (top level): account facebook/1 is listed twice"),
    ],
    ids=["dotdot", "dot", "path-in-instagram", "slash", "query-in-x", "x-handle-16", "linkedin-urn", "xing-not-a-slug",
         "300-chars", "nul", "x-case-and-at", "twice"],
)  # fmt: skip
def test_an_account_id_that_would_land_in_a_wrong_or_shared_folder_is_refused(
    tmp_path: Path, accounts: str, said: str
) -> None:
    assert config_error(tmp_path, accounts) == said


def test_a_plugin_network_gets_the_generic_rule_unless_it_declares_a_pattern(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given two plugin networks, one declaring no pattern and one declaring `account_id_pattern`, then the
    first refuses only what would escape its folder, the second what its pattern does not match."""

    class Loose(ConnectorDefaults):
        network = "loose"

    class Strict(ConnectorDefaults):
        network = "strict"
        account_id_pattern = r"[a-z]+"
        account_id_help = "a strict id is lowercase letters"

    monkeypatch.setattr(registry, "available", lambda: {"loose": Loose, "strict": Strict})
    ok = tmp_path / "ok.yml"
    ok.write_text("company: T\naccounts:\n  - {network: loose, id: 'Any thing-1'}\n  - {network: strict, id: abc}\n")
    assert [a.id for a in load_config(ok).accounts] == ["Any thing-1", "abc"]
    assert config_error(tmp_path, "  - {network: loose, id: 'a\\b'}\n") == (
        '  accounts[0] (loose/a\\b): account id "a\\b" is not a valid loose account id: an account id must not '
        "contain / \\ .. or control characters (a plugin's connector may declare its own `account_id_pattern`)"
    )
    assert config_error(tmp_path, "  - {network: strict, id: Abc}\n") == (
        '  accounts[0] (strict/Abc): account id "Abc" is not a valid strict account id: a strict id is lowercase '
        "letters"
    )


def test_the_ids_in_use_stay_valid() -> None:
    """The shipped configs' ids (numeric Facebook, LinkedIn, X and Instagram ids, a Xing slug) load."""
    for name in ("socialmetrics.yml", "socialmetrics.example.yml"):
        ids = [(a.network, a.id) for a in load_config(REPO / "config" / name).accounts]
        assert ("xing", "brauerei-sonnenhang") in ids and ("linkedin", "80486001") in ids


# -- 4. ids from the config or an answer are quoted as path segments -------------------------------------


class OddIds(Items):
    """Items whose ids hold what would change a request: a slash, a query, dots."""

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        parts = path.strip("/").split("/")
        if parts[0] == "i":
            return 200, {}, {"notes": [{"id": f"{parts[1]}-n"}]}
        items = [{"id": "1/../../a/7/items", "day": "2026-11-11"}, {"id": "2?expansions=x", "day": "2026-11-12"}]
        return 200, {}, {"items": items}


def test_an_id_from_an_answer_is_sent_as_one_quoted_path_segment() -> None:
    """Given item ids "1/../../a/7/items" and "2?expansions=x", when their child stream is read, then the fake
    server sees each id as one percent-encoded segment of /i/{id}/notes, and nothing else."""
    app = OddIds()
    with FakeServer(app) as server:
        c = ItemsConnector(Account("items", "7"), Credentials("items_default", app.sandbox_token, server.base_url))
        list(c.fetch(c.streams[1], Window(dt.date(2026, 11, 10), dt.date(2026, 11, 20))))
    assert [path for path, _ in app.requests] == [
        "/a/7/items", "/i/1%2F..%2F..%2Fa%2F7%2Fitems/notes", "/i/2%3Fexpansions%3Dx/notes",
    ]  # fmt: skip
    assert [query for _, query in app.requests][1:] == [{}, {}]


def test_an_id_that_names_a_directory_is_not_requested() -> None:
    """requests turns %2E back into ".", so an id ".." from an answer would climb a directory: refused."""
    with pytest.raises(MalformedResponseError, match=r"the id '\.\.' cannot be sent as a path segment"):
        path_part("..")
    assert path_part("1_2") == "1_2" and path_part("@a b") == "%40a%20b"


# -- 5. a comment dated in the future is dated to when it was first read ---------------------------------


def test_a_comment_dated_in_the_future_makes_no_future_week_and_is_named(harness: Harness) -> None:
    """Given a comment Facebook dates 2027-03-01, on two nights, then it is left out of core.comment (raw keeps
    it as answered), no 2027 week appears in marts.comment_sentiment or marts.account_weekly, every other comment
    loads, and each extract's warning names the comment, its post and the date."""
    seen: dict[str, str] = {}

    def future(real: bytes) -> bytes:
        body = json.loads(real)
        post = next(p for p in body["data"] if (p.get("comments") or {}).get("data"))
        post["comments"]["data"][0]["created_time"] = "2027-03-01T10:00:00+0000"
        seen.update(post=post["id"], comment=post["comments"]["data"][0]["id"])
        return json.dumps(body).encode()

    use_faults(harness, [Rewrite("/published_posts", future, times=2)])
    harness.run(dt.date(2026, 11, 19), run_id="first")
    harness.run(dt.date(2026, 11, 19), run_id="again")
    raw = query(harness.warehouse, "SELECT count(*), max(created_at) FROM raw.comments")
    core = query(harness.warehouse, "SELECT count(*), max(created_at) FROM core.comment")
    assert raw[0][1].year == 2027 and core[0][1].year == 2026 and core[0][0] == raw[0][0] - 1
    assert query(harness.warehouse, "SELECT count(*) FROM core.comment WHERE comment_id = ?", [seen["comment"]]) == [
        (0,)
    ]
    for mart in ("marts.comment_sentiment", "marts.account_weekly"):
        assert query(harness.warehouse, f"SELECT count(*) FROM {mart} WHERE week_start >= DATE '2027-01-01'") == [(0,)]
    warnings = query(harness.warehouse, "SELECT run_id, stream, code, message FROM meta.connector_warnings "
                     "WHERE code = 'future-date' ORDER BY run_id")  # fmt: skip
    assert [w[:3] for w in warnings] == [("again", "posts", "future-date"), ("first", "posts", "future-date")]
    message = warnings[1][3]
    assert message.startswith("facebook/104857600000001 posts: 1 comment dated after it was read at ")
    assert message.endswith(
        f" UTC: {seen['comment']} on post {seen['post']} dated 2027-03-01 10:00 UTC. core.comment and the marts "
        "leave it out until that date (raw.comments keeps it as answered); everything else loaded."
    )
