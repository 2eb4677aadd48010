"""The DuckDB warehouse: schemas, connections and the loader that replaces a run's window.

DuckDB allows one writer process per file. Airflow serialises writers with the pool `duckdb`
(1 slot); `connect` additionally waits for a lock held by another process (an operator running
a query, a second `airflow dags test`) instead of failing at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from connectors.base import KIND_WINDOW_COLUMN, Kind, Window
from socialmetrics.landing import Manifest, landed_schema

log = logging.getLogger(__name__)

LOCK_WAIT_S = 300.0
SCHEMAS = ("raw", "core", "marts", "meta")
META_DDL = [
    """CREATE TABLE IF NOT EXISTS meta.loads (
        run_id VARCHAR, network VARCHAR, account_id VARCHAR, stream VARCHAR, kind VARCHAR,
        window_start DATE, window_end DATE, rows_loaded BIGINT, rows_replaced BIGINT, loaded_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS meta.connector_warnings (
        run_id VARCHAR, network VARCHAR, account_id VARCHAR, stream VARCHAR, code VARCHAR, message VARCHAR,
        recorded_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS meta.quality_results (
        run_id VARCHAR, suite VARCHAR, expectation VARCHAR, severity VARCHAR, success BOOLEAN,
        observed_value VARCHAR, unexpected_count BIGINT, details VARCHAR, checked_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS meta.imports (
        network VARCHAR, account_id VARCHAR, stream VARCHAR, kind VARCHAR, sha256 VARCHAR, rows_loaded BIGINT,
        run_id VARCHAR, loaded_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS meta.api_reads (
        run_id VARCHAR, network VARCHAR, account_id VARCHAR, resource VARCHAR, reads BIGINT, cost_usd DOUBLE,
        budget BIGINT, estimated_reads BIGINT, outcome VARCHAR, recorded_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS meta.transforms (
        run_id VARCHAR, tbl VARCHAR, window_start DATE, window_end DATE, rows_written BIGINT,
        full_rebuild BOOLEAN, finished_at TIMESTAMPTZ)""",
]

_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


class WarehouseLockedError(RuntimeError):
    """Another process kept the warehouse locked for too long."""


def connect(path: Path | str, *, read_only: bool = False, wait_s: float = LOCK_WAIT_S) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds its write lock."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    delay = 0.2
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                if "lock" in str(exc).lower():
                    raise WarehouseLockedError(
                        f"the warehouse {path} stayed locked by another process for {wait_s:.0f} s. DuckDB "
                        f"allows one writer: close other sessions on it (a DuckDB shell, a notebook) and "
                        f"make sure every writing task runs in the Airflow pool 'duckdb' with 1 slot."
                    ) from None
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def raw_table(kind: Kind) -> str:
    """The raw table of a kind."""
    return f"raw.{kind.value}"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas, raw tables and meta tables if missing."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for kind in Kind:
        cols = []
        for fld in landed_schema(kind):
            typ = "JSON" if fld.name == "payload" else _DUCK_TYPES[fld.type]
            cols.append(f"{fld.name} {typ}")
        con.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(kind)} ({', '.join(cols)})")
    for ddl in META_DDL:
        con.execute(ddl)
    from socialmetrics.comment_analysis import ensure_table

    ensure_table(con)  # core.comment reads it


def _window_predicate(kind: Kind) -> str:
    col = KIND_WINDOW_COLUMN[kind]
    if landed_schema(kind).field(col).type == pa.date32():
        return f"{col} >= $start AND {col} < $end"
    # timestamps: the window is in UTC calendar days
    return (
        f"{col} >= CAST($start AS TIMESTAMP) AT TIME ZONE 'UTC' AND {col} < CAST($end AS TIMESTAMP) AT TIME ZONE 'UTC'"
    )


def load_manifests(con: duckdb.DuckDBPyConnection, manifests: Iterable[Manifest], run_id: str) -> list[dict[str, Any]]:
    """Replace each landed part's window in raw.* with its records, all in one transaction.

    DELETE of the (network, account, stream, window) slice plus INSERT ... SELECT from Parquet:
    running it twice, or two overlapping runs, leaves the same rows.
    """
    ensure_schema(con)
    results: list[dict[str, Any]] = []
    now = dt.datetime.now(dt.UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        for manifest in manifests:
            for (stream, kind, window, file), options in zip(manifest.parts(), manifest.part_options(), strict=True):
                if options.get("replace") == "partition":
                    row = _replace_partition(con, manifest, stream, kind, file, options.get("sha256"), run_id, now)
                    if row is None:
                        continue
                else:
                    row = _replace_window(con, manifest, stream, kind, window, file, run_id, now)
                results.append(row)
                con.execute(
                    "INSERT INTO meta.loads VALUES ($run_id, $network, $account_id, $stream, $kind, "
                    "$window_start, $window_end, $rows_loaded, $rows_replaced, $loaded_at)",
                    row,
                )
            con.execute(
                "DELETE FROM meta.connector_warnings WHERE run_id = $run AND network = $n AND account_id = $a",
                {"run": run_id, "n": manifest.network, "a": manifest.account_id},
            )
            for warning in manifest.data.get("warnings", []):
                con.execute(
                    "INSERT INTO meta.connector_warnings VALUES ($run, $n, $a, $s, $c, $m, $t)",
                    {
                        "run": run_id,
                        "n": manifest.network,
                        "a": manifest.account_id,
                        "s": warning["stream"],
                        "c": warning["code"],
                        "m": warning["message"],
                        "t": now,
                    },
                )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return results


def record_usage(con: duckdb.DuckDBPyConnection, run_id: str, usage: Iterable[dict[str, Any]]) -> None:
    """Replace the run's rows of meta.api_reads: reads (billed resources) per account and resource."""
    ensure_schema(con)
    now = dt.datetime.now(dt.UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        for u in usage:
            con.execute(
                "DELETE FROM meta.api_reads WHERE run_id = ? AND network = ? AND account_id = ?",
                [run_id, u["network"], u["account_id"]],
            )
            for resource, reads in sorted((u.get("reads") or {}).items()):
                con.execute(
                    "INSERT INTO meta.api_reads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, u["network"], u["account_id"], resource, int(reads),
                     float((u.get("cost_usd") or {}).get(resource, 0.0)), u.get("budget"),
                     u.get("estimated_reads"), u.get("outcome"), now],
                )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _replace_window(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    stream: str,
    kind: Kind,
    window: Window,
    file: Path,
    run_id: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """DELETE the (network, account, stream, window) slice and INSERT the landed rows inside it."""
    table = raw_table(kind)
    names = ", ".join(landed_schema(kind).names)
    params = {
        "network": manifest.network,
        "account": manifest.account_id,
        "stream": stream,
        "start": window.start,
        "end": window.end,
    }
    where = f"network = $network AND account_id = $account AND stream = $stream AND {_window_predicate(kind)}"
    replaced = con.execute(f"DELETE FROM {table} WHERE {where}", params).fetchone()
    con.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM read_parquet($file) WHERE {where}",
        params | {"file": str(file)},
    )
    loaded = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()
    return _load_row(run_id, manifest, stream, kind, window, loaded, replaced, now)


def _replace_partition(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    stream: str,
    kind: Kind,
    file: Path,
    sha256: str | None,
    run_id: str,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """Replace a whole partition (one imported file) unless the same content was loaded before.

    Returns None when nothing changed; otherwise the load row, whose window spans the days the old
    and the new content cover (so the transform rebuilds both)."""
    table = raw_table(kind)
    names = ", ".join(landed_schema(kind).names)
    key = {"network": manifest.network, "account": manifest.account_id, "stream": stream}
    same = con.execute(
        "SELECT sha256 FROM meta.imports WHERE network = $network AND account_id = $account AND stream = $stream "
        "AND kind = $kind ORDER BY loaded_at DESC LIMIT 1",
        key | {"kind": kind.value},
    ).fetchone()
    if same is not None and sha256 is not None and same[0] == sha256:
        return None
    col = KIND_WINDOW_COLUMN[kind]
    day = f"CAST({col} AS DATE)"
    where = "network = $network AND account_id = $account AND stream = $stream"
    old = con.execute(f"SELECT min({day}), max({day}) FROM {table} WHERE {where}", key).fetchone()
    new = con.execute(f"SELECT min({day}), max({day}) FROM read_parquet($file)", {"file": str(file)}).fetchone()
    days = [d for pair in (old, new) if pair for d in pair if d is not None]
    replaced = con.execute(f"DELETE FROM {table} WHERE {where}", key).fetchone()
    con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM read_parquet($file)", {"file": str(file)})
    loaded = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", key).fetchone()
    con.execute(
        "INSERT INTO meta.imports VALUES ($network, $account, $stream, $kind, $sha, $rows, $run, $at)",
        key | {"kind": kind.value, "sha": sha256, "rows": loaded[0] if loaded else 0, "run": run_id, "at": now},
    )
    if not days:  # an empty part (a file without posts) before and after: nothing to rebuild
        return None
    window = Window(min(days), max(days) + dt.timedelta(days=1))
    return _load_row(run_id, manifest, stream, kind, window, loaded, replaced, now)


def _load_row(
    run_id: str,
    manifest: Manifest,
    stream: str,
    kind: Kind,
    window: Window,
    loaded: tuple[Any, ...] | None,
    replaced: tuple[Any, ...] | None,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "network": manifest.network,
        "account_id": manifest.account_id,
        "stream": stream,
        "kind": kind.value,
        "window_start": window.start,
        "window_end": window.end,
        "rows_loaded": int(loaded[0]) if loaded else 0,
        "rows_replaced": int(replaced[0]) if replaced else 0,
        "loaded_at": now,
    }
