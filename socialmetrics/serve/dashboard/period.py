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


PRESETS = ("custom", "last_7", "last_28", "last_week", "last_month", "last_90", "year_to_date")


def preset(name: str, last_day: dt.date) -> tuple[dt.date, dt.date]:
    """A quick choice up to the last day with numbers: first and last day, both included. `last_week` is the
    last whole ISO week (Monday-Sunday) up to it, `last_month` the last whole calendar month."""
    if name == "last_7":
        return last_day - dt.timedelta(days=6), last_day
    if name == "last_28":
        return last_day - dt.timedelta(days=27), last_day
    if name == "last_90":
        return last_day - dt.timedelta(days=89), last_day
    if name == "last_week":
        sunday = last_day - dt.timedelta(days=(last_day.isoweekday() % 7))
        return sunday - dt.timedelta(days=6), sunday
    if name == "last_month":
        following = last_day + dt.timedelta(days=1)
        end = last_day if following.day == 1 else last_day.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if name == "year_to_date":
        return last_day.replace(month=1, day=1), last_day
    raise ValueError(name)
