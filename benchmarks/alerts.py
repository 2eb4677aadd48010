"""Alert calibration: false alarms per account and month, and detection, on simulated years.

Each simulated account has three daily figures (impressions, reach, engagements) over 26 weeks of warm-up and a
year that is checked day by day, the way the nightly alert step checks the run's day: Poisson counts around a
level (30, 300 or 1,400 a day) with weekly seasonality, a slow trend and day-to-day autocorrelated variation
(AR(1) on the log scale, phi 0.4, 10-25 % spread). Negative comments: a negative binomial count around 0.2, 0.6
or 1.5 a day. Without an event, every alert is a false alarm; with one (a figure falls to 30, 50 or 70 % of its
level for a day; a wave of 8 negative comments), an alert on that day is a detection.

The rule (socialmetrics/analytics/alert_candidates.py, the sandbox config's rules): outside the baseline's
range (p below ALERT_P) and at least 30 % from the expected value; negative comments: above their range and
at least 5. The baseline rule, measured on the same series: the naive ±2σ rule (outside the mean ± 2 standard
deviations of the last 28 days; negative comments: above it and at least 5).
Target: at most 1 false alarm per account and month (the three figures and the comments together).
Usage: python benchmarks/alerts.py [--accounts 24] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialmetrics.analytics.alert_candidates import ALERT_P, count_check, day_check  # noqa: E402

WARM_UP = 182
YEAR = 365
LEVELS = (30, 300, 1400)
DROPS = (0.3, 0.5, 0.7)  # the day's value as a share of its level
WAVE = 8
MIN_CHANGE_PCT = 30
MIN_COUNT = 5
WEEKDAY = np.array([1.0, 1.04, 1.08, 1.05, 0.97, 0.82, 0.78])
TARGET_PER_MONTH = 1.0


def figure(rng: np.random.Generator, level: float) -> tuple[np.ndarray, np.ndarray]:
    """One daily figure over warm-up and year, and its weekdays."""
    n = WARM_UP + YEAR
    weekdays = (np.arange(n) + rng.integers(0, 7)) % 7
    spread = rng.uniform(0.10, 0.25)
    noise = lfilter([1.0], [1.0, -0.4], rng.normal(0, spread * np.sqrt(1 - 0.4**2), n))
    trend = 1 + rng.uniform(-0.2, 0.3) * np.arange(n) / n
    return rng.poisson(level * WEEKDAY[weekdays] * trend * np.exp(noise)).astype("float64"), weekdays


def comments(rng: np.random.Generator, mean: float) -> np.ndarray:
    """Negative comments a day: overdispersed counts (negative binomial, size 1.5)."""
    size = 1.5
    return rng.negative_binomial(size, size / (size + mean), WARM_UP + YEAR).astype("float64")


LEVEL = {"p": ALERT_P}  # --alert-p shows the trade-off of another level


def model_alert(values: np.ndarray, weekdays: np.ndarray, day: int) -> bool:
    """The alert rule on one day of a figure."""
    row = day_check(values, weekdays, day, LEVEL["p"])
    return bool(row["outside"]) and abs(row["change_pct"]) >= MIN_CHANGE_PCT


def naive_alert(values: np.ndarray, day: int) -> bool:
    """The naive ±2σ rule: outside mean ± 2 sd of the last 28 days."""
    window = values[day - 28 : day]
    mean, sd = window.mean(), window.std(ddof=1)
    return bool(abs(values[day] - mean) > 2 * sd)


def model_wave(values: np.ndarray, day: int) -> bool:
    """The negative-comments rule on one day."""
    row = count_check(values, day, LEVEL["p"])
    return bool(row["outside"]) and values[day] >= MIN_COUNT


def naive_wave(values: np.ndarray, day: int) -> bool:
    """The naive rule on comments: above mean + 2 sd of the last 28 days, and at least MIN_COUNT."""
    window = values[day - 28 : day]
    return bool(values[day] > window.mean() + 2 * window.std(ddof=1) and values[day] >= MIN_COUNT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--alert-p", type=float, default=ALERT_P, help=f"the alert level (default {ALERT_P})")
    args = parser.parse_args()
    LEVEL["p"] = args.alert_p
    rng = np.random.default_rng(args.seed)
    started = time.monotonic()
    months = YEAR / (365.25 / 12)
    false_model = np.zeros(args.accounts)
    false_naive = np.zeros(args.accounts)
    hits = {d: [0, 0, 0] for d in DROPS}  # model, naive, tries
    wave_hits = [0, 0, 0]
    days = range(WARM_UP, WARM_UP + YEAR)
    for account in range(args.accounts):
        level = LEVELS[account % len(LEVELS)]
        for _ in range(3):  # impressions, reach, engagements
            values, weekdays = figure(rng, level)
            for day in days:
                false_model[account] += model_alert(values, weekdays, day)
                false_naive[account] += naive_alert(values, day)
            for drop in DROPS:  # one event a month, on a fresh copy each: detection of that day
                for day in range(WARM_UP + 15, WARM_UP + YEAR, 61):
                    hit = values.copy()
                    hit[day] = rng.poisson(drop * values[day - 7 : day].mean())
                    hits[drop][0] += model_alert(hit, weekdays, day)
                    hits[drop][1] += naive_alert(hit, day)
                    hits[drop][2] += 1
        counts = comments(rng, (0.2, 0.6, 1.5)[account % 3])
        for day in days:
            false_model[account] += model_wave(counts, day)
            false_naive[account] += naive_wave(counts, day)
        for day in range(WARM_UP + 15, WARM_UP + YEAR, 61):
            wave = counts.copy()
            wave[day] += WAVE
            wave_hits[0] += model_wave(wave, day)
            wave_hits[1] += naive_wave(wave, day)
            wave_hits[2] += 1
    per_month_model = false_model / months
    per_month_naive = false_naive / months
    print(f"alerts: {args.accounts} simulated accounts x 1 year (3 daily figures + negative comments each), "
          f"alert level p < {args.alert_p:g}, min change {MIN_CHANGE_PCT} %, "
          f"min {MIN_COUNT} negative comments")  # fmt: skip
    print(f"{'rule':<34}{'false alarms / account / month':>32}{'worst account':>15}")
    print(f"{'baseline model (this project)':<34}{per_month_model.mean():>32.3f}{per_month_model.max():>15.2f}")
    print(f"{'naive ±2σ of the last 28 days':<34}{per_month_naive.mean():>32.3f}{per_month_naive.max():>15.2f}")
    ratio = per_month_naive.mean() / max(per_month_model.mean(), 1e-9)
    print(f"false alarms: the naive rule raises {ratio:.0f}x as many")
    print(f"{'detection of a one-day drop to':<34}{'baseline model':>16}{'naive ±2σ':>12}")
    for drop in DROPS:
        model, naive, tries = hits[drop]
        print(f"{f'  {drop:.0%} of its level':<34}{model / tries:>16.1%}{naive / tries:>12.1%}")
    print(f"{f'a wave of {WAVE} negative comments':<34}{wave_hits[0] / wave_hits[2]:>16.1%}"
          f"{wave_hits[1] / wave_hits[2]:>12.1%}")  # fmt: skip
    ok = per_month_model.mean() <= TARGET_PER_MONTH
    verdict = "met" if ok else "MISSED"
    print(f"target ≤ {TARGET_PER_MONTH:g} false alarm per account and month: {verdict} "
          f"({time.monotonic() - started:.0f} s)")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
