"""Comment tone quality on real, human-labelled comments: the shipped model against baselines in the same run.

Per language it prints macro-F1, accuracy, precision and recall per class and the 3x3 confusion matrix (rows gold,
columns predicted, order positive/neutral/negative) for
- the DEV splits of the shared corpora (de: SB10k + PotTS; en: SemEval-2017 4A / TweetEval val),
- the held-out slice of their TRAIN splits that `socialmetrics.analytics.comments.train` never trains on,
- GermEval 2017 dev (Deutsche Bahn feedback; CC BY-NC, so evaluation only, never training),
- the project's own domain evaluation set tests/data/comments_eval.csv,
and on the same rows the baselines: VADER (English, the `vaderSentiment` package, compound >= 0.05 positive,
<= -0.05 negative, as its authors recommend) and the project's lexicon rules alone (German and English; score
> 0.25 positive, < -0.25 negative). Then a reliability table of the calibrated confidence (DEV + held-out), the
share of confident comments, and throughput (batch `analyze`, one process) against VADER on the same texts.
Texts are never printed.
Usage: python benchmarks/comment_sentiment.py [--data ../shared/data/tone] [--eval tests/data/comments_eval.csv]
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialmetrics.analytics.comments import CONFIDENCE_THRESHOLD, MODEL_VERSION, SENTIMENTS, get_analyzer  # noqa: E402
from socialmetrics.analytics.comments.language import LanguageDetector  # noqa: E402
from socialmetrics.analytics.comments.lexicon import SentimentLexicon  # noqa: E402
from socialmetrics.analytics.comments.model import MODEL_FILE  # noqa: E402
from socialmetrics.analytics.comments.text import tokenize  # noqa: E402
from socialmetrics.analytics.comments.train import CORPORA, data_dir, held_out, read_corpus  # noqa: E402

EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "comments_eval.csv"
LEXICON_THRESHOLD = 0.25
VADER_THRESHOLD = 0.05
BINS = (0.33, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)

Item = tuple[str, str, str]  # text, language, gold label


def lexicon_only() -> Callable[[Sequence[str]], list[str]]:
    """The project's rules without the trained model: language detection, then the lexicon score thresholded."""
    lexicon = SentimentLexicon()
    detector = LanguageDetector(lexicon.language_words)

    def label(texts: Sequence[str]) -> list[str]:
        out = []
        for text in texts:
            tokens = tokenize(text)
            score = lexicon.score(tokens, detector.detect(text, tokens)).score
            out.append(
                "positive" if score > LEXICON_THRESHOLD else "negative" if score < -LEXICON_THRESHOLD else "neutral"
            )
        return out

    return label


def vader() -> Callable[[Sequence[str]], list[str]] | None:
    """VADER's compound score with its authors' thresholds, or None without the package."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()

    def label(texts: Sequence[str]) -> list[str]:
        out = []
        for text in texts:
            c = analyzer.polarity_scores(text)["compound"]
            out.append("positive" if c >= VADER_THRESHOLD else "negative" if c <= -VADER_THRESHOLD else "neutral")
        return out

    return label


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Macro-F1 over the three sentiment classes."""
    return float(f1_score(gold, pred, labels=list(SENTIMENTS), average="macro", zero_division=0))


def report(name: str, gold: Sequence[str], pred: Sequence[str]) -> float:
    """Accuracy, macro-F1, per-class precision/recall and the confusion matrix of one system; returns macro-F1."""
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    precision, recall, _, support = precision_recall_fscore_support(
        gold, pred, labels=list(SENTIMENTS), zero_division=0
    )
    f1 = macro_f1(gold, pred)
    print(f"  {name}: macro-F1 {f1:.3f}  accuracy {accuracy:.3f}")
    for label, p, r, s in zip(SENTIMENTS, precision, recall, support, strict=True):
        print(f"    {label:<9} precision {p:.3f}  recall {r:.3f}  (n={s})")
    matrix = confusion_matrix(gold, pred, labels=list(SENTIMENTS))
    print("    confusion (rows gold, columns predicted):" + "".join(f"{label:>10}" for label in SENTIMENTS))
    for label, row in zip(SENTIMENTS, matrix, strict=True):
        print("    " + " " * 32 + f"{label:<10}" + "".join(f"{int(v):>10}" for v in row))
    return f1


def load_sets(folder: Path | None, eval_path: Path) -> dict[str, list[Item]]:
    """Every evaluation set by name: DEV splits, held-out slice, GermEval dev, the domain set."""
    sets: dict[str, list[Item]] = {}
    for corpus in CORPORA:
        for row in read_corpus(folder, corpus) if folder is not None else ():
            if row.split == "dev" and corpus.trainable:
                sets.setdefault(f"DEV {row.lang}", []).append((row.text, row.lang, row.label))
            elif not corpus.trainable:
                sets.setdefault("GermEval 2017 dev (eval only) de", []).append((row.text, row.lang, row.label))
    for row in held_out(folder) if folder is not None else ():
        sets.setdefault(f"held-out train slice {row.lang}", []).append((row.text, row.lang, row.label))
    if eval_path.exists():
        with eval_path.open(encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                if rec["language"] in ("de", "en"):
                    sets.setdefault(f"domain set {rec['language']}", []).append(
                        (rec["text"], rec["language"], rec["sentiment"])
                    )
    order = ["DEV de", "DEV en", "held-out train slice de", "held-out train slice en"]
    return {name: sets[name] for name in order + sorted(set(sets) - set(order)) if name in sets}


def reliability(confidence: np.ndarray, correct: np.ndarray) -> None:
    """Mean confidence against accuracy per confidence bin, and the expected calibration error."""
    print("  bin            n    mean confidence  accuracy")
    ece = 0.0
    for lo, hi in zip(BINS, BINS[1:], strict=False):
        mask = (confidence >= lo) & (confidence < hi)
        if not mask.any():
            continue
        conf, acc = float(confidence[mask].mean()), float(correct[mask].mean())
        ece += mask.mean() * abs(conf - acc)
        print(f"  {lo:.2f}-{min(hi, 1.0):.2f}  {int(mask.sum()):>6}    {conf:.3f}            {acc:.3f}")
    print(f"  expected calibration error: {ece:.3f}")


def main() -> int:
    """Run every evaluation and print it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="tone data folder (default ../shared/data/tone)")
    parser.add_argument("--eval", type=Path, default=EVAL_SET, help="domain evaluation CSV")
    args = parser.parse_args()
    try:
        folder: Path | None = data_dir(args.data)
    except FileNotFoundError as exc:
        print(f"{exc}\n-> only the domain evaluation set is measured")
        folder = None
    sets = load_sets(folder, args.eval)
    analyzer = get_analyzer()
    started = time.perf_counter()
    analyzer.warm_up()
    loaded = time.perf_counter() - started
    print(
        f"model {MODEL_VERSION} ({MODEL_FILE.name}, {MODEL_FILE.stat().st_size / 1e6:.1f} MB), loaded in {loaded:.2f} s"
    )
    lexicon = lexicon_only()
    vader_label = vader()
    if vader_label is None:
        print("vaderSentiment is not installed (pip install -e '.[dev]'): no VADER baseline")
    calibration: dict[str, list[tuple[float, bool]]] = collections.defaultdict(list)
    summary: list[tuple[str, float, float, float | None]] = []
    for name, items in sets.items():
        texts = [t for t, _, _ in items]
        gold = [g for _, _, g in items]
        lang = items[0][1]
        results = analyzer.analyze(texts)
        print(f"\n[{name}] n={len(items)}  gold {dict(collections.Counter(gold))}")
        ours = report("ours", gold, [r.sentiment for r in results])
        confident = [i for i, r in enumerate(results) if r.confident]
        if confident:
            f1c = macro_f1([gold[i] for i in confident], [results[i].sentiment for i in confident])
            print(
                f"  confident (>= {CONFIDENCE_THRESHOLD}): {len(confident) / len(items):.1%} of comments, "
                f"macro-F1 {f1c:.3f}"
            )
        if name.startswith(("DEV", "held-out")):
            calibration[lang] += [(r.confidence, r.sentiment == g) for r, g in zip(results, gold, strict=True)]
        rules = report("baseline: project lexicon rules", gold, lexicon(texts))
        vad = report("baseline: VADER", gold, vader_label(texts)) if lang == "en" and vader_label else None
        summary.append((name, ours, rules, vad))
    for lang, pairs in calibration.items():
        print(f"\n[reliability {lang}] calibrated confidence on DEV + held-out ({len(pairs)} comments)")
        reliability(np.array([c for c, _ in pairs]), np.array([ok for _, ok in pairs]))
    print("\nsummary (macro-F1)                      ours   lexicon  VADER   ours/best baseline")
    for name, ours, rules, vad in summary:
        best = max(rules, vad if vad is not None else 0.0)
        vad_text = f"{vad:.3f}" if vad is not None else "  -  "
        print(f"  {name:<36} {ours:.3f}  {rules:.3f}    {vad_text}   {ours / best:.2f}")
    texts = [t for name in ("DEV de", "DEV en") for t, _, _ in sets.get(name, [])]
    which = "DEV"
    if not texts:
        texts, which = [t for items in sets.values() for t, _, _ in items], "domain"
    started = time.perf_counter()
    analyzer.analyze(texts)
    ours_s = time.perf_counter() - started
    print(
        f"\nthroughput on the {len(texts):,} {which} texts, one process: ours {len(texts) / ours_s:,.0f} comments/s",
        end="",
    )
    if vader_label is not None:
        started = time.perf_counter()
        vader_label(texts)
        vader_s = time.perf_counter() - started
        print(f", VADER {len(texts) / vader_s:,.0f} comments/s (ratio ours/VADER {vader_s / ours_s:.2f})")
    else:
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
