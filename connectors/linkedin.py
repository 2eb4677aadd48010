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
- 429 comes without rate-limit headers: back off.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from connectors.allowlist import NUMBERS, SCALAR, Spec, keep, redact_linkedin_mentions, redact_spans
from connectors.base import (
    Account,
    Credentials,
    Kind,
    MalformedResponseError,
    Page,
    Stream,
    Window,
    pseudonymize,
)
from connectors.http import Action, ErrorPolicy, HttpClient, Verdict, scrub_obj
from connectors.sdk import Context, Declared, DeclaredConnector, Rows

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


DECLARED = (
    _statistics("share_statistics", "organizationalEntityShareStatistics", share_rows, "organizationalEntity"),
    _statistics("follower_statistics", "organizationalEntityFollowerStatistics", follower_rows, "organizationalEntity"),
    _statistics("page_statistics", "organizationPageStatistics", page_view_rows, "organization"),
    Declared(Stream("network_size", (Kind.DAILY_METRICS,), snapshot=True), "networkSizes/{org}", network_size_rows,
             params=lambda w: {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}, records=(), primary_key=("firstDegreeSize",)),
)  # fmt: skip


class LinkedInConnector(DeclaredConnector):
    """A LinkedIn organization page: statistics by day, follower total, posts and comments."""

    token_name = "LinkedIn access token"
    network: ClassVar[str] = "linkedin"
    options: ClassVar[tuple[str, ...]] = ()  # account options in the config
    declared = DECLARED
    custom_streams: ClassVar[tuple[Stream, ...]] = (
        Stream("posts", (Kind.POSTS, Kind.POST_METRICS, Kind.COMMENTS), lookback_days=POSTS_LOOKBACK_DAYS),
    )

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

    def _get(self, path: str, query: str) -> Any:
        # Rest.li 2.0 needs the query string as built (literal parentheses): no params encoding.
        body, _ = self.http.get_json(f"{self.base}/{path}?{query}")
        return body

    def _page(self, stream: str, path: str, query: str, body: Any, **extra: Any) -> Page:
        request = {"path": path, "query": query, "fetched_on": self.today.isoformat(), **extra}
        return Page(stream, scrub_obj(request, [self.credentials.token]), scrub_obj(body, [self.credentials.token]))

    def request(self, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> tuple[str, None]:
        """Rest.li 2.0 needs the query string as built (literal parentheses and colons): no params encoding."""
        org = quote(self.urn, safe="")
        query = "&".join(f"{k}={str(v).format(org=org)}" for k, v in spec.params(chunk).items())
        return f"{self.base}/{spec.path.format(org=org)}?{query}", None

    def fetch(self, stream: Stream, window: Window) -> Iterator[Page]:
        """Yield raw pages of a stream for a window: posts by hand, the rest as declared."""
        if stream.name == "posts":
            yield from self._fetch_posts(window)
        else:
            yield from super().fetch(stream, window)

    def _require_elements(self, body: Any, path: str) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("elements"), list):
            raise MalformedResponseError(
                f"LinkedIn {path} for {self.urn}: the answer has no 'elements' list (got {str(body)[:120]!r})"
            )

    def _fetch_posts(self, window: Window) -> Iterator[Page]:
        """Posts are paged with start/count, newest first; stop past the window's start."""
        org = quote(self.urn, safe="")
        start = 0
        start_ms = dt.datetime.combine(window.start, dt.time(), dt.UTC).timestamp() * 1000
        end_ms = dt.datetime.combine(window.end, dt.time(), dt.UTC).timestamp() * 1000
        seen: set[int] = set()
        while True:
            if start in seen:
                raise MalformedResponseError("LinkedIn posts paging repeats itself; stopping")
            seen.add(start)
            query = f"q=author&author={org}&count={POSTS_PAGE_SIZE}&start={start}&sortBy=CREATED"
            body = self._get("posts", query)
            self._require_elements(body, "posts")
            elements = body["elements"]
            in_window = [p for p in elements if start_ms <= (p.get("publishedAt") or p.get("createdAt") or 0) < end_ms]
            if in_window:
                landed = {
                    "elements": [_landed_post(p) for p in in_window],
                    "paging": keep(body.get("paging"), PAGING_FIELDS),
                }
                yield self._page("posts", "posts", query, landed)
                yield from self._post_details(in_window)
            oldest = min((p.get("publishedAt") or p.get("createdAt") or 0 for p in elements), default=0)
            if len(elements) < POSTS_PAGE_SIZE or oldest < start_ms:
                return
            start += len(elements)

    def _post_details(self, posts: list[dict[str, Any]]) -> Iterator[Page]:
        org = quote(self.urn, safe="")
        ids = [str(p["id"]) for p in posts if p.get("id")]
        for i in range(0, len(ids), SHARES_PER_STATS_REQUEST):
            batch = ids[i : i + SHARES_PER_STATS_REQUEST]
            shares = [u for u in batch if ":share:" in u]
            ugc = [u for u in batch if ":ugcPost:" in u]
            parts = [f"q=organizationalEntity&organizationalEntity={org}"]
            if shares:
                parts.append(f"shares={rest_li_list(shares)}")
            if ugc:
                parts.append(f"ugcPosts={rest_li_list(ugc)}")
            query = "&".join(parts)
            body = self._get("organizationalEntityShareStatistics", query)
            self._require_elements(body, "organizationalEntityShareStatistics")
            landed = {"elements": keep(body["elements"], POST_STATISTICS_FIELDS)}
            yield self._page("posts", "organizationalEntityShareStatistics", query, landed, edge="post_statistics")
        for post in posts:
            urn = str(post["id"])
            path = f"socialActions/{quote(urn, safe='')}/comments"
            start = 0
            while True:
                query = f"count=100&start={start}"
                body = self._get(path, query)
                self._require_elements(body, path)
                landed = {
                    "elements": [self._landed_comment(c) for c in body["elements"] if isinstance(c, dict)],
                    "paging": keep(body.get("paging"), PAGING_FIELDS),
                }
                yield self._page(
                    "posts", path, query, landed, edge="comments", post_id=urn,
                    published_ms=post.get("publishedAt") or post.get("createdAt"),
                )  # fmt: skip
                if len(body["elements"]) < 100:
                    break
                start += 100

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
        return kept

    # -- parsing --------------------------------------------------------------------------------

    def parse(self, stream: Stream, page: Page) -> Iterator[tuple[Kind, dict[str, Any]]]:
        """Records of one landed page."""
        if stream.name == "posts":
            yield from self._parse_posts(page)
        else:
            yield from super().parse(stream, page)

    def _parse_posts(self, page: Page) -> Iterator[tuple[Kind, dict[str, Any]]]:
        edge = page.request.get("edge")
        as_of = dt.date.fromisoformat(page.request["fetched_on"])
        if edge == "comments":
            published = dt.datetime.fromtimestamp(page.request["published_ms"] / 1000, dt.UTC)
            for c in page.body["elements"]:
                created_ms = (c.get("created") or {}).get("time")
                yield Kind.COMMENTS, {
                    "post_id": page.request["post_id"], "published_at": published,
                    "comment_id": str(c.get("$URN") or c.get("id")), "parent_id": c.get("parentComment"),
                    "created_at": dt.datetime.fromtimestamp(created_ms / 1000, dt.UTC) if created_ms else None,
                    "author_hash": c.get("author_hash"), "text": (c.get("message") or {}).get("text"),
                    "payload": json.dumps(c, sort_keys=True),
                }  # fmt: skip
            return
        if edge == "post_statistics":
            for el in page.body["elements"]:
                post_id = el.get("share") or el.get("ugcPost")
                post_published = self._published.get(str(post_id))
                if post_id is None or post_published is None:
                    continue
                stats = el.get("totalShareStatistics") or {}
                for source, metric in SHARE_METRICS.items():
                    if source in stats:
                        yield Kind.POST_METRICS, {
                            "post_id": str(post_id), "published_at": post_published, "as_of": as_of, "metric": metric,
                            "source_metric": source, "value": float(stats[source]), "payload": "{}",
                        }  # fmt: skip
            return
        for post in page.body["elements"]:
            ms = post.get("publishedAt") or post.get("createdAt")
            published = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
            self._published[str(post["id"])] = published
            yield Kind.POSTS, {
                "post_id": str(post["id"]), "published_at": published,
                "permalink": f"https://www.linkedin.com/feed/update/{post['id']}/",
                "text": post.get("commentary"), "payload": json.dumps(post, sort_keys=True),
            }  # fmt: skip

    @property
    def _published(self) -> dict[str, dt.datetime]:
        # posts pages come before their statistics pages (landing keeps the order)
        if not hasattr(self, "_published_map"):
            self._published_map: dict[str, dt.datetime] = {}
        return self._published_map


def _landed_post(post: Any) -> dict[str, Any]:
    """The declared fields of a post; mentions of people in its commentary become "@…"."""
    if not isinstance(post, dict):
        raise MalformedResponseError(f"LinkedIn posts: an element is not an object: {str(post)[:120]}")
    kept: dict[str, Any] = keep(post, POST_FIELDS)
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
