"""Normalisation and tokenisation shared by the language, sentiment and topic steps."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

WORD = "word"
EMOJI = "emoji"
PUNCT = "punct"
MENTION = "mention"
URL = "url"

# Clause boundaries: negation scope and question handling never cross them.
CLAUSE_END = frozenset({".", "!", "?", ";", ",", "…", "\n", ":"})

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "'", "`": "'", "é": "e", "è": "e"})

# Variation selectors, zero-width joiners, skin tones and the gender signs of ZWJ sequences carry no sentiment:
# "🤦🏽‍♀️" scores like "🤦".
_EMOJI_NOISE = frozenset(
    {"\ufe0f", "\ufe0e", "\u200d", "\u2640", "\u2642", "\u20e3"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}
)

_TOKEN_RE = re.compile(
    r"""
    (?P<url>https?://\S+|www\.\S+)
    |(?P<mention>@[\w.]+)
    |(?P<emoticon>(?<![:;=])(?:>:\(|:'[()]|[:;=][-^']?[()DPpdOo0/*|\[\]]|<3+|\^[_.-]?\^|-_+-|[tT]_+[tT]|[oO]_[oO])(?![\w)(]))
    |(?P<rating>\b\d{1,2}\s?/\s?\d{1,2}\b)
    |(?P<word>[^\W_]+(?:['’][^\W_]+)*)
    |(?P<punct>[.!?;,:…]+|\n)
    |(?P<symbol>[^\s\w])
    """,
    re.VERBOSE,
)
_REPEAT3 = re.compile(r"(\w)\1{2,}")
_REPEAT2 = re.compile(r"(\w)\1+")


class Token(NamedTuple):
    """One token: its kind, folded form, the text as written and two emphasis flags."""

    kind: str
    norm: str
    raw: str
    caps: bool = False
    elongated: bool = False


def fold(text: str) -> str:
    """Lower-case, NFC and umlaut folding, so "schön", "schoen" and "SCHÖN" compare equal."""
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD)


def squeeze(word: str, keep: int = 2) -> str:
    """Collapse letter runs of three or more ("suuuper") to `keep` letters."""
    if keep == 1:
        return _REPEAT2.sub(r"\1", word)
    return _REPEAT3.sub(r"\1\1", word)


def tokenize(text: str) -> list[Token]:
    """Words, emoji, emoticons, punctuation, mentions and URLs in reading order."""
    tokens: list[Token] = []
    append = tokens.append
    for m in _TOKEN_RE.finditer(unicodedata.normalize("NFC", text)):
        kind = m.lastgroup
        raw = m.group()
        if kind == "word":
            norm = raw.lower().translate(_FOLD).replace("'", "")
            elongated = _REPEAT3.search(norm) is not None
            caps = len(raw) >= 3 and raw.isupper()
            append(Token(WORD, norm, raw, caps, elongated))
        elif kind == "punct":
            if raw == "\n":
                append(Token(PUNCT, "\n", raw))
            else:
                # "?!" counts as a question, "!!!" as emphasis: keep the strongest mark first.
                mark = "?" if "?" in raw else raw[0]
                append(Token(PUNCT, mark, raw))
        elif kind == "symbol":
            if raw not in _EMOJI_NOISE:
                append(Token(EMOJI, raw, raw))
        elif kind == "emoticon":
            norm = raw.lower()
            append(Token(EMOJI, "<3" if norm.startswith("<3") else norm, raw))
        elif kind == "rating":
            append(Token(WORD, raw.replace(" ", ""), raw))
        elif kind == "mention":
            append(Token(MENTION, raw.lower(), raw))
        else:
            append(Token(URL, raw, raw))
    return tokens
