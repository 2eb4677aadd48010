"""Goals: the config's vocabulary and its refusals (naming the line), marts.goal_progress's pace and status rule,
and the goals in `socialmetrics summary`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from socialmetrics import goals as vocabulary
from socialmetrics import pipeline
from socialmetrics.analytics.goals import goal_progress
from socialmetrics.config import ConfigError, GoalConfig, load_config
from tests.conftest import REPO, Harness

ACCOUNTS = """company: A
accounts:
  - network: facebook
    id: "1"
  - network: x
    id: "2"
  - network: matomo
    id: "1"
"""


def write(tmp_path: Path, goals: str, accounts: str = ACCOUNTS) -> Path:
    path = tmp_path / "socialmetrics.yml"
    path.write_text(accounts + "goals:\n" + goals, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_the_sandbox_config_carries_goals_every_one_valid() -> None:
    cfg = load_config(REPO / "config" / "socialmetrics.yml")
    assert 2 <= len(cfg.goals) <= 3
    assert {g.figure for g in cfg.goals} <= set(vocabulary.FIGURES)


def test_a_goal_on_a_figure_the_network_does_not_report_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "  - figure: followers\n    period: month\n    target: 10\n"
                           "  - figure: reach\n    network: x\n    period: 2026-Q4\n    target: 1000\n")  # fmt: skip
    message = refusal(path)
    assert "goals[1] (line 13): x does not report reach" in message, message


@pytest.mark.parametrize(
    ("goal", "words"),
    [
        (
            "  - figure: reech\n    period: month\n    target: 5\n",
            "goals[0] (line 10): unknown figure 'reech' (did you mean 'reach'?)",
        ),
        ("  - figure: reach\n    period: 2026-13\n    target: 5\n", "goals[0] (line 10): unknown period '2026-13'"),
        ("  - figure: reach\n    period: week\n    target: 5\n", "use a month (2026-12), a quarter (2026-Q4)"),
        ("  - figure: reach\n    period: month\n    target: -5\n", "target must be a positive number"),
        ("  - figure: reach\n    network: linkedin\n    period: month\n    target: 5\n", "no linkedin account"),
        ("  - figure: engagement_rate\n    period: month\n    target: 350\n", "in percent (3.5 = 3.5 %)"),
        (
            "  - figure: web_visits\n    network: matomo\n    period: month\n    target: 5\n",
            "counts visits by the network they came from",
        ),
    ],
)
def test_an_unknown_figure_or_period_or_a_wrong_target_is_refused_naming_the_line(
    tmp_path: Path, goal: str, words: str
) -> None:
    message = refusal(write(tmp_path, goal))
    assert words in message, message
    assert "(line 10)" in message, message


def test_a_website_goal_needs_an_analytics_account(tmp_path: Path) -> None:
    accounts = 'company: A\naccounts:\n  - network: facebook\n    id: "1"\n'
    message = refusal(write(tmp_path, "  - figure: web_visits\n    period: month\n    target: 5\n", accounts))
    assert "goals[0] (line 6): web_visits is a website figure: it needs a matomo or ga4 account" in message


def test_periods() -> None:
    assert vocabulary.parse_period("2026-Q4") == ("quarter", dt.date(2026, 10, 1))
    assert vocabulary.parse_period("2026-12") == ("month", dt.date(2026, 12, 1))
    assert vocabulary.parse_period("quarter") == ("quarter", None)
    assert vocabulary.period_end("quarter", dt.date(2026, 10, 1)) == dt.date(2027, 1, 1)
    assert vocabulary.period_start("quarter", dt.date(2026, 11, 19)) == dt.date(2026, 10, 1)
    assert vocabulary.period_label("quarter", dt.date(2026, 10, 1)) == "2026-Q4"


def warehouse(days: dict[dt.date, tuple[float | None, float | None, float | None]]) -> duckdb.DuckDBPyConnection:
    """marts.reach_daily and marts.engagement_daily of one Facebook page: day -> (followers, reach, engagements);
    impressions are 10 x reach."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.reach_daily (network VARCHAR, account_id VARCHAR, day DATE, impressions BIGINT, "
                "reach BIGINT, followers BIGINT, follower_gain BIGINT)")  # fmt: skip
    con.execute("CREATE TABLE marts.engagement_daily (network VARCHAR, account_id VARCHAR, day DATE, "
                "engagements BIGINT, impressions BIGINT, comments BIGINT)")  # fmt: skip
    for day, (followers, reach, engagements) in days.items():
        imp = None if reach is None else 10 * reach
        con.execute("INSERT INTO marts.reach_daily VALUES ('facebook', '1', ?, ?, ?, ?, NULL)",
                    [day, imp, reach, followers])  # fmt: skip
        con.execute("INSERT INTO marts.engagement_daily VALUES ('facebook', '1', ?, ?, ?, NULL)",
                    [day, engagements, imp])  # fmt: skip
    return con


def goal(figure: str, target: float, period: str, network: str | None = "facebook") -> GoalConfig:
    return GoalConfig(figure=figure, target=target, period=period, network=network)


def days_from(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_a_sum_goal_projects_the_pace_of_the_days_with_data_over_the_period() -> None:
    # December: 10 days of 100 reach, one of them without a value: 900 in 9 days with data, 10 days elapsed
    data = {d: (None, 100.0, 5.0) for d in days_from(dt.date(2026, 12, 1), 10)}
    data[dt.date(2026, 12, 4)] = (None, None, 5.0)
    con = warehouse(data)
    rows = goal_progress(con, [goal("reach", 3000, "2026-12"), goal("reach", 3300, "month"),
                               goal("reach", 4000, "month")])  # fmt: skip
    first = rows.iloc[0]
    assert (first.value, first.days_with_data, first.days_elapsed, first.period_days) == (900, 9, 10, 31)
    assert first.projected == pytest.approx(900 / 9 * 31)  # 3100
    assert first.expected_by_today == pytest.approx(3000 * 10 / 31)
    assert first.as_of == dt.date(2026, 12, 10)
    assert list(rows.status) == ["auf Kurs", "knapp", "verfehlt"]  # 3100 >= 3000; >= 90 % of 3300; < 90 % of 4000
    assert list(rows.period) == ["2026-12"] * 3 and rows.current.all()


def test_a_level_goal_counts_from_the_total_before_the_period_and_a_finished_period_is_reached_or_missed() -> None:
    # followers: 1000 on 30 Nov, +10 a day in December up to the 15th (1150)
    data = {dt.date(2026, 11, 30): (1000.0, 1.0, 1.0)}
    data |= {d: (1000.0 + 10 * (i + 1), 1.0, 1.0) for i, d in enumerate(days_from(dt.date(2026, 12, 1), 15))}
    con = warehouse(data)
    rows = goal_progress(con, [goal("followers", 1300, "month"), goal("followers", 1100, "2026-12"),
                               goal("followers", 1000, "2026-11"), goal("followers", 5000, "2026-11")])  # fmt: skip
    december = rows[(rows.goal_index == 1) & rows.current].iloc[0]
    assert (december.start_value, december.value) == (1000, 1150)
    assert december.projected == pytest.approx(1000 + 150 / 15 * 31)  # 1310
    assert december.expected_by_today == pytest.approx(1000 + 300 * 15 / 31)
    assert december.status == "auf Kurs"
    november = rows[(rows.goal_index == 1) & ~rows.current].iloc[0]  # the recurring goal's earlier month
    assert (november.period, november.status) == ("2026-11", "verfehlt")
    assert list(rows[rows.goal_index > 1].status) == ["erreicht", "erreicht", "verfehlt"]


def test_a_rate_goal_is_a_ratio_of_sums_in_percent_in_the_config() -> None:
    data = {d: (None, 100.0, 30.0) for d in days_from(dt.date(2026, 12, 1), 5)}  # 150 / 5000 = 3 %
    con = warehouse(data)
    rows = goal_progress(con, [goal("engagement_rate", 3.0, "month"), goal("engagement_rate", 3.2, "month"),
                               goal("engagement_rate", 4.0, "month")])  # fmt: skip
    assert rows.value.tolist() == pytest.approx([0.03] * 3)
    assert rows.target.tolist() == pytest.approx([0.03, 0.032, 0.04])
    assert list(rows.status) == ["auf Kurs", "knapp", "verfehlt"]


def test_a_goal_without_data_says_so() -> None:
    con = warehouse({dt.date(2026, 12, 1): (10.0, 1.0, 1.0)})
    rows = goal_progress(con, [goal("reach", 10, "2027-Q1"), goal("web_visits", 10, "month", None)])
    assert list(rows.status) == ["keine Daten"]  # the recurring web goal has no period with data: no row
    assert rows.value.isna().all()


def test_the_nightly_run_builds_goal_progress_and_the_summary_shows_it(harness: Harness) -> None:
    """Given the sandbox's Facebook page with two goals, after a nightly run marts.goal_progress holds the current
    period of each, computed from marts.reach_daily, and `socialmetrics summary` prints exactly those values."""
    text = harness.config_path.read_text(encoding="utf-8")
    harness.config_path.write_text(
        text + "goals:\n  - name: Follower\n    figure: followers\n    network: facebook\n    period: month\n"
        "    target: 6000\n  - figure: reach\n    period: 2026-Q4\n    target: 100000\n",
        encoding="utf-8",
    )
    harness.run(dt.date(2026, 11, 19))
    rows = harness.query(
        "SELECT goal, period, value, target, expected_by_today, projected, as_of, status FROM marts.goal_progress "
        "WHERE current ORDER BY goal_index"
    )
    assert [(r[0], r[1]) for r in rows] == [("Follower", "2026-11"), ("reach company 2026-Q4", "2026-Q4")]
    followers = harness.query("SELECT followers FROM marts.reach_daily WHERE day = DATE '2026-11-19'")[0][0]
    reach, days = harness.query(
        "SELECT sum(reach), count(*) FROM marts.reach_daily WHERE day >= DATE '2026-10-01' AND reach IS NOT NULL"
    )[0]
    assert rows[0][2] == followers and rows[0][6] == dt.date(2026, 11, 19)
    assert rows[1][2] == reach and rows[1][5] == pytest.approx(reach / days * 92)
    assert all(r[7] in ("erreicht", "auf Kurs", "knapp", "verfehlt") for r in rows)
    summary = pipeline.summary(harness.warehouse)
    for goal, period, value, target, expected, projected, as_of, status in rows:
        figure = "followers" if goal == "Follower" else "reach"
        assert (
            f"({figure}, {'facebook' if figure == 'followers' else 'company'}, {period}): "
            f"{vocabulary.shown(figure, value)} of {vocabulary.shown(figure, target)} by {as_of}; expected by then "
            f"{vocabulary.shown(figure, expected)}, at this pace {vocabulary.shown(figure, projected)}"
        ) in summary, summary
        assert summary.split(f"({figure}, ")[1].splitlines()[0].endswith(f": {status}")


def test_a_level_goal_whose_history_begins_inside_the_period_paces_from_its_first_day() -> None:
    # followers known from 11 Dec only (1000), +10 a day to 21 Dec (1100): the line starts on 11 Dec
    con = warehouse({d: (1000.0 + 10 * i, 1.0, 1.0) for i, d in enumerate(days_from(dt.date(2026, 12, 11), 11))})
    row = goal_progress(con, [goal("followers", 1300, "2026-12")]).iloc[0]
    assert (row.start_value, row.value) == (1000, 1100)
    assert row.projected == pytest.approx(1000 + 100 / 10 * 20)  # 1200 by 31 Dec
    assert row.expected_by_today == pytest.approx(1000 + 300 * 10 / 20)
    assert row.status == "verfehlt"  # 200 of the 300 it must bring: under 90 %


XING = ACCOUNTS + '  - network: xing\n    id: "3"\n'


def test_a_goal_on_answering_comments_is_refused_for_xing_whose_files_name_nobody(tmp_path: Path) -> None:
    path = write(tmp_path, "  - figure: answer_rate\n    network: xing\n    period: month\n    target: 90\n", XING)
    assert "goals[0] (line 12): xing does not report answer_rate" in refusal(path)
    path = write(tmp_path, "  - figure: answered_within_24h_rate\n    network: xing\n    period: month\n"
                           "    target: 80\n", XING)  # fmt: skip
    assert "goals[0] (line 12): xing does not report answered_within_24h_rate" in refusal(path)
    cfg = load_config(write(tmp_path, "  - figure: answer_rate\n    period: month\n    target: 90\n"
                                      "  - figure: answered_within_24h_rate\n    network: x\n    period: 2026-12\n"
                                      "    target: 80\n", XING))  # fmt: skip
    assert [g.figure for g in cfg.goals] == ["answer_rate", "answered_within_24h_rate"]


def test_answer_goals_divide_the_periods_sums_of_marts_community_care_daily() -> None:
    """Comments needing an answer (core.comment) -> marts.community_care_daily (the model's SQL) -> the goals: the
    company's answer rate is the answered comments over those needing an answer, summed over the period's days and
    accounts (not a mean of daily rates)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE core.comment (network VARCHAR, account_id VARCHAR, comment_id VARCHAR, "
                "needs_answer BOOLEAN, by_account BOOLEAN, created_at TIMESTAMPTZ, "
                "first_answer_at TIMESTAMPTZ)")  # fmt: skip
    comments = [
        # Facebook, 1 Dec: 4 need an answer; answered after 2 h, 23 h, 30 h; one open
        ("facebook", "1", "a", True, False, "2026-12-01 09:00", "2026-12-01 11:00"),
        ("facebook", "1", "b", True, False, "2026-12-01 09:00", "2026-12-02 08:00"),
        ("facebook", "1", "c", True, False, "2026-12-01 09:00", "2026-12-02 15:00"),
        ("facebook", "1", "d", True, False, "2026-12-01 09:00", None),
        ("facebook", "1", "e", False, False, "2026-12-01 09:00", None),  # needs no answer: not counted
        # X, 3 Dec: one needs an answer, answered after 1 h
        ("x", "2", "f", True, False, "2026-12-03 10:00", "2026-12-03 11:00"),
        # 30 Nov 23:30 UTC is 1 Dec in Berlin; answered after 48 h
        ("x", "2", "g", True, False, "2026-11-30 23:30", "2026-12-02 23:30"),
        ("xing", "3", "h", True, None, "2026-12-01 09:00", None),  # Xing: nobody's name, not counted
        ("facebook", "1", "i", True, False, "2026-11-20 09:00", "2026-11-20 10:00"),  # November
    ]
    con.executemany("INSERT INTO core.comment VALUES (?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)",
                    [(*c[:5], c[5] + "+00", c[6] and c[6] + "+00") for c in comments])  # fmt: skip
    sql = (REPO / "sql" / "marts" / "community_care_daily.sql").read_text(encoding="utf-8")
    con.execute(f"CREATE TABLE marts.community_care_daily AS {sql}", {"tz": "Europe/Berlin"})
    daily = con.execute("SELECT network, day, needing_answer, answered, answered_within_24h "
                        "FROM marts.community_care_daily ORDER BY network, day").fetchall()  # fmt: skip
    assert daily == [
        ("facebook", dt.date(2026, 11, 20), 1, 1, 1),
        ("facebook", dt.date(2026, 12, 1), 4, 3, 2),
        ("x", dt.date(2026, 12, 1), 1, 1, 0),
        ("x", dt.date(2026, 12, 3), 1, 1, 1),
    ]
    rows = goal_progress(con, [goal("answer_rate", 70, "2026-12", None),
                               goal("answered_within_24h_rate", 50, "month", None),
                               goal("answer_rate", 100, "2026-12", "x")])  # fmt: skip
    company = rows.iloc[0]
    assert company.value == pytest.approx(5 / 6)  # 83.33 %: 5 of the 6 December comments answered
    assert (company.target, company.as_of, company.days_with_data, company.status) == (0.7, dt.date(2026, 12, 3), 2,
                                                                                      "auf Kurs")  # fmt: skip
    within = rows[(rows.goal_index == 2) & rows.current].iloc[0]
    assert within.value == pytest.approx(3 / 6) and within.status == "auf Kurs"  # 50.00 % of 50 %
    november = rows[(rows.goal_index == 2) & ~rows.current].iloc[0]
    assert (november.period, november.value, november.status) == ("2026-11", 1.0, "erreicht")
    x = rows.iloc[-1]
    assert (x.value, x.status) == (1.0, "auf Kurs")  # X: 2 of 2; a rate is never 'erreicht' before the period's end
    assert vocabulary.shown("answer_rate", company.value) == "83.33%"
