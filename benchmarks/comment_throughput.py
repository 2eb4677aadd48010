"""Comment analysis throughput: `get_analyzer().analyze` against `str.lower().split()` over the same comments.

The comments are built from the shipped training set (one to three comments joined, some lower-cased, some with
umlauts spelled out or an emoji appended; fixed seed), so no two are identical and the caches cannot cheat.
Loading the shipped model is timed separately from scoring. Prints comments per second for both and the ratio
ours/baseline; the target is at least 500 comments/s on the 2-core reference machine.
Usage: python benchmarks/comment_throughput.py [--comments 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET = 500.0
EMOJI = ("👍", "😍", "🙏", "😡", "🔥", "😂", "👎", ":)", "")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def make_comments(n: int, seed: int = 7) -> list[str]:
    """`n` realistic, distinct comments recombined from the training set."""
    from socialmetrics.analytics.comments.model import load_examples

    pool = [e.text for e in load_examples()]
    rng = random.Random(seed)
    comments = []
    for _ in range(n):
        text = " ".join(rng.sample(pool, rng.choice((1, 1, 1, 2, 3))))
        roll = rng.random()
        if roll < 0.2:
            text = text.lower()
        elif roll < 0.3:
            text = text.translate(UMLAUTS)
        comments.append(f"{text} {rng.choice(EMOJI)}".strip())
    return comments


def timed(fn: object, repeat: int) -> float:
    """Median wall time of `repeat` calls."""
    assert callable(fn)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    import py3langid.langid  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401

    libraries = time.perf_counter() - started
    started = time.perf_counter()
    from socialmetrics.analytics.comments import MODEL_VERSION, get_analyzer

    analyzer = get_analyzer()
    imported = time.perf_counter() - started
    started = time.perf_counter()
    analyzer.warm_up()
    trained = time.perf_counter() - started

    comments = make_comments(args.comments)
    base = timed(lambda: [c.lower().split() for c in comments], args.repeat)
    ours = timed(lambda: analyzer.analyze(comments), args.repeat)
    n = len(comments)
    print(f"model {MODEL_VERSION}")
    print(f"import scikit-learn, py3langid:  {libraries:.2f} s  (without .pyc caches this dominates)")
    print(f"import socialmetrics.analytics.comments:   {imported:.2f} s")
    print(f"load (first use):                {trained:.2f} s  (py3langid model, lexicons, sentiment weights)")
    print(f"comments:                        {n:,} (mean {sum(map(len, comments)) / n:.0f} characters)")
    print(f"baseline (str.lower().split()):  {n / base:,.0f} comments/s  (median of {args.repeat}: {base:.3f} s)")
    print(f"ours (get_analyzer().analyze):   {n / ours:,.0f} comments/s  (median of {args.repeat}: {ours:.3f} s)")
    print(f"ratio ours/baseline:             {base / ours:.5f}")
    verdict = "meets" if n / ours >= TARGET else "MISSES"
    print(f"target >= {TARGET:,.0f} comments/s:        {verdict} ({n / ours / TARGET:.1f}x the target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
