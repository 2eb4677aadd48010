"""The sandbox company: a Franconian craft brewery with about two years of social-media history.

Every number is a pure function of the day (seeded by it), so any window, fetched in any order or
chunking, gives the same values; weekly seasonality, slow growth, noise, and one campaign with a
real effect on Facebook reach (+35 %) that the campaign-impact mart must find.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

COMPANY = "Brauerei Sonnenhang GmbH"
FACEBOOK_PAGE_ID = "104857600000001"
HISTORY_START = dt.date(2024, 9, 1)
WEEKDAY_FACTOR = (1.00, 1.04, 1.08, 1.05, 0.97, 0.82, 0.78)  # Monday .. Sunday
BASE_FOLLOWERS = 2400


@dataclass(frozen=True)
class Campaign:
    """A campaign with a known true effect."""

    name: str
    start: dt.date
    end: dt.date  # inclusive
    networks: tuple[str, ...]
    lift: float

    def active(self, day: dt.date, network: str) -> bool:
        """Whether the campaign lifts this network on this day."""
        return network in self.networks and self.start <= day <= self.end


CAMPAIGN = Campaign("Herbstfest 2026", dt.date(2026, 9, 14), dt.date(2026, 10, 4), ("facebook",), 0.35)

POST_TEXTS = (
    "Neu im Ausschank: unser {beer}. Prost aus dem Sonnenhang!",
    "Brauereiführung am Samstag: noch {n} Plätze frei. Jetzt anmelden!",
    "Hinter den Kulissen: heute wird das {beer} eingebraut.",
    "Danke für {n} Bewertungen mit fünf Sternen! Ihr seid die Besten.",
    "Unser {beer} passt perfekt zur Brotzeit. Was esst ihr dazu?",
    "Herbstfest-Countdown: noch {n} Tage! 🍺",
)
BEERS = ("Kellerbier", "Helles", "Rauchbier", "Festbier", "Weizen", "Dunkles")


def rng(*parts: object) -> random.Random:
    """A random generator seeded by its arguments (stable across processes)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _trend(day: dt.date) -> float:
    return 1.0 + 0.25 * (day - HISTORY_START).days / 730


def facebook_day(day: dt.date) -> dict[str, object]:
    """The page's true insight values for one day (value shapes as the Graph API gives them)."""
    r = rng("facebook", day)
    lift = 1.0 + CAMPAIGN.lift if CAMPAIGN.active(day, "facebook") else 1.0
    base = 1400 * WEEKDAY_FACTOR[day.weekday()] * _trend(day) * lift
    reach = round(base * r.lognormvariate(0, 0.12))
    views = round(reach * r.uniform(1.45, 1.65))
    engagements = round(views * 0.042 * r.lognormvariate(0, 0.15))
    like = round(engagements * r.uniform(0.35, 0.45))
    love = round(engagements * r.uniform(0.05, 0.10))
    wow = r.randint(0, 3)
    follows, unfollows = _follow_flow(day)
    return {
        "page_media_view": views,
        "page_total_media_view_unique": reach,
        "page_post_engagements": engagements,
        "page_follows": followers_on(day),
        "page_daily_follows_unique": follows,
        "page_daily_unfollows_unique": unfollows,
        "page_actions_post_reactions_total": {"like": like, "love": love, "wow": wow}
        if wow
        else {"like": like, "love": love},
        "page_views_total": round(reach * r.uniform(0.06, 0.10)),
    }


def _follow_flow(day: dt.date) -> tuple[int, int]:
    r = rng("facebook-follows", day)
    bonus = 4 if CAMPAIGN.active(day, "facebook") else 0
    return r.randint(2, 9) + bonus, r.randint(0, 3)


@cache
def _followers_table(until: dt.date) -> dict[dt.date, int]:
    table = {}
    total = BASE_FOLLOWERS
    day = HISTORY_START
    while day <= until:
        follows, unfollows = _follow_flow(day)
        total += follows - unfollows
        table[day] = total
        day += dt.timedelta(days=1)
    return table


def followers_on(day: dt.date) -> int:
    """Page followers at the end of a day."""
    if day < HISTORY_START:
        return BASE_FOLLOWERS
    year_end = dt.date(day.year, 12, 31)  # cache per year so the table is computed rarely
    return _followers_table(year_end)[day]


def facebook_posts(day: dt.date) -> list[dict[str, object]]:
    """The posts the page published on a day, with their lifetime totals."""
    r = rng("facebook-posts", day)
    count = (1 if r.random() < 0.6 else 0) + (1 if CAMPAIGN.active(day, "facebook") and r.random() < 0.5 else 0)
    posts: list[dict[str, object]] = []
    for i in range(count):
        hour, minute = r.randint(7, 19), r.randint(0, 59)
        created = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)
        text = r.choice(POST_TEXTS).format(beer=r.choice(BEERS), n=r.randint(3, 40))
        reactions = r.randint(5, 80)
        comments = r.randint(0, 15)
        shares = r.choice((0, 0, 1, 2, 3, 5, 8))
        post: dict[str, object] = {
            "id": f"{FACEBOOK_PAGE_ID}_{day:%Y%m%d}{i:02d}",
            "created_time": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink_url": f"https://www.facebook.com/{FACEBOOK_PAGE_ID}/posts/{day:%Y%m%d}{i:02d}",
            "reactions": {"data": [], "summary": {"total_count": reactions, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": comments, "can_comment": True}},
        }
        if r.random() < 0.93:  # some posts are image-only: Graph leaves `message` out
            post["message"] = text
        if shares:  # Graph leaves `shares` out when there are none
            post["shares"] = {"count": shares}
        posts.append(post)
    return posts


COMMENT_TEXTS = (
    "Super lecker, wir kommen am Samstag vorbei!",
    "Nicht schlecht, aber das Helle war letztes Jahr besser.",
    "Wann habt ihr am Sonntag geöffnet?",
    "Leider war der Service diesmal echt langsam 😕",
    "Best beer in Franconia, greetings from Leeds!",
    "Gibt es das Festbier auch in Flaschen?",
    "Mega Stimmung beim Herbstfest 🍻",
    "The tour was great, thanks!",
)
COMMENTER_NAMES = ("Anna Müller", "Jonas Becker", "Lea Schmitt", "Tom Weber", "Sarah O'Connor", "Mehmet Yılmaz")


def facebook_post_insights(post: dict[str, object]) -> dict[str, object]:
    """Lifetime insights of one post (value shapes as the Graph API gives them)."""
    r = rng("facebook-post-insights", post["id"])
    views = r.randint(400, 4000)
    reach = round(views * r.uniform(0.55, 0.8))
    reactions = int(post["reactions"]["summary"]["total_count"])  # type: ignore[index]
    love = round(reactions * r.uniform(0.1, 0.3))
    return {
        "post_media_view": views,
        "post_total_media_view_unique": reach,
        "post_clicks": r.randint(5, 120),
        "post_reactions_by_type_total": {"like": reactions - love, "love": love},
    }


def facebook_comments(post: dict[str, object]) -> list[dict[str, object]]:
    """The comments on a post: as many as its comments total says, after the post was created."""
    total = int(post["comments"]["summary"]["total_count"])  # type: ignore[index]
    created = dt.datetime.strptime(str(post["created_time"]), "%Y-%m-%dT%H:%M:%S%z")
    r = rng("facebook-comments", post["id"])
    comments: list[dict[str, object]] = []
    for i in range(total):
        name = r.choice(COMMENTER_NAMES)
        at = created + dt.timedelta(minutes=r.randint(3, 60 * 48))
        comments.append(
            {
                "id": f"{post['id']}_{1000 + i}",
                "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "message": r.choice(COMMENT_TEXTS),
                "from": {"name": name, "id": str(9_000_000 + COMMENTER_NAMES.index(name))},
            }
        )
    return comments


XING_PAGE_ID = "brauerei-sonnenhang"
XING_POSTS = (
    "https://www.xing.com/pages/brauerei-sonnenhang/posts/4711001",
    "Wir suchen eine Brauerin / einen Brauer (m/w/d) ab Januar",
    "https://www.xing.com/pages/brauerei-sonnenhang/posts/4711002",
)


def xing_month_csv(year: int, month: int) -> str:
    """What an admin copies from the Xing company page for one month, in the template's format."""
    lines = ["Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen"]
    day = dt.date(year, month, 1)
    followers = 1180 + (day - dt.date(2026, 1, 1)).days // 3
    while day.month == month:
        r = rng("xing", day)
        followers += r.randint(0, 2)
        views = round(310 * WEEKDAY_FACTOR[day.weekday()] * r.lognormvariate(0, 0.2))
        lines.append(
            f"{day:%d.%m.%Y};{followers:,};;{views:,};{r.randint(2, 25)};{r.randint(1, 14)};"
            f"{r.randint(0, 3)};{r.randint(0, 2)}".replace(",", ".")
        )
        if day.day in (6, 16, 26):
            post = XING_POSTS[(day.day // 10) % len(XING_POSTS)]
            lines.append(
                f"{day:%d.%m.%Y};;{post};{r.randint(800, 2400):,};{r.randint(10, 90)};"
                f"{r.randint(5, 40)};{r.randint(0, 8)};{r.randint(0, 6)}".replace(",", ".")
            )
        day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"


LINKEDIN_ORG_ID = "80486001"


def linkedin_day(day: dt.date) -> dict[str, int]:
    """The organization page's true daily share statistics, follower gains and page views."""
    r = rng("linkedin", day)
    base = 520 * WEEKDAY_FACTOR[day.weekday()] * (1.25 if day.weekday() < 5 else 0.6) * _trend(day)
    impressions = round(base * r.lognormvariate(0, 0.15))
    return {
        "impressionCount": impressions,
        "uniqueImpressionsCount": round(impressions * r.uniform(0.6, 0.8)),
        "clickCount": r.randint(3, 40),
        "likeCount": r.randint(2, 30),
        "commentCount": r.randint(0, 5),
        "shareCount": r.randint(0, 4),
        "organicFollowerGain": r.randint(0, 6),
        "paidFollowerGain": r.choice((0, 0, 0, 1)),
        "pageViews": r.randint(10, 90),
    }


def linkedin_posts(day: dt.date) -> list[dict[str, object]]:
    """Posts of the organization on a day (Posts API shape), with lifetime totals and comments."""
    r = rng("linkedin-posts", day)
    if day.weekday() >= 5 or r.random() > 0.35:
        return []
    created = dt.datetime.combine(day, dt.time(r.randint(7, 16), r.randint(0, 59)), dt.UTC)
    ms = int(created.timestamp() * 1000)
    urn = f"urn:li:share:{7_100_000_000 + (day - HISTORY_START).days}"
    post_impressions = r.randint(300, 3000)
    return [
        {
            "id": urn,
            "author": f"urn:li:organization:{LINKEDIN_ORG_ID}",
            "commentary": r.choice(
                (
                    "Wir stellen ein: Brauer/in (m/w/d) #karriere",
                    "Neues aus der Brauerei",
                    "Nachhaltig brauen: unsere Solaranlage ist online",
                    "Danke an unser Team!",
                )
            ),
            "createdAt": ms,
            "publishedAt": ms,
            "lastModifiedAt": ms,
            "lifecycleState": "PUBLISHED",
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "isReshareDisabledByAuthor": False,
            "_stats": {
                "impressionCount": post_impressions,
                "uniqueImpressionsCount": round(post_impressions * r.uniform(0.5, 0.8)),
                "clickCount": r.randint(5, 80),
                "likeCount": r.randint(3, 60),
                "commentCount": r.randint(0, 6),
                "shareCount": r.randint(0, 5),
                "engagement": 0.0,
            },
            "_comments": [
                {
                    "actor": f"urn:li:person:{r.choice(('aB3xY', 'Zq81k', 'Pp0Lm'))}",
                    "message": {
                        "text": r.choice(
                            ("Toll!", "Glückwunsch zum Jubiläum", "Is the job still open?", "Klingt spannend")
                        )
                    },
                    "created": {"time": ms + 3_600_000 * (i + 1)},
                    "id": str(6_900_000_000 + (day - HISTORY_START).days * 10 + i),
                    "$URN": f"urn:li:comment:({urn},{6_900_000_000 + (day - HISTORY_START).days * 10 + i})",
                }
                for i in range(r.randint(0, 3))
            ],
        }
    ]


X_USER_ID = "1480000000000000001"
X_USERNAME = "sonnenhang_bier"
X_CREATED_AT = dt.datetime(2019, 3, 14, 9, 0, tzinfo=dt.UTC)
X_POST_TEXTS = (
    "Frisch angestochen: unser {beer} 🍺",
    "Heute ab 17 Uhr Biergarten offen!",
    "Wer kommt am Samstag zur Brauereiführung? Noch {n} Plätze frei.",
    "Neu im Shop: {beer} im 6er-Träger",
    "Danke für {n} Jahre Treue, Franken! #brauerei",
)
X_REPLY_TEXTS = (
    "Mega, bin dabei! 🍻",
    "@sonnenhang_bier Wann gibt es das {beer} wieder in Flaschen?",
    "Leider war das {beer} letzte Woche ausverkauft 😕",
    "Bestes Bier der Region, danke @sonnenhang_bier",
    "@lisa_m schau mal, da müssen wir hin!",
    "Nicht schlecht, aber das Helle war schon mal besser.",
)


def x_posts(day: dt.date) -> list[dict[str, Any]]:
    """The X posts of a day (id, created_at, text) and their final lifetime totals."""
    if day < X_CREATED_AT.date():
        return []
    r = rng("x-posts", day)
    count = (1 if r.random() < 0.55 else 0) + (1 if r.random() < 0.12 else 0)
    posts = []
    for i in range(count):
        created = dt.datetime.combine(day, dt.time(r.randint(8, 19), r.randint(0, 59)), dt.UTC)
        impressions = r.randint(150, 2500)
        posts.append(
            {
                "id": str(1_860_000_000_000_000_000 + (day - dt.date(2024, 1, 1)).days * 100 + i),
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "text": r.choice(X_POST_TEXTS).format(beer=r.choice(BEERS), n=r.randint(3, 40)),
                "_final": {
                    "impression_count": impressions,
                    "like_count": r.randint(2, 60),
                    "retweet_count": r.randint(0, 12),
                    "quote_count": r.choice((0, 0, 0, 1, 2)),
                    "bookmark_count": r.randint(0, 8),
                    "url_link_clicks": r.randint(0, 30),
                    "user_profile_clicks": r.randint(0, 15),
                },
                "_replies": r.randint(0, 4),
            }
        )
    return posts


def x_share(published: dt.date, as_of: dt.date) -> float:
    """How much of a post's final totals it has at the end of `as_of` (half on its first day)."""
    age = (as_of - published).days
    return 0.0 if age < 0 else 1.0 - 0.5 ** (age + 1)


def x_replies(post: dict[str, Any]) -> list[dict[str, Any]]:
    """Replies to a post: spread over its first three days, from hashed-looking commenters."""
    r = rng("x-replies", post["id"])
    created = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    replies = []
    for i in range(post["_replies"]):
        at = created + dt.timedelta(hours=r.randint(1, 70))
        replies.append(
            {
                "id": str(int(post["id"]) * 10 + i + 1),
                "conversation_id": post["id"],
                "author_id": str(900_000_000 + r.randint(1, 40)),
                "in_reply_to_user_id": X_USER_ID,
                "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "text": r.choice(X_REPLY_TEXTS).format(beer=r.choice(BEERS)),
                "referenced_tweets": [{"type": "replied_to", "id": post["id"]}],
            }
        )
    return replies


def x_followers_on(day: dt.date) -> int:
    """X followers at the end of a day."""
    return 800 + (day - dt.date(2024, 1, 1)).days // 3 + rng("x-followers", day).randint(0, 2)


# -- competitors: three breweries nearby, their public numbers (what Business Discovery and X's user lookup and
# timeline show). Known truths for tests: followers at the end of a day grow by a fixed number a day from
# RIVAL_EPOCH; one post on every `every`-th day (by ordinal), at 10:00 UTC, its public counts fixed from the start.
RIVAL_EPOCH = dt.date(2026, 1, 1)


@dataclass(frozen=True)
class Rival:
    """A sandbox competitor and its public numbers."""

    name: str
    instagram: str | None
    instagram_id: str
    x_username: str | None
    x_id: str
    followers: int  # at the end of RIVAL_EPOCH
    gain_per_day: int
    every: int  # posts on days whose ordinal is divisible by this
    likes: int
    comments: int
    shares: int  # X: reposts + quotes


RIVALS = (
    Rival("Brauhaus Talblick", "brauhaus.talblick", "17841400000000101", "talblick_bier", "1480000000000000101",
          1800, 3, 2, 40, 6, 2),
    Rival("Klosterbräu Auental", "klosterbraeu.auental", "17841400000000102", "auental_kloster",
          "1480000000000000102", 5200, 1, 3, 90, 9, 4),
    Rival("Hopfenhof Weiler", "hopfenhof.weiler", "17841400000000103", None, "", 950, 5, 4, 25, 4, 0),
)  # fmt: skip


def rival_followers(rival: Rival, day: dt.date, network: str) -> int:
    """A competitor's followers at the end of a day (on X a third of its Instagram following)."""
    total = rival.followers + rival.gain_per_day * (day - RIVAL_EPOCH).days
    return {"instagram": total, "facebook": total // 2}.get(network, total // 3)


def rival_posts(rival: Rival, first: dt.date, last: dt.date, network: str) -> list[dict[str, Any]]:
    """A competitor's posts published on the days first..last (both included), newest first, with public counts."""
    found = []
    day = last
    while day >= first:
        if day.toordinal() % rival.every == 0:
            k = day.toordinal() % 5
            prefix = {"instagram": rival.instagram_id, "x": rival.x_id}.get(network, rival.instagram_id + "_")
            found.append({
                "id": f"{prefix}{day:%m%d}",
                "published_at": dt.datetime.combine(day, dt.time(10), dt.UTC),
                "likes": rival.likes + k,
                "comments": rival.comments + k % 3,
                "shares": None if network == "instagram" else rival.shares,
            })  # fmt: skip
        day -= dt.timedelta(days=1)
    return found


def rival_facebook(rival: Rival) -> str:
    """A competitor's Facebook Page username (its Instagram name without dots)."""
    return (rival.instagram or "").replace(".", "")


def rival_xing(rival: Rival) -> str:
    """A competitor's Xing page name (the name of its file in the import folder's `competitors/`)."""
    return rival.name.lower().replace(" ", "-")


def rival_xing_csv(rival: Rival, first: dt.date, last: dt.date) -> str:
    """What a marketer copies from a competitor's Xing page into the company's template: its follower total every
    Sunday and on `last`, and its posts (on Xing a third of its Instagram posts) with their public counts as of
    `last`. Impressionen and Klicks are not shown to others: left empty."""
    lines = ["Datum;Follower;Beitrag;Impressionen;Klicks;Reaktionen;Kommentare;Teilungen"]
    day = first
    while day <= last:
        if day.weekday() == 6 or day == last:
            lines.append(f"{day:%d.%m.%Y};{rival_followers(rival, day, 'xing'):,};;;;;;".replace(",", "."))
        day += dt.timedelta(days=1)
    for post in reversed(rival_posts(rival, first, last, "xing")[::3]):
        at = post["published_at"].date()
        url = f"https://www.xing.com/pages/{rival_xing(rival)}/posts/{8800000 + at.toordinal() % 100000}"
        lines.append(f"{at:%d.%m.%Y};;{url};;;{post['likes']};{post['comments']};{post['shares']}")
    return "\n".join(lines) + "\n"


def rival_on(network: str, handle: str) -> Rival | None:
    """The sandbox competitor of a username (any case) or X id."""
    for rival in RIVALS:
        names = {
            "instagram": (rival.instagram,),
            "facebook": (rival_facebook(rival),),
        }.get(network, (rival.x_username, rival.x_id))
        if any(n and n.lower() == handle.lower() for n in names):
            return rival
    return None
