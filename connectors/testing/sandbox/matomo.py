"""A fake Matomo (HTTP Reporting API) for the sandbox brewery's website, answering like the documented one, and
the website's visits (a pure function of the day, like connectors/testing/sandbox/company.py).

The website's true numbers: visits from each network follow that network's posts of the day (Facebook,
Instagram, LinkedIn, X, from the other sandboxes' own functions) on top of a base; during the Herbstfest
campaign visits from Facebook are VISIT_LIFT (+40 %) higher, and a share of them arrives through tagged links
(utm_source=facebook, utm_campaign=Herbstfest 2026, which Matomo stores lower-cased). Two goals convert at known
rates: 'Tischreservierung' and 'Onlineshop-Bestellung' (with revenue).

Served: POST /index.php (module=API) with `token_auth` in the form body, for VisitsSummary.get, Goals.get
(idGoal optional), Referrers.getSocials and Referrers.getCampaigns, `period=day` over a date range, segments
`referrerType==social` and `campaignSource==<source>`. Behaviour as Matomo 5 documents and does:
- the answer is keyed by date; a day without visits (before the site's history, today and later) is `[]`;
- a wrong token answers 401 `{"result":"error","message":"Unable to authenticate ..."}`, a token in the URL the
  same (the sandbox token is "secure only": matomo.org FAQ 114); a site the token cannot see answers 401
  "You can't access this resource as it requires 'view' access for the website id = N." With `matomo4 = True`
  both come with HTTP 200, as Matomo <= 4 sends them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from connectors.testing import Answer, FakeApi, answer_with_faults
from connectors.testing.sandbox import company, instagram

SITE_ID = "1"
SANDBOX_TOKEN = "sandbox-matomo-token-auth"
HISTORY_START = company.HISTORY_START
VISIT_LIFT = 0.40  # Herbstfest: visits from Facebook +40 % (referrer and tagged links together)
TAGGED_SHARE = 0.35  # of Facebook's visits during the campaign, the share arriving through tagged links
CAMPAIGN_NAME = company.CAMPAIGN.name.lower()  # Matomo lower-cases campaign names
GOALS = {"1": "Tischreservierung", "2": "Onlineshop-Bestellung"}
GOAL_RATES = {  # conversions per visit, by where the visit came from
    "1": {"social": 0.05, "campaign": 0.08, "other": 0.03},
    "2": {"social": 0.015, "campaign": 0.02, "other": 0.02},
}
ORDER_VALUE = 38.5  # euros per Onlineshop-Bestellung (goal 2's revenue); Tischreservierung has none
BASE_VISITS = {"facebook": 24, "instagram": 16, "linkedin": 6, "x": 3, "xing": 2}
PER_POST_VISITS = {"facebook": 22, "instagram": 14, "linkedin": 12, "x": 6}
SOCIAL_SITES = {  # network -> (Matomo's label, url)
    "facebook": ("Facebook", "facebook.com"),
    "instagram": ("Instagram", "instagram.com"),
    "linkedin": ("LinkedIn", "linkedin.com"),
    "x": ("Twitter", "twitter.com"),
    "xing": ("XING", "xing.com"),
}
OTHER_SOCIAL = ("Pinterest", "pinterest.com")
INVALID_TOKEN = (
    "Unable to authenticate with the provided token. It is either invalid, expired or is required to be sent as a "
    "POST parameter."
)


def _posts(network: str, day: dt.date, campaign: bool = True) -> int:
    if network == "facebook" and not campaign:
        # the page's posts without the campaign's extra ones: the first draw of company.facebook_posts alone
        return 1 if company.rng("facebook-posts", day).random() < 0.6 else 0
    if network == "facebook":
        return len(company.facebook_posts(day))
    if network == "instagram":
        return len(instagram.media_of(day))
    if network == "linkedin":
        return len(company.linkedin_posts(day))
    if network == "x":
        return len(company.x_posts(day))
    return 0


def _converted(visits: int, kind: str, *parts: object) -> dict[str, int]:
    """Conversions per goal of `visits` visits of one kind (a fixed draw per visit, seeded)."""
    r = company.rng("matomo-goals", *parts)
    return {goal: sum(1 for _ in range(visits) if r.random() < rates[kind]) for goal, rates in GOAL_RATES.items()}


def _entry(visits: int, kind: str, *parts: object) -> dict[str, Any]:
    return {"visits": visits, "users": round(visits * 0.9), "goals": _converted(visits, kind, *parts)}


def day_traffic(day: dt.date, campaign: bool = True) -> dict[str, Any]:
    """The site's visits of one day: per social site (referrer), per campaign and source, and the rest.
    `campaign=False`: the same day had the Herbstfest not happened (no lift, no extra posts; the same noise)."""
    if day < HISTORY_START:
        return {"social": {}, "campaigns": {}, "other": None}
    r = company.rng("matomo", day)
    factor = company.WEEKDAY_FACTOR[day.weekday()]
    social: dict[str, dict[str, Any]] = {}
    campaigns: dict[tuple[str, str], dict[str, Any]] = {}
    for network, base in BASE_VISITS.items():
        posts = _posts(network, day, campaign)
        visits = (base + PER_POST_VISITS.get(network, 0) * posts) * factor * r.lognormvariate(0, 0.1)
        if campaign and network == "facebook" and company.CAMPAIGN.active(day, "facebook"):
            visits *= 1 + VISIT_LIFT
            tagged = round(visits * TAGGED_SHARE)
            campaigns[(CAMPAIGN_NAME, network)] = _entry(tagged, "campaign", day, "campaign", network)
            visits -= tagged
        social[network] = _entry(round(visits), "social", day, network)
    social["other_social"] = _entry(r.randint(0, 3), "social", day, "pinterest")
    other = _entry(round(150 * factor * r.lognormvariate(0, 0.12)), "other", day, "other")
    return {"social": social, "campaigns": campaigns, "other": other}


def _metrics(entries: list[dict[str, Any]], goal: str | None = None) -> dict[str, Any]:
    """Matomo's numbers of a set of visits: all goals, or one goal's."""
    visits = sum(e["visits"] for e in entries)
    goals = [goal] if goal else list(GOALS)
    conversions = sum(e["goals"][g] for e in entries for g in goals)
    revenue = sum(e["goals"]["2"] for e in entries) * ORDER_VALUE if "2" in goals else 0
    converted = sum(max(e["goals"].values(), default=0) for e in entries)
    return {"visits": visits, "users": sum(e["users"] for e in entries), "conversions": conversions,
            "revenue": round(revenue, 2), "converted": min(converted, visits)}  # fmt: skip


def _report_row(label: str, entries: list[dict[str, Any]], segment: str, url: str | None = None) -> dict[str, Any]:
    """A row of a Referrers report as Matomo's JSON renderer gives it (goal columns only when something converted)."""
    m = _metrics(entries)
    row: dict[str, Any] = {"label": label, "nb_uniq_visitors": m["users"], "nb_visits": m["visits"],
                           "nb_actions": m["visits"] * 3, "nb_users": 0, "max_actions": 9,
                           "sum_visit_length": m["visits"] * 95, "bounce_count": m["visits"] // 3,
                           "nb_visits_converted": m["converted"]}  # fmt: skip
    if url:
        row["url"] = url
        row["logo"] = f"plugins/Morpheus/icons/dist/socials/{url}.png"
    if m["conversions"]:
        row["goals"] = {}
        for goal in GOALS:
            g = _metrics(entries, goal)
            if g["conversions"]:
                row["goals"][f"idgoal={goal}"] = {"nb_conversions": g["conversions"], "nb_visits_converted":
                                                  g["conversions"], "revenue": g["revenue"]}  # fmt: skip
        row["nb_conversions"] = m["conversions"]
        row["revenue"] = m["revenue"]
    row["segment"] = segment
    return row


def answer_day(method: str, day: dt.date, segment: str, goal: str | None) -> Any:
    """Matomo's answer for one day of a method (`[]` for a day without visits)."""
    t = day_traffic(day)
    if t["other"] is None:
        return []
    social = list(t["social"].values())
    tagged = {k: v for k, v in t["campaigns"].items()}
    if segment.startswith("campaignSource=="):
        source = segment.split("==", 1)[1]
        tagged = {k: v for k, v in tagged.items() if k[1] == source}
    if method in ("VisitsSummary.get", "Goals.get"):
        if segment == "referrerType==social":
            entries = social
        elif segment:
            entries = list(tagged.values())
        else:
            entries = [*social, *t["campaigns"].values(), t["other"]]
        m = _metrics(entries, goal)
        if not m["visits"] and not m["conversions"]:
            return []
        if method == "VisitsSummary.get":
            return {"nb_uniq_visitors": m["users"], "nb_users": 0, "nb_visits": m["visits"],
                    "nb_actions": m["visits"] * 3, "nb_visits_converted": m["converted"],
                    "bounce_count": m["visits"] // 3, "sum_visit_length": m["visits"] * 95, "max_actions": 9,
                    "bounce_rate": "33%", "nb_actions_per_visit": 3, "avg_time_on_site": 95}  # fmt: skip
        rate = f"{round(100 * m['converted'] / m['visits'], 2) if m['visits'] else 0}%"
        return {"nb_conversions": m["conversions"], "nb_visits_converted": min(m["conversions"], m["visits"]),
                "revenue": m["revenue"], "conversion_rate": rate}  # fmt: skip
    if method == "Referrers.getSocials":
        rows = []
        for network, entry in t["social"].items():
            if not entry["visits"]:
                continue
            label, url = SOCIAL_SITES.get(network, OTHER_SOCIAL)
            rows.append(_report_row(label, [entry], f"referrerType==social;referrerName=={label}", url))
        return sorted(rows, key=lambda row: -row["nb_visits"])
    if method == "Referrers.getCampaigns":
        names = sorted({name for name, _ in tagged})
        rows = [
            _report_row(
                name,
                [v for (n, _), v in tagged.items() if n == name],
                f"referrerType==campaign;referrerName=={name.replace(' ', '+')}",
            )  # fmt: skip
            for name in names
        ]
        return [row for row in rows if row["nb_visits"]]
    raise ValueError(method)


class MatomoSandbox(FakeApi):
    """The fake Matomo of the sandbox brewery's website."""

    sandbox_token: ClassVar[str] = SANDBOX_TOKEN
    methods: ClassVar[tuple[str, ...]] = ("VisitsSummary.get", "Goals.get", "Referrers.getSocials",
                                          "Referrers.getCampaigns")  # fmt: skip

    def __init__(self, *, today: dt.date | None = None) -> None:
        super().__init__(today=today)
        self.account_ids = [SITE_ID]
        self.matomo4 = False  # True: errors come with HTTP 200, as Matomo <= 4 sends them

    def error(self, status: int, message: str) -> Answer:
        """Matomo's error envelope (status 200 on Matomo <= 4)."""
        return (200 if self.matomo4 else status), {}, {"result": "error", "message": message}

    def handle_request(self, path: str, raw_query: str, headers: dict[str, str]) -> Answer:
        """A GET: the sandbox token is "secure only", so a token in the URL is refused like a wrong one."""
        self.requests.append((path, {k: v for k, v in parse_qsl(raw_query) if "token" not in k}))
        return self.error(401, INVALID_TOKEN)

    def handle_post(self, path: str, raw_query: str, data: bytes, headers: dict[str, str]) -> Answer:
        """A POST: parameters from the query and the form body, the token from the body only."""
        in_url = dict(parse_qsl(raw_query, keep_blank_values=True))
        form = dict(parse_qsl(data.decode("utf-8"), keep_blank_values=True))
        query = {**in_url, **form}
        self.requests.append((path, {k: v for k, v in query.items() if "token" not in k}))
        method = query.get("method", "")

        def checked() -> Answer:
            if "token_auth" in in_url or form.get("token_auth") not in self.valid_tokens:
                return self.error(401, INVALID_TOKEN)
            return self.answer(path, query)

        # faults match on the path, the method and the segment ("Referrers.getSocials", "segment=campaignSource")
        return answer_with_faults(self.faults, f"{path}?method={method}&segment={query.get('segment', '')}", checked)

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        """The documented answer to an authorised request."""
        if path.rstrip("/") not in ("", "/index.php") or query.get("module") != "API":
            return 404, {}, b"<html><body>Not Found</body></html>"
        site = query.get("idSite", "")
        if site not in self.account_ids:
            return self.error(401, f"You can't access this resource as it requires 'view' access for the website id "
                                   f"= {site}.")  # fmt: skip
        method = query.get("method", "")
        if method not in self.methods:
            return self.error(200, f"The method '{method}' does not exist or is not available in the module.")
        if query.get("period") != "day" or query.get("format", "").lower() != "json":
            return self.error(200, "This sandbox serves period=day and format=JSON only.")
        try:
            first, last = (dt.date.fromisoformat(d) for d in query.get("date", "").split(","))
        except ValueError:
            return self.error(
                200, f"Date format must be: YYYY-MM-DD, or 'today' or 'yesterday' ... ({query.get('date')})"
            )
        segment, goal = query.get("segment", ""), query.get("idGoal") or None
        body: dict[str, Any] = {}
        day = first
        while day <= last:
            body[day.isoformat()] = answer_day(method, day, segment, goal) if day < self.today else []
            day += dt.timedelta(days=1)
        return 200, {}, body


def true_facebook_visit_lift() -> float:
    """The Herbstfest's true effect on visits from Facebook (referrer and tagged links), in percent: the campaign
    days' visits against the same days without the campaign (its +40 % and the visits its extra posts brought)."""
    days = [
        company.CAMPAIGN.start + dt.timedelta(days=i)
        for i in range((company.CAMPAIGN.end - company.CAMPAIGN.start).days + 1)
    ]
    with_it = sum(
        day_traffic(d)["social"]["facebook"]["visits"] + sum(v["visits"] for v in day_traffic(d)["campaigns"].values())
        for d in days
    )
    without = sum(day_traffic(d, campaign=False)["social"]["facebook"]["visits"] for d in days)
    return 100 * (with_it / without - 1)
