"""Readers never block the writer: dashboards and the DuckDB shell open the readers' copy of the marts,
which each publish swaps in whole while a reader may hold the previous one open."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from socialmetrics import pipeline
from socialmetrics.load import warehouse
from socialmetrics.serve import readers
from tests.conftest import NOW, TODAY, Harness

# A reader in another process, like a DuckDB shell or a BI tool: opens the file read-only, answers, waits
# for a line on stdin while holding the connection, answers again on the same connection, exits.
READER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    query = "SELECT count(*), CAST(max(day) AS VARCHAR) FROM marts.reach_daily"
    print(con.execute(query).fetchone(), flush=True)
    sys.stdin.readline()
    print(con.execute(query).fetchone(), flush=True)
    con.close()
    """
)


def nightly(harness: Harness, day: dt.date, run_id: str) -> dict[str, object]:
    """One nightly run as the DAG does it: extract every account, then `publish` (load, check, transform, the
    readers' copy), `report` (the weekly report when the day is a Sunday) and `finish`."""
    logical = dt.datetime.combine(day, dt.time(3, 0), dt.UTC)
    cfg = harness.cfg
    window = pipeline.run_window(logical, cfg, backfill=False, now=NOW)
    for acc in pipeline.plan(harness.config_path):
        pipeline.extract(
            pipeline.account_from_dict(acc), window, run_id, credentials=harness.credentials,
            landing_root=harness.landing, today=TODAY, http=harness.http(acc["conn_id"]),
        )  # fmt: skip
    published = pipeline.publish(run_id, cfg, warehouse_path=harness.warehouse, landing_root=harness.landing,
                                 today=TODAY)  # fmt: skip
    with contextlib.suppress(pipeline.ReportNotDueError):  # the `report` task: Monday's run only
        published |= pipeline.report(cfg, day, warehouse_path=harness.warehouse)
    pipeline.finish(run_id, cfg, landing_root=harness.landing)
    return published


def start_reader(path: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", READER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first, proc.stderr.read() if proc.stderr else ""
    return proc, first


def test_a_reader_holding_the_marts_open_does_not_block_the_nightly_run(harness: Harness) -> None:
    """Given a published run and another process holding the readers' copy open (a dashboard), when the next
    nightly run (it covers Sunday 15 Nov, so it also writes the weekly report) runs in full, then the run
    succeeds, the reader keeps answering from its copy on the same connection, and a new connection sees the
    new day."""
    nightly(harness, dt.date(2026, 11, 14), "scheduled__2026-11-14")
    copy = readers.readers_path(harness.warehouse)
    assert copy.name == "warehouse.marts.duckdb" and copy.parent == harness.warehouse.parent
    reader, before = start_reader(copy)
    try:
        result = nightly(harness, dt.date(2026, 11, 15), "scheduled__2026-11-15")
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.write("\n")
        reader.stdin.flush()
        after = reader.stdout.readline().strip()
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()
    assert before == after == "(29, '2026-11-14')"  # the reader's snapshot, whole and unchanged
    assert result["report"] and Path(str(result["report"])).exists()
    con = duckdb.connect(str(copy), read_only=True)
    try:
        assert con.execute("SELECT count(*), max(day) FROM marts.reach_daily").fetchone() == (30, dt.date(2026, 11, 15))
        assert con.execute("SELECT run_id FROM meta.published").fetchone() == ("scheduled__2026-11-15",)
    finally:
        con.close()


def test_the_readers_copy_holds_every_mart_and_the_comments_as_in_the_warehouse(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19))
    published = readers.publish(harness.warehouse, run_id="manual")
    tables = harness.query(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name IN ('marts', 'meta') "
        "OR (schema_name = 'core' AND table_name = 'comment') ORDER BY 1"
    )
    assert published.tables == len(tables) > 8
    con = duckdb.connect(str(published.path), read_only=True)
    try:
        for (table,) in tables:
            assert con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == harness.query(
                f"SELECT * FROM {table} ORDER BY ALL"
            ), table
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw'").fetchone() == (0,)
        # a mart that is a view (network_comparison) reads the copy's own marts, opened on its own
        views = con.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = 'marts'").fetchall()
        assert views == [("network_comparison",)]
        comparison = "SELECT * FROM marts.network_comparison ORDER BY ALL"
        assert con.execute(comparison).fetchall() == harness.query(comparison) != []
    finally:
        con.close()


def test_a_reader_on_the_warehouse_itself_would_block_the_writer(harness: Harness) -> None:
    """The failure the readers' copy exists for: a read-only connection to the warehouse in another process
    keeps the writer from its lock (here for 1 s instead of the task's 5 minutes)."""
    harness.run(dt.date(2026, 11, 19))
    reader, _ = start_reader(harness.warehouse)
    try:
        with pytest.raises(warehouse.WarehouseLockedError, match="stayed locked"):
            warehouse.connect(harness.warehouse, wait_s=1).close()
    finally:
        reader.kill()
        reader.wait()
