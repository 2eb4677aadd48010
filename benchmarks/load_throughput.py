"""Load throughput: our loader (DELETE window + INSERT ... SELECT from the landed Parquet, in one
transaction) against DuckDB's own Arrow ingest of the same rows, measured in the same run.

Two shapes of the same rows: one landed part holding them all (one account), and what a run of a
company with many accounts really loads: one manifest per account (--accounts, default 100), each
with its own Parquet file and window.
Prints the ratio ours/baseline in rows per second for each; the target is at least 0.5 at one million rows.
Usage: python benchmarks/load_throughput.py [--rows 1000000] [--accounts 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.base import Kind  # noqa: E402
from socialmetrics.land.landing import MANIFEST, Manifest, landed_schema  # noqa: E402
from socialmetrics.load import warehouse  # noqa: E402


def make_table(rows: int, accounts: int = 1000) -> tuple[pa.Table, dt.date, dt.date]:
    """`rows` daily-metric records: `accounts` accounts x N days x a few metrics."""
    rng = np.random.default_rng(7)
    metrics = ["impressions", "reach", "engagements", "followers", "reactions"]
    per_account = rows // accounts
    days = per_account // len(metrics) + 1
    start = dt.date(2024, 1, 1)
    day_idx = np.tile(np.repeat(np.arange(days), len(metrics))[:per_account], accounts)
    n = len(day_idx)
    schema = landed_schema(Kind.DAILY_METRICS)
    data = {
        "network": pa.array(["facebook"] * n),
        "account_id": pa.array(np.repeat([f"acc{i:04d}" for i in range(accounts)], per_account)),
        "stream": pa.array(["page_insights"] * n),
        "day": pa.array([start + dt.timedelta(days=int(d)) for d in day_idx], pa.date32()),
        "metric": pa.array(np.tile(np.array(metrics * days)[:per_account], accounts)),
        "source_metric": pa.array(np.tile(np.array(metrics * days)[:per_account], accounts)),
        "value": pa.array(rng.integers(0, 5000, n).astype("float64")),
        "payload": pa.array(['{"v":1}'] * n),
        "run_id": pa.array(["bench"] * n),
        "extracted_at": pa.array([dt.datetime(2026, 1, 1, tzinfo=dt.UTC)] * n, pa.timestamp("us", tz="UTC")),
    }
    table = pa.table(data).cast(schema)
    return table, start, start + dt.timedelta(days=days + 1)


def baseline(table: pa.Table, path: Path) -> float:
    """DuckDB's own Arrow ingest: INSERT INTO t SELECT * FROM arrow_table."""
    con = duckdb.connect(str(path))
    warehouse.ensure_schema(con)
    t = time.perf_counter()
    con.register("arrow_rows", table)
    con.execute("INSERT INTO raw.daily_metrics SELECT * FROM arrow_rows")
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def land(rows: pa.Table, run_dir: Path, account: str, start: dt.date, end: dt.date) -> Manifest:
    """One account's landed run: its rows as the page_insights part's Parquet file and its manifest."""
    run_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows, run_dir / "page_insights.daily_metrics.parquet")
    part = {
        "stream": "page_insights",
        "kind": "daily_metrics",
        "file": "page_insights.daily_metrics.parquet",
        "rows": rows.num_rows,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    data = {"network": "facebook", "account_id": account, "run_id": "bench", "warnings": [], "parts": [part]}
    return Manifest(run_dir / MANIFEST, data)


def ours(manifests: list[Manifest], path: Path, rows: int) -> float:
    """Our loader over the landed manifests, into a fresh warehouse; seconds."""
    con = duckdb.connect(str(path))
    warehouse.ensure_schema(con)
    t = time.perf_counter()
    results = warehouse.load_manifests(con, manifests, "bench")
    elapsed = time.perf_counter() - t
    con.close()
    assert sum(r["rows_loaded"] for r in results) == rows, results
    return elapsed


def ours_single(table: pa.Table, path: Path, work: Path, start: dt.date, end: dt.date) -> float:
    """Our loader for one landed part holding all rows (one account slice per run, the common case)."""
    single = table.set_column(
        table.schema.get_field_index("account_id"), "account_id", pa.array(["acc"] * table.num_rows)
    )
    return ours([land(single, work / "landing1", "acc", start, end)], path, table.num_rows)


def ours_per_account(table: pa.Table, path: Path, work: Path, start: dt.date, end: dt.date) -> float:
    """Our loader for one manifest (and Parquet file) per account, as a run with `accounts` accounts lands them."""
    manifests = [
        land(table.filter(pc.equal(table.column("account_id"), account)), work / "landing-many" / f"acc{i:04d}",
             account, start, end)
        for i, account in enumerate(table.column("account_id").unique().to_pylist())
    ]  # fmt: skip
    return ours(manifests, path, table.num_rows)


def report(title: str, rows: int, base_times: list[float], our_times: list[float]) -> None:
    """Rows per second of both, from the medians, and the ratio."""
    base, our = statistics.median(base_times), statistics.median(our_times)
    print(f"{title} {rows:,}")
    print(f"baseline (DuckDB Arrow ingest): {rows / base:,.0f} rows/s  (median of {len(base_times)}: {base:.3f} s)")
    print(f"ours (Parquet, DELETE+INSERT):  {rows / our:,.0f} rows/s  (median of {len(our_times)}: {our:.3f} s)")
    print(f"ratio ours/baseline:            {base / our:.2f}  (target >= 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table, start, end = make_table(args.rows)
    many, many_start, many_end = make_table(args.rows, args.accounts)
    base_times, our_times, base_many, our_many = [], [], [], []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            base_times.append(baseline(table, work / f"base{i}.duckdb"))
            our_times.append(ours_single(table, work / f"ours{i}.duckdb", work, start, end))
            base_many.append(baseline(many, work / f"basem{i}.duckdb"))
            our_many.append(ours_per_account(many, work / f"oursm{i}.duckdb", work, many_start, many_end))
    report("rows:", table.num_rows, base_times, our_times)
    report(f"{args.accounts} manifests, one per account:", many.num_rows, base_many, our_many)


if __name__ == "__main__":
    main()
