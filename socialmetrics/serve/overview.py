"""`socialmetrics summary --all`: every company at a glance, so an agency notices the one that stopped.

One line per company (each `<slug>.yml` of $SOCIALMETRICS_CONFIG_DIR, or the one company of
$SOCIALMETRICS_CONFIG): the last day its marts hold, when they were last published, the failed runs of its
DAGs in the last 7 days (from the running Airflow's REST API; "?" when it does not answer) and the headline
figures of the last complete week from marts.weekly_headline. Everything is read from each company's readers'
copy (never the warehouse: a reader there would hold up the nightly writer). Below the table, one line per
company that needs attention: nothing published, the last day too old, failed runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from socialmetrics import settings
from socialmetrics.serve.readers import readers_path

FAILED_DAYS = 7  # failed runs are counted over this many days
BEHIND_DAYS = 2  # a company whose last day is older than this many days before today needs attention
FIGURES = ("reach", "engagement_rate", "follower_gain", "comments")


@dataclass(frozen=True)
class Source:
    """Where one company's numbers and runs are: its slug, config, warehouse and DAG ids."""

    slug: str
    config: Path
    warehouse: Path
    dag_ids: tuple[str, ...]


@dataclass
class Status:
    """What `summary --all` shows of one company."""

    slug: str
    last_day: dt.date | None = None
    published_at: dt.datetime | None = None
    week: dt.date | None = None
    headline: dict[str, tuple[float | None, float | None, str]] = field(default_factory=dict)
    failed: int | None = None  # None: Airflow did not answer
    last_failed: str = ""
    problems: list[str] = field(default_factory=list)


def sources() -> list[Source]:
    """The companies of this setup: each config of $SOCIALMETRICS_CONFIG_DIR, else the one company."""
    found = settings.companies()
    if not found:
        slug = settings.config_path().stem
        return [
            Source(slug, settings.config_path(), settings.warehouse_path(), (settings.DAG_ID, settings.HISTORY_DAG_ID))
        ]
    return [
        Source(
            c.slug,
            c.config,
            c.warehouse,
            (f"{settings.DAG_ID}__{c.slug}", f"{settings.HISTORY_DAG_ID}__{c.slug}"),
        )
        for c in found
    ]


def last_complete_week(today: dt.date) -> dt.date:
    """The Monday of the last ISO week that ended before `today`."""
    return today - dt.timedelta(days=today.isoweekday() - 1 + 7)


def read_company(source: Source, today: dt.date) -> Status:
    """The last day, publish time and last week's headline figures from the company's readers' copy."""
    status = Status(source.slug, week=last_complete_week(today))
    path = readers_path(source.warehouse)
    if not path.exists():
        status.problems.append(f"nothing published yet (no {path})")
        return status
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        tables = {f"{s}.{t}" for s, t in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        if "marts.reach_daily" in tables:
            row = con.execute("SELECT max(day) FROM marts.reach_daily").fetchone()
            status.last_day = row[0] if row else None
        if "meta.published" in tables:
            row = con.execute("SELECT max(published_at) FROM meta.published").fetchone()
            status.published_at = row[0] if row else None
        if "marts.weekly_headline" in tables:
            for figure, value, change, previous_status in con.execute(
                "SELECT figure, value, previous_change, previous_status FROM marts.weekly_headline "
                "WHERE week_start = $week",
                {"week": status.week},
            ).fetchall():
                status.headline[figure] = (value, change, previous_status)
    finally:
        con.close()
    return status


def failed_runs(api: Any, dag_ids: tuple[str, ...], since: dt.datetime) -> tuple[int, str]:
    """Failed runs of the DAGs since `since` (REST API) and the latest one as `dag_id run_id`."""
    from socialmetrics.run.history import HistoryError

    runs: list[tuple[str, str, str]] = []
    for dag_id in dag_ids:
        try:
            body = api.call(
                "GET",
                f"/api/v2/dags/{dag_id}/dagRuns",
                params={"state": "failed", "run_after_gte": since.isoformat(), "limit": 100, "order_by": "-run_after"},
            )
        except HistoryError as exc:
            if str(exc).startswith("Airflow answered 404 "):  # the DAG is not registered (yet)
                continue
            raise
        runs += [(str(r.get("run_after") or ""), dag_id, str(r["dag_run_id"])) for r in body["dag_runs"]]
    latest = max(runs, default=None)
    return len(runs), f"{latest[1]} {latest[2]}" if latest else ""


def statuses(
    today: dt.date | None = None, api: Any = None, *, now: dt.datetime | None = None
) -> tuple[list[Status], str]:
    """Every company's Status, and a note when the failed runs could not be read (Airflow not answering)."""
    from socialmetrics.config import ConfigError, load_config
    from socialmetrics.run.history import AirflowApi, ApiLogin, HistoryError

    now = now or dt.datetime.now(dt.UTC)
    note = ""
    if api is None:
        try:
            api = AirflowApi(ApiLogin.from_env())
        except HistoryError as exc:
            note = str(exc)
    result = []
    for source in sources():
        try:
            tz = load_config(source.config).timezone
        except ConfigError as exc:
            tz = "Europe/Berlin"
            problem = f"config {source.config.name}: {exc}"
        else:
            problem = ""
        day = today or now.astimezone(ZoneInfo(tz)).date()
        status = read_company(source, day)
        if problem:
            status.problems.insert(0, problem)
        if api is not None and not note:
            try:
                status.failed, status.last_failed = failed_runs(
                    api, source.dag_ids, now - dt.timedelta(days=FAILED_DAYS)
                )
            except HistoryError as exc:
                note = str(exc)
        if status.last_day is not None and (day - status.last_day).days > BEHIND_DAYS:
            status.problems.append(f"its last day is {status.last_day}, {(day - status.last_day).days} days ago")
        if status.failed:
            status.problems.append(
                f"{status.failed} failed run(s) in {FAILED_DAYS} days, the last: {status.last_failed}"
            )
        result.append(status)
    if note:
        for status in result:
            status.failed = None
    return result, note


def _count(value: float | None) -> str:
    return "–" if value is None else f"{round(value):,}"


def _change(value: float | None, *, points: bool = False) -> str:
    if value is None:
        return ""
    return f" ({value * 100:+.1f} pt)" if points else f" ({value:+.0%})"


def figure_text(status: Status, figure: str) -> str:
    """One headline figure with its change against the week before ('–' without a value)."""
    value, change, _ = status.headline.get(figure, (None, None, "no_value"))
    if figure == "engagement_rate":
        return "–" if value is None else f"{value:.2%}{_change(change, points=True)}"
    if figure == "follower_gain":
        return "–" if value is None else f"{round(value):+,}"
    return _count(value) + _change(change)


def render(found: list[Status], note: str = "") -> str:
    """The table and the attention list."""
    week = found[0].week if found else None
    label = f"{week.isocalendar()[0]}-W{week.isocalendar()[1]:02d}" if week else ""
    header = (
        f"{'company':<20} {'last day':<10} {'published (UTC)':<16} {'failed 7d':>9}  "
        f"{'reach ' + label:<22} {'eng. rate':<18} {'followers':>9} {'comments':<14}"
    )
    lines = [header]
    for s in found:
        published = s.published_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if s.published_at else "–"
        failed = "?" if s.failed is None else str(s.failed)
        lines.append(
            f"{s.slug:<20} {s.last_day.isoformat() if s.last_day else '–':<10} {published:<16} {failed:>9}  "
            f"{figure_text(s, 'reach'):<22} {figure_text(s, 'engagement_rate'):<18} "
            f"{figure_text(s, 'follower_gain'):>9} {figure_text(s, 'comments'):<14}"
        )
    attention = [s for s in found if s.problems]
    if attention:
        lines.append("")
        lines.append("Needs attention:")
        lines += [f"  {s.slug}: {'; '.join(s.problems)}" for s in attention]
    else:
        lines.append("")
        lines.append("Every company published its last days; no failed runs.")
    if note:
        lines.append(f"Failed runs unknown (?): {note}")
    return "\n".join(line.rstrip() for line in lines)


def main(out: Callable[[str], None] = print) -> int:
    """The CLI's `summary --all`: 0 when no company needs attention, 1 otherwise, 2 on a wrong company folder."""
    import sys

    try:
        found, note = statuses()
    except ValueError as exc:  # settings.companies(): no folder, no config, two files of one slug
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out(render(found, note))
    return 1 if any(s.problems for s in found) else 0
