"""Campaign-impact calibration: false alarms and detection on synthetic daily series.

Each series: 8, 13, 26 or 52 weeks of history plus a 21-day campaign window; daily counts are
Poisson around a level with weekly seasonality, a slow trend and day-to-day autocorrelated
variation (AR(1) on the log scale), at 30 and at 800 events a day. Without a lift, a 'clear
effect' verdict is a false alarm (target at most 5 % at the nominal 5 % for every history length);
with a lift, it is a detection (target: +40 % at 800 a day found in at least 80 % of series from
13 weeks of history on).
Usage: python benchmarks/campaign_simulation.py [--series 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialmetrics.analytics.campaigns import estimate  # noqa: E402

HISTORY_WEEKS = (8, 13, 26, 52)
LEVELS = (30, 800)
LIFTS = (0.0, 0.25, 0.40, 0.50)
CAMPAIGN_DAYS = 21
WEEKDAY = np.array([1.0, 1.05, 1.1, 1.05, 0.95, 0.8, 0.75])
FALSE_ALARM_TARGET = 0.05
POWER_TARGET = (13, 800, 0.40, 0.80)  # history weeks, events a day, lift, share of series detected


def series(rng: np.random.Generator, history: int, level: float, lift: float) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic page: `history` days before a CAMPAIGN_DAYS window lifted by `lift`."""
    n = history + CAMPAIGN_DAYS
    weekdays = (np.arange(n) + rng.integers(0, 7)) % 7
    noise = lfilter([1.0], [1.0, -0.5], rng.normal(0, 0.1, n))  # AR(1), phi 0.5, on the log scale
    trend = 1 + rng.uniform(-0.2, 0.3) * np.arange(n) / n
    mean = level * WEEKDAY[weekdays] * trend * np.exp(noise)
    mean[history:] *= 1 + lift
    return rng.poisson(mean).astype("float64"), weekdays


def rate(rng: np.random.Generator, history: int, level: float, lift: float, count: int) -> float:
    """Share of `count` series called 'clear effect'."""
    hits = 0
    for _ in range(count):
        values, weekdays = series(rng, history, level, lift)
        hits += estimate(values, weekdays, history, CAMPAIGN_DAYS).verdict == "clear effect"
    return hits / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    print(f"{args.series} series per cell, {CAMPAIGN_DAYS}-day campaign; share of series called 'clear effect'")
    heads = "".join(f"{f'+{lift:.0%}':>9}" for lift in LIFTS[1:])
    print(f"{'history':>8} {'events/day':>10} {'false alarms':>13}{heads}")
    failures = []
    for weeks in HISTORY_WEEKS:
        for level in LEVELS:
            cells = [rate(rng, 7 * weeks, level, lift, args.series) for lift in LIFTS]
            print(f"{weeks:>6} w {level:>10} {cells[0]:>13.1%}" + "".join(f"{c:>9.1%}" for c in cells[1:]))
            if cells[0] > FALSE_ALARM_TARGET:
                failures.append(f"false alarms {cells[0]:.1%} at {weeks} weeks, {level} a day")
            if (weeks, level) == POWER_TARGET[:2] and cells[LIFTS.index(POWER_TARGET[2])] < POWER_TARGET[3]:
                failures.append(f"+40 % detected in only {cells[LIFTS.index(POWER_TARGET[2])]:.1%} at 13 weeks")
    print(f"targets: false alarms <= {FALSE_ALARM_TARGET:.1%} for every history; +40 % at 800 a day with "
          f"13 weeks detected in >= {POWER_TARGET[3]:.0%}")  # fmt: skip
    print("targets met" if not failures else "TARGETS MISSED: " + "; ".join(failures))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
