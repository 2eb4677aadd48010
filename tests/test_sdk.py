"""The connector SDK: paginators, the declared-stream engine, retries through tenacity, and `connectors`
working without the core."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from connectors.allowlist import SCALAR
from connectors.base import Account, ApiError, AuthError, Credentials, Kind, MalformedResponseError, Stream, Window
from connectors.http import ErrorPolicy, HttpClient
from connectors.sdk import (
    SINGLE_PAGE,
    CursorParamPaginator,
    Declared,
    DeclaredConnector,
    NextUrlPaginator,
    OffsetPaginator,
    dig,
)
from connectors.testing import FakeApi, FakeServer, Fault

REPO = Path(__file__).resolve().parent.parent


# -- paginators ---------------------------------------------------------------------------------------


def test_dig_walks_nested_dicts_and_gives_none_for_a_missing_step() -> None:
    assert dig({"a": {"b": [1]}}, ("a", "b")) == [1]
    assert dig({"a": 1}, ("a", "b")) is None and dig({"a": 1}, ()) == {"a": 1}


def test_next_url_follows_the_given_url_and_stops_without_one() -> None:
    p = NextUrlPaginator()
    nxt = "https://x/2?after=Q"
    assert p.next_request({"paging": {"next": nxt}}, "https://x/1", {"a": 1}) == (nxt, None)
    assert p.next_request({"paging": {"cursors": {"after": "Q"}}}, "https://x/1", None) is None
    assert p.next_request({"data": []}, "https://x/1", None) is None


def test_graph_cursor_paging_needs_next_as_well_as_the_cursor() -> None:
    """Graph puts `cursors.after` on the last page too; only `next` says there is more."""
    p = CursorParamPaginator()
    body = {"paging": {"cursors": {"after": "QQ"}, "next": "https://..."}}
    assert p.next_request(body, "u", {"limit": 2}) == ("u", {"limit": 2, "after": "QQ"})
    assert p.next_request({"paging": {"cursors": {"after": "QQ"}}}, "u", {"limit": 2}) is None


def test_a_token_cursor_without_a_more_marker_stops_when_the_token_is_gone() -> None:
    p = CursorParamPaginator(("meta", "next_token"), "pagination_token", None)
    assert p.next_request({"meta": {"next_token": "t2"}}, "u", {}) == ("u", {"pagination_token": "t2"})
    assert p.next_request({"meta": {}}, "u", {"pagination_token": "t2"}) is None


def test_offset_paging_stops_on_a_short_page_or_at_the_total() -> None:
    p = OffsetPaginator()
    full = {"elements": [1, 2], "paging": {"total": 5}}
    assert p.next_request(full, "u", {"start": 0, "count": 2}) == ("u", {"start": 2, "count": 2})
    assert p.next_request(full, "u", {"start": 4, "count": 2}) is None  # 4 + 2 >= 5
    assert p.next_request({"elements": [1]}, "u", {"start": 0, "count": 2}) is None
    assert p.next_request({"elements": []}, "u", {"start": 0, "count": 2}) is None


def test_single_page_never_asks_for_more() -> None:
    assert SINGLE_PAGE.next_request({"paging": {"next": "x"}}, "u", None) is None


# -- a tiny declared connector against a fake -----------------------------------------------------


class Items(FakeApi):
    """GET /a/{id}/items?since&until&after: two items a page, 5 items; /i/{item}/notes for children."""

    sandbox_token = "items-token"

    def __init__(self, *, today: dt.date | None = None, stuck: bool = False) -> None:
        super().__init__(today=today)
        self.account_ids = ["7"]
        self.stuck = stuck

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        parts = path.strip("/").split("/")
        if parts[0] == "i":
            return 200, {}, {"notes": [{"id": f"{parts[1]}-n"}]}
        if parts[1] != "7":
            return 404, {}, {"error": "no such account"}
        at = 0 if self.stuck else int(query.get("after") or 0)
        items = [{"id": f"i{n}", "day": f"2026-11-1{n}"} for n in range(5)]
        body: dict[str, Any] = {"items": items[at : at + 2], "paging": {"cursors": {"after": str(at + 2)}}}
        if at + 2 < len(items):
            body["paging"]["next"] = "more"
        return 200, {}, body


def item_rows(ctx: Any, item: dict[str, Any]) -> Any:
    published = dt.datetime.fromisoformat((item.get("day") or ctx.parent["day"]) + "T00:00+00:00")
    yield Kind.POSTS, {"post_id": item["id"], "published_at": published, "permalink": None,
                       "text": ctx.parent.get("id"), "payload": "{}"}  # fmt: skip


class ItemsConnector(DeclaredConnector):
    network = "items"
    declared = (
        Declared(Stream("items", (Kind.POSTS,)), "/a/{account_id}/items", item_rows, records=("items",),
                 paginator=CursorParamPaginator(), params=lambda w: {"since": w.start.isoformat()}),
        Declared(Stream("notes", (Kind.POSTS,)), "/i/{parent_id}/notes", item_rows, records=("notes",),
                 parent="items", parent_fields=("id", "day"), parent_filter=lambda item: item["id"] != "i0"),
    )  # fmt: skip

    def __init__(self, account: Account, credentials: Credentials, http: Any = None, **kw: Any) -> None:
        super().__init__(account, credentials, **kw)
        self.base = str(credentials.base_url)
        self.http = self._client(http, ErrorPolicy(), {"Authorization": f"Bearer {credentials.token}"})


WINDOW = Window(dt.date(2026, 11, 10), dt.date(2026, 11, 20))


def _connector(server: FakeServer, app: Items) -> ItemsConnector:
    return ItemsConnector(Account("items", "7"), Credentials("items_default", app.sandbox_token, server.base_url))


def test_the_engine_pages_through_and_children_carry_their_parent() -> None:
    """Given 5 items in pages of 2, then 3 pages are read, and the child stream reads one request per item the
    filter lets through, each page carrying the item it belongs to (parse needs nothing else)."""
    app = Items()
    with FakeServer(app) as server:
        c = _connector(server, app)
        pages = list(c.fetch(c.streams[0], WINDOW))
        assert [len(p.body["data"]) for p in pages] == [2, 2, 1]
        notes = list(c.fetch(c.streams[1], WINDOW))
    assert [p.request["parent"] for p in notes] == [{"id": f"i{n}", "day": f"2026-11-1{n}"} for n in range(1, 5)]
    assert [r["text"] for p in notes for _, r in c.parse(c.streams[1], p)] == ["i1", "i2", "i3", "i4"]
    assert len([r for r in app.requests if "/items" in r[0]]) == 3  # the parent was not read again


def test_a_cursor_that_never_moves_stops_with_an_error() -> None:
    app = Items(stuck=True)
    with FakeServer(app) as server, pytest.raises(MalformedResponseError, match="paging loops"):
        list(_connector(server, app).fetch(ItemsConnector.streams[0], WINDOW))


def test_an_undeclared_parent_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="undeclared parent 'nope'"):
        type("Bad", (DeclaredConnector,), {"network": "bad", "declared": (
            Declared(Stream("x", (Kind.POSTS,)), "/x", item_rows, parent="nope"),)})  # fmt: skip


def test_a_record_without_its_primary_key_is_malformed() -> None:
    app = Items()
    app.faults.append(Fault("/items", status=200, body={"items": [{"day": "2026-11-11"}]}))
    with FakeServer(app) as server, pytest.raises(MalformedResponseError, match="without id"):
        list(_connector(server, app).fetch(ItemsConnector.streams[0], WINDOW))


# -- retries (tenacity) -------------------------------------------------------------------------------


def test_a_503_with_retry_after_is_waited_as_asked_then_paging_goes_on() -> None:
    app = Items()
    app.faults.append(Fault("/items", status=503, headers={"Retry-After": "7"}))
    sleeps: list[float] = []
    with FakeServer(app) as server:
        http = HttpClient(ErrorPolicy(), conn_id="items_default", sleep=sleeps.append)
        c = ItemsConnector(Account("items", "7"), Credentials("items_default", app.sandbox_token, server.base_url),
                           http)  # fmt: skip
        assert len(list(c.fetch(c.streams[0], WINDOW))) == 3
    assert sleeps == [7.0] and http.requests_made == 4


def test_gives_up_after_max_attempts_naming_the_last_answer() -> None:
    app = Items()
    app.faults.append(Fault("/items", status=502, times=10))
    sleeps: list[float] = []
    with FakeServer(app) as server:
        http = HttpClient(ErrorPolicy(), conn_id="c", sleep=sleeps.append, max_attempts=3)
        with pytest.raises(ApiError, match="gave up after 3 attempts; last answer: api answered 502"):
            http.get_json(f"{server.base_url}/a/7/items")
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_an_auth_error_is_never_retried() -> None:
    app = Items()
    sleeps: list[float] = []
    with FakeServer(app) as server:
        http = HttpClient(ErrorPolicy(), conn_id="items_default", sleep=sleeps.append)
        with pytest.raises(AuthError, match="items_default"):
            http.get_json(f"{server.base_url}/a/7/items")  # no token: 401
    assert sleeps == [] and http.requests_made == 1


def test_a_wait_past_the_time_limit_stops_at_once() -> None:
    from connectors.base import ExtractTimeoutError

    app = Items()
    app.faults.append(Fault("/items", status=429, headers={"Retry-After": "500"}, times=3))
    with FakeServer(app) as server:
        http = HttpClient(ErrorPolicy(), conn_id="c", sleep=lambda s: None, time_limit_s=60)
        with pytest.raises(ExtractTimeoutError, match="waiting 500 s after attempt 1 would pass it"):
            http.get_json(f"{server.base_url}/a/7/items")
    assert http.requests_made == 1


# -- the SDK without the core ---------------------------------------------------------------------


def test_connectors_import_and_run_without_the_core() -> None:
    """`connectors` (SDK, testing kit, every network) imports neither socialmetrics, duckdb nor airflow, and
    the contract suite runs on this file's tiny connector in a process that never loads them."""
    code = (
        "import sys; sys.path.insert(0, 'tests');"
        "import connectors.sdk, connectors.testing, connectors.instagram, connectors.facebook, connectors.linkedin,"
        " connectors.x, connectors.xing, connectors.registry;"
        "from test_sdk import Items, ItemsConnector;"
        "from connectors.testing import run_contract;"
        "print(run_contract(ItemsConnector, Items, window=connectors.base.Window("
        "__import__('datetime').date(2026, 11, 10), __import__('datetime').date(2026, 11, 20))));"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('socialmetrics', 'duckdb', 'airflow'));"
        "print('core:', bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "'items.posts': 5" in out.stdout and "'notes.posts': 4" in out.stdout and "core: []" in out.stdout


# -- the hooks a network uses for its own API's ways -------------------------------------------------


class PartsConnector(ItemsConnector):
    """Notes are a part of items (landed under its name); `again` lands this run's item pages anew."""

    network = "parts"
    declared = (
        Declared(Stream("items", (Kind.POSTS,)), "/a/{account_id}/items", item_rows, records=("items",),
                 paginator=CursorParamPaginator(), also_land={"paging": {"next": SCALAR}}),
        Declared(Stream("notes", (Kind.POSTS,)), "/i/{parent_id}/notes", item_rows, records=("notes",),
                 parent="items", parent_fields=("id", "day"), part_of="items"),
        Declared(Stream("again", (Kind.POSTS,)), "", item_rows, reuses="items"),
    )  # fmt: skip


def test_a_part_lands_under_its_stream_and_a_reusing_stream_reads_nothing() -> None:
    """Given notes declared as a part of items and `again` reusing items, then the core sees two streams;
    items' pages come first (with their paging landed beside the records), then one notes page per item
    under the name items, each parsed by the notes declaration; `again` lands the same records under its own
    window without a request."""
    app = Items()
    later = Window(dt.date(2026, 11, 19), dt.date(2026, 11, 20))
    with FakeServer(app) as server:
        c = PartsConnector(Account("parts", "7"), Credentials("parts_default", app.sandbox_token, server.base_url))
        assert [s.name for s in c.streams] == ["items", "again"]
        pages = list(c.fetch(c.streams[0], WINDOW))
        requests = len(app.requests)
        again = list(c.fetch(c.streams[1], later))
    assert [(p.stream, p.request.get("part")) for p in pages] == [("items", None)] * 3 + [("items", "notes")] * 5
    assert pages[0].body["paging"] == {"next": "more"} and "paging" not in pages[3].body
    assert [r["text"] for p in pages[3:] for _, r in c.parse(c.streams[0], p)] == [f"i{n}" for n in range(5)]
    assert len(app.requests) == requests and [p.body for p in again] == [p.body for p in pages[:3]]
    assert {p.request["window"]["start"] for p in again} == {"2026-11-19"}


class NarrowingConnector(ItemsConnector):
    """A first request rejected as a whole is replaced by a narrower one; item i1 is not wanted."""

    network = "narrowing"
    declared = ItemsConnector.declared[:1]

    def narrower(self, spec: Declared, chunk: Window, parent: Any, error: Any) -> Any:
        return [(chunk, {"narrowed": True})] if isinstance(error, ApiError) and not parent else None

    def wanted(self, spec: Declared, record: dict[str, Any], chunk: Window) -> bool:
        return bool(record["id"] != "i1")


def test_narrower_replaces_a_rejected_first_request_and_wanted_drops_records() -> None:
    app = Items()
    app.faults.append(Fault("/items", status=400, body={"error": "too much"}, times=1))
    with FakeServer(app) as server:
        c = NarrowingConnector(Account("n", "7"), Credentials("n_default", app.sandbox_token, server.base_url))
        pages = list(c.fetch(c.streams[0], WINDOW))
    assert {p.request["parent"]["narrowed"] for p in pages} == {True}
    assert [r["id"] for p in pages for r in p.body["data"]] == ["i0", "i2", "i3", "i4"]
    app.faults.append(Fault("/items", status=400, body={"error": "too much"}, times=2))
    with FakeServer(app) as server, pytest.raises(ApiError):  # the narrower request fails too: no third try
        c = NarrowingConnector(Account("n", "7"), Credentials("n_default", app.sandbox_token, server.base_url))
        list(c.fetch(c.streams[0], WINDOW))


def shouting(conn: Any, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """A stream's own `prepare`: its ids upper-cased."""
    return {**record, "id": record["id"].upper()}


def only_even(conn: Any, spec: Declared, record: dict[str, Any], chunk: Window) -> bool:
    """A stream's own `wanted`: the items with an even number."""
    return int(record["id"][-1]) % 2 == 0


class OwnHooksConnector(ItemsConnector):
    """`items` declares its own prepare and wanted; `notes` declares none and gets the connector-wide ones."""

    network = "own"
    declared = (
        replace(ItemsConnector.declared[0], prepare=shouting, wanted=only_even),
        replace(ItemsConnector.declared[1], parent_filter=None),
    )

    def prepare_record(self, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
        return {**record, "seen_by": "connector"}

    def wanted(self, spec: Declared, record: dict[str, Any], chunk: Window) -> bool:
        return bool(record["id"] != "I2-n")


def test_a_streams_own_hook_is_used_and_the_connector_wide_one_otherwise() -> None:
    """Given `items` declaring its own prepare and wanted and `notes` declaring none, then items' records go
    through its own hooks only (the connector-wide ones are not called for it) and notes' through the
    connector-wide ones."""
    app = Items()
    with FakeServer(app) as server:
        c = OwnHooksConnector(Account("own", "7"), Credentials("own_default", app.sandbox_token, server.base_url))
        items = [r for p in c.fetch(c.streams[0], WINDOW) for r in p.body["data"]]
        notes = [r for p in c.fetch(c.streams[1], WINDOW) for r in p.body["data"]]
    assert items == [{"id": "I0", "day": "2026-11-10"}, {"id": "I2", "day": "2026-11-12"},
                     {"id": "I4", "day": "2026-11-14"}]  # fmt: skip
    assert notes == [{"id": "I0-n", "seen_by": "connector"}, {"id": "I4-n", "seen_by": "connector"}]  # I2-n unwanted


def test_a_page_landed_before_declared_streams_is_refused_not_parsed_to_nothing() -> None:
    """Given a page in the shape a hand-coded connector landed (no parent in its request, records under
    "elements"), then parse says so instead of giving no rows."""
    from connectors.base import Page

    c = ItemsConnector(Account("items", "7"), Credentials("items_default", "t", "http://127.0.0.1:9"))
    old = Page("items", {"path": "posts", "query": "q=author", "fetched_on": "2026-11-19"}, {"elements": [{"id": 1}]})
    with pytest.raises(MalformedResponseError, match="landed before the connector moved to declared streams"):
        list(c.parse(c.streams[0], old))
