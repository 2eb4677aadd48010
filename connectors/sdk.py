"""Declared streams: a stream is data, one engine fetches and parses every declared stream.

A network module declares each stream as a `Declared` (endpoint path, parameters from the window,
paginator, record path, primary key, the record field its window applies to, the API's largest
window per request, metric mapping, parent stream) and keeps only what is its own as hooks: how a
record becomes rows (`to_rows`), how its errors read (the `ErrorPolicy` of connectors/http.py),
which per-record errors skip one parent instead of failing the run (`skip_parent`), and how a record
is made safe to land (`prepare_record`, then the allow-list `keep`).

The engine (`DeclaredConnector`) does the rest once: chunks the window, pages with loop guards
(`HttpClient.paginate`), walks a parent stream's records for a child stream (the parent context
travels in each child page's `request`, so `parse` stays pure), scrubs and lands.
Compare Singer SDK's `RESTStream` (path, records_jsonpath, primary_keys, replication_key) and dlt's
rest_api resources; the paginators below are a small set in the spirit of dlt's `BasePaginator`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote

from connectors.allowlist import Spec, keep
from connectors.base import (
    ConnectorError,
    ConnectorWarning,
    Kind,
    MalformedResponseError,
    Page,
    Stream,
    TokenConnector,
    Window,
)
from connectors.http import HttpClient, scrub_obj

Request = tuple[str, dict[str, Any] | None]
Rows = Iterator[tuple[Kind, dict[str, Any]]]


def dig(obj: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` inside nested dicts, or None where a step is missing (`()` is `obj`)."""
    for step in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def path_part(value: Any) -> str:
    """A value from the config or an answer as one path segment of a request: everything but letters, digits
    and `-._~` percent-encoded (RFC 3986 section 3.3), so an id holding / ? # or .. cannot change the request.
    An id that is "." or ".." names a directory and cannot be sent (requests turns %2E back into "."): refused."""
    text = str(value)
    if text in (".", ".."):
        raise MalformedResponseError(f"the id {text!r} cannot be sent as a path segment (it names a directory)")
    return quote(text, safe="")


# -- paginators: each answers "what is the next request after this answer?" (None: the last page).
# The loop guard (the same request twice, more than MAX_PAGES) lives in HttpClient.paginate.


class Paginator:
    """One page only: the answer has no paging."""

    def next_request(self, body: Any, url: str, params: dict[str, Any] | None) -> Request | None:
        """The request for the page after `body`, or None."""
        return None


@dataclass(frozen=True)
class NextUrlPaginator(Paginator):
    """Follow a full URL the API gives (Graph's `paging.next`); it carries every parameter (and the
    token, which is why landed requests are scrubbed)."""

    path: tuple[str, ...] = ("paging", "next")

    def next_request(self, body: Any, url: str, params: dict[str, Any] | None) -> Request | None:
        """The URL at `path`, as given."""
        nxt = dig(body, self.path)
        return (nxt, None) if isinstance(nxt, str) and nxt else None


@dataclass(frozen=True)
class CursorParamPaginator(Paginator):
    """Send the cursor at `cursor_path` back as parameter `param`; stop when `more_path` is absent
    (Graph: `paging.cursors.after` is there on the last page too, only `paging.next` says more exists)
    or, without a `more_path`, when the cursor is absent."""

    cursor_path: tuple[str, ...] = ("paging", "cursors", "after")
    param: str = "after"
    more_path: tuple[str, ...] | None = ("paging", "next")

    def next_request(self, body: Any, url: str, params: dict[str, Any] | None) -> Request | None:
        """Same URL and parameters, with the cursor."""
        cursor = dig(body, self.cursor_path)
        if not cursor or (self.more_path is not None and not dig(body, self.more_path)):
            return None
        return url, {**(params or {}), self.param: cursor}


@dataclass(frozen=True)
class OffsetPaginator(Paginator):
    """start/count paging (Rest.li): the next start is start + count until a page holds fewer than
    `count` records or `total_path` says all were read."""

    records: tuple[str, ...] = ("elements",)
    start_param: str = "start"
    count_param: str = "count"
    total_path: tuple[str, ...] | None = ("paging", "total")

    def next_request(self, body: Any, url: str, params: dict[str, Any] | None) -> Request | None:
        """The next offset, or None after the last page."""
        params = dict(params or {})
        start, count = int(params.get(self.start_param, 0)), int(params.get(self.count_param, 0))
        got = dig(body, self.records)
        got_n = len(got) if isinstance(got, list) else 0
        if count <= 0 or got_n == 0 or got_n < count:
            return None
        total = dig(body, self.total_path) if self.total_path else None
        if isinstance(total, int) and start + got_n >= total:
            return None
        return url, {**params, self.start_param: start + got_n}


SINGLE_PAGE = Paginator()


# -- declared streams ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a record's rows may depend on, all read from the landed page's request (so parsing needs
    no connector state): the day it was fetched, the window chunk, the parent record's fields, the
    stream's metric mapping."""

    fetched_on: dt.date
    window: Window | None
    parent: Mapping[str, Any]
    metric_map: Mapping[str, str | None]

    def metric(self, source: str) -> str | None:
        """The unified metric name of a network's metric; None (kept raw, never mapped) when unknown."""
        return self.metric_map.get(source)


ParamsFn = Callable[[Window], dict[str, Any]]
RowsFn = Callable[[Context, dict[str, Any]], Rows]
# A child stream's answer to "does this error mean: skip this one parent?": the warning, or None to fail.
SkipFn = Callable[[ConnectorError, Mapping[str, Any]], str | None]
# A stream's own hooks: the connector-wide hook of the same name with the connector first (typed Any, so a hook may
# name its network's connector class). Set on a `Declared`, the engine calls it instead of the connector's method;
# the hook may call that method itself (`conn.request(spec, chunk, parent)`) for the default.
RequestHook = Callable[[Any, "Declared", Window, Mapping[str, Any]], Request]
GetHook = Callable[[Any, "Declared", str, dict[str, Any] | None], Any]
NextRequestHook = Callable[[Any, "Declared", Window, Any, str, dict[str, Any] | None], Request | None]
WantedHook = Callable[[Any, "Declared", dict[str, Any], Window], bool]
NarrowerHook = Callable[
    [Any, "Declared", Window, Mapping[str, Any], ConnectorError], list[tuple[Window, Mapping[str, Any]]] | None
]
ParentsHook = Callable[[Any, "Declared", Window], Iterator[Mapping[str, Any]]]
ChunksHook = Callable[[Any, "Declared", Window], list[Window]]
PrepareHook = Callable[[Any, "Declared", dict[str, Any]], dict[str, Any]]
UrlHook = Callable[[Any, "Declared", Mapping[str, Any]], str]


def no_params(window: Window) -> dict[str, Any]:
    """A stream whose request does not depend on the window."""
    return {}


@dataclass(frozen=True)
class Declared:
    """One stream as data. `path` may name `{account_id}` and, for a child stream, `{parent_id}`."""

    stream: Stream
    path: str
    to_rows: RowsFn  # one (landed) record -> rows of the unified raw kinds
    params: ParamsFn = no_params  # query parameters from the window chunk
    paginator: Paginator = SINGLE_PAGE
    records: tuple[str, ...] = ("data",)  # where the records are in an answer; () is the answer itself
    primary_key: tuple[str, ...] = ("id",)
    window_field: str | None = None  # the record field the window applies to (documents it; run_contract checks rows)
    chunk_days: int | None = None  # the API's largest window per request; None: the whole window at once
    metric_map: Mapping[str, str | None] = field(default_factory=dict)
    parent: str | None = None  # a stream whose records this one reads one request per record
    parent_fields: tuple[str, ...] = ("id",)  # what of a parent record a child page carries
    parent_filter: Callable[[Mapping[str, Any]], bool] | None = None  # parents worth a request
    keep: Spec | None = None  # allow-list of a record (connectors/allowlist.py); None keeps it whole
    single: bool = False  # the answer holds one record at `records` (an object, not a list)
    also_land: Mapping[str, Spec] = field(default_factory=dict)  # answer fields landed beside the records (paging)
    reuses: str | None = None  # land the pages another stream read in this run again, without a request
    part_of: str | None = None  # requested after that stream and landed under its name (one stream to the core)
    skip_parent: SkipFn | None = None  # a child stream: which errors skip one parent with a warning (else fail)
    # The stream's own hooks (None: the connector-wide method of the same name; see DeclaredConnector's hooks).
    url: UrlHook | None = None  # the endpoint (X: a username resolved by another path)
    request: RequestHook | None = None  # the first request of a chunk (a query syntax, parameters from state)
    get: GetHook | None = None  # one answer (checks of its shape, counting what is billed)
    next_request: NextRequestHook | None = None  # stop or resize paging
    wanted: WantedHook | None = None  # a window the API cannot filter by
    narrower: NarrowerHook | None = None  # the requests replacing a first request rejected as a whole
    parents: ParentsHook | None = None  # many parents in one request, or parents from another stream's fields
    chunks: ChunksHook | None = None  # windows split where the API's answers change
    prepare: PrepareHook | None = None  # a record made safe to land (authors hashed, mentions replaced)

    @property
    def name(self) -> str:
        """The stream's name."""
        return self.stream.name


class DeclaredConnector(TokenConnector):
    """The engine: `fetch` and `parse` for every stream in `declared`; the network adds hooks only."""

    declared: ClassVar[tuple[Declared, ...]] = ()
    # Streams still coded by hand (fetch/parse overridden for them), listed after the declared ones.
    custom_streams: ClassVar[tuple[Stream, ...]] = ()
    network: ClassVar[str] = ""
    streams: ClassVar[tuple[Stream, ...]] = ()
    base: str = ""  # the API base URL the paths are appended to (set by the network's constructor)
    http: HttpClient

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.declared:
            cls.streams = tuple(d.stream for d in cls.declared if d.part_of is None) + cls.custom_streams
            names = {d.name for d in cls.declared}
            for d in cls.declared:
                for role, other in (("parent", d.parent), ("stream to reuse", d.reuses), ("whole", d.part_of)):
                    if other is not None and other not in names:
                        raise TypeError(f"{cls.__name__}: stream {d.name!r} names an undeclared {role} {other!r}")

    # -- hooks (override what the network needs) ----------------------------------------------------

    def auth_params(self) -> dict[str, Any]:
        """Query parameters every request carries (Graph: the access token). Never landed."""
        return {}

    def prepare_record(self, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
        """A record made safe before the allow-list runs (authors hashed, mentions replaced)."""
        return record

    def request(self, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
        """The first request of a stream for a window chunk (and parent): URL and query parameters. A network
        with its own query syntax (Rest.li 2.0) builds the query string itself and returns no parameters."""
        return self._stream_url(spec, parent), {**spec.params(chunk), **self.auth_params()}

    def chunks(self, spec: Declared, window: Window) -> list[Window]:
        """The windows of a stream's requests: the API's largest window per request (`chunk_days`). A network
        splits further where its answers change (X: where non-public metrics stop existing)."""
        return list(window.chunks(spec.chunk_days)) if spec.chunk_days else [window]

    def parents(self, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
        """What a child stream reads one request (and its pages) for, landed with each page as its parent:
        by default each parent record worth a request (`parent_filter`), cut to `parent_fields`. A network
        whose API takes many parents in one request groups them here (X's reply search)."""
        for record in self._parent_records(spec.parent or "", window):
            if spec.parent_filter is None or spec.parent_filter(record):
                yield {k: record.get(k) for k in spec.parent_fields}

    def get(self, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
        """One answer of a stream (a network adds what it does per request: X counts billed reads)."""
        body, _ = self.http.get_json(url, params)
        return body

    def next_request(
        self, spec: Declared, chunk: Window, body: Any, url: str, params: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any] | None] | None:
        """The request after `body`: the stream's paginator (a network may adjust it: X sizes pages by budget,
        LinkedIn stops its posts past the window)."""
        return spec.paginator.next_request(body, url, params)

    def wanted(self, spec: Declared, record: dict[str, Any], chunk: Window) -> bool:
        """Whether a record of an answer is landed: all of them, unless the API cannot filter by the window
        itself (LinkedIn's posts finder: the window is applied to each post here)."""
        return True

    def narrower(
        self, spec: Declared, chunk: Window, parent: Mapping[str, Any], error: ConnectorError
    ) -> list[tuple[Window, Mapping[str, Any]]] | None:
        """When a stream's first request fails as a whole: the requests (window chunk, request context) that
        replace it, [] to skip it, or None to fail (the default). Facebook bisects its metric list (one invalid
        metric fails the whole request) and halves the window when asked for less data."""
        return None

    def skip_error(self, spec: Declared, error: ConnectorError, parent: Mapping[str, Any]) -> str | None:
        """For a child stream: a message when this error means "skip this one parent" (warned, the run
        goes on), None to fail. By default the stream's own `skip_parent` decides."""
        return spec.skip_parent(error, parent) if spec.skip_parent is not None else None

    # -- the engine -------------------------------------------------------------------------------
    # Each hook below is the stream's own when its declaration sets one, else the connector-wide method.

    def _stream_url(self, spec: Declared, parent: Mapping[str, Any]) -> str:
        return spec.url(self, spec, parent) if spec.url else self.url(spec, parent)

    def _stream_request(self, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
        return spec.request(self, spec, chunk, parent) if spec.request else self.request(spec, chunk, parent)

    def _stream_get(self, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
        return spec.get(self, spec, url, params) if spec.get else self.get(spec, url, params)

    def _stream_next_request(
        self, spec: Declared, chunk: Window, body: Any, url: str, params: dict[str, Any] | None
    ) -> Request | None:
        if spec.next_request:
            return spec.next_request(self, spec, chunk, body, url, params)
        return self.next_request(spec, chunk, body, url, params)

    def _stream_wanted(self, spec: Declared, record: dict[str, Any], chunk: Window) -> bool:
        return spec.wanted(self, spec, record, chunk) if spec.wanted else self.wanted(spec, record, chunk)

    def _stream_narrower(
        self, spec: Declared, chunk: Window, parent: Mapping[str, Any], error: ConnectorError
    ) -> list[tuple[Window, Mapping[str, Any]]] | None:
        if spec.narrower:
            return spec.narrower(self, spec, chunk, parent, error)
        return self.narrower(spec, chunk, parent, error)

    def _stream_parents(self, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
        return spec.parents(self, spec, window) if spec.parents else self.parents(spec, window)

    def _stream_chunks(self, spec: Declared, window: Window) -> list[Window]:
        return spec.chunks(self, spec, window) if spec.chunks else self.chunks(spec, window)

    def _stream_prepare(self, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
        return spec.prepare(self, spec, record) if spec.prepare else self.prepare_record(spec, record)

    def spec(self, name: str) -> Declared:
        """The declaration of a stream."""
        for d in self.declared:
            if d.name == name:
                return d
        raise ValueError(f"{self.network} has no stream {name!r}")

    def fetch(self, stream: Stream, window: Window) -> Iterator[Page]:
        """Yield scrubbed raw pages of a stream for a window, then those of its parts (`part_of`), landed under
        its name with the part's name in the request."""
        spec = self.spec(stream.name)
        yield from self._fetch(spec, window)
        for part in self.declared:
            if part.part_of == spec.name:
                for page in self._fetch(part, window):
                    yield Page(spec.name, {**page.request, "part": part.name}, page.body)

    def _fetch(self, spec: Declared, window: Window) -> Iterator[Page]:
        if spec.reuses is not None:
            for page in self.__dict__.get("_reused", {}).get(spec.reuses, []):
                yield Page(spec.name, {**page.request, "window": window.to_json()}, page.body)
            return
        if spec.parent is None:
            for chunk in self._stream_chunks(spec, window):
                yield from self._pages(spec, chunk, {})
            return
        for parent in self._stream_parents(spec, window):
            try:
                for chunk in self._stream_chunks(spec, window):
                    yield from self._pages(spec, chunk, parent)
            except ConnectorError as exc:
                message = self.skip_error(spec, exc, parent)
                if message is None:
                    raise
                self._warnings.append(ConnectorWarning(spec.name, exc.code or "skipped", message))

    def _parent_records(self, name: str, window: Window) -> list[dict[str, Any]]:
        """The parent stream's landed records for `window`: those read when it was fetched in this run,
        else read now (the parent may not be in this run's streams)."""
        cache: dict[tuple[str, Window], list[dict[str, Any]]] = self.__dict__.setdefault("_parents", {})
        if (name, window) not in cache:
            parent = self.spec(name)
            records: list[dict[str, Any]] = []
            for page in self.fetch(parent.stream, window):
                if page.request.get("part") is not None:
                    continue
                records.extend(r for r in page.body.get("data", []) if isinstance(r, dict))
            cache[(name, window)] = records
        return cache[(name, window)]

    def parent_of(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        """The parent context a record of a parent stream was read under in this run (a reply stream needs the post
        of the comment it reads the replies of); {} for a record not read as a parent in this run."""
        return self.__dict__.get("_record_parents", {}).get(id(record), {})

    def read_this_run(self, name: str) -> list[dict[str, Any]]:
        """Every record a parent stream landed in this run, whatever its window (for a `parents` hook)."""
        cache: dict[tuple[str, Window], list[dict[str, Any]]] = self.__dict__.get("_parents", {})
        return [r for (stream, _), records in cache.items() if stream == name for r in records]

    def url(self, spec: Declared, parent: Mapping[str, Any]) -> str:
        """The endpoint of a stream for this account (and parent record); both ids quoted as path segments."""
        return self.base + spec.path.format(
            account_id=path_part(self.account.id), parent_id=path_part(parent.get("id", ""))
        )

    def _pages(self, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Iterator[Page]:
        first = True
        try:
            for page in self._pages_once(spec, chunk, parent):
                first = False
                yield page
        except ConnectorError as exc:
            narrower = self._stream_narrower(spec, chunk, parent, exc) if first else None
            if narrower is None:
                raise
            for sub_chunk, sub_parent in narrower:
                yield from self._pages(spec, sub_chunk, sub_parent)

    def _pages_once(self, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Iterator[Page]:
        url, params = self._stream_request(spec, chunk, parent)
        secrets = [self.credentials.token]
        cached: list[dict[str, Any]] | None = None
        if any(d.parent == spec.name for d in self.declared):
            cached = self.__dict__.setdefault("_parents", {}).setdefault((spec.name, chunk), [])
        reused: list[Page] | None = None
        if any(d.reuses == spec.name for d in self.declared):
            reused = self.__dict__.setdefault("_reused", {}).setdefault(spec.name, [])
        pages = self.http.paginate(
            url,
            params,
            lambda body, u, p: self._stream_next_request(spec, chunk, body, u, p),
            get=lambda u, p: self._stream_get(spec, u, p),
        )
        for body, page_url, page_params in pages:
            found = dig(body, spec.records)
            if (spec.records == () or spec.single) and isinstance(found, dict):
                found = [found]
            if not isinstance(found, list):
                where = f"has no '{'.'.join(spec.records)}' list" if spec.records else "is not a list"
                raise MalformedResponseError(
                    f"{self.network} {spec.name} for account {self.account.id}, {chunk}: the "
                    f"answer {where} of records (got {str(body)[:120]!r})."
                )
            landed = []
            for record in found:
                if not isinstance(record, dict):
                    raise MalformedResponseError(f"{self.network} {spec.name}: not an object: {str(record)[:80]}")
                if not self._stream_wanted(spec, record, chunk):
                    continue
                missing = [k for k in spec.primary_key if record.get(k) in (None, "")]
                if missing:
                    raise MalformedResponseError(f"{self.network} {spec.name}: a record without {', '.join(missing)}")
                prepared = self._stream_prepare(spec, record)
                landed.append(keep(prepared, spec.keep) if spec.keep is not None else prepared)
            if cached is not None:
                cached.extend(landed)
                owners: dict[int, Mapping[str, Any]] = self.__dict__.setdefault("_record_parents", {})
                owners.update((id(record), dict(parent)) for record in landed)
            request = {
                "url": page_url,
                "params": {k: v for k, v in (page_params or {}).items() if k not in self.auth_params()},
                "fetched_on": self.today.isoformat(),
                "window": chunk.to_json(),
                "parent": dict(parent),
            }
            extra = {
                k: keep(body.get(k), kept) for k, kept in spec.also_land.items() if isinstance(body, dict) and k in body
            }
            page = Page(spec.name, scrub_obj(request, secrets), scrub_obj({"data": landed, **extra}, secrets))
            if reused is not None:
                reused.append(page)
            yield page

    def parse(self, stream: Stream, page: Page) -> Rows:
        """Rows of a landed page: each record through its stream's (or part's) `to_rows` (pure, no I/O)."""
        request = page.request
        if "parent" not in request or not isinstance(page.body.get("data"), list):
            # Pages landed before this network moved onto declared streams have another shape (their own request
            # keys, records under "elements"): parsing them here would give wrong or no rows, silently.
            raise MalformedResponseError(
                f"{self.network} {stream.name}: this page was landed before the connector moved to declared "
                f"streams (its request has no 'parent', or its records no 'data' list), so this code cannot parse "
                f"it. Replay that run with the code that landed it, or extract its window again."
            )
        spec = self.spec(request.get("part") or stream.name)
        window = request.get("window")
        ctx = Context(
            fetched_on=dt.date.fromisoformat(request.get("fetched_on") or self.today.isoformat()),
            window=Window.from_json(window) if window else None,
            parent=request.get("parent") or {},
            metric_map=spec.metric_map,
        )
        for record in page.body.get("data", []):
            yield from spec.to_rows(ctx, record)
