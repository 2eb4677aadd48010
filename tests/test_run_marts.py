"""The marts of the run records, on a crafted warehouse: what is missing and why (marts.account_coverage_weekly),
the week's runs (marts.week_runs) and their failed checks and warnings (marts.run_issues).

Accounts: facebook/1 (no numbers on Fri 13 Nov; run r1 read that day and noted why), linkedin/2 (numbers up
to 11 Nov; r1 loaded only its posts), x/3 (days from its posts; r1 read its post numbers, none came),
xing/4 (files up to 12 Nov), instagram/5 (never loaded), facebook/6 (loaded by r0 only) and linkedin/99 (not
configured). Run r0 loaded 6-11 Nov on 12 Nov, run r1 9-15 Nov on 16 Nov (03:05 in Berlin).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from socialmetrics.load import warehouse
from socialmetrics.transform import runner as transform

ACCOUNTS = ["facebook/1", "linkedin/2", "x/3", "xing/4", "instagram/5", "facebook/6"]
WEEK = dt.date(2026, 11, 9)
R0_AT = dt.datetime(2026, 11, 12, 2, 5, tzinfo=dt.UTC)
R1_AT = dt.datetime(2026, 11, 16, 2, 5, tzinfo=dt.UTC)


def day(n: int) -> dt.date:
    """A day of November 2026."""
    return dt.date(2026, 11, n)


def build(con: duckdb.DuckDBPyConnection, table: str) -> None:
    model = next(m for m in transform.models() if m.table == table)
    params = transform.model_params(model.sql, dt.date(2026, 1, 1), dt.date(2027, 1, 1), "Europe/Berlin", ACCOUNTS)
    con.execute(f"CREATE TABLE {table} AS {model.sql}", params)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    warehouse.ensure_schema(con)
    con.execute("CREATE TABLE marts.reach_daily (network VARCHAR, account_id VARCHAR, day DATE)")
    con.execute("CREATE TABLE marts.engagement_daily (network VARCHAR, account_id VARCHAR, day DATE)")
    reach = [("facebook", "1", day(d)) for d in (9, 10, 11, 12, 15)] + [
        *[("linkedin", "2", day(d)) for d in (9, 10, 11)],
        *[("xing", "4", day(d)) for d in (9, 10, 11, 12)],
        *[("facebook", "6", day(d)) for d in (9, 10, 11)],
        *[("linkedin", "99", day(d)) for d in range(9, 16)],
    ]
    con.executemany("INSERT INTO marts.reach_daily VALUES (?, ?, ?)", reach)
    con.execute("INSERT INTO marts.engagement_daily VALUES ('facebook', '1', ?)", [day(14)])  # engagements only
    con.execute(
        "CREATE TABLE marts.account_weekly (network VARCHAR, account_id VARCHAR, week_start DATE, days_with_data "
        "BIGINT, reach DOUBLE, impressions DOUBLE, engagements DOUBLE, followers_end DOUBLE, follower_gain DOUBLE, "
        "comments DOUBLE)"
    )
    con.executemany(
        "INSERT INTO marts.account_weekly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("facebook", "1", WEEK, 6, 100, 200, 10, 500, 3, None),
            ("xing", "4", WEEK, 4, None, 80, 4, 300, 1, None),
            ("linkedin", "99", WEEK, 7, 50, 90, 5, 120, 2, 1),
            *[("all", "all", w, 7, 150, 290, 15, 620, 5, 1) for w in (dt.date(2026, 10, 26), WEEK, day(16))],
        ],
    )
    loads = [
        ("r0", "facebook", "1", "daily_metrics", day(6), day(12), R0_AT),
        ("r0", "linkedin", "2", "daily_metrics", day(6), day(12), R0_AT),
        ("r0", "facebook", "6", "daily_metrics", day(6), day(12), R0_AT),
        ("r0", "x", "3", "post_metrics", day(6), day(12), R0_AT),
        ("r1", "facebook", "1", "daily_metrics", day(9), day(16), R1_AT),
        ("r1", "linkedin", "2", "posts", day(9), day(16), R1_AT),
        ("r1", "x", "3", "post_metrics", day(9), day(16), R1_AT),
        ("r1", "xing", "4", "daily_metrics", day(9), day(13), R1_AT),
    ]
    con.executemany(
        "INSERT INTO meta.loads VALUES (?, ?, ?, 'stream', ?, ?, ?, 1, 0, ?)",
        loads,
    )
    con.executemany(
        "INSERT INTO meta.connector_warnings VALUES (?, ?, ?, 'stream', ?, ?, ?)",
        [
            ("r1", "facebook", "1", "empty-answer", "b) second.", R1_AT),
            ("r1", "facebook", "1", "empty-answer", "a) first.", R1_AT),
            ("r0", "linkedin", "2", "api-version", "LinkedIn-Version 202411 retires soon.", R0_AT),
            ("r1", "linkedin", "2", "api-version", "LinkedIn-Version 202411 retires soon.", R1_AT),
        ],
    )
    con.executemany(
        "INSERT INTO meta.quality_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("r0", "anomalies", "impressions_within_20x_median", "warning", False, '"facebook/1 2026-11-07"', 1,
             "old", R0_AT),
            ("r1", "anomalies", "impressions_within_20x_median", "warning", False, '"facebook/1 2026-11-13"', 2, "",
             R1_AT),
            ("r1", "completeness", "accounts_have_numbers", "blocking", False, None, 0, "linkedin/2", R1_AT),
            ("r1", "completeness", "days_unique", "blocking", True, None, 0, "", R1_AT),
        ],
    )  # fmt: skip
    for table in ("marts.week_runs", "marts.run_issues", "marts.account_coverage_weekly"):
        build(con, table)
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


def test_each_configured_account_gets_its_missing_days_and_the_reason_the_runs_give(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Given the week of 9 Nov, every configured account without numbers on some days is named with those days
    and why: the reason comes from the latest run that loaded anything for them, never guessed."""
    found = rows(
        con,
        "SELECT network, account_id, configured, days_with_data, missing_days, reason, run_id, loaded_at, last_day, "
        "detail, not_reported FROM marts.account_coverage_weekly WHERE week_start = ? ORDER BY network, account_id",
        [WEEK],
    )
    assert found == [
        ("facebook", "1", True, 6, [day(13)], "no_numbers_noted", "r1", R1_AT, day(15), "a) first. b) second.",
         ["comments"]),
        ("facebook", "6", True, 0, [day(d) for d in range(12, 16)], "extract_failed", "r1", R1_AT, day(11), None,
         []),
        ("instagram", "5", True, 0, [day(d) for d in range(9, 16)], "never_loaded", None, None, None, None, []),
        ("linkedin", "2", True, 0, [day(d) for d in range(12, 16)], "not_covered", "r1", R1_AT, day(11), None, []),
        ("linkedin", "99", False, 7, [], None, None, None, None, None, []),
        ("x", "3", True, 0, [day(d) for d in range(9, 16)], "no_numbers", "r1", R1_AT, None, None, []),
        ("xing", "4", True, 4, [day(d) for d in range(13, 16)], "file_import", None, None, day(12), None,
         ["reach", "comments"]),
    ]  # fmt: skip


def test_days_no_run_read_are_not_fetched_and_days_not_over_are_not_missing(con: duckdb.DuckDBPyConnection) -> None:
    """Given the week of 26 Oct, which no run read, and the week of 16 Nov, which began the day of the latest
    load: the first names every account's 7 days as not fetched (files and never-loaded accounts keep their
    reason), the second names no day."""
    reasons = rows(
        con,
        "SELECT network || '/' || account_id, len(missing_days), reason FROM marts.account_coverage_weekly "
        "WHERE week_start = ? AND configured ORDER BY 1",
        [dt.date(2026, 10, 26)],
    )
    assert reasons == [
        ("facebook/1", 7, "not_fetched"),
        ("facebook/6", 7, "not_fetched"),
        ("instagram/5", 7, "never_loaded"),
        ("linkedin/2", 7, "not_fetched"),
        ("x/3", 7, "not_fetched"),
        ("xing/4", 7, "file_import"),
    ]
    assert rows(
        con,
        "SELECT count(*), sum(len(missing_days)) FROM marts.account_coverage_weekly WHERE week_start = ?",
        [day(16)],
    ) == [(6, 0)]


def test_a_run_belongs_to_every_week_its_windows_touch(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "SELECT week_start, run_id, loaded_at FROM marts.week_runs ORDER BY ALL", []) == [
        (dt.date(2026, 11, 2), "r0", R0_AT),
        (WEEK, "r0", R0_AT),
        (WEEK, "r1", R1_AT),
    ]


def test_failed_checks_and_warnings_are_merged_over_the_weeks_runs_blocking_first(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Given a check that failed in both runs of the week, a blocking one of r1 and a passing one, and warnings
    of one run and of both: one row per issue, counted over the runs, with the latest run's detail."""
    found = rows(
        con,
        "SELECT kind, position, suite, expectation, severity, network, account_id, code, detail, affected, runs "
        "FROM marts.run_issues WHERE week_start = ? ORDER BY kind, position",
        [WEEK],
    )
    assert found == [
        ("quality", 1, "completeness", "accounts_have_numbers", "blocking", None, None, None, "linkedin/2", None, 1),
        ("quality", 2, "anomalies", "impressions_within_20x_median", "warning", None, None, None,
         '"facebook/1 2026-11-13"', 2, 2),
        ("warning", 1, None, None, None, "linkedin", "2", "api-version", "LinkedIn-Version 202411 retires soon.", None,
         2),
        ("warning", 2, None, None, None, "facebook", "1", "empty-answer", "a) first.", None, 1),
        ("warning", 3, None, None, None, "facebook", "1", "empty-answer", "b) second.", None, 1),
    ]  # fmt: skip
    # r0 also reloaded days of the week before (6-8 Nov), but it is a run of the week of its latest day (11 Nov):
    # the week before's appendix does not list it again
    assert rows(con, "SELECT kind, detail, affected, runs FROM marts.run_issues WHERE week_start = ?", [day(2)]) == []
