"""The loader replaces the windows of many accounts' landed parts in one transaction, a few statements per
raw table: what it replaces, what it keeps, and what it records per part."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from connectors.base import Kind
from socialmetrics.land.landing import MANIFEST, Manifest, landed_schema
from socialmetrics.load import warehouse

UTC = dt.UTC
OCT = [dt.date(2026, 10, d) for d in range(1, 32)]


def daily_rows(account: str, days: list[dt.date], value: float, run_id: str, stream: str = "insights") -> pa.Table:
    n = len(days)
    return pa.table(
        {
            "network": ["facebook"] * n,
            "account_id": [account] * n,
            "stream": [stream] * n,
            "day": days,
            "metric": ["impressions"] * n,
            "source_metric": ["page_media_view"] * n,
            "value": [value] * n,
            "payload": ["{}"] * n,
            "run_id": [run_id] * n,
            "extracted_at": [dt.datetime(2026, 11, 1, tzinfo=UTC)] * n,
        }
    ).cast(landed_schema(Kind.DAILY_METRICS))


def post_rows(account: str, published: list[dt.datetime], run_id: str) -> pa.Table:
    n = len(published)
    return pa.table(
        {
            "network": ["facebook"] * n,
            "account_id": [account] * n,
            "stream": ["posts"] * n,
            "post_id": [f"{account}_{p:%m%d%H}" for p in published],
            "published_at": published,
            "permalink": [None] * n,
            "text": [run_id] * n,
            "payload": ["{}"] * n,
            "run_id": [run_id] * n,
            "extracted_at": [dt.datetime(2026, 11, 1, tzinfo=UTC)] * n,
        }
    ).cast(landed_schema(Kind.POSTS))


def manifest(root: Path, account: str, parts: list[tuple[str, Kind, dt.date, dt.date, pa.Table]]) -> Manifest:
    folder = root / account
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (stream, kind, start, end, table) in enumerate(parts):
        name = f"{stream}.{kind.value}.{i}.parquet"
        pq.write_table(table, folder / name)
        entries.append(
            {"stream": stream, "kind": kind.value, "file": name, "rows": table.num_rows,
             "start": start.isoformat(), "end": end.isoformat()}
        )  # fmt: skip
    return Manifest(folder / MANIFEST, {"network": "facebook", "account_id": account, "run_id": "r", "parts": entries})


def seed(con: duckdb.DuckDBPyConnection, accounts: list[str]) -> None:
    """October of every account, published by an earlier run (value 1), with one post a day at noon UTC."""
    warehouse.ensure_schema(con)
    for account in accounts:
        con.register("seed_rows", daily_rows(account, OCT, 1.0, "old"))
        con.execute("INSERT INTO raw.daily_metrics SELECT * FROM seed_rows")
        con.register(
            "seed_posts", post_rows(account, [dt.datetime(d.year, d.month, d.day, 12, tzinfo=UTC) for d in OCT], "old")
        )
        con.execute("INSERT INTO raw.posts SELECT * FROM seed_posts")  # fmt: skip


def test_many_accounts_replace_exactly_their_windows_and_record_each_part(tmp_path: Path) -> None:
    """Given 12 accounts with October published, when one run lands 10-19 October for each (daily numbers
    and posts; the posts' window compared by UTC day), then exactly those days are replaced for each account,
    the rest of October and the two accounts the run did not land stay, and meta.loads counts each part."""
    accounts = [f"acc{i:02d}" for i in range(12)]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    seed(con, accounts)
    start, end = dt.date(2026, 10, 10), dt.date(2026, 10, 20)
    days = [start + dt.timedelta(days=i) for i in range(10)]
    # per account 9 posts at noon, one at 23:30 UTC on the 19th (inside) and one on the 20th (outside: not loaded)
    published = [dt.datetime(2026, 10, d, 12, tzinfo=UTC) for d in range(10, 19)]
    published += [dt.datetime(2026, 10, 19, 23, 30, tzinfo=UTC), dt.datetime(2026, 10, 20, 0, 30, tzinfo=UTC)]
    landed = [
        manifest(tmp_path / "landing", a, [
            ("insights", Kind.DAILY_METRICS, start, end, daily_rows(a, days, 2.0 + i, "new")),
            ("posts", Kind.POSTS, start, end, post_rows(a, published, "new")),
        ])
        for i, a in enumerate(accounts[:10])
    ]  # fmt: skip
    results = warehouse.load_manifests(con, landed, "r")

    assert len(results) == 20 and not any(r.get("outcome") for r in results)
    by_part = {(r["account_id"], r["kind"]): (r["rows_loaded"], r["rows_replaced"]) for r in results}
    for a in accounts[:10]:
        assert by_part[(a, "daily_metrics")] == (10, 10)
        assert by_part[(a, "posts")] == (10, 10)  # 9 noon posts and the 23:30 one in; 10 noon posts replaced
    for i, a in enumerate(accounts):
        values = dict(con.execute("SELECT day, value FROM raw.daily_metrics WHERE account_id = ?", [a]).fetchall())
        assert len(values) == 31
        for day in OCT:
            inside = i < 10 and start <= day < end
            assert values[day] == (2.0 + i if inside else 1.0), (a, day)
        texts = con.execute(
            "SELECT text, count(*) FROM raw.posts WHERE account_id = ? GROUP BY ALL ORDER BY ALL", [a]
        ).fetchall()
        assert texts == ([("new", 10), ("old", 21)] if i < 10 else [("old", 31)])
    loads = con.execute("SELECT count(*), sum(rows_loaded), sum(rows_replaced) FROM meta.loads WHERE run_id = 'r'")
    assert loads.fetchall() == [(20, 200, 200)]


def test_a_load_of_many_manifests_equals_loading_them_one_by_one(tmp_path: Path) -> None:
    """Given the same landed parts, when they are loaded together or one manifest at a time, then the raw
    tables are identical."""
    accounts = [f"acc{i:02d}" for i in range(5)]
    landed = [
        manifest(tmp_path / "landing", a, [
            ("insights", Kind.DAILY_METRICS, dt.date(2026, 10, 3 + i), dt.date(2026, 10, 9 + i),
             daily_rows(a, [dt.date(2026, 10, 3 + i + d) for d in range(0, 6, 2)], 5.0, "new")),
        ])
        for i, a in enumerate(accounts)
    ]  # fmt: skip
    tables = []
    for name, batches in (("together", [landed]), ("one-by-one", [[m] for m in landed])):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        seed(con, accounts)
        for batch in batches:
            warehouse.load_manifests(con, batch, "r")
        tables.append(con.execute("SELECT * FROM raw.daily_metrics ORDER BY ALL").fetchall())
        con.close()
    assert tables[0] == tables[1]
    assert len(tables[0]) == 5 * (31 - 6 + 3)  # each account: 6 window days replaced by the 3 answered


def test_two_parts_of_one_slice_key_are_replaced_in_order(tmp_path: Path) -> None:
    """Given one manifest with two parts of the same stream whose windows overlap (5-14 and 10-19 October),
    when loaded, then the overlap holds the second part's rows once, as replacing them in order would."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    seed(con, ["acc"])
    first = [dt.date(2026, 10, d) for d in range(5, 15)]
    second = [dt.date(2026, 10, d) for d in range(10, 20)]
    landed = manifest(tmp_path / "landing", "acc", [
        ("insights", Kind.DAILY_METRICS, first[0], dt.date(2026, 10, 15), daily_rows("acc", first, 2.0, "a")),
        ("insights", Kind.DAILY_METRICS, second[0], dt.date(2026, 10, 20), daily_rows("acc", second, 3.0, "b")),
    ])  # fmt: skip
    warehouse.load_manifests(con, [landed], "r")
    values = con.execute("SELECT day, value FROM raw.daily_metrics ORDER BY day").fetchall()
    assert len(values) == 31
    assert {d: v for d, v in values} == {d: 2.0 if 5 <= d.day < 10 else 3.0 if 10 <= d.day < 20 else 1.0 for d in OCT}


def test_a_kind_with_one_part_and_a_kind_with_many_load_in_one_run(tmp_path: Path) -> None:
    """Given one account landing posts and two landing daily numbers, when loaded together (the posts' one
    part by its own scan, the two daily parts by one scan of both files), then every window is replaced."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    seed(con, ["a", "b"])
    days = [dt.date(2026, 10, d) for d in range(10, 13)]
    noon = [dt.datetime(d.year, d.month, d.day, 12, tzinfo=UTC) for d in days]
    start, end = days[0], dt.date(2026, 10, 13)
    landed = [
        manifest(tmp_path / "landing", "a", [
            ("posts", Kind.POSTS, start, end, post_rows("a", noon, "new")),
            ("insights", Kind.DAILY_METRICS, start, end, daily_rows("a", days, 7.0, "new")),
        ]),
        manifest(tmp_path / "landing", "b", [
            ("insights", Kind.DAILY_METRICS, start, end, daily_rows("b", days, 8.0, "new")),
        ]),
    ]  # fmt: skip
    results = warehouse.load_manifests(con, landed, "r")
    assert sorted((r["account_id"], r["kind"], r["rows_loaded"], r["rows_replaced"]) for r in results) == [
        ("a", "daily_metrics", 3, 3), ("a", "posts", 3, 3), ("b", "daily_metrics", 3, 3),
    ]  # fmt: skip
    assert con.execute("SELECT account_id, sum(value) FROM raw.daily_metrics GROUP BY ALL ORDER BY 1").fetchall() == [
        ("a", 28 * 1.0 + 3 * 7.0), ("b", 28 * 1.0 + 3 * 8.0),
    ]  # fmt: skip
