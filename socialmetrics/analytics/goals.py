"""marts.goal_progress: how far each goal of the config is, and whether it will be reached at the current pace.

Each goal (config `goals:`) names a figure of socialmetrics/goals.py; its daily values come from the mart and
column named there, for one network or the company (every social account added up; for the website figures the
whole site). The figure's latest day with data (`as_of`, over the whole history) is "today": the mart says the
same thing whenever it is read, and a night without data does not move the pace.

For the period (a month or quarter; a recurring goal has one row per period from the first with data to the
one of `as_of`):

- value: 'sum' figures add up the period's days up to as_of; 'level' figures (followers) take each account's
  latest total in the period (the company adds the accounts up); 'ratio' figures (the engagement rate) divide the
  sums over the days that have both parts.
- start_value (levels only): the total on the day before the period (else on its first day with data, where the
  line then starts: a history that begins inside the period).
- expected_by_today: where the value must be by as_of to reach the target on a straight line over the period's
  days: target x elapsed / period_days (levels: start + (target - start) x the days since the start's day / the
  period's days from it; ratios: the target itself).
- projected: the value at the period's end if the current pace goes on. Sums: value / days_with_data x
  period_days (days without data neither count nor drag the pace down); levels: start + (value - start) per day
  since the start's day, continued to the period's last day; ratios: the value so far.
- status: 'keine Daten' (no day with data yet); when the period is over (as_of on or after its last day)
  'erreicht' if value >= target, else 'verfehlt'; while it runs 'erreicht' once a sum or level has reached the
  target, 'auf Kurs' when projected >= target, 'knapp' when the projection reaches at least 90 % of what the
  period must bring (sums: 90 % of the target; levels: 90 % of target - start; ratios: 90 % of the target),
  else 'verfehlt' (at this pace the goal will be missed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from socialmetrics import goals as vocabulary

KNAPP_SHARE = 0.9  # a projection reaching 90 % of what the period must bring is 'knapp', below 'verfehlt'
STATUSES = ("erreicht", "auf Kurs", "knapp", "verfehlt", "keine Daten")
COLUMNS = [
    "goal_index", "goal", "name", "figure", "network", "period", "period_kind", "period_start", "period_end", "current",
    "target", "value", "start_value", "expected_by_today", "projected", "days_with_data", "days_elapsed",
    "period_days", "as_of", "status",
]  # fmt: skip


def _daily(con: duckdb.DuckDBPyConnection, figure: vocabulary.Figure, network: str | None) -> pd.DataFrame:
    """The figure's daily values in scope: columns day, account_id, num (and den for ratios)."""
    den = f", CAST({figure.denominator} AS DOUBLE) AS den" if figure.denominator else ""
    if figure.web:
        # One analytics tool and site: the one with the most days (a site measured by two tools counts once).
        sql = f"""
            WITH rows AS (
                SELECT analytics, site_id, day, CAST({figure.column} AS DOUBLE) AS num{den}
                FROM {figure.mart} WHERE network = $network AND campaign IS NULL
            ),
            tool AS (
                SELECT analytics, site_id FROM rows GROUP BY ALL ORDER BY count(DISTINCT day) DESC, ALL LIMIT 1
            )
            SELECT day, 'site' AS account_id, num{", den" if den else ""} FROM rows JOIN tool USING (analytics, site_id)
            ORDER BY day
        """  # noqa: S608 (names from the vocabulary, not from input)
        return con.execute(sql, {"network": network or "all"}).df()
    where = "network = $network" if network else "network NOT IN ('matomo', 'ga4')"
    sql = f"""
        SELECT day, network || '/' || account_id AS account_id, CAST({figure.column} AS DOUBLE) AS num{den}
        FROM {figure.mart} WHERE {where}
        ORDER BY day, account_id
    """  # noqa: S608 (names from the vocabulary, not from input)
    return con.execute(sql, {"network": network} if network else {}).df()


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, name]
    ).fetchone()
    view = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?", [schema, name]
    ).fetchone()
    return bool((row and row[0]) or (view and view[0]))


def progress(
    figure: vocabulary.Figure, target: float, kind: str, start: dt.date, daily: pd.DataFrame, as_of: dt.date | None
) -> dict[str, Any]:
    """One goal's row for the period that starts on `start` (the rule in the module docstring)."""
    end = vocabulary.period_end(kind, start)
    period_days = (end - start).days
    row: dict[str, Any] = {
        "period_start": start, "period_end": end - dt.timedelta(days=1), "period_days": period_days,
        "target": target, "value": None, "start_value": None, "expected_by_today": None, "projected": None,
        "days_with_data": 0, "days_elapsed": 0, "as_of": as_of, "status": "keine Daten",
    }  # fmt: skip
    if as_of is None or as_of < start:
        return row
    last = min(as_of, end - dt.timedelta(days=1))
    elapsed = (last - start).days + 1
    row["days_elapsed"] = elapsed
    days = daily[(daily["day"] >= start) & (daily["day"] <= last)]
    if figure.kind == "ratio":
        days = days[days["num"].notna() & days["den"].notna()]
    else:
        days = days[days["num"].notna()]
    with_data = int(days["day"].nunique())
    row["days_with_data"] = with_data
    if not with_data:
        return row
    need = target
    if figure.kind == "sum":
        value = float(days["num"].sum())
        projected = value / with_data * period_days
        expected = target * elapsed / period_days
        base = 0.0
    elif figure.kind == "level":
        value = float(days.sort_values("day").groupby("account_id")["num"].last().sum())
        before = daily[(daily["day"] < start) & daily["num"].notna()].sort_values("day")
        first = days.sort_values("day").groupby("account_id")["num"].first()
        prior = before.groupby("account_id")["num"].last()
        base = float(sum(prior.get(acc, first[acc]) for acc in first.index))
        # The line starts the day before the period (a total known before it), else on the first day with data
        # (a history that begins inside the period): the pace is the change per day since then.
        base_day = start - dt.timedelta(days=1) if len(prior) else min(days["day"])
        span, full = (last - base_day).days, (end - dt.timedelta(days=1) - base_day).days
        projected = base + (value - base) / span * full if span else value
        expected = base + (target - base) * span / full if full else target
        need = target - base
        row["start_value"] = base
    else:
        den = float(days["den"].sum())
        if not den:
            row["days_with_data"] = 0
            return row
        value = float(days["num"].sum()) / den
        projected = value
        expected = target
        base = 0.0
    row.update(value=value, projected=projected, expected_by_today=expected)
    over = as_of >= end - dt.timedelta(days=1)
    reached = value >= target
    if over:
        row["status"] = "erreicht" if reached else "verfehlt"
    elif reached and figure.kind != "ratio":
        row["status"] = "erreicht"
    elif projected >= target:
        row["status"] = "auf Kurs"
    elif projected - base >= KNAPP_SHARE * need:
        row["status"] = "knapp"
    else:
        row["status"] = "verfehlt"
    return row


def goal_progress(con: duckdb.DuckDBPyConnection, goals: list[Any] | None) -> pd.DataFrame | dict[str, int]:
    """marts.goal_progress: one row per goal of the config and period (the rule in the module docstring).
    goals None (an erasure run that was not given the config's goals): the table stays as it is."""
    if goals is None and _exists(con, "marts.goal_progress"):
        return {}
    rows: list[dict[str, Any]] = []
    for index, goal in enumerate(goals or [], start=1):
        figure = vocabulary.FIGURES[goal.figure]
        kind, fixed = vocabulary.parse_period(goal.period)
        target = goal.target / 100 if figure.percent else float(goal.target)
        if _exists(con, figure.mart):
            daily = _daily(con, figure, goal.network)
        else:
            daily = pd.DataFrame({"day": [], "account_id": [], "num": [], "den": []})
        if len(daily):
            daily["day"] = pd.to_datetime(daily["day"]).dt.date
        has = daily[daily["num"].notna()] if len(daily) else daily
        as_of = max(has["day"]) if len(has) else None
        if fixed is not None:
            starts = [fixed]
        elif as_of is None:
            starts = []
        else:
            first = vocabulary.period_start(kind, min(has["day"]))
            starts = [first]
            while (nxt := vocabulary.period_end(kind, starts[-1])) <= as_of:
                starts.append(nxt)
        for i, start in enumerate(starts):
            row = progress(figure, target, kind, start, daily, as_of)
            row.update(
                goal_index=index, goal=goal.label, name=goal.name, figure=goal.figure, network=goal.network or "all",
                period=vocabulary.period_label(kind, start), period_kind=kind, current=i == len(starts) - 1,
            )  # fmt: skip
            rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("period_start", "period_end", "as_of"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    for column in ("target", "value", "start_value", "expected_by_today", "projected"):
        frame[column] = frame[column].astype("float64")
    for column in ("goal_index", "days_with_data", "days_elapsed", "period_days"):
        frame[column] = frame[column].astype("int64")
    frame["current"] = frame["current"].astype("bool")
    for column in ("goal", "name", "figure", "network", "period", "period_kind", "status"):
        frame[column] = frame[column].astype("object")
    return frame
