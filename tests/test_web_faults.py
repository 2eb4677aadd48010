"""The served values, exactly, through what the analytics APIs do on a bad night: for Matomo and for GA4, a run
meets a 429 (GA4: its quota answer) and a day answered empty, the next run an error with HTTP 200, the one after
answers normally. The marts hold what the sandbox served (its truth, connectors/testing/sandbox/matomo.py: the
fake GA4 serves the same website), nothing of the first run is lost to the second, and the third fills the empty
day (the lookback rereads it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import PermanentError
from connectors.testing import FakeServer, Fault
from connectors.testing.sandbox import ga4 as fake_ga4
from connectors.testing.sandbox import matomo as fake_matomo
from tests.conftest import Harness
from tests.test_recorded_answers import TOKEN, fixture

DAYS = (dt.date(2026, 9, 20), dt.date(2026, 9, 21), dt.date(2026, 9, 22))  # in the Herbstfest
EMPTY = dt.date(2026, 9, 21)
CONFIGS = {
    "matomo": '  - network: matomo\n    id: "1"\n    goals: {1: Tischreservierung, 2: Onlineshop-Bestellung}\n',
    "ga4": '  - network: ga4\n    id: "412345678"\n',
}


def truth(day: dt.date) -> dict[str, tuple[int, int]]:
    """The sandbox website's (visits, conversions of all goals) of a day: the site, social, Facebook."""
    t = fake_matomo.day_traffic(day)
    tagged = list(t["campaigns"].values())
    social = [*t["social"].values(), *tagged]
    facebook = [t["social"]["facebook"], *(v for (_, net), v in t["campaigns"].items() if net == "facebook")]

    def total(entries: list[dict[str, Any]]) -> tuple[int, int]:
        return sum(e["visits"] for e in entries), sum(sum(e["goals"].values()) for e in entries)

    return {"all": total([*social, t["other"]]), "social": total(social), "facebook": total(facebook)}


@pytest.fixture(params=["matomo", "ga4"])
def tool(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any, Harness]]:
    name = request.param
    app = fake_matomo.MatomoSandbox(today=dt.date(2026, 11, 20)) if name == "matomo" else fake_ga4.Ga4Sandbox(
        today=dt.date(2026, 11, 20))  # fmt: skip
    if name == "matomo":
        app.valid_tokens.add(TOKEN)
    config = tmp_path / "socialmetrics.yml"
    config.write_text(f"company: Brauerei Sonnenhang GmbH\ntimezone: Europe/Berlin\nlookback_days: 2\naccounts:\n"
                      f"{CONFIGS[name]}", encoding="utf-8")  # fmt: skip
    with FakeServer(app) as server:
        token = TOKEN if name == "matomo" else app.sandbox_token  # GA4's key file names the server's token URI
        yield name, app, Harness(server, config, tmp_path / "warehouse.duckdb", tmp_path / "landing", token=token)


def marts(h: Harness, analytics: str) -> dict[tuple[dt.date, str], tuple[int, int]]:
    rows = h.query(
        "SELECT day, network, visits, conversions FROM marts.web_outcomes_daily WHERE analytics = ? "
        "AND campaign IS NULL AND network IN ('all', 'social', 'facebook')",
        [analytics],
    )
    return {(day, net): (int(v), int(c)) for day, net, v, c in rows}


def expected(days: tuple[dt.date, ...]) -> dict[tuple[dt.date, str], tuple[int, int]]:
    return {(day, net): value for day in days for net, value in truth(day).items()}


def _empty_day(name: str) -> Fault:
    if name == "matomo":
        return Fault("method=", mutate=lambda b: {**b, EMPTY.isoformat(): []} if isinstance(b, dict) else b, times=100)

    def without(body: Any) -> Any:
        body["rows"] = [r for r in body.get("rows", []) if r["dimensionValues"][0]["value"] != f"{EMPTY:%Y%m%d}"]
        body["rowCount"] = len(body["rows"])
        return body

    return Fault(":runReport", mutate=without, times=100)


def _too_many(name: str) -> Fault:
    if name == "matomo":
        return Fault("Referrers.getSocials", 429, {"result": "error", "message": "Too many requests"},
                     {"Retry-After": "7"})  # fmt: skip
    body = fixture("ga4/errors.json")["resource_exhausted_429"]["body"]
    return Fault(":runReport", 429, {"error": {**body["error"], "message": "Exhausted concurrent requests quota."}},
                 {"Retry-After": "7"})  # fmt: skip


def _error_with_200(name: str) -> Fault:
    if name == "matomo":  # Matomo <= 4 sends its errors with HTTP 200
        return Fault("Goals.get", 200, {"result": "error", "message": "Mysql error: the archive table is locked"})
    return Fault(":runReport", 200, {"error": {"code": 503, "message": "The service is currently unavailable.",
                                               "status": "UNAVAILABLE"}})  # fmt: skip


def test_exact_served_values_through_a_429_an_empty_day_and_an_http_200_error(tool) -> None:
    name, app, harness = tool
    # 1. a 429 (waited out as asked) and 21 September answered empty: the other days hold the served values
    app.faults += [_too_many(name), _empty_day(name)]
    harness.run(DAYS[-1], run_id="scheduled__1")
    assert harness.sleeps == [7.0]
    first = marts(harness, name)
    assert first == expected((DAYS[0], DAYS[2]))
    assert first[(DAYS[0], "facebook")] == truth(DAYS[0])["facebook"] and (EMPTY, "all") not in first
    # 2. an error with HTTP 200: the extract fails at once (never retried), nothing published is lost
    app.faults[:] = [_error_with_200(name)]
    with pytest.raises(PermanentError) as err:
        harness.run(DAYS[-1], run_id="scheduled__2")
    assert "HTTP 200" in str(err.value) or "archive table is locked" in str(err.value)
    assert marts(harness, name) == first
    # 3. a normal answer: the lookback rereads the empty day
    app.faults[:] = []
    harness.run(DAYS[-1], run_id="scheduled__3")
    assert marts(harness, name) == expected(DAYS)
