"""Incremental transform: a nightly run's rebuild (its window) against a full rebuild of all history,
on ten million raw rows, in the same run. Target: incremental / full at most 0.1.

A nightly run rebuilds 29 days of daily models (lookback 28) and 90 days of post models (Facebook
and LinkedIn refresh posts up to 90 days old); each model family rebuilds only its own window.

The history: 1,250 accounts x 1,000 days x 8 metrics = 10 M rows of raw.daily_metrics, plus posts.
Usage: python benchmarks/incremental_transform.py [--accounts 1250] [--days 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialmetrics.load import warehouse
from socialmetrics.transform import runner as transform  # noqa: E402

METRICS = ("impressions", "reach", "followers", "follows", "unfollows", "reactions", "engagements", "page_views")
START = dt.date(2024, 1, 1)


def fill(con: duckdb.DuckDBPyConnection, accounts: int, days: int) -> int:
    warehouse.ensure_schema(con)
    metric_list = ", ".join(f"'{m}'" for m in METRICS)
    con.execute(
        f"""
        INSERT INTO raw.daily_metrics
        SELECT 'facebook', 'acc' || a, 'page_insights', DATE '{START}' + CAST(d AS INTEGER), m, m,
               CAST(100 + (hash(a, d, m) % 5000) AS DOUBLE), '{{}}', 'bench', TIMESTAMPTZ '2026-01-01'
        FROM range({days}) t(d), range({accounts}) s(a), unnest([{metric_list}]) u(m)
        ORDER BY d
        """
    )
    con.execute(
        f"""
        INSERT INTO raw.posts
        SELECT 'facebook', 'acc' || a, 'posts', 'p' || a || '_' || d,
               TIMESTAMPTZ '{START} 10:00:00+00' + to_days(CAST(d AS INTEGER)), NULL, 'text', '{{}}', 'bench',
               TIMESTAMPTZ '2026-01-01'
        FROM range(0, {days}, 3) t(d), range({accounts}) s(a)
        """
    )
    count = con.execute("SELECT count(*) FROM raw.daily_metrics").fetchone()
    return int(count[0]) if count else 0


def timed(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, families: dict[str, Any] | None = None
) -> float:
    t = time.perf_counter()
    transform.run(con, start, end, run_id="bench", family_windows=families)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1250)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--post-days", type=int, default=90, help="days of posts a nightly run refreshes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        t = time.perf_counter()
        rows = fill(con, args.accounts, args.days)
        print(f"raw.daily_metrics: {rows:,} rows (generated in {time.perf_counter() - t:.1f} s)")
        last = START + dt.timedelta(days=args.days)
        timed(con, START, last)  # first build creates the tables
        full = timed(con, START, last)
        # a nightly run: 29 days of daily numbers (lookback 28) and 90 days of refreshed posts
        families = {
            "day": (last - dt.timedelta(days=29), last),
            "post": (last - dt.timedelta(days=args.post_days), last),
        }
        nightly = min(timed(con, last - dt.timedelta(days=args.post_days), last, families) for _ in range(3))
        print(f"full rebuild of all history:   {full:.2f} s")
        print(f"incremental nightly (29 days of daily numbers, {args.post_days} days of posts): {nightly:.2f} s"
              " (best of 3)")  # fmt: skip
        print(f"ratio incremental/full:        {nightly / full:.3f}  (target <= 0.1)")


if __name__ == "__main__":
    main()
