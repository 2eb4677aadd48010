"""One declaration per model: the `-- columns:` block of each header is parsed strictly, the runner checks a
model's columns against it, the quality gate's column expectations come from it, Python-built tables are nodes of
the same graph, and docs/models.md is what the declarations give."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from socialmetrics.analytics.comments import SENTIMENTS
from socialmetrics.check import quality
from socialmetrics.transform import runner as transform
from tests.conftest import REPO, Harness

HEADER = "-- table: {table}\n-- grain: one row per id\n-- key: id\n-- window: none\n"


def write(root: Path, layer: str, name: str, text: str) -> Path:
    (root / layer).mkdir(parents=True, exist_ok=True)
    path = root / layer / f"{name}.sql"
    path.write_text(text.format(table=f"{layer}.{name}"), encoding="utf-8")
    return path


def meta(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.transforms (run_id VARCHAR, tbl VARCHAR, window_start DATE, "
        "window_end DATE, rows_written BIGINT, full_rebuild BOOLEAN, finished_at TIMESTAMPTZ)"
    )
    return con


def test_a_column_line_gives_the_meaning_and_the_tests_with_their_severity(tmp_path: Path) -> None:
    write(tmp_path, "core", "t", HEADER + "-- columns:\n--   id: the id [not null]\n"
          "--   rate: a share [range 0..1 warning, not null blocking]\n"
          "--   verdict: the call [in clear effect|no evidence]\n--   note: free text\n"
          "-- a free comment after the block\n"
          "SELECT 1 AS id, 0.5 AS rate, 'no evidence' AS verdict, '' AS note")  # fmt: skip
    (model,) = transform.models(tmp_path)
    assert model.columns == (
        transform.Column("id", "the id", (transform.ColumnTest("not_null"),)),
        transform.Column("rate", "a share", (
            transform.ColumnTest("range", "warning", min_value=0, max_value=1), transform.ColumnTest("not_null"),
        )),
        transform.Column("verdict", "the call", (
            transform.ColumnTest("accepted_values", values=("clear effect", "no evidence")),
        )),
        transform.Column("note", "free text"),
    )  # fmt: skip
    assert [t.describe() for c in model.columns for t in c.tests] == [
        "not null", "range 0..1 warning", "not null", "in clear effect|no evidence",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--   id: [not null]", r"t\.sql, line 6: column id has no meaning: say in one line what it holds"),
        ("--   id: the id [unique]", r"t\.sql, line 6: column id: unknown test 'unique'; a test is `not null`"),
        ("--   id: the id [range 0..1 fatal]",
         r"t\.sql, line 6: column id: the severity of 'range 0\.\.1' is blocking or warning, not 'fatal'"),
        ("--   id: the id [range ..]", r"t\.sql, line 6: column id: unknown test 'range \.\.'"),
        ("--   id the id",
         r"t\.sql, line 6: a column is declared as '--   name: meaning \[tests\]', not '--   id the id'"),
    ],
)  # fmt: skip
def test_a_bad_column_line_is_refused_naming_the_file_and_the_line(tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path, "core", "t", HEADER + f"-- columns:\n{line}\nSELECT 1 AS id")
    with pytest.raises(transform.SqlFileError, match=message):
        transform.models(tmp_path)


def test_a_model_without_a_columns_block_or_with_its_key_undeclared_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "core", "t", HEADER + "SELECT 1 AS id")
    with pytest.raises(transform.SqlFileError, match=r"t\.sql: header block '-- columns:' is missing"):
        transform.models(tmp_path)
    write(tmp_path, "core", "t", HEADER + "-- columns:\n--   other: something\nSELECT 1 AS other")
    with pytest.raises(transform.SqlFileError, match=r"the key or window names id, which '-- columns:' lacks"):
        transform.models(tmp_path)


def test_a_model_writing_other_columns_than_declared_fails_naming_both_and_publishes_nothing(tmp_path: Path) -> None:
    """Given a mart declaring id and label but writing id and name, the run fails naming `name` as undeclared and
    `label` as missing, and the core table written before it in the same run is rolled back."""
    write(tmp_path, "core", "base", HEADER + "-- columns:\n--   id: the id\nSELECT 1 AS id")
    write(tmp_path, "marts", "m", HEADER + "-- columns:\n--   id: the id\n--   label: its label\n"
          "SELECT id, 'x' AS name FROM core.base")  # fmt: skip
    con = meta(duckdb.connect())
    with pytest.raises(transform.ColumnsError, match=r"marts\.m: its columns differ from its declaration in m\.sql: "
                                                     r"written but not declared: name; declared but not written: "
                                                     r"label\."):  # fmt: skip
        transform.run(con, dt.date(2026, 1, 1), dt.date(2026, 1, 2), sql_dir=tmp_path)
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'core'").fetchone() == (0,)


def test_a_view_is_checked_against_its_declaration_too(tmp_path: Path) -> None:
    write(tmp_path, "staging", "s", HEADER + "-- materialized: view\n-- columns:\n--   id: the id\n"
          "SELECT 1 AS id, 2 AS extra")  # fmt: skip
    with pytest.raises(transform.ColumnsError, match="written but not declared: extra; declared but not written: -"):
        transform.ensure_views(duckdb.connect(), tmp_path)


PYTHON_HEADER = (
    "-- table: {table}\n-- materialized: python\n-- python: tests.test_declarations.{function}\n-- reads: {reads}\n"
    "-- grain: one row per id\n-- key: id\n-- columns:\n--   id: the id\n--   doubled: the id times two\n"
)


def doubled_ids(con: duckdb.DuckDBPyConnection, factor: int) -> pd.DataFrame:
    """A Python model: the ids of core.base, times `factor` (an input of the run)."""
    return con.execute("SELECT id, id * $f AS doubled FROM core.base ORDER BY id", {"f": factor}).df()


def twice_the_same_id(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """A Python model that breaks its grain."""
    return pd.DataFrame({"id": [1, 1], "doubled": [2, 2]})


def test_a_python_model_runs_in_its_place_in_the_graph_with_the_inputs_it_names(tmp_path: Path) -> None:
    """Given a Python mart that reads core.base and a SQL mart that reads the Python one, the runner orders
    them by what they read, gives the function the input it names and writes its rows."""
    write(tmp_path, "core", "base", HEADER + "-- columns:\n--   id: the id\nSELECT * FROM range(1, 3) t(id)")
    write(tmp_path, "marts", "a_total", HEADER.replace("id\n-- window", "total\n-- window").replace("per id", "")
          + "-- columns:\n--   total: the sum\nSELECT sum(doubled) AS total FROM marts.z_python")  # fmt: skip
    write(tmp_path, "marts", "z_python", PYTHON_HEADER.format(table="{table}", function="doubled_ids",
                                                              reads="core.base"))  # fmt: skip
    assert [m.table for m in transform.models(tmp_path)] == ["core.base", "marts.z_python", "marts.a_total"]
    con = meta(duckdb.connect())
    written = transform.run(con, dt.date(2026, 1, 1), dt.date(2026, 1, 2), sql_dir=tmp_path, python={"factor": 3})
    assert written == {"core.base": 2, "marts.z_python": 2, "marts.a_total": 1}
    assert con.execute("SELECT total FROM marts.a_total").fetchall() == [(9,)]
    missing = r"z_python\.sql: tests\.test_declarations\.doubled_ids takes factor, which the run does not give"
    with pytest.raises(transform.SqlFileError, match=missing + r" \(it gives nothing\)"):
        transform.run(con, dt.date(2026, 1, 1), dt.date(2026, 1, 2), sql_dir=tmp_path, python={})


def test_a_python_model_that_writes_a_key_twice_fails_like_a_sql_model(tmp_path: Path) -> None:
    write(tmp_path, "core", "base", HEADER + "-- columns:\n--   id: the id\nSELECT 1 AS id")
    write(tmp_path, "marts", "p", PYTHON_HEADER.format(table="{table}", function="twice_the_same_id",
                                                       reads="core.base"))  # fmt: skip
    con = meta(duckdb.connect())
    with pytest.raises(transform.GrainError, match=r"marts\.p: its grain \(id, declared in p\.sql\) is not unique"):
        transform.run(con, dt.date(2026, 1, 1), dt.date(2026, 1, 2), sql_dir=tmp_path, python={})


def test_a_python_model_reading_an_unknown_table_or_holding_sql_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "marts", "p", PYTHON_HEADER.format(table="{table}", function="twice_the_same_id",
                                                              reads="core.nothing"))  # fmt: skip
    with pytest.raises(transform.SqlFileError, match=r"'-- reads:' names core\.nothing, which no model"):
        transform.models(tmp_path)
    path.write_text(path.read_text().replace("core.nothing", "marts.p") + "SELECT 1 AS id", encoding="utf-8")
    with pytest.raises(transform.SqlFileError, match="a model built in Python is a header only"):
        transform.models(tmp_path)


def test_the_python_built_tables_are_nodes_of_the_graph_after_what_they_read() -> None:
    found = {m.table: m for m in transform.models()}
    order = [m.table for m in transform.models()]
    python = {t: (m.python, m.reads) for t, m in found.items() if m.materialized == "python"}
    assert python == {
        "core.comment_analysis": ("socialmetrics.transform.comment_analysis.update", ("staging.comments",)),
        "marts.campaign_impact": (
            "socialmetrics.analytics.campaigns.campaign_impact",
            ("core.account_daily", "marts.web_outcomes_daily", "marts.web_goal_daily"),
        ),
        "marts.campaign_posts": ("socialmetrics.analytics.campaigns.campaign_posts", ("core.post",)),
        "marts.campaign_comment_sentiment": (
            "socialmetrics.analytics.campaigns.campaign_comment_sentiment", ("marts.campaign_posts", "core.comment"),
        ),
        "marts.alert_candidates": (
            "socialmetrics.analytics.alert_candidates.alert_candidates",
            ("marts.reach_daily", "marts.engagement_daily", "core.comment"),
        ),
        "marts.goal_progress": (
            "socialmetrics.analytics.goals.goal_progress",
            ("marts.reach_daily", "marts.engagement_daily", "marts.web_outcomes_daily", "marts.community_care_daily"),
        ),
    }  # fmt: skip
    assert order.index("marts.web_outcomes_daily") < order.index("marts.goal_progress")
    assert order.index("marts.community_care_daily") < order.index("marts.goal_progress")
    assert order.index("core.comment_analysis") < order.index("core.comment")
    assert order.index("marts.reach_daily") < order.index("marts.alert_candidates")
    assert order.index("marts.campaign_posts") < order.index("marts.campaign_comment_sentiment")
    assert all(callable(transform.python_function(found[t])) for t in python)


# The gate's expectations for the declared tables, exactly as the hand-written gate had them (same types,
# arguments, severities and order; the checks that are not column tests sit between them as code).
GATE = {
    "core.account_daily": (
        [("expect_column_values_to_not_be_null", {"column": c}, "blocking") for c in ("network", "account_id", "day")]
        + [("expect_compound_columns_to_be_unique", {"column_list": ["network", "account_id", "day"]}, "blocking")],
        [("expect_column_values_to_be_between", {"column": c, "min_value": 0}, "blocking") for c in (
            "impressions", "reach", "followers", "reactions", "comments", "shares", "clicks", "engagements")],
    ),
    "core.post": (
        [("expect_column_values_to_not_be_null", {"column": "post_id"}, "blocking"),
         ("expect_compound_columns_to_be_unique", {"column_list": ["network", "account_id", "post_id"]}, "blocking")],
        [("expect_column_values_to_be_between", {"column": c, "min_value": 0}, "blocking") for c in (
            "impressions", "reach", "reactions", "comments", "shares", "clicks", "engagements")],
    ),
    "core.comment": (
        [("expect_column_values_to_not_be_null", {"column": "comment_id"}, "blocking"),
         ("expect_compound_columns_to_be_unique", {"column_list": ["network", "account_id", "comment_id"]},
          "blocking")],
        [("expect_column_values_to_be_in_set", {"column": "sentiment", "value_set": list(SENTIMENTS)}, "blocking"),
         ("expect_column_values_to_be_between", {"column": "sentiment_confidence", "min_value": 0, "max_value": 1},
          "blocking")],
    ),
}  # fmt: skip


def _described(expectations: list[Any]) -> list[tuple[str, dict[str, Any], str]]:
    out = []
    for e in expectations:
        kwargs = {k: v for k, v in e.configuration.kwargs.items() if k not in ("batch_id", "mostly")}
        out.append((e.expectation_type, json.loads(json.dumps(kwargs)), e.meta["severity"]))
    return out


@pytest.mark.parametrize("table", sorted(GATE))
def test_the_gates_column_expectations_come_from_the_declaration_as_written_by_hand_before(table: str) -> None:
    keys, values = quality.declared_expectations(table)
    assert (_described(keys), _described(values)) == GATE[table]


def test_the_gate_of_a_sandbox_run_has_exactly_the_expectations_of_the_hand_written_gate(harness: Harness) -> None:
    """The whole expectation list of a nightly run, in order: the declared ones and the coded ones between them."""
    harness.run(dt.date(2026, 11, 19), run_id="night")
    failed = harness.query("SELECT count(*), count(*) FILTER (WHERE NOT success) FROM meta.quality_results")
    assert failed == [(41, 0)]  # 36 of the core tables, raw.daily_metrics and anomalies; 5 of raw.web_traffic
    con = duckdb.connect(str(harness.warehouse), read_only=True)
    try:
        suites = quality.build_suites(con, dt.date(2026, 10, 22), dt.date(2026, 11, 20),
                                      ["facebook/104857600000001"], dt.date(2026, 11, 20))  # fmt: skip
    finally:
        con.close()
    got = {s.name: [f"{e.expectation_type} {e.meta['severity']}" for e in s.expectations] for s in suites}
    col = "expect_column_values_to_be_between blocking"
    assert got == {
        "core.account_daily": ["expect_column_values_to_not_be_null blocking"] * 3
        + ["expect_compound_columns_to_be_unique blocking", col,  # the window's days
           "expect_column_distinct_values_to_contain_set blocking"]  # the expected accounts
        + [col] * 8  # the declared ranges
        + [col, "expect_column_values_to_be_between warning"],  # reach <= impressions, engagement rate
        "raw.daily_metrics": ["expect_compound_columns_to_be_unique blocking",
                              "expect_column_values_to_be_in_set blocking"],
        "core.post": ["expect_column_values_to_not_be_null blocking", "expect_compound_columns_to_be_unique blocking",
                      col, *[col] * 7, col],  # published_at, the declared ranges, reach <= impressions
        "core.comment": ["expect_column_values_to_not_be_null blocking",
                         "expect_compound_columns_to_be_unique blocking",
                         "expect_column_values_to_not_be_null blocking",  # every comment with a text has its tone
                         "expect_column_values_to_be_in_set blocking", col],
        "raw.web_traffic": ["expect_compound_columns_to_be_unique blocking", *[col] * 4],  # key, no negatives
        "anomalies": ["expect_column_values_to_be_in_set warning", "expect_column_values_to_be_between warning"],
    }  # fmt: skip
    declared = [m.table for m in transform.models() if m.table.startswith("core.") and m.materialized == "table"]
    assert sorted(quality.GATED) == sorted(declared)


def test_every_declared_test_holds_on_the_sandbox_company(harness: Harness) -> None:
    """A nightly run of the sandbox page: every table and view holds the tests its declaration states."""
    harness.run(dt.date(2026, 11, 19), run_id="night")
    con = duckdb.connect(str(harness.warehouse), read_only=True)
    try:
        found = [m for m in transform.models() if m.materialized != "ephemeral"]
        failures = [f for m in found for f in transform.audit(con, m)]
        counted = con.execute("SELECT count(*) FROM marts.reach_daily WHERE impressions < 0").fetchone()
    finally:
        con.close()
    assert failures == []
    # 22 models, the coverage, week-runs and run-issues marts, staging.web_traffic, the four web marts,
    # marts.alert_candidates, staging.competitor_snapshots with marts.competitor_weekly, marts.goal_progress,
    # marts.week_highlights and the two community care marts (issue #30)
    assert counted == (0,) and len(found) == 38


def test_audit_names_the_column_the_test_and_the_rows_that_fail_it(tmp_path: Path) -> None:
    write(tmp_path, "marts", "m", HEADER + "-- columns:\n--   id: the id [not null, range 1..2]\n"
          "--   kind: the kind [in a|b warning]\nSELECT 1 AS id, 'a' AS kind")  # fmt: skip
    (model,) = transform.models(tmp_path)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.m AS SELECT * FROM (VALUES (1, 'a'), (NULL, 'c'), "
                "(3, NULL), (0, 'b')) t(id, kind)")  # fmt: skip
    assert transform.audit(con, model) == [
        "marts.m.id: not null: 1 rows", "marts.m.id: range 1..2: 2 rows", "marts.m.kind: in a|b warning: 1 rows",
    ]  # fmt: skip


def test_docs_models_md_is_what_the_declarations_give() -> None:
    """docs/models.md is generated (`make docs`); edit the declarations in sql/, then regenerate it."""
    committed = (REPO / "docs" / "models.md").read_text(encoding="utf-8")
    assert committed == transform.reference(), "docs/models.md is stale: run `make docs` and commit it"
    assert "| `engagement_rate` | engagements / impressions; NULL when impressions are 0 or unknown | range 0.. |" in (
        committed
    )


def test_the_docs_command_writes_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "models.md"
    assert transform.main(["--docs", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == transform.reference()
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert sys.modules["socialmetrics.transform.runner"] is transform


def test_an_error_in_a_variant_file_names_the_files_own_line(tmp_path: Path) -> None:
    """A file of two tables (`-- variants:`) is parsed once per period; an error still names its own line."""
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "rollup.sql").write_text(
        "-- variants: week -> marts.per_week, month -> marts.per_month\n-- table: marts.per_{period}\n"
        "-- grain: one row per {period}\n-- key: {period}_start\n-- window: none\n-- columns:\n"
        "--   {period}_start: the {period}'s first day [range 0..1 loud]\nSELECT 1 AS {period}_start",
        encoding="utf-8",
    )
    with pytest.raises(transform.SqlFileError, match=r"rollup\.sql, line 7: column week_start: the severity of"):
        transform.models(tmp_path)


def test_a_header_value_goes_on_over_its_indented_lines() -> None:
    found = {m.table: m for m in transform.models()}
    assert found["marts.account_weekly"].grain == (
        "one row per network, account and ISO week (Monday) with numbers, posts or comments, plus "
        "network 'all' / account_id 'all' rows for the company"
    )
    assert found["marts.network_comparison"].materialized == "view"
    assert found["marts.account_weekly"].family == "since"
