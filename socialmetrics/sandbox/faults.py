"""Injected answers for the fake APIs: errors, delays, and bad data made from the real answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """An injected answer: for the next `times` requests whose path contains `match`."""

    match: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    delay_s: float = 0.0
    mutate: Callable[[Any], Any] | None = None  # set: answer normally, then change the body (bad data)
