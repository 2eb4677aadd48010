"""Train the shipped sentiment model from the shared, human-labelled corpora and the project's own comments.

    .venv/bin/python -m socialmetrics.analytics.comments.train [--data ../shared/data/tone] [--out PATH]

Reads the TRAIN splits of the corpora in CORPORA (never their DEV splits, never GermEval 2017, whose CC BY-NC
licence forbids a shipped model) plus `data/train.csv`, holds out a stratified slice of the corpora's train rows
for evaluation (`held_out`), uses another slice to fit the softmax temperature (calibration), trains one linear
head per language on the rest and writes `data/sentiment_model.npz`. Deterministic: the same data gives the same
file. One to three minutes on one core. See docs/comments.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialmetrics.analytics.comments.model import (
    HEADS,
    MODEL_FILE,
    SENTIMENTS,
    Head,
    SentimentModel,
    Vectorizer,
    idf_from_df,
    load_examples,
    model_text,
)

REPO = Path(__file__).resolve().parents[3]
# The shared data folder sits beside the repository (`../shared/data/tone`; a worktree one level deeper finds
# `../../shared/data/tone`); $SOCIALMETRICS_TONE_DATA or --data point elsewhere.
DEFAULT_DATA = REPO.parent / "shared" / "data" / "tone"
FALLBACK_DATA = REPO.parent.parent / "shared" / "data" / "tone"
DATA_ENV = "SOCIALMETRICS_TONE_DATA"


@dataclass(frozen=True)
class Corpus:
    """One shared CSV: its language, its weight in training and whether a shipped model may learn from it."""

    file: str
    lang: str
    weight: float
    trainable: bool


CORPORA = (
    Corpus("sb10k_de.csv", "de", 1.0, True),
    Corpus("potts_de.csv", "de", 1.0, True),
    # Templated insults to a service robot: real but narrow, so it counts little.
    Corpus("guhr_emotions_de.csv", "de", 0.3, True),
    Corpus("semeval2017_tweeteval_en.csv", "en", 1.0, True),
    # CC BY-NC 4.0: evaluation only, never training.
    Corpus("germeval2017_de_NONCOMMERCIAL.csv", "de", 0.0, False),
)
# The project's own comments (small companies' pages) are the target domain: they weigh this much more.
DOMAIN_WEIGHT = 6.0
HELD_OUT_SHARE = 0.1
CALIBRATION_SHARE = 0.1
SEED = 0
# SGD logistic regression; settings chosen on an internal split of the train rows, never on DEV or held-out.
ALPHA = 2e-5
EPOCHS = 50
TOL = 1e-4
LEXICON_WEIGHT = 1.0
# Naive-Bayes scaling (NB-SVM, Wang & Manning 2012): each hashed column is multiplied by how strongly it separates one
# class from the rest (the largest |log-count ratio| over the three classes, counts of binary presence plus
# NB_SMOOTHING) before the regression, so rare but telling n-grams are not drowned by frequent neutral ones. The
# scale folds into the shipped weights (coef = scale * fitted coef), so prediction is unchanged.
NB_SMOOTHING = 1.0
# Class offsets added to the logits, searched on the calibration slice for the best macro-F1 (neutral stays 0).
BIAS_GRID = tuple(round(-1.0 + 0.1 * i, 1) for i in range(21))


@dataclass(frozen=True)
class Row:
    """One labelled text: where it comes from, its language, label, split and training weight."""

    text: str
    lang: str
    label: str
    source: str
    split: str
    weight: float
    corpus: str


def data_dir(path: Path | None = None) -> Path:
    """The folder of the shared corpora: --data, then $SOCIALMETRICS_TONE_DATA, then ../shared/data/tone."""
    if path is None and os.environ.get(DATA_ENV):
        path = Path(os.environ[DATA_ENV])
    chosen = path or (DEFAULT_DATA if DEFAULT_DATA.is_dir() or not FALLBACK_DATA.is_dir() else FALLBACK_DATA)
    if not chosen.is_dir():
        raise FileNotFoundError(
            f"tone data folder {chosen} not found; pass --data PATH or set ${DATA_ENV} to the folder with "
            "sb10k_de.csv, potts_de.csv, guhr_emotions_de.csv and semeval2017_tweeteval_en.csv"
        )
    return chosen


def read_corpus(folder: Path, corpus: Corpus) -> list[Row]:
    """The rows of one shared CSV (columns text,lang,label,source,split)."""
    path = folder / corpus.file
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; the tone data folder must hold {corpus.file}")
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, rec in enumerate(csv.DictReader(fh), start=2):
            if rec["label"] not in SENTIMENTS:
                raise ValueError(f"{path}:{line}: label must be one of {SENTIMENTS}, got {rec['label']!r}")
            rows.append(
                Row(rec["text"], corpus.lang, rec["label"], rec["source"], rec["split"], corpus.weight, corpus.file)
            )
    return rows


def domain_rows() -> list[Row]:
    """The project's own labelled comments; 'other' rows (emoji only, other languages) train both heads."""
    return [
        Row(e.text, e.language, e.sentiment, f"train.csv:{i}", "train", DOMAIN_WEIGHT, "train.csv")
        for i, e in enumerate(load_examples(), start=2)
    ]


def _bucket(row: Row) -> float:
    """A stable number in [0, 1) per row, so the slices do not depend on file order or Python's hash seed."""
    digest = hashlib.sha256(f"{SEED}:{row.corpus}:{row.source}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_train(rows: Sequence[Row]) -> tuple[list[Row], list[Row], list[Row]]:
    """Fit, calibration and held-out slices of the corpora's train rows, stratified by corpus and label.

    Within each (corpus, label) group the rows are ordered by a hash of their source id: the first 10 % are held
    out (measured, never trained on), the next 10 % calibrate the temperature, the rest is fitted.
    """
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.split == "train":
            groups.setdefault((row.corpus, row.label), []).append(row)
    fit, calibration, held = [], [], []
    for group in groups.values():
        group.sort(key=_bucket)
        n_held = round(len(group) * HELD_OUT_SHARE)
        n_cal = round(len(group) * CALIBRATION_SHARE)
        held += group[:n_held]
        calibration += group[n_held : n_held + n_cal]
        fit += group[n_held + n_cal :]
    return fit, calibration, held


def load_all(folder: Path) -> dict[str, list[Row]]:
    """Every corpus by file name, plus 'train.csv' for the domain comments."""
    out = {corpus.file: read_corpus(folder, corpus) for corpus in CORPORA}
    out["train.csv"] = domain_rows()
    return out


def held_out(folder: Path | None = None) -> list[Row]:
    """The slice of the trainable corpora's train rows that training never sees (for benchmarks)."""
    corpora = load_all(data_dir(folder))
    trainable = [row for c in CORPORA if c.trainable for row in corpora[c.file]]
    return split_train(trainable)[2]


class Featurizer:
    """Tokens, detected-language-free lexicon scores and model texts for training rows."""

    def __init__(self) -> None:
        from socialmetrics.analytics.comments.lexicon import SentimentLexicon

        self.lexicon = SentimentLexicon()
        self.vectorizer = Vectorizer()

    def prepare(self, rows: Sequence[Row], lang: str) -> tuple[list[str], Any]:
        """Model texts and dense lexicon features, scored with the lexicon of `lang` (the head's language)."""
        from socialmetrics.analytics.comments.text import tokenize

        texts, results = [], []
        for row in rows:
            tokens = tokenize(row.text)
            result = self.lexicon.score(tokens, lang)
            texts.append(model_text(tokens, result))
            results.append(result)
        return texts, self.vectorizer.dense(results, 1.0)


def _design(vec: Vectorizer, head: Head, texts: Sequence[str], dense: Any) -> Any:
    from scipy import sparse

    from socialmetrics.analytics.comments.model import tfidf

    words, chars = vec.counts(texts)
    return sparse.hstack(
        [tfidf(words, head.word_idf), tfidf(chars, head.char_idf), sparse.csr_matrix(dense * head.lexicon_weight)],
        format="csr",
    )


def fit_temperature(logits: Any, labels: Sequence[str]) -> float:
    """The softmax temperature that minimises the log-loss on the calibration slice."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    y = np.array([SENTIMENTS.index(label) for label in labels])

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    best = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(best.x))


def fit_bias(logits: Any, labels: Sequence[str]) -> Any:
    """Offsets for the positive and negative logits that maximise macro-F1 on the calibration slice."""
    import numpy as np
    from sklearn.metrics import f1_score

    y = np.array([SENTIMENTS.index(label) for label in labels])
    best, best_f1 = np.zeros(3), -1.0
    for pos in BIAS_GRID:
        for neg in BIAS_GRID:
            offset = np.array([pos, 0.0, neg])
            f1 = float(f1_score(y, (logits + offset).argmax(axis=1), average="macro"))
            if f1 > best_f1 + 1e-9:
                best, best_f1 = offset, f1
    return best


def nb_scale(x: Any, y: Any, n_dense: int, smoothing: float = NB_SMOOTHING) -> Any:
    """Per-column NB-SVM scale: max over classes of |log P(column | class) / P(column | other classes)|.

    Counts are of binary presence, smoothed by `smoothing`; the last `n_dense` columns (the rules' features) keep
    scale 1.
    """
    import numpy as np

    present = x.copy()
    present.data = (present.data != 0).astype(np.float64)
    ratios = []
    for k in range(len(SENTIMENTS)):
        p = np.asarray(present[y == k].sum(axis=0)).ravel() + smoothing
        q = np.asarray(present[y != k].sum(axis=0)).ravel() + smoothing
        ratios.append(np.abs(np.log((p / p.sum()) / (q / q.sum()))))
    scale = np.max(ratios, axis=0).astype(np.float32)
    scale[scale.size - n_dense :] = 1.0
    return scale


def train_head(
    feat: Featurizer, lang: str, fit: Sequence[Row], calibration: Sequence[Row], log: Any = None
) -> tuple[Head, dict[str, float]]:
    """One language's head: IDF from the fit rows, NB-scaled SGD logistic regression, temperature on calibration."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    started = time.perf_counter()
    texts, dense = feat.prepare(fit, lang)
    words, chars = feat.vectorizer.counts(texts)
    n_hash = words.shape[1]
    head = Head(
        word_idf=idf_from_df(np.bincount(words.indices, minlength=n_hash), len(texts)),
        char_idf=idf_from_df(np.bincount(chars.indices, minlength=n_hash), len(texts)),
        coef=np.zeros(0, dtype=np.float32),
        intercept=np.zeros(len(SENTIMENTS), dtype=np.float32),
        temperature=1.0,
        lexicon_weight=LEXICON_WEIGHT,
    )
    x = _design(feat.vectorizer, head, texts, dense)
    y = np.array([row.label for row in fit])
    scale = nb_scale(x, np.array([SENTIMENTS.index(label) for label in y]), dense.shape[1])
    x = x.multiply(scale).tocsr()
    weights = np.array([row.weight for row in fit])
    clf = SGDClassifier(
        loss="log_loss",
        alpha=ALPHA,
        max_iter=EPOCHS,
        tol=TOL,
        random_state=SEED,
    )
    with warnings.catch_warnings():
        # A fixed number of epochs is the design (bounded, deterministic training time), not a failure to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y, sample_weight=weights)
    order = [list(clf.classes_).index(label) for label in SENTIMENTS]
    head.coef = np.ascontiguousarray(clf.coef_[order].T * scale[:, None], dtype=np.float32)
    head.intercept = clf.intercept_[order].astype(np.float32)
    cal_texts, cal_dense = feat.prepare(calibration, lang)
    logits = head.logits(feat.vectorizer.counts(cal_texts), cal_dense)
    gold = [row.label for row in calibration]
    bias = fit_bias(logits, gold)
    head.intercept = (head.intercept + bias).astype(np.float32)
    head.temperature = fit_temperature(logits + bias, gold)
    stats = {"rows": float(len(fit)), "calibration": float(len(calibration)), "seconds": time.perf_counter() - started}
    if log:
        log(
            f"  [{lang}] {len(fit):,} rows, class offsets {bias[0]:+.1f}/{bias[2]:+.1f}, "
            f"temperature {head.temperature:.3f}, {stats['seconds']:.0f} s"
        )
    return head, stats


def train(folder: Path | None = None, out: Path = MODEL_FILE, log: Any = print) -> SentimentModel:
    """Train both heads and write the archive; returns the model."""
    source = data_dir(folder)
    corpora = load_all(source)
    trainable = [row for c in CORPORA if c.trainable for row in corpora[c.file]]
    fit, calibration, held = split_train(trainable)
    domain = corpora["train.csv"]
    log(
        f"training from {source}: {len(fit):,} corpus rows + {len(domain):,} domain comments "
        f"(calibration {len(calibration):,}, held out {len(held):,}; GermEval 2017 and all DEV splits unused)"
    )
    feat = Featurizer()
    heads = {}
    for lang in HEADS:
        rows = [r for r in fit if r.lang == lang] + [r for r in domain if r.lang in (lang, "other")]
        cal = [r for r in calibration if r.lang == lang]
        heads[lang], _ = train_head(feat, lang, rows, cal, log)
    meta = {
        "trained_on": ", ".join(f"{c.file} (train split, weight {c.weight:g})" for c in CORPORA if c.trainable)
        + f", socialmetrics/analytics/comments/data/train.csv (weight {DOMAIN_WEIGHT:g})",
        "held_out_share": f"{HELD_OUT_SHARE:g}",
        "calibration_share": f"{CALIBRATION_SHARE:g}",
        "seed": str(SEED),
    }
    model = SentimentModel(heads, meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return model


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train and write the shipped model."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help=f"tone data folder (default ${DATA_ENV} or ../shared)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE, help="where to write the archive")
    args = parser.parse_args(argv)
    try:
        train(args.data, args.out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
