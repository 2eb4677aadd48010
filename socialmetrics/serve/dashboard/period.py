"""The period a person types: any two days (not only ISO weeks), as 16.11.2026 or 2026-11-16."""

from __future__ import annotations

import datetime as dt
import re

MAX_DAYS = 3 * 366  # a longer period is almost always a typo (a wrong year)


class PeriodError(ValueError):
    """A date that is not one, or a period that ends before it starts; the message is the user's words."""


def parse_day(text: str) -> dt.date | None:
    """16.11.2026, 16.11.26 is not accepted (ambiguous century), 2026-11-16; None when it is no date."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
            year, month, day = (int(p) for p in value.split("-"))
            return dt.date(year, month, day)
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", value):
            day, month, year = (int(p) for p in value.split("."))
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def default_period(last_day: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The 28 days up to the last day with numbers (or yesterday): first and last day, both included."""
    last = last_day or today - dt.timedelta(days=1)
    return last - dt.timedelta(days=27), last
