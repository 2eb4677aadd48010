"""ISO weeks and the report's error type (no heavy imports: the DAG file imports this at parse time)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from connectors.errors import PermanentError

WEEK_PATTERN = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")


class ReportError(RuntimeError, PermanentError):
    """The report cannot be built (no warehouse, no data for the week, a bad week); the message says what to do."""


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week."""

    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> Week:
        """The ISO week a day belongs to."""
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def parse(cls, value: str) -> Week:
        """`2026-W46` (also `2026W46`, `2026-w46`); ReportError for anything else."""
        match = WEEK_PATTERN.match(value or "")
        if not match:
            raise ReportError(f"'{value}' is not an ISO week; write it like 2026-W46")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ReportError(f"{year} has no ISO week {number}; weeks run from W01 to W52 or W53") from None
        return cls(year, number)

    @property
    def start(self) -> dt.date:
        """Monday."""
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def end(self) -> dt.date:
        """Sunday."""
        return self.start + dt.timedelta(days=6)

    @property
    def label(self) -> str:
        """2026-W46."""
        return f"{self.year}-W{self.number:02d}"

    def shift(self, weeks: int) -> Week:
        """The week `weeks` later (earlier when negative)."""
        return Week.of(self.start + dt.timedelta(weeks=weeks))

    def days(self) -> list[dt.date]:
        """Monday to Sunday."""
        return [self.start + dt.timedelta(days=i) for i in range(7)]
