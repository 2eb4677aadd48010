"""The report's "do we answer?" block (issue #30): the questions and complaints waiting for an answer for more than
24 hours (marts.open_questions) and the week's answer rate and median time to the first answer against the previous
week (marts.community_care_weekly, the company's row). Every figure is read from those marts, never computed here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from socialmetrics.load.warehouse import table_exists
from socialmetrics.serve.report import i18n
from socialmetrics.serve.report.links import safe_permalink
from socialmetrics.serve.report.week import Week

WAITING_HOURS = 24  # a question open longer than this is listed in the report
MAX_LISTED = 10  # the report lists the longest-waiting ones; the rest are counted


@dataclass(frozen=True)
class CareWeek:
    """The company's service level of one week (marts.community_care_weekly, network 'all')."""

    needing_answer: int
    answered: int
    answered_within_24h: int
    still_open: int
    answer_rate: float | None
    median_hours_to_answer: float | None


@dataclass(frozen=True)
class Waiting:
    """One open question or complaint (marts.open_questions)."""

    network: str
    permalink: str | None
    text: str | None
    reason: str | None
    hours_waited: float


@dataclass
class CareData:
    """What the block shows; `available` is false for a warehouse built before threads were read."""

    available: bool = False
    this_week: CareWeek | None = None
    previous: CareWeek | None = None
    waiting: list[Waiting] = field(default_factory=list)


def _week(con: duckdb.DuckDBPyConnection, week: Week) -> CareWeek | None:
    row = con.execute(
        "SELECT needing_answer, answered, answered_within_24h, still_open, answer_rate, median_hours_to_answer "
        "FROM marts.community_care_weekly WHERE network = 'all' AND account_id = 'all' AND week_start = ?",
        [week.start],
    ).fetchone()
    return CareWeek(*row) if row else None


def collect(con: duckdb.DuckDBPyConnection, week: Week) -> CareData:
    """The block's figures, from the two marts."""
    if not (table_exists(con, "marts", "community_care_weekly") and table_exists(con, "marts", "open_questions")):
        return CareData()
    rows = con.execute(
        "SELECT network, permalink, text, answer_reason, hours_waited FROM marts.open_questions "
        "WHERE hours_waited > ? ORDER BY hours_waited DESC, network, comment_id",
        [WAITING_HOURS],
    ).fetchall()
    return CareData(True, _week(con, week), _week(con, week.shift(-1)), [Waiting(*r) for r in rows])


def _hours(value: float | None, lang: str) -> str:
    return i18n.DASH if value is None else i18n.text("care_hours", lang, h=i18n.number(value, lang, 1))


def context(care: CareData | None, lang: str) -> dict[str, Any]:
    """The template's values (the partial templates/_care.html.j2)."""
    if care is None or not care.available:
        return {"available": False}
    n = len(care.waiting)
    complaints = any(w.reason == "complaint" for w in care.waiting)
    key = "care_waiting_none" if n == 0 else "care_waiting_one" if n == 1 else "care_waiting_many"
    if complaints and n:
        key += "_complaints"
    items = [
        {
            "network": i18n.network_name(w.network),
            "href": safe_permalink(w.network, w.permalink),
            "text": w.text if w.text is not None else i18n.DASH,
            "kind": i18n.text("care_complaint" if w.reason == "complaint" else "care_question", lang),
            "waited": _hours(w.hours_waited, lang),
        }
        for w in care.waiting[:MAX_LISTED]
    ]
    now, before = care.this_week, care.previous
    rate = i18n.text(
        "care_rate",
        lang,
        rate=i18n.percent(now.answer_rate if now else None, lang, 0),
        answered=i18n.number(now.answered if now else 0, lang),
        needing=i18n.number(now.needing_answer if now else 0, lang),
        previous=i18n.percent(before.answer_rate if before else None, lang, 0),
    )
    median = i18n.text(
        "care_median",
        lang,
        median=_hours(now.median_hours_to_answer if now else None, lang),
        previous=_hours(before.median_hours_to_answer if before else None, lang),
    )
    return {
        "available": True,
        "heading": i18n.text(key, lang, n=i18n.number(n, lang)),
        "items": items,
        "more": i18n.text("care_more", lang, n=n - MAX_LISTED) if n > MAX_LISTED else "",
        "rate": rate,
        "median": median,
        "note": i18n.text("care_note", lang),
    }


def summary_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """`socialmetrics summary`'s line: the latest whole week's service level (the company's row of
    marts.community_care_weekly) and how many questions are open (marts.open_questions)."""
    if not (table_exists(con, "marts", "community_care_weekly") and table_exists(con, "marts", "open_questions")):
        return []
    # the latest whole week of the data (a week still running says little), else the latest week
    week = con.execute(
        "SELECT week_start, needing_answer, answered, answer_rate, median_hours_to_answer "
        "FROM marts.community_care_weekly WHERE network = 'all' ORDER BY week_start + 7 <= "
        "(SELECT max(window_end) FROM meta.loads WHERE kind = 'comments') DESC NULLS LAST, week_start DESC LIMIT 1"
    ).fetchone()
    opened = con.execute("SELECT count(*), count(*) FILTER (WHERE hours_waited > ?) FROM marts.open_questions",
                         [WAITING_HOURS]).fetchone()  # fmt: skip
    if week is None:
        return []
    start, needing, answered, rate, median = week
    median_text = "-" if median is None else f"{median:.1f} h"
    open_n, waiting = opened if opened else (0, 0)
    return [
        f"Answers (week of {start}): {answered} of {needing} comments needing one answered ({rate:.0%}), "
        f"median {median_text} to the first answer (calendar hours); {open_n} open, {waiting} waiting over 24 h"
    ]
