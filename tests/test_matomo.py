"""Matomo: the sandbox website through the whole pipeline to the marts, Matomo's own recorded answers
(tests/fixtures/recorded/matomo), the errors a user has to act on, and the referrer -> network mapping."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    Account,
    AccountOptionError,
    AuthError,
    Credentials,
    PermanentError,
    UnknownAccountError,
    Window,
)
from connectors.matomo import MatomoApiError, MatomoConnector, MatomoErrorPolicy
from connectors.testing import FakeServer, Fault, run_contract
from connectors.testing.sandbox import matomo as fake
from connectors.web import network_of_host, network_of_social, network_of_source
from socialmetrics import pipeline
from tests.conftest import REPO, Harness
from tests.test_recorded_answers import TOKEN, Route, answer, fixture, replay, run_through, stored_text

__all__ = ["replay"]  # the fixture, used by name
TODAY = dt.date(2026, 11, 20)
CAMPAIGN_DAYS = Window(dt.date(2026, 9, 20), dt.date(2026, 9, 23))  # Sunday..Tuesday of the Herbstfest
SITE_CONFIG = """company: Brauerei Sonnenhang GmbH
timezone: Europe/Berlin
lookback_days: 2
accounts:
  - network: matomo
    id: "1"
    goals: {1: Tischreservierung, 2: Onlineshop-Bestellung}
campaigns:
  - {name: Herbstfest 2026, start: 2026-09-14, end: 2026-10-04, networks: [facebook]}
"""


@pytest.fixture
def sandbox():
    app = fake.MatomoSandbox(today=TODAY)
    app.valid_tokens.add(TOKEN)
    with FakeServer(app) as server:
        yield app, server


def connector(server: Any, site: str = fake.SITE_ID, token: str = TOKEN, **options: Any) -> MatomoConnector:
    creds = Credentials("matomo_default", token, base_url=server.base_url)
    return MatomoConnector(Account("matomo", site, options=options), creds, today=TODAY)


def truth(day: dt.date) -> dict[str, Any]:
    """The sandbox's true visits of a day: per network (referrer + tagged), the campaign, the site."""
    t = fake.day_traffic(day)
    tagged = t["campaigns"].get((fake.CAMPAIGN_NAME, "facebook"), {"visits": 0, "goals": {"1": 0, "2": 0}})
    every = [*t["social"].values(), *t["campaigns"].values(), t["other"]]
    return {
        "facebook": t["social"]["facebook"]["visits"] + tagged["visits"],
        "tagged": tagged["visits"],
        "all": sum(e["visits"] for e in every),
        "tisch_all": sum(e["goals"]["1"] for e in every),
        "orders_all": sum(e["goals"]["2"] for e in every),
        "tisch_facebook": t["social"]["facebook"]["goals"]["1"] + tagged["goals"]["1"],
    }


@pytest.fixture
def harness(sandbox, tmp_path: Path) -> Harness:
    """The pipeline (extract, load, quality gate, transform, finish) against the fake Matomo."""
    _app, server = sandbox
    config = tmp_path / "socialmetrics.yml"
    config.write_text(SITE_CONFIG, encoding="utf-8")
    return Harness(server, config, tmp_path / "warehouse.duckdb", tmp_path / "landing", token=TOKEN)


def outcome(h: Harness, day: dt.date, network: str, campaign: str | None = None) -> tuple[Any, ...] | None:
    rows = h.query(
        "SELECT visits, users, conversions, revenue FROM marts.web_outcomes_daily WHERE day = ? AND network = ? "
        "AND campaign IS NOT DISTINCT FROM ?",
        [day, network, campaign],
    )
    return rows[0] if rows else None


# -- end to end ------------------------------------------------------------------------------------------


def test_a_campaign_day_through_the_pipeline_holds_the_served_numbers(harness: Harness) -> None:
    """Given the fake Matomo, when a nightly run covers 20..22 September (the Herbstfest), then the marts hold the
    served visits: the whole site, Facebook = its referrer visits plus the tagged Herbstfest links, the campaign
    by name and source, Tischreservierung by its configured name, and the shop's revenue at 38.50 € an order."""
    harness.run(dt.date(2026, 9, 22))
    day = dt.date(2026, 9, 21)
    t = truth(day)
    assert (t["all"], t["facebook"], t["tagged"], t["tisch_all"], t["orders_all"]) == (201, 31, 11, 15, 1)
    assert outcome(harness, day, "all") == (201, 181, 16, 38.5)
    assert outcome(harness, day, "facebook")[0] == t["facebook"] == 31
    assert outcome(harness, day, "facebook", "herbstfest 2026") == (11, 10, 3, 0.0)
    assert outcome(harness, day, "all", "herbstfest 2026") == (11, 10, 3, 0.0)
    assert outcome(harness, day, "social")[0] == 62 + 11  # the social segment plus the tagged links
    goals = harness.query(
        "SELECT goal_id, goal_name, conversions, revenue FROM marts.web_goal_daily "
        "WHERE day = ? AND network = 'all' AND campaign IS NULL ORDER BY goal_id",
        [day],
    )
    assert goals == [("1", "Tischreservierung", 15, 0.0), ("2", "Onlineshop-Bestellung", 1, 38.5)]
    facebook_tisch = harness.query(
        "SELECT conversions FROM marts.web_goal_daily WHERE day = ? AND network = 'facebook' AND campaign IS NULL "
        "AND goal_id = '1'",
        [day],
    )
    assert facebook_tisch == [(t["tisch_facebook"],)]
    days = harness.query("SELECT DISTINCT day FROM marts.web_outcomes_daily ORDER BY day")
    assert [d for (d,) in days] == [dt.date(2026, 9, 20), dt.date(2026, 9, 21), dt.date(2026, 9, 22)]


def test_the_campaign_lifts_visits_from_facebook_by_the_known_true_effect() -> None:
    """The sandbox's true effect: during the Herbstfest, Facebook's visits are 40 % above the same weekdays'
    base; the other networks are untouched."""
    assert fake.VISIT_LIFT == 0.40
    outside = [truth(dt.date(2026, 8, 17) + dt.timedelta(days=i))["facebook"] for i in range(21)]
    during = [truth(dt.date(2026, 9, 14) + dt.timedelta(days=i))["facebook"] for i in range(21)]
    assert sum(during) / sum(outside) > 1.25


def test_a_429_waits_as_asked_then_the_run_completes(harness: Harness, sandbox) -> None:
    """Given Matomo (or its proxy) answering one 429 with Retry-After: 7, when the run asks, then it waits 7 s
    and loads the same numbers as without it."""
    app, _ = sandbox
    app.faults.append(Fault("Referrers.getSocials", 429, {"result": "error", "message": "Too many requests"},
                            {"Retry-After": "7"}))  # fmt: skip
    harness.run(dt.date(2026, 9, 22))
    assert harness.sleeps == [7.0]
    assert outcome(harness, dt.date(2026, 9, 21), "facebook")[0] == 31


def test_an_http_200_error_body_fails_at_once_naming_the_site_and_message(harness: Harness, sandbox) -> None:
    """Given Matomo answering HTTP 200 with {"result":"error"} (Matomo <= 4 does), when the run asks, then the
    extract fails with a never-retried error naming the site and Matomo's message, and the token is not in it."""
    app, server = sandbox
    app.faults.append(Fault("Goals.get", 200, {"result": "error", "message": "Requested report Goals.get not found"}))
    with pytest.raises(MatomoApiError) as err:
        list(connector(server).fetch(MatomoConnector.streams[1], CAMPAIGN_DAYS))
    assert isinstance(err.value, PermanentError)
    assert "Matomo site 1" in str(err.value) and "Requested report Goals.get not found" in str(err.value)
    assert TOKEN not in str(err.value)


def test_a_wrong_token_answered_401_names_the_connection(sandbox) -> None:
    """Matomo 5 answers a wrong token with 401 and its error envelope: an AuthError naming matomo_default."""
    _app, server = sandbox
    wrong = "wrong-token-0123456789abcdef"
    with pytest.raises(AuthError) as err:
        list(connector(server, token=wrong).fetch(MatomoConnector.streams[0], CAMPAIGN_DAYS))
    text = str(err.value)
    assert "Matomo site 1: Matomo refused the token (Unable to authenticate" in text
    assert "'matomo_default'" in text and wrong not in text and "never retried" in text


def test_a_site_the_token_cannot_see_says_both_possible_fixes_also_with_http_200(sandbox) -> None:
    """Matomo 4 sends the no-access error with HTTP 200: still an AuthError naming the site and what to check."""
    app, server = sandbox
    app.matomo4 = True
    with pytest.raises(AuthError) as err:
        list(connector(server, site="7").fetch(MatomoConnector.streams[0], CAMPAIGN_DAYS))
    assert "Matomo site 7: Matomo refused access" in str(err.value)
    assert "'view' access" in str(err.value) and "Manage" in str(err.value)


def test_an_empty_day_lands_no_row_and_the_other_days_load(harness: Harness, sandbox) -> None:
    """Given Matomo answering `[]` for 21 September in every report (a day without archived visits), when the
    run covers 20..22, then that day has no row anywhere, the others hold their numbers, and the run passes."""
    app, _ = sandbox

    def empty_21(body: Any) -> Any:
        return {**body, "2026-09-21": []} if isinstance(body, dict) else body

    app.faults.append(Fault("method=", mutate=empty_21, times=100))
    harness.run(dt.date(2026, 9, 22))
    days = harness.query("SELECT DISTINCT day FROM raw.web_traffic ORDER BY day")
    assert [d for (d,) in days] == [dt.date(2026, 9, 20), dt.date(2026, 9, 22)]
    assert outcome(harness, dt.date(2026, 9, 21), "all") is None
    assert outcome(harness, dt.date(2026, 9, 22), "all")[0] == truth(dt.date(2026, 9, 22))["all"]


def test_the_token_goes_in_the_post_body_and_nowhere_else(sandbox, tmp_path: Path) -> None:
    """The fake refuses a token in the URL (a "secure only" token); a run passes, and nothing landed or stored
    holds the token."""
    app, server = sandbox
    con = run_through(connector(server), ["visits", "socials"], CAMPAIGN_DAYS, tmp_path, TODAY)
    assert all("token_auth" not in query for _path, query in app.requests)
    assert TOKEN not in stored_text(tmp_path, con)


def test_unknown_goal_options_are_refused_with_the_expected_form(sandbox) -> None:
    _app, server = sandbox
    with pytest.raises(AccountOptionError, match="1: Tischreservierung"):
        connector(server, goals={"Tisch": "Tischreservierung"})
    with pytest.raises(AccountOptionError, match="maps goal ids to names"):
        connector(server, goals=["Tischreservierung"])


def test_the_contract_suite_holds() -> None:
    counts = run_contract(MatomoConnector, fake.MatomoSandbox)
    assert counts["visits.web_traffic"] == 14  # 7 days, the site and its social segment


def test_the_sandbox_config_reads_the_website_with_its_goals() -> None:
    jobs = pipeline.plan(REPO / "config" / "socialmetrics.yml")
    site = next(j for j in jobs if j["network"] == "matomo")
    assert site["id"] == "1" and site["conn_id"] == "matomo_default"
    assert site["options"]["goals"] == {1: "Tischreservierung", 2: "Onlineshop-Bestellung"}


# -- Matomo's own recorded answers -------------------------------------------------------------------------


def test_recorded_answers_run_through_connector_landing_load_and_marts(
    replay: Callable[[Route], FakeServer], tmp_path: Path
) -> None:
    """Given Matomo's system-test answers (VisitsSummary.get over 2010-03-06,07 as real JSON; getSocials,
    getCampaigns and Goals.get converted from its XML, each wrapped by date as a range answer is), when they run
    through to the marts, then 6 March has 2 visits and 1 visitor, 7 March (answered `[]`) has no row, Facebook
    brought 2 visits on 14 December and Twitter (mapped to x) 1 on the 15th, 'ga campaign' 4 visits, 2
    conversions and 47.59 revenue with goal 1 at 42.26 and the shop order at 5.33, and no referrer URL or
    keyword of a subtable is stored anywhere."""
    visits = fixture("matomo/visits_summary_day_range.json")["body"]
    socials = fixture("matomo/referrers_get_socials_day_range.json")["body"]["1"]  # one site: no idSite level
    campaigns = {"2009-01-04": fixture("matomo/referrers_get_campaigns_day.json")["body"]}
    goal = {"2011-04-05": fixture("matomo/goals_get_idgoal_day.json")["body"]}
    asked: list[dict[str, str]] = []

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        asked.append(query)
        if query.get("token_auth") != TOKEN:
            return 401, {}, fixture("matomo/errors.json")["invalid_token"]["body"]
        method, segment = query.get("method"), query.get("segment")
        if segment or method == "Goals.get" and "idGoal" not in query:
            return 200, {}, {}  # not recorded: no days
        body = {"VisitsSummary.get": visits, "Referrers.getSocials": socials, "Referrers.getCampaigns": campaigns,
                "Goals.get": goal}[method]  # fmt: skip
        return 200, {}, body

    server = replay(route)
    c = MatomoConnector(Account("matomo", "1", options={"goals": {1: "Bestellung"}}),
                        Credentials("matomo_default", TOKEN, base_url=server.base_url),
                        today=dt.date(2026, 11, 20))  # fmt: skip
    history = Window(dt.date(2009, 1, 1), dt.date(2011, 5, 1))
    con = run_through(c, ["visits", "conversions", "socials", "campaigns"], history, tmp_path, dt.date(2026, 11, 20))

    def marts(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    assert marts("SELECT day, visits, users FROM marts.web_outcomes_daily WHERE network = 'all' AND campaign IS NULL "
                 "AND visits IS NOT NULL ORDER BY day") == [(dt.date(2010, 3, 6), 2, 1)]  # fmt: skip
    assert marts("SELECT day, network, visits, users, conversions FROM marts.web_outcomes_daily "
                 "WHERE network IN ('facebook', 'x') ORDER BY day, network") == [
        (dt.date(2010, 12, 14), "facebook", 2, 2, 0),
        (dt.date(2010, 12, 15), "facebook", 1, 1, 0),
        (dt.date(2010, 12, 15), "x", 1, 1, 0),
    ]  # fmt: skip
    assert marts("SELECT campaign, visits, users, conversions, revenue FROM marts.web_outcomes_daily "
                 "WHERE campaign IS NOT NULL ORDER BY campaign") == [
        ("adwords campaign", 2, 2, 0, 0.0),
        ("ga campaign", 4, 4, 2, 47.59),
    ]  # fmt: skip
    assert marts("SELECT campaign, goal_id, goal_name, conversions, revenue FROM marts.web_goal_daily "
                 "WHERE campaign IS NOT NULL ORDER BY goal_id") == [
        ("ga campaign", "1", "Bestellung", 1, 42.26),
        ("ga campaign", "ecommerceOrder", None, 1, 5.33),
    ]  # fmt: skip
    assert marts("SELECT day, goal_name, conversions, revenue FROM marts.web_goal_daily WHERE network = 'all' "
                 "AND campaign IS NULL") == [(dt.date(2011, 4, 5), "Bestellung", 1, 10.0)]  # fmt: skip
    assert {q.get("method") for q in asked} == {"VisitsSummary.get", "Goals.get", "Referrers.getSocials",
                                               "Referrers.getCampaigns"}  # fmt: skip
    stored = stored_text(tmp_path, con)
    for never in ("piwik kwd", "facebook.com/whatever", "fb.me", "thing1.com", "logo", "sum_visit_length", TOKEN):
        assert never not in stored, never


@pytest.mark.parametrize(
    ("case", "status", "kind", "words"),
    [
        ("invalid_token", 401, AuthError, "Matomo refused the token (Unable to authenticate"),
        ("no_view_access", 401, AuthError, "requires 'view' access for the website id = 60"),
        ("no_view_access", 200, AuthError, "Administration > System > Users"),
        ("unknown_idsite_superuser", 200, UnknownAccountError, "does not exist in this Matomo"),
    ],
)
def test_recorded_errors_say_what_to_fix(case: str, status: int, kind: type, words: str) -> None:
    """Matomo's recorded error bodies, with the status Matomo 5 (401) or Matomo <= 4 (200) sends."""
    body = fixture("matomo/errors.json")[case]["body"]
    verdict = MatomoErrorPolicy("60", "matomo_default").classify(answer(status, body))
    message = verdict.message
    if kind is AuthError:
        message = MatomoErrorPolicy("60", "matomo_default").auth_message(verdict, "matomo_default")
        assert verdict.action.value == "auth"
    else:
        assert verdict.code == "unknown_site"
    assert "Matomo site 60" in message and words in message


def test_fixtures_name_their_source() -> None:
    for path in sorted((REPO / "tests" / "fixtures" / "recorded" / "matomo").glob("*.json")):
        assert json.loads(path.read_text(encoding="utf-8")).get("_source"), path.name


# -- which network brought the visit -------------------------------------------------------------------------

MAPPED = {
    "facebook.com": "facebook", "l.facebook.com": "facebook", "lm.facebook.com": "facebook",
    "m.facebook.com": "facebook", "www.facebook.com": "facebook", "https://l.facebook.com/l.php?u=x": "facebook",
    "fb.me": "facebook", "instagram.com": "instagram", "l.instagram.com": "instagram",
    "www.instagram.com": "instagram", "linkedin.com": "linkedin", "www.linkedin.com": "linkedin",
    "lnkd.in": "linkedin", "t.co": "x", "x.com": "x", "twitter.com": "x", "mobile.twitter.com": "x",
    "xing.com": "xing", "www.xing.com": "xing", "FACEBOOK.COM.": "facebook", "facebook.com:443": "facebook",
}  # fmt: skip
NOT_MAPPED = ("facebook.com.evil.example", "notfacebook.com", "evil-facebook.com", "instagram.com.example.org",
              "t.co.example", "lnkd.in.example.com", "xing.com-offers.example", "x.community", "mytwitter.com",
              "google.com", "", "http://")  # fmt: skip


@pytest.mark.parametrize(("referrer", "network"), MAPPED.items())
def test_referrer_hosts_map_to_their_network(referrer: str, network: str) -> None:
    assert network_of_host(referrer) == network


@pytest.mark.parametrize("referrer", NOT_MAPPED)
def test_lookalike_hosts_map_to_no_network(referrer: str) -> None:
    assert network_of_host(referrer) is None


def test_utm_sources_and_social_labels_map_as_documented() -> None:
    sources = ["facebook", "Facebook", "fb", "ig", "instagram", "linkedin", "x", "twitter", "xing", "l.facebook.com"]
    assert [network_of_source(s) for s in sources] == ["facebook", "facebook", "facebook", "instagram", "instagram",
                                                       "linkedin", "x", "x", "xing", "facebook"]  # fmt: skip
    assert network_of_source("newsletter") is None and network_of_source("facebook.com.evil.example") is None
    assert network_of_social("Twitter", "twitter.com") == "x"
    assert network_of_social("Pinterest", "pinterest.com") == "other_social"
    assert network_of_social("XING", None) == "xing"


def test_the_summary_shows_last_weeks_visits_from_social_per_network_from_the_mart(harness: Harness) -> None:
    """`socialmetrics summary` prints the last 7 days' visits from social per network, equal to the mart's sums."""
    harness.run(dt.date(2026, 9, 22))
    text = pipeline.summary(harness.warehouse)
    facebook = harness.query(
        "SELECT sum(visits)::INT, sum(conversions)::INT FROM marts.web_outcomes_daily WHERE network = 'facebook' "
        "AND campaign IS NULL"
    )[0]
    assert "Website visits from social (matomo site 1, 2026-09-20..2026-09-22, marts.web_outcomes_daily):" in text
    assert f"  facebook     {facebook[0]:>8,} visits {facebook[1]:>6,} conversions" in text


def test_negative_visits_stop_at_the_quality_gate_and_publish_nothing(harness: Harness, sandbox) -> None:
    """Given a Matomo answer with -5 visits for a day (a broken plugin or proxy), when the run checks what it
    loaded, then the gate blocks it naming raw.web_traffic, and no mart row is published."""
    from socialmetrics.check.quality import QualityGateError

    app, _ = sandbox

    def negative(body: Any) -> Any:
        body["2026-09-21"]["nb_visits"] = -5
        return body

    app.faults.append(Fault("VisitsSummary.get", mutate=negative))
    with pytest.raises(QualityGateError, match="raw.web_traffic"):
        harness.run(dt.date(2026, 9, 22))
    assert harness.query("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'web_outcomes_daily'") == [(0,)]


def test_a_matomo_without_campaign_dimensions_loads_campaigns_for_all_sources_with_a_warning(sandbox) -> None:
    """Given a Matomo that refuses the segment campaignSource (no MarketingCampaignsReporting plugin), when the
    campaigns are read, then the campaign loads for all sources and one warning says how to get them per network."""
    app, server = sandbox
    refused = {"result": "error", "message": "The segment condition 'campaignSource==facebook' is not valid."}
    app.faults.append(Fault("segment=campaignSource", 200, refused))
    c = connector(server)
    pages = list(c.fetch(MatomoConnector.streams[3], CAMPAIGN_DAYS))
    assert [p.request["parent"]["network"] for p in pages] == ["all"]
    assert [w.code for w in c.warnings] == ["no_campaign_source"]
    assert "MarketingCampaignsReporting" in c.warnings[0].message
