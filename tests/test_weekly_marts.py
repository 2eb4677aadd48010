"""marts.account_weekly and marts.weekly_headline on hand-made core rows: coverage per figure, company totals,
and comparisons only like for like (same accounts, whole weeks, rates as ratios of sums)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from socialmetrics.transform import runner as transform

WEEKS = [dt.date(2026, 10, 26) + dt.timedelta(weeks=i) for i in range(5)]  # A..E, E is the report week
FB, LI, XING = ("facebook", "1"), ("linkedin", "2"), ("xing", "3")


def day_rows() -> list[tuple[Any, ...]]:
    """Facebook: every day, reach 100, impressions 1000, 50 engagements (week A: 10 000 impressions a day,
    100 engagements: a low rate on a big denominator). LinkedIn: every day but Saturday and Sunday of week B,
    reach 20, impressions 100, 10 engagements, 3 comments. Xing: the 7 days of week D only, impressions 100,
    5 engagements, no reach."""
    rows = []
    for w, monday in enumerate(WEEKS):
        for d in range(7):
            day = monday + dt.timedelta(days=d)
            imp, eng = (10_000, 100) if w == 0 else (1000, 50)
            rows.append((*FB, day, imp, 100, 5000, 2, eng, None))
            if not (w == 1 and d >= 5):
                rows.append((*LI, day, 100, 20, 800, 1, 10, 3))
            if w == 3:
                rows.append((*XING, day, 100, None, None, None, 5, 1))
    return rows


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA core; CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE core.account_daily (network VARCHAR, account_id VARCHAR, day DATE, impressions BIGINT, "
        "reach BIGINT, followers BIGINT, follower_gain BIGINT, engagements BIGINT, comments BIGINT)"
    )
    con.executemany("INSERT INTO core.account_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", day_rows())
    con.execute(
        "CREATE TABLE core.comment (network VARCHAR, account_id VARCHAR, created_at TIMESTAMPTZ, sentiment VARCHAR, "
        "sentiment_confident BOOLEAN)"
    )
    # Facebook gives no page total: its 4 loaded comments of week E count (3 analysed); LinkedIn counts 21 in
    # week E but gives 2 texts.
    e = dt.datetime.combine(WEEKS[4] + dt.timedelta(days=2), dt.time(10), dt.UTC)
    con.executemany(
        "INSERT INTO core.comment VALUES (?, ?, ?, ?, ?)",
        [(*FB, e, "positive", True), (*FB, e, "negative", True), (*FB, e, "neutral", False), (*FB, e, None, None),
         (*LI, e, "positive", True), (*LI, e, "positive", True)],
    )  # fmt: skip
    con.execute("CREATE TABLE core.post (network VARCHAR, account_id VARCHAR, published_at TIMESTAMPTZ)")
    con.execute("INSERT INTO core.post VALUES ('facebook', '1', ?), ('linkedin', '2', ?)", [e, e])
    for table in ("marts.account_weekly", "marts.weekly_headline"):
        model = next(m for m in transform.models() if m.table == table)
        params = transform.model_params(model.sql, dt.date(2026, 1, 1), dt.date(2027, 1, 1), "UTC")
        con.execute(f"CREATE TABLE {table} AS {model.sql}", params)
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> tuple[Any, ...]:
    row = con.execute(sql, params).fetchone()
    assert row is not None, (sql, params)
    return row


def test_account_weekly_counts_the_days_behind_each_figure(con: duckdb.DuckDBPyConnection) -> None:
    li_b = one(
        con,
        "SELECT days_with_data, reach, reach_days, comments, comments_days, comments_source FROM marts.account_weekly "
        "WHERE network = 'linkedin' AND week_start = ?",
        [WEEKS[1]],
    )
    assert li_b == (5, 100, 5, 15, 5, "network")
    xing_d = one(
        con,
        "SELECT reach, reach_days, impressions_days, engagement_rate FROM marts.account_weekly "
        "WHERE network = 'xing' AND week_start = ?",
        [WEEKS[3]],
    )
    assert xing_d == (None, 0, 7, pytest.approx(0.05))


def test_comments_are_the_networks_count_or_the_loaded_texts_with_how_many_were_analysed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        "SELECT network, comments, comments_source, comments_loaded, comments_analysed, comments_confident "
        "FROM marts.account_weekly WHERE week_start = ? ORDER BY network",
        [WEEKS[4]],
    ).fetchall()
    assert rows == [
        ("all", 25, None, 6, 5, 4),
        ("facebook", 4, "loaded", 4, 3, 2),
        ("linkedin", 21, "network", 2, 2, 2),
    ]


def test_company_rows_name_the_accounts_behind_each_figure_and_whether_all_had_7_days(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        "SELECT week_start, reach, reach_accounts, reach_whole, engagement_rate_accounts FROM marts.account_weekly "
        "WHERE network = 'all' ORDER BY week_start"
    ).fetchall()
    assert [r[3] for r in rows] == [True, False, True, True, True]  # LinkedIn has 5 days of week B
    assert rows[1][1] == 7 * 100 + 5 * 20
    assert rows[3][2] == ["facebook/1", "linkedin/2"]  # Xing gives no reach
    assert rows[3][4] == ["facebook/1", "linkedin/2", "xing/3"]


def headline(con: duckdb.DuckDBPyConnection, figure: str) -> dict[str, Any]:
    cur = con.execute("SELECT * FROM marts.weekly_headline WHERE week_start = ? AND figure = ?", [WEEKS[4], figure])
    names = [d[0] for d in cur.description or []]
    row = cur.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


def test_the_4_week_average_takes_only_whole_weeks_of_the_same_accounts(con: duckdb.DuckDBPyConnection) -> None:
    """Reach of week E (Facebook + LinkedIn, 7 days each) against A, C and D; B is left out (LinkedIn 5 days),
    although its sum would pull the average down."""
    reach = headline(con, "reach")
    assert reach["value"] == 7 * 120 and reach["previous_status"] == "ok" and reach["previous_change"] == 0
    average = (reach["average_weeks"], reach["average_status"], reach["average_left_out"])
    assert average == (3, "fewer_weeks", [WEEKS[1]])
    assert reach["average_value"] == pytest.approx(7 * 120)


def test_a_rate_is_compared_only_with_weeks_of_the_same_networks_and_averaged_as_a_ratio_of_sums(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Engagement rate of week E (Facebook + LinkedIn): week D had Xing too, so no comparison with the
    previous week; the average takes A and C (B partial, D other networks) as sum of engagements over sum of
    impressions: (7*110 + 7*60) / (7*10100 + 7*1100) = 10.6 %, not the mean of the weekly rates (3.4 %)."""
    rate = headline(con, "engagement_rate")
    assert rate["previous_status"] == "accounts_differ" and rate["previous_change"] is None
    assert rate["previous_accounts"] == ["facebook/1", "linkedin/2", "xing/3"]
    assert rate["average_weeks"] == 2 and rate["average_left_out"] == [WEEKS[1], WEEKS[3]]
    assert rate["average_value"] == pytest.approx((110 + 60) / (10_100 + 1100))
    assert rate["value"] == pytest.approx(60 / 1100)
    assert rate["average_change"] == pytest.approx(60 / 1100 - 170 / 11_200)


def test_a_week_with_missing_days_is_compared_with_nothing(con: duckdb.DuckDBPyConnection) -> None:
    cur = con.execute(
        "SELECT previous_status, previous_change, average_status, average_value FROM marts.weekly_headline "
        "WHERE week_start = ? AND figure = 'reach'",
        [WEEKS[1]],
    )
    assert cur.fetchall() == [("this_week_partial", None, "this_week_partial", None)]
    after = con.execute(
        "SELECT previous_status, previous_change FROM marts.weekly_headline WHERE week_start = ? AND figure = 'reach'",
        [WEEKS[2]],
    ).fetchall()
    assert after == [("previous_partial", None)]
