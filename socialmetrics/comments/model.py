"""The sentiment model: TF-IDF word and character n-grams plus the lexicon's features, trained on `data/train.csv`."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialmetrics.comments.lexicon import DATA_DIR, N_FEATURES, LexiconResult
from socialmetrics.comments.text import EMOJI, MENTION, PUNCT, URL, WORD, Token, squeeze

if TYPE_CHECKING:
    import numpy as np

TRAINING_SET = DATA_DIR / "train.csv"
SENTIMENTS = ("positive", "neutral", "negative")
LANGUAGES = ("de", "en", "other")
RANDOM_STATE = 0
# Chosen by 5-fold cross-validation on the training set (see benchmarks/comment_sentiment.py --cv).
C = 4.0
LEXICON_WEIGHT = 3.0
CHAR_NGRAMS = (3, 5)
WORD_NGRAMS = (1, 2)
NEUTRAL_QUESTION_DAMPING = 0.25
SOLVER = "newton-cg"
TOL = 1e-4


@dataclass(frozen=True)
class Example:
    """One labelled comment of the training set."""

    language: str
    industry: str
    sentiment: str
    text: str


def load_examples(path: Path = TRAINING_SET) -> list[Example]:
    """The labelled comments, checked for the columns and labels the model expects."""
    examples = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"language", "industry", "sentiment", "text"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {sorted(missing)}; expected language,industry,sentiment,text")
        for line, row in enumerate(reader, start=2):
            if row["sentiment"] not in SENTIMENTS or row["language"] not in LANGUAGES:
                raise ValueError(
                    f"{path}:{line}: sentiment must be one of {SENTIMENTS} and language one of {LANGUAGES}, "
                    f"got {row['sentiment']!r}/{row['language']!r}"
                )
            examples.append(Example(row["language"], row["industry"], row["sentiment"], row["text"]))
    return examples


def model_text(tokens: Sequence[Token], lexicon: LexiconResult | None = None) -> str:
    """The comment as the vectorisers see it: folded words with letter runs squeezed, emoji, ? and !.

    A sentiment word that a negation flipped is replaced by "negpos" or "negneg", so "nicht schlecht" does not
    teach the model that "schlecht" is fine and "not bad" shares its evidence with "nicht übel".
    """
    marks = dict(lexicon.marks) if lexicon is not None else {}
    parts = []
    for index, tok in enumerate(tokens):
        if index in marks:
            if marks[index]:
                parts.append(marks[index])
        elif tok.kind == WORD:
            parts.append(squeeze(tok.norm, 2) if tok.elongated else tok.norm)
        elif tok.kind == EMOJI:
            parts.append(tok.norm)
        elif tok.kind == PUNCT and tok.norm in ("?", "!"):
            parts.append(tok.norm)
        elif tok.kind == MENTION:
            parts.append("@user")
        elif tok.kind == URL:
            parts.append("http")
    return " ".join(parts)


class SentimentModel:
    """Logistic regression over word n-grams, character n-grams, lexicon features and the language."""

    def __init__(self) -> None:
        self._word: Any = None
        self._char: Any = None
        self._clf: Any = None
        self._idf: dict[str, float] = {}
        self._max_idf = 1.0

    def fit(
        self, texts: Sequence[str], lexicon: Sequence[LexiconResult], languages: Sequence[str], labels: Sequence[str]
    ) -> SentimentModel:
        """Train on model texts (see `model_text`), their lexicon results, languages and gold labels."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self._word = TfidfVectorizer(
            token_pattern=r"\S+", ngram_range=WORD_NGRAMS, sublinear_tf=True, lowercase=False, dtype=_float32()
        )
        self._char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=CHAR_NGRAMS,
            min_df=2,
            sublinear_tf=True,
            lowercase=False,
            dtype=_float32(),
        )
        x = self._features(texts, lexicon, languages, fit=True)
        self._clf = LogisticRegression(C=C, max_iter=3000, solver=SOLVER, tol=TOL, random_state=RANDOM_STATE)
        self._clf.fit(x, list(labels))
        vocab = self._word.vocabulary_
        idf = self._word.idf_
        self._idf = {term: float(idf[index]) for term, index in vocab.items() if " " not in term}
        self._max_idf = float(idf.max())
        return self

    def _features(
        self, texts: Sequence[str], lexicon: Sequence[LexiconResult], languages: Sequence[str], fit: bool = False
    ) -> Any:
        import numpy as np
        from scipy import sparse

        words = self._word.fit_transform(texts) if fit else self._word.transform(texts)
        chars = self._char.fit_transform(texts) if fit else self._char.transform(texts)
        dense = np.zeros((len(texts), N_FEATURES + len(LANGUAGES)), dtype=np.float32)
        for row, (result, lang) in enumerate(zip(lexicon, languages, strict=True)):
            dense[row, :N_FEATURES] = result.features()
            dense[row, N_FEATURES + LANGUAGES.index(lang)] = 1.0
        dense *= LEXICON_WEIGHT
        return sparse.hstack([words, chars, sparse.csr_matrix(dense)], format="csr")

    def predict_proba(
        self, texts: Sequence[str], lexicon: Sequence[LexiconResult], languages: Sequence[str]
    ) -> np.ndarray:
        """Probabilities per comment in the order of SENTIMENTS."""
        proba = self._clf.predict_proba(self._features(texts, lexicon, languages))
        order = [list(self._clf.classes_).index(label) for label in SENTIMENTS]
        return proba[:, order]

    def salience(self, word: str) -> float:
        """Inverse document frequency of a word in the training set; unseen words are the most salient."""
        return self._idf.get(word, self._max_idf)


def decide(proba: np.ndarray, lexicon: Sequence[LexiconResult]) -> list[tuple[str, float]]:
    """Label and score in [-1, 1] per comment from the model's probabilities and the lexicon's findings.

    The score is P(positive) - P(negative). A question without a single evaluative word or complaint cue asks
    for information ("Habt ihr Sonntag offen?"): it is neutral whatever the n-grams suggest.
    """
    decided = []
    for row, found in zip(proba, lexicon, strict=True):
        label = SENTIMENTS[int(row.argmax())]
        score = float(row[0] - row[2])
        if found.question and not found.hits and not found.complaint:
            label, score = "neutral", score * NEUTRAL_QUESTION_DAMPING
        decided.append((label, max(-1.0, min(1.0, score))))
    return decided


def _float32() -> Any:
    import numpy as np

    return np.float32
