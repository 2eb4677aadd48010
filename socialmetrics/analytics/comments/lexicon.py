"""Rule-based sentiment from the shipped German/English lexicon: negation, intensifiers, questions, emoji."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from socialmetrics.analytics.comments.text import CLAUSE_END, EMOJI, PUNCT, WORD, Token, fold, squeeze

DATA_DIR = Path(__file__).resolve().parent / "data"
SENTIMENT_LEXICON = DATA_DIR / "lexicon_sentiment.csv"

# Inflection endings tried when a word is not in the lexicon as written ("leckere" -> "lecker", "loved" -> "love").
SUFFIXES = ("sten", "ster", "stes", "ste", "en", "er", "es", "em", "e", "n", "r", "s", "ed", "d", "ly", "ing")
# The shortest stem each ending may leave: "gute" -> "gut" is fine, "mehr" -> "meh" is not.
SHORT_STEM_SUFFIXES = frozenset({"e", "en", "er", "es", "em", "s", "ed", "d"})
# Compound prefixes that intensify the word they stick to: "megalecker", "saugut", "hammergeil", "stinkteuer".
BOOST_PREFIXES = ("oberaffen", "schweine", "hammer", "bomben", "mords", "stink", "ultra", "hyper", "super", "mega")
BOOST_PREFIXES_SHORT = ("sau", "end", "ur")
# Sentence adverbs colour the whole comment; a trailing "nicht" never flips them ("leider nicht mehr").
NOT_NEGATABLE = frozenset({"leider", "unfortunately", "sadly", "schade", "danke", "thanks", "thx", "lol", "endlich"})
# Normalisation constant: a lone "gut" (0.5) scores 0.58, two strong words close to 0.9.
SQUASH_ALPHA = 0.5
NEGATED_POSITIVE_FLOOR = 0.35
NEGATED_NEGATIVE_CAP = 0.4
QUESTION_POSITIVE_WEIGHT = 0.3
QUESTION_NEGATIVE_WEIGHT = 0.85
CONTRAST_BEFORE = 0.6
CONTRAST_AFTER = 1.4
BACKWARD_SCOPE = 4
COMPLAINT_CUES = frozenset({"warum", "wieso", "weshalb", "why", "seriously", "ernsthaft", "ernst"})
COMPLAINT_PAIRS = frozenset({("schon", "wieder"), ("how", "come"), ("wie", "kann"), ("how", "can"), ("wo", "bleibt")})
EMPHATIC_NEGATORS = frozenset({"never", "nie", "niemals"})
EMPHATIC_FOLLOWERS = frozenset({"so", "such", "this", "that"})
# "Isn't this the best bakery?", "Ist das nicht wunderschön?": a negation among the first three words of a question
# is rhetorical and affirms what follows.
RHETORICAL_NEGATORS = frozenset({"isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "nicht", "net", "ned"})
RHETORICAL_SPAN = 3
LANGS = ("de", "en", "other")
# Sarcasm markers: "#ironie", "#sarkasmus", "#sarcasm", "#irony", "#not" or a closing "/s" turn the praise of the
# comment into its opposite ("Super gemacht, jetzt zahlt ihr doppelt #ironie").
SARCASM_TAGS = frozenset({"ironie", "sarkasmus", "sarcasm", "irony", "not", "ironieoff", "sarcasmoff"})
SARCASM_FLIP = -0.8


def read_rows(path: Path) -> Iterator[list[str]]:
    """CSV rows of a shipped lexicon file without its header and `#` comment lines."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if row and not row[0].startswith("#"):
                yield row


@dataclass
class _LangLexicon:
    """The entries that apply to one detected language ('other' sees both languages)."""

    name: str
    words: dict[str, float] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], float] = field(default_factory=dict)
    intensifiers: dict[str, float] = field(default_factory=dict)
    diminishers: dict[str, float] = field(default_factory=dict)
    negators: dict[str, int] = field(default_factory=dict)
    contrast: set[str] = field(default_factory=set)
    max_phrase: int = 1
    phrase_starts: set[str] = field(default_factory=set)
    cache: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class LexiconResult:
    """What the rules found in one comment; `score` is in [-1, 1]."""

    score: float
    positive: float
    negative: float
    hits: int
    negated_positive: int
    negated_negative: int
    question: bool
    emoji: float
    # "Warum ...?", "Why ...?", "schon wieder", "seriously": a question that is a complaint even without a
    # sentiment word.
    complaint: bool = False
    # A sarcasm marker ("#ironie", "/s") was found: positive words were flipped.
    sarcasm: bool = False
    # Token index -> "negpos" / "negneg" for each sentiment word a negation flipped ("nicht gut", "not bad"),
    # and -> "" for the negation word that did it.
    marks: tuple[tuple[int, str], ...] = ()

    def features(self) -> list[float]:
        """Dense features for the linear model."""
        return [
            self.score,
            min(self.positive, 3.0) / 3.0,
            min(self.negative, 3.0) / 3.0,
            1.0 if self.hits == 0 else 0.0,
            min(self.negated_positive, 2) / 2.0,
            min(self.negated_negative, 2) / 2.0,
            1.0 if self.question else 0.0,
            max(-1.0, min(1.0, self.emoji)),
            1.0 if self.complaint else 0.0,
            1.0 if self.sarcasm else 0.0,
        ]


N_FEATURES = 10


class SentimentLexicon:
    """The lexicon of `lexicon_sentiment.csv` and the rules that score a token stream with it."""

    def __init__(self, path: Path = SENTIMENT_LEXICON) -> None:
        self._by_lang: dict[str, _LangLexicon] = {lang: _LangLexicon(lang) for lang in LANGS}
        self.emoji: dict[str, float] = {}
        self.vocabulary: set[str] = set()
        # Words the lexicon lists for one language only: evidence for the language of short comments.
        self.language_words: dict[str, set[str]] = {"de": set(), "en": set()}
        for term, lang, kind, value in read_rows(path):
            self._add(fold(term).strip(), lang, kind, value)

    def _add(self, term: str, lang: str, kind: str, value: str) -> None:
        if kind == "emoji":
            self.emoji[term] = float(value)
            return
        targets = [lx for name, lx in self._by_lang.items() if lang in ("*", name) or name == "other"]
        for lx in targets:
            if kind == "word":
                lx.words.setdefault(term, float(value))
            elif kind == "phrase":
                words = tuple(term.replace("'", "").split())
                lx.phrases.setdefault(words, float(value))
                lx.phrase_starts.add(words[0])
                lx.max_phrase = max(lx.max_phrase, len(words))
            elif kind == "intensifier":
                lx.intensifiers[term] = float(value)
            elif kind == "diminisher":
                lx.diminishers[term] = float(value)
            elif kind == "negator":
                lx.negators[term] = int(value)
            elif kind == "contrast":
                lx.contrast.add(term)
            else:
                raise ValueError(
                    f"{SENTIMENT_LEXICON.name}: unknown kind {kind!r} for {term!r}; use word, phrase, "
                    "emoji, intensifier, diminisher, negator or contrast"
                )
        self.vocabulary.update(term.split())
        if lang in self.language_words and kind != "phrase":
            self.language_words[lang].add(term)

    def valence(self, word: str, lang: str) -> float | None:
        """Valence of one folded word in `lang`, trying casual spellings, inflections and compounds."""
        lx = self._by_lang[lang if lang in self._by_lang else "other"]
        if word in lx.cache:
            return lx.cache[word]
        value = self._lookup(word, lx)
        if len(lx.cache) < 200_000:
            lx.cache[word] = value
        return value

    @staticmethod
    def _inflected(word: str, words: dict[str, float]) -> float | None:
        if word in words:
            return words[word]
        for suffix in SUFFIXES:
            min_stem = 3 if suffix in SHORT_STEM_SUFFIXES else 4
            if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
                stem = word[: -len(suffix)]
                if stem in words:
                    return words[stem]
        return None

    def _lookup(self, word: str, lx: _LangLexicon) -> float | None:
        words = lx.words
        candidates = [word]
        if any(word[i] == word[i + 1] == word[i + 2] for i in range(len(word) - 2)):
            candidates += [squeeze(word, 2), squeeze(word, 1)]
        for cand in candidates:
            value = self._inflected(cand, words)
            if value is not None:
                return value
        if len(word) < 6 or not word.isalpha():
            return None
        for prefix in BOOST_PREFIXES + BOOST_PREFIXES_SHORT:
            rest = word[len(prefix) :].lstrip("-")
            if word.startswith(prefix) and len(rest) >= 3:
                value = self._inflected(rest, words)
                if value is not None and value != 0.0:
                    return max(-1.0, min(1.0, value * 1.4))
        if word.startswith("un"):
            value = self._inflected(word[2:], words)
            if value is not None and value > 0:
                return -0.8 * value
        # German compounds end in their head: "kinderfreundlich", "weltklasse", "servicewueste".
        for cut in range(3, len(word) - 4):
            value = words.get(word[cut:])
            if value is not None and value != 0.0:
                return 0.9 * value
        return None

    def score(self, tokens: list[Token], lang: str) -> LexiconResult:
        """Score a token stream with the rules (see docs/comments.md) in the lexicon of `lang`."""
        lx = self._by_lang[lang if lang in self._by_lang else "other"]
        items: list[list[float]] = []  # [valence, token index]
        marks: dict[int, str] = {}
        question = False
        exclamations = 0
        emoji_total = 0.0
        contrast_at = -1
        clause: list[tuple[int, Token]] = []
        for index, tok in enumerate(tokens + [Token(PUNCT, ".", "")]):
            if tok.kind == PUNCT and tok.norm in CLAUSE_END:
                if tok.norm == "!":
                    exclamations += len(tok.raw)
                start = len(items)
                self._clause(clause, lx, items, marks, question=tok.norm == "?")
                if tok.norm == "?":
                    question = True
                    for item in items[start:]:
                        item[0] *= QUESTION_POSITIVE_WEIGHT if item[0] > 0 else QUESTION_NEGATIVE_WEIGHT
                clause = []
            elif tok.kind in (WORD, EMOJI):
                if contrast_at < 0 and tok.kind == WORD and tok.norm in lx.contrast and index > 0:
                    contrast_at = index
                clause.append((index, tok))
                if tok.kind == EMOJI:
                    emoji_total += self.emoji.get(tok.norm, 0.0)
        sarcasm = _sarcasm(tokens)
        if sarcasm:
            for item in items:
                if item[0] > 0:
                    item[0] *= SARCASM_FLIP
        total = positive = negative = 0.0
        for value, at in items:
            if contrast_at >= 0:
                value *= CONTRAST_BEFORE if at < contrast_at else CONTRAST_AFTER
            total += value
            if value > 0:
                positive += value
            else:
                negative -= value
        if exclamations and total:
            total *= 1.0 + 0.08 * min(exclamations, 3)
        squashed = total / math.sqrt(total * total + SQUASH_ALPHA) if total else 0.0
        flipped = list(marks.values())
        words = [tok.norm for tok in tokens if tok.kind == WORD]
        complaint = not COMPLAINT_CUES.isdisjoint(words) or any(
            (a, b) in COMPLAINT_PAIRS for a, b in zip(words, words[1:], strict=False)
        )
        return LexiconResult(
            squashed,
            positive,
            negative,
            len(items),
            flipped.count("negpos"),
            flipped.count("negneg"),
            question,
            emoji_total,
            complaint,
            sarcasm,
            tuple(sorted(marks.items())),
        )

    def _clause(
        self,
        clause: list[tuple[int, Token]],
        lx: _LangLexicon,
        items: list[list[float]],
        marks: dict[int, str],
        question: bool = False,
    ) -> None:
        """Append the sentiment items of one clause and mark the words a negation flipped."""
        n = len(clause)
        norms = [tok.norm if tok.kind == WORD else "" for _, tok in clause]
        mult = 1.0
        mult_ttl = 0
        scope = 0
        negator_at = -1
        unresolved: list[int] = []  # negators with no sentiment word after them in their scope
        found: list[tuple[int, int, bool]] = []  # (index into items, position in clause, may still be negated)
        # "Can't recommend them enough" / "kann sie nicht genug loben" praise, they do not negate.
        praise = ("enough" in norms or "genug" in norms) and any(w in lx.negators for w in norms)
        i = 0
        while i < n:
            index, tok = clause[i]
            if tok.kind == EMOJI:
                value = self.emoji.get(tok.norm)
                if value:
                    items.append([value, index])
                i += 1
                continue
            matched = self._phrase(norms, i, lx)
            if matched is not None:
                length, value = matched
                if value:  # a 0.0 phrase ("hätte gern", "guten Morgen") only keeps its words from scoring
                    items.append([value * mult, index])
                mult, mult_ttl, scope = 1.0, 0, 0
                i += length
                continue
            word = norms[i]
            if question and i < RHETORICAL_SPAN and word in RHETORICAL_NEGATORS:
                marks[index] = ""
                i += 1
                continue
            if word in lx.negators and not praise:
                if word in EMPHATIC_NEGATORS and EMPHATIC_FOLLOWERS.intersection(norms[i + 1 : i + 3]):
                    # "Never felt so uncomfortable", "noch nie so gut gegessen": emphasis, not negation.
                    mult, mult_ttl = 1.3, 3
                    i += 1
                    continue
                if scope > 0:
                    unresolved.append(negator_at)
                scope, negator_at = lx.negators[word], i
                i += 1
                continue
            boost = lx.intensifiers.get(word) or lx.diminishers.get(word)
            if boost is not None and self._sentiment_ahead(norms, i, lx):
                mult, mult_ttl = min(mult * boost, 2.5), 2
                i += 1
                continue
            value = self.valence(word, lx.name) if word else None
            if value:
                value *= mult
                if tok.caps:
                    value *= 1.3
                if tok.elongated:
                    value *= 1.2
                negatable = word not in NOT_NEGATABLE
                if scope > 0 and negatable:
                    marks[index] = "negpos" if value > 0 else "negneg"
                    marks[clause[negator_at][0]] = ""
                    value, scope, negatable = _negate(value), 0, False
                items.append([max(-1.5, min(1.5, value)), index])
                found.append((len(items) - 1, i, negatable))
                mult, mult_ttl = 1.0, 0
            else:
                if mult_ttl:
                    mult_ttl -= 1
                    mult = mult if mult_ttl else 1.0
                if scope:
                    scope -= 1
                    if not scope:
                        unresolved.append(negator_at)
            i += 1
        if scope:
            unresolved.append(negator_at)
        # German puts "nicht" after the verb: "Das schmeckt mir nicht", "gefällt uns nicht mehr".
        for at in unresolved:
            for item_idx, position, negatable in reversed(found):
                if position >= at:
                    continue
                if position < at - BACKWARD_SCOPE:
                    break
                if negatable and items[item_idx][0] > 0:
                    items[item_idx][0] = _negate(items[item_idx][0])
                    marks[clause[position][0]] = "negpos"
                    marks[clause[at][0]] = ""
                    break

    @staticmethod
    def _phrase(norms: list[str], i: int, lx: _LangLexicon) -> tuple[int, float] | None:
        if norms[i] not in lx.phrase_starts:
            return None
        for length in range(min(lx.max_phrase, len(norms) - i), 1, -1):
            value = lx.phrases.get(tuple(norms[i : i + length]))
            if value is not None:
                return length, value
        value = lx.phrases.get((norms[i],))
        if value is not None:
            return 1, value
        return None

    def _sentiment_ahead(self, norms: list[str], i: int, lx: _LangLexicon) -> bool:
        for j in range(i + 1, min(i + 3, len(norms))):
            word = norms[j]
            if not word or word in lx.negators:
                return False
            if self._phrase(norms, j, lx) is not None or self.valence(word, lx.name):
                return True
        return False


def _sarcasm(tokens: list[Token]) -> bool:
    """Whether a hashtag like #ironie / #sarcasm, or a closing "/s", marks the comment as sarcastic."""
    for prev, tok in zip(tokens, tokens[1:], strict=False):
        if prev.kind == EMOJI and prev.norm == "#" and tok.kind == WORD and tok.norm in SARCASM_TAGS:
            return True
    words = [i for i, tok in enumerate(tokens) if tok.kind == WORD]
    if words and tokens[words[-1]].norm == "s" and words[-1] > 0:
        before = tokens[words[-1] - 1]
        return before.kind == EMOJI and before.norm == "/"
    return False


def _negate(value: float) -> float:
    """Flip a negated valence: "nicht gut" is clearly negative, "nicht schlecht" only mildly positive."""
    if value > 0:
        return -max(NEGATED_POSITIVE_FLOOR, 0.8 * value)
    return min(NEGATED_NEGATIVE_CAP, 0.5 * -value)
