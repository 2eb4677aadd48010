"""The testing kit of the connector SDK: a fake-server base, injected faults, and the contract suite a
plugin runs in one line. It needs nothing of the core (no duckdb, no airflow):

    from connectors.testing import run_contract

    def test_contract() -> None:
        run_contract(MyConnector, MyFakeApi)

A fake API is transport-free (`handle(path, query)` -> status, headers, body), so tests may call it
directly; `FakeServer` serves one on loopback. Build it from the network's public docs (paths, shapes,
paging, error bodies, rate-limit headers), not from the connector.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa

from connectors.base import (
    KIND_SCHEMAS,
    KIND_WINDOW_COLUMN,
    Account,
    AuthError,
    ConnectorError,
    Credentials,
    Page,
    Stream,
    Window,
)

Answer = tuple[int, dict[str, str], Any]
CONTRACT_TODAY = dt.date(2026, 11, 20)
CONTRACT_WINDOW = Window(dt.date(2026, 11, 13), CONTRACT_TODAY)
CONTRACT_KEY = b"contract-author-key-0123456789ab"


# -- faults -----------------------------------------------------------------------------------------


@dataclass
class Fault:
    """An injected answer: for the next `times` requests whose path contains `match`."""

    match: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    delay_s: float = 0.0
    mutate: Callable[[Any], Any] | None = None  # set: answer normally, then change the body (bad data)


def answer_with_faults(
    faults: list[Fault], path: str, answer: Callable[[], Answer], headers: dict[str, str] | None = None
) -> Answer:
    """The first matching fault's answer (it counts down), else the real `answer()`. A fault with a
    `mutate` changes a copy of the real body; status 0 is a delay only; `headers` are the API's usual
    headers, which the fault's own extend."""
    for fault in faults:
        if fault.times > 0 and fault.match in path:
            fault.times -= 1
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.mutate is not None:
                status, real_headers, body = answer()
                return status, real_headers, fault.mutate(copy.deepcopy(body))
            if fault.status == 0:
                break
            return fault.status, {**(headers or {}), **fault.headers}, fault.body
    return answer()


# -- fake APIs --------------------------------------------------------------------------------------


class App(Protocol):
    """A transport-free fake API."""

    base_url: str

    def handle(self, path: str, query: dict[str, str]) -> Answer:
        """Answer one GET."""
        ...


class FakeApi:
    """Base of a fake API: tokens (valid, expired), faults, a log of requests, a frozen today.

    Subclasses set `sandbox_token`, fill `account_ids` and implement `answer`; `token_of` and
    `auth_error` say where the network carries its token and how it refuses one."""

    sandbox_token: ClassVar[str] = "fake-token"

    def __init__(self, *, today: dt.date | None = None) -> None:
        self._today = today
        self.account_ids: list[str] = []
        self.valid_tokens: set[str] = {self.sandbox_token}
        self.expired_tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.base_url = "http://127.0.0.1"

    @property
    def today(self) -> dt.date:
        """The fake's today: data exists for days before it."""
        return self._today or dt.datetime.now(dt.UTC).date()

    @today.setter
    def today(self, day: dt.date) -> None:
        self._today = day

    def token_of(self, query: dict[str, str], headers: dict[str, str]) -> str | None:
        """The token of a request (default: `Authorization: Bearer ...`)."""
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def auth_error(self, token: str | None) -> Answer | None:
        """The answer to a missing, expired or unknown token (default: 401), or None when it is valid."""
        if token in self.valid_tokens:
            return None
        reason = "expired" if token in self.expired_tokens else "invalid"
        return 401, {}, {"error": {"code": 401, "message": f"the access token is {reason}"}}

    def handle_request(self, path: str, raw_query: str, headers: dict[str, str]) -> Answer:
        """Answer one GET with its headers (the loopback server calls this)."""
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        self.requests.append((path, {k: v for k, v in query.items() if "token" not in k}))

        def checked() -> Answer:
            token = self.token_of(query, headers)
            refused = self.auth_error(token)
            return refused if refused is not None else self.answer_for(token, path, query)

        return answer_with_faults(self.faults, path, checked, self.usual_headers())

    def handle(self, path: str, query: dict[str, str]) -> Answer:
        """Answer one GET without headers (a test calling the fake directly, with a token in the query)."""
        from urllib.parse import urlencode

        return self.handle_request(path, urlencode(query), {})

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        """The documented answer to an authorised GET."""
        raise NotImplementedError

    def usual_headers(self) -> dict[str, str]:
        """Headers the API sends on every answer, an injected fault's too (Graph's usage headers); default none."""
        return {}

    def answer_for(self, token: str | None, path: str, query: dict[str, str]) -> Answer:
        """The answer for the token that asked: `answer`, unless what a network shows depends on who asks (X shows
        non-public metrics to a user-context token only)."""
        return self.answer(path, query)


class FakeServer:
    """One fake API on 127.0.0.1, on a free port unless one is given."""

    def __init__(self, app: App, port: int = 0) -> None:
        self.app = app
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler(app))
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        app.base_url = self.base_url
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def _handler(app: App) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                if hasattr(app, "handle_request"):  # APIs that read the raw query and headers (Rest.li)
                    status, headers, body = app.handle_request(parts.path, parts.query, dict(self.headers))
                else:
                    query = dict(parse_qsl(parts.query, keep_blank_values=True))
                    status, headers, body = app.handle(parts.path, query)
                self._send(status, headers, body)

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                """A fake with `handle_post(path, raw_query, body_bytes, headers)` reads the body itself (GA4's
                JSON, Matomo's token in a form); otherwise a form body is read as more query parameters."""
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                if hasattr(app, "handle_post"):
                    status, headers, body = app.handle_post(parts.path, parts.query, data, dict(self.headers))
                else:
                    raw_query = "&".join(q for q in (parts.query, data.decode("utf-8")) if q)
                    if hasattr(app, "handle_request"):
                        status, headers, body = app.handle_request(parts.path, raw_query, dict(self.headers))
                    else:
                        status, headers, body = app.handle(parts.path, dict(parse_qsl(raw_query)))
                self._send(status, headers, body)

            def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                content_type = "text/html" if isinstance(body, bytes) else "application/json; charset=UTF-8"
                self.send_header("Content-Type", content_type)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet: the request lines carry tokens

        return Handler

    def start(self) -> FakeServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- the contract suite -----------------------------------------------------------------------------


def stream_window(stream: Stream, window: Window, today: dt.date) -> Window | None:
    """The window a run gives a stream (as the core's planner does for a nightly run): a snapshot covers
    the day that just ended; a stream's history limit clamps the start."""
    if stream.snapshot:
        return Window(window.end - dt.timedelta(days=1), window.end) if window.end == today else None
    if stream.max_history_days is not None:
        return window.clamp_start(today - dt.timedelta(days=stream.max_history_days))
    return window


def run_contract(
    connector_cls: Any,
    app_cls: Callable[..., Any],
    *,
    today: dt.date = CONTRACT_TODAY,
    window: Window = CONTRACT_WINDOW,
) -> dict[str, int]:
    """The contract every connector keeps, against its fake API; returns rows per `stream.kind`.

    - it declares its network and uniquely named streams of the unified kinds;
    - every page is JSON (it is landed as such) and holds no token;
    - every row of a page has exactly the columns of its kind, fits its Arrow schema, and lies inside
      the stream's window; `parse` is pure (the same page parses the same twice);
    - fetching twice gives the same rows; at least one row overall;
    - an unknown account fails with a ConnectorError naming it; an expired token with an AuthError.
    """
    network = connector_cls.network
    assert isinstance(network, str) and network, "a connector declares its `network`"
    names = [s.name for s in connector_cls.streams]
    assert names and len(names) == len(set(names)), f"{network}: stream names must be unique: {names}"
    app = app_cls(today=today)
    token = "contract-token-" + network + "-0987654321"
    app.valid_tokens.add(token)
    counts: dict[str, int] = {}
    with FakeServer(app) as server:

        def make(account_id: str) -> Any:
            creds = Credentials(f"{network}_default", token, server.base_url)
            return connector_cls(Account(network, account_id), creds, today=today, author_key=CONTRACT_KEY)

        first, second = _rows(make(app.account_ids[0]), window, today, token), None
        second = _rows(make(app.account_ids[0]), window, today, token)
        assert first == second, f"{network}: fetching twice gave different rows"
        for key, rows in first.items():
            counts[key] = len(rows)
        assert sum(counts.values()) > 0, f"{network}: no rows at all for {window.start}..{window.end}"
        try:
            _rows(make("000000"), window, today, token)
        except ConnectorError as exc:
            assert "000000" in str(exc), f"{network}: the error for an unknown account does not name it: {exc}"
        else:
            raise AssertionError(f"{network}: an unknown account did not fail")
        expired: set[str] = getattr(app, "expired_tokens", set())
        expired.add(token)
        app.valid_tokens.discard(token)
        try:
            _rows(make(app.account_ids[0]), window, today, token)
        except AuthError:
            pass
        else:
            raise AssertionError(f"{network}: an expired token did not fail with AuthError")
    return counts


def _rows(connector: Any, window: Window, today: dt.date, token: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for stream in connector.streams:
        w = stream_window(stream, window, today)
        if w is None:
            continue
        for page in connector.fetch(stream, w):
            text = json.dumps({"request": page.request, "body": page.body}, ensure_ascii=False)
            assert token not in text, f"{connector.network} {stream.name}: the token is in a page"
            landed = json.loads(text)
            again = Page(stream.name, landed["request"], landed["body"])
            rows = list(connector.parse(stream, again))
            assert rows == list(connector.parse(stream, again)), f"{stream.name}: parse is not pure"
            for kind, row in rows:
                assert kind in stream.kinds, f"{stream.name}: a {kind} row, not declared in {stream.kinds}"
                schema = KIND_SCHEMAS[kind]
                assert set(row) == set(schema.names), f"{stream.name} {kind}: columns {sorted(row)}"
                pa.Table.from_pylist([row], schema=schema)  # raises when a value does not fit its type
                value = row[KIND_WINDOW_COLUMN[kind]]
                day = value.date() if isinstance(value, dt.datetime) else value
                assert w.start <= day < w.end, f"{stream.name} {kind}: {day} outside {w.start}..{w.end}"
                out.setdefault(f"{stream.name}.{kind.value}", []).append(json.dumps(row, default=str, sort_keys=True))
    return {k: sorted(v) for k, v in out.items()}
