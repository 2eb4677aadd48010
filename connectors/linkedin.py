"""LinkedIn organization pages through the Community Management API (versioned /rest endpoints).

API facts (learn.microsoft.com/linkedin/marketing, "Organization Share Statistics", "Follower
Statistics", "Page Statistics", "Posts API", "Comments API", "Versioning"):
- Every call sends `LinkedIn-Version: YYYYMM` and `X-Restli-Protocol-Version: 2.0.0`; a retired
  or unknown version answers 426. Tokens live 60 days; an expired one answers 401.
- Rest.li 2.0 query syntax: `timeIntervals=(timeRange:(start:<ms>,end:<ms>),timeGranularityType:DAY)`.
  The structure's parentheses, colons and commas stay literal; values inside (URNs) are
  percent-encoded (`urn%3Ali%3Aorganization%3A123`). A standard query encoder breaks this.
- organizationalEntityShareStatistics by DAY: impressionCount, uniqueImpressionsCount (not for
  every window), clickCount, likeCount, commentCount, shareCount; only the last 12 months.
- organizationalEntityFollowerStatistics by DAY: followerGains.organicFollowerGain + paidFollowerGain.
- networkSizes/{urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER: the follower total today (no history:
  kept as a daily snapshot).
- organizationPageStatistics by DAY: totalPageStatistics.views.allPageViews.pageViews.
- /rest/posts?q=author&author={urn}: commentary, createdAt/publishedAt in epoch milliseconds;
  paged with start/count (no cursor). Per-post lifetime totals come from share statistics with
  `shares=List(...)` / `ugcPosts=List(...)`.
- Comments API: socialActions/{post urn}/comments gives first-level comments (each with `commentsSummary`
  .totalFirstLevelComments, its replies); a comment's replies come from socialActions/{comment urn}/comments
  and carry `parentComment`. `actor` is the author: urn:li:organization:<id> when the page itself wrote it
  (tests/fixtures/recorded/linkedin/comment.json); some answers omit it (comments_list.json).
- 429 comes without rate-limit headers: back off.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from connectors.allowlist import NUMBERS, SCALAR, Spec, keep, redact_linkedin_mentions, redact_spans
from connectors.base import (
    Account,
    Credentials,
    Kind,
    MalformedResponseError,
    Stream,
    Window,
    pseudonymize,
)
from connectors.http import Action, ErrorPolicy, HttpClient, Verdict
from connectors.sdk import Context, Declared, DeclaredConnector, OffsetPaginator, Request, Rows

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.linkedin.com"
DEFAULT_VERSION = "202511"
HISTORY_DAYS = 365  # share, follower and page statistics reach back 12 months
# One time-bound request may span the whole rolling 12 months the API keeps (Organization Share Statistics).
MAX_STATS_DAYS = 366
POSTS_PAGE_SIZE = 100  # the Posts API maximum
SHARES_PER_STATS_REQUEST = 20
POSTS_LOOKBACK_DAYS = 90
# The unified mapping: likes are reactions; uniqueImpressionsCount is reach only where given.
SHARE_METRICS = {
    "impressionCount": "impressions",
    "uniqueImpressionsCount": "reach",
    "clickCount": "clicks",
    "likeCount": "reactions",
    "commentCount": "comments",
    "shareCount": "shares",
}

# What of posts and comments is landed (connectors/allowlist.py). A real comment element also carries
# `actor` and `agent` (person URNs), `created.actor`/`created.impersonator`, `lastModified.actor`,
# `object`, `message.attributes` (mentions with person URNs) and `content[]` (images): the author becomes
# `author_hash` first, mentioned names in the text become "@…", and everything else is dropped.
COMMENT_FIELDS: Spec = {
    "id": SCALAR,
    "$URN": SCALAR,
    "commentUrn": SCALAR,
    "parentComment": SCALAR,
    "created": {"time": SCALAR},
    "lastModified": {"time": SCALAR},
    "message": {"text": SCALAR},
    "author_hash": SCALAR,
    "by_account": SCALAR,  # written as the organization (actor == its URN): the only author fact kept
    "commentsSummary": {"totalFirstLevelComments": SCALAR, "aggregatedTotalComments": SCALAR},
}
POST_FIELDS: Spec = {
    "id": SCALAR,
    "author": SCALAR,  # the organization's URN (kept only when it is one)
    "commentary": SCALAR,  # @[Name](urn:li:person:...) mentions become "@…"
    "createdAt": SCALAR,
    "publishedAt": SCALAR,
    "lastModifiedAt": SCALAR,
    "visibility": SCALAR,
    "lifecycleState": SCALAR,
    # The post's format (sql/staging/posts.sql): which content it carries, by kind and media URN, never its
    # text or pictures; `reshareContext.parent` (a post URN) marks a repost.
    "content": {
        "media": {"id": SCALAR},
        "multiImage": {},
        "article": {},
        "poll": {},
        "carousel": {},
        "celebration": {},
    },
    "reshareContext": {"parent": SCALAR},
}
POST_STATISTICS_FIELDS: Spec = {
    "share": SCALAR,
    "ugcPost": SCALAR,
    "organizationalEntity": SCALAR,
    "totalShareStatistics": NUMBERS,
}
PAGING_FIELDS: Spec = {"start": SCALAR, "count": SCALAR, "total": SCALAR}
# Errors whose message is about the request itself (a parameter or field this API version does not
# accept), which LinkedIn answers with 400 or 403: not a missing permission.
REQUEST_PROBLEM_MARKERS = ("unpermitted fields", "parameter", "data processing exception", "illegal_argument")


def rest_li_list(values: list[str]) -> str:
    """`List(a,b)` with each value percent-encoded (Rest.li 2.0)."""
    return "List(" + ",".join(quote(v, safe="") for v in values) + ")"


def time_intervals(window: Window) -> str:
    """The Rest.li 2.0 timeIntervals object for a DAY-granular window."""
    start = int(dt.datetime.combine(window.start, dt.time(), dt.UTC).timestamp() * 1000)
    end = int(dt.datetime.combine(window.end, dt.time(), dt.UTC).timestamp() * 1000)
    return f"(timeRange:(start:{start},end:{end}),timeGranularityType:DAY)"


def ms_to_day(ms: Any) -> dt.date:
    """An epoch-milliseconds timestamp as its UTC day."""
    if not isinstance(ms, int | float):
        raise MalformedResponseError(f"LinkedIn: timestamp {ms!r} is not epoch milliseconds")
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


class LinkedInErrorPolicy(ErrorPolicy):
    """Reads LinkedIn's error answers: {"status", "serviceErrorCode", "code", "message"}."""

    network = "linkedin"

    def __init__(self, version: str) -> None:
        self.version = version

    def classify(self, response: requests.Response) -> Verdict:
        """Map an answer to an action."""
        status = response.status_code
        if status < 400:
            return Verdict(Action.OK)
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        message = str(body.get("message") or response.text[:200] or "")
        code = str(body.get("code") or "")
        service = body.get("serviceErrorCode")
        label = " ".join(str(x) for x in (code, f"serviceErrorCode {service}" if service is not None else "") if x)
        said = f"{label}: {message}" if label else message
        if status == 426 or code == "NONEXISTENT_VERSION":
            return Verdict(
                Action.FAIL,
                f"LinkedIn answered 426: API version {self.version} is retired or unknown ({said}). Set "
                f'"api_version" in the extra of connection linkedin_default to a current YYYYMM '
                f"(LinkedIn supports each version for about a year)",
                code="426",
            )
        if status == 401:
            if code == "REVOKED_ACCESS_TOKEN" or (not code and service == 65601):
                return Verdict(
                    Action.AUTH,
                    f"LinkedIn answered 401 ({said}): the member who authorized this token revoked it (or removed "
                    f"the app from their permitted services), so it will never work again",
                    code="revoked",
                )
            return Verdict(Action.AUTH, f"LinkedIn answered 401 ({said})", code="401")
        if status in (400, 403) and any(m in f"{code} {message}".lower() for m in REQUEST_PROBLEM_MARKERS):
            return Verdict(
                Action.FAIL,
                f"LinkedIn answered {status} ({said}): LinkedIn rejects a parameter or field of this request. This is "
                f"not a missing permission: the request does not fit API version {self.version}. Check "
                f'"api_version" in connection linkedin_default (a newer or older version may be needed) and report '
                f"it as a connector bug if the version is current",
                code="request",
            )
        if status == 403:
            return Verdict(
                Action.AUTH,
                f"LinkedIn answered 403 ({said}): the token lacks the r_organization_social / "
                f"rw_organization_admin permission for this page, or the member is not a page admin",
                code="403",
            )
        return super().classify(response)

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """Name the connection; LinkedIn tokens live 60 days."""
        if verdict.code == "revoked":
            return (
                f"{verdict.message}. A page admin has to authorize the app again and store the new token as the "
                f"password of Airflow connection '{conn_id}'. This error is never retried."
            )
        if verdict.code == "401":
            return (
                f"{verdict.message}. The token in Airflow connection '{conn_id}' is expired or invalid: LinkedIn "
                f"access tokens live 60 days. Create a new one (or refresh it) and store it as the connection's "
                f"password. This error is never retried."
            )
        return f"{verdict.message}. Connection: '{conn_id}'. This error is never retried."


# -- declared streams: one function per stream turns an element into rows ---------------------------


def share_rows(ctx: Context, el: dict[str, Any]) -> Rows:
    """A day of share statistics; uniqueImpressionsCount is not given for every window: no row, NULL."""
    day = ms_to_day(el["timeRange"]["start"])
    stats = el.get("totalShareStatistics") or {}
    for source, metric in SHARE_METRICS.items():
        if source in stats:
            yield Kind.DAILY_METRICS, _daily(day, metric, source, stats[source], el)


def follower_rows(ctx: Context, el: dict[str, Any]) -> Rows:
    """A day's follower gains, organic + paid."""
    gains = el.get("followerGains") or {}
    total = (gains.get("organicFollowerGain") or 0) + (gains.get("paidFollowerGain") or 0)
    yield Kind.DAILY_METRICS, _daily(ms_to_day(el["timeRange"]["start"]), "follower_gain", "followerGains", total, el)


def page_view_rows(ctx: Context, el: dict[str, Any]) -> Rows:
    """A day's page views (all pages)."""
    views = ((el.get("totalPageStatistics") or {}).get("views") or {}).get("allPageViews") or {}
    if "pageViews" in views:
        yield Kind.DAILY_METRICS, _daily(ms_to_day(el["timeRange"]["start"]), "page_views",
                                         "allPageViews.pageViews", views["pageViews"], el)  # fmt: skip


def network_size_rows(ctx: Context, body: dict[str, Any]) -> Rows:
    """networkSizes has no history: the total as of the day it was fetched (a daily snapshot)."""
    day = ctx.fetched_on - dt.timedelta(days=1)
    yield Kind.DAILY_METRICS, _daily(day, "followers", "firstDegreeSize", body["firstDegreeSize"], body)


def _statistics(name: str, path: str, to_rows: Callable[[Context, dict[str, Any]], Rows], finder: str) -> Declared:
    """A Rest.li time-bound statistics finder: days in `elements`, 12 months a request."""
    return Declared(
        Stream(name, (Kind.DAILY_METRICS,), max_history_days=HISTORY_DAYS), path, to_rows,
        params=lambda w: {"q": finder, finder: "{org}", "timeIntervals": time_intervals(w)},
        chunk_days=MAX_STATS_DAYS, records=("elements",), primary_key=("timeRange",), window_field="timeRange",
    )  # fmt: skip


def _published(post: Mapping[str, Any]) -> Any:
    """When a post was published, in epoch milliseconds (a draft has only createdAt)."""
    return post.get("publishedAt") or post.get("createdAt")


def post_rows(ctx: Context, post: dict[str, Any]) -> Rows:
    """A post of the page (its text with mentioned people as "@…")."""
    yield Kind.POSTS, {
        "post_id": str(post["id"]), "published_at": dt.datetime.fromtimestamp(_published(post) / 1000, dt.UTC),
        "permalink": f"https://www.linkedin.com/feed/update/{post['id']}/",
        "text": post.get("commentary"), "payload": json.dumps(post, sort_keys=True),
    }  # fmt: skip


def post_statistics_rows(ctx: Context, el: dict[str, Any]) -> Rows:
    """A post's lifetime share statistics as of the day they were read; the post's publication time comes
    with the page (its parent), so an element for a post that was not asked for is no row."""
    post_id = el.get("share") or el.get("ugcPost")
    published_ms = ctx.parent.get("published", {}).get(str(post_id)) if post_id is not None else None
    if published_ms is None:
        return
    published = dt.datetime.fromtimestamp(published_ms / 1000, dt.UTC)
    stats = el.get("totalShareStatistics") or {}
    for source, metric in SHARE_METRICS.items():
        if source in stats:
            yield Kind.POST_METRICS, {
                "post_id": str(post_id), "published_at": published, "as_of": ctx.fetched_on, "metric": metric,
                "source_metric": source, "value": float(stats[source]), "payload": "{}",
            }  # fmt: skip


def comment_rows(ctx: Context, c: dict[str, Any]) -> Rows:
    """A comment on a post (its author already a keyed hash)."""
    published = dt.datetime.fromtimestamp(_published(ctx.parent) / 1000, dt.UTC)
    created_ms = (c.get("created") or {}).get("time")
    yield Kind.COMMENTS, {
        "post_id": ctx.parent["id"], "published_at": published,
        "comment_id": str(c.get("$URN") or c.get("id")), "parent_id": c.get("parentComment"),
        "created_at": dt.datetime.fromtimestamp(created_ms / 1000, dt.UTC) if created_ms else None,
        "author_hash": c.get("author_hash"), "text": (c.get("message") or {}).get("text"),
        "payload": json.dumps(c, sort_keys=True),
    }  # fmt: skip


def reply_rows(ctx: Context, c: dict[str, Any]) -> Rows:
    """A reply to a comment (read from the comment's own comments; the page's parent names the comment and post)."""
    post = {"id": ctx.parent["post_id"], "publishedAt": ctx.parent.get("publishedAt"),
            "createdAt": ctx.parent.get("createdAt")}  # fmt: skip
    for kind, row in comment_rows(replace(ctx, parent=post), c):
        yield kind, {**row, "parent_id": row.get("parent_id") or ctx.parent["id"]}


# start/count paging (Posts API, Comments API): a page shorter than `count` is the last.
PAGES = OffsetPaginator(records=("elements",), total_path=None)

# -- each stream's own hooks -----------------------------------------------------------------------


def posts_wanted(conn: LinkedInConnector, spec: Declared, record: dict[str, Any], chunk: Window) -> bool:
    """Only posts published inside the window: the posts finder cannot filter by time."""
    return chunk.start_at.timestamp() * 1000 <= (_published(record) or 0) < chunk.end_at.timestamp() * 1000


def posts_next_request(
    conn: LinkedInConnector, spec: Declared, chunk: Window, body: Any, url: str, params: dict[str, Any] | None
) -> Request | None:
    """Posts come newest first (sortBy=CREATED): a page reaching past the window's start is the last needed."""
    oldest = min((_published(p) or 0 for p in body["elements"] if isinstance(p, dict)), default=0)
    if oldest < chunk.start_at.timestamp() * 1000:
        return None
    return conn.next_request(spec, chunk, body, url, params)


def posts_prepare(conn: LinkedInConnector, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a post, mentions of people in its commentary as "@…"."""
    return _landed_post(record)


def post_statistics_parents(conn: LinkedInConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """The posts in batches of SHARES_PER_STATS_REQUEST, with their publication times."""
    posts = [p for p in conn._parent_records("posts", window) if p.get("id")]
    for i in range(0, len(posts), SHARES_PER_STATS_REQUEST):
        yield {"published": {str(p["id"]): _published(p) for p in posts[i : i + SHARES_PER_STATS_REQUEST]}}


def post_statistics_request(
    conn: LinkedInConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]
) -> Request:
    """shares=List(...)&ugcPosts=List(...) of the batch, only those that are asked for (an empty List is refused)."""
    url, params = conn.request(spec, chunk, parent)
    ids = list(parent["published"])
    shares, ugc = [u for u in ids if ":share:" in u], [u for u in ids if ":ugcPost:" in u]
    params |= {"shares": rest_li_list(shares)} if shares else {}
    params |= {"ugcPosts": rest_li_list(ugc)} if ugc else {}
    return url, params


def comments_prepare(conn: LinkedInConnector, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a comment: its author as a keyed hash, mentioned people as "@…"."""
    return conn._landed_comment(record)


def replies_parents(conn: LinkedInConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """The comments of this run that have replies (`commentsSummary`), with their post: a reply is read from
    GET socialActions/{comment urn}/comments and carries parentComment."""
    for comment in conn.read_this_run("comments"):  # read just before (a part of the same stream)
        summary = comment.get("commentsSummary") or {}
        urn = comment.get("$URN") or comment.get("commentUrn")
        post = conn.parent_of(comment)
        if urn and post.get("id") and (summary.get("totalFirstLevelComments") or 0) > 0:
            yield {"id": urn, "post_id": post["id"], "publishedAt": post.get("publishedAt"),
                   "createdAt": post.get("createdAt")}  # fmt: skip


DECLARED = (
    _statistics("share_statistics", "organizationalEntityShareStatistics", share_rows, "organizationalEntity"),
    _statistics("follower_statistics", "organizationalEntityFollowerStatistics", follower_rows, "organizationalEntity"),
    _statistics("page_statistics", "organizationPageStatistics", page_view_rows, "organization"),
    Declared(Stream("network_size", (Kind.DAILY_METRICS,), snapshot=True), "networkSizes/{org}", network_size_rows,
             params=lambda w: {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}, records=(), primary_key=("firstDegreeSize",)),
    # Posts newest first; the finder has no time filter: posts outside the window are not landed (`wanted`)
    # and paging stops past the window's start (`next_request`).
    Declared(Stream("posts", (Kind.POSTS, Kind.POST_METRICS, Kind.COMMENTS), lookback_days=POSTS_LOOKBACK_DAYS),
             "posts", post_rows, paginator=PAGES, records=("elements",), window_field="publishedAt",
             also_land={"paging": PAGING_FIELDS},
             params=lambda w: {"q": "author", "author": "{org}", "count": POSTS_PAGE_SIZE, "start": 0,
                               "sortBy": "CREATED"},
             wanted=posts_wanted, next_request=posts_next_request, prepare=posts_prepare),
    # Lifetime totals of up to SHARES_PER_STATS_REQUEST posts a request (`parents` groups them).
    Declared(Stream("post_statistics", (Kind.POST_METRICS,)), "organizationalEntityShareStatistics",
             post_statistics_rows, params=lambda w: {"q": "organizationalEntity", "organizationalEntity": "{org}"},
             records=("elements",), primary_key=(), parent="posts", part_of="posts", keep=POST_STATISTICS_FIELDS,
             parents=post_statistics_parents, request=post_statistics_request),
    Declared(Stream("comments", (Kind.COMMENTS,)), "socialActions/{post}/comments", comment_rows,
             params=lambda w: {"count": 100, "start": 0}, paginator=PAGES, records=("elements",), primary_key=(),
             also_land={"paging": PAGING_FIELDS},
             parent="posts", parent_fields=("id", "publishedAt", "createdAt"), part_of="posts",
             prepare=comments_prepare),
    # Replies: a comment's own comments (`{post}` is the comment's URN here), paged like comments.
    Declared(Stream("comment_replies", (Kind.COMMENTS,)), "socialActions/{post}/comments", reply_rows,
             params=lambda w: {"count": 100, "start": 0}, paginator=PAGES, records=("elements",), primary_key=(),
             also_land={"paging": PAGING_FIELDS}, parent="comments", part_of="posts",
             parents=replies_parents, prepare=comments_prepare),
)  # fmt: skip


class LinkedInConnector(DeclaredConnector):
    """A LinkedIn organization page: statistics by day, follower total, posts with their lifetime statistics
    and comments (one stream to the core: statistics and comments are parts of `posts`)."""

    token_name = "LinkedIn access token"
    network: ClassVar[str] = "linkedin"
    options: ClassVar[tuple[str, ...]] = ()  # account options in the config
    # The number only: the connector builds urn:li:organization:<id> itself.
    account_id_pattern: ClassVar[str | None] = r"\d{1,20}"
    account_id_help: ClassVar[str] = (
        'a LinkedIn organization id is a number: "80486001" of urn:li:organization:80486001'
    )
    declared = DECLARED

    def __init__(
        self,
        account: Account,
        credentials: Credentials,
        http: HttpClient | None = None,
        *,
        today: dt.date | None = None,
        author_key: bytes | None = None,
    ) -> None:
        super().__init__(account, credentials, today=today, author_key=author_key)
        self.version = str(credentials.extra.get("api_version") or DEFAULT_VERSION)
        self.base = (credentials.base_url or DEFAULT_BASE_URL).rstrip("/") + "/rest"
        self.urn = f"urn:li:organization:{account.id}"
        headers = {
            "Authorization": f"Bearer {credentials.token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        self.http: HttpClient = self._client(http, LinkedInErrorPolicy(self.version), headers)

    def request(self, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The URL and the parameters with their values already in Rest.li 2.0 syntax (URNs percent-encoded,
        structures literal); `get` joins them unencoded."""
        org = quote(self.urn, safe="")
        params = {k: str(v).format(org=org) for k, v in spec.params(chunk).items()}
        path = spec.path.format(org=org, post=quote(str(parent.get("id", "")), safe=""))
        return f"{self.base}/{path}", params

    def get(self, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
        """Rest.li 2.0 needs the query string as built (literal parentheses and colons): no params encoding."""
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        body, _ = self.http.get_json(f"{url}?{query}" if query else url)
        return body

    def _landed_comment(self, comment: dict[str, Any]) -> dict[str, Any]:
        """The declared fields of a comment: its author as a keyed hash, mentioned people as "@…"."""
        created: dict[str, Any] = comment["created"] if isinstance(comment.get("created"), dict) else {}
        actor = comment.get("actor") or created.get("actor") or comment.get("agent")
        message: dict[str, Any] = comment["message"] if isinstance(comment.get("message"), dict) else {}
        spans = [
            (a.get("start", 0), a.get("length", 0))
            for a in message.get("attributes") or []
            if isinstance(a, dict) and "urn:li:organization:" not in json.dumps(a.get("value"))
        ]
        text = redact_spans(message.get("text"), spans)
        kept: dict[str, Any] = keep({**comment, "message": {"text": text}}, COMMENT_FIELDS)
        kept["author_hash"] = pseudonymize(str(actor) if actor else None, self.author_key)
        kept["by_account"] = actor == self.urn
        return kept


def _landed_post(post: Any) -> dict[str, Any]:
    """The declared fields of a post; mentions of people in its commentary become "@…"."""
    if not isinstance(post, dict):
        raise MalformedResponseError(f"LinkedIn posts: an element is not an object: {str(post)[:120]}")
    kept: dict[str, Any] = keep(post, POST_FIELDS)
    # A post without `content` is a text post: landed as null, so a landing from before `content` was kept
    # (no key at all) stays "format unknown" instead of being read as text.
    kept.setdefault("content", None)
    if "commentary" in kept:
        kept["commentary"] = redact_linkedin_mentions(kept["commentary"])
    if not str(kept.get("author") or "").startswith("urn:li:organization:"):
        kept.pop("author", None)
    return kept


def _daily(day: dt.date, metric: str, source: str, value: Any, element: Any) -> dict[str, Any]:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise MalformedResponseError(f"LinkedIn {source}: value {value!r} on {day} is not a number")
    return {"day": day, "metric": metric, "source_metric": source, "value": float(value),
            "payload": json.dumps(element, sort_keys=True)}  # fmt: skip
