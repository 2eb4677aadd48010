"""The readers' copy on a large warehouse: what publishing the marts for readers (socialmetrics/serve/readers.py, a new
file swapped in after every nightly run) costs next to the nightly transform it follows, measured in the same run
on the warehouse of benchmarks/incremental_transform.py (10 M raw rows by default).

Prints the copy's time against the nightly (incremental) transform and against a plain copy of the warehouse
file (what the operating system needs to write the bytes at all), and the copy's size against the warehouse's.
Usage: python benchmarks/readers_copy.py [--accounts 1250] [--days 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from incremental_transform import START, fill, timed  # noqa: E402

from socialmetrics.serve import readers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1250)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        con = duckdb.connect(str(path))
        rows = fill(con, args.accounts, args.days)
        last = START + dt.timedelta(days=args.days)
        timed(con, START, last)  # all history, as after a history load
        families = {"day": (last - dt.timedelta(days=29), last), "post": (last - dt.timedelta(days=90), last)}
        nightly, copies, plain = [], [], []
        for _ in range(args.repeat):
            nightly.append(timed(con, last - dt.timedelta(days=90), last, families))
            con.execute("CHECKPOINT")
            con.close()  # the writer's task ends; publish opens the warehouse itself
            copies.append(readers.publish(path, run_id="bench").seconds)
            t = time.perf_counter()
            shutil.copyfile(path, Path(tmp) / "plain.duckdb")
            plain.append(time.perf_counter() - t)
            con = duckdb.connect(str(path))
        marts = con.execute(
            "SELECT count(*), sum(estimated_size) FROM duckdb_tables() WHERE schema_name IN ('marts', 'meta') "
            "OR (schema_name = 'core' AND table_name = 'comment')"
        ).fetchone() or (0, 0)
        con.close()
        copy_size = readers.readers_path(path).stat().st_size
        size = path.stat().st_size
    n, c, p = statistics.median(nightly), statistics.median(copies), statistics.median(plain)
    print(f"raw.daily_metrics: {rows:,} rows; the copy holds {marts[0]} tables, about {marts[1]:,} rows")
    print(f"nightly transform (median of {args.repeat}): {n:.2f} s")
    print(f"readers' copy     (median of {args.repeat}): {c:.2f} s   runs: {', '.join(f'{x:.2f}' for x in copies)}")
    print(f"plain file copy of the warehouse ({size / 1e6:,.0f} MB): {p:.2f} s")
    print(f"readers' copy {copy_size / 1e6:,.0f} MB = {copy_size / size:.2f} of the warehouse")
    print(f"ratio copy / nightly transform: {c / n:.2f}")
    print(f"ratio copy / plain file copy:   {c / p:.2f}")


if __name__ == "__main__":
    main()
