"""The readers' copy of the marts: what dashboards, the DuckDB shell, `summary` and the report open.

DuckDB allows one writer process per file, and a process that holds the warehouse open (even
read-only) keeps the nightly writer from taking its lock. So readers never open the warehouse: after
every publish the writer copies the marts (plus `core.comment` and the `meta` run records) into a new
file beside the warehouse (a mart that is a view stays a view there, over the copied marts) and swaps it
in with `os.replace`. A reader that has the previous copy open
keeps reading it (the old file stays alive until it closes) and sees the new numbers when it
reconnects; the writer never waits for it.

    data/warehouse.duckdb          the writer's file (Airflow pool `duckdb`)
    data/warehouse.marts.duckdb    the readers' copy, replaced whole after each publish
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from socialmetrics.files import private_files, remove_stale_tmp, tmp_name
from socialmetrics.load import warehouse

log = logging.getLogger(__name__)

READERS_SUFFIX = ".marts.duckdb"
# What readers get: every mart (the report reads marts only, its appendix from marts.run_issues and
# marts.account_coverage_weekly), the comments, and the run records `summary` and dashboards quote. raw.* and
# the rest of core stay in the warehouse.
COPIED = "schema_name IN ('marts', 'meta') OR (schema_name = 'core' AND table_name = 'comment')"


@dataclass(frozen=True)
class Published:
    """What `publish` wrote: the readers' file, its tables and how long the copy took."""

    path: Path
    tables: int
    rows: int
    seconds: float


def readers_path(warehouse_path: Path | str) -> Path:
    """The readers' copy beside the warehouse: `warehouse.duckdb` -> `warehouse.marts.duckdb`."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + READERS_SUFFIX)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@private_files
def publish(warehouse_path: Path | str, *, run_id: str | None = None) -> Published:
    """Copy the marts (and core.comment, meta.*) into a new file and swap it in atomically.

    Runs in the writer's pool slot right after the transform. The copy is written to a temporary
    file and renamed over the previous one: a reader never sees half a copy, and one that holds the
    previous copy open is not disturbed. A copy that fails (a full disk) is removed with its `.wal`;
    the copies of killed publishes (their process gone, or a day old) are removed first."""
    started = time.monotonic()
    source = Path(warehouse_path)
    target = readers_path(source)
    tmp = tmp_name(target, hidden=True)
    wal = tmp.with_name(tmp.name + ".wal")
    remove_stale_tmp(target.parent, f".{target.name}.tmp-*", what="readers' copy of a killed publish")
    for leftover in (tmp, wal):
        leftover.unlink(missing_ok=True)
    rows = 0
    try:
        con = warehouse.connect(source)
        try:
            with warehouse.clear_errors(target):
                tables = con.execute(
                    f"SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
                    f"AND ({COPIED}) ORDER BY ALL"
                ).fetchall()
                con.execute(f"ATTACH {_quote(str(tmp))} AS readers_copy")
                try:
                    for schema in sorted({s for s, _ in tables} | {"meta"}):
                        con.execute(f"CREATE SCHEMA IF NOT EXISTS readers_copy.{schema}")
                    for schema, table in tables:
                        con.execute(f'CREATE TABLE readers_copy.{schema}."{table}" AS SELECT * FROM {schema}."{table}"')
                        counted = con.execute(f'SELECT count(*) FROM readers_copy.{schema}."{table}"').fetchone()
                        rows += int(counted[0]) if counted else 0
                    views = con.execute(
                        "SELECT schema_name, view_name, sql FROM duckdb_views() "
                        "WHERE database_name = current_database() AND NOT internal AND schema_name = 'marts' "
                        "ORDER BY ALL"
                    ).fetchall()
                    for schema, view, sql in views:  # a view mart (network_comparison) stays a view over the copy
                        body = sql.split(" AS ", 1)[1].rstrip().rstrip(";")
                        con.execute(f'CREATE VIEW readers_copy.{schema}."{view}" AS {body}')
                    con.execute(
                        "CREATE OR REPLACE TABLE readers_copy.meta.published AS "
                        "SELECT CAST($at AS TIMESTAMPTZ) AS published_at, CAST($run AS VARCHAR) AS run_id",
                        {"at": dt.datetime.now(dt.UTC), "run": run_id},
                    )
                finally:
                    con.execute("DETACH readers_copy")  # checkpoints: the file is complete on its own
        finally:
            con.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:  # a copy that did not make it (a full disk) leaves nothing: it holds comment texts
        for leftover in (tmp, wal):
            leftover.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    log.info("published %d tables (%d rows) for readers in %s in %.2f s", len(tables), rows, target, seconds)
    return Published(target, len(tables), rows, seconds)


def connect(warehouse_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the readers' copy of the marts.

    A warehouse published before the readers' copy existed has none yet: then the warehouse itself
    is opened read-only (waiting for the writer like before) until the next run publishes one."""
    source = Path(warehouse_path)
    target = readers_path(source)
    if target.exists():
        con = duckdb.connect(str(target), read_only=True)
        con.execute("SET TimeZone = 'UTC'")
        return con
    log.info("no readers' copy %s yet (the next run publishes it); reading the warehouse %s", target, source)
    return warehouse.connect(source, read_only=True)
