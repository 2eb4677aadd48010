"""Comment sentiment quality: the shipped analyzer against baselines measured in the same run.

On the evaluation set (default tests/data/comments_eval.csv, columns id,language,industry,sentiment,text; written
independently of the training set) it prints, per gold language de and en: n, accuracy, macro-F1, precision and
recall per class, the 3x3 confusion matrix (rows gold, columns predicted, order positive/neutral/negative) and the
language-detection accuracy. Two baselines run on the same rows: the majority class of the training set, and the
lexicon rules alone (score > 0.25 positive, < -0.25 negative). Ratios are ours/baseline in macro-F1.

`--cv` instead cross-validates on the training set (5 folds stratified by language and label): the only numbers
used to choose the model's settings. Texts are never printed.
Usage: python benchmarks/comment_sentiment.py [--eval PATH] [--cv]
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialmetrics.comments import MODEL_VERSION, SENTIMENTS, get_analyzer  # noqa: E402
from socialmetrics.comments.language import LanguageDetector  # noqa: E402
from socialmetrics.comments.lexicon import SentimentLexicon  # noqa: E402
from socialmetrics.comments.model import SentimentModel, decide, load_examples, model_text  # noqa: E402
from socialmetrics.comments.text import tokenize  # noqa: E402

EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "comments_eval.csv"
LEXICON_THRESHOLD = 0.25
EVAL_LANGUAGES = ("de", "en")


def lexicon_only(texts: list[str]) -> list[str]:
    """The rules without the trained model: language detection, then the lexicon score thresholded."""
    lexicon = SentimentLexicon()
    detector = LanguageDetector(lexicon.language_words)
    labels = []
    for text in texts:
        tokens = tokenize(text)
        score = lexicon.score(tokens, detector.detect(text, tokens)).score
        labels.append(
            "positive" if score > LEXICON_THRESHOLD else "negative" if score < -LEXICON_THRESHOLD else "neutral"
        )
    return labels


def macro_f1(gold: list[str], pred: list[str]) -> float:
    """Macro-F1 over the three sentiment classes."""
    return float(f1_score(gold, pred, labels=list(SENTIMENTS), average="macro", zero_division=0))


def report(name: str, gold: list[str], pred: list[str]) -> None:
    """Accuracy, macro-F1, per-class precision/recall and the confusion matrix of one system."""
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    precision, recall, _, support = precision_recall_fscore_support(
        gold, pred, labels=list(SENTIMENTS), zero_division=0
    )
    print(f"  {name}: accuracy {accuracy:.3f}  macro-F1 {macro_f1(gold, pred):.3f}")
    for label, p, r, s in zip(SENTIMENTS, precision, recall, support, strict=True):
        print(f"    {label:<9} precision {p:.3f}  recall {r:.3f}  (n={s})")
    matrix = confusion_matrix(gold, pred, labels=list(SENTIMENTS))
    print("    confusion (rows gold, columns predicted):")
    print("    " + " " * 10 + "".join(f"{label:>10}" for label in SENTIMENTS))
    for label, row in zip(SENTIMENTS, matrix, strict=True):
        print("    " + f"{label:<10}" + "".join(f"{int(v):>10}" for v in row))


def evaluate(path: Path) -> None:
    """Score the evaluation set and print our figures against both baselines."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    texts = [row["text"] for row in rows]
    analyzer = get_analyzer()
    started = time.perf_counter()
    analyzer.warm_up()
    trained = time.perf_counter() - started
    started = time.perf_counter()
    results = analyzer.analyze(texts)
    elapsed = time.perf_counter() - started
    lexicon = lexicon_only(texts)
    majority = collections.Counter(e.sentiment for e in load_examples()).most_common(1)[0][0]
    print(f"model {MODEL_VERSION}: trained in {trained:.2f} s, {len(rows)} comments analysed in {elapsed:.2f} s")
    print(
        f"evaluation set: {path} ({len(rows)} rows; languages {dict(collections.Counter(r['language'] for r in rows))})"
    )
    for lang in EVAL_LANGUAGES:
        idx = [i for i, row in enumerate(rows) if row["language"] == lang]
        if not idx:
            print(f"\n[{lang}] no rows")
            continue
        gold = [rows[i]["sentiment"] for i in idx]
        ours = [results[i].sentiment for i in idx]
        lex = [lexicon[i] for i in idx]
        base = [majority] * len(idx)
        detected = sum(results[i].language == lang for i in idx) / len(idx)
        print(f"\n[{lang}] n={len(idx)}  gold {dict(collections.Counter(gold))}")
        report("ours (lexicon + trained model)", gold, ours)
        report("baseline: lexicon rules only", gold, lex)
        report(f"baseline: majority class ({majority})", gold, base)
        ours_f1, lex_f1, base_f1 = macro_f1(gold, ours), macro_f1(gold, lex), macro_f1(gold, base)
        print(f"  ratio macro-F1 ours/lexicon-only:   {ours_f1 / lex_f1:.2f}" if lex_f1 else "  lexicon-only F1 is 0")
        print(f"  ratio macro-F1 ours/majority-class: {ours_f1 / base_f1:.2f}" if base_f1 else "  majority F1 is 0")
        print(f"  language detection accuracy: {detected:.3f}")


def cross_validate(folds: int = 5) -> None:
    """K-fold cross-validation on the training set: ours and lexicon-only, macro-F1 per gold language."""
    from sklearn.model_selection import StratifiedKFold

    examples = load_examples()
    lexicon = SentimentLexicon()
    detector = LanguageDetector(lexicon.language_words)
    tokens = [tokenize(e.text) for e in examples]
    langs = [detector.detect(e.text, t) for e, t in zip(examples, tokens, strict=True)]
    results = [lexicon.score(t, lang) for t, lang in zip(tokens, langs, strict=True)]
    texts = [model_text(t, r) for t, r in zip(tokens, results, strict=True)]
    gold = np.array([e.sentiment for e in examples])
    pred = np.empty(len(examples), dtype=object)
    strata = [e.language + e.sentiment for e in examples]
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, strata):
        model = SentimentModel().fit(
            [texts[i] for i in train], [results[i] for i in train], [langs[i] for i in train], gold[train]
        )
        proba = model.predict_proba([texts[i] for i in test], [results[i] for i in test], [langs[i] for i in test])
        pred[test] = [label for label, _ in decide(proba, [results[i] for i in test])]
    lex = np.array(
        [
            "positive" if r.score > LEXICON_THRESHOLD else "negative" if r.score < -LEXICON_THRESHOLD else "neutral"
            for r in results
        ]
    )
    print(f"{folds}-fold cross-validation on the training set ({len(examples)} comments)")
    for lang in EVAL_LANGUAGES:
        mask = np.array([e.language == lang for e in examples])
        ours = macro_f1(list(gold[mask]), list(pred[mask]))
        rules = macro_f1(list(gold[mask]), list(lex[mask]))
        detected = float(np.mean([langs[i] == lang for i in np.flatnonzero(mask)]))
        print(
            f"  [{lang}] n={int(mask.sum())}  macro-F1 ours {ours:.3f}  lexicon-only {rules:.3f}  "
            f"ratio {ours / rules:.2f}  language accuracy {detected:.3f}"
        )


def main() -> int:
    """Run the evaluation (or the cross-validation with --cv)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--eval", type=Path, default=EVAL_SET, help="evaluation CSV (id,language,industry,sentiment,text)"
    )
    parser.add_argument("--cv", action="store_true", help="cross-validate on the training set instead")
    args = parser.parse_args()
    if args.cv:
        cross_validate()
        return 0
    if not args.eval.exists():
        print(f"no evaluation set at {args.eval}; pass --eval PATH or run with --cv")
        return 0
    evaluate(args.eval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
