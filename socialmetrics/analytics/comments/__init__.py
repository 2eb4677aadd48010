"""Offline analysis of social-media comments: language, sentiment with a score, and topics.

Nothing is downloaded: the lexicons and the trained weights (`data/sentiment_model.npz`, built by
`python -m socialmetrics.analytics.comments.train`) ship in `data/`; they are loaded on first use and kept
for the life of the process. See docs/comments.md.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "LANGUAGES",
    "MODEL_VERSION",
    "SENTIMENTS",
    "CommentAnalysis",
    "CommentAnalyzer",
    "get_analyzer",
]

LANGUAGES = ("de", "en", "other")
SENTIMENTS = ("positive", "neutral", "negative")
# Bump when the rules change in a way the file hashes below would not show (they cover data and code anyway).
MODEL_SERIES = "2"
# A comment's tone counts in the marts and the report only when the calibrated probability of its label is at least
# this; the others are counted as uncertain. On the held-out slice and the DEV splits the labels above it are right
# about 4 times in 5 (see benchmarks/comment_sentiment.py, reliability table).
CONFIDENCE_THRESHOLD = 0.6
# Comments are scored in chunks of this size so a huge batch does not build one huge feature matrix.
BATCH = 4096

_PACKAGE = Path(__file__).resolve().parent
_VERSIONED_FILES = ("text.py", "lexicon.py", "language.py", "topics.py", "model.py", "__init__.py")


def _model_version() -> str:
    digest = hashlib.sha256()
    shipped = sorted(p for p in (_PACKAGE / "data").iterdir() if p.suffix in (".csv", ".npz"))
    for path in shipped + [_PACKAGE / name for name in _VERSIONED_FILES]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    for dist in ("scikit-learn", "py3langid"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=missing".encode())
    return f"{MODEL_SERIES}.{digest.hexdigest()[:12]}"


MODEL_VERSION: str = _model_version()


@dataclass(frozen=True)
class CommentAnalysis:
    """Result for one comment: language, sentiment label, score in [-1, 1] (positive > 0), topics, confidence.

    `confidence` is the calibrated probability of `sentiment` (1/3..1; 0.0 for an empty comment); `confident` says
    whether it reaches CONFIDENCE_THRESHOLD.
    """

    language: str
    sentiment: str
    score: float
    topics: tuple[str, ...]
    confidence: float = 0.0

    @property
    def confident(self) -> bool:
        """Whether the label is sure enough to count in tone shares."""
        return self.confidence >= CONFIDENCE_THRESHOLD


EMPTY = CommentAnalysis("other", "neutral", 0.0, ())


class _Engine:
    """The loaded pieces; built once per process by `_engine()`."""

    def __init__(self) -> None:
        from socialmetrics.analytics.comments.language import LanguageDetector
        from socialmetrics.analytics.comments.lexicon import SentimentLexicon
        from socialmetrics.analytics.comments.model import SentimentModel
        from socialmetrics.analytics.comments.topics import TopicMatcher

        self.lexicon = SentimentLexicon()
        self.detector = LanguageDetector(self.lexicon.language_words)
        self.topics = TopicMatcher()
        self.stopwords = frozenset(self.detector.stopwords | self.lexicon.vocabulary | self.topics.vocabulary)
        self.model = SentimentModel.load()

    def analyze(self, texts: Sequence[str | None]) -> list[CommentAnalysis]:
        from socialmetrics.analytics.comments.model import decide, model_text
        from socialmetrics.analytics.comments.text import tokenize

        results: list[CommentAnalysis] = [EMPTY] * len(texts)
        for start in range(0, len(texts), BATCH):
            rows, model_texts, lexicon, languages, topics = [], [], [], [], []
            for row in range(start, min(start + BATCH, len(texts))):
                text = texts[row]
                # pandas hands over NaN for a missing text: anything that is not a string counts as empty.
                if not isinstance(text, str) or not text.strip():
                    continue
                tokens = tokenize(text)
                lang = self.detector.detect(text, tokens)
                result = self.lexicon.score(tokens, lang)
                rows.append(row)
                model_texts.append(model_text(tokens, result))
                lexicon.append(result)
                languages.append(lang)
                topics.append(self.topics.match(tokens, lang, self.stopwords, self.model.salience))
            if not rows:
                continue
            proba = self.model.predict_proba(model_texts, lexicon, languages)
            for i, (row, (label, score, confidence)) in enumerate(zip(rows, decide(proba), strict=True)):
                results[row] = CommentAnalysis(languages[i], label, round(score, 4), topics[i], round(confidence, 4))
        return results


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                _ENGINE = _Engine()
    return _ENGINE


class CommentAnalyzer:
    """Classifies comments; the model is loaded on the first call and shared by every analyzer in the process."""

    def analyze(self, texts: Sequence[str | None]) -> list[CommentAnalysis]:
        """One result per text, in order; None or blank text gives ('other', 'neutral', 0.0, ())."""
        if isinstance(texts, str):
            raise TypeError("analyze() takes a sequence of comments; wrap a single comment in a list: analyze([text])")
        if not any(isinstance(text, str) and text.strip() for text in texts):
            return [EMPTY] * len(texts)
        return _engine().analyze(texts)

    def warm_up(self) -> None:
        """Load the sentiment and language models now instead of on the first comment."""
        _engine().detector.warm_up()


_ANALYZER: CommentAnalyzer | None = None


def get_analyzer() -> CommentAnalyzer:
    """The process-wide analyzer."""
    global _ANALYZER
    if _ANALYZER is None:
        with _ENGINE_LOCK:
            if _ANALYZER is None:
                _ANALYZER = CommentAnalyzer()
    return _ANALYZER
