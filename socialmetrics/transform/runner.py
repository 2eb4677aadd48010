"""Runs the sql/ models in dependency order, each replacing its window of one table.

The layers, each reading only the layers before it:

    staging/       views over raw.*: typed, and de-duplicated once ("the latest extract wins")
    intermediate/  ephemeral models (inlined where they are read): the one pivot over the metric vocabulary
    core/          the unified tables: account days, posts, comments
    marts/         what the report, `summary` and readers' dashboards read

Every file is a SELECT whose header is metadata the runner uses:

    -- table: marts.reach_daily
    -- materialized: table    (default; `view`: a view replaced on every run, no parameters;
                               `ephemeral`: no object, inlined as a subquery into every model that reads it)
    -- grain: one row per network, account and day        (in words)
    -- key: network, account_id, day                      (the grain's columns: checked unique on every write)
    -- window: day            (or `none` for a table rebuilt whole)
    -- window: week_start by week   (the window is widened to whole weeks; `by month` likewise)
    -- family: day            (windowed models: rebuilt over the days of daily numbers a run loaded,
                               or `post`: over the window of the posts it loaded)

    -- columns:           (every column it writes, one line each: `name: meaning [tests]`)
    --   day: the calendar day of the numbers [not null]
    --   engagement_rate: engagements / impressions [range 0..1 warning]

Tests: `not null`, `in a|b|c`, `range LO..HI` (a bound may be left out), each `blocking` (default) or
`warning`. The quality gate turns the tests of the core tables into its expectations (socialmetrics/check/quality.py);
docs/models.md is generated from the declarations (`python -m socialmetrics.transform.runner --docs docs/models.md`).
A table built in Python is a header-only file: `-- materialized: python`, `-- python: module.function`, `-- reads:
the tables it reads` (docs/marts.md says what the function takes and returns).

A view or ephemeral model declares its grain and key too, but has no window; its key is checked by
the tests (tests/test_model_layers.py), not on every run (that would read all of raw).

The order comes from the graph: a model runs after every model whose table its SQL reads. The runner
deletes the window's rows and inserts the query's rows for it, for every file, in one transaction:
the marts change together or not at all, and a model that writes a key of its grain twice stops the
run (GrainError) before anything is published, as does one whose columns differ from its declaration
(ColumnsError). A table whose columns no longer match its file is rebuilt over all history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import inspect
import logging
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from connectors.base import ALL_TIME as BASE_ALL_TIME
from connectors.base import describe_days
from socialmetrics.load.warehouse import rollback
from socialmetrics.settings import SQL_DIR

log = logging.getLogger(__name__)

LAYERS = ("staging", "intermediate", "core", "marts")
MATERIALIZED = ("table", "view", "ephemeral", "python")
DEFAULT_TZ = "Europe/Berlin"
ALL_TIME = (BASE_ALL_TIME.start, BASE_ALL_TIME.end)
# One space after `--`: the lines of the `-- columns:` block are indented further (a column may be named `key`).
HEADER_RE = re.compile(
    r"^-- (table|materialized|grain|key|window|family|params|variants|python|reads):\s*(.+?)\s*$", re.MULTILINE
)
COLUMNS_HEADER_RE = re.compile(r"^-- columns:\s*$")
COLUMN_LINE_RE = re.compile(r"^--\s{2,}\S")
COLUMN_RE = re.compile(r"^--\s{2,}([a-z_][a-z0-9_]*):\s*(.*?)\s*$")
TESTS_RE = re.compile(r"^(.*?)\s*\[([^\[\]]*)\]$")
SEVERITIES = ("blocking", "warning")
TESTS_HELP = "`not null`, `in a|b|c` or `range LO..HI` (a bound may be left out), then optionally blocking or warning"
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
# `-- variants: week -> marts.network_weekly, month -> marts.network_monthly`: one file, one table per period,
# the file's `{period}` replaced by the period's name (a word of the file itself, never a value from outside).
VARIANT_RE = re.compile(r"^\s*(day|week|month)\s*->\s*([a-z_]+\.[a-z_][a-z0-9_]*)\s*$")
# day: the days of daily numbers a run loaded; post: the window of the posts it loaded; since: from the
# earliest day the run loaded anything to the end of history (comments arrive after their post, and a
# week's comparison reads the weeks before it, so a change reaches every later week).
FAMILIES = ("day", "post", "since")
KEY_RE = re.compile(r"^[a-z_][a-z0-9_]*(\s*,\s*[a-z_][a-z0-9_]*)*$")


class GrainError(RuntimeError):
    """A model wrote two rows for one key of its declared grain; nothing of the run was published."""


class SqlFileError(ValueError):
    """A sql/ file lacks its header."""


class ColumnsError(SqlFileError):
    """A model wrote other columns than its declaration lists; nothing of the run was published."""


@dataclass(frozen=True)
class ColumnTest:
    """One declared test of a column: `not_null`, `accepted_values` or `range`, with its severity."""

    kind: str
    severity: str = "blocking"
    values: tuple[str, ...] = ()
    min_value: int | float | None = None
    max_value: int | float | None = None

    def describe(self) -> str:
        """The test as it is written in the declaration."""
        if self.kind == "not_null":
            text = "not null"
        elif self.kind == "accepted_values":
            text = "in " + "|".join(self.values)
        else:
            lo = "" if self.min_value is None else str(self.min_value)
            hi = "" if self.max_value is None else str(self.max_value)
            text = f"range {lo}..{hi}"
        return text if self.severity == "blocking" else f"{text} {self.severity}"


@dataclass(frozen=True)
class Column:
    """A declared column: its name, what it holds, its tests."""

    name: str
    meaning: str
    tests: tuple[ColumnTest, ...] = ()


@dataclass(frozen=True)
class SqlModel:
    """One sql/ file."""

    path: Path
    table: str
    grain: str
    window_column: str | None
    sql: str
    granularity: str = "day"
    key: tuple[str, ...] = ()
    family: str = "day"  # which of the run's loaded windows rebuilds it: daily numbers ('day') or posts ('post')
    materialized: str = "table"
    columns: tuple[Column, ...] = ()
    python: str | None = None  # materialized python: the function that builds it, `module.function`
    reads: tuple[str, ...] = ()  # materialized python: the tables it reads (SQL models: found in their SQL)
    params: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        """The declared columns, in their order."""
        return tuple(c.name for c in self.columns)

    @classmethod
    def from_path(cls, path: Path) -> list[SqlModel]:
        """The models of a file: one, or one per period of its `-- variants:` header."""
        text = path.read_text(encoding="utf-8")
        header = _header(text)
        if "variants" not in header:
            return [cls.from_text(path, text)]
        found = []
        for variant in header["variants"].split(","):
            match = VARIANT_RE.match(variant)
            if match is None:
                raise SqlFileError(f"{path}: '-- variants:' lists 'week -> schema.table' pairs, not {variant!r}")
            period, table = match.groups()
            # the header lines blanked, not removed: an error names the file's own line numbers
            body = re.sub(r"^-- (variants|table):.*$", "", text, flags=re.MULTILINE).replace("{period}", period)
            found.append(cls.from_text(path, body, table=table))
        return found

    @classmethod
    def from_file(cls, path: Path) -> SqlModel:
        """Parse a file of one model."""
        return cls.from_text(path, path.read_text(encoding="utf-8"))

    @classmethod
    def from_text(cls, path: Path, text: str, table: str | None = None) -> SqlModel:
        """Parse a model's header and SQL (`table`: the table of a variant, whose header names a pattern)."""
        header = _header(text)
        if table is not None:
            header["table"] = table
        materialized = header.get("materialized", "table").split()[0]
        if materialized not in MATERIALIZED:
            raise SqlFileError(f"{path}: '-- materialized:' is table, view, ephemeral or python, not {materialized!r}")
        if (materialized == "python") != ("python" in header):
            raise SqlFileError(f"{path}: a table built in Python says so twice: '-- materialized: python' and "
                               "'-- python: module.function'; a SQL model has neither")  # fmt: skip
        if materialized == "python" and _code(text).strip():
            raise SqlFileError(f"{path}: a model built in Python is a header only; its SQL would never run")
        if materialized != "table":
            header.setdefault("window", "none")
            if header["window"] != "none":
                raise SqlFileError(f"{path}: a {materialized} has no window; only a table is rebuilt by window")
        for key in ("table", "grain", "key", "window"):
            if key not in header:
                raise SqlFileError(f"{path}: header line '-- {key}: ...' is missing")
        if not KEY_RE.match(header["key"]):
            raise SqlFileError(f"{path}: '-- key:' names the grain's columns, comma-separated, not {header['key']!r}")
        words = header["window"].split()
        window = words[0]
        granularity = words[2] if len(words) >= 3 and words[1] == "by" else "day"
        if granularity not in ("day", "week", "month"):
            raise SqlFileError(f"{path}: window granularity must be day, week or month, not {granularity!r}")
        family = (header.get("family") or ("day" if window == "none" else "")).split(" ")[0]
        if family not in FAMILIES:
            raise SqlFileError(
                f"{path}: a windowed model needs '-- family: day' (rebuilt over the days of daily numbers a run "
                f"loaded), '-- family: post' (over the window of the posts it loaded) or '-- family: since' (from "
                f"the earliest day the run loaded to the end of history), not {family!r}"
            )
        body = text.strip().rstrip(";")
        if materialized == "view" and re.search(r"\$[a-z_]", _code(body)):
            raise SqlFileError(f"{path}: a view takes no $parameters (make it ephemeral, or filter where it is read)")
        key_columns = tuple(k.strip() for k in header["key"].split(","))
        window_column = None if window == "none" else window
        columns = parse_columns(path, text)
        names = [c.name for c in columns]
        undeclared = [k for k in (*key_columns, *([window_column] if window_column else [])) if k not in names]
        if undeclared:
            raise SqlFileError(f"{path}: the key or window names {', '.join(undeclared)}, which '-- columns:' lacks")
        reads = tuple(r.strip() for r in header.get("reads", "").split(",") if r.strip())
        return cls(
            path, header["table"], header["grain"], window_column, body, granularity, key_columns, family, materialized,
            columns, header.get("python"), reads, header.get("params", ""),
        )  # fmt: skip


def _header(text: str) -> dict[str, str]:
    """The header's `-- name: value` lines; a value goes on over the indented lines below it (`--        more`),
    up to the `-- columns:` block."""
    found: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        match = HEADER_RE.match(line)
        if match is not None:
            last = match.group(1)
            found[last] = match.group(2)
        elif last is not None and COLUMN_LINE_RE.match(line):
            found[last] += " " + line[2:].strip()
        else:
            last = None
    return found


def parse_columns(path: Path, text: str) -> tuple[Column, ...]:
    """The `-- columns:` block of a header: one line per column, `--   name: meaning [tests]`."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if COLUMNS_HEADER_RE.match(line)), None)
    if start is None:
        raise SqlFileError(
            f"{path}: header block '-- columns:' is missing: one line per column the model writes, "
            f"'--   name: meaning [tests]' (docs/marts.md)"
        )
    found: list[Column] = []
    for number, line in enumerate(lines[start + 1 :], start + 2):
        if not COLUMN_LINE_RE.match(line):
            break
        match = COLUMN_RE.match(line)
        if match is None:
            raise SqlFileError(f"{path}, line {number}: a column is declared as '--   name: meaning [tests]', "
                               f"not {line.strip()!r}")  # fmt: skip
        name, rest = match.groups()
        specs: list[str] = []
        tests = TESTS_RE.match(rest)
        if tests is not None:
            rest, inside = tests.groups()
            specs = [s.strip() for s in inside.split(",")]
        if not rest:
            raise SqlFileError(f"{path}, line {number}: column {name} has no meaning: say in one line what it holds")
        if name in (c.name for c in found):
            raise SqlFileError(f"{path}, line {number}: column {name} is declared twice")
        found.append(Column(name, rest, tuple(_parse_test(path, number, name, s) for s in specs)))
    if not found:
        raise SqlFileError(f"{path}, line {start + 1}: '-- columns:' declares no column; list every column the model "
                           "writes, one indented line each: '--   name: meaning [tests]'")  # fmt: skip
    return tuple(found)


def _parse_test(path: Path, number: int, column: str, spec: str) -> ColumnTest:
    """One test of a column line: `not null`, `in a|b|c`, `range LO..HI`, each optionally `warning`."""
    words = spec.split()
    severity = "blocking"
    if len(words) > 1 and words[-1] in SEVERITIES:
        severity = words.pop()
    test = _test_of(words, severity)
    if test is not None:
        return test
    if len(words) > 1 and _test_of(words[:-1], severity) is not None:
        raise SqlFileError(f"{path}, line {number}: column {column}: the severity of {' '.join(words[:-1])!r} is "
                           f"blocking or warning, not {words[-1]!r}")  # fmt: skip
    raise SqlFileError(f"{path}, line {number}: column {column}: unknown test {spec!r}; a test is {TESTS_HELP}")


def _test_of(words: list[str], severity: str) -> ColumnTest | None:
    if words == ["not", "null"]:
        return ColumnTest("not_null", severity)
    values = tuple(v.strip() for v in " ".join(words[1:]).split("|"))
    if len(words) >= 2 and words[0] == "in" and all(values):  # a value may hold spaces: `in clear effect|other`
        return ColumnTest("accepted_values", severity, values=values)
    if len(words) == 2 and words[0] == "range" and words[1].count("..") == 1:
        lo, hi = words[1].split("..")
        if (lo or hi) and all(NUMBER_RE.match(b) for b in (lo, hi) if b):
            return ColumnTest("range", severity, min_value=_number(lo), max_value=_number(hi))
    return None


def _number(text: str) -> int | float | None:
    if not text:
        return None
    return float(text) if "." in text else int(text)


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
            for model in SqlModel.from_path(path):
                if not model.table.startswith(f"{layer}."):
                    raise SqlFileError(f"{path}: table {model.table} is not in layer '{layer}'")
                found.append(model)
    return _in_dependency_order(found)


TABLE_REF_RE = re.compile(r"\b((?:" + "|".join(LAYERS) + r")\.[a-z_][a-z0-9_]*)\b", re.IGNORECASE)


RAW_REF_RE = re.compile(r"\braw\.[a-z_]", re.IGNORECASE)


def _code(sql: str) -> str:
    """SQL without its comments."""
    return re.sub(r"--[^\n]*", "", sql)


def dependencies(model: SqlModel, tables: set[str]) -> set[str]:
    """The tables of other models that `model`'s SQL reads (a Python model: its `-- reads:`)."""
    if model.materialized == "python":
        return set(model.reads) & tables - {model.table}
    return {ref.lower() for ref in TABLE_REF_RE.findall(_code(model.sql))} & tables - {model.table}


def compiled(model: SqlModel, by_table: dict[str, SqlModel]) -> str:
    """The model's SQL with every ephemeral model it reads inlined as a subquery (recursively), its comments
    left out; `FROM intermediate.x AS w` becomes `FROM (...) AS w`, a bare `intermediate.x` keeps its name."""
    code = _code(model.sql)
    for table in sorted(dependencies(model, set(by_table))):
        source = by_table[table]
        if source.materialized != "ephemeral":
            continue
        inner = compiled(source, by_table)
        name = table.split(".")[1]
        pattern = re.compile(rf"\b{re.escape(table)}\b(\s+AS\s+[a-z_][a-z0-9_]*)?", re.IGNORECASE)
        code = pattern.sub(functools.partial(_inline, inner, name), code)
    return code.strip()


def _inline(inner: str, name: str, match: re.Match[str]) -> str:
    return f"(\n{inner}\n){match.group(1) or f' AS {name}'}"


def sql_of(table: str, sql_dir: Path = SQL_DIR) -> str:
    """The SQL that builds `table`, its ephemeral models inlined (what the runner runs)."""
    by_table = {m.table: m for m in models(sql_dir)}
    return compiled(by_table[table], by_table)


def ensure_views(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR, found: list[SqlModel] | None = None) -> None:
    """Create (or replace) the staging views, which read only raw.* (the raw tables must exist); a view of a
    later layer is made by `run`, after the tables it reads."""
    found = models(sql_dir) if found is None else found
    by_table = {m.table: m for m in found}
    for model in found:
        if model.materialized == "view" and model.table.startswith("staging."):
            _create_view(con, model, by_table)


def _create_view(con: duckdb.DuckDBPyConnection, model: SqlModel, by_table: dict[str, SqlModel]) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {model.table.split('.')[0]}")
    _drop_if(con, model.table, "TABLE")  # a table of an earlier version of the model
    con.execute(f"CREATE OR REPLACE VIEW {model.table} AS {compiled(model, by_table)}")
    check_columns(model, [name for name, _type in _columns(con, model.table) or []])


def _drop_if(con: duckdb.DuckDBPyConnection, table: str, kind: str) -> None:
    """Drop `table` if it exists as a `kind` (TABLE or VIEW): a model whose materialization changed."""
    schema, name = table.split(".")
    found = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
    ).fetchone()
    if found and found[0] == ("BASE TABLE" if kind == "TABLE" else "VIEW"):
        log.warning("%s: was a %s, now is not; dropping it", table, kind.lower())
        con.execute(f"DROP {kind} {table}")


def _in_dependency_order(found: list[SqlModel]) -> list[SqlModel]:
    tables = {m.table for m in found}
    pending = {m.table: dependencies(m, tables) for m in found}
    for m in found:
        unknown = sorted(set(m.reads) - tables)
        if unknown:
            raise SqlFileError(f"{m.path}: '-- reads:' names {', '.join(unknown)}, which no model in sql/ writes")
        upper = [d for d in pending[m.table] if LAYERS.index(d.split(".")[0]) > LAYERS.index(m.table.split(".")[0])]
        if upper:
            raise SqlFileError(f"{m.path}: {m.table} reads {', '.join(sorted(upper))} of a higher layer")
        if not m.table.startswith("staging.") and RAW_REF_RE.search(_code(m.sql)):
            raise SqlFileError(
                f"{m.path}: {m.table} reads raw.* directly; read the staging view of that table (sql/staging/: "
                f"de-duplicated once, the latest extract wins)"
            )
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
    python: Mapping[str, Any] | None = None,
    family_windows: dict[str, tuple[dt.date, dt.date] | None] | None = None,
    accounts: list[str] | None = None,
    before: Callable[[duckdb.DuckDBPyConnection], dict[str, int]] | None = None,
) -> dict[str, int]:
    """Rebuild [start, end) of every model in one transaction; returns rows written per table.

    `family_windows` narrows that per model family: daily models (window on a day, week or month)
    rebuild the days the run loaded daily numbers for, post models (window on a publishing time) the
    posts' window; a family the run loaded nothing for is left as it is. `python`: the inputs of the
    models built in Python (`{"campaigns": [...]}`), which run in their place in the graph, inside the
    same transaction, so everything publishes together; without it only the SQL models run.
    `accounts` are the config's accounts ('network/account_id'): the models that say what is missing read them.
    `before` runs inside the same transaction before any model (an erasure's deletes), so both publish together."""
    written: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        if before is not None:
            written.update(before(con))
        found = models(sql_dir)
        by_table = {m.table: m for m in found}
        ensure_views(con, sql_dir, found)  # staging first: the comment analysis reads staging.comments
        for model in found:
            if model.materialized == "view" and not model.table.startswith("staging."):
                _create_view(con, model, by_table)
                continue
            if model.materialized == "python":
                if python is not None:
                    written.update(_run_python(con, model, python))
                continue
            if model.materialized == "ephemeral":
                sql = compiled(model, by_table)
                names = con.execute(f"DESCRIBE SELECT * FROM ({sql})", model_params(sql, start, end, tz)).fetchall()
                check_columns(model, [r[0] for r in names])
                continue
            if model.materialized != "table":
                continue
            window: tuple[dt.date, dt.date] | None = (start, end)
            if family_windows is not None and model.window_column is not None:
                window = family_windows.get(model.family)
                if model.family == "since":
                    loaded = [w for w in family_windows.values() if w is not None]
                    window = (min(w[0] for w in loaded), ALL_TIME[1]) if loaded else None
            elif model.family == "since" and model.window_column is not None:
                window = (start, ALL_TIME[1])
            if window is None:
                if _columns(con, model.table) is not None:
                    log.info("%s: nothing of its kind was loaded; unchanged", model.table)
                    continue
                window = ALL_TIME
            written[model.table] = _run_model(
                con, model, compiled(model, by_table), window[0], window[1], run_id, tz, accounts or []
            )
        con.execute("COMMIT")
    except BaseException:
        rollback(con)  # keeps the real cause when a failed write (disk full) already ended the transaction
        raise
    return written


def derived_networks() -> list[str]:
    """Networks whose days are derived from their posts' numbers (no daily series: X)."""
    from connectors import registry

    return sorted(n for n, cls in registry.available().items() if getattr(cls, "derives_daily_from_posts", False))


def file_networks() -> list[str]:
    """Networks imported from files, without an API (no credentials: Xing)."""
    from connectors import registry

    return sorted(n for n, cls in registry.available().items() if not getattr(cls, "needs_credentials", True))


def comment_networks() -> list[str]:
    """Networks whose connector loads comment texts (a stream with the comments kind)."""
    from connectors import registry
    from connectors.base import Kind

    return sorted(
        n
        for n, cls in registry.available().items()
        if any(Kind.COMMENTS in stream.kinds for stream in getattr(cls, "streams", ()))
    )


def model_params(
    sql: str, start: dt.date, end: dt.date, tz: str = DEFAULT_TZ, accounts: list[str] | None = None
) -> dict[str, object]:
    """The named parameters a model's SQL uses: its window, the company time zone, derived networks, the
    networks that load comment texts, the networks imported from files, the config's accounts."""
    values: dict[str, object] = {"start": start, "end": end, "tz": tz, "accounts": list(accounts or [])}
    if "$derived_networks" in sql:
        values["derived_networks"] = derived_networks()
    if "$file_networks" in sql:
        values["file_networks"] = file_networks()
    if "$comment_networks" in sql:
        values["comment_networks"] = comment_networks()
    return _params(sql, values)


def _run_model(
    con: duckdb.DuckDBPyConnection,
    model: SqlModel,
    sql: str,
    start: dt.date,
    end: dt.date,
    run_id: str,
    tz: str,
    accounts: list[str],
) -> int:
    """Replace the model's window of its table with the rows of `sql` (its compiled SQL)."""
    start, end = widen(start, end, model.granularity)
    _drop_if(con, model.table, "VIEW")  # a view of an earlier version of the model
    base = model_params(sql, start, end, tz, accounts)
    expected = con.execute(f"DESCRIBE SELECT * FROM ({sql})", base).fetchall()
    expected_cols = [(r[0], r[1]) for r in expected]
    check_columns(model, [name for name, _type in expected_cols])
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
        con.execute(f"INSERT INTO {model.table} SELECT * FROM ({sql}) WHERE {where}", params)
        count = con.execute(f"SELECT count(*) FROM {model.table} WHERE {where}", bounds).fetchone()
    else:
        con.execute(f"DELETE FROM {model.table}")
        con.execute(f"INSERT INTO {model.table} SELECT * FROM ({sql})", params)
        count = con.execute(f"SELECT count(*) FROM {model.table}").fetchone()
    rows = int(count[0]) if count else 0
    check_grain(con, model, (lo, hi) if model.window_column else None)
    con.execute(
        "INSERT INTO meta.transforms VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, model.table, lo, hi, rows, full, dt.datetime.now(dt.UTC)],
    )
    if full or model.window_column is None:
        days = "all days (full rebuild)" if full else "all days"
    else:
        days = describe_days(lo, hi - dt.timedelta(days=1))
    log.info("%s: %d rows for %s", model.table, rows, days)
    return rows


def check_grain(con: duckdb.DuckDBPyConnection, model: SqlModel, window: tuple[dt.date, dt.date] | None) -> None:
    """Raise GrainError when the rows just written hold a key of the model's grain twice."""
    cols = ", ".join(f'"{c}"' for c in model.key)
    where = f"WHERE {model.window_column} >= $start AND {model.window_column} < $end" if window else ""
    params = {"start": window[0], "end": window[1]} if window else {}
    dupes = con.execute(
        f"SELECT {cols}, count(*) AS n FROM {model.table} {where} GROUP BY ALL HAVING count(*) > 1 "
        f"ORDER BY n DESC LIMIT 3",
        params,
    ).fetchall()
    if dupes:
        examples = "; ".join(", ".join(str(v) for v in row[:-1]) + f" ({row[-1]} rows)" for row in dupes)
        raise GrainError(
            f"{model.table}: its grain ({', '.join(model.key)}, declared in {model.path.name}) is not unique: "
            f"e.g. {examples}. Nothing of this run was published; fix the model's SQL (a join that "
            f"multiplies rows, a missing de-duplication) and rerun the task."
        )


def check_columns(model: SqlModel, written: list[str]) -> None:
    """Raise ColumnsError when the columns a model writes differ from those its header declares."""
    declared = model.column_names
    extra = [c for c in written if c not in declared]
    missing = [c for c in declared if c not in written]
    if extra or missing:
        raise ColumnsError(
            f"{model.table}: its columns differ from its declaration in {model.path.name}: written but not "
            f"declared: {', '.join(extra) or '-'}; declared but not written: {', '.join(missing) or '-'}. Declare "
            f"every column the model writes in its '-- columns:' block ('--   name: meaning [tests]'), and only "
            f"those, so the docs and the checks stay true. Nothing of this run was published."
        )


def python_function(model: SqlModel) -> Any:
    """The function a Python model names (`-- python: module.function`), looked up when it runs."""
    module, _, name = (model.python or "").rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SqlFileError(f"{model.path}: '-- python: {model.python}' names no function ({exc})") from exc


def _run_python(con: duckdb.DuckDBPyConnection, model: SqlModel, inputs: Mapping[str, Any]) -> dict[str, int]:
    """Build a Python model: the function gets the connection and the inputs it names; it returns the table's
    rows (the table is replaced with them) or, keeping its table up to date itself, rows written per table.
    Then its columns and key are checked like a SQL model's."""
    function = python_function(model)
    names = list(inspect.signature(function).parameters)[1:]
    missing = [n for n in names if n not in inputs]
    if missing:
        raise SqlFileError(f"{model.path}: {model.python} takes {', '.join(missing)}, which the run does not give "
                           f"(it gives {', '.join(sorted(inputs)) or 'nothing'})")  # fmt: skip
    out = function(con, **{n: inputs[n] for n in names})
    if isinstance(out, dict):
        written = {str(k): int(v) for k, v in out.items()}
    else:  # a DataFrame: the whole table
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {model.table.split('.')[0]}")
        con.register("frame_to_publish", out)
        con.execute(f"CREATE OR REPLACE TABLE {model.table} AS SELECT * FROM frame_to_publish")
        con.unregister("frame_to_publish")
        written = {model.table: len(out)}
    check_columns(model, [name for name, _type in _columns(con, model.table) or []])
    check_grain(con, model, None)
    log.info("%s: %d rows (built in Python: %s)", model.table, written.get(model.table, 0), model.python)
    return written


DOCS_INTRO = """# Models: tables, grain, key, columns

Generated from the models' declarations (the header of each file in `sql/`; docs/marts.md, "One declaration
per model") by `make docs` (`python -m socialmetrics.transform.runner --docs docs/models.md`). Do not edit it by
hand: tests/test_declarations.py fails when it differs from what the declarations give.

Tests: `not null`, `in a|b|c` (accepted values), `range LO..HI`; `warning` is recorded and lets the run
publish, every other test blocks it. The key is unique in every table (checked on every write). Where a model
says "checked by the quality gate", its key and tests are expectations of the gate (socialmetrics/check/quality.py),
checked on the run's slice before anything is published; the other models' tests are checked on the
sandbox company by tests/test_declarations.py.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference(sql_dir: Path = SQL_DIR) -> str:
    """docs/models.md: every model with its grain, key, window and columns (meaning and tests)."""
    from socialmetrics.check.quality import GATED

    found = sorted(models(sql_dir), key=lambda m: (LAYERS.index(m.table.split(".")[0]), m.table))
    out = [DOCS_INTRO, "| table | materialized | grain | key |", "| --- | --- | --- | --- |"]
    out += [
        f"| [`{m.table}`](#{m.table.replace('.', '')}) | {m.materialized} | {_cell(m.grain)} | {', '.join(m.key)} |"
        for m in found
    ]
    for m in found:
        source = f"sql/{m.path.parent.name}/{m.path.name}"
        if m.window_column is None:
            window = "rebuilt whole" if m.materialized in ("table", "python") else "none"
        else:
            by = f" by {m.granularity}" if m.granularity != "day" else ""
            window = f"`{m.window_column}`{by}, family `{m.family}`"
        lines = [
            "",
            f"## {m.table}",
            "",
            f"- file: `{source}`" + (f" (built by `{m.python}`)" if m.python else ""),
            f"- materialized: {m.materialized}",
            f"- grain: {m.grain}",
            f"- key: {', '.join(m.key)}",
            f"- window: {window}",
        ]
        if m.reads:
            lines.append(f"- reads: {', '.join(m.reads)}")
        if m.table in GATED:
            lines.append("- checked by the quality gate before anything is published")
        lines += ["", "| column | meaning | tests |", "| --- | --- | --- |"]
        lines += [
            f"| `{c.name}` | {_cell(c.meaning)} | {_cell(', '.join(t.describe() for t in c.tests))} |"
            for c in m.columns
        ]
        out += lines
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m socialmetrics.transform.runner --docs docs/models.md`: write the models' reference."""
    parser = argparse.ArgumentParser(prog="python -m socialmetrics.transform.runner", description=main.__doc__)
    parser.add_argument("--docs", type=Path, required=True, help="where to write the reference (docs/models.md)")
    args = parser.parse_args(argv)
    args.docs.write_text(reference(), encoding="utf-8")
    print(f"wrote {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def audit(con: duckdb.DuckDBPyConnection, model: SqlModel) -> list[str]:
    """The declared column tests the rows of a model's table (or view) fail, one message each
    (`table.column: test: N rows`); as in the quality gate, NULL passes every test but `not null`."""
    failures = []
    for column in model.columns:
        for test in column.tests:
            name = f'"{column.name}"'
            params: dict[str, object] = {}
            if test.kind == "not_null":
                condition = f"{name} IS NULL"
            elif test.kind == "accepted_values":
                condition = f"NOT list_contains($values, CAST({name} AS VARCHAR))"
                params = {"values": list(test.values)}
            else:
                bounds = [f"{name} < {test.min_value}"] if test.min_value is not None else []
                bounds += [f"{name} > {test.max_value}"] if test.max_value is not None else []
                condition = " OR ".join(bounds)
            row = con.execute(f"SELECT count(*) FROM {model.table} WHERE {condition}", params).fetchone()
            if row and row[0]:
                failures.append(f"{model.table}.{column.name}: {test.describe()}: {row[0]} rows")
    return failures
