"""A fake Graph API for Pages, answering like the documented one.

Served: GET /{version}/{page-id}/insights and /{version}/{page-id}/published_posts (a version
prefix is optional, as on graph.facebook.com). Behaviour taken from Meta's docs:
- daily values end at midnight Pacific of the next day; since/until give the days [since, until);
- more than 90 days between since and until, an unknown or removed metric, or a period other
  than day fail the whole request with code 100 (HTTP 400);
- a missing token is code 104, an expired one 190/463 (HTTP 400, OAuthException);
- published_posts pages by time (paging.next: until + an opaque __paging_token, no cursors), and its
  paging.next carries the access token; metric values can be objects (by type, by city);
- X-App-Usage and X-Business-Use-Case-Usage on every answer.
Faults (rate limits, 5xx, delays, malformed bodies) are injected by tests through `faults`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from connectors.testing import FakeApi
from connectors.testing.sandbox import company

PACIFIC = ZoneInfo("America/Los_Angeles")
SANDBOX_TOKEN = "sandbox-page-token"
# Breakdown metrics answer an object per day, keyed by city (as page_fans_city did before Nov 2025).
BREAKDOWN_METRICS = {"page_follows_city"}
VALID_METRICS = set(company.facebook_day(company.HISTORY_START)) | BREAKDOWN_METRICS
VALID_POST_METRICS = {"post_media_view", "post_total_media_view_unique", "post_clicks", "post_reactions_by_type_total"}
REMOVED_METRICS = {
    "page_impressions",
    "page_impressions_unique",
    "page_impressions_paid",
    "page_impressions_viral",
    "page_impressions_nonviral",
    "page_fans",
    "page_fans_locale",
    "page_fans_city",
    "page_fans_country",
    "page_fan_adds",
    "page_fan_adds_unique",
    "page_fan_removes",
    "page_fan_removes_unique",
    "post_impressions",
    "post_impressions_unique",
    "page_posts_impressions",
}
MAX_RANGE_S = 90 * 86400
PAGE_NAME_RE = re.compile(r"^/(?:v\d+\.\d+/)?(?P<node>[A-Za-z0-9.]*[A-Za-z.][A-Za-z0-9.]*)/?$")
PATH_RE = re.compile(r"^/(?:v\d+\.\d+/)?(?P<node>[0-9_]+)(?:/(?P<edge>[a-z_]+))?/?$")
INSIGHTS_FIELD_RE = re.compile(r"insights\.metric\(([^)]*)\)")
COMMENTS_FIELD_RE = re.compile(r"comments((?:\.[a-z_]+\([^)]*\))*)(\{[^}]*\})?")
INVALID_METRIC = "(#100) The value must be a valid insights metric"


def graph_error(code: int, message: str, *, subcode: int | None = None, kind: str = "OAuthException") -> dict[str, Any]:
    """The Graph API error envelope."""
    err: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_urlsafe(8)}
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    if re.fullmatch(r"\d+", value):
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _value(day: dt.date, metric: str) -> Any:
    """A metric's value for a day; a breakdown is an object (the page's followers by city)."""
    if metric == "page_follows_city":
        total = int(company.facebook_day(day)["page_follows"])  # type: ignore[call-overload]
        return {
            "Berlin, Germany": total // 2,
            "Hamburg, Germany": total // 3,
            "München, Germany": total - total // 2 - total // 3,
        }
    return company.facebook_day(day)[metric]


def throttled_headers(page_id: str, minutes: int, kind: str = "ads_insights") -> dict[str, str]:
    """Meta's business use case header at its limit: which limit type, and when access returns."""
    usage = {"type": kind, "call_count": 100, "total_cputime": 28, "total_time": 35,
             "estimated_time_to_regain_access": minutes, "ads_api_access_tier": "standard_access"}  # fmt: skip
    return {"X-Business-Use-Case-Usage": json.dumps({page_id: [usage]})}


class GraphFake(FakeApi):
    """What the Graph API fakes (Facebook Pages, Instagram) share: Meta's Pacific day and the token as the
    `access_token` parameter."""

    @property
    def today(self) -> dt.date:
        """The sandbox's today (Pacific): data exists for days before it."""
        return self._today or dt.datetime.now(PACIFIC).date()

    @today.setter
    def today(self, day: dt.date) -> None:
        self._today = day

    def token_of(self, query: dict[str, str], headers: dict[str, str]) -> str | None:
        """Graph takes the token as the `access_token` parameter."""
        return query.get("access_token")

    def debug_token(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """GET /debug_token?input_token=: the sandbox's token is a Page token made from a long-lived user token, as
        documented (tests/fixtures/recorded/facebook/debug_token.json): it never expires (expires_at 0), its data
        access does, 90 days after it was issued (80 days from the sandbox's today)."""
        token = query.get("input_token")
        today = dt.datetime.combine(self.today, dt.time(), dt.UTC)
        data: dict[str, Any] = {
            "app_id": "000000000000000", "type": "PAGE", "application": "Sonnenhang socialmetrics",
            "data_access_expires_at": int((today + dt.timedelta(days=80)).timestamp()), "expires_at": 0,
            "is_valid": token in self.valid_tokens and token not in self.expired_tokens,
            "issued_at": int((today - dt.timedelta(days=10)).timestamp()),
            "scopes": ["pages_show_list", "read_insights"],
        }  # fmt: skip
        return 200, {}, {"data": data}


class FacebookSandbox(GraphFake):
    """Request handling of the fake Graph API (transport-free, so tests can call it directly), on the SDK's
    fake-API base (tokens, faults, request log, frozen today)."""

    sandbox_token = SANDBOX_TOKEN

    def __init__(self, *, page_id: str = company.FACEBOOK_PAGE_ID, today: dt.date | None = None) -> None:
        super().__init__(today=today)
        self.page_id = page_id
        self.account_ids = [page_id]
        self._paging_tokens: dict[str, str] = {}  # __paging_token -> the last post id of its page
        self.page_public_content_access = False  # Meta's feature to read other Pages (competitors): off by default

    def usual_headers(self) -> dict[str, str]:
        """Graph's usage headers, on every answer."""
        return {
            "X-App-Usage": json.dumps({"call_count": 2, "total_cputime": 1, "total_time": 1}),
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    self.page_id: [
                        {
                            "type": "pages",
                            "call_count": 1,
                            "total_cputime": 1,
                            "total_time": 1,
                            "estimated_time_to_regain_access": 0,
                        }
                    ]
                }
            ),
        }

    def auth_error(self, token: str | None) -> tuple[int, dict[str, str], Any] | None:
        """Graph's answers to a missing (104), expired (190/463) or unknown (190) token: HTTP 400."""
        headers = self.usual_headers()
        if not token:
            return 400, headers, graph_error(104, "An access token is required to request this resource.")
        if token in self.expired_tokens:
            return (
                400,
                headers,
                graph_error(
                    190,
                    "Error validating access token: Session has expired on Friday, 20-Nov-26 09:00:00 PST.",
                    subcode=463,
                ),
            )
        if token not in self.valid_tokens:
            return 400, headers, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return None

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """Answer an authorised GET."""
        headers = self.usual_headers()
        if path.rstrip("/").rsplit("/", 1)[-1] == "debug_token":
            return self.debug_token(query)
        named = PAGE_NAME_RE.match(path)
        if named and "followers_count" in query.get("fields", ""):  # another Page by its username (competitors)
            return self._competitor(named.group("node"), query, headers)
        match = PATH_RE.match(path)
        if not match:
            return 400, headers, graph_error(2500, "Unknown path components: " + path)
        node, edge = match.group("node"), match.group("edge")
        if edge is None and "followers_count" in query.get("fields", "") and node != self.page_id:
            return self._competitor(node, query, headers)
        if node.split("_")[0] != self.page_id:
            return (
                400,
                headers,
                graph_error(
                    100,
                    f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to "
                    "missing permissions, or does not support this operation.",
                    subcode=33,
                    kind="GraphMethodException",
                ),
            )
        is_post = "_" in node
        if edge == "insights" and is_post:
            return self._post_insights(node, query, headers)
        if edge == "comments" and is_post:
            return self._comments_edge(node, query, headers, path)
        if edge == "insights":
            return self._insights(query, headers, path)
        if edge == "published_posts":
            return self._posts(query, headers, path)
        return 400, headers, graph_error(100, f"Tried accessing nonexisting field ({edge}) on node type (Page)")

    def _competitor(self, node: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """Another Page's public fields and posts (company.RIVALS): only with Meta's Page Public Content Access
        (`page_public_content_access`); without it Graph's (#10) answer, as recorded in
        WSDOT/fb-comment-downloader#8."""
        if not self.page_public_content_access:
            return 400, headers, graph_error(
                10, "(#10) To use 'Page Public Content Access', your use of this endpoint must be reviewed and "
                "approved by Facebook. To submit this 'Page Public Content Access' feature for review please read our "
                "documentation on reviewable features: https://developers.facebook.com/docs/apps/review.")  # fmt: skip
        rival = company.rival_on("facebook", node)
        if rival is None:
            return 400, headers, graph_error(
                100, f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation.",
                subcode=33, kind="GraphMethodException")  # fmt: skip
        yesterday = self.today - dt.timedelta(days=1)
        posts = company.rival_posts(rival, yesterday - dt.timedelta(days=60), yesterday, "facebook")[:25]
        data = [{"id": p["id"], "message": "Prost!", "from": {"name": rival.name, "id": "1"},
                 "created_time": p["published_at"].strftime("%Y-%m-%dT%H:%M:%S+0000"),
                 "reactions": {"data": [], "summary": {"total_count": p["likes"], "viewer_reaction": "NONE"}},
                 "comments": {"data": [], "summary": {"order": "ranked", "total_count": p["comments"],
                                                      "can_comment": False}},
                 "shares": {"count": p["shares"]}} for p in posts]  # fmt: skip
        page = {"id": rival.instagram_id + "9", "username": node, "name": rival.name,
                "followers_count": company.rival_followers(rival, yesterday, "facebook"),
                "posts": {"data": data, "paging": {"cursors": {"before": "b", "after": "a"}}}}  # fmt: skip
        return 200, headers, page

    def _insights(self, query: dict[str, str], headers: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        metrics = [m for m in (query.get("metric") or "").split(",") if m]
        if not metrics:
            return 400, headers, graph_error(3001, "No metric was specified to be fetched", subcode=1504028)
        for metric in metrics:
            if metric not in VALID_METRICS:
                return 400, headers, graph_error(100, INVALID_METRIC)
        period = query.get("period", "day")
        if period != "day":
            return 400, headers, graph_error(100, f"(#100) Invalid period {period} for the requested metrics")
        since = _parse_time(query.get("since"))
        until = _parse_time(query.get("until"))
        if since is None or until is None:
            until = until or dt.datetime.combine(self.today, dt.time(), dt.UTC)
            since = since or until - dt.timedelta(days=2)
        if (until - since).total_seconds() > MAX_RANGE_S:
            return (
                400,
                headers,
                graph_error(100, "(#100) There cannot be more than 90 days (7776000 s) between since and until"),
            )
        first, last = since.date(), until.date()  # days [since, until)
        days = []
        day = max(first, company.HISTORY_START)
        while day < min(last, self.today):
            days.append(day)
            day += dt.timedelta(days=1)
        data = []
        for metric in metrics:
            values = []
            for d in days:
                end = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), PACIFIC).astimezone(dt.UTC)
                values.append({"value": _value(d, metric), "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+0000")})
            data.append(
                {
                    "name": metric,
                    "period": "day",
                    "values": values,
                    "title": metric.replace("_", " ").title(),
                    "description": f"Daily: {metric}",
                    "id": f"{self.page_id}/insights/{metric}/day",
                }
            )
        span = until - since
        base = f"{self.base_url}/v25.0/{self.page_id}/insights"
        common = {"access_token": query["access_token"], "metric": ",".join(metrics), "period": "day"}
        paging = {
            "previous": base
            + "?"
            + urlencode({**common, "since": int((since - span).timestamp()), "until": int(since.timestamp())}),
            "next": base
            + "?"
            + urlencode({**common, "since": int(until.timestamp()), "until": int((until + span).timestamp())}),
        }
        return 200, headers, {"data": data, "paging": paging}

    def _posts(self, query: dict[str, str], headers: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        limit = min(int(query.get("limit") or 25), 100)
        since = _parse_time(query.get("since"))
        until = _parse_time(query.get("until"))
        posts = []
        paged = "__paging_token" in query  # a next page starts at the oldest post of the last one, inclusive
        day = self.today - dt.timedelta(days=1)
        lo = max(company.HISTORY_START, (since.date() - dt.timedelta(days=1)) if since else company.HISTORY_START)
        while day >= lo:  # newest first, like the API
            for post in reversed(company.facebook_posts(day)):
                created = _parse_time(str(post["created_time"]).replace("+0000", "+00:00"))
                assert created is not None
                before_until = until is None or created < until or (paged and created == until)
                if (since is None or created >= since) and before_until:
                    posts.append(post)
            day -= dt.timedelta(days=1)
        offset = 0
        if query.get("__paging_token"):  # time-based paging: until + an opaque token for the position
            last_id = self._paging_tokens.get(query["__paging_token"])
            if last_id is None:
                return 400, headers, graph_error(100, "(#100) Invalid paging token")
            offset = next((i + 1 for i, p in enumerate(posts) if p["id"] == last_id), len(posts))
        page = posts[offset : offset + limit]
        fields = query.get("fields", "")
        expanded = INSIGHTS_FIELD_RE.search(fields)
        post_metrics = [m for m in (expanded.group(1).split(",") if expanded else []) if m]
        if any(m not in VALID_POST_METRICS for m in post_metrics):
            return 400, headers, graph_error(100, INVALID_METRIC)
        comments_spec = next((m for m in COMMENTS_FIELD_RE.finditer(fields) if m.group(2)), None)
        shaped = []
        for post in page:
            post = json.loads(json.dumps(post))
            if "status_type" not in fields.split(","):  # answered only when asked for, like Graph
                post.pop("status_type", None)
            if post_metrics:
                post["insights"] = {"data": self._insight_series(post, post_metrics)}
            if comments_spec:
                limit_m = re.search(r"\.limit\((\d+)\)", comments_spec.group(1) or "")
                per_page = int(limit_m.group(1)) if limit_m else 25
                stream = ".filter(stream)" in (comments_spec.group(1) or "")
                comments = self._comment_page(post, 0, per_page, query["access_token"], stream=stream)
                comments["summary"] = post["comments"]["summary"]
                post["comments"] = comments
            shaped.append(post)
        page = shaped
        body: dict[str, Any] = {"data": page}
        if page:
            # Like the real edge (keboola/ex-facebook-graph-api's recorded feed answers): paging has no
            # cursors, only `previous` (since=<newest>, __previous=1) and `next` (until=<oldest> and an
            # opaque __paging_token), both URLs carrying the access token.
            common = {k: v for k, v in query.items() if k not in ("until", "since", "__paging_token", "__previous")}
            newest = _parse_time(str(page[0]["created_time"]).replace("+0000", "+00:00"))
            oldest = _parse_time(str(page[-1]["created_time"]).replace("+0000", "+00:00"))
            assert newest is not None and oldest is not None
            back = self._paging_token(str(page[0]["id"]))
            body["paging"] = {
                "previous": f"{self.base_url}{path}?"
                + urlencode({**common, "since": int(newest.timestamp()), "__paging_token": back, "__previous": 1})
            }
            if offset + len(page) < len(posts):
                nxt = {
                    **common,
                    "until": int(oldest.timestamp()),
                    "__paging_token": self._paging_token(str(page[-1]["id"])),
                }
                if query.get("since"):
                    nxt["since"] = query["since"]
                body["paging"]["next"] = f"{self.base_url}{path}?" + urlencode(nxt)
        return 200, headers, body

    def _paging_token(self, post_id: str) -> str:
        token = "enc_" + base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("=")
        self._paging_tokens[token] = post_id
        return token

    def _post(self, post_id: str) -> dict[str, Any] | None:
        try:
            day = dt.datetime.strptime(post_id.split("_")[1][:8], "%Y%m%d").date()
        except (IndexError, ValueError):
            return None
        return next((p for p in company.facebook_posts(day) if p["id"] == post_id), None)

    def _insight_series(self, post: dict[str, Any], metrics: list[str]) -> list[dict[str, Any]]:
        post_id = post["id"]
        values = company.facebook_post_insights(post)
        return [
            {
                "name": m,
                "period": "lifetime",
                "values": [{"value": values[m]}],
                "title": m.replace("_", " ").title(),
                "description": f"Lifetime: {m}",
                "id": f"{post_id}/insights/{m}/lifetime",
            }
            for m in metrics
        ]

    def _post_insights(
        self, post_id: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        post = self._post(post_id)
        if post is None:
            return 400, headers, graph_error(100, f"Object with ID '{post_id}' does not exist", subcode=33)
        metrics = [m for m in (query.get("metric") or "").split(",") if m]
        if not metrics or any(m not in VALID_POST_METRICS for m in metrics):
            return 400, headers, graph_error(100, INVALID_METRIC)
        return 200, headers, {"data": self._insight_series(post, metrics)}

    def _comment_page(
        self, post: dict[str, Any], offset: int, limit: int, token: str, *, stream: bool = False
    ) -> dict[str, Any]:
        # filter=stream: the Page's replies in the same chronological list, with `parent`; toplevel: comments only
        until = dt.datetime.combine(self.today, dt.time(), dt.UTC)
        comments = company.facebook_thread(post, until) if stream else company.facebook_comments(post)
        page = comments[offset : offset + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            after = base64.b64encode(str(offset + len(page)).encode()).decode()
            before = base64.b64encode(str(offset).encode()).decode()
            body["paging"] = {"cursors": {"before": before, "after": after}}
            if offset + len(page) < len(comments):
                query = {
                    "access_token": token,
                    "fields": "id,created_time,message,from,parent",
                    "limit": limit,
                    "after": after,
                }
                if stream:
                    query["filter"] = "stream"
                body["paging"]["next"] = f"{self.base_url}/v25.0/{post['id']}/comments?" + urlencode(query)
        return body

    def _comments_edge(
        self, post_id: str, query: dict[str, str], headers: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        post = self._post(post_id)
        if post is None:
            return 400, headers, graph_error(100, f"Object with ID '{post_id}' does not exist", subcode=33)
        offset = int(base64.b64decode(query["after"]).decode()) if query.get("after") else 0
        return (
            200,
            headers,
            self._comment_page(
                post,
                offset,
                min(int(query.get("limit") or 25), 100),
                query["access_token"],
                stream=query.get("filter") == "stream",
            ),  # fmt: skip
        )
