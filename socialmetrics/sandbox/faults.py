"""Injected answers for the fake APIs: errors, delays, and bad data made from the real answer."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, str], Any]


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


def answer_with_faults(
    faults: list[Fault], path: str, answer: Callable[[], Answer], headers: dict[str, str] | None = None
) -> Answer:
    """The first matching fault's answer (it counts down), else the real `answer()`. A fault with a
    `mutate` changes a copy of the real body; status 0 is a delay only; `headers` are the API's usual
    headers, which the fault's own extend."""
    for fault in faults:
        if fault.times > 0 and fault.match in path:
            fault.times -= 1
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.mutate is not None:
                status, real_headers, body = answer()
                return status, real_headers, fault.mutate(copy.deepcopy(body))
            if fault.status == 0:
                break
            return fault.status, {**(headers or {}), **fault.headers}, fault.body
    return answer()
