"""Bad input from the networks and the config: a character that cannot be stored, a post deleted during
the run, odd account ids, ids in request paths, comments dated in the future, 4xx answers no retry can fix.
Each fault is made by a transport of tests/test_faults.py or the fake API servers; each test asserts what
a user sees."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from socialmetrics.sandbox.server import SandboxServer
from socialmetrics.sandbox.x import XSandbox
from socialmetrics.storable import Replaced, storable
from tests.conftest import TODAY, Harness
from tests.test_faults import Rewrite, query, use_faults, x_faults
from tests.test_x import DAY, USER, XRun

LONE = "\ud83d"  # half of a surrogate pair: JSON "\ud83d" alone decodes to it, UTF-8 cannot encode it


@pytest.fixture
def x_run(tmp_path: Any) -> Any:
    with SandboxServer(XSandbox(today=TODAY)) as server:
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
