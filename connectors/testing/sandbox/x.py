"""A fake X API v2, answering like the documented one (docs.x.com).

What it insists on, as the real API does: a Bearer token (401 problem body otherwise); an unknown
user is a 200 with an `errors` list and no `data`; `max_results` within 5..100 (timeline) or
10..100 (search), otherwise a 400 invalid-request problem; `pagination_token` on timelines,
`next_token` on search; recent search only reaches 7 days back; non-public and organic metrics only
with a user-context token (403 Unsupported Authentication otherwise) and only for posts under 30
days old; x-rate-limit-limit / -remaining / -reset on every answer, and 429 once a 15-minute
window's calls are used up. Fields that were not asked for are not in the answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from typing import Any

from connectors.testing import FakeApi
from connectors.testing.sandbox import company

SANDBOX_TOKEN = "sandbox-x-app-token"  # app-only bearer token: public metrics
SANDBOX_USER_TOKEN = "sandbox-x-user-token"  # OAuth 2.0 user context: also non-public metrics
WINDOW_S = 15 * 60
LIMITS = {"users": 300, "timeline": 900, "search": 450}  # calls per 15 minutes (per app)
PUBLIC_METRICS = ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count", "impression_count")
CONVERSATION_RE = re.compile(r"conversation_id:(\d+)")


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> dict[str, Any]:
    """X's RFC 7807 problem body."""
    return {"title": title, "detail": detail, "type": type_, "status": status, **extra}


def invalid(parameter: str, value: str, message: str) -> dict[str, Any]:
    """The 400 body of a bad query parameter."""
    return {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def _ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class XSandbox(FakeApi):
    """Request handling of the fake API (transport-free), on the SDK's fake-API base (tokens, faults, request
    log, frozen today)."""

    sandbox_token = SANDBOX_USER_TOKEN
    sandbox_conn_extra = {"user_context": True}

    def __init__(self, *, user_id: str = company.X_USER_ID, today: dt.date | None = None) -> None:
        super().__init__(today=today or dt.datetime.now(dt.UTC).date())
        self.user_id = user_id
        self.account_ids = [user_id]
        self.valid_tokens = {SANDBOX_TOKEN, SANDBOX_USER_TOKEN}
        self._tokens: dict[str, int] = {}  # opaque next_token -> offset
        self.user_tokens = {SANDBOX_USER_TOKEN}
        self.limits = dict(LIMITS)
        self.clock_offset = 0.0  # tests move the clock instead of sleeping
        self._windows: dict[str, tuple[float, int]] = {}
        self.resources_returned = 0  # what X would bill
        self.protected_usernames: set[str] = {"geheim_bier"}  # protected: the user, no posts
        self.renamed: dict[str, str] = {}  # a competitor's new username -> its old one (same user id)

    # -- the company's data as of the end of yesterday -----------------------------------------

    @property
    def now(self) -> dt.datetime:
        """The sandbox's 'now': the start of its today (UTC), so yesterday is complete."""
        return dt.datetime.combine(self.today, dt.time(), dt.UTC)

    def posts(self, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        """Posts created in [start, end) and before now, newest first."""
        found = []
        day = start.date()
        while day <= min(end, self.now).date():
            for post in company.x_posts(day):
                at = _ts(post["created_at"])
                if start <= at < end and at < self.now:
                    found.append(post)
            day += dt.timedelta(days=1)
        return sorted(found, key=lambda p: p["created_at"], reverse=True)

    def lifetime(self, post: dict[str, Any]) -> dict[str, int]:
        """A post's totals at the end of yesterday."""
        share = company.x_share(_ts(post["created_at"]).date(), self.today - dt.timedelta(days=1))
        return {k: round(v * share) for k, v in post["_final"].items()}

    def replies(self, post: dict[str, Any]) -> list[dict[str, Any]]:
        """Replies created before now."""
        return [r for r in company.x_replies(post) if _ts(r["created_at"]) < self.now]

    def followers_on(self, day: dt.date) -> int:
        """Followers at the end of a day."""
        return company.x_followers_on(day)

    # -- HTTP ------------------------------------------------------------------------------------

    def auth_error(self, token: str | None) -> tuple[int, dict[str, str], Any] | None:
        """A missing or unknown Bearer token: 401 with X's problem body."""
        return None if token in self.valid_tokens else (401, {}, problem(401, "Unauthorized", "Unauthorized"))

    def _rate(self, endpoint: str) -> tuple[bool, dict[str, str]]:
        now = time.time() + self.clock_offset
        start, used = self._windows.get(endpoint, (now, 0))
        if now >= start + WINDOW_S:
            start, used = now, 0
        limit = self.limits[endpoint]
        allowed = used < limit
        used = used + 1 if allowed else used
        self._windows[endpoint] = (start, used)
        return allowed, {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(0, limit - used)),
            "x-rate-limit-reset": str(int(start + WINDOW_S)),
        }

    def answer_for(self, token: str | None, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """Answer an authorised GET (non-public metrics only for a user-context token)."""
        by_name = re.fullmatch(r"/2/users/by/username/(\w+)", path)
        by_id = re.fullmatch(r"/2/users/(\d+)", path)
        timeline = re.fullmatch(r"/2/users/(\d+)/tweets", path)
        endpoint = "users" if by_name or by_id else "timeline" if timeline else "search"
        if not (by_name or by_id or timeline or path == "/2/tweets/search/recent"):
            return 404, {}, problem(404, "Not Found", f"Sorry, that page does not exist: {path}")
        allowed, rate_headers = self._rate(endpoint)
        if not allowed:
            return 429, rate_headers, problem(429, "Too Many Requests", "Too Many Requests")
        if by_name:
            status, body = self._user(None, by_name.group(1), query)
        elif by_id:
            status, body = self._user(by_id.group(1), None, query)
        elif timeline:
            status, body = self._timeline(timeline.group(1), query, token or "")
        else:
            status, body = self._search(query)
        return status, rate_headers, body

    def _fields(self, query: dict[str, str], name: str) -> set[str]:
        return {f for f in query.get(name, "").split(",") if f}

    def _rival_user(self, user_id: str | None, username: str | None, query: dict[str, str]) -> tuple[int, Any] | None:
        """A sandbox competitor (company.RIVALS) by id or username, or a protected one; None for others."""
        name = (username or "").lower()
        if name in self.protected_usernames:
            self.resources_returned += 1
            return 200, {"data": {"id": "1480000000000000199", "username": name, "protected": True,
                                  "public_metrics": {"followers_count": 310, "following_count": 2, "tweet_count": 88,
                                                     "listed_count": 0}}}  # fmt: skip
        rival = company.rival_on("x", user_id or self.renamed.get(name, name))
        if rival is None:
            return None
        self.resources_returned += 1
        shown = next((new for new, old in self.renamed.items() if old == rival.x_username), rival.x_username)
        yesterday = self.today - dt.timedelta(days=1)
        user: dict[str, Any] = {"id": rival.x_id, "name": rival.name, "username": shown, "protected": False}
        if "public_metrics" in self._fields(query, "user.fields"):
            user["public_metrics"] = {"followers_count": company.rival_followers(rival, yesterday, "x"),
                                      "following_count": 40, "tweet_count": 500, "listed_count": 3}  # fmt: skip
        return 200, {"data": user}

    def _rival_timeline(self, user_id: str, query: dict[str, str]) -> tuple[int, Any] | None:
        rival = company.rival_on("x", user_id)
        if rival is None:
            return None
        args = self._page_args(query, 5, "pagination_token")
        if isinstance(args, dict):
            return 400, args
        size, _ = args
        start = _ts(query["start_time"]) if "start_time" in query else self.now - dt.timedelta(days=3650)
        posts = [p for p in company.rival_posts(rival, start.date(), self.today - dt.timedelta(days=1), "x")
                 if p["published_at"] >= start][:size]  # fmt: skip
        data = [{"id": p["id"], "text": "Prost!", "author_id": rival.x_id,
                 "created_at": p["published_at"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                 "public_metrics": {"like_count": p["likes"], "reply_count": p["comments"], "retweet_count":
                                    p["shares"] - 1, "quote_count": 1, "bookmark_count": 0, "impression_count": 999}}
                for p in posts]  # fmt: skip
        self.resources_returned += len(data)
        body: dict[str, Any] = {"meta": {"result_count": len(data)}}
        if data:
            body["data"] = data
        return 200, body

    def _user(self, user_id: str | None, username: str | None, query: dict[str, str]) -> tuple[int, Any]:
        rival = self._rival_user(user_id, username, query)
        if rival is not None:
            return rival
        if (user_id or "") != self.user_id and (username or "").lower() != company.X_USERNAME:
            value = user_id or username
            resource = "id" if user_id else "username"
            return 200, {
                "errors": [
                    {
                        "value": value,
                        "detail": f"Could not find user with {resource}: [{value}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": resource,
                        "resource_id": value,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            }
        self.resources_returned += 1
        user: dict[str, Any] = {"id": self.user_id, "name": "Brauerei Sonnenhang", "username": company.X_USERNAME}
        fields = self._fields(query, "user.fields")
        yesterday = self.today - dt.timedelta(days=1)
        if "created_at" in fields:
            user["created_at"] = company.X_CREATED_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if "public_metrics" in fields:
            total = sum(len(company.x_posts(company.X_CREATED_AT.date() + dt.timedelta(days=i)))
                        for i in range((self.today - company.X_CREATED_AT.date()).days))  # fmt: skip
            user["public_metrics"] = {
                "followers_count": self.followers_on(yesterday),
                "following_count": 212,
                "tweet_count": total,
                "listed_count": 9,
                "like_count": 1480,
                "media_count": 301,
            }
        return 200, {"data": user}

    def _page_args(self, query: dict[str, str], lo: int, token_name: str) -> tuple[int, int] | dict[str, Any]:
        raw = query.get("max_results", "10")
        if not raw.isdigit() or not lo <= int(raw) <= 100:
            return invalid("max_results", raw, f"The `max_results` query parameter value [{raw}] is not between "
                                               f"{lo} and 100")  # fmt: skip
        token = query.get(token_name)
        if token is not None and token not in self._tokens:
            return invalid(token_name, token, f"The `{token_name}` query parameter value [{token}] is invalid")
        return int(raw), self._tokens[token] if token else 0

    def _next_token(self, offset: int) -> str:
        """An opaque token like X's ("7140dibdnow9c7btw4232poeq0wapgnwgwqwvuwn3peex", tweepy's cassette
        test_client_get_users_tweets.yaml): nothing in it a client could parse or count on."""
        digest = hashlib.sha256(f"x-sandbox-page-{offset}".encode()).digest()
        token = "7140d" + "".join("0123456789abcdefghijklmnopqrstuvwxyz"[b % 36] for b in digest[:40])
        self._tokens[token] = offset
        return token

    def _timeline(self, user_id: str, query: dict[str, str], token: str) -> tuple[int, Any]:
        rival = self._rival_timeline(user_id, query)
        if rival is not None:
            return rival
        if user_id != self.user_id:
            return self._user(user_id, None, query)
        args = self._page_args(query, 5, "pagination_token")
        if isinstance(args, dict):
            return 400, args
        size, offset = args
        fields = self._fields(query, "tweet.fields")
        private = fields & {"non_public_metrics", "organic_metrics"}
        if private and token not in self.user_tokens:
            return 403, problem(
                403,
                "Unsupported Authentication",
                "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
                "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                "https://api.twitter.com/2/problems/unsupported-authentication",
            )
        try:
            start = _ts(query["start_time"]) if "start_time" in query else self.now - dt.timedelta(days=3650)
            end = _ts(query["end_time"]) if "end_time" in query else self.now
        except ValueError:
            return 400, invalid("start_time", query.get("start_time", ""), "Invalid RFC 3339 timestamp")
        posts = self.posts(start, end)
        page = posts[offset : offset + size]
        data, errors = [], []
        for post in page:
            item: dict[str, Any] = {"id": post["id"], "text": post["text"], "edit_history_tweet_ids": [post["id"]]}
            totals = self.lifetime(post)
            totals["reply_count"] = len(self.replies(post))
            if "created_at" in fields:
                item["created_at"] = post["created_at"]
            if "public_metrics" in fields:
                item["public_metrics"] = {k: totals[k] for k in PUBLIC_METRICS}
            if private:
                if _ts(post["created_at"]) < self.now - dt.timedelta(days=30):
                    errors.append({"value": post["id"], "detail": "Non-public metrics are only available for Posts "
                                   "created in the last 30 days.", "title": "Field Authorization Error",
                                   "resource_type": "tweet", "field": "non_public_metrics",
                                   "type": "https://api.twitter.com/2/problems/not-authorized-for-field"})  # fmt: skip
                else:
                    if "non_public_metrics" in fields:
                        item["non_public_metrics"] = {"impression_count": totals["impression_count"],
                                                      "url_link_clicks": totals["url_link_clicks"],
                                                      "user_profile_clicks": totals["user_profile_clicks"]}  # fmt: skip
                    if "organic_metrics" in fields:
                        item["organic_metrics"] = {k: totals[k] for k in ("impression_count", "like_count",
                                                   "reply_count", "retweet_count", "url_link_clicks",
                                                   "user_profile_clicks")}  # fmt: skip
            data.append(item)
        self.resources_returned += len(data)
        body: dict[str, Any] = {"meta": {"result_count": len(data)}}
        if data:
            body["data"] = data
            body["meta"].update({"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]})
        if errors:
            body["errors"] = errors
        if offset + size < len(posts):
            body["meta"]["next_token"] = self._next_token(offset + size)
        return 200, body

    def _search(self, query: dict[str, str]) -> tuple[int, Any]:
        args = self._page_args(query, 10, "next_token")
        if isinstance(args, dict):
            return 400, args
        size, offset = args
        earliest = self.now - dt.timedelta(days=7)
        start = _ts(query["start_time"]) if "start_time" in query else earliest
        if start < earliest:
            return 400, invalid(
                "start_time",
                query["start_time"],
                f"Invalid 'start_time':'{query['start_time']}'. 'start_time' must be on or after "
                f"{earliest.strftime('%Y-%m-%dT%H:%MZ')}",
            )
        q = query.get("query", "")
        if len(q) > 512:
            return 400, invalid("query", q[:40], "Query length exceeds 512 characters")
        roots = set(CONVERSATION_RE.findall(q))
        found = []
        day = earliest.date() - dt.timedelta(days=3)
        while day < self.today:
            for post in company.x_posts(day):
                if post["id"] in roots:
                    found += [r for r in self.replies(post) if _ts(r["created_at"]) >= start]
            day += dt.timedelta(days=1)
        found.sort(key=lambda r: r["created_at"], reverse=True)
        page = found[offset : offset + size]
        fields = self._fields(query, "tweet.fields")
        data = [{k: v for k, v in r.items() if k in {"id", "text"} | fields or k == "edit_history_tweet_ids"}
                for r in page]  # fmt: skip
        self.resources_returned += len(data)
        body: dict[str, Any] = {"meta": {"result_count": len(data)}}
        if data:
            body["data"] = data
        if offset + size < len(found):
            body["meta"]["next_token"] = self._next_token(offset + size)
        return 200, body
