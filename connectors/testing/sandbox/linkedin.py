"""A fake LinkedIn Community Management API (/rest), answering like the documented one.

It insists on what the real API insists on: a Bearer token (401 otherwise, with LinkedIn's
serviceErrorCode body), `LinkedIn-Version` as an active YYYYMM (426 NONEXISTENT_VERSION otherwise),
`X-Restli-Protocol-Version: 2.0.0`, Rest.li 2.0 query syntax with percent-encoded URNs and literal
structure (a timeIntervals whose parentheses were percent-encoded is a 400), start/count paging, and
share statistics only for the last 12 months. 429s come without rate-limit headers.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from connectors.testing import FakeApi, answer_with_faults
from connectors.testing.sandbox import company

SANDBOX_TOKEN = "sandbox-linkedin-token"
ACTIVE_VERSIONS = {f"{y}{m:02d}" for y in (2025, 2026) for m in range(1, 13)} - {"202501", "202502", "202503",
                                                                               "202504", "202505"}  # fmt: skip
INTERVAL_RE = re.compile(r"^\(timeRange:\(start:(\d+),end:(\d+)\),timeGranularityType:(DAY|MONTH)\)$")
LIST_RE = re.compile(r"^List\(([^()]*)\)$")


def error(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """LinkedIn's error body."""
    return {"status": status, "message": message, **extra}


class LinkedInSandbox(FakeApi):
    """Request handling of the fake API (transport-free), on the SDK's fake-API base (tokens, faults, request log,
    frozen today)."""

    sandbox_token = SANDBOX_TOKEN

    def __init__(self, *, org_id: str = company.LINKEDIN_ORG_ID, today: dt.date | None = None) -> None:
        super().__init__(today=today)
        self.org_id = org_id
        self.account_ids = [org_id]
        self.revoked_tokens: set[str] = set()

    @property
    def sandbox_conn_extra(self) -> dict[str, str]:
        """The connection's extra as an operator keeps it: when the token (60 days) expires, from the token answer's
        `expires_in` (LinkedIn's API cannot tell); the sandbox's has company.LINKEDIN_TOKEN_DAYS_LEFT days left."""
        left = dt.timedelta(days=company.LINKEDIN_TOKEN_DAYS_LEFT)
        return {"expires_at": (dt.datetime.combine(self.today, dt.time(), dt.UTC) + left).isoformat()}

    def auth_error(self, token: str | None) -> tuple[int, dict[str, str], Any] | None:
        """LinkedIn's 401 bodies: expired, revoked by the member, or invalid."""
        if token in self.expired_tokens:
            return 401, {}, error(401, "The token used in the request has expired", serviceErrorCode=65602,
                                  code="EXPIRED_ACCESS_TOKEN")  # fmt: skip
        if token in self.revoked_tokens:  # the body quoted in omniauth-linkedin-oauth2 issue #81
            return 401, {}, error(401, "The token used in the request has been revoked by the user",
                                  serviceErrorCode=65601, code="REVOKED_ACCESS_TOKEN")  # fmt: skip
        if token not in self.valid_tokens:
            return 401, {}, error(401, "Invalid access token", serviceErrorCode=65600, code="INVALID_ACCESS_TOKEN")
        return None

    def handle_request(self, path: str, raw_query: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """Like FakeApi's, but answered from the raw query string and the headers, as the real API sees them:
        Rest.li 2.0 keeps parentheses literal and URNs encoded (a decoded query would hide a wrongly encoded
        request), and every call must carry LinkedIn-Version and X-Restli-Protocol-Version."""
        self.requests.append((path, dict(parse_qsl(raw_query, keep_blank_values=True))))

        def checked() -> tuple[int, dict[str, str], Any]:
            refused = self.auth_error(self.token_of({}, headers))
            return refused if refused is not None else self._answer(path, raw_query, headers)

        return answer_with_faults(self.faults, path, checked)

    def _answer(self, path: str, raw_query: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        h = {k.lower(): v for k, v in headers.items()}
        version = h.get("linkedin-version")
        if not version:
            return 400, {}, error(400, "A version must be present. Please specify a version by adding the "
                                       "LinkedIn-Version header.", code="VERSION_MISSING")  # fmt: skip
        if version not in ACTIVE_VERSIONS:
            return 426, {}, error(426, f"Requested version {version} is not active", code="NONEXISTENT_VERSION")
        if h.get("x-restli-protocol-version") != "2.0.0":
            return 400, {}, error(400, "Rest.li protocol 2.0.0 is required for this resource (header "
                                       "X-Restli-Protocol-Version)", code="ILLEGAL_ARGUMENT")  # fmt: skip
        query = dict(part.split("=", 1) for part in raw_query.split("&") if "=" in part)
        org_urn = f"urn:li:organization:{self.org_id}"
        if path.startswith("/rest/networkSizes/"):
            if unquote(path.removeprefix("/rest/networkSizes/")) != org_urn:
                return 404, {}, error(404, "Not found")
            if query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
                return 400, {}, error(400, "edgeType must be COMPANY_FOLLOWED_BY_MEMBER")
            return 200, {}, {"firstDegreeSize": self.followers_on(self.today - dt.timedelta(days=1))}
        if path.startswith("/rest/socialActions/") and path.endswith("/comments"):
            urn = unquote(path.removeprefix("/rest/socialActions/").removesuffix("/comments"))
            until_ms = int(dt.datetime.combine(self.today, dt.time(), dt.UTC).timestamp() * 1000)
            if urn.startswith("urn:li:comment:("):  # a comment's comments: its replies (parentComment set)
                post_urn = urn.removeprefix("urn:li:comment:(").rsplit(",", 1)[0]
                post = self._post(post_urn)
                parent = next((c for c in (post or {}).get("_comments", []) if c["$URN"] == urn), None)
                if post is None or parent is None:
                    return 404, {}, error(404, f"Not found: {urn}")
                comments = [_real_shape(r, post_urn) for r in _replies(parent, until_ms)]
            else:
                post = self._post(urn)
                if post is None:
                    return 404, {}, error(404, f"Not found: {urn}")
                comments = [
                    {**_real_shape(c, urn), "commentsSummary": {"totalFirstLevelComments": len(_replies(c, until_ms)),
                                                                "aggregatedTotalComments": len(_replies(c, until_ms))}}
                    for c in post["_comments"]
                ]  # fmt: skip
            start, count = int(query.get("start", 0)), int(query.get("count", 10))
            page = comments[start : start + count]
            return 200, {}, {"elements": page, "paging": {"start": start, "count": count, "total": len(comments)}}
        finder_key = "organization" if path == "/rest/organizationPageStatistics" else "organizationalEntity"
        if path in ("/rest/organizationalEntityShareStatistics", "/rest/organizationalEntityFollowerStatistics",
                    "/rest/organizationPageStatistics"):  # fmt: skip
            entity = query.get(finder_key, "")
            if ":" in entity:
                return 400, {}, error(400, f"Invalid {finder_key}: URNs must be encoded in Rest.li 2.0")
            if unquote(entity) != org_urn:
                return 403, {}, error(403, f"Not enough permissions to access: {finder_key} {unquote(entity)}")
            if "shares" in query or "ugcPosts" in query:
                return self._post_stats(query)
            return self._time_bound(path, query)
        if path == "/rest/posts":
            if query.get("q") != "author" or unquote(query.get("author", "")) != org_urn:
                return 400, {}, error(400, "q=author&author=<organization URN> is required")
            start, count = int(query.get("start", 0)), min(int(query.get("count", 10)), 100)
            posts = self._all_posts()
            page = [{k: v for k, v in p.items() if not k.startswith("_")} for p in posts[start : start + count]]
            return 200, {}, {"elements": page, "paging": {"start": start, "count": count, "links": []}}
        return 404, {}, error(404, f"No resource at {path}")

    def _time_bound(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        match = INTERVAL_RE.match(query.get("timeIntervals", ""))
        if not match:
            return 400, {}, error(400, "Invalid timeIntervals: expected Rest.li 2.0 "
                                       "(timeRange:(start:..,end:..),timeGranularityType:DAY)")  # fmt: skip
        start = dt.datetime.fromtimestamp(int(match.group(1)) / 1000, dt.UTC).date()
        end = dt.datetime.fromtimestamp(int(match.group(2)) / 1000, dt.UTC).date()
        if start < self.today - dt.timedelta(days=365):
            return 400, {}, error(400, "Statistics are only available for the past 12 months (rolling window)")
        elements = []
        day = start
        while day < min(end, self.today):
            v = company.linkedin_day(day)
            ms0 = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)
            time_range = {"start": ms0, "end": ms0 + 86_400_000}
            org = f"urn:li:organization:{self.org_id}"
            if path.endswith("ShareStatistics"):
                keys = ("impressionCount", "uniqueImpressionsCount", "clickCount", "likeCount", "commentCount",
                        "shareCount")  # fmt: skip
                stats: dict[str, float] = {k: v[k] for k in keys}
                stats["engagement"] = (stats["clickCount"] + stats["likeCount"] + stats["commentCount"]
                                       + stats["shareCount"]) / max(stats["impressionCount"], 1)  # fmt: skip
                elements.append({"totalShareStatistics": stats, "timeRange": time_range, "organizationalEntity": org})
            elif path.endswith("FollowerStatistics"):
                elements.append({"followerGains": {"organicFollowerGain": v["organicFollowerGain"],
                                                   "paidFollowerGain": v["paidFollowerGain"]},
                                 "timeRange": time_range, "organizationalEntity": org})  # fmt: skip
            else:
                elements.append({"totalPageStatistics": {"views": {"allPageViews": {"pageViews": v["pageViews"]}}},
                                 "timeRange": time_range, "organization": org})  # fmt: skip
            day += dt.timedelta(days=1)
        return 200, {}, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}

    def _post_stats(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        elements = []
        for key in ("shares", "ugcPosts"):
            if key not in query:
                continue
            match = LIST_RE.match(query[key])
            if not match:
                return 400, {}, error(400, f"Invalid {key}: expected List(...) in Rest.li 2.0 syntax")
            for item in match.group(1).split(","):
                if ":" in item:
                    return 400, {}, error(400, f"Invalid {key}: URNs inside List() must be encoded")
                post = self._post(unquote(item))
                if post is not None:
                    elements.append({"share" if key == "shares" else "ugcPost": post["id"],
                                     "totalShareStatistics": post["_stats"],
                                     "organizationalEntity": f"urn:li:organization:{self.org_id}"})  # fmt: skip
        return 200, {}, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}

    def _all_posts(self) -> list[dict[str, Any]]:
        posts = []
        day = self.today - dt.timedelta(days=1)
        while day >= company.HISTORY_START:
            posts.extend(company.linkedin_posts(day))
            day -= dt.timedelta(days=1)
        return posts

    def _post(self, urn: str) -> dict[str, Any] | None:
        try:
            offset = int(urn.rsplit(":", 1)[1]) - 7_100_000_000
        except (IndexError, ValueError):
            return None
        day = company.HISTORY_START + dt.timedelta(days=offset)
        return next((p for p in company.linkedin_posts(day) if p["id"] == urn), None)

    def followers_on(self, day: dt.date) -> int:
        """The follower total at the end of a day."""
        total = 640
        d = company.HISTORY_START
        while d <= day:
            v = company.linkedin_day(d)
            total += v["organicFollowerGain"] + v["paidFollowerGain"]
            d += dt.timedelta(days=1)
        return total


MENTIONED = ("Maria Muster", "urn:li:person:Mm77qX")


def _replies(comment: dict[str, Any], until_ms: int) -> list[dict[str, Any]]:
    """The organization's answer to a comment (company.answer_delay), once its time (epoch ms) has passed."""
    base_text = comment["message"]["text"]
    delay = company.answer_delay("linkedin", comment["$URN"], base_text)
    if delay is None:
        return []
    at = comment["created"]["time"] + int(delay.total_seconds() * 1000)
    if at >= until_ms:
        return []
    reply_id = str(int(comment["id"]) * 10 + 1)
    post_urn = comment["$URN"].removeprefix("urn:li:comment:(").rsplit(",", 1)[0]
    return [{"actor": f"urn:li:organization:{company.LINKEDIN_ORG_ID}", "created": {"time": at}, "id": reply_id,
             "message": {"text": company.answer_text("linkedin", comment["$URN"], base_text)},
             "$URN": f"urn:li:comment:({post_urn},{reply_id})", "parentComment": comment["$URN"]}]  # fmt: skip


def _real_shape(comment: dict[str, Any], post_urn: str) -> dict[str, Any]:
    """A comment element as the Comments API sends it (compare ebx-linkedin-sdk's commentResponse.json):
    the author in `actor`, `created` and `lastModified`; `agent` and `impersonator` (the person acting for
    an organization); `object` (the activity); `message.attributes` with a mention's person URN; `content[]`."""
    actor = comment["actor"]
    created = comment["created"]["time"]
    activity = f"urn:li:activity:{post_urn.rsplit(':', 1)[-1]}"
    text = comment["message"]["text"]
    attributes: list[dict[str, Any]] = []
    if int(comment["id"]) % 3 == 1:  # every third comment mentions someone by name
        name, person = MENTIONED
        text = f"{name} {text}"
        attributes = [{"start": 0, "length": len(name), "value": {"person": {"person": person}}}]
    shaped: dict[str, Any] = {
        **comment,
        "agent": actor,
        "commentUrn": comment["$URN"],
        "object": activity,
        "created": {"actor": actor, "impersonator": actor, "time": created},
        "lastModified": {"actor": actor, "impersonator": actor, "time": created + 1},
        "message": {"attributes": attributes, "text": text},
    }
    if int(comment["id"]) % 4 == 0:
        shaped["content"] = [{"type": "IMAGE", "url": "https://media.licdn.com/dms/image/sandbox/0",
                              "entity": {"digitalmediaAsset": "urn:li:digitalmediaAsset:SANDBOX"}}]  # fmt: skip
    return shaped
