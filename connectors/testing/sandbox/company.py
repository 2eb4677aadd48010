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

# Known truths the alerts must find, and nothing else (tests/test_alerts.py, docs/alerts.md), after the days other
# tests read (up to 2026-11-19): the page's reach falls to 30 % for a day (a post restriction): reach, media views
# and engagements; a post draws a wave of negative comments; LinkedIn's token (60 days) has 10 days left.
DROP_DAY = dt.date(2026, 11, 25)
DROP_FACTOR = 0.3
NEGATIVE_SPIKE_DAY = dt.date(2026, 11, 27)
NEGATIVE_SPIKE_COMMENTS = (
    "Sehr enttäuscht, das Bier war schal und der Service unfreundlich.",
    "Leider war der Service diesmal echt langsam 😕",
    "Schlechtester Besuch bisher, nie wieder!",
    "Eine Stunde auf das Essen gewartet, unmöglich.",
    "Das Bier war warm und abgestanden. Schade.",
    "Leider war der Service diesmal echt langsam 😕",
    "Total enttäuscht von der Führung, viel zu teuer.",
    "Unfreundliches Personal, leider keine Empfehlung.",
)
LINKEDIN_TOKEN_DAYS_LEFT = 10

POST_TEXTS = (
    "Neu im Ausschank: unser {beer}. Prost aus dem Sonnenhang!",
    "Brauereiführung am Samstag: noch {n} Plätze frei. Jetzt anmelden!",
    "Hinter den Kulissen: heute wird das {beer} eingebraut.",
    "Danke für {n} Bewertungen mit fünf Sternen! Ihr seid die Besten.",
    "Unser {beer} passt perfekt zur Brotzeit. Was esst ihr dazu?",
    "Herbstfest-Countdown: noch {n} Tage! 🍺",
)
BEERS = ("Kellerbier", "Helles", "Rauchbier", "Festbier", "Weizen", "Dunkles")
COUNTDOWN_DAYS = 30  # the Herbstfest countdown runs in the 30 days before the campaign starts
# A post that fits its day: the countdown only before the fest, the fest's own post while it runs, else the
# season's (drawn from their own generator, so every other value of the day stays as it was).
FEST_TEXT = "Herbstfest läuft: heute {beer} vom Fass! 🍺"
SEASON_TEXTS = {
    "winter": "Winterzeit ist Bockbierzeit: ab sofort im Ausschank. ❄️",
    "christmas": "Frohe Weihnachten aus dem Sonnenhang! Unser {beer} gibt es jetzt im Geschenkkarton. 🎄",
    "spring": "Der Frühling ist da: ab Samstag ist der Biergarten wieder offen! 🌼",
    "summer": "Sommer im Biergarten: unser {beer} gut gekühlt. ☀️",
    "autumn": "Goldener Herbst im Bräustüberl: dazu unser {beer}. 🍂",
}
SEASONS = {12: "christmas", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring", 6: "summer",
           7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}  # fmt: skip


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
    base = 1400 * WEEKDAY_FACTOR[day.weekday()] * _trend(day) * lift * (DROP_FACTOR if day == DROP_DAY else 1.0)
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


WEBSITE = "https://www.brauerei-sonnenhang.de"
# The Herbstfest's link, tagged as `socialmetrics link` tags it (utm_campaign: the campaign's config name).
CAMPAIGN_LINK = f"{WEBSITE}/herbstfest?utm_source=facebook&utm_medium=social&utm_campaign=Herbstfest%202026"


def _post_link(day: dt.date, i: int) -> str:
    """The link a Facebook post's text ends with, if any (its own draw, so the posts' other values stay as they
    were): during the Herbstfest most posts link to it, tagged; otherwise a quarter link to the shop, untagged."""
    r = rng("facebook-post-link", day, i)
    if CAMPAIGN.active(day, "facebook"):
        return f" Alle Infos: {CAMPAIGN_LINK}" if r.random() < 0.7 else ""
    return f" Im Shop: {WEBSITE}/shop" if r.random() < 0.25 else ""


def seasonal(text: str, day: dt.date, i: int) -> str:
    """The post's text as it fits the day: the Herbstfest countdown counts the real days to the fest in the
    COUNTDOWN_DAYS before it, becomes the fest's post while it runs, and the season's post on every other day."""
    if not text.startswith("Herbstfest-Countdown"):
        return text
    beer = rng("season", day, i).choice(BEERS)
    if CAMPAIGN.start - dt.timedelta(days=COUNTDOWN_DAYS) <= day < CAMPAIGN.start:
        return f"Herbstfest-Countdown: noch {(CAMPAIGN.start - day).days} Tage! 🍺"
    if CAMPAIGN.active(day, "facebook"):
        return FEST_TEXT.format(beer=beer)
    return SEASON_TEXTS[SEASONS[day.month]].format(beer=beer)


FACEBOOK_STATUS_TYPES = ("mobile_status_update", "added_photos", "added_photos", "added_video", "shared_story")


def facebook_posts(day: dt.date) -> list[dict[str, object]]:
    """The posts the page published on a day, with their lifetime totals."""
    r = rng("facebook-posts", day)
    own = 1 if r.random() < 0.6 else 0
    extra = 1 if CAMPAIGN.active(day, "facebook") and r.random() < 0.5 else 0  # the campaign's own post
    count = own + extra
    if day == NEGATIVE_SPIKE_DAY:
        count = max(count, 1)  # the post that draws the negative comments
    posts: list[dict[str, object]] = []
    for i in range(count):
        hour, minute = r.randint(7, 19), r.randint(0, 59)
        created = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)
        text = seasonal(r.choice(POST_TEXTS).format(beer=r.choice(BEERS), n=r.randint(3, 40)), day, i)
        if extra and i == count - 1:
            text = FEST_TEXT.format(beer=rng("season", day, i).choice(BEERS))
        reactions = r.randint(5, 80)
        comments = r.randint(0, 15) + (len(NEGATIVE_SPIKE_COMMENTS) if day == NEGATIVE_SPIKE_DAY and i == 0 else 0)
        shares = r.choice((0, 0, 1, 2, 3, 5, 8))
        post: dict[str, object] = {
            "id": f"{FACEBOOK_PAGE_ID}_{day:%Y%m%d}{i:02d}",
            "created_time": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink_url": f"https://www.facebook.com/{FACEBOOK_PAGE_ID}/posts/{day:%Y%m%d}{i:02d}",
            "reactions": {"data": [], "summary": {"total_count": reactions, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": comments, "can_comment": True}},
        }
        if r.random() < 0.93:  # some posts are image-only: Graph leaves `message` out
            post["message"] = text + _post_link(day, i)
        # Graph's `status_type` (drawn apart, so the other draws stay as they were): a post without a message
        # is a picture; the others are a status update, pictures, a video or a shared link.
        post["status_type"] = (
            rng("facebook-format", day, i).choice(FACEBOOK_STATUS_TYPES) if "message" in post else "added_photos"
        )
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
    spike = len(NEGATIVE_SPIKE_COMMENTS) if post["id"] == f"{FACEBOOK_PAGE_ID}_{NEGATIVE_SPIKE_DAY:%Y%m%d}00" else 0
    for i in range(total - spike):
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
    for j, text in enumerate(NEGATIVE_SPIKE_COMMENTS[:spike]):  # within two hours of the post, same local day
        name = COMMENTER_NAMES[j % len(COMMENTER_NAMES)]
        comments.append(
            {
                "id": f"{post['id']}_{1000 + total - spike + j}",
                "created_time": (created + dt.timedelta(minutes=10 + 12 * j)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "message": text,
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
    posts: list[dict[str, object]] = [
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
    # The Posts API's `content` (drawn apart, so the other draws stay as they were): absent on a text post;
    # `media.id` an image or video URN, `multiImage` several images, `article` a link preview, `poll` a poll.
    content = rng("linkedin-format", day).choice(LINKEDIN_CONTENTS)
    if content is not None:
        posts[0]["content"] = content
    return posts


LINKEDIN_CONTENTS: tuple[dict[str, object] | None, ...] = (
    None,
    {"media": {"id": "urn:li:image:C4D22AQFsandbox0", "altText": "Sudhaus"}},
    {"media": {"id": "urn:li:video:C5F10AQGsandbox0", "title": "Brauereiführung"}},
    {"multiImage": {"images": [{"id": "urn:li:image:C4D22AQFsandbox1"}, {"id": "urn:li:image:C4D22AQFsandbox2"}]}},
    {"article": {"source": WEBSITE + "/blog", "title": "Nachhaltig brauen"}},
    {"poll": {"question": "Welches Bier als Nächstes?", "options": [{"text": "Weizen"}, {"text": "Bock"}]}},
)


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


def _x_season(text: str, day: dt.date) -> str:
    """The beer garden is open from April to October; in the cold months the taproom opens instead."""
    if day.month in (11, 12, 1, 2, 3):
        return text.replace("Biergarten", "Bräustüberl")
    return text


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
                "text": _x_season(r.choice(X_POST_TEXTS).format(beer=r.choice(BEERS), n=r.randint(3, 40)), day),
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
    templates = []
    for i in range(post["_replies"]):
        at = created + dt.timedelta(hours=r.randint(1, 70))
        reply = {
            "id": str(int(post["id"]) * 10 + i + 1),
            "conversation_id": post["id"],
            "author_id": str(900_000_000 + r.randint(1, 40)),
            "in_reply_to_user_id": X_USER_ID,
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        template = r.choice(X_REPLY_TEXTS)
        reply |= {"text": template.format(beer=r.choice(BEERS)),
                  "referenced_tweets": [{"type": "replied_to", "id": post["id"]}]}  # fmt: skip
        replies.append(reply)
        templates.append(template)
    answers = []  # the account's answers in the conversation (answer_delay: the demo's known truth)
    for n, (reply, template) in enumerate(zip(replies, templates, strict=True)):
        delay = answer_delay("x", str(reply["id"]), template)
        if delay is None:
            continue
        at = dt.datetime.fromisoformat(str(reply["created_at"]).replace("Z", "+00:00")) + delay
        answers.append(
            {
                "id": str(int(post["id"]) * 10 + 5 + n),  # after the replies' ids (post * 10 + 1..4)
                "conversation_id": post["id"],
                "author_id": X_USER_ID,
                "in_reply_to_user_id": reply["author_id"],
                "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "text": answer_text("x", str(reply["id"]), template),
                "referenced_tweets": [{"type": "replied_to", "id": reply["id"]}],
            }
        )
    return replies + answers


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


# -- the company's answers (issue #30): who talks to the brewery, and whether, how fast it answers -------------
# The known truth of the demo's service level: questions and complaints (texts below) are answered fast (1-8 hours)
# a bit over half the time, late (26-72 hours) a quarter of the time and never otherwise; a few other comments get a
# thank-you. The fakes show an answer only once its time has passed (their `today`), so a late answer appears in a
# later run and its comment leaves the open list then.
NEEDS_ANSWER_TEXTS = frozenset(
    {
        "Wann habt ihr am Sonntag geöffnet?",
        "Leider war der Service diesmal echt langsam 😕",
        "Gibt es das Festbier auch in Flaschen?",
        "Is the job still open?",
        "Habt ihr am Feiertag offen?",
        "Wann gibt es das wieder in Flaschen?",  # Instagram
        "Leider ausverkauft gewesen 😕",
        "@sonnenhang_bier Wann gibt es das {beer} wieder in Flaschen?",  # X (before the beer is filled in)
        "Leider war das {beer} letzte Woche ausverkauft 😕",
    }
)
ANSWER_TEXTS = (
    "Danke für die Nachricht! Wir melden uns gleich per PN.",
    "Sonntags haben wir von 11 bis 18 Uhr offen.",
    "Das tut uns leid, wir schauen uns das an.",
    "Ja, ab nächster Woche im Shop.",
)
THANKS_TEXT = "Danke dir! 🍻"


def answer_delay(network: str, comment_id: str, text: object) -> dt.timedelta | None:
    """When the company answers a comment (after it was written), or None: the demo's known truth."""
    r = rng("answer", network, comment_id)
    roll = r.random()
    if text in NEEDS_ANSWER_TEXTS:
        if roll < 0.55:
            return dt.timedelta(hours=r.randint(1, 8), minutes=r.randint(0, 59))
        if roll < 0.80:
            return dt.timedelta(hours=r.randint(26, 72), minutes=r.randint(0, 59))
        return None
    return dt.timedelta(hours=r.randint(2, 20)) if roll < 0.2 else None


def answer_text(network: str, comment_id: str, text: object) -> str:
    """The company's answer to a comment."""
    if text not in NEEDS_ANSWER_TEXTS:
        return THANKS_TEXT
    return rng("answer-text", network, comment_id).choice(ANSWER_TEXTS)


def facebook_thread(post: dict[str, object], until: dt.datetime | None = None) -> list[dict[str, object]]:
    """The post's comments and the Page's replies to them, in time order (as `filter=stream` lists them); a reply
    written after `until` (the fake's today) does not exist yet."""
    stream: list[dict[str, object]] = []
    for comment in facebook_comments(post):
        stream.append(comment)
        delay = answer_delay("facebook", str(comment["id"]), comment["message"])
        if delay is None:
            continue
        at = dt.datetime.strptime(str(comment["created_time"]), "%Y-%m-%dT%H:%M:%S%z") + delay
        if until is not None and at >= until:
            continue
        stream.append(
            {
                "id": f"{post['id']}_{5000 + int(str(comment['id']).rsplit('_', 1)[1])}",
                "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "message": answer_text("facebook", str(comment["id"]), comment["message"]),
                "from": {"name": COMPANY, "id": FACEBOOK_PAGE_ID},
                "parent": {"id": comment["id"]},
            }
        )
    return sorted(stream, key=lambda c: str(c["created_time"]))
