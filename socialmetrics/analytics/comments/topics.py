"""Topics of a comment: the curated topic lexicon first, salient keywords when it finds nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from socialmetrics.analytics.comments.lexicon import DATA_DIR, read_rows
from socialmetrics.analytics.comments.text import WORD, Token, fold

TOPIC_LEXICON = DATA_DIR / "lexicon_topics.csv"
MAX_TOPICS = 3
MAX_KEYWORDS = 2
# A comment needs this many words before keywords are pulled from it ("Danke!" has no topic).
KEYWORD_MIN_WORDS = 3
KEYWORD_MIN_LENGTH = 4
# Plural and inflection endings tried for whole-word terms: "Termine" -> "termin", "rooms" -> "room".
SUFFIXES = ("en", "es", "e", "n", "s", "er")
MIN_STEM = 4
# The topic of phrases that only look like a topic ("great job" is praise, not a vacancy).
NO_TOPIC = "-"
# English words with these endings are verbs and adverbs far more often than subjects.
NON_NOUN_ENDINGS = ("ing", "ed", "ly")


# The English names of the lexicon's topics (the stored topic is the German name; the English report shows these).
# A topic added to lexicon_topics.csv needs its English name here (tests/test_report.py checks every one has one).
TOPIC_LABELS_EN = {
    "Ausstattung": "Facilities",
    "Beratung": "Advice",
    "Erreichbarkeit": "Getting in touch",
    "Essen & Trinken": "Food & drink",
    "Jobs": "Jobs",
    "Lieferung": "Delivery",
    "Nachhaltigkeit": "Sustainability",
    "Online-Shop": "Online shop",
    "Personal": "Staff",
    "Preis": "Price",
    "Produkt": "Product",
    "Qualität": "Quality",
    "Sauberkeit": "Cleanliness",
    "Service": "Service",
    "Standort": "Location",
    "Termin": "Appointments",
    "Veranstaltung": "Events",
    "Wartezeit": "Waiting time",
    "Öffnungszeiten": "Opening hours",
}


def topic_label(topic: str, lang: str) -> str:
    """A stored topic as a report in `lang` names it: the lexicon's topics translated; a keyword (a comment's own
    word, where the lexicon found no topic) quoted as written."""
    if lang == "de":
        return topic
    if topic in TOPIC_LABELS_EN:
        return TOPIC_LABELS_EN[topic]
    return f"“{topic}”"


class TopicMatcher:
    """Maps words to the German topic names of `lexicon_topics.csv`."""

    def __init__(self, path: Path = TOPIC_LEXICON) -> None:
        self.exact: dict[str, str] = {}
        self.prefix: list[tuple[str, str]] = []
        self.suffix: list[tuple[str, str]] = []
        self.infix: list[tuple[str, str]] = []
        self.phrases: dict[tuple[str, ...], str] = {}
        self.topics: list[str] = []
        self.vocabulary: set[str] = set()
        for topic, term in read_rows(path):
            if topic not in self.topics and topic != NO_TOPIC:
                self.topics.append(topic)
            norm = fold(term).strip().replace("-", " ").replace("'", "")
            words = tuple(norm.strip("*").split())
            if len(words) > 1:
                self.phrases[words] = topic
            elif norm.startswith("*") and norm.endswith("*"):
                self.infix.append((norm.strip("*"), topic))
            elif norm.endswith("*"):
                self.prefix.append((norm.rstrip("*"), topic))
            elif norm.startswith("*"):
                self.suffix.append((norm.lstrip("*"), topic))
            else:
                self.exact[norm] = topic
            self.vocabulary.update(words)
        self.max_phrase = max((len(p) for p in self.phrases), default=1)
        self._cache: dict[str, str | None] = {}

    def topic_of(self, word: str) -> str | None:
        """The topic one folded word belongs to, or None."""
        cached = self._cache.get(word, "")
        if cached != "":
            return cached
        topic = self._match(word)
        if len(self._cache) < 200_000:
            self._cache[word] = topic
        return topic

    def _match(self, word: str) -> str | None:
        if word in self.exact:
            return self.exact[word]
        for suffix in SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM and word[: -len(suffix)] in self.exact:
                return self.exact[word[: -len(suffix)]]
        for stem, topic in self.prefix:
            if word.startswith(stem):
                return topic
        for stem, topic in self.suffix:
            if word.endswith(stem) and len(word) > len(stem) + 2:
                return topic
        for stem, topic in self.infix:
            if stem in word:
                return topic
        return None

    def match(
        self,
        tokens: Sequence[Token],
        language: str = "other",
        stopwords: set[str] | frozenset[str] = frozenset(),
        salience: Callable[[str], float] | None = None,
    ) -> tuple[str, ...]:
        """Up to three topics in order of first mention; keywords stand in when no topic matches."""
        words = [t for t in tokens if t.kind == WORD]
        norms = [t.norm for t in words]
        found: dict[str, int] = {}
        i = 0
        while i < len(norms):
            step = 1
            topic = None
            for length in range(min(self.max_phrase, len(norms) - i), 1, -1):
                topic = self.phrases.get(tuple(norms[i : i + length]))
                if topic is not None:
                    step = length
                    break
            if topic is None:
                topic = self.topic_of(norms[i])
            if topic is not None and topic != NO_TOPIC:
                found[topic] = found.get(topic, 0) + 1
            i += step
        if found:
            ranked = sorted(found, key=lambda t: -found[t])[:MAX_TOPICS]
            order = list(found)
            return tuple(sorted(ranked, key=order.index))
        if len(words) < KEYWORD_MIN_WORDS:
            return ()
        return self.keywords(tokens, language, stopwords, salience)

    @staticmethod
    def keywords(
        tokens: Sequence[Token],
        language: str,
        stopwords: set[str] | frozenset[str],
        salience: Callable[[str], float] | None,
    ) -> tuple[str, ...]:
        """The most salient content words, written as in the comment with a capital first letter.

        German capitalises nouns, so in a German comment only capitalised words that do not open a sentence count:
        that keeps verbs and dialect spellings ("gfunde", "amoi") out. Elsewhere any word outside the stopwords
        counts unless its ending marks a verb or adverb.
        """
        scored: dict[str, tuple[float, int, str]] = {}
        sentence_start = True
        for index, tok in enumerate(tokens):
            if tok.kind != WORD:
                sentence_start = sentence_start or tok.norm in (".", "!", "?", "\n")
                continue
            opens_sentence, sentence_start = sentence_start, False
            word = tok.norm
            if len(word) < KEYWORD_MIN_LENGTH or not word.isalpha() or word in stopwords or word in scored:
                continue
            if language == "de":
                if opens_sentence or not tok.raw[:1].isupper() or tok.raw.isupper():
                    continue
            elif word.endswith(NON_NOUN_ENDINGS):
                continue
            weight = salience(word) if salience is not None else 1.0
            scored[word] = (weight, index, tok.raw[:1].upper() + tok.raw[1:])
        best = sorted(scored.values(), key=lambda item: (-item[0], item[1]))[:MAX_KEYWORDS]
        return tuple(label for _, _, label in sorted(best, key=lambda item: item[1]))
