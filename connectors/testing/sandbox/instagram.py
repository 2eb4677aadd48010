"""A fake Graph API for an Instagram professional account, answering like the documented one, and the
sandbox brewery's Instagram data (a pure function of the day, like connectors/testing/sandbox/company.py).

Served (a version prefix is optional): GET /{ig-user-id} (fields), /{ig-user-id}/insights,
/{ig-user-id}/media, /{ig-media-id}/insights, /{ig-media-id}/comments, and GET /{page-id}?fields=
instagram_business_account for the linked Page. Behaviour from Meta's Instagram Platform docs:
- user insights: `reach` and `follower_count` as daily time series (end_time: midnight Pacific ending
  the day); `views`, `likes`, `comments`, `shares`, `saves`, `total_interactions`, `accounts_engaged`
  only with metric_type=total_value (one total for since..until), else code 100; `impressions` and
  `profile_views` were removed (code 100); more than 30 days between since and until is code 100;
  follower_count only for the last 30 days;
- media and comments page with `paging.cursors` and `paging.next` (carrying the token), no `next` on
  the last page; `like_count` is left out when the owner hid likes;
- media from before the account became a professional account answer 100/2108006 for insights;
- the Page's edges that only an IG user has (`/media`) answer "nonexisting field ... (Page)".
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from connectors.testing.sandbox import company
from connectors.testing.sandbox.facebook import PACIFIC, SANDBOX_TOKEN, GraphFake, _parse_time, graph_error

IG_USER_ID = "17841400000000001"
IG_USERNAME = "brauerei.sonnenhang"
CONVERTED_TO_PROFESSIONAL = dt.date(2024, 9, 20)  # media before it have no insights (100/2108006)
BASE_FOLLOWERS = 1850
TIME_SERIES = {"reach", "follower_count"}
TOTAL_VALUE = {"views", "likes", "comments", "shares", "saves", "total_interactions", "accounts_engaged", "reach"}
REMOVED = {"impressions", "profile_views", "website_clicks", "email_contacts", "phone_call_clicks",
           "text_message_clicks", "get_directions_clicks"}  # fmt: skip
MEDIA_METRICS = {"views", "reach", "likes", "comments", "shares", "saved", "total_interactions", "follows",
                 "profile_visits"}  # fmt: skip
MAX_RANGE_S = 30 * 86400
PATH_RE = re.compile(r"^/(?:v\d+\.\d+/)?(?P<node>[0-9]+)(?:/(?P<edge>[a-z_]+))?/?$")
CAPTIONS = (
    "Frisch gezapft: unser {beer} 🍺 #brauerei #franken",
    "Sonnenuntergang im Biergarten. Wer ist heute dabei?",
    "Behind the scenes: Hopfenernte mit @hopfenhof.hallertau",
    "Reel: so entsteht unser {beer} in 30 Sekunden",
    "Danke für {n} Jahre Treue! #sonnenhang",
)
COMMENTS = (
    "Sieht mega aus! 😍",
    "@lena.fotografiert da müssen wir hin!",
    "Wann gibt es das wieder in Flaschen?",
    "Leider ausverkauft gewesen 😕",
    "Best beer in Franconia!",
    "Prost! 🍻",
)
COMMENTERS = (("17841401111111111", "lena.fotografiert"), ("17841402222222222", "tom_bayreuth"),
              ("17841403333333333", "bierliebhaber_franken"), ("17841404444444444", "sarah.travels"))  # fmt: skip


# -- the account's true numbers ---------------------------------------------------------------------


def day_values(day: dt.date) -> dict[str, int]:
    """The account's daily numbers (all metrics of one day, total_value ones included)."""
    r = company.rng("instagram", day)
    reach = round(900 * company.WEEKDAY_FACTOR[day.weekday()] * (1.0 + 0.3 * (day - company.HISTORY_START).days / 730)
                  * r.lognormvariate(0, 0.15))  # fmt: skip
    likes, comments = round(reach * r.uniform(0.03, 0.06)), r.randint(0, 12)
    shares, saves = r.randint(0, 9), r.randint(0, 14)
    return {
        "reach": reach,
        "views": round(reach * r.uniform(1.8, 2.6)),
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "saves": saves,
        "total_interactions": likes + comments + shares + saves,
        "accounts_engaged": round((likes + comments + shares + saves) * r.uniform(0.6, 0.85)),
        "follower_count": r.randint(1, 12),  # new followers that day
    }


def followers_on(day: dt.date) -> int:
    """Followers at the end of a day (new followers minus a few who left)."""
    total, d = BASE_FOLLOWERS, company.HISTORY_START
    while d <= day:
        total += day_values(d)["follower_count"] - company.rng("instagram-unfollows", d).randint(0, 3)
        d += dt.timedelta(days=1)
    return total


def media_of(day: dt.date) -> list[dict[str, Any]]:
    """The media published on a day, with their counts."""
    r = company.rng("instagram-media", day)
    if r.random() > 0.5:
        return []
    kind = r.choice((("IMAGE", "FEED"), ("CAROUSEL_ALBUM", "FEED"), ("VIDEO", "REELS")))
    created = dt.datetime.combine(day, dt.time(r.randint(8, 20), r.randint(0, 59), r.randint(0, 59)), dt.UTC)
    media_id = f"179{(day - dt.date(2020, 1, 1)).days:05d}000000001"
    media: dict[str, Any] = {
        "id": media_id,
        "media_type": kind[0],
        "media_product_type": kind[1],
        "permalink": f"https://www.instagram.com/p/Sh{media_id[-8:]}{day:%d}/",
        "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "comments_count": r.choice((0, 0, 1, 2, 3, 5)),
    }
    if r.random() < 0.9:  # media without a caption have no `caption`
        media["caption"] = r.choice(CAPTIONS).format(beer=r.choice(company.BEERS), n=r.randint(2, 9))
    if r.random() < 0.92:  # hidden likes: `like_count` left out
        media["like_count"] = r.randint(15, 240)
    return [media]


def media_insights(media: dict[str, Any]) -> dict[str, int]:
    """Lifetime insights of a media."""
    r = company.rng("instagram-media-insights", media["id"])
    reach = r.randint(300, 3500)
    likes = int(media.get("like_count") or r.randint(15, 240))
    shares, saved = r.randint(0, 20), r.randint(0, 30)
    return {"views": round(reach * r.uniform(1.3, 2.2)), "reach": reach, "likes": likes,
            "comments": int(media["comments_count"]), "shares": shares, "saved": saved,
            "total_interactions": likes + int(media["comments_count"]) + shares + saved,
            "follows": r.randint(0, 4), "profile_visits": r.randint(0, 30)}  # fmt: skip


def comments_of(media: dict[str, Any]) -> list[dict[str, Any]]:
    """The comments on a media, after it was published."""
    r = company.rng("instagram-comments", media["id"])
    created = dt.datetime.strptime(media["timestamp"], "%Y-%m-%dT%H:%M:%S%z")
    out = []
    for i in range(int(media["comments_count"])):
        user_id, username = r.choice(COMMENTERS)
        at = created + dt.timedelta(minutes=r.randint(2, 60 * 40))
        out.append({"id": f"{media['id'][:-3]}{500 + i}", "text": r.choice(COMMENTS),
                    "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S+0000"), "username": username,
                    "from": {"id": user_id, "username": username}, "like_count": r.randint(0, 5)})  # fmt: skip
    return out


def replies_of(comment: dict[str, Any], until: dt.datetime) -> list[dict[str, Any]]:
    """The account's answer to a comment (company.answer_delay), once its time has passed."""
    delay = company.answer_delay("instagram", comment["id"], comment["text"])
    if delay is None:
        return []
    at = dt.datetime.strptime(comment["timestamp"], "%Y-%m-%dT%H:%M:%S%z") + delay
    if at >= until:
        return []
    reply_id = f"{comment['id'][:-3]}9{comment['id'][-3:]}"  # an id of its own (not the comment's with a suffix)
    return [{"id": reply_id, "text": company.answer_text("instagram", comment["id"], comment["text"]),
             "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S+0000"), "username": IG_USERNAME,
             "from": {"id": IG_USER_ID, "username": IG_USERNAME}, "parent_id": comment["id"]}]  # fmt: skip


def _media_by_id(media_id: str) -> dict[str, Any] | None:
    try:
        day = dt.date(2020, 1, 1) + dt.timedelta(days=int(media_id[3:8]))
    except ValueError:
        return None
    return next((m for m in media_of(day) if m["id"] == media_id), None)


# -- the fake API -----------------------------------------------------------------------------------


class InstagramSandbox(GraphFake):
    """Request handling of the fake Instagram Graph API (transport-free, so tests can call it directly), on the
    SDK's fake-API base (tokens, faults, request log, frozen today)."""

    sandbox_token = SANDBOX_TOKEN  # the same Page token reads the Page and its Instagram account

    def __init__(self, *, today: dt.date | None = None) -> None:
        super().__init__(today=today)
        self.account_ids = [IG_USER_ID]
        self.page_id = company.FACEBOOK_PAGE_ID
        self.hidden_usernames: set[str] = {"verborgen.brauerei"}  # age-gated: Business Discovery shows nothing
        self.renamed: dict[str, str] = {}  # a competitor's new username -> its old one (same account id)

    def auth_error(self, token: str | None) -> tuple[int, dict[str, str], Any] | None:
        """Graph's answers to a missing (104), expired (190/463) or unknown (190) token: HTTP 400."""
        if not token:
            return 400, {}, graph_error(104, "An access token is required to request this resource.")
        if token in self.expired_tokens:
            return 400, {}, graph_error(190, "Error validating access token: Session has expired.", subcode=463)
        if token not in self.valid_tokens:
            return 400, {}, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return None

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """Answer an authorised GET."""
        if path.rstrip("/").rsplit("/", 1)[-1] == "debug_token":
            return self.debug_token(query)
        match = PATH_RE.match(path)
        if not match:
            return 400, {}, graph_error(2500, "Unknown path components: " + path)
        node, edge = match.group("node"), match.group("edge")
        if node == self.page_id:
            if edge is None:
                return 200, {}, {"instagram_business_account": {"id": IG_USER_ID}, "id": node}
            return 400, {}, graph_error(100, f"(#100) Tried accessing nonexisting field ({edge}) on node type (Page)")
        if node == IG_USER_ID:
            if edge is None and "business_discovery" in query.get("fields", ""):
                return self._business_discovery(query)
            if edge is None:
                return 200, {}, self._user(query)
            if edge == "insights":
                return self._user_insights(query)
            if edge == "media":
                return self._media(query, path)
        media = _media_by_id(node)
        if media is not None and dt.datetime.strptime(media["timestamp"][:10], "%Y-%m-%d").date() < self.today:
            if edge == "insights":
                return self._media_insights(media, query)
            if edge == "comments":
                comments = comments_of(media)
                if "replies{" in query.get("fields", ""):  # field expansion: each comment's replies inline
                    until = dt.datetime.combine(self.today, dt.time(), dt.UTC)
                    comments = [{**c, "replies": {"data": replies_of(c, until)}} for c in comments]
                return 200, {}, self._paged(comments, query, path)
        return 400, {}, graph_error(100, f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
                                         "loaded due to missing permissions, or does not support this operation.",
                                    subcode=33, kind="GraphMethodException")  # fmt: skip

    def _business_discovery(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """`business_discovery.username(NAME){...}` on the company's account: another professional account's
        public totals and recent media (like the recording in tests/fixtures/recorded/instagram/
        business_discovery.json: the outer id is the caller's); an unknown username is 400 code 110/2207013."""
        match = re.search(r"business_discovery\.username\(([^)]*)\)", query["fields"])
        name = match.group(1) if match else ""
        if name.lower() in self.hidden_usernames:
            return 200, {}, {"id": IG_USER_ID}
        rival = company.rival_on("instagram", self.renamed.get(name.lower(), name))
        if rival is None:
            return 400, {}, graph_error(110, "Invalid user id", subcode=2207013)
        yesterday = self.today - dt.timedelta(days=1)
        limit = re.search(r"media\.limit\((\d+)\)", query["fields"])
        posts = company.rival_posts(rival, yesterday - dt.timedelta(days=60), yesterday, "instagram")
        media = [{"id": p["id"], "caption": "Prost!", "media_url": "https://scontent.example/x.jpg",
                  "like_count": p["likes"], "comments_count": p["comments"],
                  "timestamp": p["published_at"].strftime("%Y-%m-%dT%H:%M:%S+0000"),
                  "username": name, "owner": {"id": rival.instagram_id}}
                 for p in posts[: int(limit.group(1)) if limit else 25]]  # fmt: skip
        found = {
            "id": rival.instagram_id,
            "username": name,
            "name": rival.name,
            "biography": "Bier aus dem Tal",
            "followers_count": company.rival_followers(rival, yesterday, "instagram"),
            "follows_count": 77,
            "media_count": 300 + len(posts),
            "media": {"data": media, "paging": {"cursors": {"after": "x"}}},
        }
        return 200, {}, {"business_discovery": found, "id": IG_USER_ID}

    def _user(self, query: dict[str, str]) -> dict[str, Any]:
        full = {"id": IG_USER_ID, "username": IG_USERNAME, "name": company.COMPANY,
                "followers_count": followers_on(self.today - dt.timedelta(days=1)), "follows_count": 180,
                "media_count": 400, "biography": "Brauerei in Franken"}  # fmt: skip
        fields = [f for f in (query.get("fields") or "id").split(",") if f]
        return {f: full[f] for f in fields if f in full}

    def _user_insights(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        metrics = [m for m in (query.get("metric") or "").split(",") if m]
        if not metrics:
            return 400, {}, graph_error(100, "(#100) The parameter metric is required")
        kind = query.get("metric_type", "time_series")
        for metric in metrics:
            if metric in REMOVED:
                return 400, {}, graph_error(100, f"(#100) Starting from version v22.0 and above, the {metric} "
                                                 "metric is no longer supported.")  # fmt: skip
            if metric not in TIME_SERIES | TOTAL_VALUE:
                return 400, {}, graph_error(100, "(#100) metric[0] must be one of the following values: " +
                                            ", ".join(sorted(TIME_SERIES | TOTAL_VALUE)))  # fmt: skip
            if kind == "time_series" and metric not in TIME_SERIES:
                return 400, {}, graph_error(100, f"(#100) The following metrics ({metric}) should be specified with "
                                                 "parameter metric_type=total_value")  # fmt: skip
        since, until = _parse_time(query.get("since")), _parse_time(query.get("until"))
        if since is None or until is None:
            return 400, {}, graph_error(100, "(#100) since and until are required for this sandbox")
        if (until - since).total_seconds() > MAX_RANGE_S:
            return 400, {}, graph_error(100, "(#100) There cannot be more than 30 days (2592000 s) between since "
                                             "and until")  # fmt: skip
        if "follower_count" in metrics and since.date() < self.today - dt.timedelta(days=30):
            return 400, {}, graph_error(100, "(#100) follower_count metric only supports querying data for the last "
                                             "30 days excluding current day")  # fmt: skip
        days = []
        day = max(since.date(), company.HISTORY_START)
        while day < min(until.date(), self.today):
            days.append(day)
            day += dt.timedelta(days=1)
        data = []
        for metric in metrics:
            series: dict[str, Any] = {"name": metric, "period": "day", "title": metric.replace("_", " ").title(),
                                      "description": f"Daily: {metric}",
                                      "id": f"{IG_USER_ID}/insights/{metric}/day"}  # fmt: skip
            if kind == "total_value":
                if not days:
                    continue  # no data: the metric is left out, never 0
                series["total_value"] = {"value": sum(day_values(d)[metric] for d in days)}
            else:
                values = []
                for d in days:
                    end = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), PACIFIC).astimezone(dt.UTC)
                    values.append({"value": day_values(d)[metric], "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+0000")})
                series["values"] = values
            data.append(series)
        return 200, {}, {"data": data}

    def _media(self, query: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        since, until = _parse_time(query.get("since")), _parse_time(query.get("until"))
        items = []
        day = self.today - dt.timedelta(days=1)
        while day >= company.HISTORY_START:  # newest first, like the API
            for media in media_of(day):
                created = _parse_time(media["timestamp"].replace("+0000", "+00:00"))
                assert created is not None
                if (since is None or created >= since) and (until is None or created < until):
                    items.append(media)
            day -= dt.timedelta(days=1)
            if since is not None and day < since.date() - dt.timedelta(days=1):
                break
        fields = [f for f in (query.get("fields") or "id").split(",") if f]
        shaped = [{f: m[f] for f in ["id", *fields] if f in m} | {"id": m["id"]} for m in items]
        return 200, {}, self._paged(shaped, query, path)

    def _paged(self, items: list[dict[str, Any]], query: dict[str, str], path: str) -> dict[str, Any]:
        """Cursor paging as Graph does it: cursors on every page, `next` only when more exist."""
        limit = min(int(query.get("limit") or 25), 100)
        offset = int(base64.b64decode(query["after"]).decode()) if query.get("after") else 0
        page = items[offset : offset + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            after = base64.b64encode(str(offset + len(page)).encode()).decode()
            before = base64.b64encode(str(offset).encode()).decode()
            body["paging"] = {"cursors": {"before": before, "after": after}}
            if offset + len(page) < len(items):
                nxt = {k: v for k, v in query.items() if k != "after"} | {"after": after}
                body["paging"]["next"] = f"{self.base_url}{path}?" + urlencode(nxt)
        return body

    def _media_insights(self, media: dict[str, Any], query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if dt.date.fromisoformat(media["timestamp"][:10]) < CONVERTED_TO_PROFESSIONAL:
            error = graph_error(100, "Invalid parameter", subcode=2108006)
            error["error"]["error_user_title"] = "Media posted before business account conversion"
            error["error"]["error_user_msg"] = (
                "The media was posted before the most recent time that the user's "
                "account was converted to a business account from a personal account."
            )
            return 400, {}, error
        metrics = [m for m in (query.get("metric") or "").split(",") if m]
        if not metrics or any(m not in MEDIA_METRICS for m in metrics):
            bad = next((m for m in metrics if m not in MEDIA_METRICS), "")
            return 400, {}, graph_error(100, f"(#100) The Media Insights API does not support the {bad} metric.")
        values = media_insights(media)
        return 200, {}, {"data": [{"name": m, "period": "lifetime", "values": [{"value": values[m]}],
                                   "title": m.title(), "description": f"Lifetime: {m}",
                                   "id": f"{media['id']}/insights/{m}/lifetime"} for m in metrics]}  # fmt: skip
