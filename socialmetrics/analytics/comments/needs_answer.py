"""Which comments need an answer from the account: questions and complaints, by written rules.

`classify(text, language, tone)` returns `(needs_answer, reason)` with `reason` "question", "complaint" or None.
The rules are the ones in docs/needs-answer-rules.md (what a labeller counts); they are plain Python: clause-wise
question marks and question openings in German (standard, Swiss, Austrian, Bavarian spellings) and English, minus
rhetorical and non-actionable questions (praise with a question mark, "Wer kennt das nicht?", a friend tagged with
"schau mal", emoji only); complaints are dissatisfaction with a product, a service, a delivery or the company's
staff: strong cue phrases on their own ("nie wieder", "Lieferung kam nicht", "keine Antwort", "refund"), weaker
ones ("kalt", "enttäuscht", "worst") only with the tone model's "negative" label or a service word.

`tone` is the label of `socialmetrics.analytics.comments` ("positive", "neutral", "negative"); None means unknown
and the complaint rules then rest on cue phrases alone. `language` ("de", "en", "other") is accepted for callers
that have it; the rules check both languages' cues either way, because short comments are often misdetected.

Measured on a labelled set of public German and English tweets: benchmarks/needs_answer.py, docs/comments.md.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["REASONS", "RULES_VERSION", "classify"]

# Bump when a rule changes: stored flags made by an older version can then be recomputed.
RULES_VERSION = "1.0"
REASONS = ("question", "complaint")

_FOLD = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "'", "‘": "'", "`": "'", "´": "'", "é": "e", "è": "e"}
)
_URL = re.compile(r"https?://\S+|www\.\S+|\bhttp\b")
_MENTION = re.compile(r"@[\w.]+")
_HASHTAG = re.compile(r"#(\w+)")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# A clause ends at . ! ? ; … or a line break; "?!" and "!?" end a question.
_CLAUSE = re.compile(r"[^.!?;…\n]*[.!?;…\n]+|[^.!?;…\n]+$")
_SPACE = re.compile(r"\s+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD)


def _words(text: str) -> list[str]:
    return [w.replace("'", "") for w in _WORD.findall(text)]


def _phrase(words: list[str], phrases: frozenset[tuple[str, ...]]) -> bool:
    """Whether any phrase (a tuple of words, a trailing '*' word matches as a prefix) occurs in order."""
    n = len(words)
    for phrase in phrases:
        k = len(phrase)
        for i in range(n - k + 1):
            if all(_match(words[i + j], part) for j, part in enumerate(phrase)):
                return True
    return False


def _match(word: str, part: str) -> bool:
    if part.endswith("*"):
        return word.startswith(part[:-1])
    return word == part


def _phrases(*items: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(item.split()) for item in items)


# --- questions -------------------------------------------------------------------------------------------------

# Openings of a question even without "?" (the first words of a clause, after @mentions).
QUESTION_OPENINGS = _phrases(
    # German: verb first with a pronoun, "kann man", "gibt es", question words with a verb
    "kann man",
    "koennte man",
    "darf man",
    "muss man",
    "kann ich",
    "koennt ihr",
    "koennen sie",
    "koenntet ihr",
    "kann mir",
    "koennt ihr mir",
    "habt ihr",
    "hend ihr",
    "haend ihr",
    "hond ihr",
    "heit ihr",
    "hoit ihr",
    "hoits",
    "habts",
    "hättet ihr",
    "haettet ihr",
    "haetten sie",
    "haben sie",
    "gibt es",
    "gibts",
    "gits",
    "gibt s",
    "git s",
    "gaebe es",
    "seid ihr",
    "sind sie",
    "sidr",
    "sind ihr",
    "isch",
    "ischs",
    "isches",
    "ist das",
    "ist es",
    "ist der",
    "ist die",
    "sind die",
    "wird es",
    "wird das",
    "werdet ihr",
    "macht ihr",
    "liefert ihr",
    "verkauft ihr",
    "bietet ihr",
    "nehmt ihr",
    "sucht ihr",
    "wisst ihr",
    "weiss jemand",
    "weiss einer",
    "hat jemand",
    "kennt jemand",
    "kann jemand",
    "wo bekomme",
    "wo bekommt",
    "wo kriegt",
    "wo krieg",
    "wo kann",
    "wo gibt",
    "wo finde",
    "wo seid",
    "wo ist",
    "wie lange",
    "wie viel",
    "wieviel",
    "wie teuer",
    "wie komme",
    "wie kann",
    "wie funktioniert",
    "was kostet",
    "was kosten",
    "was ist mit",
    "ab wann",
    "bis wann",
    "wann",
    "welche",
    "welcher",
    "welches",
    "warum",
    "wieso",
    "weshalb",
    # English
    "do you",
    "does it",
    "does the",
    "does this",
    "did you",
    "are you",
    "is there",
    "are there",
    "is it",
    "is this",
    "can i",
    "can you",
    "can we",
    "could you",
    "could i",
    "would you",
    "will you",
    "will there",
    "will it",
    "have you",
    "has anyone",
    "anyone know",
    "does anyone",
    "do they",
    "how do",
    "how can",
    "how much",
    "how long",
    "how many",
    "when",
    "where",
    "what time",
    "which",
    "any chance",
    "any news",
    "any update",
)
# A clause ending in "?" that is praise, surprise or a rhetorical figure, not a request for information.
RHETORICAL = _phrases(
    "wer kennt das nicht",
    "wer kennts nicht",
    "wer kennt es nicht",
    "wer liebt",
    "wer mag",
    "wer will nicht",
    "was will man mehr",
    "warum nicht",
    "wieso nicht",
    "why not",
    "who doesnt",
    "who does not",
    "who else",
    "whos with me",
    "guess what",
    "was sonst",
    "what else",
    "oder was",
    "oder nicht",
    "na und",
    "so what",
    "how cool is that",
    "how awesome is that",
    "how cute is",
    "how amazing is",
    "isnt it",
    "isnt that",
    "ist das nicht",
    "sind die nicht",
    "wie geil",
    "wie cool",
    "wie schoen",
    "wie toll",
    "wie suess",
    "wie lecker",
    "wie genial",
    "wie sweet",
    "wie herrlich",
    "wie krass",
    "wie gut",
    "was fuer ein",
    "was fuer eine",
    "how cool",
    "how cute",
    "how awesome",
    "how amazing",
    "how lovely",
    "how great",
    "how sweet",
    "how beautiful",
    "how good",
    "what a",
    "ist das geil",
    "ist das schoen",
    "is that cool",
    "wie jetzt",
    "wtf",
    "hae",
    "haeh",
    "echt jetzt",
    "ernsthaft",
    "seriously",
    "really",
    "echt",
    "wirklich",
    "what",
    "was",
    "wat",
    "hmm",
    "ne",
    "nee",
    "gell",
    "gelle",
    "oder",
    "right",
    "huh",
    "eh",
    "ok",
    "okay",
    "ja",
    "yes",
    "no",
    "nein",
    "lol",
)
# Invitations between friends tagged in a comment: a question for the friend, not for the account.
FRIEND_INVITES = _phrases(
    "wollen wir",
    "sollen wir",
    "gehen wir",
    "kommst du mit",
    "gehst du mit",
    "wollen mer",
    "solln wir",
    "shall we",
    "should we go",
    "wanna go",
    "want to go",
    "lets go",
    "schau mal",
    "guck mal",
    "kuck mal",
    "schaut mal",
    "look at this",
    "check this",
    "check it out",
)
_FRIEND_TAG = re.compile(r"^\s*(?:@[\w.]+[\s,:]*)+")


def _question_clauses(folded: str) -> list[tuple[list[str], bool]]:
    """(words, ends with '?') per clause of the folded text."""
    out = []
    for clause in _CLAUSE.findall(folded):
        words = _words(clause)
        if words:
            out.append((words, "?" in clause))
    return out


def _is_rhetorical(words: list[str]) -> bool:
    if len(words) <= 2 and _phrase(words, RHETORICAL):
        return True
    return _phrase(words, RHETORICAL) and not _phrase(words[:2], QUESTION_OPENINGS - {("wann",), ("when",)})


def _question(folded: str, original: str) -> bool:
    tagged = bool(_FRIEND_TAG.match(original)) and not re.match(r"^\s*@user\b", original, re.IGNORECASE)
    found = False
    for words, marked in _question_clauses(folded):
        opening = _phrase(words[:3], QUESTION_OPENINGS) and _opens(words)
        if not (marked or opening):
            continue
        if _is_rhetorical(words):
            continue
        if tagged and _phrase(words, FRIEND_INVITES):
            continue
        if marked or opening:
            found = True
    return found


def _opens(words: list[str]) -> bool:
    """A question opening counts without "?" only at the start of the clause."""
    return any(
        _match(words[0], phrase[0]) and _phrase(words[: len(phrase)], frozenset({phrase}))
        for phrase in QUESTION_OPENINGS
    )


# --- complaints ------------------------------------------------------------------------------------------------

# Complaints on their own: they name a failed service or demand redress.
STRONG_COMPLAINTS = _phrases(
    "nie wieder",
    "never again",
    "never ordering",
    "kam nicht",
    "kam nie",
    "ist nicht angekommen",
    "nicht angekommen",
    "nie angekommen",
    "nicht geliefert",
    "nie geliefert",
    "noch nicht geliefert",
    "keine antwort",
    "keine rueckmeldung",
    "keine reaktion",
    "no response",
    "no reply",
    "no answer",
    "never arrived",
    "hasnt arrived",
    "didnt arrive",
    "not arrived",
    "not delivered",
    "never delivered",
    "refund",
    "rueckerstattung",
    "geld zurueck",
    "money back",
    "storniert",
    "stornierung",
    "abzocke",
    "abgezockt",
    "rip off",
    "ripoff",
    "scam",
    "betrug",
    "frechheit",
    "unverschaemt",
    "zumutung",
    "sauerei",
    "schweinerei",
    "kundenservice ist",
    "customer service is",
    "worst service",
    "worst customer",
    "terrible service",
    "schlechter service",
    "schlechtester service",
    "mieser service",
    "service ist schlecht",
    "warte seit",
    "warten seit",
    "wartet seit",
    "still waiting",
    "been waiting",
    "waiting for my",
    "immer noch nicht",
    "noch immer nicht",
    "still not",
    "still hasnt",
    "still havent",
    "still no",
    "funktioniert nicht",
    "funktioniert immer noch nicht",
    "geht nicht mehr",
    "doesnt work",
    "not working",
    "isnt working",
    "broken",
    "kaputt",
    "defekt",
    "beschaedigt",
    "damaged",
    "falsche bestellung",
    "wrong order",
    "falsch geliefert",
    "beschwerde",
    "complaint",
    "reklamation",
    "reklamieren",
    "ungeniessbar",
    "verschimmelt",
    "schimmel",
    "verdorben",
    "ueberteuert",
    "overpriced",
    "unfreundlich",
    "rude staff",
    "so rude",
    "very rude",
    "enttaeuscht von",
    "disappointed with",
    "disappointed in",
    "disappointed by",
    "nicht zu empfehlen",
    "not recommended",
    "do not recommend",
    "dont recommend",
    "finger weg",
    "avoid",
)
# Weak cues: a complaint only when the tone is negative or a service word goes with them.
WEAK_COMPLAINTS = frozenset(
    {
        "kalt",
        "lauwarm",
        "enttaeuscht",
        "enttaeuschend",
        "enttaeuschung",
        "schlecht",
        "schlechte",
        "schlechter",
        "mies",
        "miserabel",
        "katastrophe",
        "katastrophal",
        "unmoeglich",
        "aergerlich",
        "verspaetet",
        "verspaetung",
        "ausgefallen",
        "teuer",
        "langsam",
        "dreckig",
        "schmutzig",
        "eklig",
        "versalzen",
        "trocken",
        "cold",
        "disappointed",
        "disappointing",
        "disappointment",
        "worst",
        "terrible",
        "awful",
        "horrible",
        "bad",
        "poor",
        "delayed",
        "delay",
        "cancelled",
        "canceled",
        "late",
        "slow",
        "dirty",
        "expensive",
        "useless",
        "nervig",
        "sucks",
        "fail",
        "failed",
        "ueberfordert",
        "wartezeit",
        "stunden",
        "hours",
    }
)
SERVICE_WORDS = frozenset(
    {
        "service",
        "kundenservice",
        "kundendienst",
        "support",
        "hotline",
        "lieferung",
        "lieferdienst",
        "bestellung",
        "bestellt",
        "paket",
        "ware",
        "produkt",
        "essen",
        "pizza",
        "kaffee",
        "bedienung",
        "personal",
        "kellner",
        "mitarbeiter",
        "filiale",
        "laden",
        "shop",
        "app",
        "website",
        "preis",
        "preise",
        "rechnung",
        "termin",
        "zug",
        "bahn",
        "bus",
        "flug",
        "hotel",
        "zimmer",
        "customer",
        "delivery",
        "order",
        "ordered",
        "package",
        "product",
        "food",
        "staff",
        "waiter",
        "store",
        "shipping",
        "item",
        "price",
        "bill",
        "flight",
        "train",
        "room",
        "restaurant",
        "euch",
        "eure",
        "euer",
        "eurem",
        "euren",
        "ihr",
        "you",
        "your",
        "ihre",
        "ihrem",
    }
)


def _complaint(words: list[str], tone: str | None) -> bool:
    if _phrase(words, STRONG_COMPLAINTS):
        return True
    if not any(w in WEAK_COMPLAINTS for w in words):
        return False
    if tone == "negative":
        return True
    return tone != "positive" and any(w in SERVICE_WORDS for w in words)


# --- entry point -----------------------------------------------------------------------------------------------


def classify(text: str, language: str | None = None, tone: str | None = None) -> tuple[bool, str | None]:
    """(needs_answer, reason): reason is "question", "complaint" or None; see docs/needs-answer-rules.md."""
    if not isinstance(text, str) or not text.strip():
        return False, None
    original = _SPACE.sub(" ", text).strip()
    stripped = _URL.sub(" ", original)
    folded = _fold(_HASHTAG.sub(r"\1", _MENTION.sub(" ", stripped)))
    words = _words(folded)
    if not words:  # emoji, punctuation, links or mentions only
        return False, None
    if _complaint(words, tone):
        return True, "complaint"
    if _question(folded, stripped):
        return True, "question"
    return False, None
