"""The transform runner's model metadata: order from the graph of what each model reads, the declared grain
checked on every write, the window family declared, not guessed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from socialmetrics.transform import runner as transform

HEADER = "-- table: {table}\n-- grain: one row per id\n-- key: id\n-- window: none\n-- columns:\n--   id: the id\n"


def write(root: Path, layer: str, name: str, sql: str, header: str | None = None) -> None:
    (root / layer).mkdir(parents=True, exist_ok=True)
    table = f"{layer}.{name}"
    (root / layer / f"{name}.sql").write_text((header or HEADER).format(table=table) + sql, encoding="utf-8")


def test_a_mart_that_reads_another_mart_runs_after_it_whatever_the_file_names(tmp_path: Path) -> None:
    write(tmp_path, "core", "base", "SELECT 1 AS id")
    write(tmp_path, "marts", "a_summary", "-- reads marts.z_detail below, not marts.nothing in a comment\n"
                                          "SELECT id FROM marts.z_detail")  # fmt: skip
    write(tmp_path, "marts", "z_detail", "SELECT id FROM core.base")
    assert [m.table for m in transform.models(tmp_path)] == ["core.base", "marts.z_detail", "marts.a_summary"]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute(
        "CREATE TABLE meta.transforms (run_id VARCHAR, tbl VARCHAR, window_start DATE, window_end DATE, "
        "rows_written BIGINT, full_rebuild BOOLEAN, finished_at TIMESTAMPTZ)"
    )
    written = transform.run(con, dt.date(2026, 1, 1), dt.date(2026, 1, 2), sql_dir=tmp_path)
    assert written == {"core.base": 1, "marts.z_detail": 1, "marts.a_summary": 1}


def test_models_that_read_each_other_in_a_cycle_are_named(tmp_path: Path) -> None:
    write(tmp_path, "marts", "a", "SELECT id FROM marts.b")
    write(tmp_path, "marts", "b", "SELECT id FROM marts.a")
    with pytest.raises(transform.SqlFileError, match=r"cycle: marts\.a, marts\.b"):
        transform.models(tmp_path)


def test_a_core_model_may_not_read_a_mart(tmp_path: Path) -> None:
    write(tmp_path, "core", "c", "SELECT id FROM marts.m")
    write(tmp_path, "marts", "m", "SELECT 1 AS id")
    with pytest.raises(transform.SqlFileError, match=r"core\.c reads marts\.m of a higher layer"):
        transform.models(tmp_path)


def test_a_windowed_model_must_say_which_loaded_window_rebuilds_it(tmp_path: Path) -> None:
    header = "-- table: {table}\n-- grain: one row per day\n-- key: day\n-- window: day\n"
    write(tmp_path, "core", "daily", "SELECT DATE '2026-01-01' AS day", header)
    with pytest.raises(transform.SqlFileError, match="needs '-- family: day'"):
        transform.models(tmp_path)


def test_every_shipped_model_declares_its_key_and_windowed_ones_their_family() -> None:
    found = {m.table: (m.key, m.family) for m in transform.models()}
    assert found["core.post"] == (("network", "account_id", "post_id"), "post")
    assert found["core.comment"] == (("network", "account_id", "comment_id"), "post")
    assert found["marts.network_weekly"] == (("network", "account_id", "week_start"), "day")
    assert found["marts.weekly_headline"][0] == ("week_start", "figure")


def test_a_model_that_writes_a_key_twice_fails_the_run_and_publishes_nothing(tmp_path: Path) -> None:
    """Given a mart whose join doubles a row, the transform fails naming the table, the key and the example,
    and the transaction leaves the tables as they were."""
    write(tmp_path, "core", "base", "SELECT * FROM (VALUES (1), (2)) t(id)")
    write(tmp_path, "marts", "doubled", "SELECT b.id FROM core.base b JOIN (VALUES (2), (2)) d(id) USING (id)")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta; CREATE SCHEMA core")
    con.execute(
        "CREATE TABLE meta.transforms (run_id VARCHAR, tbl VARCHAR, window_start DATE, window_end DATE, "
        "rows_written BIGINT, full_rebuild BOOLEAN, finished_at TIMESTAMPTZ)"
    )
    con.execute("CREATE TABLE core.base (id INTEGER)")
    con.execute("INSERT INTO core.base VALUES (7)")
    with pytest.raises(transform.GrainError, match=r"marts\.doubled: its grain \(id, declared in doubled\.sql\) "
                                                   r"is not unique: e\.g\. 2 \(2 rows\)"):  # fmt: skip
        transform.run(con, dt.date(2026, 1, 1), dt.date(2026, 1, 2), sql_dir=tmp_path)
    assert con.execute("SELECT * FROM core.base").fetchall() == [(7,)]


def test_one_rollup_file_gives_the_weekly_and_the_monthly_table(tmp_path: Path) -> None:
    """Given one file with `-- variants: week -> ..., month -> ...`, the runner makes both tables from the same
    SQL, `{period}` read as week and as month."""
    header = (
        "-- variants: week -> marts.per_week, month -> marts.per_month\n-- grain: one row per {period}\n"
        "-- key: {period}_start\n-- window: {period}_start by {period}\n-- family: day\n"
        "-- columns:\n--   {period}_start: the {period}'s first day\n"
    )
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "rollup.sql").write_text(
        header + "SELECT CAST(date_trunc('{period}', DATE '2026-11-18') AS DATE) AS {period}_start", encoding="utf-8"
    )
    found = {m.table: m for m in transform.models(tmp_path)}
    assert sorted(found) == ["marts.per_month", "marts.per_week"]
    assert (found["marts.per_week"].key, found["marts.per_week"].granularity) == (("week_start",), "week")
    assert (found["marts.per_month"].key, found["marts.per_month"].granularity) == (("month_start",), "month")
    con = duckdb.connect()
    assert con.execute(found["marts.per_week"].sql).fetchall() == [(dt.date(2026, 11, 16),)]
    assert con.execute(found["marts.per_month"].sql).fetchall() == [(dt.date(2026, 11, 1),)]


def test_the_shipped_weekly_and_monthly_rollups_come_from_one_file() -> None:
    found = {m.table: m for m in transform.models()}
    weekly, monthly = found["marts.network_weekly"], found["marts.network_monthly"]
    assert weekly.path == monthly.path and weekly.path.name == "network_rollup.sql"
    assert weekly.sql.replace("week", "month") == monthly.sql.replace("week", "month")


def test_a_built_package_ships_the_sql_models_and_finds_them_without_the_source_tree(tmp_path: Path) -> None:
    """`setup.py build_py` (what a wheel is made of) copies sql/ into socialmetrics/sql/; imported from there,
    away from the clone, the runner finds every model."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    build = tmp_path / "build"
    done = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)], cwd=repo, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in (build / "socialmetrics" / "sql" / "core").glob("*.sql")) == [
        "account_daily.sql", "comment.sql", "comment_analysis.sql", "post.sql",
    ]  # fmt: skip
    probe = (
        "import socialmetrics.settings as s, socialmetrics.transform.runner as t; "
        "print(s.SQL_DIR); print(sorted(m.table for m in t.models()))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(build), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert found.returncode == 0, found.stderr[-2000:]
    sql_dir, tables = found.stdout.splitlines()
    assert sql_dir == str(build / "socialmetrics" / "sql")
    assert tables == str(sorted(m.table for m in transform.models()))
