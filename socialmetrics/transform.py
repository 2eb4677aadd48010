"""Runs sql/ files layer by layer (core, then marts), each replacing its window of one table.

Every file is a SELECT whose header names its table, grain and window column:

    -- table: marts.reach_daily
    -- grain: one row per network, account and day
    -- window: day            (or `none` for a table rebuilt whole)
    -- window: week_start by week   (the window is widened to whole weeks; `by month` likewise)

The runner deletes the window's rows and inserts the query's rows for it, for every file, in one
transaction: the marts change together or not at all. A table whose columns no longer match its
file is rebuilt over all history.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors.base import ALL_TIME as BASE_ALL_TIME
from socialmetrics.settings import SQL_DIR

log = logging.getLogger(__name__)

LAYERS = ("core", "marts")
DEFAULT_TZ = "Europe/Berlin"
ALL_TIME = (BASE_ALL_TIME.start, BASE_ALL_TIME.end)
HEADER_RE = re.compile(r"^--\s*(table|grain|window|params):\s*(.+?)\s*$", re.MULTILINE)


class SqlFileError(ValueError):
    """A sql/ file lacks its header."""


@dataclass(frozen=True)
class SqlModel:
    """One sql/ file."""

    path: Path
    table: str
    grain: str
    window_column: str | None
    sql: str
    granularity: str = "day"

    @property
    def family(self) -> str:
        """'post' for models windowed by a publishing time, else 'day'."""
        return "post" if self.window_column and "published_at" in self.window_column else "day"

    @classmethod
    def from_file(cls, path: Path) -> SqlModel:
        """Parse a file's header."""
        text = path.read_text(encoding="utf-8")
        header = dict(HEADER_RE.findall(text))
        for key in ("table", "grain", "window"):
            if key not in header:
                raise SqlFileError(f"{path}: header line '-- {key}: ...' is missing")
        words = header["window"].split()
        window = words[0]
        granularity = words[2] if len(words) >= 3 and words[1] == "by" else "day"
        if granularity not in ("day", "week", "month"):
            raise SqlFileError(f"{path}: window granularity must be day, week or month, not {granularity!r}")
        body = text.strip().rstrip(";")
        return cls(path, header["table"], header["grain"], None if window == "none" else window, body, granularity)


def widen(start: dt.date, end: dt.date, granularity: str) -> tuple[dt.date, dt.date]:
    """[start, end) widened to whole weeks (Monday) or months."""
    if granularity == "week":
        lo = start - dt.timedelta(days=start.weekday())
        last = end - dt.timedelta(days=1)
        return lo, last - dt.timedelta(days=last.weekday()) + dt.timedelta(days=7)
    if granularity == "month":
        lo = start.replace(day=1)
        last = end - dt.timedelta(days=1)
        return lo, (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, end


def models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    """All models in dependency order: a model runs after every model whose table its SQL reads (found in
    the SQL, comments left out); ties keep layer and file order. A core model may not read a mart."""
    found = []
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            model = SqlModel.from_file(path)
            if not model.table.startswith(f"{layer}."):
                raise SqlFileError(f"{path}: table {model.table} is not in layer '{layer}'")
            found.append(model)
    return _in_dependency_order(found)


TABLE_REF_RE = re.compile(r"\b((?:core|marts)\.[a-z_][a-z0-9_]*)\b", re.IGNORECASE)


def dependencies(model: SqlModel, tables: set[str]) -> set[str]:
    """The tables of other models that `model`'s SQL reads."""
    code = re.sub(r"--[^\n]*", "", model.sql)
    return {ref.lower() for ref in TABLE_REF_RE.findall(code)} & tables - {model.table}


def _in_dependency_order(found: list[SqlModel]) -> list[SqlModel]:
    tables = {m.table for m in found}
    pending = {m.table: dependencies(m, tables) for m in found}
    for m in found:
        upper = [d for d in pending[m.table] if LAYERS.index(d.split(".")[0]) > LAYERS.index(m.table.split(".")[0])]
        if upper:
            raise SqlFileError(f"{m.path}: {m.table} reads {', '.join(sorted(upper))} of a higher layer")
    ordered: list[SqlModel] = []
    done: set[str] = set()
    while len(ordered) < len(found):
        ready = [m for m in found if m.table not in done and pending[m.table] <= done]
        if not ready:
            cycle = sorted(t for t in pending if t not in done)
            raise SqlFileError(f"sql/ models read each other in a cycle: {', '.join(cycle)}")
        ordered.append(ready[0])
        done.add(ready[0].table)
    return ordered


def _params(sql: str, values: dict[str, object]) -> dict[str, object]:
    """Only the named parameters a query uses (DuckDB rejects unused ones)."""
    return {k: v for k, v in values.items() if re.search(rf"\${k}\b", sql)}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]] | None:
    schema, name = table.split(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    return [(r[0], r[1]) for r in rows] or None


def run(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    *,
    run_id: str = "manual",
    sql_dir: Path = SQL_DIR,
    tz: str = "Europe/Berlin",
    after_sql: Callable[[duckdb.DuckDBPyConnection], dict[str, int]] | None = None,
    before_sql: Callable[[duckdb.DuckDBPyConnection], dict[str, int]] | None = None,
    family_windows: dict[str, tuple[dt.date, dt.date] | None] | None = None,
) -> dict[str, int]:
    """Rebuild [start, end) of every model in one transaction; returns rows written per table.

    `family_windows` narrows that per model family: daily models (window on a day, week or month)
    rebuild the days the run loaded daily numbers for, post models (window on a publishing time) the
    posts' window; a family the run loaded nothing for is left as it is. `after_sql` runs inside the
    same transaction after the SQL models (the Python analyses), so everything publishes together."""
    written: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        if before_sql is not None:  # Python steps the core layer reads (the comment analysis)
            written.update(before_sql(con))
        for model in models(sql_dir):
            window: tuple[dt.date, dt.date] | None = (start, end)
            if family_windows is not None and model.window_column is not None:
                window = family_windows.get(model.family)
            if window is None:
                if _columns(con, model.table) is not None:
                    log.info("%s: nothing of its kind was loaded; unchanged", model.table)
                    continue
                window = ALL_TIME
            written[model.table] = _run_model(con, model, window[0], window[1], run_id, tz)
        if after_sql is not None:
            written.update(after_sql(con))
        con.execute("COMMIT")
    except BaseException:
        try:  # after a failed write (disk full) DuckDB may have ended it: keep the real cause
            con.execute("ROLLBACK")
        except duckdb.Error:
            log.debug("rollback after a failed write", exc_info=True)
        raise
    return written


def derived_networks() -> list[str]:
    """Networks whose days are derived from their posts' numbers (no daily series: X)."""
    from connectors import registry

    return sorted(n for n, cls in registry.available().items() if getattr(cls, "derives_daily_from_posts", False))


def model_params(sql: str, start: dt.date, end: dt.date, tz: str = DEFAULT_TZ) -> dict[str, object]:
    """The named parameters a model's SQL uses: its window, the company time zone, derived networks."""
    return _params(sql, {"start": start, "end": end, "tz": tz, "derived_networks": derived_networks()})


def _run_model(
    con: duckdb.DuckDBPyConnection, model: SqlModel, start: dt.date, end: dt.date, run_id: str, tz: str
) -> int:
    start, end = widen(start, end, model.granularity)
    base = model_params(model.sql, start, end, tz)
    expected = con.execute(f"DESCRIBE SELECT * FROM ({model.sql})", base).fetchall()
    expected_cols = [(r[0], r[1]) for r in expected]
    current = _columns(con, model.table)
    full = False
    if current is not None and current != expected_cols:
        log.warning("%s: columns changed; rebuilding it over all history", model.table)
        con.execute(f"DROP TABLE {model.table}")
        current = None
    if current is None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {model.table.split('.')[0]}")
        cols = ", ".join(f'"{n}" {t}' for n, t in expected_cols)
        con.execute(f"CREATE TABLE {model.table} ({cols})")
        full = model.window_column is not None
    lo, hi = ALL_TIME if full else (start, end)
    params = base | {"start": lo, "end": hi}
    if model.window_column is None:
        params = base
    if model.window_column:
        where = f"{model.window_column} >= $start AND {model.window_column} < $end"
        bounds = {"start": lo, "end": hi}
        con.execute(f"DELETE FROM {model.table} WHERE {where}", bounds)
        con.execute(f"INSERT INTO {model.table} SELECT * FROM ({model.sql}) WHERE {where}", params)
        count = con.execute(f"SELECT count(*) FROM {model.table} WHERE {where}", bounds).fetchone()
    else:
        con.execute(f"DELETE FROM {model.table}")
        con.execute(f"INSERT INTO {model.table} SELECT * FROM ({model.sql})", params)
        count = con.execute(f"SELECT count(*) FROM {model.table}").fetchone()
    rows = int(count[0]) if count else 0
    con.execute(
        "INSERT INTO meta.transforms VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, model.table, lo, hi, rows, full, dt.datetime.now(dt.UTC)],
    )
    log.info("%s: %d rows for %s..%s%s", model.table, rows, lo, hi, " (full rebuild)" if full else "")
    return rows
