"""The sentiment model: hashed TF-IDF word and character n-grams plus the lexicon's features, one linear head per
language, loaded from the shipped weights in `data/sentiment_model.npz` (trained by
`socialmetrics.analytics.comments.train`).

The weights are a plain numpy archive (no pickle), so they load on any numpy and scikit-learn version: features
come from scikit-learn's `HashingVectorizer` (MurmurHash3, stateless), the TF-IDF weights and the linear heads
are arrays in the archive, and the probabilities are a temperature-scaled softmax computed here.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialmetrics.analytics.comments.lexicon import DATA_DIR, N_FEATURES, LexiconResult
from socialmetrics.analytics.comments.text import EMOJI, MENTION, PUNCT, URL, WORD, Token, squeeze

if TYPE_CHECKING:
    import numpy as np

TRAINING_SET = DATA_DIR / "train.csv"
MODEL_FILE = DATA_DIR / "sentiment_model.npz"
SENTIMENTS = ("positive", "neutral", "negative")
LANGUAGES = ("de", "en", "other")
# Languages with a head of their own; 'other' comments get the mean of both heads' probabilities.
HEADS = ("de", "en")
# Feature space: 2^19 hashed word 1-2-grams and 2^19 hashed character 2-5-grams (within words), then the rules'
# features. Changing any of these needs a retrain (the archive records them and loading checks).
HASH_BITS = 19
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
FORMAT = 1


@dataclass(frozen=True)
class Example:
    """One labelled comment of the project's own training set."""

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


class Vectorizer:
    """Hashed word and character n-gram counts (stateless) and the dense lexicon features."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        common: dict[str, Any] = {
            "n_features": 2**HASH_BITS,
            "lowercase": False,
            "alternate_sign": False,
            "norm": None,
            "dtype": _float32(),
        }
        self.word = HashingVectorizer(token_pattern=r"\S+", ngram_range=WORD_NGRAMS, **common)
        self.char = HashingVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, **common)

    def counts(self, texts: Sequence[str]) -> tuple[Any, Any]:
        """Word and character n-gram counts, one CSR row per model text."""
        return self.word.transform(texts).tocsr(), self.char.transform(texts).tocsr()

    @staticmethod
    def dense(lexicon: Sequence[LexiconResult], weight: float) -> Any:
        """The rules' features, times `weight`."""
        import numpy as np

        out = np.zeros((len(lexicon), N_FEATURES), dtype=np.float32)
        for row, result in enumerate(lexicon):
            out[row] = result.features()
        return out * np.float32(weight)

    @staticmethod
    def word_index(word: str) -> int:
        """The hashed column of one word, as HashingVectorizer computes it (signed MurmurHash3, seed 0)."""
        from sklearn.utils import murmurhash3_32

        return abs(int(murmurhash3_32(word, seed=0))) % 2**HASH_BITS


def idf_from_df(df: np.ndarray, n_docs: int) -> np.ndarray:
    """scikit-learn's smooth IDF: ln((1 + n) / (1 + df)) + 1."""
    import numpy as np

    return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)


def tfidf(counts: Any, idf: np.ndarray) -> Any:
    """Sublinear TF times IDF, each row L2-normalised (what TfidfVectorizer(sublinear_tf=True) does)."""
    import numpy as np
    from sklearn.preprocessing import normalize

    x = counts.astype(np.float32, copy=True)
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    return normalize(x, copy=False)


@dataclass
class Head:
    """One language's weights: IDF per hashed column, the linear layer and the softmax temperature."""

    word_idf: np.ndarray
    char_idf: np.ndarray
    coef: np.ndarray  # (columns, 3) in the order of SENTIMENTS
    intercept: np.ndarray  # (3,)
    temperature: float
    lexicon_weight: float

    def logits(self, counts: tuple[Any, Any], dense: np.ndarray) -> np.ndarray:
        """Raw class scores, (n, 3)."""
        n_hash = 2**HASH_BITS
        words, chars = counts
        out = tfidf(words, self.word_idf) @ self.coef[:n_hash]
        out += tfidf(chars, self.char_idf) @ self.coef[n_hash : 2 * n_hash]
        out += (dense * self.lexicon_weight) @ self.coef[2 * n_hash :]
        return out + self.intercept

    def proba(self, counts: tuple[Any, Any], dense: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, (n, 3)."""
        return softmax(self.logits(counts, dense) / self.temperature)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SentimentModel:
    """The shipped per-language heads over one stateless vectoriser."""

    def __init__(self, heads: dict[str, Head], meta: dict[str, str] | None = None) -> None:
        self.heads = heads
        self.meta = meta or {}
        self.vectorizer = Vectorizer()
        self._salience_cache: dict[str, float] = {}

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> SentimentModel:
        """Read the weights; a missing or foreign file says how to rebuild it."""
        import numpy as np

        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: the sentiment model ships with the package. Reinstall socialmetrics, or "
                "retrain it with `python -m socialmetrics.analytics.comments.train` (needs the shared tone data)"
            )
        with np.load(path, allow_pickle=False) as archive:
            if int(archive["format"]) != FORMAT or int(archive["hash_bits"]) != HASH_BITS:
                raise ValueError(
                    f"{path} has format {int(archive['format'])} / {int(archive['hash_bits'])} hash bits, this "
                    f"code reads format {FORMAT} / {HASH_BITS}; retrain with "
                    "`python -m socialmetrics.analytics.comments.train`"
                )
            n_hash = 2**HASH_BITS
            columns = 2 * n_hash + N_FEATURES
            heads = {}
            for lang in HEADS:
                coef = np.zeros((columns, len(SENTIMENTS)), dtype=np.float32)
                rows = archive[f"{lang}_coef_rows"]
                coef[rows] = archive[f"{lang}_coef_values"]
                heads[lang] = Head(
                    word_idf=_idf(archive, f"{lang}_word", n_hash),
                    char_idf=_idf(archive, f"{lang}_char", n_hash),
                    coef=coef,
                    intercept=archive[f"{lang}_intercept"].astype(np.float32),
                    temperature=float(archive[f"{lang}_temperature"]),
                    lexicon_weight=float(archive[f"{lang}_lexicon_weight"]),
                )
            meta = {str(k): str(v) for k, v in zip(archive["meta_keys"], archive["meta_values"], strict=True)}
        return cls(heads, meta)

    def save(self, path: Path) -> None:
        """Write the weights as a compressed numpy archive, storing only the non-zero rows."""
        import numpy as np

        arrays: dict[str, Any] = {"format": np.int32(FORMAT), "hash_bits": np.int32(HASH_BITS)}
        for lang, head in self.heads.items():
            rows = np.flatnonzero(np.any(head.coef != 0, axis=1)).astype(np.int32)
            arrays[f"{lang}_coef_rows"] = rows
            arrays[f"{lang}_coef_values"] = head.coef[rows].astype(np.float32)
            arrays[f"{lang}_intercept"] = head.intercept.astype(np.float32)
            arrays[f"{lang}_temperature"] = np.float64(head.temperature)
            arrays[f"{lang}_lexicon_weight"] = np.float64(head.lexicon_weight)
            for part, idf in (("word", head.word_idf), ("char", head.char_idf)):
                default = float(idf.max())
                seen = np.flatnonzero(idf != default).astype(np.int32)
                arrays[f"{lang}_{part}_idf_rows"] = seen
                arrays[f"{lang}_{part}_idf_values"] = idf[seen].astype(np.float32)
                arrays[f"{lang}_{part}_idf_default"] = np.float32(default)
        arrays["meta_keys"] = np.array(list(self.meta), dtype=str)
        arrays["meta_values"] = np.array(list(self.meta.values()), dtype=str)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)

    def predict_proba(
        self, texts: Sequence[str], lexicon: Sequence[LexiconResult], languages: Sequence[str]
    ) -> np.ndarray:
        """Calibrated probabilities per comment in the order of SENTIMENTS."""
        import numpy as np

        counts = self.vectorizer.counts(texts)
        dense = self.vectorizer.dense(lexicon, 1.0)
        langs = np.asarray(languages)
        out = np.zeros((len(texts), len(SENTIMENTS)), dtype=np.float64)
        for lang, head in self.heads.items():
            rows = np.flatnonzero((langs == lang) | (langs == "other"))
            if rows.size:
                out[rows] += head.proba((counts[0][rows], counts[1][rows]), dense[rows])
        other = langs == "other"
        out[other] /= len(self.heads)
        return out

    def salience(self, word: str) -> float:
        """How rare a word is in the training text (lowest IDF of the heads); unseen words are the most salient."""
        value = self._salience_cache.get(word)
        if value is None:
            column = self.vectorizer.word_index(word)
            value = min(float(head.word_idf[column]) for head in self.heads.values())
            if len(self._salience_cache) < 100_000:
                self._salience_cache[word] = value
        return value


def _idf(archive: Any, name: str, n_hash: int) -> np.ndarray:
    import numpy as np

    idf = np.full(n_hash, float(archive[f"{name}_idf_default"]), dtype=np.float32)
    idf[archive[f"{name}_idf_rows"]] = archive[f"{name}_idf_values"]
    return idf


def decide(proba: np.ndarray) -> list[tuple[str, float, float]]:
    """Label, score in [-1, 1] and confidence per comment from the calibrated probabilities.

    The label is the most probable class, the score P(positive) - P(negative) and the confidence the probability
    of the label: a report counts a comment's tone only when that is at least CONFIDENCE_THRESHOLD.
    """
    decided = []
    for row in proba:
        best = int(row.argmax())
        score = float(row[0] - row[2])
        decided.append((SENTIMENTS[best], max(-1.0, min(1.0, score)), float(row[best])))
    return decided


def _float32() -> Any:
    import numpy as np

    return np.float32
