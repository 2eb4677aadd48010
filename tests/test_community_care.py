"""Do we answer the people who talk to us? (issue #30) Whole comment threads on every API network, run through
connector -> landing -> load -> transform against loopback fakes with known timestamps, and the service level
and open questions a user reads (marts.community_care_weekly, marts.open_questions).

One thread plan for every network, on a post published Friday 2026-11-13 08:00 UTC (weeks are Monday-based in
Europe/Berlin; the window is 2026-11-13 .. 2026-11-20, the data's last day 2026-11-19):
- C1 question Mon 16 10:00; the account replied 09:30 (before it: does not count), another user 11:00 (does not
  count), the account 13:30 on the NEXT page of replies: answered after 3.5 hours.
- C2 question Mon 16 12:00, answered by the account Wed 18 18:00: 54 hours (late).
- C3 question Tue 17 09:00, only another user replied: still open.
- C4 question Tue 17 10:00, deleted before the second run: gone from every figure.
- C5 question Sun 15 20:00 (the week before), answered Mon 16 10:00, after that week: 14 hours, in its own week.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import Account, Credentials, Window
from connectors.facebook import FacebookConnector
from connectors.instagram import InstagramConnector
from connectors.linkedin import LinkedInConnector
from connectors.testing import FakeServer
from socialmetrics import pipeline
from socialmetrics.land import landing

KEY = b"community-care-author-key-012345"
TOKEN = "care-token-123456"
TODAY = dt.date(2026, 11, 20)
WINDOW = Window(dt.date(2026, 11, 13), TODAY)
UTC = dt.UTC
POSTED = dt.datetime(2026, 11, 13, 8, 0, tzinfo=UTC)
PEOPLE = ("Anna Müller", "Jonas Becker")  # names and ids of people that must never be stored
PERSON_IDS = ("9100000000000001", "9100000000000002")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# (id, parent, author: "account" | 0 | 1 (a person), time, text, page of replies (1 or 2))
THREAD = [
    ("c1", None, 0, at(16, 10), "Wann habt ihr am Sonntag geöffnet?", 1),
    ("c1-early", "c1", "account", at(16, 9, 30), "Schon gesehen?", 1),
    ("c1-other", "c1", 1, at(16, 11), "Bin auch gespannt 🍻", 1),
    ("c1-answer", "c1", "account", at(16, 13, 30), "Sonntags 11 bis 18 Uhr.", 2),
    ("c2", None, 1, at(16, 12), "Gibt es das Festbier auch in Flaschen?", 1),
    ("c2-answer", "c2", "account", at(18, 18), "Ja, ab nächster Woche im Shop.", 1),
    ("c3", None, 0, at(17, 9), "Habt ihr am Feiertag offen?", 1),
    ("c3-other", "c3", 1, at(17, 9, 30), "Bin auch gespannt 🍻", 1),
    ("c4", None, 1, at(17, 10), "Kann man bei euch auch Fässer leihen?", 1),
    ("c5", None, 0, at(15, 20), "Habt ihr am Feiertag offen?", 1),
    ("c5-answer", "c5", "account", at(16, 10), "Ja, 11 bis 18 Uhr.", 1),
]
EXPECTED_WEEKS = [
    # week_start, needing_answer, answered, answered_within_24h, still_open, answer_rate, median_hours_to_answer
    (dt.date(2026, 11, 9), 1, 1, 1, 0, 1.0, 14.0),
    (dt.date(2026, 11, 16), 3, 2, 1, 1, 0.6667, 28.75),  # 2 of 3; median of 3.5 and 54 hours
]
# C3 waited from Tue 17 09:00 UTC to the end of the data's last day (Thu 19, midnight Berlin = 23:00 UTC)
EXPECTED_OPEN = [("c3", "Habt ihr am Feiertag offen?", "question", 62.0)]


def thread(deleted: bool) -> list[tuple[Any, ...]]:
    return [t for t in THREAD if not (deleted and t[0] == "c4")]


class Loopback:
    def __init__(self, route: Callable[[str, dict[str, str]], Any]) -> None:
        self.route = route
        self.base_url = "http://127.0.0.1"

    def handle(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        body = self.route(path, query)
        return (200, {}, body) if body is not None else (404, {}, {"error": {"code": 100, "message": "not found"}})


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[str, dict[str, str]], Any]], FakeServer]]:
    servers: list[FakeServer] = []

    def start(route: Callable[[str, dict[str, str]], Any]) -> FakeServer:
        server = FakeServer(Loopback(route)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run(connector: Any, streams: list[str], tmp_path: Path, run_id: str) -> duckdb.DuckDBPyConnection:
    """Land, load and transform one run; the open warehouse (read-only)."""
    landing_root, warehouse_path = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    by_name = {s.name: s for s in connector.streams}
    landing.land(connector, {by_name[n].name: WINDOW for n in streams}, root=landing_root, run_id=run_id,
                 secrets=[TOKEN])  # fmt: skip
    windows = pipeline.load(run_id, warehouse_path=warehouse_path, landing_root=landing_root)
    pipeline.run_transform(run_id, windows, warehouse_path=warehouse_path, landing_root=landing_root, today=TODAY)
    return duckdb.connect(str(warehouse_path), read_only=True)


def care(con: duckdb.DuckDBPyConnection, network: str) -> list[tuple[Any, ...]]:
    rows = con.execute(
        "SELECT week_start, needing_answer, answered, answered_within_24h, still_open, answer_rate, "
        "median_hours_to_answer FROM marts.community_care_weekly WHERE network = ? ORDER BY week_start",
        [network],
    ).fetchall()
    return [(*r[:5], round(r[5], 4), round(r[6], 4) if r[6] is not None else None) for r in rows]


def open_list(con: duckdb.DuckDBPyConnection, network: str, ids: dict[str, str]) -> list[tuple[Any, ...]]:
    rows = con.execute(
        "SELECT comment_id, text, answer_reason, hours_waited FROM marts.open_questions WHERE network = ? "
        "ORDER BY created_at",
        [network],
    ).fetchall()
    back = {v: k for k, v in ids.items()}
    return [(back.get(r[0], r[0]), r[1], r[2], round(r[3], 4)) for r in rows]


def check_run(con: duckdb.DuckDBPyConnection, network: str, ids: dict[str, str], *, deleted: bool) -> None:
    weeks = care(con, network)
    if deleted:
        assert weeks == EXPECTED_WEEKS
    else:  # C4 still there: one more open question that week
        assert weeks == [EXPECTED_WEEKS[0], (dt.date(2026, 11, 16), 4, 2, 1, 2, 0.5, 28.75)]
    assert care(con, "all") == weeks  # one network: the company's rows are its rows
    expected_open = EXPECTED_OPEN if deleted else [*EXPECTED_OPEN, ("c4", "Kann man bei euch auch Fässer leihen?",
                                                                     "question", 61.0)]  # fmt: skip
    assert open_list(con, network, ids) == expected_open
    by_account = dict(con.execute(
        "SELECT comment_id, by_account FROM core.comment WHERE network = ?", [network]).fetchall())  # fmt: skip
    assert {k for k, v in by_account.items() if v} == {ids[t[0]] for t in thread(deleted) if t[2] == "account"}
    assert {k: v for k, v in by_account.items() if v is None} == {}


def stored(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> str:
    """Everything landed and every text column of the warehouse."""
    chunks = [p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "landing").rglob("*.json")]
    for schema, table, column in con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    ).fetchall():
        chunks += [str(r[0]) for r in con.execute(
            f'SELECT "{column}" FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL').fetchall()]  # fmt: skip
    return "\n".join(chunks)


def assert_no_person_stored(tmp_path: Path, con: duckdb.DuckDBPyConnection, extra: tuple[str, ...] = ()) -> None:
    text = stored(tmp_path, con)
    for secret in (*PEOPLE, *PERSON_IDS, *extra):
        assert secret not in text


def landed_comment_keys(tmp_path: Path) -> set[str]:
    """The keys of every comment payload in raw.comments (what lands about a comment)."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        payloads = [json.loads(r[0]) for r in con.execute("SELECT payload FROM raw.comments").fetchall()]
    finally:
        con.close()
    return {k for p in payloads for k in p}


# -- Facebook: filter=stream lists comments and replies (with parent) in one list, paged -------------------------

FB_PAGE = "177057932317550"  # the Page of the recorded feed (comments_with_page_replies.json)
FB_POST = f"{FB_PAGE}_780602168629787"


def fb_comment(t: tuple[Any, ...]) -> dict[str, Any]:
    cid, parent, author, when, text, _ = t
    who = {"name": "Brauerei", "id": FB_PAGE} if author == "account" else {"name": PEOPLE[author],
                                                                          "id": PERSON_IDS[author]}  # fmt: skip
    comment: dict[str, Any] = {
        "id": f"780602168629787_{cid}", "created_time": when.strftime("%Y-%m-%dT%H:%M:%S+0000"), "message": text,
        "from": who, "likes": {"data": [{"name": PEOPLE[0], "id": PERSON_IDS[0]}]},
        "message_tags": [], "can_remove": True,
    }  # fmt: skip
    if parent:
        comment["parent"] = {"id": f"780602168629787_{parent}", "from": {"name": PEOPLE[1], "id": PERSON_IDS[1]}}
    return comment


def facebook_route(state: dict[str, bool], base: list[str]) -> Callable[[str, dict[str, str]], Any]:
    def route(path: str, query: dict[str, str]) -> Any:
        listed = sorted(thread(state["deleted"]), key=lambda t: t[3])
        first = [fb_comment(t) for t in listed if t[5] == 1]
        second = [fb_comment(t) for t in listed if t[5] == 2]
        if path.endswith("/published_posts"):
            assert ".filter(stream)" in query["fields"]  # replies are asked for
            nxt = f"{base[0]}/v25.0/{FB_POST}/comments?filter=stream&after=p2&access_token={TOKEN}"
            return {"data": [{
                "id": FB_POST, "created_time": POSTED.strftime("%Y-%m-%dT%H:%M:%S+0000"), "message": "K1hIE",
                "permalink_url": "https://www.facebook.com/177057932317550/posts/780602168629787",
                "comments": {"data": first, "paging": {"cursors": {"after": "p2"}, "next": nxt},
                             "summary": {"total_count": len(listed)}},
            }]}  # fmt: skip
        if path == f"/v25.0/{FB_POST}/comments" and query.get("after") == "p2":
            assert query.get("filter") == "stream"
            return {"data": second, "paging": {"cursors": {"before": "p2"}}}
        return None

    return route


def test_facebook_threads_give_exact_answer_times_rates_and_open_questions(serve: Any, tmp_path: Path) -> None:
    """Given a Page's comments and replies (filter=stream, a reply on the next page, the Page's `from.id`), when two
    runs load them (C4 deleted before the second), then the service level and the open list are exactly the plan's,
    only the Page's replies are by_account, and no commenter's name or id is stored."""
    state, base = {"deleted": False}, [""]
    server = serve(facebook_route(state, base))
    base[0] = server.base_url
    ids = {t[0]: f"780602168629787_{t[0]}" for t in THREAD}

    def connector() -> FacebookConnector:
        return FacebookConnector(Account("facebook", FB_PAGE), Credentials("care", TOKEN, server.base_url),
                                 today=TODAY, author_key=KEY)  # fmt: skip

    con = run(connector(), ["posts"], tmp_path, "r1")
    check_run(con, "facebook", ids, deleted=False)
    con.close()
    state["deleted"] = True
    con = run(connector(), ["posts"], tmp_path, "r2")
    check_run(con, "facebook", ids, deleted=True)
    assert con.execute("SELECT permalink FROM marts.open_questions").fetchall() == [
        ("https://www.facebook.com/177057932317550/posts/780602168629787",)
    ]
    assert_no_person_stored(tmp_path, con)
    con.close()
    assert landed_comment_keys(tmp_path) <= {"id", "created_time", "message", "parent", "author_hash", "by_account"}


# -- Instagram: replies inline on each comment (replies{...}), the rest on the replies' next page ----------------

IG_USER = "17841400000000001"
IG_MEDIA = "17918195224117851"


def ig_comment(t: tuple[Any, ...]) -> dict[str, Any]:
    cid, parent, author, when, text, _ = t
    user = (IG_USER, "brauerei.sonnenhang") if author == "account" else (PERSON_IDS[author], f"user_{author}_x")
    comment = {"id": f"178{cid}", "text": text,
               "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S+0000"), "username": user[1],
               "from": {"id": user[0], "username": user[1]}, "like_count": 0, "hidden": False}  # fmt: skip
    if parent:
        comment["parent_id"] = f"178{parent}"
    return comment


def instagram_route(state: dict[str, bool], base: list[str]) -> Callable[[str, dict[str, str]], Any]:
    def route(path: str, query: dict[str, str]) -> Any:
        listed = thread(state["deleted"])
        if path == f"/v25.0/{IG_USER}/media":
            return {"data": [{
                "id": IG_MEDIA, "caption": "Prost", "media_type": "IMAGE", "media_product_type": "FEED",
                "permalink": "https://www.instagram.com/p/CARE1/",
                "timestamp": POSTED.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "like_count": 3, "comments_count": len(listed),
            }]}  # fmt: skip
        if path == f"/v25.0/{IG_MEDIA}/insights":
            return {"data": []}
        if path == f"/v25.0/{IG_MEDIA}/comments":
            assert "replies{" in query["fields"]
            out = []
            for t in (t for t in listed if t[1] is None):
                replies = [ig_comment(r) for r in listed if r[1] == t[0] and r[5] == 1]
                inline: dict[str, Any] = {"data": replies}
                if any(r[1] == t[0] and r[5] == 2 for r in listed):
                    inline["paging"] = {
                        "cursors": {"after": "r2"},
                        "next": f"{base[0]}/v25.0/178{t[0]}/replies?after=r2&access_token={TOKEN}",
                    }
                out.append({**ig_comment(t), "replies": inline})
            return {"data": out}
        if path.endswith("/replies") and query.get("after") == "r2":
            parent = path.split("/")[-2].removeprefix("178")
            return {"data": [ig_comment(r) for r in listed if r[1] == parent and r[5] == 2]}
        return None

    return route


def test_instagram_threads_give_exact_answer_times_rates_and_open_questions(serve: Any, tmp_path: Path) -> None:
    """Given comments with their replies inline and a reply on the replies' next page (from.id the account's own
    for its answers), when two runs load them, then the figures are exactly the plan's and no commenter is stored."""
    state, base = {"deleted": False}, [""]
    server = serve(instagram_route(state, base))
    base[0] = server.base_url
    ids = {t[0]: f"178{t[0]}" for t in THREAD}

    def connector() -> InstagramConnector:
        return InstagramConnector(Account("instagram", IG_USER), Credentials("care", TOKEN, server.base_url),
                                  today=TODAY, author_key=KEY)  # fmt: skip

    con = run(connector(), ["media", "comments"], tmp_path, "r1")
    check_run(con, "instagram", ids, deleted=False)
    con.close()
    state["deleted"] = True
    con = run(connector(), ["media", "comments"], tmp_path, "r2")
    check_run(con, "instagram", ids, deleted=True)
    assert_no_person_stored(tmp_path, con, ("user_0_x", "user_1_x"))
    con.close()
    assert landed_comment_keys(tmp_path) <= {"id", "text", "timestamp", "parent_id", "like_count", "author_hash",
                                             "by_account"}  # fmt: skip


# -- LinkedIn: a comment's replies from socialActions/{comment urn}/comments, actor the organization --------------

LI_ORG = "80486001"
LI_POST = "urn:li:share:7100000000000"


def li_urn(cid: str) -> str:
    return f"urn:li:comment:({LI_POST},{cid})"


def li_comment(t: tuple[Any, ...], listed: list[tuple[Any, ...]]) -> dict[str, Any]:
    cid, parent, author, when, text, _ = t
    actor = f"urn:li:organization:{LI_ORG}" if author == "account" else f"urn:li:person:{PERSON_IDS[author]}"
    ms = int(when.timestamp() * 1000)
    comment: dict[str, Any] = {
        "id": cid, "$URN": li_urn(cid), "commentUrn": li_urn(cid), "actor": actor, "agent": actor,
        "object": "urn:li:activity:6479385795177259008",
        "created": {"time": ms, "actor": actor, "impersonator": actor}, "lastModified": {"time": ms, "actor": actor},
        "message": {"text": text, "attributes": []},
    }  # fmt: skip
    if parent:
        comment["parentComment"] = li_urn(parent)
    else:
        replies = sum(1 for r in listed if r[1] == cid)
        comment["commentsSummary"] = {"totalFirstLevelComments": replies, "aggregatedTotalComments": replies}
    return comment


def linkedin_route(state: dict[str, bool]) -> Callable[[str, dict[str, str]], Any]:
    filler = [("f" + str(i), None, 1, at(16, 10, 40), "👍", 1) for i in range(100)]

    def route(path: str, query: dict[str, str]) -> Any:
        listed = thread(state["deleted"])
        if path == "/rest/posts":
            ms = int(POSTED.timestamp() * 1000)
            return {"elements": [{"id": LI_POST, "author": f"urn:li:organization:{LI_ORG}", "commentary": "Neu",
                                  "createdAt": ms, "publishedAt": ms, "lifecycleState": "PUBLISHED"}],
                    "paging": {"start": 0, "count": 50}}  # fmt: skip
        if path == "/rest/organizationalEntityShareStatistics":
            return {"elements": []}
        if path == f"/rest/socialActions/{LI_POST.replace(':', '%3A')}/comments":
            return {"elements": [li_comment(t, listed) for t in listed if t[1] is None], "paging": {"start": 0}}
        if path.startswith("/rest/socialActions/urn%3Ali%3Acomment") and path.endswith("/comments"):
            cid = path.rsplit("%2C", 1)[1].split("%29")[0]
            replies = [t for t in listed if t[1] == cid]
            if cid == "c1":  # 100 replies of others fill the first page: the answer is on the second
                first = [t for t in replies if t[5] == 1] + [(f[0], "c1", *f[2:]) for f in filler]
                replies = first[:100] if query.get("start", "0") == "0" else [t for t in replies if t[5] == 2]
            return {"elements": [li_comment(t, listed) for t in replies], "paging": {"start": int(query["start"])}}
        return None

    return route


def test_linkedin_threads_give_exact_answer_times_rates_and_open_questions(serve: Any, tmp_path: Path) -> None:
    """Given first-level comments with commentsSummary and their replies (actor the organization for its answers,
    the answer to C1 on the second page of 100), when two runs load them, then the figures are the plan's."""
    state: dict[str, bool] = {"deleted": False}
    server = serve(linkedin_route(state))
    ids = {t[0]: li_urn(t[0]) for t in THREAD}

    def connector() -> LinkedInConnector:
        return LinkedInConnector(Account("linkedin", LI_ORG), Credentials("care", TOKEN, server.base_url),
                                 today=TODAY, author_key=KEY)  # fmt: skip

    con = run(connector(), ["posts"], tmp_path, "r1")
    check_run(con, "linkedin", ids, deleted=False)
    con.close()
    state["deleted"] = True
    con = run(connector(), ["posts"], tmp_path, "r2")
    check_run(con, "linkedin", ids, deleted=True)
    assert_no_person_stored(tmp_path, con)
    con.close()


# -- X: replies in the post's conversation (recent search, next_token pages), author_id the account's own --------

X_USER = "1480000000000000001"
X_POST = "1860000000000000100"
X_POSTED = dt.datetime(2026, 11, 14, 8, 0, tzinfo=UTC)  # recent search reaches 6 days back: a post of the 14th


def x_id(cid: str) -> str:
    return str(1_870_000_000_000_000_000 + sum((i + 1) * ord(ch) for i, ch in enumerate(cid)))


def x_reply(t: tuple[Any, ...]) -> dict[str, Any]:
    cid, parent, author, when, text, _ = t
    author_id = X_USER if author == "account" else PERSON_IDS[author]
    return {"id": x_id(cid), "text": text, "author_id": author_id, "conversation_id": X_POST, "lang": "de",
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "edit_history_tweet_ids": [x_id(cid)],
            "in_reply_to_user_id": X_USER if parent is None else PERSON_IDS[0],
            "referenced_tweets": [{"type": "replied_to", "id": x_id(parent) if parent else X_POST}],
            "entities": {"mentions": [{"start": 0, "end": 5, "username": "user_0_x", "id": PERSON_IDS[0]}]},
            }  # fmt: skip


def x_route(state: dict[str, bool]) -> Callable[[str, dict[str, str]], Any]:
    def route(path: str, query: dict[str, str]) -> Any:
        listed = thread(state["deleted"])
        if path == f"/2/users/{X_USER}":
            return {"data": {"id": X_USER, "username": "sonnenhang_bier", "created_at": "2019-03-14T09:00:00.000Z",
                             "public_metrics": {"followers_count": 800, "following_count": 10,
                                                "tweet_count": 50}}}  # fmt: skip
        if path == f"/2/users/{X_USER}/tweets":
            return {"data": [{"id": X_POST, "text": "Prost", "created_at": X_POSTED.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                              "conversation_id": X_POST, "edit_history_tweet_ids": [X_POST],
                              "public_metrics": {"impression_count": 100, "like_count": 3, "reply_count": len(listed),
                                                 "retweet_count": 0, "quote_count": 0, "bookmark_count": 0}}],
                    "meta": {"result_count": 1}}  # fmt: skip
        if path == "/2/tweets/search/recent":
            assert f"conversation_id:{X_POST}" in query["query"]
            page = 2 if query.get("next_token") == "p2" else 1
            data = [x_reply(t) for t in sorted(listed, key=lambda t: t[3], reverse=True) if t[5] == page]
            meta: dict[str, Any] = {"result_count": len(data)}
            if page == 1:
                meta["next_token"] = "p2"
            return {"data": data, "meta": meta, "includes": {"users": [{"id": PERSON_IDS[0], "name": PEOPLE[0]}]}}
        return None

    return route


def test_x_threads_give_exact_answer_times_rates_and_open_questions(serve: Any, tmp_path: Path) -> None:
    """Given the replies in a post's conversation (nested: replies to replies; the account's own by its user id;
    the answer to C1 on the search's next page), when two runs load them, then the figures are the plan's."""
    from connectors.x import XConnector

    state: dict[str, bool] = {"deleted": False}
    server = serve(x_route(state))
    ids = {t[0]: x_id(t[0]) for t in THREAD}

    def connector() -> XConnector:
        account = Account("x", X_USER, options={"read_budget": 1000})
        return XConnector(account, Credentials("care", TOKEN, server.base_url), today=TODAY, author_key=KEY)

    streams = ["account", "posts", "replies"]
    con = run(connector(), streams, tmp_path, "r1")
    check_run(con, "x", ids, deleted=False)
    con.close()
    state["deleted"] = True
    con = run(connector(), streams, tmp_path, "r2")
    check_run(con, "x", ids, deleted=True)
    assert_no_person_stored(tmp_path, con, ("user_0_x",))
    con.close()
    assert landed_comment_keys(tmp_path) <= {"id", "text", "created_at", "conversation_id", "lang",
                                             "referenced_tweets", "author_hash", "by_account"}  # fmt: skip


# -- the weekly report's block and the summary line: the marts' figures ------------------------------------------

from tests.test_report import WEEK, Built, built, html_de, report_de  # noqa: E402, F401  (module fixtures)


def test_the_reports_care_block_shows_the_marts_figures(built: Built, html_de: str) -> None:  # noqa: F811
    """The sandbox's report of week 46: the heading counts the open questions waiting over 24 hours, each is
    listed with a link to its post, and the answer rate and median are the company's rows of this and last week."""
    import re

    from socialmetrics.serve.report import i18n

    block = html_de.split('<div class="care" id="care">', 1)[1].split("</div>", 1)[0]
    waiting = built.query(
        "SELECT network, permalink, hours_waited FROM marts.open_questions WHERE hours_waited > 24 "
        "ORDER BY hours_waited DESC, network, comment_id"
    )
    assert len(waiting) >= 2  # the sandbox leaves some questions unanswered
    heading = re.search(r"<h3>(.*?)</h3>", block)
    assert heading is not None
    words = "Fragen warten" if "Beschwerde" not in block else "Fragen und Beschwerden warten"
    assert heading.group(1) == f"{len(waiting)} {words} seit über 24 Stunden auf eine Antwort"
    items = re.findall(r"<li>(.*?)</li>", block, re.S)
    assert len(items) == min(len(waiting), 10)
    for (network, permalink, hours), item in zip(waiting, items, strict=False):
        assert f'<a href="{permalink}">{i18n.network_name(network)}</a>' in item
        assert f"{i18n.number(hours, 'de', 1)}{NBSP_H}" in item.replace(" Std.", f"{NBSP_H}")
    rows = {
        r[0]: r[1:]
        for r in built.query(
            "SELECT week_start, answer_rate, answered, needing_answer, median_hours_to_answer "
            "FROM marts.community_care_weekly WHERE network = 'all' AND week_start IN (?, ?)",
            [WEEK.start, WEEK.shift(-1).start],
        )
    }
    rate, answered, needing, median = rows[WEEK.start]
    before_rate, _, _, before_median = rows[WEEK.shift(-1).start]
    assert needing > 0 and 0 < answered < needing  # a realistic service level: some answered, some not
    assert (
        f"Antwortquote diese Woche: {i18n.percent(rate, 'de', 0)} ({answered} von {needing}; "
        f"Vorwoche {i18n.percent(before_rate, 'de', 0)})" in block
    )
    assert (
        f"Median bis zur ersten Antwort: {i18n.number(median, 'de', 1)} Std. "
        f"(Vorwoche {i18n.number(before_median, 'de', 1)} Std.)" in block
    )


NBSP_H = "|h"


def test_the_sandbox_answers_as_company_py_says_and_the_summary_quotes_the_marts(harness: Any) -> None:
    """The demo company's known truth (company.answer_delay): every Facebook question or complaint of the run is
    answered exactly when company.py says (if that time has passed by the fake's today) and otherwise open; the
    summary line is the company's latest row of marts.community_care_weekly and the open list's counts."""
    from connectors.testing.sandbox import company

    harness.run(dt.date(2026, 11, 19))
    rows = harness.query(
        "SELECT comment_id, text, created_at, first_answer_at FROM core.comment WHERE network = 'facebook' "
        "AND needs_answer"
    )
    assert rows and all(text in company.NEEDS_ANSWER_TEXTS for _, text, _, _ in rows)
    until = dt.datetime(2026, 11, 20, tzinfo=UTC)  # the sandbox's today: answers after it do not exist yet
    answered = late = never = 0
    for comment_id, text, created, first in rows:
        delay = company.answer_delay("facebook", comment_id, text)
        expected = created + delay if delay is not None and created + delay < until else None
        assert first == expected, comment_id
        answered += expected is not None and delay <= dt.timedelta(hours=24)
        late += expected is not None and delay > dt.timedelta(hours=24)
        never += delay is None
    assert answered and late and never  # fast, late and never, as the demo promises
    text = pipeline.summary(harness.warehouse)
    start, needing, done, rate, median = harness.query(
        "SELECT week_start, needing_answer, answered, answer_rate, median_hours_to_answer "
        "FROM marts.community_care_weekly WHERE network = 'all' AND week_start = DATE '2026-11-09'"
    )[0]  # the latest whole week of the data (it ends on 19 Nov: the week of 16 Nov is still running)
    open_n, waiting = harness.query(
        "SELECT count(*), count(*) FILTER (WHERE hours_waited > 24) FROM marts.open_questions"
    )[0]
    assert (
        f"Answers (week of {start}): {done} of {needing} comments needing one answered ({rate:.0%}), "
        f"median {'-' if median is None else f'{median:.1f} h'} to the first answer (calendar hours); "
        f"{open_n} open, {waiting} waiting over 24 h"
    ) in text


def test_replies_are_exported_and_erased_like_comments_and_no_later_run_brings_them_back(
    serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the Instagram thread (replies landed inside their comment), when person 1 (a question and two replies)
    is exported and erased, then the export lists all three, none is left in raw, core or any landing file, the
    account's answer to the erased question stays without its pointer to it, and a later run changes nothing."""
    from socialmetrics import erasure
    from tests.conftest import AUTHOR_KEY

    key = AUTHOR_KEY.encode()
    warehouse_path, landing_root = tmp_path / "warehouse.duckdb", tmp_path / "landing"
    monkeypatch.setenv("SOCIALMETRICS_WAREHOUSE", str(warehouse_path))
    state, base = {"deleted": True}, [""]
    server = serve(instagram_route(state, base))
    base[0] = server.base_url

    def connector() -> InstagramConnector:
        return InstagramConnector(Account("instagram", IG_USER), Credentials("care", TOKEN, server.base_url),
                                  today=TODAY, author_key=key)  # fmt: skip

    run(connector(), ["media", "comments"], tmp_path, "r1").close()
    who = erasure.subject("instagram", [PERSON_IDS[1]], None, key)
    mine = sorted(f"178{t[0]}" for t in thread(True) if t[2] == 1)
    assert mine == ["178c1-other", "178c2", "178c3-other"]
    con = duckdb.connect(str(warehouse_path), read_only=True)
    exported = erasure.export(con, landing_root, who)
    con.close()
    assert sorted(c["comment_id"] for c in exported["comments"]) == mine  # the nested replies included
    assert sorted(exported["landing_files"])  # found in the landed pages too
    erasure.erase(who, key, warehouse_path=warehouse_path, landing_root=landing_root, tz="Europe/Berlin",
                  campaigns=[])  # fmt: skip

    def assert_gone(when: str) -> None:
        con = duckdb.connect(str(warehouse_path), read_only=True)
        try:
            for table in ("raw.comments", "core.comment"):
                sql = f"SELECT comment_id FROM {table} WHERE author_hash = ? OR list_contains(?, comment_id)"
                left = con.execute(sql, [who.author_hashes[0], mine]).fetchall()
                assert left == [], (when, table)
            answer = con.execute("SELECT parent_id, by_account FROM core.comment WHERE comment_id = '178c2-answer'")
            assert answer.fetchall() == [(None, True)], when  # the answer stays, without the erased question's id
            raw = con.execute(
                "SELECT parent_id, payload FROM raw.comments WHERE comment_id = '178c2-answer'"
            ).fetchall()
            assert [(p, '"178c2"' in str(payload)) for p, payload in raw] == [(None, False)], when
        finally:
            con.close()
        for path in landing_root.rglob("*"):
            if path.is_file() and path.suffix in (".json", ".parquet"):
                text = path.read_bytes().decode("utf-8", errors="replace")
                assert who.author_hashes[0] not in text, (when, path)
                assert '"178c2"' not in text and '"178c1-other"' not in text, (when, path)

    assert_gone("after the erasure")
    run(connector(), ["media", "comments"], tmp_path, "r2").close()  # the API still answers with them
    assert_gone("after the next run")


# -- the real recorded comment shapes, with extra personal fields: only by_account is new ------------------------


def recorded(name: str) -> dict[str, Any]:
    data = json.loads((Path(__file__).parent / "fixtures" / "recorded" / name).read_text(encoding="utf-8"))
    data.pop("_source", None)
    return data


def test_recorded_comment_shapes_land_by_account_and_nothing_else_about_people() -> None:
    """keboola's Facebook feed (the Page's own comment, from.id = the Page id), an Instagram reply by the SDK author's
    own account, ebx's LinkedIn comment written as the organization and Airbyte's X reply: each lands `by_account`
    true for the account's own and false for a person, and no name, username, person URN or id of a person."""
    from connectors.allowlist import keep
    from connectors.instagram import COMMENT_KEPT, comments_prepare
    from connectors.linkedin import COMMENT_FIELDS as LI_KEPT
    from connectors.x import REPLY_FIELDS, XConnector

    fb = FacebookConnector(Account("facebook", "177057932317550"), Credentials("c", TOKEN), today=TODAY, author_key=KEY)
    feed = recorded("facebook/comments_with_page_replies.json")["nested_feed_comments"]["body"]["data"][0]
    comments = feed["comments"]["data"]
    comments[1]["parent"] = {"id": comments[0]["id"], "from": {"name": "XXNGz", "id": "1072622009419947"}}
    landed = fb.landed_comments(comments)
    assert [c["by_account"] for c in landed] == [True, False]
    assert landed[1]["parent"] == {"id": comments[0]["id"]}
    assert "XXNGz" not in json.dumps(landed) and "1072622009419947" not in json.dumps(landed)
    assert "HP2zy" not in json.dumps(landed) and "MSJld" not in json.dumps(landed)

    ig = InstagramConnector(Account("instagram", "17841400000000001"), Credentials("c", TOKEN), today=TODAY,
                            author_key=KEY)  # fmt: skip
    by_id = recorded("instagram/comment_replies.json")["comments_by_id"]["body"]
    own, other = by_id["17892250648466172"], by_id["17858154961981086"]
    own = {**own, "from": {"id": "17841400000000001", "username": "ikroskun"}}
    other = {**other, "from": {"id": "17841409999999999", "username": "lixiangguodu123"},
             "replies": {"data": [{**recorded("instagram/comment_replies.json")["replies"]["body"]["data"][0],
                                   "from": {"id": "17841400000000001", "username": "ikroskun"}}]}}  # fmt: skip
    spec = ig.spec("comments")
    landed_ig = [keep(comments_prepare(ig, spec, c), COMMENT_KEPT) for c in (own, other)]
    assert [c["by_account"] for c in landed_ig] == [True, False]
    assert landed_ig[1]["replies"]["data"][0]["by_account"] is True
    for secret in ("ikroskun", "lixiangguodu123", "17841409999999999"):
        assert secret not in json.dumps(landed_ig)

    li = LinkedInConnector(Account("linkedin", "5637409"), Credentials("c", TOKEN), today=TODAY, author_key=KEY)
    by_org = recorded("linkedin/comment.json")
    person = recorded("linkedin/comments_list.json")["body"]["elements"][0]
    person = {**person, "actor": "urn:li:person:CnpTkB7V70", "agent": "urn:li:person:CnpTkB7V70"}
    landed_li = [li._landed_comment(c) for c in (by_org, person)]
    assert [c["by_account"] for c in landed_li] == [True, False]
    assert "urn:li:person" not in json.dumps(landed_li) and all(set(c) <= set(LI_KEPT) for c in landed_li)

    x = XConnector(Account("x", "14865935"), Credentials("c", TOKEN), today=TODAY, author_key=KEY)
    x.set_user({"id": "14865935", "username": "EcZachly", "public_metrics": {}})
    reply = recorded("x/search_replies.json")["data"][0]
    landed_x = [keep(x._pseudonymised(r), REPLY_FIELDS)
                for r in (reply, {**reply, "author_id": "187691014"})]  # fmt: skip
    assert [c["by_account"] for c in landed_x] == [True, False]
    assert "187691014" not in json.dumps(landed_x) and "14865935" not in json.dumps(landed_x)
