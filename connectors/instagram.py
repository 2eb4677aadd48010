"""Instagram professional accounts through the Graph API (Instagram API with Facebook Login), on
declared streams (connectors/sdk.py). The Page token of the Page the account is linked to reads it.

Graph API facts this module relies on (developers.facebook.com, Instagram Platform: IG User, IG User
Insights, IG Media, IG Media Insights, IG Comment; checked against the docs of June 2026):
- The account is the IG user id (17841...), not the Page id. `GET /{page-id}?fields=instagram_business_account`
  gives it; a Page without a linked professional account has no such field.
- `GET /{ig-user-id}/insights?metric=...&period=day&since&until`: at most 30 days between since and until,
  two years of history. `impressions` was removed (v22.0, all versions 21 Apr 2025), replaced by `views`;
  `profile_views`, `website_clicks` and the other contact clicks were removed 8 Jan 2025.
- `reach` gives a daily `time_series` (values with `end_time`: midnight Pacific at the END of the day
  counted, as on Pages). `follower_count` is a daily time series of NEW followers (not the total), only
  for the last 30 days and only for accounts with 100 followers or more. `views`, `likes`, `comments`,
  `shares`, `saves`, `total_interactions`, `accounts_engaged` exist only as `metric_type=total_value`:
  one total for the whole since..until range, so a daily value costs one request per day.
- Data may arrive up to 48 hours late; a metric without data is left out (an empty list), not 0.
- The follower total is a field of the account (`followers_count`), with no history: a nightly snapshot.
- `GET /{ig-user-id}/media` (since/until, limit up to 100) pages with `paging.cursors.after` and
  `paging.next` (absent on the last page; next carries the token). `like_count` is absent when the
  owner hid likes; `caption` is absent on media without one.
- `GET /{ig-media-id}/insights?metric=views,reach,...`: lifetime values. Media posted before the account
  became a professional account answer 100/2108006; such a media's insights are skipped, not the run.
- `GET /{ig-media-id}/comments?fields=id,text,timestamp,username,from,parent_id`: top-level comments, paged
  like media; `username` and `from` name the commenter (hashed before landing, never kept). Replies come
  inline with `replies{...}` field expansion (the first page, with its own `paging.next`) or from
  `GET /{ig-comment-id}/replies`; a reply's `from.id` is the account's own id when the account answered
  (tests/fixtures/recorded/instagram/comment_replies.json: default fields carry no author, so `from` is asked).
- Errors are the Graph envelope: 190 expired token, 4/17/32/613 rate limits, 10 and 200-299 permissions
  (instagram_basic, instagram_manage_insights, pages_read_engagement), 100 invalid parameter/metric.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from connectors import competitors
from connectors.allowlist import MENTION_PLACEHOLDER, NUMBERS, SCALAR, Spec
from connectors.base import (
    Account,
    ConnectorError,
    ConnectorWarning,
    Credentials,
    Kind,
    MalformedResponseError,
    Page,
    Stream,
    UnknownAccountError,
    Window,
    pseudonymize,
)
from connectors.facebook import DEFAULT_API_VERSION, DEFAULT_BASE_URL, FacebookErrorPolicy
from connectors.http import HttpClient, Verdict
from connectors.sdk import (
    Context,
    CursorParamPaginator,
    Declared,
    DeclaredConnector,
    NextUrlPaginator,
    Request,
    Rows,
    path_part,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
MAX_INSIGHTS_DAYS = 30
HISTORY_DAYS = 2 * 365
FOLLOWER_COUNT_DAYS = 30
TOTALS_LOOKBACK_DAYS = 7  # nightly re-reads of the per-day totals (late data is up to 48 h); one request a day
MEDIA_LOOKBACK_DAYS = 90  # nightly runs refresh the lifetime numbers of media up to 90 days old
PAGE_SIZE = 100
MEDIA_SKIP_SUBCODES = {2108006}  # "Media posted before business account conversion"
MENTION_RE = re.compile(r"(?<![\w.])@[A-Za-z0-9._]{1,30}")

TIME_SERIES_METRICS = {"reach": "reach", "follower_count": "follows"}  # follower_count: NEW followers a day
TOTAL_VALUE_METRICS: dict[str, str | None] = {
    "views": "impressions",  # replaced `impressions` in 2025
    "total_interactions": "engagements",
    "likes": "reactions",
    "comments": "comments",
    "shares": "shares",
    "saves": None,  # no unified column: kept raw
    "accounts_engaged": None,  # unique accounts, not a count of actions: kept raw
}
MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
MEDIA_METRICS: dict[str, str | None] = {
    "views": "impressions",
    "reach": "reach",
    "shares": "shares",
    "total_interactions": "engagements",
    "likes": None,  # `like_count` of the media gives reactions (also when insights are skipped)
    "comments": None,  # `comments_count` of the media gives comments
    "saved": None,
}
MEDIA_FIELD_METRICS = {"like_count": "reactions", "comments_count": "comments"}
REPLY_FIELDS = "id,text,timestamp,username,from,parent_id"
COMMENT_FIELDS = f"id,text,timestamp,username,from,parent_id,like_count,replies{{{REPLY_FIELDS}}}"

# What is landed (connectors/allowlist.py): the commenter (`username`, `from`) becomes author_hash.
INSIGHT_KEPT: Spec = {
    "name": SCALAR,
    "period": SCALAR,
    "title": SCALAR,
    "id": SCALAR,
    "values": {"value": NUMBERS, "end_time": SCALAR},
    "total_value": {"value": NUMBERS},
}
ACCOUNT_KEPT: Spec = {"id": SCALAR, "followers_count": SCALAR, "media_count": SCALAR}
MEDIA_KEPT: Spec = {k: SCALAR for k in MEDIA_FIELDS.split(",")}
# by_account: written by the account itself (from.id == the account id), the only author fact kept.
REPLY_KEPT: Spec = {"id": SCALAR, "text": SCALAR, "timestamp": SCALAR, "parent_id": SCALAR, "author_hash": SCALAR,
                    "by_account": SCALAR}  # fmt: skip
PAGING_KEPT: Spec = {"cursors": {"before": SCALAR, "after": SCALAR}, "next": SCALAR}
COMMENT_KEPT: Spec = {"id": SCALAR, "text": SCALAR, "timestamp": SCALAR, "parent_id": SCALAR,
                      "like_count": SCALAR, "author_hash": SCALAR, "by_account": SCALAR,
                      "replies": {"data": REPLY_KEPT, "paging": PAGING_KEPT}}  # fmt: skip


# Competitors by Business Discovery (developers.facebook.com, "IG User > Business Discovery"): the company's own
# account reads another professional account's public numbers by its username only; the answer's outer id is the
# caller's, business_discovery.id the other account's (stable across renames). A username that is no professional
# account answers 400 with code 110, subcode 2207013 ("Invalid user id"); an account Instagram shows nothing of
# (age-gated, restricted) answers without business_discovery or without its counts. Only public totals and each
# recent media's public counts are landed: no caption, no picture, no follower, no commenter.
BD_MEDIA_LIMIT = 25  # recent media per night: enough for a week of a busy account
BD_USERNAME_RE = re.compile(r"business_discovery\.username\(([A-Za-z0-9._]{1,30})\)")
BD_NOT_FOUND = {"110", "2207013"}
COMPETITOR_KEPT: Spec = {
    "status": SCALAR,
    "message": SCALAR,
    "business_discovery": {
        "id": SCALAR,
        "username": SCALAR,
        "followers_count": SCALAR,
        "media_count": SCALAR,
        "media": {"data": {"id": SCALAR, "timestamp": SCALAR, "like_count": SCALAR, "comments_count": SCALAR}},
    },
}


class InstagramErrorPolicy(FacebookErrorPolicy):
    """Graph errors as Facebook reads them, with Instagram's fixes in the messages."""

    network = "instagram"

    def classify(self, response: requests.Response) -> Verdict:
        """Map a Graph answer to an action; name what to fix for Instagram."""
        verdict = super().classify(response)
        verdict.message = verdict.message.replace("Facebook error", "Instagram (Graph API) error", 1)
        lowered = verdict.message.lower()
        if verdict.code == "unknown_object" or "on node type (page)" in lowered:
            verdict.code = "unknown_object"
            verdict.message = (
                verdict.message.split(". Check the account id")[0]
                + ". Check that the account id in the config is the Instagram professional account's id (17841…, "
                "`GET /{page-id}?fields=instagram_business_account` gives it), not the Facebook Page id, and that "
                "the token in the connection is a Page token of the Page it is linked to"
            )
        return verdict

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """Name the connection and the permissions Instagram needs."""
        if verdict.code == "permission":
            return (
                f"{verdict.message}. The token in Airflow connection '{conn_id}' is valid but lacks a permission: "
                f"create a Page token (of the Page the Instagram account is linked to) with instagram_basic, "
                f"instagram_manage_insights, pages_read_engagement and pages_show_list, and store it as the "
                f"connection's password. This error is never retried."
            )
        return (
            f"{verdict.message}. The Page access token in Airflow connection '{conn_id}' is expired or invalid: "
            f"create a new long-lived Page token of the Page the Instagram account is linked to and store it as "
            f"the connection's password. This error is never retried."
        )


def end_time_to_day(end_time: Any) -> dt.date:
    """The day a daily value counts: the Pacific calendar day that `end_time` closes. Read as the nearest
    Pacific midnight, because answers are seen with a fixed UTC-7 offset all year (07:00+0000 in January,
    Airbyte's recorded user insights), which is 23:00 of the day before in winter."""
    try:
        moment = dt.datetime.strptime(str(end_time), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise MalformedResponseError(f"Instagram insights: end_time {end_time!r} is not an ISO timestamp") from None
    return (moment.astimezone(PACIFIC) + dt.timedelta(hours=12)).date() - dt.timedelta(days=1)


def parse_time(value: Any) -> dt.datetime:
    """Graph timestamps look like 2024-01-02T15:04:05+0000."""
    try:
        return dt.datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except ValueError:
        raise MalformedResponseError(f"Instagram: timestamp {value!r} is not an ISO timestamp") from None


def number(name: str, value: Any) -> float | None:
    """A metric value as a number (an object by breakdown is summed); None stays None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return float(sum(v for v in value.values() if isinstance(v, int | float) and not isinstance(v, bool)))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise MalformedResponseError(f"Instagram {name}: value {value!r} is not a number")


def _daily(day: dt.date, ctx: Context, source: str, value: float | None, payload: Any) -> tuple[Kind, dict[str, Any]]:
    return Kind.DAILY_METRICS, {"day": day, "metric": ctx.metric(source), "source_metric": source, "value": value,
                                "payload": json.dumps(payload, sort_keys=True)}  # fmt: skip


# -- one function per stream: a landed record -> rows -----------------------------------------------


def time_series_rows(ctx: Context, series: dict[str, Any]) -> Rows:
    """A daily time series (reach, follower_count): one row per value, dated by its end_time."""
    name = str(series.get("name"))
    for point in series.get("values") or []:
        yield _daily(end_time_to_day(point.get("end_time")), ctx, name, number(name, point.get("value")),
                     {"name": name, **point})  # fmt: skip


def total_value_rows(ctx: Context, series: dict[str, Any]) -> Rows:
    """A total_value metric read for one day (the request's since..until): one row for that day."""
    name = str(series.get("name"))
    if ctx.window is None or ctx.window.days != 1:
        raise MalformedResponseError(f"Instagram {name}: a total_value page must cover exactly one day")
    value = (series.get("total_value") or {}).get("value")
    yield _daily(ctx.window.start, ctx, name, number(name, value), {"name": name, "total_value": value})


def account_rows(ctx: Context, account: dict[str, Any]) -> Rows:
    """The follower total, a snapshot at the end of the day that just ended (the window's last day)."""
    if ctx.window is None or account.get("followers_count") is None:
        return
    day = ctx.window.end - dt.timedelta(days=1)
    yield _daily(day, ctx, "followers_count", number("followers_count", account["followers_count"]), account)


def media_rows(ctx: Context, media: dict[str, Any]) -> Rows:
    """A media as a post, and its like and comment counts as post metrics (as of the fetch day)."""
    published = parse_time(media.get("timestamp"))
    yield Kind.POSTS, {"post_id": media["id"], "published_at": published, "permalink": media.get("permalink"),
                       "text": media.get("caption"), "payload": json.dumps(media, sort_keys=True)}  # fmt: skip
    for source, metric in MEDIA_FIELD_METRICS.items():
        value = media.get(source)  # like_count is absent when likes are hidden: NULL, not 0
        yield Kind.POST_METRICS, {"post_id": media["id"], "published_at": published, "as_of": ctx.fetched_on,
                                  "metric": metric, "source_metric": source,
                                  "value": number(source, value), "payload": "{}"}  # fmt: skip


def media_insight_rows(ctx: Context, series: dict[str, Any]) -> Rows:
    """A media's lifetime insight as a post metric (as of the fetch day)."""
    name = str(series.get("name"))
    values = series.get("values") or [{}]
    value = values[-1].get("value") if values else None
    if value is None:
        value = (series.get("total_value") or {}).get("value")
    yield Kind.POST_METRICS, {"post_id": ctx.parent["id"], "published_at": parse_time(ctx.parent["timestamp"]),
                              "as_of": ctx.fetched_on, "metric": ctx.metric(name), "source_metric": name,
                              "value": number(name, value), "payload": "{}"}  # fmt: skip


def comment_rows(ctx: Context, comment: dict[str, Any]) -> Rows:
    """A comment on a media and the replies that came inline with it; its media's publishing time places them
    in the window."""
    if "id" in comment:  # an erased comment leaves a stub holding only the replies others wrote to it
        yield from _comment_row(ctx.parent["id"], ctx.parent["timestamp"], {k: v for k, v in comment.items()
                                                                             if k != "replies"}, None)  # fmt: skip
    for reply in (comment.get("replies") or {}).get("data") or []:
        yield from _comment_row(ctx.parent["id"], ctx.parent["timestamp"], reply, comment.get("id"))


def reply_rows(ctx: Context, reply: dict[str, Any]) -> Rows:
    """A reply read from a later page of a comment's replies (the page's parent names the comment and media)."""
    yield from _comment_row(ctx.parent["media_id"], ctx.parent["timestamp"], reply, ctx.parent["id"])


def _comment_row(media_id: str, published: Any, comment: dict[str, Any], parent: str | None) -> Rows:
    yield Kind.COMMENTS, {"post_id": media_id, "published_at": parse_time(published),
                          "comment_id": comment["id"], "parent_id": comment.get("parent_id") or parent,
                          "created_at": parse_time(comment.get("timestamp")), "author_hash": comment.get("author_hash"),
                          "text": comment.get("text"), "payload": json.dumps(comment, sort_keys=True)}  # fmt: skip


def competitor_rows(ctx: Context, body: dict[str, Any]) -> Rows:
    """One competitor's Business Discovery answer: its public totals and recent media's public counts."""
    found = body.get("business_discovery")
    if body.get("status") == "not_found":
        status = "not_found"
    elif not isinstance(found, dict) or found.get("followers_count") is None:
        status = "no_data"
    else:
        status = "ok"
    found = found if isinstance(found, dict) and status == "ok" else {}
    media = (found.get("media") or {}).get("data") or []
    posts = [
        {"id": m["id"], "published_at": parse_time(m["timestamp"]), "likes": m.get("like_count"),
         "comments": m.get("comments_count"), "shares": None, "payload": m}
        for m in media if isinstance(m, dict) and m.get("id") and m.get("timestamp")
    ]  # fmt: skip
    yield from competitors.snapshot_rows(
        ctx,
        status=status,
        user_id=str(found["id"]) if found.get("id") else None,
        username=found.get("username"),
        followers=found.get("followers_count"),
        posts_total=found.get("media_count"),
        posts=posts,
        payload=body,
    )


def competitor_request(
    conn: InstagramConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """GET /{own-ig-user-id}?fields=business_discovery.username(NAME){...} with the company's token."""
    handle = str(parent.get("handle", ""))
    if not re.fullmatch(r"[A-Za-z0-9._]{1,30}", handle):
        raise MalformedResponseError(f"Instagram: competitor handle {handle!r} is not an Instagram username")
    fields = (
        f"business_discovery.username({handle}){{id,username,followers_count,media_count,"
        f"media.limit({BD_MEDIA_LIMIT}){{id,like_count,comments_count,timestamp}}}}"
    )
    return conn.url(spec, parent), {"fields": fields, **conn.auth_params()}


def competitor_get(conn: InstagramConnector, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
    """The answer, or for a username that is no professional account a landed 'not_found' (and a warning
    naming it) instead of failing the run: the other competitors still load."""
    try:
        body, _ = conn.http.get_json(url, params)
    except ConnectorError as exc:
        text = str(exc)
        if exc.code not in BD_NOT_FOUND and "2207013" not in text:
            raise
        match = BD_USERNAME_RE.search(str((params or {}).get("fields", "")))
        handle = match.group(1) if match else "?"
        answered = text.split(": ", 1)[-1].split(" (request")[0][:120]
        message = (
            f"Instagram has no professional (business or creator) account '{handle}' to compare with "
            f"(Business Discovery answered: {answered}). Check the competitor's instagram "
            f"username in the config; the other competitors were read."
        )
        conn.warnings.append(ConnectorWarning(spec.name, "competitor-not-found", message))
        return competitors.status_body("not_found", message)
    if isinstance(body, dict) and not isinstance(body.get("business_discovery"), dict):
        match = BD_USERNAME_RE.search(str((params or {}).get("fields", "")))
        handle = match.group(1) if match else "?"
        conn.warnings.append(ConnectorWarning(spec.name, "competitor-no-data", (
            f"Instagram shows no numbers of '{handle}' (a private, restricted or age-gated account): it is "
            f"reported as 'no data', not as zero.")))  # fmt: skip
    return body


def _day_range(window: Window) -> dict[str, Any]:
    return {"since": window.start.isoformat(), "until": window.end.isoformat()}


def _unix_range(window: Window) -> dict[str, Any]:
    """since/until of the media edge: the window's local days as Unix instants."""
    return {"since": int(window.start_at.timestamp()), "until": int(window.end_at.timestamp())}


def no_insights_media(error: ConnectorError, parent: Mapping[str, Any]) -> str | None:
    """A media Meta gives no insights for (posted before the account became professional, or too few viewers:
    error subcodes MEDIA_SKIP_SUBCODES or "not enough viewers") is skipped with a warning; its post, likes and
    comments still load."""
    text = str(error)
    if any(f"/{sub}" in text for sub in MEDIA_SKIP_SUBCODES) or "not enough viewers" in text.lower():
        return (f"Instagram gives no insights for media {parent.get('id')} ({text[:200]}); its views, reach, "
                f"shares and interactions stay NULL, everything else loaded.")  # fmt: skip
    return None


def comments_prepare(conn: InstagramConnector, spec: Declared, record: dict[str, Any]) -> dict[str, Any]:
    """The commenter becomes a keyed hash (and `by_account`: the account itself?), @mentions in the text "@…";
    the same for the replies that came inline."""
    sender = record.get("from")
    author: Mapping[str, Any] = sender if isinstance(sender, Mapping) else {}
    author_id = author.get("id") or author.get("username") or record.get("username")
    text = record.get("text")
    prepared = {**record, "text": MENTION_RE.sub(MENTION_PLACEHOLDER, text) if isinstance(text, str) else text,
                "author_hash": pseudonymize(author_id, conn.author_key),
                "by_account": author.get("id") is not None and str(author.get("id")) == conn.account.id}  # fmt: skip
    replies = record.get("replies")
    if isinstance(replies, Mapping):
        data = replies.get("data")
        prepared["replies"] = {**replies, "data": [comments_prepare(conn, spec, r) for r in data or []
                                                   if isinstance(r, dict)]}  # fmt: skip
    return prepared


def replies_parents(conn: InstagramConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """The comments of this run whose inline replies said more exist (`replies.paging.next`), with their media."""
    for comment in conn.read_this_run("comments"):  # read just before (a part of the same stream)
        nxt = ((comment.get("replies") or {}).get("paging") or {}).get("next")
        media = conn.parent_of(comment)
        if nxt and media.get("id"):
            yield {"id": comment["id"], "media_id": media["id"], "timestamp": media.get("timestamp"), "next": nxt}


def replies_request(conn: InstagramConnector, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> Request:
    """The next page of a comment's replies, as Graph gave it (it carries every parameter)."""
    return str(parent["next"]), None


GRAPH_PAGES = CursorParamPaginator(("paging", "cursors", "after"), "after", ("paging", "next"))

DECLARED = (
    Declared(
        Stream("account_insights", (Kind.DAILY_METRICS,), max_history_days=HISTORY_DAYS),
        "/{account_id}/insights",
        time_series_rows,
        chunk_days=MAX_INSIGHTS_DAYS,
        window_field="end_time",
        params=lambda w: {"metric": "reach", "period": "day", "metric_type": "time_series", **_day_range(w)},
        primary_key=("name",),
        metric_map=TIME_SERIES_METRICS,
        keep=INSIGHT_KEPT,
    ),
    Declared(
        Stream("follower_count", (Kind.DAILY_METRICS,), max_history_days=FOLLOWER_COUNT_DAYS - 1),
        "/{account_id}/insights",
        time_series_rows,
        chunk_days=MAX_INSIGHTS_DAYS,
        window_field="end_time",
        params=lambda w: {"metric": "follower_count", "period": "day", **_day_range(w)},
        primary_key=("name",),
        metric_map=TIME_SERIES_METRICS,
        keep=INSIGHT_KEPT,
    ),
    Declared(
        Stream(
            "account_totals",
            (Kind.DAILY_METRICS,),
            max_history_days=HISTORY_DAYS,
            max_lookback_days=TOTALS_LOOKBACK_DAYS,
        ),
        "/{account_id}/insights",
        total_value_rows,
        chunk_days=1,
        window_field="since",
        params=lambda w: {
            "metric": ",".join(TOTAL_VALUE_METRICS),
            "period": "day",
            "metric_type": "total_value",
            **_day_range(w),
        },
        primary_key=("name",),
        metric_map=TOTAL_VALUE_METRICS,
        keep=INSIGHT_KEPT,
    ),
    Declared(
        Stream("account", (Kind.DAILY_METRICS,), snapshot=True),
        "/{account_id}",
        account_rows,
        records=(),
        metric_map={"followers_count": "followers"},
        params=lambda w: {"fields": "id,followers_count,media_count"},
        keep=ACCOUNT_KEPT,
    ),
    Declared(
        Stream("media", (Kind.POSTS, Kind.POST_METRICS), lookback_days=MEDIA_LOOKBACK_DAYS),
        "/{account_id}/media",
        media_rows,
        paginator=NextUrlPaginator(),
        window_field="timestamp",
        params=lambda w: {"fields": MEDIA_FIELDS, "limit": PAGE_SIZE, **_unix_range(w)},
        keep=MEDIA_KEPT,
    ),
    Declared(
        Stream("media_insights", (Kind.POST_METRICS,), lookback_days=MEDIA_LOOKBACK_DAYS),
        "/{parent_id}/insights",
        media_insight_rows,
        parent="media",
        parent_fields=("id", "timestamp"),
        params=lambda w: {"metric": ",".join(MEDIA_METRICS)},
        primary_key=("name",),
        metric_map=MEDIA_METRICS,
        keep=INSIGHT_KEPT,
        skip_parent=no_insights_media,
    ),
    Declared(
        Stream("comments", (Kind.COMMENTS,), lookback_days=MEDIA_LOOKBACK_DAYS),
        "/{parent_id}/comments",
        comment_rows,
        paginator=GRAPH_PAGES,
        parent="media",
        parent_fields=("id", "timestamp"),
        parent_filter=lambda m: bool(m.get("comments_count")),
        params=lambda w: {"fields": COMMENT_FIELDS, "limit": PAGE_SIZE},
        keep=COMMENT_KEPT,
        prepare=comments_prepare,
    ),
    Declared(
        competitors.stream(),
        "/{account_id}",
        competitor_rows,
        records=(),
        primary_key=(),
        keep=COMPETITOR_KEPT,
        parent="account",
        parents=competitors.competitor_parents,
        request=competitor_request,
        get=competitor_get,
    ),
    # Replies beyond the first page a comment brought inline: its replies' own paging.next, as given.
    Declared(
        Stream("comment_replies", (Kind.COMMENTS,)),
        "",
        reply_rows,
        paginator=NextUrlPaginator(),
        parent="comments",
        part_of="comments",
        keep=REPLY_KEPT,
        also_land={"paging": PAGING_KEPT},
        parents=replies_parents,
        request=replies_request,
        prepare=comments_prepare,
    ),
)


class InstagramConnector(DeclaredConnector):
    """Instagram professional account insights, media and comments."""

    token_name = "Page access token"
    network: ClassVar[str] = "instagram"
    options: ClassVar[tuple[str, ...]] = ("page_id",)  # the linked Page, to check the account id against
    account_id_pattern: ClassVar[str | None] = r"\d{1,32}"
    account_id_help: ClassVar[str] = 'an Instagram professional account id is a number, e.g. "17841400000000001"'
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
        version = str(credentials.extra.get("api_version") or DEFAULT_API_VERSION)
        self.base = (credentials.base_url or DEFAULT_BASE_URL).rstrip("/") + "/" + version
        self.http = self._client(http, InstagramErrorPolicy())
        self._linked_checked = False

    def auth_params(self) -> dict[str, Any]:
        """Graph takes the token as a query parameter (scrubbed from everything landed)."""
        return {"access_token": self.credentials.token}

    def fetch(self, stream: Stream, window: Window) -> Iterator[Page]:
        """Check once that the configured Page links this account, then fetch as declared."""
        self._check_linked_page()
        yield from super().fetch(stream, window)

    def _check_linked_page(self) -> None:
        page_id = self.account.options.get("page_id")
        if self._linked_checked or not page_id:
            return
        body, _ = self.http.get_json(f"{self.base}/{path_part(page_id)}",
                                     {"fields": "instagram_business_account", **self.auth_params()})  # fmt: skip
        linked = ((body or {}).get("instagram_business_account") or {}).get("id") if isinstance(body, dict) else None
        if linked is None:
            raise UnknownAccountError(
                f"Instagram: Facebook Page {page_id} (option `page_id` of account {self.account.id}) has no Instagram "
                f"professional account linked. Link it in Meta Business Suite (Settings > Instagram accounts), or "
                f"fix `page_id` in the config."
            )
        if str(linked) != self.account.id:
            raise UnknownAccountError(
                f"Instagram: Facebook Page {page_id} links Instagram account {linked}, not {self.account.id}: put "
                f'id: "{linked}" for this account in the config.'
            )
        self._linked_checked = True
