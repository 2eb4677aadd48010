"""Language of a comment: 'de', 'en' or 'other', from py3langid plus German/English hint words."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

from socialmetrics.analytics.comments.lexicon import DATA_DIR, read_rows
from socialmetrics.analytics.comments.text import WORD, Token, fold

if TYPE_CHECKING:
    from collections.abc import Sequence

LANGUAGE_HINTS = DATA_DIR / "lexicon_language.csv"
# py3langid chooses among these; everything that is not de/en becomes 'other'. Danish, Dutch and Swedish are in the
# set because Bavarian and Low German comments look like them to a character model: the hint words pull them back.
LANGID_SET = ("de", "en", "fr", "it", "es", "pt", "nl", "da", "sv", "no", "pl", "cs", "hr", "tr", "ru", "ro", "hu")
# A hint word is worth this much log-probability; dialect words carry weight 1.5 in the hint file.
HINT_WEIGHT = 1.2
# Below this many letters or words py3langid is guesswork and only hint words decide.
SHORT_LETTERS = 12
SHORT_WORDS = 2
PROB_FLOOR = 1e-4
# Sentiment words listed for one language only ("lecker", "awesome") are weaker evidence than function words.
LEXICON_HINT_WEIGHT = 0.7
# Enough German (or English) function words, and three times more than of the other language, settle it without
# py3langid, which costs about 0.1 ms per comment in pure Python. Long comments are identified by their start.
DECISIVE_HINTS = 4.0
DECISIVE_RATIO = 3.0
LANGID_MAX_CHARS = 400


class LanguageDetector:
    """Detects 'de', 'en' or 'other'; py3langid's model is loaded on first use (about 0.7 s)."""

    def __init__(self, lexicon_words: dict[str, set[str]] | None = None) -> None:
        self.hints: dict[str, dict[str, float]] = {"de": {}, "en": {}}
        for lang, words in (lexicon_words or {}).items():
            for word in words:
                self.hints[lang][word] = LEXICON_HINT_WEIGHT
        self.stopwords: set[str] = set()
        for term, lang, weight in read_rows(LANGUAGE_HINTS):
            word = fold(term).replace("'", "")
            self.stopwords.add(word)
            if lang in self.hints:
                self.hints[lang][word] = float(weight)
        self._identifier: Any = None
        self._lock = threading.Lock()

    def _langid(self) -> Any:
        if self._identifier is None:
            with self._lock:
                if self._identifier is None:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier

                    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                    identifier.set_languages(list(LANGID_SET))
                    self._identifier = identifier
        return self._identifier

    def warm_up(self) -> None:
        """Load py3langid's model now rather than on the first comment."""
        self._langid()

    def hint_scores(self, tokens: Sequence[Token]) -> tuple[float, float, int, int]:
        """German and English hint evidence, the number of words and of letters."""
        de = en = 0.0
        words = letters = 0
        de_hints, en_hints = self.hints["de"], self.hints["en"]
        for tok in tokens:
            if tok.kind != WORD:
                continue
            words += 1
            letters += len(tok.norm) if tok.norm.isalpha() else sum(map(str.isalpha, tok.norm))
            de += de_hints.get(tok.norm, 0.0)
            en += en_hints.get(tok.norm, 0.0)
        return de, en, words, letters

    def detect(self, text: str, tokens: Sequence[Token]) -> str:
        """'de', 'en' or 'other' for one comment."""
        de, en, words, letters = self.hint_scores(tokens)
        if letters == 0:
            return "other"
        if letters < SHORT_LETTERS or words <= SHORT_WORDS:
            if de > en:
                return "de"
            if en > de:
                return "en"
            return "other"
        if de >= DECISIVE_HINTS and de >= DECISIVE_RATIO * en:
            return "de"
        if en >= DECISIVE_HINTS and en >= DECISIVE_RATIO * de:
            return "en"
        ranked = self._langid().rank(text[:LANGID_MAX_CHARS])
        probs = dict(ranked)
        best_other = max((p for lang, p in ranked if lang not in ("de", "en")), default=0.0)
        scores = {
            "de": math.log(probs.get("de", 0.0) + PROB_FLOOR) + HINT_WEIGHT * de,
            "en": math.log(probs.get("en", 0.0) + PROB_FLOOR) + HINT_WEIGHT * en,
            "other": math.log(best_other + PROB_FLOOR),
        }
        return max(scores, key=lambda lang: scores[lang])
