"""Fault injection from outside the sandbox: each bad-night answer is made by a transport of this file
(it rewrites what the sandbox answered), and each test asserts that core and marts afterwards equal
what they were before, plus the message the user sees."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from connectors.facebook import FacebookErrorPolicy
from connectors.http import ErrorPolicy, HttpClient
from socialmetrics import pipeline
from socialmetrics.sandbox.server import SandboxServer
from socialmetrics.sandbox.x import XSandbox
from tests.conftest import TODAY, Harness
from tests.test_x import DAY, XRun

EMPTY_X = {"meta": {"result_count": 0}}  # X API v2 leaves out `data` when nothing matches


@dataclass
class Rewrite:
    """For the next `times` requests whose path contains `match`: answer `status`/`body` instead."""

    match: str
    body: bytes | Callable[[bytes], bytes]
    status: int = 200
    times: int = 1
    content_type: str = "application/json"


class RewritingAdapter(HTTPAdapter):
    """A transport that sends every request to the real (sandbox) server, then replaces the answer of
    matching requests: the faults of a bad night, made outside the sandbox."""

    def __init__(self, rules: list[Rewrite]) -> None:
        super().__init__()
        self.rules = rules
        self.rewritten: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        real = super().send(request, **kwargs)
        path = urlparse(request.url or "").path
        for rule in self.rules:
            if rule.times > 0 and rule.match in path:
                rule.times -= 1
                self.rewritten.append(path)
                body = rule.body(real.content) if callable(rule.body) else rule.body
                fake = requests.Response()
                fake.status_code = rule.status
                fake._content = body  # noqa: SLF001 (a transport builds its Response)
                fake._content_consumed = True  # type: ignore[attr-defined] # noqa: SLF001
                fake.headers = CaseInsensitiveDict(
                    {"Content-Type": rule.content_type, "Content-Length": str(len(body))}
                )
                fake.url = request.url or ""
                fake.request = request
                fake.encoding = "utf-8"
                return fake
        return real


def faulty_session(rules: list[Rewrite]) -> requests.Session:
    session = requests.Session()
    adapter = RewritingAdapter(rules)
    session.mount("http://", adapter)
    return session


def use_faults(harness: Harness, rules: list[Rewrite]) -> None:
    """Make the harness's HTTP clients go through the rewriting transport."""

    def http(conn_id: str = "facebook_default") -> HttpClient:
        return HttpClient(
            FacebookErrorPolicy(), conn_id=conn_id, secrets=[harness.token], sleep=harness.sleeps.append,
            timeout=harness.timeout, session=faulty_session(rules),
        )  # fmt: skip

    harness.http = http  # type: ignore[method-assign]


def fingerprint(warehouse: Path) -> dict[str, str]:
    """A content hash of every core and marts table (per-run provenance columns left out)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts') "
            "ORDER BY 1"
        ).fetchall()
        found = {}
        for (table,) in tables:
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in ("run_id", "extracted_at")]
            quoted = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f"SELECT {quoted} FROM {table} ORDER BY ALL").fetchall()
            found[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return found
    finally:
        con.close()


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# -- 1. an empty (or far too small) answer never deletes published numbers ---------------------------


def test_empty_facebook_insights_keep_the_published_days_and_fail_the_run(harness: Harness) -> None:
    """Given a published night, when page insights answer {"data": []} on the rerun, then core and marts
    are unchanged, meta.suspicious_loads says why, and the run fails naming the stream."""
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    use_faults(harness, [Rewrite("/insights", b'{"data": []}', times=99)])
    with pytest.raises(pipeline.ExtractFailedError) as err:
        harness.run(dt.date(2026, 11, 19), run_id="empty")
    assert fingerprint(harness.warehouse) == before
    assert query(harness.warehouse, "SELECT count(*) FROM marts.reach_daily WHERE network = 'facebook'") == [(29,)]
    message = str(err.value)
    assert "page_insights" in message and "answered 0 days where 29 are published" in message
    assert "kept" in message and "empty_answers: warn" in message
    kept = query(
        harness.warehouse,
        "SELECT stream, kind, published, answered, outcome FROM meta.suspicious_loads WHERE run_id = 'empty'",
    )
    assert kept == [("page_insights", "daily_metrics", 29, 0, "kept: empty answer")]


def test_an_empty_posts_answer_keeps_posts_numbers_and_comments(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    posts_before = query(harness.warehouse, "SELECT count(*) FROM marts.post_performance")[0][0]
    use_faults(harness, [Rewrite("/published_posts", b'{"data": []}', times=99)])
    with pytest.raises(pipeline.ExtractFailedError, match=r"facebook/\d+ posts.*answered 0 posts"):
        harness.run(dt.date(2026, 11, 19), run_id="empty")
    assert fingerprint(harness.warehouse) == before
    assert query(harness.warehouse, "SELECT count(*) FROM marts.post_performance")[0][0] == posts_before > 0
    kinds = query(harness.warehouse, "SELECT kind FROM meta.suspicious_loads WHERE run_id = 'empty' ORDER BY 1")
    assert kinds == [("comments",), ("post_metrics",), ("posts",)]


def test_far_fewer_posts_than_published_are_kept_too(harness: Harness) -> None:
    """Given 90 days of published posts, when the answer holds only the first two posts, the posts stay."""
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)

    def first_two(real: bytes) -> bytes:
        body = json.loads(real)
        body["data"] = body["data"][:2]
        body.pop("paging", None)
        return json.dumps(body).encode()

    use_faults(harness, [Rewrite("/published_posts", first_two, times=99)])
    with pytest.raises(pipeline.ExtractFailedError, match="answered 2 posts where"):
        harness.run(dt.date(2026, 11, 19), run_id="small")
    assert fingerprint(harness.warehouse) == before


def test_with_empty_answers_warn_the_run_succeeds_keeps_the_numbers_and_says_so(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.config_path.write_text(harness.config_path.read_text() + "empty_answers: warn\n")
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    use_faults(harness, [Rewrite("/insights", b'{"data": []}', times=99)])
    harness.run(dt.date(2026, 11, 19), run_id="empty")
    assert fingerprint(harness.warehouse) == before
    assert "the published numbers were kept" in caplog.text
    warnings = query(harness.warehouse, "SELECT stream, code FROM meta.connector_warnings WHERE run_id = 'empty'")
    assert ("page_insights", "empty-answer-kept") in warnings


def test_a_new_page_without_posts_loads_its_empty_answer(harness: Harness) -> None:
    """Nothing is published yet: an empty posts answer is the truth, and the run succeeds."""
    use_faults(harness, [Rewrite("/published_posts", b'{"data": []}', times=99)])
    harness.run(dt.date(2026, 11, 19), run_id="first")
    assert query(harness.warehouse, "SELECT count(*) FROM raw.posts") == [(0,)]
    assert query(harness.warehouse, "SELECT count(*) FROM marts.reach_daily") == [(29,)]
    assert query(harness.warehouse, "SELECT count(*) FROM meta.suspicious_loads") == [(0,)]


@pytest.fixture
def x_run(tmp_path: Path) -> Any:
    with SandboxServer(XSandbox(today=TODAY)) as server:
        yield XRun(tmp_path, server)


def x_faults(xr: XRun, rules: list[Rewrite]) -> None:
    def http() -> HttpClient:
        return HttpClient(ErrorPolicy(), conn_id="x_default", secrets=[xr.token], sleep=xr.sleeps.append,
                          timeout=(2.0, 5.0), session=faulty_session(rules))  # fmt: skip

    xr.http = http  # type: ignore[method-assign]


def x_finish(xr: XRun) -> None:
    from socialmetrics.config import load_config

    pipeline.finish(f"scheduled__{DAY}", load_config(xr.config), landing_root=xr.landing)


def test_an_empty_x_timeline_keeps_posts_and_snapshots(x_run: XRun) -> None:
    x_run.run(DAY)
    before = fingerprint(x_run.warehouse)
    snapshots = query(x_run.warehouse, "SELECT count(*) FROM raw.post_snapshots")[0][0]
    x_faults(x_run, [Rewrite("/tweets", json.dumps(EMPTY_X).encode(), times=99)])
    x_run.run(DAY)
    with pytest.raises(pipeline.ExtractFailedError, match=r"x/\d+ posts.*answered 0 posts"):
        x_finish(x_run)
    assert fingerprint(x_run.warehouse) == before
    assert query(x_run.warehouse, "SELECT count(*) FROM raw.post_snapshots")[0][0] == snapshots > 0


def test_an_empty_reply_search_keeps_the_replies(x_run: XRun) -> None:
    x_run.run(DAY)
    before = fingerprint(x_run.warehouse)
    replies = query(x_run.warehouse, "SELECT count(*) FROM core.comment WHERE network = 'x'")[0][0]
    x_faults(x_run, [Rewrite("/search/recent", json.dumps(EMPTY_X).encode(), times=99)])
    x_run.run(DAY)
    with pytest.raises(pipeline.ExtractFailedError, match="replies.*answered 0 comments"):
        x_finish(x_run)
    assert fingerprint(x_run.warehouse) == before
    assert query(x_run.warehouse, "SELECT count(*) FROM core.comment WHERE network = 'x'")[0][0] == replies > 0
