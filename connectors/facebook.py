"""Facebook Pages through the Graph API: page insights by day and the page's published posts.

Graph API facts this module relies on (developers.facebook.com, Pages API / Insights reference):
- `GET /{page-id}/insights?metric=a,b&period=day&since&until`: daily values carry `end_time`, midnight
  Pacific time at the END of the day they count (`since=2024-01-01` gives a first end_time of
  2024-01-02T08:00:00+0000). So `since=start, until=end` returns the days [start, end).
- At most 90 days between since and until; the API keeps two years of page insights.
- Insights' `paging.next` points at the NEXT time range, not more of this one: never follow it.
- One invalid metric fails the whole request with code 100 ("must be a valid insights metric"),
  without naming the metric. Meta removed page_impressions*, page_fans* and post_impressions* on
  15 Nov 2025 (replacements: page_media_view, page_follows, post_media_view).
- Errors: {"error": {"code", "error_subcode", "type", "message", "fbtrace_id"}}. 4, 17, 32, 613
  (and 80001 for Pages business use cases) are rate limits; 190 is an invalid or expired token;
  1 and 2 are transient (and any error with "is_transient": true); 1 with subcode 99 asks for less data.
- `published_posts` pages with cursors; its `paging.next` URL carries the access token.
- A post's comment edge gives top-level comments only (`filter=toplevel`, the default); `filter=stream`
  gives every comment and reply in one chronological list, each reply with `parent {id}` when asked
  `fields=parent`. `from` of a person's comment is returned only to a Page token of the Page owning the
  post; the Page's own comments and replies keep it, with `from.id` the Page id
  (tests/fixtures/recorded/facebook/comments_with_page_replies.json).
  `shares` and `message` are absent (not zero, not empty) on posts without them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from connectors import competitors
from connectors.allowlist import NUMBERS, SCALAR, Spec, keep, redact_spans
from connectors.base import (
    Account,
    ApiError,
    AuthError,
    ConnectorError,
    ConnectorWarning,
    Credentials,
    Kind,
    MalformedResponseError,
    Stream,
    StreamUnavailable,
    Window,
    pseudonymize,
)
from connectors.http import Action, ErrorPolicy, HttpClient, Verdict
from connectors.sdk import Context, Declared, DeclaredConnector, NextUrlPaginator, Request, Rows, path_part

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v25.0"
MAX_INSIGHTS_DAYS = 90
HISTORY_DAYS = 2 * 365
POSTS_PAGE_SIZE = 100
PACIFIC = ZoneInfo("America/Los_Angeles")
RATE_LIMIT_CODES = {4, 17, 32, 613, 80001}
# X-App-Usage gives percentages of a rolling one-hour window and no reset time: at 100 % wait a
# few minutes for the window to move rather than retrying within seconds.
APP_USAGE_WAIT_S = 300.0
TRANSIENT_CODES = {1, 2}

# Metrics valid since Meta's November 2025 removals, and how they map onto the unified model.
# The list is configuration (account option `metrics`); the mapping of known names lives here.
DEFAULT_PAGE_METRICS = (
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_actions_post_reactions_total",
    "page_views_total",
)
PAGE_METRIC_MAP = {
    "page_media_view": "impressions",  # replaced page_impressions in Nov 2025
    "page_total_media_view_unique": "reach",  # replaced page_impressions_unique
    "page_post_engagements": "engagements",
    "page_follows": "followers",  # replaced page_fans
    "page_daily_follows_unique": "follows",
    "page_daily_unfollows_unique": "unfollows",
    "page_actions_post_reactions_total": "reactions",  # an object by reaction type; we sum it
    "page_views_total": "page_views",
}
# Post insights (lifetime) and comments come with the posts through field expansion, so a page
# of up to 100 posts is one request instead of one per post; comments beyond the first 100 of a
# post are paged through the comment edge's own paging.next.
DEFAULT_POST_METRICS = (
    "post_media_view",  # replaced post_impressions in Nov 2025
    "post_total_media_view_unique",  # replaced post_impressions_unique
    "post_clicks",
    "post_reactions_by_type_total",
)
POST_METRIC_MAP = {
    "post_media_view": "impressions",
    "post_total_media_view_unique": "reach",
    "post_clicks": "clicks",
    "post_reactions_by_type_total": None,  # kept raw; `reactions` comes from the reactions summary
}
# status_type (added_photos, added_video, shared_story, mobile_status_update, ...) gives the post's format
# (sql/staging/posts.sql maps it; docs/data.md "Post format").
POST_BASE_FIELDS = "id,message,created_time,permalink_url,status_type,shares,reactions.summary(total_count).limit(0)"
COMMENT_FIELDS = "id,created_time,message,from,parent"
COMMENTS_PER_PAGE = 100
POSTS_LOOKBACK_DAYS = 90  # nightly runs refresh the numbers of posts up to 90 days old
PERMISSION_CODES = {10} | set(range(200, 300))  # "(#10) requires pages_read_engagement", (#2xx) permissions

# What is landed (connectors/allowlist.py). Real answers carry more: `from` (name and id of commenters
# and of the page), `message_tags` (tagged people, with offsets into the text), `likes.data` and
# `reactions.data` (who reacted), a comment's `parent.from`: the author becomes `author_hash`, tagged
# people in a text become "@…", and every field not declared here is dropped before landing.
PAGING_FIELDS: Spec = {"cursors": {"before": SCALAR, "after": SCALAR}, "next": SCALAR, "previous": SCALAR}
INSIGHT_FIELDS: Spec = {
    "name": SCALAR,
    "period": SCALAR,
    "title": SCALAR,
    "description": SCALAR,
    "id": SCALAR,
    "values": {"value": NUMBERS, "end_time": SCALAR},  # a number, or numbers by type / city / age
}
COMMENT_FIELDS_KEPT: Spec = {
    "id": SCALAR,
    "created_time": SCALAR,
    "message": SCALAR,
    "parent": {"id": SCALAR},
    "author_hash": SCALAR,
    "by_account": SCALAR,  # written by the Page itself (from.id == the Page id): the only author fact kept
}
POST_FIELDS: Spec = {
    "id": SCALAR,
    "message": SCALAR,
    "created_time": SCALAR,
    "permalink_url": SCALAR,
    "status_type": SCALAR,
    "shares": {"count": SCALAR},
    "reactions": {"summary": {"total_count": SCALAR}},
    "insights": {"data": INSIGHT_FIELDS},
    "comments": {"data": COMMENT_FIELDS_KEPT, "paging": PAGING_FIELDS, "summary": {"total_count": SCALAR}},
}


class FacebookErrorPolicy(ErrorPolicy):
    """Reads Graph API error bodies and rate-limit headers."""

    network = "facebook"

    def classify(self, response: requests.Response) -> Verdict:
        """Map a Graph answer to an action."""
        if response.status_code < 400:
            return Verdict(Action.OK)
        error = _error_body(response)
        if error is None:
            return super().classify(response)
        code = error.get("code")
        sub = error.get("error_subcode")
        message = str(error.get("message", ""))
        text = f"Facebook error {code}" + (f"/{sub}" if sub else "") + f" ({error.get('type', '')}): {message}"
        user_msg = " ".join(str(error[k]) for k in ("error_user_title", "error_user_msg") if error.get(k))
        if user_msg and user_msg not in message:
            text += f" - {user_msg}"
        if code == 190 or error.get("type") == "OAuthException" and code in (102, 463, 467):
            return Verdict(Action.AUTH, text, code="190")
        if code in RATE_LIMIT_CODES or response.status_code == 429:
            return Verdict(Action.RATE_LIMITED, text + _usage_note(response), _usage_wait_s(response), code=str(code))
        if code == 1 and sub == 99:
            return Verdict(Action.FAIL, text, code="reduce_data")
        # Graph marks errors worth another attempt with "is_transient": true (Graph API "Handling Errors");
        # every other 4xx is the same answer on the next attempt and becomes a RequestRejectedError.
        if code in TRANSIENT_CODES or response.status_code >= 500 or error.get("is_transient") is True:
            return Verdict(Action.RETRY, text, code=str(code))
        if code in PERMISSION_CODES:
            return Verdict(Action.AUTH, text, code="permission")
        lowered = message.lower()
        if code == 100 and (sub == 33 or "does not exist" in lowered or "permission" in lowered):
            # 100/33 "Unsupported get request. Object with ID ... does not exist" and 100 without a subcode
            # "(#100) Object does not exist, cannot be loaded due to missing permission ... This endpoint
            # requires the 'pages_read_engagement' permission": a wrong page id or a token without access.
            return Verdict(
                Action.FAIL,
                f"{text}. Check the account id in the config and that the token in the connection is a Page "
                f"token of that page (it needs the pages_read_engagement and read_insights permissions)",
                code="unknown_object",
            )
        if code == 100 and "metric" in lowered:
            return Verdict(Action.FAIL, text, code="invalid_metric")
        return Verdict(Action.FAIL, text, code=str(code))

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """Name the connection and how to renew a Page token."""
        if verdict.code == "permission":
            return (
                f"{verdict.message}. The token in Airflow connection '{conn_id}' is valid but lacks a permission "
                f"this read needs: create a Page token with pages_read_engagement and read_insights (the app may "
                f"need Meta's review for them) and store it as the connection's password. This error is never "
                f"retried."
            )
        return (
            f"{verdict.message}. The Page access token in Airflow connection '{conn_id}' is expired or "
            f"invalid: create a new long-lived Page token (Meta Business Suite > Settings > Advanced > "
            f"System users, or the Graph API Explorer) and store it as the connection's password. "
            f"This error is never retried."
        )


def _error_body(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _usage_wait_s(response: requests.Response) -> float | None:
    """Seconds until access returns: X-Business-Use-Case-Usage (minutes), X-App-Usage at 100 %, Retry-After."""
    waits: list[float] = []
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if raw:
        try:
            usage = json.loads(raw)
            for entries in usage.values():
                for entry in entries:
                    minutes = float(entry.get("estimated_time_to_regain_access") or 0)
                    if minutes > 0:
                        waits.append(minutes * 60.0)
        except (ValueError, AttributeError, TypeError):
            log.warning("ignoring unreadable X-Business-Use-Case-Usage header")
    if waits:
        return max(waits)
    app_usage = response.headers.get("X-App-Usage")
    if app_usage:
        try:
            usage_pct = max(float(v) for v in json.loads(app_usage).values())
        except (ValueError, AttributeError, TypeError):
            usage_pct = 0.0
        if usage_pct >= 100:
            return APP_USAGE_WAIT_S
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return float(retry_after)
        except ValueError:
            return None
    return None


def _usage_note(response: requests.Response) -> str:
    """Which of Meta's business use case limits is used up, and when access returns, in words."""
    raw = response.headers.get("X-Business-Use-Case-Usage")
    try:
        usage = json.loads(raw) if raw else {}
        entries = [e for group in usage.values() for e in group if isinstance(e, dict)]
    except (ValueError, AttributeError, TypeError):
        return ""
    notes = []
    for entry in entries:
        minutes = entry.get("estimated_time_to_regain_access") or 0
        used = max((entry.get(k) or 0 for k in ("call_count", "total_cputime", "total_time")), default=0)
        if minutes or used >= 100:
            notes.append(f"'{entry.get('type', '?')}' limit at {used} %, access returns in about {minutes} minutes")
    return f" (Meta business use case usage: {'; '.join(notes)})" if notes else ""


def end_time_to_day(end_time: str) -> dt.date:
    """The day a daily insight value counts: the Pacific calendar day that `end_time` closes."""
    try:
        moment = dt.datetime.strptime(end_time, "%Y-%m-%dT%H:%M:%S%z")
    except (TypeError, ValueError):
        raise MalformedResponseError(f"Facebook insights: end_time {end_time!r} is not an ISO timestamp") from None
    return moment.astimezone(PACIFIC).date() - dt.timedelta(days=1)


def parse_time(value: Any) -> dt.datetime:
    """Graph timestamps look like 2024-01-02T15:04:05+0000."""
    try:
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except (TypeError, ValueError):
        raise MalformedResponseError(f"Facebook: created_time {value!r} is not an ISO timestamp") from None


# -- declared streams: one function per stream turns a landed record into rows --------------------------


def insight_rows(ctx: Context, series: dict[str, Any]) -> Rows:
    """A daily insights series: one row per day (end_time closes the Pacific day it counts)."""
    name = series.get("name")
    if not name or series.get("period") not in (None, "day"):
        return
    for point in series.get("values") or []:
        yield Kind.DAILY_METRICS, {
            "day": end_time_to_day(point.get("end_time")), "metric": ctx.metric(name), "source_metric": name,
            "value": _point_number(name, point), "payload": json.dumps({"name": name, **point}, sort_keys=True),
        }  # fmt: skip


def post_rows(ctx: Context, post: dict[str, Any]) -> Rows:
    """A post with its lifetime numbers as of the day it was read, and the comments that came with it."""
    post_id = post["id"]
    published = parse_time(post.get("created_time"))
    comments = post.get("comments") or {}
    yield Kind.POSTS, {
        "post_id": post_id, "published_at": published, "permalink": post.get("permalink_url"),
        "text": post.get("message"),
        "payload": json.dumps({k: v for k, v in post.items() if k != "comments"}, sort_keys=True),
    }  # fmt: skip
    totals: dict[str, tuple[str | None, Any]] = {
        "reactions": ("reactions", ((post.get("reactions") or {}).get("summary") or {}).get("total_count")),
        "comments": ("comments", (comments.get("summary") or {}).get("total_count")),
        "shares": ("shares", (post.get("shares") or {}).get("count", 0)),  # absent `shares`: none were counted
    }
    for series in (post.get("insights") or {}).get("data") or []:
        name = series.get("name")
        values = series.get("values") or [{}]
        totals[name] = (ctx.metric(name), _number(name, values[-1].get("value")))
    for source, (metric, value) in totals.items():
        yield Kind.POST_METRICS, {
            "post_id": post_id, "published_at": published, "as_of": ctx.fetched_on, "metric": metric,
            "source_metric": source, "value": None if value is None else float(value), "payload": "{}",
        }  # fmt: skip
    for comment in comments.get("data") or []:
        yield _comment_row(post_id, published, comment)


def comment_rows(ctx: Context, comment: dict[str, Any]) -> Rows:
    """A comment beyond the first COMMENTS_PER_PAGE of a post (its post travels in the page's parent)."""
    yield _comment_row(ctx.parent["id"], parse_time(str(ctx.parent.get("created_time"))), comment)


def _comment_row(post_id: str, published: dt.datetime, comment: dict[str, Any]) -> tuple[Kind, dict[str, Any]]:
    if not comment.get("id"):
        raise MalformedResponseError(f"Facebook comments of post {post_id}: a comment without 'id'")
    return Kind.COMMENTS, {
        "post_id": post_id, "published_at": published, "comment_id": comment["id"],
        "parent_id": (comment.get("parent") or {}).get("id"), "created_at": parse_time(comment.get("created_time")),
        "author_hash": comment.get("author_hash"), "text": comment.get("message"),
        "payload": json.dumps(comment, sort_keys=True),
    }  # fmt: skip


def deleted_post(error: ConnectorError, parent: Mapping[str, Any]) -> str | None:
    """A post deleted while its comments are paged: Graph answers its comment edge with 100/33 "Object with ID
    ... does not exist" (policy code `unknown_object`). Its further comments are skipped; the rest loads."""
    if error.code != "unknown_object":
        return None
    return (
        f"Facebook post {parent.get('id')} no longer exists (deleted during the run?): Graph answered error 100 "
        f"'does not exist' for its comments, so those beyond the first {COMMENTS_PER_PAGE} were not read; "
        f"everything else loaded."
    )


def _unix_range(window: Window) -> dict[str, Any]:
    """since/until of the posts edges: the window's local days as Unix instants."""
    return {"since": int(window.start_at.timestamp()), "until": int(window.end_at.timestamp())}


# -- each stream's own hooks -----------------------------------------------------------------------


def insights_request(conn: FacebookConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """The account's metric list, or the part of it being bisected (`parent["metrics"]`)."""
    url, params = conn.request(spec, chunk, parent)
    return url, {"metric": ",".join(parent.get("metrics") or conn.metrics), **(params or {})}


def insights_narrower(
    conn: FacebookConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any], error: ConnectorError
) -> list[tuple[Window, Mapping[str, Any]]] | None:
    """Code 100 "must be a valid insights metric" names no metric: bisect the list to find it and keep the rest;
    code 1/99 asks for less data: halve the window."""
    if not isinstance(error, ApiError):
        return None
    metrics = list(parent.get("metrics") or conn.metrics)
    if error.code == "invalid_metric":
        if len(metrics) == 1:
            conn.warn_invalid("page_insights", metrics[0], "metrics", error)
            return []
        mid = len(metrics) // 2
        return [(chunk, {"metrics": metrics[:mid]}), (chunk, {"metrics": metrics[mid:]})]
    if error.code == "reduce_data" and chunk.days > 1:
        half = chunk.start + dt.timedelta(days=chunk.days // 2)
        log.warning("Facebook asked for less data; splitting %s", chunk)
        return [(chunk.with_days(chunk.start, half), parent), (chunk.with_days(half, chunk.end), parent)]
    return None


def insights_prepare(conn: FacebookConnector, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """A value that is not a number fails here, before landing."""
    for point in record.get("values") or []:
        _point_number(str(record.get("name")), point)
    return record


def posts_request(conn: FacebookConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """The fields, with the post metrics and the first comments by field expansion."""
    url, params = conn.request(spec, chunk, parent)
    return url, {"fields": conn.post_fields(conn.post_metrics), **(params or {})}


def posts_get(conn: FacebookConnector, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
    """One answer; once posts answered, their metric list is known to be valid for this run."""
    body = conn.get(spec, url, params)
    conn.post_metrics_checked = True
    return body


def posts_narrower(
    conn: FacebookConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any], error: ConnectorError
) -> list[tuple[Window, Mapping[str, Any]]] | None:
    """The first page is read with every configured post metric; only when Meta rejects one (code 100) are the
    valid ones probed (once a run), so a run without a retired metric spends no request on checking."""
    if not isinstance(error, ApiError) or error.code != "invalid_metric" or conn.post_metrics_checked:
        return None
    if conn.post_metrics:
        conn.post_metrics = conn.valid_post_metrics(chunk, error)
        conn.post_metrics_checked = True
        return [(chunk, parent)]
    return None


def posts_prepare(conn: FacebookConnector, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a post; people tagged in its message and its comments made unrecognisable."""
    return conn.landed_posts([record])[0]


def comments_request(conn: FacebookConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """A post's comment edge's next URL, as given (it carries every parameter)."""
    return str(parent["next"]), None


def comments_parents(conn: FacebookConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """The posts whose first comment page said more exist, with that page's paging.next."""
    for post in conn._parent_records("posts", window):
        comments = post.get("comments")
        nxt = (comments.get("paging") or {}).get("next") if isinstance(comments, dict) else None
        if nxt:
            yield {"id": post["id"], "created_time": post.get("created_time"), "next": nxt}


def comments_prepare(conn: FacebookConnector, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """The commenter as a keyed hash, tagged people as "@…"."""
    return conn.landed_comments([record])[0]


# Competitors (docs/competitors.md): another Page's public fields and posts, by its username or id, with the
# company's Page token. Meta allows it only with the "Page Public Content Access" feature (App Review and business
# verification; developers.facebook.com/docs/features-reference/page-public-content-access); without it Graph
# answers (#10) "To use 'Page Public Content Access', your use of this endpoint must be reviewed and approved by
# Facebook" (recorded in WSDOT/fb-comment-downloader#8). Then Facebook is left out of the comparison once, with a
# warning, never zeroed. Only public totals and each post's public counts are landed.
COMPETITOR_POSTS = 25
COMPETITOR_FIELDS = (
    f"id,username,followers_count,posts.limit({COMPETITOR_POSTS}){{id,created_time,"
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares}"
)
_COUNT: Spec = {"summary": {"total_count": SCALAR}}
COMPETITOR_KEPT: Spec = {
    "status": SCALAR,
    "message": SCALAR,
    "id": SCALAR,
    "username": SCALAR,
    "followers_count": SCALAR,
    "posts": {"data": {"id": SCALAR, "created_time": SCALAR, "reactions": _COUNT, "comments": _COUNT,
                       "shares": {"count": SCALAR}}},
}  # fmt: skip


def competitor_rows(ctx: Context, body: dict[str, Any]) -> Rows:
    """A competitor Page: its public follower total and its recent posts' public counts."""
    status = body.get("status") or ("ok" if body.get("followers_count") is not None else "no_data")
    found = body if status == "ok" else {}

    def total(post: dict[str, Any], edge: str) -> Any:
        return ((post.get(edge) or {}).get("summary") or {}).get("total_count")

    posts = [
        {"id": p["id"], "published_at": parse_time(p["created_time"]), "likes": total(p, "reactions"),
         "comments": total(p, "comments"), "shares": (p.get("shares") or {}).get("count", 0), "payload": p}
        for p in (found.get("posts") or {}).get("data") or [] if p.get("id") and p.get("created_time")
    ]  # fmt: skip
    yield from competitors.snapshot_rows(
        ctx,
        status=status,
        user_id=str(found["id"]) if found.get("id") else None,
        username=found.get("username"),
        followers=found.get("followers_count"),
        posts_total=None,
        posts=posts,
        payload=body,
    )


def competitor_request(conn: FacebookConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """GET /{page-username-or-id}?fields=... with the company's Page token."""
    return f"{conn.base}/{path_part(parent.get('handle', ''))}", {"fields": COMPETITOR_FIELDS, **conn.auth_params()}


def competitor_get(conn: FacebookConnector, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
    """The Page, or: without Page Public Content Access the whole network left out (said once); a Page that does
    not exist landed as 'not_found' and warned about by its handle (the others still load)."""
    handle = url.rsplit("/", 1)[-1]
    try:
        body, _ = conn.http.get_json(url, params)
    except AuthError as exc:
        if exc.code != "permission":
            raise
        raise StreamUnavailable(
            f"Facebook competitors are not read: this app lacks Meta's 'Page Public Content Access' feature "
            f"(App Review and business verification), which reading another Page needs ({str(exc)[:160]}). Facebook "
            f"is left out of the comparison, not counted as zero; the company's own numbers were loaded.",
            code="competitors-unavailable",
        ) from None
    except ConnectorError as exc:
        if exc.code != "unknown_object":
            raise
        message = (f"Facebook has no public Page '{handle}' to compare with. Check the competitor's facebook handle "
                   f"in the config; the other competitors were read.")  # fmt: skip
        conn.warnings.append(ConnectorWarning(spec.name, "competitor-not-found", message))
        return competitors.status_body("not_found", message)
    return body


DECLARED = (
    # `metric` is added by the request hook (the account's list, or the half of it being bisected). Insights'
    # paging.next points at the NEXT time range (see above): one page per request, never followed.
    Declared(Stream("page_insights", (Kind.DAILY_METRICS,), max_history_days=HISTORY_DAYS), "/{account_id}/insights",
             insight_rows, params=lambda w: {"period": "day", "since": w.start.isoformat(), "until": w.end.isoformat()},
             chunk_days=MAX_INSIGHTS_DAYS, primary_key=(), window_field="end_time", metric_map=PAGE_METRIC_MAP,
             keep=INSIGHT_FIELDS, also_land={"paging": PAGING_FIELDS},
             request=insights_request, narrower=insights_narrower, prepare=insights_prepare),
    # `fields` (with the post metrics and the first comments by field expansion) is added by the request hook.
    Declared(Stream("posts", (Kind.POSTS, Kind.POST_METRICS, Kind.COMMENTS), lookback_days=POSTS_LOOKBACK_DAYS),
             "/{account_id}/published_posts", post_rows, params=lambda w: {**_unix_range(w), "limit": POSTS_PAGE_SIZE},
             paginator=NextUrlPaginator(), window_field="created_time", metric_map=POST_METRIC_MAP,
             also_land={"paging": PAGING_FIELDS},
             request=posts_request, get=posts_get, narrower=posts_narrower, prepare=posts_prepare),
    # Comments beyond the first page of a post: its comment edge's own paging.next, as given (`parents`).
    Declared(Stream("comments", (Kind.COMMENTS,)), "", comment_rows, paginator=NextUrlPaginator(), parent="posts",
             part_of="posts", also_land={"paging": PAGING_FIELDS}, skip_parent=deleted_post,
             request=comments_request, parents=comments_parents, prepare=comments_prepare),
    Declared(competitors.stream(), "", competitor_rows, records=(), primary_key=(), keep=COMPETITOR_KEPT,
             parent="posts", parents=competitors.competitor_parents, request=competitor_request, get=competitor_get),
)  # fmt: skip


class FacebookConnector(DeclaredConnector):
    """Facebook Page insights and posts.

    Each stream's quirks are hooks on its declaration above (page insights bisect their metric list, posts
    probe their metrics once, comments follow a post's comment edge); what stays here is the account's: the
    token as a query parameter, the configured metric lists and the checks shared by streams."""

    token_name = "Page access token"
    network: ClassVar[str] = "facebook"
    options: ClassVar[tuple[str, ...]] = ("metrics", "post_metrics")  # account options in the config
    account_id_pattern: ClassVar[str | None] = r"\d{1,32}"
    account_id_help: ClassVar[str] = 'a Facebook Page id is a number, e.g. "104857600000001"'
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
        self.version = str(credentials.extra.get("api_version") or DEFAULT_API_VERSION)
        self.base = (credentials.base_url or DEFAULT_BASE_URL).rstrip("/") + "/" + self.version
        self.http: HttpClient = self._client(http, FacebookErrorPolicy())
        self.metrics = tuple(account.options.get("metrics") or DEFAULT_PAGE_METRICS)
        self.post_metrics: tuple[str, ...] | None = tuple(account.options.get("post_metrics") or DEFAULT_POST_METRICS)
        self.post_metrics_checked = False

    # -- hooks of the declared-stream engine ------------------------------------------------------------

    def auth_params(self) -> dict[str, Any]:
        """The Page token travels as a query parameter (never landed; paging.next URLs carry it too)."""
        return {"access_token": self.credentials.token}

    # -- Facebook's own -----------------------------------------------------------------------------

    def warn_invalid(self, stream: str, metric: str, option: str, exc: Exception) -> None:
        """A metric Facebook rejects: logged, and warned once a run in `meta.connector_warnings`."""
        message = (
            f"Facebook rejects metric '{metric}' for page {self.account.id} ({exc}); it was skipped and "
            f"everything else loaded. Remove it from `{option}` of this account in the config (Meta retires "
            f"metrics often)."
        )
        log.warning(message)
        if not any(w.code == "invalid_metric" and f"'{metric}'" in w.message for w in self._warnings):
            self._warnings.append(ConnectorWarning(stream, "invalid_metric", message))

    def post_fields(self, metrics: tuple[str, ...] | None) -> str:
        """The posts' `fields`: the post metrics and the first comments by field expansion."""
        fields = POST_BASE_FIELDS
        if metrics:
            fields += f",insights.metric({','.join(metrics)})"
        # filter(stream): replies come in the same list as the comments they answer (with `parent`), and the
        # comment edge's paging.next carries the filter, so a reply on a later page is read like a comment.
        edge = f"comments.filter(stream).limit({COMMENTS_PER_PAGE}).summary(total_count)"
        return fields + f",{edge}{{{COMMENT_FIELDS}}}"

    def valid_post_metrics(self, window: Window, exc: ApiError) -> tuple[str, ...] | None:
        """Post metrics the API accepts, after a posts request failed with code 100 (one invalid name fails
        the whole request): each metric is tried alone on one post of the window (a few requests, once a run)."""
        probe_params = {"fields": "id", **_unix_range(window), "limit": 1, **self.auth_params()}
        body, _ = self.http.get_json(f"{self.base}/{path_part(self.account.id)}/published_posts", probe_params)
        posts = body.get("data") if isinstance(body, dict) else None
        if not posts:
            return None
        post_id = posts[0]["id"]
        valid = []
        for metric in self.post_metrics or ():
            try:
                self.http.get_json(
                    f"{self.base}/{path_part(post_id)}/insights",
                    {"metric": metric, "period": "lifetime", **self.auth_params()},
                )
                valid.append(metric)
            except ApiError as probe_exc:
                if probe_exc.code != "invalid_metric":
                    raise
                self.warn_invalid("posts", metric, "post_metrics", exc)
        return tuple(valid) or None

    def landed_comments(self, comments: Any) -> list[dict[str, Any]]:
        """The declared fields of comments: the commenter as a keyed hash, tagged people as "@…"."""
        landed = []
        for comment in comments if isinstance(comments, list) else []:
            if not isinstance(comment, dict):
                continue
            author: dict[str, Any] = comment["from"] if isinstance(comment.get("from"), dict) else {}
            author_id = author.get("id") or author.get("name")
            tags = [(t.get("offset", 0), t.get("length", 0)) for t in comment.get("message_tags") or []
                    if isinstance(t, dict)]  # fmt: skip
            kept: dict[str, Any] = keep({**comment, "message": redact_spans(comment.get("message"), tags)},
                                        COMMENT_FIELDS_KEPT)  # fmt: skip
            kept["author_hash"] = pseudonymize(author_id, self.author_key)
            kept["by_account"] = author.get("id") is not None and str(author.get("id")) == self.account.id
            landed.append(kept)
        return landed

    def landed_posts(self, posts: list[Any]) -> list[dict[str, Any]]:
        """The declared fields of posts; people tagged in a post's message become "@…" (pages stay)."""
        landed = []
        for post in posts:
            if not isinstance(post, dict):
                raise MalformedResponseError(f"Facebook published_posts: a post is not an object: {str(post)[:99]}")
            tags = [(t.get("offset", 0), t.get("length", 0)) for t in post.get("message_tags") or []
                    if isinstance(t, dict) and t.get("type") != "page"]  # fmt: skip
            comments = post.get("comments")
            if isinstance(comments, dict):
                comments = {**comments, "data": self.landed_comments(comments.get("data"))}
            kept: dict[str, Any] = keep(
                {**post, "message": redact_spans(post.get("message"), tags), "comments": comments}, POST_FIELDS
            )
            if comments is None:
                kept.pop("comments", None)
            if "message" not in post:
                kept.pop("message", None)
            landed.append(kept)
        return landed


def _point_number(name: str, point: Any) -> float | None:
    """One insights value as a number (reactions come by type: {"like": 5, ...}), or a clear error."""
    point = point if isinstance(point, dict) else {"value": point}
    try:
        return _number(name, point.get("value"))
    except MalformedResponseError:
        raise MalformedResponseError(
            f"Facebook insights {name}: value {point.get('value')!r} at {point.get('end_time')} is not a number"
        ) from None


def _number(name: str, value: Any) -> float | None:
    """A metric value as a number: objects by type (reactions) are summed."""
    if value is None:
        return None
    if isinstance(value, dict):
        return float(sum(v for v in value.values() if isinstance(v, int | float)))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise MalformedResponseError(f"Facebook {name}: value {value!r} is not a number")
