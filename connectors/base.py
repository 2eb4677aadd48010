"""The connector contract: streams, windows, credentials, records and the errors a connector raises.

A connector never imports duckdb or airflow. It gets its credentials and HTTP client through the
constructor, fetches raw API pages for a window (`fetch`), and turns a landed page into records
(`parse`). Keeping the two apart is what makes a landed run replayable without calling the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import pyarrow as pa

from connectors.errors import (  # re-exported: the errors are part of the contract
    AccountOptionError,
    ApiError,
    AuthError,
    BudgetExceededError,
    ConnectorError,
    ExtractTimeoutError,
    LimitExceededError,
    MalformedResponseError,
    PermanentError,
    RateLimitError,
    RequestRejectedError,
    StreamUnavailable,
    UnknownAccountError,
    UsageCapError,
)
from connectors.http import HttpClient

__all__ = [
    "AccountOptionError", "ApiError", "AuthError", "BudgetExceededError", "ConnectorError", "ExtractTimeoutError",
    "LimitExceededError", "MalformedResponseError", "PermanentError", "RateLimitError", "RequestRejectedError",
    "StreamUnavailable", "UnknownAccountError", "UsageCapError",
]  # fmt: skip


class Kind(StrEnum):
    """The unified raw tables a stream lands in; every network maps onto these."""

    DAILY_METRICS = "daily_metrics"
    POSTS = "posts"
    POST_METRICS = "post_metrics"
    POST_SNAPSHOTS = "post_snapshots"  # lifetime post metrics kept per snapshot day (networks without daily series)
    COMMENTS = "comments"
    WEB_TRAFFIC = "web_traffic"  # website analytics (Matomo, GA4): visits and outcomes by source, aggregates only
    COMPETITOR_SNAPSHOTS = "competitor_snapshots"  # competitors' public totals and posts' public counts, nightly


# The unified metric vocabulary of `raw.daily_metrics.metric` and `raw.post_metrics.metric`.
# A connector maps its network's own names onto these and leaves `metric` NULL for the rest.
DAILY_METRICS = (
    "impressions",
    "reach",
    "followers",
    "follower_gain",
    "follows",
    "unfollows",
    "reactions",
    "comments",
    "shares",
    "clicks",
    "engagements",
    "page_views",
)
POST_METRICS = ("impressions", "reach", "reactions", "comments", "shares", "clicks", "engagements")

# Columns every record of a kind carries (the connector fills them); provenance is added on landing.
KIND_SCHEMAS: dict[Kind, pa.Schema] = {
    Kind.DAILY_METRICS: pa.schema(
        [
            ("day", pa.date32()),
            ("metric", pa.string()),
            ("source_metric", pa.string()),
            ("value", pa.float64()),
            ("payload", pa.string()),
        ]
    ),
    Kind.POSTS: pa.schema(
        [
            ("post_id", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("permalink", pa.string()),
            ("text", pa.string()),
            ("payload", pa.string()),
        ]
    ),
    Kind.POST_METRICS: pa.schema(
        [
            ("post_id", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("as_of", pa.date32()),
            ("metric", pa.string()),
            ("source_metric", pa.string()),
            ("value", pa.float64()),
            ("payload", pa.string()),
        ]
    ),
    Kind.POST_SNAPSHOTS: pa.schema(
        [
            ("post_id", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("as_of", pa.date32()),  # the company day the lifetime values were read at the end of
            ("metric", pa.string()),
            ("source_metric", pa.string()),
            ("value", pa.float64()),
            ("payload", pa.string()),
        ]
    ),
    Kind.COMMENTS: pa.schema(
        [
            ("post_id", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),  # the post's, so comments follow its window
            ("comment_id", pa.string()),
            ("parent_id", pa.string()),
            ("created_at", pa.timestamp("us", tz="UTC")),
            ("author_hash", pa.string()),
            ("text", pa.string()),
            ("payload", pa.string()),
        ]
    ),
    # One row per day and source of a website's visits: `source_kind` says which report it comes from
    # ('visits': the whole site or its social segment; 'conversions': goals, all or one; 'social': one social
    # referrer; 'campaign': one campaign, all sources or one network's). `source_network` is the network the
    # referrer or utm_source maps to (connectors/web.py), 'all' for the whole site, 'social' for the segment of
    # social referrers. NULL measures: the report does not give them (never 0).
    Kind.WEB_TRAFFIC: pa.schema(
        [
            ("day", pa.date32()),
            ("source_kind", pa.string()),
            ("source_network", pa.string()),
            ("referrer", pa.string()),
            ("campaign", pa.string()),
            ("medium", pa.string()),
            ("goal_id", pa.string()),
            ("goal_name", pa.string()),
            ("visits", pa.float64()),
            ("users", pa.float64()),
            ("conversions", pa.float64()),
            ("revenue", pa.float64()),
            ("payload", pa.string()),
        ]
    ),
    # One row per competitor and night (post_id NULL: the account's public totals) and per recent post (its
    # public counts), as read with the company's own token (connectors/competitors.py). `status`: ok, not_found,
    # no_data (private or age-gated: nothing shown, never zeros).
    Kind.COMPETITOR_SNAPSHOTS: pa.schema(
        [
            ("as_of", pa.date32()),
            ("competitor", pa.string()),
            ("handle", pa.string()),
            ("user_id", pa.string()),
            ("username", pa.string()),
            ("status", pa.string()),
            ("followers", pa.float64()),
            ("posts_total", pa.float64()),
            ("post_id", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("likes", pa.float64()),
            ("comments", pa.float64()),
            ("shares", pa.float64()),
            ("payload", pa.string()),
        ]
    ),
}

# Which column a kind's window applies to (a DATE, or a TIMESTAMP compared by its UTC date).
KIND_WINDOW_COLUMN: dict[Kind, str] = {
    Kind.DAILY_METRICS: "day",
    Kind.POSTS: "published_at",
    Kind.POST_METRICS: "published_at",
    Kind.POST_SNAPSHOTS: "as_of",
    Kind.COMMENTS: "published_at",
    Kind.WEB_TRAFFIC: "day",
    Kind.COMPETITOR_SNAPSHOTS: "as_of",
}

# The key of a record inside one (network, account) slice.
KIND_PRIMARY_KEY: dict[Kind, tuple[str, ...]] = {
    Kind.DAILY_METRICS: ("day", "source_metric"),
    Kind.POSTS: ("post_id",),
    Kind.POST_METRICS: ("post_id", "as_of", "source_metric"),
    Kind.POST_SNAPSHOTS: ("post_id", "as_of", "source_metric"),
    Kind.COMMENTS: ("comment_id",),
    Kind.WEB_TRAFFIC: ("day", "source_kind", "source_network", "referrer", "campaign", "medium", "goal_id"),
    Kind.COMPETITOR_SNAPSHOTS: ("as_of", "competitor", "post_id"),
}


def pseudonymize(author_id: str | None, key: bytes | None) -> str | None:
    """A keyed hash (HMAC-SHA256, 128 bits as hex) of an author id; None without a key or an id.

    The same person gets the same hash across runs and networks' comments of one installation, so
    repeat commenters can be counted, while the name or id never reaches a file or table.
    """
    if not author_id or not key:
        return None
    return hmac.new(key, author_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Window:
    """A half-open range of calendar days [start, end) of the company's time zone `tz`.

    Dates (a daily series' days, a snapshot's day) compare with `start`/`end`; timestamps (a post's
    publishing time) with `start_at`/`end_at`, the UTC instants of the first day's and the end day's
    local midnight. So the days a request asks for, the rows a load replaces and the days the
    transform rebuilds are the same local days. `tz` is not part of equality: a window is its days."""

    start: dt.date
    end: dt.date
    tz: str = field(default="UTC", compare=False)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty window: end {self.end} is not after start {self.start}")

    @property
    def start_at(self) -> dt.datetime:
        """Local midnight at the start of the first day, in UTC."""
        return _midnight(self.start, self.tz)

    @property
    def end_at(self) -> dt.datetime:
        """Local midnight at the end of the last day (exclusive), in UTC."""
        return _midnight(self.end, self.tz)

    def contains(self, value: dt.date | dt.datetime) -> bool:
        """Whether a day (a date) or an instant (an aware datetime) lies inside the window."""
        if isinstance(value, dt.datetime):
            return self.start_at <= value < self.end_at
        return self.start <= value < self.end

    def with_days(self, start: dt.date, end: dt.date) -> Window:
        """Other days in the same time zone."""
        return Window(start, end, self.tz)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Window:
        """Inverse of `to_json` (windows landed before time zones were recorded are UTC days)."""
        return cls(dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"]), data.get("tz") or "UTC")

    @property
    def days(self) -> int:
        """Number of days in the window."""
        return (self.end - self.start).days

    def chunks(self, max_days: int) -> Iterator[Window]:
        """Split into consecutive windows of at most `max_days` days."""
        cur = self.start
        while cur < self.end:
            nxt = min(cur + dt.timedelta(days=max_days), self.end)
            yield Window(cur, nxt, self.tz)
            cur = nxt

    def clamp_start(self, earliest: dt.date) -> Window | None:
        """The part of the window on or after `earliest`, or None when nothing is left."""
        if self.end <= earliest:
            return None
        return Window(max(self.start, earliest), self.end, self.tz)

    @property
    def last(self) -> dt.date:
        """The last day of the window (included)."""
        return self.end - dt.timedelta(days=1)

    def __str__(self) -> str:
        """The days as a user reads them, both ends included: "2026-11-20 to 2026-11-22 (3 days)"."""
        return describe_days(self.start, self.last)

    def to_json(self) -> dict[str, str]:
        """ISO dates (and the time zone unless UTC), for manifests."""
        days = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        return days if self.tz == "UTC" else days | {"tz": self.tz}


def _midnight(day: dt.date, tz: str) -> dt.datetime:
    """The UTC instant of a day's local midnight (the first instant of the day where DST skips midnight)."""
    local = dt.datetime.combine(day, dt.time(), ZoneInfo(tz))
    return local.astimezone(dt.UTC)


def describe_days(first: dt.date, last: dt.date) -> str:
    """Days `first`..`last`, both included, as every message writes them: "2026-11-20 to 2026-11-22 (3 days)"."""
    days = (last - first).days + 1
    if days == 1:
        return f"{first} (1 day)"
    return f"{first} to {last} ({days} days)"


ALL_TIME = Window(dt.date(1970, 1, 1), dt.date(2100, 1, 1))  # a slice replaced whole, or a full rebuild


@dataclass(frozen=True)
class Stream:
    """One kind of data a connector fetches."""

    name: str
    kinds: tuple[Kind, ...]
    lookback_days: int | None = None  # None: the run's lookback from the config
    max_history_days: int | None = None  # how far back the API keeps data
    # Nightly runs read at most this many days back, whatever the run's lookback (X bills every read).
    max_lookback_days: int | None = None
    # A snapshot of "now" (a follower total, lifetime post numbers): kept for the day that just ended,
    # taken only by the run covering that day; backfills and late re-runs cannot take it.
    snapshot: bool = False


@dataclass(frozen=True)
class Credentials:
    """What a connection gives a connector: a token, an API base URL and extra settings."""

    conn_id: str
    token: str | None
    base_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show the token
        return f"Credentials(conn_id={self.conn_id!r}, base_url={self.base_url!r}, token=***)"


@dataclass(frozen=True)
class Account:
    """One configured account of a network."""

    network: str
    id: str
    name: str | None = None
    conn_id: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def connection_id(self) -> str:
        """The Airflow connection holding this account's token."""
        return self.conn_id or f"{self.network}_default"


@dataclass(frozen=True)
class Page:
    """One raw API answer (already scrubbed of secrets) and what produced it."""

    stream: str
    request: dict[str, Any]
    body: Any


@dataclass
class ConnectorWarning:
    """Something a run should report without failing (a dropped metric, a clamped window)."""

    stream: str
    code: str
    message: str


@runtime_checkable
class Connector(Protocol):
    """What every network implements; registered under entry-point group `socialmetrics.connectors`."""

    network: ClassVar[str]
    streams: ClassVar[tuple[Stream, ...]]
    # What the core reads besides fetch/parse (ConnectorDefaults gives every one a default):
    # the account options it reads from the config (besides the generic ones of every network, such as
    # `time_limit_minutes`); any other option is refused as a typo.
    options: ClassVar[tuple[str, ...]]
    needs_credentials: ClassVar[bool]  # False: no connection, no token (file imports: Xing)
    derives_daily_from_posts: ClassVar[bool]  # True: days come from post snapshots (X has no daily series)
    # What an account id of this network looks like (a regular expression the whole id matches, and the words
    # the config's error shows); None: the generic rule only (no / \\ .. or control characters, at most 64).
    account_id_pattern: ClassVar[str | None]
    account_id_help: ClassVar[str]
    account: Account  # the account it reads (landing names its folders by it)

    def __init__(
        self,
        account: Account,
        credentials: Credentials,
        http: Any = None,
        *,
        today: dt.date | None = None,
        author_key: bytes | None = None,
    ) -> None:
        """Credentials and the HTTP client come in here; nothing reads the environment behind the core's back."""
        ...

    @property
    def usage(self) -> dict[str, Any] | None:
        """What this run was billed (X's reads), recorded in meta.api_reads; None where nothing is billed."""
        ...

    def fetch(self, stream: Stream, window: Window) -> Iterator[Page]:
        """Yield the raw pages of `stream` for `window`, already scrubbed of secrets."""
        ...

    def parse(self, stream: Stream, page: Page) -> Iterator[tuple[Kind, dict[str, Any]]]:
        """Turn one landed page into (kind, record) pairs (pure, no I/O)."""
        ...

    @property
    def warnings(self) -> list[ConnectorWarning]:
        """Warnings collected while fetching."""
        ...


class ConnectorDefaults:
    """The defaults of what the Connector protocol declares beyond fetch and parse."""

    options: ClassVar[tuple[str, ...]] = ()
    needs_credentials: ClassVar[bool] = True
    derives_daily_from_posts: ClassVar[bool] = False
    # True: an input may hold posts and no day rows (a Xing file with post rows only), so the quality gate
    # expects days of an account only when the run loaded some (read with getattr: plugins may lack it)
    daily_rows_optional: ClassVar[bool] = False
    account_id_pattern: ClassVar[str | None] = None
    account_id_help: ClassVar[str] = ""

    @property
    def usage(self) -> dict[str, Any] | None:
        """Nothing billed."""
        return None


class TokenConnector(ConnectorDefaults):
    """What every token-based (HTTP) connector shares: the account, a connection with a token, the
    clock, the pseudonymisation key, and the warnings collected while fetching."""

    token_name: ClassVar[str] = "access token"

    def __init__(
        self,
        account: Account,
        credentials: Credentials,
        *,
        today: dt.date | None = None,
        author_key: bytes | None = None,
    ) -> None:
        if not credentials.token:
            raise ApiError(
                f"Airflow connection '{credentials.conn_id}' has no token: put the {self.token_name} into the "
                f"connection's password field."
            )
        self.account = account
        self.credentials = credentials
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.author_key = author_key
        self._warnings: list[ConnectorWarning] = []

    @property
    def warnings(self) -> list[ConnectorWarning]:
        """Warnings collected while fetching."""
        return self._warnings

    def _client(self, http: Any, policy: Any, headers: Mapping[str, str] | None = None) -> Any:
        """The given HTTP client (tests pass one that records its waits) or a new one, reading this
        network's errors with `policy` and sending `headers` on every request."""
        client = http or HttpClient(policy, conn_id=self.credentials.conn_id, secrets=[self.credentials.token])
        client.policy = policy
        if headers:
            client.session.headers.update(headers)
        return client
