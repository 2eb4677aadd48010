"""The marts of the run records (marts.week_runs, marts.run_issues, marts.account_coverage_weekly), rebuilt whole
on every run: their time against a full transform, on the incremental benchmark's history with every account
configured, one nightly run a day recorded in meta.loads (a 29-day window per account) and, to make the
coverage mart explain something, no numbers on every tenth day of the year (`--gap-every 10`, the worst case:
a gap in every account's every week; `--gap-every 0`: none).

Usage: python benchmarks/run_record_marts.py [--accounts 400] [--days 1000] [--gap-every 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from incremental_transform import START, fill  # noqa: E402

from socialmetrics.transform import runner as transform  # noqa: E402

TABLES = ("marts.week_runs", "marts.run_issues", "marts.account_coverage_weekly")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--gap-every", type=int, default=10, help="no numbers on every Nth day of the year (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        fill(con, args.accounts, args.days)
        last = START + dt.timedelta(days=args.days)
        names = [f"facebook/acc{a}" for a in range(args.accounts)]
        started = time.perf_counter()
        transform.run(con, START, last, run_id="bench", accounts=names)
        full = time.perf_counter() - started
        con.execute(
            f"""
            INSERT INTO meta.loads
            SELECT 'run' || d, 'facebook', 'acc' || a, 'page_insights', 'daily_metrics',
                   DATE '{START}' + CAST(d AS INTEGER) - 28, DATE '{START}' + CAST(d AS INTEGER) + 1, 29, 29,
                   TIMESTAMPTZ '{START} 02:00:00+00' + to_days(CAST(d AS INTEGER) + 1)
            FROM range({args.days}) t(d), range({args.accounts}) s(a)
            """
        )
        for table in ("marts.reach_daily", "marts.engagement_daily"):
            if args.gap_every:
                con.execute(f"DELETE FROM {table} WHERE dayofyear(day) % $n = 0", {"n": args.gap_every})
        by_table = {m.table: m for m in transform.models()}
        print(f"{args.accounts} accounts x {args.days} days; full transform {full:.2f} s")
        for table in TABLES:
            sql = transform.compiled(by_table[table], by_table)
            params = transform.model_params(sql, START, last, transform.DEFAULT_TZ, names)
            started = time.perf_counter()
            count = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
            seconds = time.perf_counter() - started
            rows = count[0] if count else 0
            print(f"{table}: {rows} rows in {seconds:.2f} s, {seconds / full:.3f} of the full transform")


if __name__ == "__main__":
    main()
