"""The model layers of sql/: staging views de-duplicate each raw table once (the latest extract wins), the
intermediate layer pivots the metric vocabulary once, and the runner keeps the layers apart: only staging
reads raw.*, a view takes no parameters, an ephemeral model is inlined where it is read, and a model whose
materialization changes replaces the old object."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import DAILY_METRICS, POST_METRICS
from socialmetrics.load import warehouse
from socialmetrics.transform import runner as transform

REPO = Path(__file__).resolve().parent.parent
OLD = dt.datetime(2026, 11, 1, 4, tzinfo=dt.UTC)
NEW = dt.datetime(2026, 11, 2, 4, tzinfo=dt.UTC)
JUNE = dt.datetime(2026, 6, 3, 9, tzinfo=dt.UTC)
OCTOBER = dt.datetime(2026, 10, 3, 9, tzinfo=dt.UTC)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    warehouse.ensure_schema(con)  # raw tables, then the staging views over them
    return con


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        base = {"network": "facebook", "account_id": "1", "run_id": "r", "payload": "{}"} | row
        marks = ", ".join("?" for _ in base)
        con.execute(f"INSERT INTO {table} ({', '.join(base)}) VALUES ({marks})", list(base.values()))


def test_staging_daily_metrics_keeps_the_latest_extract_of_each_day_and_metric(con) -> None:
    """Given a day read by two runs and, within the newer run, by two streams (two Xing files), the view
    holds one row per day and metric: the newer run's, and of its two streams the one whose name sorts last."""
    day = dt.date(2026, 11, 1)
    insert(con, "raw.daily_metrics", [
        {"stream": "page", "day": day, "metric": "impressions", "source_metric": "imp", "value": 100.0,
         "extracted_at": OLD},
        {"stream": "file_a", "day": day, "metric": "impressions", "source_metric": "imp", "value": 150.0,
         "extracted_at": NEW},
        {"stream": "file_b", "day": day, "metric": "impressions", "source_metric": "imp", "value": 170.0,
         "extracted_at": NEW},
        {"stream": "page", "day": day, "metric": "reach", "source_metric": "reach", "value": 80.0, "extracted_at": OLD},
        {"stream": "page", "day": day, "metric": None, "source_metric": "page_fans_city", "value": 3.0,
         "extracted_at": NEW},
    ])  # fmt: skip
    rows = con.execute("SELECT metric, value, stream FROM staging.daily_metrics ORDER BY metric").fetchall()
    assert rows == [("impressions", 170.0, "file_b"), ("reach", 80.0, "page")]


def test_staging_posts_take_the_latest_extract_even_when_it_moved_the_post_to_another_window(con) -> None:
    """Given a post read in June and read again (newer) with an October publishing time, the view holds the
    October one only: a model reading June no longer finds it, one reading October does."""
    insert(con, "raw.posts", [
        {"stream": "posts", "post_id": "p1", "published_at": JUNE, "text": "old", "extracted_at": OLD},
        {"stream": "posts", "post_id": "p1", "published_at": OCTOBER, "text": "new", "extracted_at": NEW},
        {"stream": "posts", "post_id": "p2", "published_at": JUNE, "text": "only", "extracted_at": OLD},
    ])  # fmt: skip
    june = "SELECT post_id, text FROM staging.posts WHERE published_at < DATE '2026-07-01'"
    october = "SELECT post_id, text FROM staging.posts WHERE published_at >= DATE '2026-10-01'"
    assert con.execute(june).fetchall() == [("p2", "only")]
    assert con.execute(october).fetchall() == [("p1", "new")]
    assert con.execute("SELECT count(*) FROM staging.posts").fetchone() == (2,)


@pytest.mark.parametrize(
    ("table", "view", "key_row", "value_col"),
    [
        ("raw.post_metrics", "staging.post_metrics",
         {"post_id": "p1", "published_at": JUNE, "as_of": dt.date(2026, 6, 10), "metric": "reactions",
          "source_metric": "likes"}, "value"),
        ("raw.post_snapshots", "staging.post_snapshots",
         {"post_id": "p1", "published_at": JUNE, "as_of": dt.date(2026, 6, 10), "metric": "reactions",
          "source_metric": "like_count"}, "value"),
        ("raw.comments", "staging.comments",
         {"post_id": "p1", "published_at": JUNE, "comment_id": "c1", "created_at": JUNE}, "text"),
    ],
)  # fmt: skip
def test_every_staging_view_keeps_one_row_per_key_the_latest_extract_then_the_last_stream(
    con, table: str, view: str, key_row: dict[str, Any], value_col: str
) -> None:
    value = (lambda v: float(v)) if value_col == "value" else str
    insert(con, table, [
        key_row | {"stream": "a", value_col: value(1), "extracted_at": OLD},
        key_row | {"stream": "z", value_col: value(2), "extracted_at": OLD},
        key_row | {"stream": "a", value_col: value(3), "extracted_at": NEW},
        key_row | {"stream": "b", value_col: value(4), "extracted_at": NEW},
    ])  # fmt: skip
    assert con.execute(f"SELECT {value_col}, stream FROM {view}").fetchall() == [(value(4), "b")]


def test_the_pivot_has_a_column_for_every_metric_of_the_vocabulary() -> None:
    """A metric added to connectors/base.py's vocabulary but not to the one pivot would be lost silently."""
    con = duckdb.connect()
    warehouse.ensure_schema(con)
    sql = transform.sql_of("intermediate.metrics_wide")
    params = transform.model_params(sql, dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM ({sql})", params).fetchall()]
    assert columns[:5] == ["subject", "network", "account_id", "post_id", "day"]
    assert columns[5:] == [*DAILY_METRICS, "reported_missing"]
    assert set(POST_METRICS) <= set(DAILY_METRICS)


def test_latest_extract_wins_is_written_once_per_raw_table_in_staging() -> None:
    """No model outside sql/staging/ and no Python module de-duplicates raw extracts itself."""
    offenders = []
    for path in [*REPO.glob("sql/*/*.sql"), *REPO.glob("socialmetrics/**/*.py")]:
        if path.parent.name == "staging":
            continue
        code = re.sub(r"--[^\n]*|#[^\n]*", "", path.read_text(encoding="utf-8"))
        if re.search(r"extracted_at\s+DESC", code, re.IGNORECASE):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
    assert sorted(p.stem for p in (REPO / "sql" / "staging").glob("*.sql")) == [
        "comments", "competitor_snapshots", "daily_metrics", "post_metrics", "post_snapshots", "posts", "web_traffic",
    ]  # fmt: skip


HEADER = "-- table: {table}\n-- grain: one row per id\n-- key: id\n-- columns:\n--   id: the id\n"
WITH_DAY = HEADER + "--   day: the day\n"


def write(root: Path, layer: str, name: str, header: str, sql: str) -> None:
    (root / layer).mkdir(parents=True, exist_ok=True)
    (root / layer / f"{name}.sql").write_text(header.format(table=f"{layer}.{name}") + sql, encoding="utf-8")


def meta(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.transforms (run_id VARCHAR, tbl VARCHAR, window_start DATE, "
        "window_end DATE, rows_written BIGINT, full_rebuild BOOLEAN, finished_at TIMESTAMPTZ)"
    )
    return con


def test_a_core_model_that_reads_raw_is_refused_with_the_staging_view_to_read(tmp_path: Path) -> None:
    write(tmp_path, "core", "c", HEADER + "-- window: none\n", "SELECT post_id AS id FROM raw.posts")
    with pytest.raises(transform.SqlFileError, match=r"core\.c reads raw\.\* directly; read the staging view"):
        transform.models(tmp_path)


def test_a_view_with_a_parameter_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "staging", "s", HEADER + "-- materialized: view\n", "SELECT 1 AS id WHERE $start IS NOT NULL")
    with pytest.raises(transform.SqlFileError, match=r"a view takes no \$parameters"):
        transform.models(tmp_path)


def test_an_ephemeral_model_is_inlined_with_the_readers_parameters_and_leaves_no_object(tmp_path: Path) -> None:
    """Given an ephemeral model that filters on $start and two tables that read it, one through an alias, each
    table gets the rows of its own window, and the database holds no object of the ephemeral model."""
    write(
        tmp_path,
        "staging",
        "ids",
        WITH_DAY + "-- materialized: view\n",
        "SELECT CAST(i AS INTEGER) AS id, DATE '2026-01-01' + CAST(i AS INTEGER) AS day FROM range(10) t(i)",
    )
    write(
        tmp_path,
        "intermediate",
        "recent",
        WITH_DAY + "-- materialized: ephemeral\n",
        "SELECT id, day FROM staging.ids WHERE day >= $start AND day < $end",
    )
    window = "-- window: day\n-- family: day\n"
    write(tmp_path, "core", "plain", WITH_DAY + window, "SELECT id, day FROM intermediate.recent")
    write(tmp_path, "core", "aliased", WITH_DAY + window, "SELECT r.id, r.day FROM intermediate.recent AS r")
    con = meta(duckdb.connect())
    transform.run(con, dt.date(2026, 1, 3), dt.date(2026, 1, 5), sql_dir=tmp_path)  # new tables: all history
    con.execute("UPDATE core.aliased SET id = id + 100")
    written = transform.run(con, dt.date(2026, 1, 3), dt.date(2026, 1, 5), sql_dir=tmp_path)
    assert written == {"core.plain": 2, "core.aliased": 2}
    assert con.execute("SELECT id FROM core.aliased WHERE id < 100 ORDER BY id").fetchall() == [(2,), (3,)]
    assert con.execute("SELECT count(*) FROM core.aliased").fetchone() == (10,)
    objects = con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables ORDER BY 1")
    assert [r[0] for r in objects.fetchall()] == ["core.aliased", "core.plain", "meta.transforms", "staging.ids"]


def test_a_table_that_becomes_a_view_and_back_replaces_the_old_object(tmp_path: Path) -> None:
    write(tmp_path, "core", "base", HEADER + "-- window: none\n", "SELECT 1 AS id UNION ALL SELECT 2")
    mart = "SELECT id * 10 AS id FROM core.base"
    write(tmp_path, "marts", "m", HEADER + "-- window: none\n", mart)
    con = meta(duckdb.connect())
    day = dt.date(2026, 1, 1)
    transform.run(con, day, day + dt.timedelta(days=1), sql_dir=tmp_path)
    write(tmp_path, "marts", "m", HEADER + "-- materialized: view\n", mart)
    transform.run(con, day, day + dt.timedelta(days=1), sql_dir=tmp_path)
    kind = "SELECT table_type FROM information_schema.tables WHERE table_name = 'm'"
    assert con.execute(kind).fetchall() == [("VIEW",)]
    assert con.execute("SELECT id FROM marts.m ORDER BY id").fetchall() == [(10,), (20,)]
    write(tmp_path, "marts", "m", HEADER + "-- window: none\n", mart)
    assert transform.run(con, day, day + dt.timedelta(days=1), sql_dir=tmp_path)["marts.m"] == 2
    assert con.execute(kind).fetchall() == [("BASE TABLE",)]
