"""The DuckDB warehouse: schemas, connections and the loader that replaces a run's window.

DuckDB allows one writer process per file. Airflow serialises writers with the pool `duckdb`
(1 slot); `connect` additionally waits for a lock held by another process (an operator running
a query, a second `airflow dags test`) instead of failing at once.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import duckdb
import pyarrow as pa

from connectors.base import KIND_WINDOW_COLUMN, Kind, PermanentError, Window
from socialmetrics.land.landing import Manifest, landed_schema

log = logging.getLogger(__name__)

LOCK_WAIT_S = 300.0
# An answer is suspicious when the window already holds published rows and the answer has none, or
# (for windows of at least SUSPICIOUS_MIN_PUBLISHED entities) less than this share of them. Entities
# are days of daily numbers, posts and comments, so a metric dropped from the config is not a drop.
SUSPICIOUS_SHARE = 0.5
SUSPICIOUS_MIN_PUBLISHED = 10
KIND_ENTITY = {
    Kind.DAILY_METRICS: "day",
    Kind.POSTS: "post_id",
    Kind.POST_METRICS: "post_id",
    Kind.POST_SNAPSHOTS: "post_id",
    Kind.COMMENTS: "comment_id",
    Kind.WEB_TRAFFIC: "day",
    Kind.COMPETITOR_SNAPSHOTS: "competitor",
}
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
    """CREATE TABLE IF NOT EXISTS meta.suspicious_loads (
        run_id VARCHAR, network VARCHAR, account_id VARCHAR, stream VARCHAR, kind VARCHAR,
        window_start DATE, window_end DATE, published BIGINT, answered BIGINT, outcome VARCHAR,
        recorded_at TIMESTAMPTZ)""",
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


class WarehouseError(RuntimeError):
    """The warehouse file cannot be written or read (disk full, corrupt); the message is one line
    saying what happened and what to do."""


class WarehouseCorruptError(WarehouseError, PermanentError):
    """The warehouse file is damaged: retrying cannot help, restoring a backup can."""


class WarehouseLockedError(WarehouseError):
    """Another process kept the warehouse locked for too long."""


LOCK_PID_RE = re.compile(r"\(PID (\d+)\)")
CORRUPT_MARKERS = ("corrupt", "not a valid duckdb database", "checksum", "failed to read database header")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def explain(exc: BaseException, path: Path | str) -> str | None:
    """One line for a storage failure anywhere in `exc`'s chain: what happened and what to do; None
    when it is not one (a bug in SQL, say, keeps its own message)."""
    path = Path(path)
    chain = _chain(exc)
    texts = [str(e) for e in chain]
    if any(getattr(e, "errno", None) == errno.ENOSPC for e in chain) or any(
        "no space left on device" in t.lower() for t in texts
    ):
        return (
            f"No space left on device: free space in {path.parent.resolve()} (the warehouse {path.name} needs room "
            f"for its write-ahead log), then rerun the task; nothing was changed."
        )
    corrupt = [t for t in texts if any(m in t.lower() for m in CORRUPT_MARKERS)]
    if corrupt:
        return (
            f"the warehouse file {path} is corrupt ({_first_line(corrupt[0])}): "
            f"restore the backup of {path.name} (or move it away and rebuild it: every landed run can be loaded "
            f"again with `socialmetrics replay`), then rerun the task."
        )
    return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else text


def _lock_holder(text: str) -> str:
    match = LOCK_PID_RE.search(text)
    return f"process {match.group(1)} holds the lock" if match else "another process holds the lock"


@contextmanager
def clear_errors(path: Path | str) -> Iterator[None]:
    """Turn disk-full and corruption errors of DuckDB (or the OS) into one clear WarehouseError."""
    try:
        yield
    except WarehouseError:
        raise
    except (duckdb.Error, OSError) as exc:
        message = explain(exc, path)
        if message is None:
            raise
        cls = WarehouseCorruptError if "corrupt" in message.split(":")[0] else WarehouseError
        raise cls(message) from exc


P = ParamSpec("P")
R = TypeVar("R")


def explains_failures(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a task function taking `warehouse_path=`: its storage failures become one clear line."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with clear_errors(str(kwargs.get("warehouse_path") or "the warehouse")):
            return func(*args, **kwargs)

    return wrapper


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK without hiding the error that caused it: after a failed write (disk full) DuckDB may
    already have ended the transaction, and "cannot rollback - no transaction is active" would
    replace the real cause."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as exc:
        log.debug("rollback after a failed write: %s", exc)


def table_exists(con: Any, schema: str, table: str) -> bool:
    """Whether `schema.table` (a table or a view) exists: a reader asks before it reads an optional mart."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchone()
    return bool(found and found[0])


def dict_rows(con: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    """A query's rows as dicts by column name (the readers' way to read a mart)."""
    cur = con.execute(sql, params if params is not None else {})
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def connect(path: Path | str, *, read_only: bool = False, wait_s: float = LOCK_WAIT_S) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds its write lock."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    delay = 0.2
    while True:
        try:
            with clear_errors(path):
                con = duckdb.connect(str(path), read_only=read_only)
                con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() > deadline:
                raise WarehouseLockedError(
                    f"the warehouse {path} stayed locked for {wait_s:.0f} s: {_lock_holder(str(exc))}. DuckDB "
                    f"allows one writer: close other sessions on it (a DuckDB shell, a notebook) and make sure "
                    f"every writing task runs in the Airflow pool 'duckdb' with 1 slot."
                ) from None
            log.info("warehouse %s is locked (%s); waiting", path, _lock_holder(str(exc)))
            time.sleep(min(delay, max(0.0, deadline - time.monotonic()) + 0.01))
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
    from socialmetrics.transform import runner as transform
    from socialmetrics.transform.comment_analysis import ensure_table

    ensure_table(con)  # core.comment reads it
    transform.ensure_views(con)  # staging.*: the raw tables de-duplicated, which the comment analysis reads


def _slice(manifest: Manifest, stream: str, kind: Kind, window: Window) -> tuple[str, dict[str, Any]]:
    """The WHERE clause and parameters of one (network, account, stream, window) slice of a raw table."""
    params: dict[str, Any] = {
        "network": manifest.network,
        "account": manifest.account_id,
        "stream": stream,
    }
    if landed_schema(kind).field(KIND_WINDOW_COLUMN[kind]).type == pa.date32():
        params |= {"start": window.start, "end": window.end}
    else:
        params |= {"start_at": window.start_at, "end_at": window.end_at}
    return f"network = $network AND account_id = $account AND stream = $stream AND {_window_predicate(kind)}", params


def _window_predicate(kind: Kind) -> str:
    col = KIND_WINDOW_COLUMN[kind]
    if landed_schema(kind).field(col).type == pa.date32():
        return f"{col} >= $start AND {col} < $end"
    # timestamps: the instants of the window's local days (Window.start_at/end_at), as the request asked for them
    return f"{col} >= $start_at AND {col} < $end_at"


@dataclass(frozen=True)
class _Part:
    """One landed part replaced by date window: its place in the run's parts, its slice and its file."""

    index: int
    manifest: Manifest
    stream: str
    kind: Kind
    window: Window
    file: Path


def load_manifests(
    con: duckdb.DuckDBPyConnection, manifests: Iterable[Manifest], run_id: str, *, register_path: Path | None = None
) -> list[dict[str, Any]]:
    """Replace each landed part's window in raw.* with its records, all in one transaction.

    DELETE of the (network, account, stream, window) slices plus INSERT ... SELECT from Parquet:
    running it twice, or two overlapping runs, leaves the same rows. A stream that answered empty (or
    far below what its window already holds) is not published as a deletion: its published rows stay,
    and the answer is recorded in meta.suspicious_loads; the returned rows of such parts carry
    `outcome` 'kept: ...' (the run's `finish` fails or warns on them).

    The parts of all accounts are checked and replaced together, a few statements per raw table (not
    per part): a run of a company with 100 accounts scans each raw table a few times, not 500 times.
    """
    ensure_schema(con)
    manifests = list(manifests)
    results: list[dict[str, Any]] = []
    now = dt.datetime.now(dt.UTC)
    planned: list[tuple[Manifest, list[tuple[tuple[str, Kind, Window, Path], Any]]]] = []
    window_parts: list[_Part] = []
    for manifest in manifests:
        parts = list(zip(manifest.parts(), manifest.part_options(), strict=True))
        planned.append((manifest, parts))
        for (stream, kind, window, file), options in parts:
            if options.get("replace") != "partition":
                window_parts.append(_Part(len(window_parts), manifest, stream, kind, window, file))
    con.execute("BEGIN TRANSACTION")
    try:
        counts = _entity_counts(con, window_parts)
        to_replace: list[_Part] = []
        parts_iter = iter(window_parts)
        for manifest, parts in planned:
            con.execute(
                "DELETE FROM meta.suspicious_loads WHERE run_id = $run AND network = $n AND account_id = $a",
                {"run": run_id, "n": manifest.network, "a": manifest.account_id},
            )
            mine = [next(parts_iter) for _, options in parts if options.get("replace") != "partition"]
            kept = _suspicious_streams(mine, counts, run_id, now)
            for (stream, kind, _window, file), options in parts:
                if stream in kept:
                    suspicious = kept[stream][kind]
                    con.execute(
                        "INSERT INTO meta.suspicious_loads VALUES ($run_id, $network, $account_id, $stream, $kind, "
                        "$window_start, $window_end, $published, $answered, $outcome, $loaded_at)",
                        {k: suspicious[k] for k in ("run_id", "network", "account_id", "stream", "kind", "window_start",
                                                    "window_end", "published", "answered", "outcome", "loaded_at")},
                    )  # fmt: skip
                    results.append(suspicious)
                elif options.get("replace") == "partition":
                    row = _replace_partition(con, manifest, stream, kind, file, options.get("sha256"), run_id, now)
                    if row is not None:
                        results.append(row)
            to_replace += [part for part in mine if part.stream not in kept]
            con.execute(
                "DELETE FROM meta.connector_warnings WHERE run_id = $run AND network = $n AND account_id = $a",
                {"run": run_id, "n": manifest.network, "a": manifest.account_id},
            )
            warnings = list(manifest.data.get("warnings", []))
            warnings += [
                {"stream": stream, "code": "empty-answer-kept", "message": next(iter(by_kind.values()))["message"]}
                for stream, by_kind in kept.items()
            ]
            for warning in warnings:
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
        results += _replace_windows(con, to_replace, run_id, now)
        _drop_erased(con, run_id, register_path)
        for row in results:
            if row.get("outcome"):
                continue
            con.execute(
                "INSERT INTO meta.loads VALUES ($run_id, $network, $account_id, $stream, $kind, "
                "$window_start, $window_end, $rows_loaded, $rows_replaced, $loaded_at)",
                {k: v for k, v in row.items() if k != "outcome"},
            )
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return results


def _drop_erased(con: duckdb.DuckDBPyConnection, run_id: str, register_path: Path | None = None) -> int:
    """Delete the comments of erased people (socialmetrics/erasure.py) the run's files still held: landing drops
    them already, so this finds only files written before the erasure that it could not reach."""
    from socialmetrics import erasure

    register = erasure.current(register_path)
    if not register.authors and not register.comments:
        return 0
    networks = sorted({n for n, _ in register.authors} | {n for n, _ in register.comments})
    rows = con.execute(
        "SELECT DISTINCT network, comment_id, author_hash FROM raw.comments "
        "WHERE run_id = $run AND list_contains($networks, network)",
        {"run": run_id, "networks": networks},
    ).fetchall()
    erased = [(n, c) for n, c, a in rows if register.erased(n, a, c)]
    for network, comment_id in erased:
        con.execute(
            "DELETE FROM raw.comments WHERE run_id = $run AND network = $n AND comment_id = $c",
            {"run": run_id, "n": network, "c": comment_id},
        )
    if erased:
        log.warning("dropped %d comment(s) of erased people that run %s's landed files still held", len(erased), run_id)
    return len(erased)


def _slices(parts: list[_Part]) -> pa.Table:
    """The parts' slices (and each part's landed file) as a table to join raw tables and landed files against."""
    return pa.table(
        {
            "part": pa.array([p.index for p in parts], pa.int64()),
            "network": pa.array([p.manifest.network for p in parts], pa.string()),
            "account_id": pa.array([p.manifest.account_id for p in parts], pa.string()),
            "stream": pa.array([p.stream for p in parts], pa.string()),
            "start_day": pa.array([p.window.start for p in parts], pa.date32()),
            "end_day": pa.array([p.window.end for p in parts], pa.date32()),
            "start_at": pa.array([p.window.start_at for p in parts], pa.timestamp("us", tz="UTC")),
            "end_at": pa.array([p.window.end_at for p in parts], pa.timestamp("us", tz="UTC")),
            "file": pa.array([str(p.file) for p in parts], pa.string()),
        }
    )


_LANDED = "read_parquet($files, filename = true, union_by_name = true)"  # the landed files of the parts joined


def _in_slice(kind: Kind, row: str) -> str:
    """The join condition of a raw row (alias `row`) with its slice (alias `s`)."""
    col = f"{row}.{KIND_WINDOW_COLUMN[kind]}"
    if landed_schema(kind).field(KIND_WINDOW_COLUMN[kind]).type == pa.date32():
        window = f"{col} >= s.start_day AND {col} < s.end_day"
    else:  # timestamps: the instants of the window's local days (Window.start_at/end_at)
        window = f"{col} >= s.start_at AND {col} < s.end_at"
    return f"{row}.network = s.network AND {row}.account_id = s.account_id AND {row}.stream = s.stream AND {window}"


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, parts: list[_Part]) -> Iterator[None]:
    con.register("_load_slices", _slices(parts))
    try:
        yield
    finally:
        con.unregister("_load_slices")


def _by_kind(parts: list[_Part]) -> dict[Kind, list[_Part]]:
    grouped: dict[Kind, list[_Part]] = {}
    for part in parts:
        grouped.setdefault(part.kind, []).append(part)
    return grouped


def _entity_counts(con: duckdb.DuckDBPyConnection, parts: list[_Part]) -> dict[int, tuple[int, int]]:
    """(published, answered) entities (days, posts, comments) of each part's slice: in the raw table, and
    in the part's landed file."""
    counts: dict[int, tuple[int, int]] = {}
    for kind, mine in _by_kind(parts).items():
        entity = KIND_ENTITY[kind]
        with _registered(con, mine):
            published = dict(
                con.execute(
                    f"SELECT s.part, count(DISTINCT t.{entity}) FROM {raw_table(kind)} t "
                    f"JOIN _load_slices s ON {_in_slice(kind, 't')} GROUP BY s.part"
                ).fetchall()
            )
            answered = dict(
                con.execute(
                    f"SELECT s.part, count(DISTINCT f.{entity}) FROM {_LANDED} f "
                    f"JOIN _load_slices s ON f.filename = s.file AND {_in_slice(kind, 'f')} GROUP BY s.part",
                    {"files": sorted({str(p.file) for p in mine})},
                ).fetchall()
            )
        for part in mine:
            counts[part.index] = (int(published.get(part.index, 0)), int(answered.get(part.index, 0)))
    return counts


def _suspicious_streams(
    parts: list[_Part], counts: dict[int, tuple[int, int]], run_id: str, now: dt.datetime
) -> dict[str, dict[Kind, dict[str, Any]]]:
    """The streams of a manifest whose answer would delete published rows without evidence: any of
    their date-window parts answered no entity (day, post, comment) where the window holds some, or
    far fewer. The whole stream is kept then (its posts, numbers and comments stay consistent)."""
    found: dict[str, dict[Kind, dict[str, Any]]] = {}
    checked: dict[str, dict[Kind, dict[str, Any]]] = {}
    for part in parts:
        stream, kind, window, manifest = part.stream, part.kind, part.window, part.manifest
        published, answered = counts[part.index]
        what = {Kind.DAILY_METRICS: "days", Kind.WEB_TRAFFIC: "days", Kind.COMMENTS: "comments"}.get(kind, "posts")
        if published and not answered:
            outcome = "kept: empty answer"
        elif published >= SUSPICIOUS_MIN_PUBLISHED and answered < published * SUSPICIOUS_SHARE:
            outcome = f"kept: answered {answered} {what} where {published} were published"
        else:
            outcome = ""
        message = (
            f"{manifest.network}/{manifest.account_id} {stream} ({kind.value}, {window}) answered "
            f"{answered} {what} where {published} are published; the published numbers were kept, not deleted. "
            f"If the network really lost them, delete the rows from {raw_table(kind)} by hand; if not, rerun the "
            "task later."
        )
        row = _load_row(run_id, manifest, stream, kind, window, None, None, now) | {
            "published": published,
            "answered": answered,
            "outcome": outcome,
            "message": message,
        }
        checked.setdefault(stream, {})[kind] = row
        if outcome:
            found[stream] = checked[stream]
    for by_kind in found.values():
        first = next(r for r in by_kind.values() if r["outcome"])
        for row in by_kind.values():  # the stream's other kinds are kept with it
            row["outcome"] = row["outcome"] or f"kept with {first['kind']} ({first['outcome']})"
            row["message"] = first["message"]
    return found


def _replace_windows(
    con: duckdb.DuckDBPyConnection, parts: list[_Part], run_id: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """DELETE every part's (network, account, stream, window) slice and INSERT the landed rows inside it:
    per raw table one DELETE and one INSERT over all parts. Parts of the same slice key in one run would
    overlap, so those are replaced one after another, in order, as before."""
    rows: dict[int, dict[str, Any]] = {}
    for kind, mine in _by_kind(parts).items():
        keys = [(p.manifest.network, p.manifest.account_id, p.stream) for p in mine]
        if len(mine) == 1 or len(set(keys)) < len(keys):  # one part: its own filter reaches the Parquet scan
            for part in mine:
                rows[part.index] = _replace_window(con, part, run_id, now)
            continue
        table = raw_table(kind)
        names = landed_schema(kind).names
        with _registered(con, mine):
            count = (
                f"SELECT s.part, count(*) FROM {table} t JOIN _load_slices s ON {_in_slice(kind, 't')} GROUP BY s.part"
            )
            replaced = dict(con.execute(count).fetchall())
            con.execute(f"DELETE FROM {table} AS t USING _load_slices AS s WHERE {_in_slice(kind, 't')}")
            # one scan of all the kind's landed files; each row joins its own file's slice (DuckDB scans a file
            # list in parallel: a UNION ALL of one filtered scan per file took twice as long)
            con.execute(
                f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join('f.' + n for n in names)} "
                f"FROM {_LANDED} f JOIN _load_slices s ON f.filename = s.file AND {_in_slice(kind, 'f')}",
                {"files": sorted({str(p.file) for p in mine})},
            )
            loaded = dict(con.execute(count).fetchall())
        for part in mine:
            rows[part.index] = _load_row(
                run_id, part.manifest, part.stream, kind, part.window,
                (loaded.get(part.index, 0),), (replaced.get(part.index, 0),), now,
            )  # fmt: skip
    return [rows[part.index] for part in parts]


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
        rollback(con)
        raise


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """The one row a statement answers, read to the end: a result left half-read blocks `register` later in
    the same transaction (DuckDB: "connection has an unfinished result")."""
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


def _replace_window(con: duckdb.DuckDBPyConnection, part: _Part, run_id: str, now: dt.datetime) -> dict[str, Any]:
    """DELETE one part's (network, account, stream, window) slice and INSERT the landed rows inside it."""
    table = raw_table(part.kind)
    names = ", ".join(landed_schema(part.kind).names)
    where, params = _slice(part.manifest, part.stream, part.kind, part.window)
    replaced = _row(con, f"DELETE FROM {table} WHERE {where}", params)
    con.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM read_parquet($file) WHERE {where}",
        params | {"file": str(part.file)},
    )
    loaded = _row(con, f"SELECT count(*) FROM {table} WHERE {where}", params)
    return _load_row(run_id, part.manifest, part.stream, part.kind, part.window, loaded, replaced, now)


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
    same = _row(
        con,
        "SELECT sha256 FROM meta.imports WHERE network = $network AND account_id = $account AND stream = $stream "
        "AND kind = $kind ORDER BY loaded_at DESC LIMIT 1",
        key | {"kind": kind.value},
    )
    if same is not None and sha256 is not None and same[0] == sha256:
        return None
    col = KIND_WINDOW_COLUMN[kind]
    day = f"CAST({col} AS DATE)"
    where = "network = $network AND account_id = $account AND stream = $stream"
    old = _row(con, f"SELECT min({day}), max({day}) FROM {table} WHERE {where}", key)
    new = _row(con, f"SELECT min({day}), max({day}) FROM read_parquet($file)", {"file": str(file)})
    days = [d for pair in (old, new) if pair for d in pair if d is not None]
    replaced = _row(con, f"DELETE FROM {table} WHERE {where}", key)
    con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM read_parquet($file)", {"file": str(file)})
    loaded = _row(con, f"SELECT count(*) FROM {table} WHERE {where}", key)
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
