"""X (formerly Twitter) accounts through the X API v2, reading as little as possible.

API facts (docs.x.com: "Fundamentals / Rate limits", "Users lookup", "User Posts timeline",
"Search Posts", "Fields", "Metrics", "Pricing"):
- GET /2/users/{id}?user.fields=public_metrics,created_at: followers_count, following_count and
  tweet_count (newer answers may spell it post_count). A user that does not exist is a 200 with an
  `errors` list (title "Not Found Error") and no `data`.
- GET /2/users/{id}/tweets: newest first, `max_results` 5..100, `pagination_token` from
  `meta.next_token`, `start_time`/`end_time` in RFC 3339; only the most recent 3,200 posts (800 with
  exclude=replies). An empty page is `{"meta": {"result_count": 0}}` without `data`.
- public_metrics: impression_count, like_count, reply_count, retweet_count (or repost_count),
  quote_count, bookmark_count. non_public_metrics / organic_metrics (url_link_clicks,
  user_profile_clicks) need a user-context token and exist only for posts under 30 days old.
- GET /2/tweets/search/recent: the last 7 days only, `max_results` 10..100, `next_token`; replies
  are found with `conversation_id:<root id>` (queries up to 512 characters). The account's own replies
  are in the conversation too: `author_id` equal to the account's user id (kept only as `by_account`).
- Every answer carries x-rate-limit-limit / -remaining / -reset (epoch seconds); a 429 says when to
  come back in x-rate-limit-reset.
- 401: the token is invalid or revoked. 403 with `"reason": "client-not-enrolled"`: the app is not
  attached to a project with access (or has no credits); 403 "Unsupported Authentication": the
  endpoint or field needs a user-context token.
- Pay-per-use billing (2026): every resource returned is a billed read (posts $0.005, users $0.010);
  the same resource twice within a UTC day is charged once. Hence the read budget below.

X has no daily account series. Each nightly run keeps a snapshot of the lifetime numbers of the
posts of the last 7 days (and of the follower total); core.account_daily derives the days from the
differences between snapshots (see README, "X").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import requests

from connectors import competitors
from connectors.allowlist import NUMBERS, SCALAR, Spec
from connectors.base import (
    Account,
    AccountOptionError,
    AuthError,
    BudgetExceededError,
    ConnectorWarning,
    Credentials,
    Kind,
    MalformedResponseError,
    Page,
    RateLimitError,
    Stream,
    StreamUnavailable,
    UnknownAccountError,
    UsageCapError,
    Window,
    pseudonymize,
)
from connectors.http import Action, ErrorPolicy, HttpClient, Verdict, retry_after_seconds
from connectors.sdk import Context, CursorParamPaginator, Declared, DeclaredConnector, Request, Rows, path_part

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.x.com"
DEFAULT_READ_BUDGET = 300  # reads per run: a small account's nightly run needs about 10
PRICE_USD = {"posts": 0.005, "users": 0.010}  # per resource read, pay-per-use (docs.x.com "Pricing")
POSTS_REFRESH_DAYS = 7  # nightly runs re-read (and snapshot) the posts of the last 7 days
SEARCH_DAYS = 6  # recent search reaches 7 days back; replies to posts of the last 6 days are complete
NON_PUBLIC_DAYS = 29  # non-public and organic metrics exist for posts under 30 days old
TIMELINE_MIN, SEARCH_MIN, PAGE_MAX = 5, 10, 100
MAX_QUERY_CHARS = 512
RATE_WINDOW_S = 15 * 60
ESTIMATE_SAFETY = 1.5  # the estimate assumes a busier window than the account's average
MENTION_RE = re.compile(r"@\w{1,15}")


# What of X's objects is landed (connectors/allowlist.py): everything else (includes.users, entities,
# geo, author_id of the company's own posts, fields X adds later) is dropped before landing.
USER_FIELDS: Spec = {"id": SCALAR, "username": SCALAR, "created_at": SCALAR, "public_metrics": NUMBERS}
POST_FIELDS: Spec = {
    "id": SCALAR,
    "text": SCALAR,
    "created_at": SCALAR,
    "conversation_id": SCALAR,
    "public_metrics": NUMBERS,
    "non_public_metrics": NUMBERS,
    "organic_metrics": NUMBERS,
}
REPLY_FIELDS: Spec = {
    "id": SCALAR,
    "text": SCALAR,  # other people's @handles replaced before this
    "created_at": SCALAR,
    "conversation_id": SCALAR,
    "lang": SCALAR,
    "referenced_tweets": {"type": SCALAR, "id": SCALAR},
    "author_hash": SCALAR,
    "by_account": SCALAR,  # written by the account itself (author_id == its user id): the only author fact kept
}
META_FIELDS: Spec = {
    "result_count": SCALAR,
    "next_token": SCALAR,
    "previous_token": SCALAR,
    "newest_id": SCALAR,
    "oldest_id": SCALAR,
}
# Competitors (docs/competitors.md): per competitor one user read (public_metrics; `protected` says whether its
# posts can be read) and one timeline page of its recent own posts (public_metrics only), at most
# COMPETITOR_POSTS posts: 1 + COMPETITOR_POSTS billed reads a night at most, estimated before the first read.
COMPETITOR_POSTS = 10  # the timeline's max_results (5..100): the posts of the last COMPETITOR_DAYS, at most
COMPETITOR_DAYS = 7
COMPETITOR_USER_FIELDS: Spec = {"id": SCALAR, "username": SCALAR, "protected": SCALAR, "public_metrics": NUMBERS}
COMPETITOR_POST_FIELDS: Spec = {"id": SCALAR, "created_at": SCALAR, "public_metrics": NUMBERS}
COMPETITOR_KEPT: Spec = {"status": SCALAR, "message": SCALAR, "data": COMPETITOR_USER_FIELDS,
                         "posts": COMPETITOR_POST_FIELDS}  # fmt: skip
# The parts of engagements, in X's names; each counts only where X sent it (see README "Engagements").
ENGAGEMENT_PARTS = ("like_count", "reply_count", "retweet_count", "quote_count", "bookmark_count")


def _problem_text(body: dict[str, Any]) -> str:
    """title: detail, and the first entries of errors[] (their message or detail)."""
    parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
    for err in (body.get("errors") or [])[:3]:
        if isinstance(err, dict):
            parts.append(str(err.get("message") or err.get("detail") or err.get("title") or ""))
    return "; ".join(p for p in parts if p)[:400]


class XErrorPolicy(ErrorPolicy):
    """Reads X's error answers (RFC 7807 problem bodies: title, type, detail, errors[])."""

    network = "x"

    def classify(self, response: requests.Response) -> Verdict:
        """Map an answer to an action."""
        status = response.status_code
        if status < 400:
            return Verdict(Action.OK)
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        detail = _problem_text(body)
        title = str(body.get("title") or "")
        kind = str(body.get("type") or "")
        if title == "UsageCapExceeded" or kind.endswith("/usage-capped"):
            return self._usage_cap(response, body)
        if status == 402 or title == "CreditsDepleted" or kind.endswith("/credits"):
            return Verdict(
                Action.QUOTA,
                f"X answered {status} CreditsDepleted ({detail}): the pay-per-use credits of the project behind "
                f"this token are used up, so every read fails until credits are bought. Buy credits (or turn on "
                f"auto-recharge) in the X Developer Console under Billing, then clear this task. This is not a "
                f"rate limit and is not retried; nothing already loaded was changed",
                code="credits-depleted",
            )
        if status == 429:
            return Verdict(Action.RATE_LIMITED, "X answered 429 Too Many Requests", reset_wait_s(response))
        if status == 401:
            return Verdict(Action.AUTH, f"X answered 401 Unauthorized ({detail})", code="401")
        if status == 403:
            reason = str(body.get("reason") or "")
            if reason == "client-not-enrolled":
                return Verdict(
                    Action.AUTH,
                    "X answered 403 client-not-enrolled: the app behind this token is not attached to a project "
                    "with API access, or its pay-per-use credits are used up. In the X Developer Console attach "
                    "the app to a project and check its credits, then store the app's token again",
                    code="client-not-enrolled",
                )
            if "unsupported-authentication" in kind:
                return Verdict(
                    Action.AUTH,
                    f"X answered 403 Unsupported Authentication ({detail}): this needs a user-context token "
                    f"(OAuth 2.0 with the account's own login), not an app-only bearer token",
                    code="unsupported-authentication",
                )
            return Verdict(Action.AUTH, f"X answered 403 Forbidden ({detail})", code="403")
        if status in (500, 502, 503, 504):
            return Verdict(Action.RETRY, f"X answered {status}", retry_after_seconds(response))
        return Verdict(Action.FAIL, f"X answered {status}: {detail or response.text[:200]}", code=str(status))

    @staticmethod
    def _usage_cap(response: requests.Response, body: dict[str, Any]) -> Verdict:
        """A 429 UsageCapExceeded is a plan's cap (monthly, daily), not the 15-minute window: the rate
        headers show calls left (x-rate-limit-remaining far from 0), so waiting minutes cannot help."""
        period = str(body.get("period") or "the plan's")
        scope = str(body.get("scope") or "")
        product = str(body.get("product_name") or "")
        remaining = response.headers.get("x-rate-limit-remaining")
        limit = response.headers.get("x-rate-limit-limit")
        rate = f"; the 15-minute rate limit is not the cause ({remaining} of {limit} calls left)" if remaining else ""
        resets = (
            "It resets at the start of the next billing month (the reset day is shown in the X Developer Console "
            "under Usage)"
            if period.lower() == "monthly"
            else f"It resets when the {period.lower()} period ends"
        )
        return Verdict(
            Action.QUOTA,
            f"X answered 429 UsageCapExceeded: the {period} usage cap"
            + (f" of product '{product}'" if product else "")
            + (f" (scope {scope})" if scope else "")
            + f" is used up ({body.get('detail') or 'usage cap exceeded'}){rate}. {resets}; until then every "
            f"read fails. Upgrade the plan or buy more usage in the X Developer Console, or wait for the reset and "
            f"clear this task. Not retried; nothing already loaded was changed",
            code="usage-cap",
        )

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """Plain words on what to do, naming the connection."""
        if verdict.code == "401":
            return (
                f"{verdict.message}. The token in Airflow connection '{conn_id}' is invalid, revoked or expired "
                f"(OAuth 2.0 user tokens live 2 hours unless refreshed). Create a new one in the X Developer "
                f"Console and store it as the connection's password. This error is never retried."
            )
        return f"{verdict.message}. Connection: '{conn_id}'. This error is never retried."


def reset_wait_s(response: requests.Response) -> float | None:
    """Seconds until x-rate-limit-reset (epoch seconds), if the header is there."""
    value = response.headers.get("x-rate-limit-reset")
    if value is None:
        return retry_after_seconds(response)
    try:
        return max(0.0, float(value) - time.time()) + 1.0
    except ValueError:
        return None


def rfc3339(at: dt.datetime) -> str:
    """An instant in UTC, as X wants it (start_time/end_time: YYYY-MM-DDTHH:mm:ssZ)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> dt.datetime:
    """X's created_at ("2026-11-18T09:12:00.000Z")."""
    if not isinstance(value, str):
        raise MalformedResponseError(f"X: created_at {value!r} is not a timestamp")
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def metric(metrics: dict[str, Any], *names: str) -> float | None:
    """The first of `names` present (X renamed retweet_count to repost_count, tweet_count to post_count)."""
    for name in names:
        value = metrics.get(name)
        if value is not None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise MalformedResponseError(f"X: metric {name} = {value!r} is not a number")
            return float(value)
    return None


# -- declared streams: one function per stream turns a landed record into rows --------------------------


def account_rows(ctx: Context, user: dict[str, Any]) -> Rows:
    """The account's lifetime counts now = at the end of the day that just ended (a daily snapshot)."""
    day = ctx.fetched_on - dt.timedelta(days=1)
    counts, payload = user["public_metrics"], json.dumps(user, sort_keys=True)
    for source in ("followers_count", "following_count", "tweet_count", "post_count", "listed_count"):
        if source in counts:
            yield Kind.DAILY_METRICS, {"day": day, "metric": ctx.metric(source), "source_metric": source,
                                       "value": metric(counts, source), "payload": payload}  # fmt: skip


def _post_rows(post: dict[str, Any], kind: Kind, as_of: dt.date) -> Rows:
    published = parse_time(post.get("created_at"))
    missing = missing_parts(post)
    for unified, source, value in post_metrics(post):
        payload = json.dumps({"missing": missing}) if unified == "engagements" and missing else "{}"
        yield kind, {"post_id": str(post["id"]), "published_at": published, "as_of": as_of, "metric": unified,
                     "source_metric": source, "value": value, "payload": payload}  # fmt: skip


def post_rows(ctx: Context, post: dict[str, Any]) -> Rows:
    """A post of the timeline and its lifetime numbers as of the day it was read."""
    username = ctx.parent.get("username") or "i"
    yield Kind.POSTS, {
        "post_id": str(post["id"]), "published_at": parse_time(post.get("created_at")),
        "permalink": f"https://x.com/{username}/status/{post['id']}", "text": post.get("text"),
        "payload": json.dumps(post, sort_keys=True),
    }  # fmt: skip
    yield from _post_rows(post, Kind.POST_METRICS, ctx.fetched_on)


def snapshot_rows(ctx: Context, post: dict[str, Any]) -> Rows:
    """The same post's numbers kept as the snapshot of the snapshot window's day (core derives days from them)."""
    if ctx.window is None:
        raise MalformedResponseError("X post_snapshots: a landed page without its window")
    yield from _post_rows(post, Kind.POST_SNAPSHOTS, ctx.window.start)


def reply_rows(ctx: Context, reply: dict[str, Any]) -> Rows:
    """A reply to one of the posts its search asked for (the roots travel in the page's parent)."""
    roots = ctx.parent["roots"]
    root = str(reply.get("conversation_id"))
    if root not in roots:
        return
    parent = next((r.get("id") for r in reply.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None)
    yield Kind.COMMENTS, {
        "post_id": root, "published_at": parse_time(roots[root]), "comment_id": str(reply["id"]),
        "parent_id": None if parent in (None, root) else str(parent),
        "created_at": parse_time(reply.get("created_at")), "author_hash": reply.get("author_hash"),
        "text": reply.get("text"), "payload": json.dumps(reply, sort_keys=True),
    }  # fmt: skip


# X pages with meta.next_token, sent back as pagination_token (timeline) or next_token (search); the last
# page has no next_token ("Pagination", docs.x.com).
TIMELINE_PAGES = CursorParamPaginator(("meta", "next_token"), "pagination_token", None)
SEARCH_PAGES = CursorParamPaginator(("meta", "next_token"), "next_token", None)

# -- each stream's own hooks -----------------------------------------------------------------------


def account_url(conn: XConnector, spec: Declared, parent: Mapping[str, Any]) -> str:
    """A username in the config (`@name`) is resolved by the same single user read (users/by/username)."""
    if not conn.account.id.isdigit():
        return f"{conn.base}/users/by/username/{path_part(conn.account.id.lstrip('@'))}"
    return conn.url(spec, parent)


def account_get(conn: XConnector, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
    """The user (1 billed user read): X answers 200 with errors[] for a user that does not exist."""
    body = conn.read(url, params)
    path = url.removeprefix(conn.base + "/")
    data = body.get("data")
    if not isinstance(data, dict):
        errors = body.get("errors") or []
        detail = errors[0].get("detail") if errors and isinstance(errors[0], dict) else str(body)[:200]
        raise UnknownAccountError(
            f"X has no account '{conn.account.id}' ({detail}). Put the numeric user id (or the @username) "
            f"of the company's X account into the config.",
            code="unknown-account",
        )
    conn.reads["users"] += 1
    if not isinstance(data.get("public_metrics"), dict):
        raise MalformedResponseError(f"X {path}: the user has no public_metrics")
    conn.set_user(data)
    return body


def posts_request(conn: XConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """Non-public metrics only for posts under 30 days old (user context); the page sized to the budget."""
    url, params = conn.request(spec, chunk, parent)
    params = dict(params or {})
    if conn.user_context and chunk.start >= conn.today - dt.timedelta(days=NON_PUBLIC_DAYS):
        params["tweet.fields"] += ",non_public_metrics,organic_metrics"
    return url, conn.sized(params, TIMELINE_MIN, "posts")


def posts_chunks(conn: XConnector, spec: Declared, window: Window) -> list[Window]:
    """The window split where non-public metrics stop existing (posts under 30 days old, user context)."""
    recent = conn.today - dt.timedelta(days=NON_PUBLIC_DAYS)
    if not conn.user_context or window.end <= recent or window.start >= recent:
        return conn.chunks(spec, window)
    return [window.with_days(window.start, recent), window.with_days(recent, window.end)]


def posts_next_request(
    conn: XConnector, spec: Declared, chunk: Window, body: Any, url: str, params: dict[str, Any] | None
) -> Request | None:
    """The next timeline page, sized to the budget left."""
    nxt = conn.next_request(spec, chunk, body, url, params)
    return None if nxt is None else (nxt[0], conn.sized(nxt[1], TIMELINE_MIN, "posts"))


def posts_get(conn: XConnector, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
    """A timeline page: a `data` list (absent when empty) and `meta`, each post with id and public_metrics."""
    body = conn.read(url, params)
    path = url.removeprefix(conn.base + "/")
    data = body.get("data", [])
    if not isinstance(data, list) or not isinstance(body.get("meta"), dict):
        raise MalformedResponseError(f"X {path}: no 'data' list or 'meta' (got {str(body)[:99]!r})")
    counted = conn.counted(body)
    for post in data:
        if not isinstance(post, dict) or "id" not in post or "public_metrics" not in post:
            raise MalformedResponseError(f"X {path}: a post lacks id or public_metrics: {str(post)[:99]}")
    return counted


def replies_parents(conn: XConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """The posts of this run published in the window with replies, as many per search query as fit into its 512
    characters (`conversation_id:<id>` clauses), after checking the budget for them."""
    posts = {str(p["id"]): p for p in conn.read_this_run("posts")}
    roots = [
        p for p in posts.values()
        if window.contains(parse_time(p.get("created_at")))
        and (metric(p["public_metrics"], "reply_count") or 0) > 0
    ]  # fmt: skip
    if not roots:
        return
    needed = int(sum(metric(p["public_metrics"], "reply_count") or 0 for p in roots))
    conn.estimated_reads += needed
    log.info("X budget for %s: %d replies to %d posts (~$%.2f); %d of %d reads used so far",
             conn.account.id, needed, len(roots), conn.cost(needed), conn.reads_used, conn.budget)  # fmt: skip
    if conn.reads_used + needed > conn.budget:  # the numbers and snapshots still land: only replies wait
        raise conn.replies_skipped(f"the {needed} replies to posts of {window} need more")
    batches: list[list[dict[str, Any]]] = [[]]
    for post in roots:
        trial = batches[-1] + [post]
        if batches[-1] and len(reply_query([str(p["id"]) for p in trial])) > MAX_QUERY_CHARS:
            batches.append([post])
        else:
            batches[-1] = trial
    for batch in batches:
        yield {"roots": {str(p["id"]): p["created_at"] for p in batch}}


def replies_request(conn: XConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """The search query of the batch of posts; the page sized to the budget."""
    url, params = conn.request(spec, chunk, parent)
    params = {"query": reply_query(list(parent["roots"])), **(params or {})}
    return url, conn.sized(params, SEARCH_MIN, "replies")


def replies_next_request(
    conn: XConnector, spec: Declared, chunk: Window, body: Any, url: str, params: dict[str, Any] | None
) -> Request | None:
    """The next search page, sized to the budget left."""
    nxt = conn.next_request(spec, chunk, body, url, params)
    return None if nxt is None else (nxt[0], conn.sized(nxt[1], SEARCH_MIN, "replies"))


def replies_prepare(conn: XConnector, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """The author becomes a keyed hash and other people's @handles "@…", before landing."""
    return conn._pseudonymised(record)


def reply_query(ids: list[str]) -> str:
    """Recent search's query for the replies to these posts (`conversation_id:` clauses, OR-ed)."""
    clauses = " OR ".join(f"conversation_id:{i}" for i in ids)
    return f"({clauses}) is:reply" if len(ids) > 1 else f"{clauses} is:reply"


def competitor_rows(ctx: Context, body: dict[str, Any]) -> Rows:
    """One competitor: its public totals (followers, posts) and its recent posts' public counts."""
    user: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
    status = body.get("status") or ("no_data" if user.get("protected") else "ok")
    counts = user.get("public_metrics") or {}
    posts = []
    for post in body.get("posts") or []:
        public = post.get("public_metrics") or {}
        reposts, quotes = metric(public, "retweet_count", "repost_count"), metric(public, "quote_count")
        posts.append({"id": post["id"], "published_at": parse_time(post.get("created_at")),
                      "likes": metric(public, "like_count"), "comments": metric(public, "reply_count"),
                      "shares": None if reposts is None and quotes is None else (reposts or 0.0) + (quotes or 0.0),
                      "payload": post})  # fmt: skip
    yield from competitors.snapshot_rows(
        ctx,
        status=status,
        user_id=str(user["id"]) if status != "not_found" and user.get("id") else None,
        username=user.get("username"),
        followers=counts.get("followers_count") if status == "ok" else None,
        posts_total=metric(counts, "tweet_count", "post_count") if status == "ok" else None,
        posts=posts,
        payload=body,
    )


def competitor_request(conn: XConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """The competitor's user: by id (digits) or by username."""
    handle = str(parent.get("handle", "")).lstrip("@")
    where = f"users/{path_part(handle)}" if handle.isdigit() else f"users/by/username/{path_part(handle)}"
    return f"{conn.base}/{where}", {"user.fields": "public_metrics,username,protected"}


def competitor_get(conn: XConnector, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
    """The user (1 billed read) and, unless it is protected, one timeline page of its recent own posts (public
    counts only, each post a billed read). A user X does not know is landed as 'not_found' and warned about by
    its handle; the other competitors still load."""
    handle = url.rsplit("/", 1)[-1]
    body = conn.read(url, params)
    user = body.get("data")
    if not isinstance(user, dict) or not user.get("id"):
        errors = body.get("errors") or []
        detail = errors[0].get("detail") if errors and isinstance(errors[0], dict) else str(body)[:200]
        message = (f"X has no account '{handle}' to compare with ({detail}). Check the competitor's x handle in "
                   f"the config; the other competitors were read.")  # fmt: skip
        conn.warnings.append(ConnectorWarning(spec.name, "competitor-not-found", message))
        return competitors.status_body("not_found", message)
    conn.count_competitor("users", 1)
    if user.get("protected"):
        conn.warnings.append(ConnectorWarning(spec.name, "competitor-no-data", (
            f"X account '{handle}' is protected: its posts are not public, so it is reported as 'no data', not as "
            f"zero.")))  # fmt: skip
        return {"status": "no_data", "data": user}
    since = dt.datetime.combine(conn.today - dt.timedelta(days=COMPETITOR_DAYS), dt.time(), dt.UTC)
    page = conn.read(f"{conn.base}/users/{path_part(user['id'])}/tweets", {
        "tweet.fields": "created_at,public_metrics", "exclude": "retweets,replies", "start_time": rfc3339(since),
        "max_results": COMPETITOR_POSTS})  # fmt: skip
    posts = page.get("data") or []
    if not isinstance(posts, list):
        raise MalformedResponseError(f"X timeline of competitor {handle}: 'data' is not a list")
    conn.count_competitor("posts", len(posts))
    return {"data": user, "posts": posts}


DECLARED = (
    Declared(Stream("account", (Kind.DAILY_METRICS,), snapshot=True), "/users/{account_id}", account_rows,
             params=lambda w: {"user.fields": "public_metrics,created_at,username"}, single=True, keep=USER_FIELDS,
             metric_map={"followers_count": "followers"}, url=account_url, get=account_get),
    Declared(
        Stream("posts", (Kind.POSTS, Kind.POST_METRICS), lookback_days=POSTS_REFRESH_DAYS,
               max_lookback_days=POSTS_REFRESH_DAYS),
        "/users/{parent_id}/tweets", post_rows, parent="account", parent_fields=("id", "username"),
        params=lambda w: {"tweet.fields": "created_at,public_metrics", "exclude": "retweets,replies",
                          "start_time": rfc3339(w.start_at), "end_time": rfc3339(w.end_at)},
        paginator=TIMELINE_PAGES, window_field="created_at", keep=POST_FIELDS, also_land={"meta": META_FIELDS},
        request=posts_request, chunks=posts_chunks, next_request=posts_next_request, get=posts_get,
    ),
    # The same timeline pages, kept as the snapshot of the day that just ended: no extra reads.
    Declared(Stream("post_snapshots", (Kind.POST_SNAPSHOTS,), snapshot=True), "", snapshot_rows, reuses="posts"),
    Declared(
        Stream("replies", (Kind.COMMENTS,), lookback_days=SEARCH_DAYS, max_lookback_days=SEARCH_DAYS,
               max_history_days=SEARCH_DAYS),
        "/tweets/search/recent", reply_rows, parent="posts",  # parents grouped into queries (replies_parents)
        params=lambda w: {"start_time": rfc3339(w.start_at),  # within the 7 days search reaches (SEARCH_DAYS)
                          "tweet.fields": "author_id,created_at,conversation_id,referenced_tweets"},
        paginator=SEARCH_PAGES, window_field="created_at", keep=REPLY_FIELDS, also_land={"meta": META_FIELDS},
        parents=replies_parents, request=replies_request, next_request=replies_next_request, prepare=replies_prepare,
    ),
    Declared(competitors.stream(), "", competitor_rows, records=(), primary_key=(), keep=COMPETITOR_KEPT,
             parent="account", parents=competitors.competitor_parents, request=competitor_request, get=competitor_get),
)  # fmt: skip


class XConnector(DeclaredConnector):
    """An X account: follower snapshot, posts with lifetime numbers (snapshotted nightly), replies.

    X's own hooks: the read budget (`read_budget`: a run stops before it would read more than it may pay
    for, and pages are sized to what is left), the wait for a used-up rate window, replies searched
    for many posts in one query, and the account read once per run."""

    token_name = "X API bearer token"
    network: ClassVar[str] = "x"
    options: ClassVar[tuple[str, ...]] = ("read_budget",)  # account options in the config
    # A numeric user id (64-bit), or a username: 1-15 letters, digits or _ (help.x.com "Choosing a username").
    account_id_pattern: ClassVar[str | None] = r"\d{1,20}|@?[A-Za-z0-9_]{1,15}"
    account_id_help: ClassVar[str] = (
        'an X account id is the numeric user id, e.g. "1480000000000000001", or the @username (1-15 letters, '
        "digits or _)"
    )
    derives_daily_from_posts: ClassVar[bool] = True
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
        self.base = (credentials.base_url or DEFAULT_BASE_URL).rstrip("/") + "/2"
        self.user_context = bool(credentials.extra.get("user_context"))
        budget = account.options.get("read_budget", DEFAULT_READ_BUDGET)
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise AccountOptionError(
                f"x/{account.id}: read_budget must be a whole number of reads per run (got {budget!r}); "
                f"see README 'X' for sizing it."
            )
        self.budget = budget
        self.http: HttpClient = self._client(http, XErrorPolicy(), {"Authorization": f"Bearer {credentials.token}"})
        # X's windows are 15 minutes: waiting for a whole one is still worth it, a longer wait is not.
        self.http.max_rate_limit_wait_s = max(self.http.max_rate_limit_wait_s, RATE_WINDOW_S + 60)
        self.reads: dict[str, int] = {"posts": 0, "users": 0}
        self.competitor_reads: dict[str, int] = {"posts": 0, "users": 0}  # part of `reads`
        self.estimated_reads = 0
        self._user: dict[str, Any] | None = None
        self._user_pages: list[Page] | None = None
        self._reset_at: float | None = None

    # -- reads, budget and rate limits ----------------------------------------------------------

    @property
    def usage(self) -> dict[str, Any]:
        """Reads (billed resources) used so far, their cost, the budget and the estimate."""
        return {
            "reads": dict(self.reads),
            "cost_usd": {k: round(v * PRICE_USD[k], 4) for k, v in self.reads.items()},
            "budget": self.budget,
            "estimated_reads": self.estimated_reads,
            "competitor_reads": dict(self.competitor_reads),
        }

    def count_competitor(self, resource: str, n: int) -> None:
        """Billed reads of competitors (in the run's reads and, apart, in `competitor_reads`)."""
        self.reads[resource] += n
        self.competitor_reads[resource] += n

    def competitor_estimate(self) -> int:
        """The most reads the competitors may take this night: 1 user and COMPETITOR_POSTS posts each."""
        return len(competitors.listed(self)) * (1 + COMPETITOR_POSTS)

    def _check_competitor_budget(self) -> None:
        """Before the first competitor read: show the estimate; skip them (a warning) when over the budget."""
        listed = competitors.listed(self)
        if not listed:
            return
        need = self.competitor_estimate()
        self.estimated_reads = max(self.estimated_reads, self.reads_used + need)
        log.info(
            "X budget for %s: at most %d reads (~$%.2f a night, ~$%.2f a month) for %d competitors; budget %d "
            "reads, %d used so far", self.account.id, need, self.cost(need - len(listed), len(listed)),
            30 * self.cost(need - len(listed), len(listed)), len(listed), self.budget, self.reads_used,
        )  # fmt: skip
        if self.reads_used + need > self.budget:
            raise StreamUnavailable(
                f"competitors are not read this run: {len(listed)} competitors need up to {need} reads and only "
                f"{self.budget - self.reads_used} of the read budget of {self.budget} are left. The company's own "
                f"numbers were loaded. To compare, {self._raise_hint(self.reads_used + need)}.",
                code="competitors-over-budget",
            )

    @property
    def reads_used(self) -> int:
        """All billed reads of this run so far."""
        return sum(self.reads.values())

    def cost(self, posts: int, users: int = 0) -> float:
        """What these reads cost in US dollars (pay-per-use prices, PRICE_USD)."""
        return posts * PRICE_USD["posts"] + users * PRICE_USD["users"]

    def _raise_hint(self, need: int | None = None) -> str:
        """Where to raise the budget: a history load's comes from its Trigger form (plan_history marks it)."""
        to = f" to {need} or more" if need else ""
        if self.account.options.get("read_budget_from") == "history form":
            return (
                f"raise 'X read budget for this load' in the history form{to} (or `socialmetrics history "
                f"--x-read-budget`)"
            )
        return f"raise `read_budget` for this account in the config{to}"

    def _stop(self, why: str, need: int | None = None) -> BudgetExceededError:
        return BudgetExceededError(
            f"x/{self.account.id}: {why}. The read budget is {self.budget} reads per run; {self.reads_used} were "
            f"used (about ${self.cost(self.reads['posts'], self.reads['users']):.2f}). Nothing of this account "
            f"was loaded by this run and earlier data is unchanged. To load it, {self._raise_hint(need)}, or load "
            f"fewer days per run.",
            code="budget",
        )

    def _page_size(self, minimum: int, what: str) -> int:
        left = self.budget - self.reads_used
        if left < minimum:
            raise self._stop(f"reading more {what} needs at least {minimum} reads, only {left} are left")
        return min(PAGE_MAX, left)

    def sized(self, params: dict[str, Any] | None, minimum: int, what: str) -> dict[str, Any]:
        """The read budget: every page asks for no more posts than the budget has left (at least `minimum`, the
        endpoint's smallest `max_results`, or the run stops)."""
        return {**(params or {}), "max_results": self._page_size(minimum, what)}

    def _check_posts_budget(self, window: Window) -> None:
        """Before any post is read: stop if this window's posts would need more reads than the budget."""
        rate = self._posts_per_day()
        estimate = math.ceil(rate * window.days * ESTIMATE_SAFETY) + 1
        self.estimated_reads = self.reads_used + estimate
        log.info(
            "X budget for %s: about %d reads (~$%.2f) for posts of %s (the account averages %.1f posts a day); "
            "budget %d reads, %d used so far",
            self.account.id, self.estimated_reads, self.cost(self.estimated_reads - self.reads["users"],
                                                              self.reads["users"]),
            window, rate, self.budget, self.reads_used,
        )  # fmt: skip
        if self.estimated_reads > self.budget:
            raise self._stop(
                f"this run would need about {self.estimated_reads} reads for posts of {window}, more than the "
                f"budget; no post was read",
                need=self.estimated_reads,
            )

    def read(self, url: str, params: dict[str, Any] | None) -> Any:
        """One answer, after waiting for a used-up rate window; its object checked."""
        path = url.removeprefix(self.base + "/")
        if self._reset_at is not None:  # the last answer said this window's calls are used up
            wait = self._reset_at - time.time()
            self._reset_at = None
            if wait > self.http.max_rate_limit_wait_s:
                resume = time.strftime("%H:%M UTC", time.gmtime(time.time() + wait))
                raise RateLimitError(
                    f"X rate limit for {path} is used up until {resume} ({wait / 60:.0f} minutes). Nothing was "
                    f"lost: clear this task to retry after that."
                )
            if wait > 0:
                log.warning("X rate limit used up; waiting %.0f s for its reset", wait)
                self.http.waited_s += wait
                self.http.sleep(wait)
        body, response = self.http.get_json(url, params)
        remaining = response.headers.get("x-rate-limit-remaining")
        if remaining is not None and remaining.strip() == "0":
            reset_in = reset_wait_s(response)
            self._reset_at = time.time() + reset_in if reset_in is not None else None
        if not isinstance(body, dict):
            raise MalformedResponseError(f"X {path}: the answer is not a JSON object (got {str(body)[:120]!r})")
        return body

    # -- hooks of the declared-stream engine (the streams' own are beside DECLARED) ---------------------

    def get(self, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
        """One answer (reply search; the account and posts have their own): rate window, billed reads counted."""
        return self.counted(self.read(url, params))

    def counted(self, body: dict[str, Any]) -> dict[str, Any]:
        """An answer's posts counted as billed reads (an empty page has no `data` at all)."""
        data = body.get("data", [])
        if not isinstance(data, list):
            raise MalformedResponseError(f"X search: 'data' is not a list (got {str(data)[:120]!r})")
        self.reads["posts"] += len(data)
        return {**body, "data": data}

    def set_user(self, user: dict[str, Any]) -> None:
        """The account as read this run (its id, username and counts)."""
        self._user = user

    # -- the account --------------------------------------------------------------------------------

    def _account_pages(self, window: Window | None = None) -> list[Page]:
        """The account is read once per run (one billed user read): posts need it first (id, posting rate)."""
        if self._user_pages is None:
            window = window or Window(self.today - dt.timedelta(days=1), self.today)
            self._user_pages = list(super().fetch(self.spec("account").stream, window))
        return self._user_pages

    def user(self) -> dict[str, Any]:
        """The account (one billed user read per run), with its public counts."""
        self._account_pages()
        assert self._user is not None  # set by `get`, or it raised
        return self._user

    def _posts_per_day(self) -> float:
        user = self.user()
        total = metric(user["public_metrics"], "tweet_count", "post_count") or 0.0
        created = parse_time(user["created_at"]).date() if user.get("created_at") else self.today
        return total / max(1, (self.today - created).days)

    # -- fetching --------------------------------------------------------------------------------

    def fetch(self, stream: Stream, window: Window) -> Iterator[Page]:
        """Yield raw pages of a stream for a window (declared), with X's budget checks around it."""
        if stream.name == "account":
            yield from self._account_pages(window)
            return
        if stream.name == "posts":
            self._check_posts_budget(window)
        if stream.name == competitors.STREAM:
            self._check_competitor_budget()
        if stream.name != "replies":
            yield from super().fetch(stream, window)
            return
        try:
            yield from super().fetch(stream, window)
        except UsageCapError:
            raise
        except BudgetExceededError as exc:
            raise self.replies_skipped(str(exc)) from None
        except AuthError as exc:
            if exc.code in ("client-not-enrolled", "403", "unsupported-authentication"):
                raise StreamUnavailable(
                    f"replies are not read: recent search is not available with this token ({exc}). The "
                    f"numbers were loaded; replies loaded earlier are kept.",
                    code="replies-unavailable",
                ) from None
            raise

    def replies_skipped(self, why: str) -> StreamUnavailable:
        """The warning that replies wait for a larger budget (the numbers and snapshots still load)."""
        return StreamUnavailable(
            f"replies are not read this run: {why}; the read budget is {self.budget} reads per run and "
            f"{self.reads_used} were used. The numbers and snapshots were loaded, replies loaded earlier are kept. "
            f"To read them, {self._raise_hint()}.",
            code="replies-over-budget",
        )

    def _pseudonymised(self, reply: dict[str, Any]) -> dict[str, Any]:
        """Replace the author by a keyed hash and other people's @handles in the text, before landing."""
        reply = dict(reply)
        author = reply.pop("author_id", None)
        reply.pop("in_reply_to_user_id", None)
        reply.pop("entities", None)
        reply["author_hash"] = pseudonymize(str(author) if author else None, self.author_key)
        own_id = (self._user or {}).get("id")
        reply["by_account"] = author is not None and own_id is not None and str(author) == str(own_id)
        own = "@" + str((self._user or {}).get("username") or "").lower()
        text = reply.get("text")
        if isinstance(text, str):
            reply["text"] = MENTION_RE.sub(lambda m: m.group(0) if m.group(0).lower() == own else "@…", text)
        return reply


def missing_parts(post: dict[str, Any]) -> str | None:
    """The public counts X did not send for a post (comma-separated), e.g. bookmark_count on older answers."""
    public: dict[str, Any] = post["public_metrics"] if isinstance(post.get("public_metrics"), dict) else {}
    aliases = {"retweet_count": ("retweet_count", "repost_count")}
    absent = [n for n in ENGAGEMENT_PARTS if all(public.get(a) is None for a in aliases.get(n, (n,)))]
    return ",".join(absent) or None


def post_metrics(post: dict[str, Any]) -> list[tuple[str | None, str, float]]:
    """(unified metric, X metric, value) of one post: only what X sent (a count it did not send is no row,
    so it stays NULL); engagements sum the parts X reported, and its source names the parts it sums."""
    public = post.get("public_metrics")
    if not isinstance(public, dict):
        raise MalformedResponseError(f"X post {post.get('id')}: public_metrics missing")
    likes = metric(public, "like_count")
    replies = metric(public, "reply_count")
    reposts = metric(public, "retweet_count", "repost_count")
    quotes = metric(public, "quote_count")
    bookmarks = metric(public, "bookmark_count")
    out: list[tuple[str | None, str, float]] = []
    if likes is not None:
        out.append(("reactions", "like_count", likes))
    if replies is not None:
        out.append(("comments", "reply_count", replies))
    if reposts is not None or quotes is not None:
        out.append(("shares", "retweet_count+quote_count", (reposts or 0.0) + (quotes or 0.0)))
    if bookmarks is not None:
        out.append((None, "bookmark_count", bookmarks))
    impressions = metric(public, "impression_count")
    if impressions is not None:
        out.append(("impressions", "impression_count", impressions))
    private = post.get("non_public_metrics") or post.get("organic_metrics")
    clicks = None
    if isinstance(private, dict) and ("url_link_clicks" in private or "user_profile_clicks" in private):
        clicks = (metric(private, "url_link_clicks") or 0.0) + (metric(private, "user_profile_clicks") or 0.0)
        out.append(("clicks", "url_link_clicks+user_profile_clicks", clicks))
    parts = {"like_count": likes, "reply_count": replies, "retweet_count": reposts, "quote_count": quotes,
             "bookmark_count": bookmarks, "clicks": clicks}  # fmt: skip
    reported = [v for v in parts.values() if v is not None]
    if reported:
        out.append(("engagements", "likes+replies+reposts+quotes+bookmarks+clicks", sum(reported)))
    return out
