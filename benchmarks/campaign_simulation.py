"""Campaign-impact calibration: false alarms and detection on synthetic daily series.

Each series: 8, 13, 26 or 52 weeks of history plus a 21-day campaign window; daily counts are
Poisson around a level with weekly seasonality, a slow trend and day-to-day autocorrelated
variation (AR(1) on the log scale), at 30 and at 800 events a day. Without a lift, a 'clear
effect' verdict is a false alarm (target at most 5 % at the nominal 5 % for every history length);
with a lift, it is a detection (target: +40 % at 800 a day found in at least 80 % of series from
13 weeks of history on).

Web outcomes (visits from social media, goal conversions) are counts of a few dozen or a few events a day, more
dispersed than Poisson: negative binomial (Poisson around a gamma-distributed mean, shape WEB_SHAPE) around the
same weekly pattern, at 60 visits, 3 and 1 conversions a day, with 13 weeks of history. The reach-like series at
800 a day with 13 weeks, measured in the same run, is the baseline they are compared with. Printed: false alarms
(target at most 5 %), the share detected at each lift, and the smallest lift detected in >= 80 %.
Usage: python benchmarks/campaign_simulation.py [--series 1000] [--seed 7] [--web-only]
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
WEB_WEEKS = 13
WEB_LEVELS = (("visits", 60.0), ("conversions", 3.0), ("conversions", 1.0))
WEB_LIFTS = (0.0, 0.25, 0.40, 0.60, 1.00, 2.00)
WEB_SHAPE = 8.0  # gamma shape of the day's mean: variance = mean + mean^2 / 8


def series(rng: np.random.Generator, history: int, level: float, lift: float) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic page: `history` days before a CAMPAIGN_DAYS window lifted by `lift`."""
    n = history + CAMPAIGN_DAYS
    weekdays = (np.arange(n) + rng.integers(0, 7)) % 7
    noise = lfilter([1.0], [1.0, -0.5], rng.normal(0, 0.1, n))  # AR(1), phi 0.5, on the log scale
    trend = 1 + rng.uniform(-0.2, 0.3) * np.arange(n) / n
    mean = level * WEEKDAY[weekdays] * trend * np.exp(noise)
    mean[history:] *= 1 + lift
    return rng.poisson(mean).astype("float64"), weekdays


def web_series(rng: np.random.Generator, history: int, level: float, lift: float) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic web outcome: negative-binomial daily counts, `history` days then the lifted window."""
    n = history + CAMPAIGN_DAYS
    weekdays = (np.arange(n) + rng.integers(0, 7)) % 7
    mean = level * WEEKDAY[weekdays] * rng.gamma(WEB_SHAPE, 1 / WEB_SHAPE, n)
    mean[history:] *= 1 + lift
    return rng.poisson(mean).astype("float64"), weekdays


def rate(rng: np.random.Generator, history: int, level: float, lift: float, count: int, *, web: bool = False) -> float:
    """Share of `count` series called 'clear effect' (with a positive lift: a detection; without: a false alarm)."""
    hits = 0
    for _ in range(count):
        values, weekdays = (web_series if web else series)(rng, history, level, lift)
        hits += estimate(values, weekdays, history, CAMPAIGN_DAYS).verdict == "clear effect"
    return hits / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--web-only", action="store_true", help="only the web outcomes and their baseline")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    web_failures = web(rng, args.series)
    if args.web_only:
        print("web targets met" if not web_failures else "WEB TARGETS MISSED: " + "; ".join(web_failures))
        print(f"({time.perf_counter() - started:.0f} s)")
        return
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
    failures += web_failures
    print("targets met" if not failures else "TARGETS MISSED: " + "; ".join(failures))
    print(f"({time.perf_counter() - started:.0f} s)")


def web(rng: np.random.Generator, count: int) -> list[str]:
    """The web outcomes at WEB_WEEKS weeks of history against the reach-like baseline of the same run."""
    print(f"web outcomes, {WEB_WEEKS} weeks of history, {count} series per cell, {CAMPAIGN_DAYS}-day campaign")
    heads = "".join(f"{f'+{lift:.0%}':>8}" for lift in WEB_LIFTS[1:])
    print(f"{'series':>24} {'false alarms':>13}{heads}   detected in >= 80 % from")
    failures = []
    cells_by = []
    for name, level, web_kind in (("baseline: 800 a day", 800.0, False),
                                  *((f"{n}: {lv:g} a day", lv, True) for n, lv in WEB_LEVELS)):  # fmt: skip
        cells = [rate(rng, 7 * WEB_WEEKS, level, lift, count, web=web_kind) for lift in WEB_LIFTS]
        detectable = next((f"+{lift:.0%}" for lift, c in zip(WEB_LIFTS[1:], cells[1:], strict=True) if c >= 0.8), "-")
        print(f"{name:>24} {cells[0]:>13.1%}" + "".join(f"{c:>8.1%}" for c in cells[1:]) + f"   {detectable}")
        cells_by.append(cells)
        if cells[0] > FALSE_ALARM_TARGET:
            failures.append(f"web false alarms {cells[0]:.1%} for {name}")
    base = cells_by[0][WEB_LIFTS.index(0.40)]
    for (n, lv), cells in zip(WEB_LEVELS, cells_by[1:], strict=True):
        print(f"  {n} at {lv:g} a day: +40 % detected {cells[WEB_LIFTS.index(0.40)] / base:.2f} times as often as "
              f"the baseline")  # fmt: skip
    return failures


if __name__ == "__main__":
    main()
