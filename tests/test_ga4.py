"""GA4: the sandbox property (service-account JWT, runReport) through the pipeline to the marts, a recorded
runReport answer and error bodies (tests/fixtures/recorded/ga4), quota, '(other)' rows and thresholding."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Account, AuthError, Credentials, RateLimitError, Window
from connectors.ga4 import Ga4Connector, Ga4ErrorPolicy, GoogleTokenPolicy, source_network
from connectors.http import Action
from connectors.testing import FakeServer, Fault, run_contract
from connectors.testing.sandbox import ga4 as fake
from tests.conftest import REPO, Harness
from tests.test_recorded_answers import TOKEN, Route, answer, fixture, replay, run_through, stored_text

__all__ = ["replay"]  # the fixture, used by name
TODAY = dt.date(2026, 11, 20)
DAYS = Window(dt.date(2026, 9, 20), dt.date(2026, 9, 23))
CONFIG = """company: Brauerei Sonnenhang GmbH
timezone: Europe/Berlin
lookback_days: 2
accounts:
  - network: ga4
    id: "412345678"
"""


@pytest.fixture
def sandbox():
    app = fake.Ga4Sandbox(today=TODAY)
    with FakeServer(app) as server:
        yield app, server


@pytest.fixture
def harness(sandbox, tmp_path: Path) -> Harness:
    app, server = sandbox
    config = tmp_path / "socialmetrics.yml"
    config.write_text(CONFIG, encoding="utf-8")
    return Harness(server, config, tmp_path / "warehouse.duckdb", tmp_path / "landing", token=app.sandbox_token)


def connector(server: Any, token: str, prop: str = fake.PROPERTY_ID) -> Ga4Connector:
    return Ga4Connector(Account("ga4", prop), Credentials("ga4_default", token, server.base_url), today=TODAY)


def outcome(h: Harness, day: dt.date, network: str, campaign: str | None = None) -> tuple[Any, ...] | None:
    rows = h.query(
        "SELECT visits, users, conversions, revenue FROM marts.web_outcomes_daily WHERE analytics = 'ga4' AND day = ? "
        "AND network = ? AND campaign IS NOT DISTINCT FROM ?",
        [day, network, campaign],
    )
    return rows[0] if rows else None


def test_a_campaign_day_through_the_pipeline_holds_the_served_numbers(harness: Harness, sandbox) -> None:
    """Given the fake GA4 (the same website as the fake Matomo), when a nightly run covers 20..22 September, then
    the marts hold its numbers: the property's day, Facebook = l.facebook.com referrals + the tagged Herbstfest
    links, the campaign under its config name, social = every network's sessions; the connection's password is
    the service account's key file, exchanged once for a token."""
    app, _ = sandbox
    harness.run(dt.date(2026, 9, 22))
    day = dt.date(2026, 9, 21)
    assert outcome(harness, day, "all") == (201, 181, 16, 38.5)
    assert outcome(harness, day, "facebook") == (31, 28, 8, 0.0)
    assert outcome(harness, day, "facebook", "Herbstfest 2026") == (11, 10, 3, 0.0)
    assert outcome(harness, day, "all", "Herbstfest 2026") == (11, 10, 3, 0.0)
    assert outcome(harness, day, "social")[0] == 73  # the same as Matomo's: one website
    assert outcome(harness, day, "other_social")[0] == 1  # pinterest.com
    assert app.issued == 1
    assert TOKEN not in harness.query("SELECT string_agg(payload::VARCHAR) FROM raw.web_traffic")[0][0]


def test_a_429_for_concurrent_requests_waits_as_asked(harness: Harness, sandbox) -> None:
    app, _ = sandbox
    body = fixture("ga4/errors.json")["resource_exhausted_429"]["body"]
    body = {"error": {**body["error"], "message": "Exhausted concurrent requests quota."}}
    app.faults.append(Fault(":runReport", 429, body, {"Retry-After": "2"}))
    harness.run(dt.date(2026, 9, 22))
    assert harness.sleeps == [2.0]
    assert outcome(harness, dt.date(2026, 9, 21), "all")[0] == 201


def test_exhausted_property_tokens_wait_for_the_next_hour_not_seconds() -> None:
    body = fixture("ga4/errors.json")["resource_exhausted_429"]["body"]
    verdict = Ga4ErrorPolicy("412345678").classify(answer(429, body))
    assert verdict.action is Action.RATE_LIMITED and verdict.code == "quota"
    assert verdict.wait_s is not None and 0 < verdict.wait_s <= 3600
    assert verdict.message == ("GA4 property 412345678: GA4 quota exhausted (Exhausted property tokens for a project "
                               "per hour.)")  # fmt: skip


def test_a_nearly_used_quota_stops_before_exhausting_it(sandbox) -> None:
    """Given propertyQuota saying 20 hourly tokens are left after a request that used 10, when the report is read,
    then the extract stops with one line naming the quota, before the next request would exhaust it."""
    app, server = sandbox

    def nearly_used(body: Any) -> Any:
        body["propertyQuota"]["tokensPerHour"] = {"consumed": 10, "remaining": 20}
        return body

    app.faults.append(Fault(":runReport", mutate=nearly_used))
    with pytest.raises(RateLimitError) as err:
        list(connector(server, app.sandbox_token).fetch(Ga4Connector.streams[0], DAYS))
    assert str(err.value) == (
        "GA4 property 412345678: quota tokensPerHour has 20 tokens left (this request used 10); stopped before "
        "exhausting it, nothing of this property was loaded. It refills within the hour: retry the task then."
    )


def test_other_rows_and_thresholding_are_warned_about(sandbox) -> None:
    app, server = sandbox

    def flagged(body: Any) -> Any:
        body["metadata"].update(dataLossFromOtherRow=True, subjectToThresholding=True)
        return body

    app.faults.append(Fault(":runReport", mutate=flagged))
    c = connector(server, app.sandbox_token)
    list(c.fetch(Ga4Connector.streams[1], DAYS))
    assert [w.code for w in c.warnings] == ["other_row", "thresholding"]
    assert "lower bounds" in c.warnings[1].message


def test_an_empty_day_lands_no_row(harness: Harness, sandbox) -> None:
    """GA4 leaves a day without sessions out of the report: no row for it, the other days load."""
    app, _ = sandbox

    def without_21(body: Any) -> Any:
        body["rows"] = [r for r in body.get("rows", []) if r["dimensionValues"][0]["value"] != "20260921"]
        body["rowCount"] = len(body["rows"])
        return body

    app.faults.append(Fault(":runReport", mutate=without_21, times=10))
    harness.run(dt.date(2026, 9, 22))
    days = harness.query("SELECT DISTINCT day FROM marts.web_outcomes_daily ORDER BY day")
    assert [d for (d,) in days] == [dt.date(2026, 9, 20), dt.date(2026, 9, 22)]


def test_a_key_google_refuses_says_how_to_make_a_new_one(sandbox) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    app, server = sandbox
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = json.loads(app.sandbox_token) | {"private_key": other.decode()}
    with pytest.raises(AuthError) as err:
        list(connector(server, json.dumps(key)).fetch(Ga4Connector.streams[0], DAYS))
    text = str(err.value)
    assert "Google refused the service-account key (invalid_grant: Invalid JWT Signature.)" in text
    assert "'ga4_default'" in text and "PRIVATE KEY" not in text and other.decode()[40:80] not in text


def test_a_password_that_is_not_a_key_file_is_refused_without_echoing_it(sandbox) -> None:
    _app, server = sandbox
    with pytest.raises(AuthError, match="not a service account's key file") as err:
        connector(server, '{"type": "service_account", "secret-ish": "abc123"}')
    assert "abc123" not in str(err.value)


def test_a_property_the_account_cannot_read_names_the_viewer_role(sandbox) -> None:
    app, server = sandbox
    with pytest.raises(AuthError) as err:
        list(connector(server, app.sandbox_token, prop="999999999").fetch(Ga4Connector.streams[0], DAYS))
    assert "GA4 property 999999999: GA4 answered 403 (User does not have sufficient permissions" in str(err.value)
    assert "as a Viewer of the property" in str(err.value)


def test_the_contract_suite_holds() -> None:
    counts = run_contract(Ga4Connector, fake.Ga4Sandbox)
    assert counts["daily_totals.web_traffic"] == 7


def test_sources_map_to_networks_as_documented() -> None:
    assert [source_network(s, m) for s, m in [("l.facebook.com", "referral"), ("facebook", "social"),
                                              ("lnkd.in", "referral"), ("t.co", "referral"),
                                              ("pinterest.com", "referral"), ("mastodon.example", "social"),
                                              ("google", "organic"), ("(direct)", "(none)"),
                                              ("facebook.com.evil.example", "referral")]] == [
        "facebook", "facebook", "linkedin", "x", "other_social", "other_social", "other", "other", "other"]  # fmt: skip


def test_recorded_run_report_runs_through_to_the_marts(replay: Callable[[Route], FakeServer], tmp_path) -> None:
    """Given Site Kit's recorded runReport answer (strings, YYYYMMDD dates, a country dimension and maximums we
    never ask for), replayed as the property's daily totals, when it runs through to the marts, then each day has
    its sessions and users, key events and revenue are NULL (not in that answer), and no country is stored."""
    recorded = fixture("ga4/run_report_by_date_country.json")["body"]

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        return 200, {}, recorded

    server = replay(route)
    c = Ga4Connector(Account("ga4", "412345678"), Credentials("ga4_default", TOKEN, server.base_url), today=TODAY)
    con = run_through(c, ["daily_totals"], Window(dt.date(2022, 11, 1), dt.date(2022, 11, 20)), tmp_path, TODAY)
    assert con.execute("SELECT day, visits, users, conversions, revenue FROM marts.web_outcomes_daily "
                       "WHERE network = 'all' ORDER BY day").fetchall() == [
        (dt.date(2022, 11, 2), 0, 0, None, None),
        (dt.date(2022, 11, 7), 2, 2, None, None),
        (dt.date(2022, 11, 15), 2, 2, None, None),
        (dt.date(2022, 11, 19), 3, 2, None, None),
    ]  # fmt: skip
    stored = stored_text(tmp_path, con)
    for never in ("United Kingdom", "France", "RESERVED_MAX", "1070.855679", TOKEN):
        assert never not in stored, never


@pytest.mark.parametrize(
    ("case", "action", "words"),
    [
        ("permission_denied_403", Action.AUTH, "GA4 answered 403 (User does not have sufficient permissions"),
        ("invalid_argument_400", Action.FAIL, "GA4 answered 400: Please add sessionCampaignName"),
        ("resource_exhausted_429", Action.RATE_LIMITED, "GA4 quota exhausted"),
    ],
)
def test_recorded_errors_are_read(case: str, action: Action, words: str) -> None:
    recorded = fixture("ga4/errors.json")[case]
    verdict = Ga4ErrorPolicy("412345678").classify(answer(recorded["status"], recorded["body"]))
    assert verdict.action is action and words in verdict.message


def test_recorded_invalid_grant_is_an_auth_error() -> None:
    recorded = fixture("ga4/errors.json")["token_invalid_grant_400"]
    verdict = GoogleTokenPolicy().classify(answer(recorded["status"], recorded["body"]))
    assert verdict.action is Action.AUTH and "invalid_grant: Invalid JWT Signature." in verdict.message


def test_fixtures_name_their_source() -> None:
    for path in sorted((REPO / "tests" / "fixtures" / "recorded" / "ga4").glob("*.json")):
        assert json.loads(path.read_text(encoding="utf-8")).get("_source"), path.name
