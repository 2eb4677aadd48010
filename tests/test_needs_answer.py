"""Which comments need an answer: the rules on single comments (German, English, dialect, rhetorical, complaints,
emoji, empty and odd input) and the measured precision and recall on the labelled set, so a regression fails."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from socialmetrics.analytics.comments import get_analyzer
from socialmetrics.analytics.comments.needs_answer import REASONS, RULES_VERSION, classify

DATA = Path(__file__).resolve().parent / "data" / "needs_answer"
COLUMNS = ["id", "source", "language", "text", "needs_answer", "reason", "note"]
# The targets are precision >= 0.90 and recall >= 0.75; precision is not reached. Rules 2.3 as shipped,
# measured by benchmarks/needs_answer.py: precision 0.566 (60 of 106), recall 0.750 (60 of 80) on the 500 tweets;
# rules 2.2 reached 0.525 / 0.775 in the same run (tests/data/needs_answer/README.md lists every run on the set).
# The floors are the level reached (precision with 0.02 of slack), so a change that loses ground fails; a rule
# change must update the counts below and the docs.
REACHED_PRECISION = 0.566
FLOOR_PRECISION = REACHED_PRECISION - 0.02
FLOOR_RECALL = 0.75


@pytest.mark.parametrize(
    "text",
    [
        "Habt ihr am Sonntag offen?",
        "Kann man bei euch auch mit Karte zahlen",
        "Gibt es das auch glutenfrei?",
        "Wann kommt die neue Sorte",
        "Wo bekomme ich die Tickets?",
        "Was kostet der Workshop?",
        "Braucht man für den Kurs Vorkenntnisse?",
        "Wir sind mit 20 Leuten, braucht man da eine Reservierung?",
        "Aus welchem Material ist die Tasche?",
        "Hallo, wie ist die Nummer für den Bereitschaftsdienst?",
        "Weiß jemand, ob die Küche heute länger offen hat?",
        "Ich wollte fragen ob ihr noch Azubis sucht",
        "@anna @tom habt ihr am Sonntag offen?",
        "Preis?",
    ],
)
def test_german_questions(text: str) -> None:
    assert classify(text, "de", "neutral") == (True, "question")


@pytest.mark.parametrize(
    "text",
    [
        "Hend ihr am Sunntig offe?",
        "Händ ihr no Plätz frei",
        "Isch das vegan?",
        "Gits das au in rot?",
        "Hättet ihr morgen no en Tisch frei?",
        "Hoit ihr am Montag offen?",
        "Habts ihr heut offen?",
        "Gibts des a in Groß?",
    ],
)
def test_dialect_questions(text: str) -> None:
    assert classify(text, "de", "neutral") == (True, "question")


@pytest.mark.parametrize(
    "text",
    [
        "Where can I buy this?",
        "Is there a vegan option?",
        "Do you deliver to Munich",
        "What time do you open on Saturday?",
        "Can we rent a keg for a garden party?",
        "@user do you know which hotel the band stays in? Please DM me",
        "@anna is there a vegan option?",
        "Hey, any appointments left this week?",
        "Just wondering if the offer is still valid",
    ],
)
def test_english_questions(text: str) -> None:
    assert classify(text, "en", "neutral") == (True, "question")


@pytest.mark.parametrize(
    "text",
    [
        "Wer kennt das nicht?",
        "Wie geil ist das denn?!",
        "How cool is that?",
        "Was will man mehr?",
        "Schnelle Terminvergabe, saubere Arbeit, fairer Preis. Was will man mehr?",
        "Warum nicht?",
        "Echt?",
        "WTF?",
        "Isn't it beautiful?",
        "Sind wir nicht alle ein bisschen Bluna?",
        "Lecker, oder?",
        "@anna schau mal",
        "@tom guck mal 😍",
        "@anna sollen wir da mal hin?",
        "@julia_k @tom.berger nächsten Freitag? 😋 das sieht sooo gut aus",
        "@tom kommst du am Samstag?",
        "Lust auf Kaffee?",
        "Who's going on Saturday?!",
        "RT @user : Habt ihr das gesehen?",
        'Er fragte: "Wann kommt der Bus?" und lachte.',
        "Welches Land würdest du gern besuchen? — Egal, Hauptsache weg! http://ask.fm/x",
        "Neue Studie: Macht Kaffee glücklich? https://example.org/artikel",
        "Wird der Papst jetzt auch Influencer? ;-)",
        "Wann tritt die Regierung endlich zurück?",
        "Was machen wir heute Abend?",
        "Super Service, danke!",
        "Tolles Foto von der Feier gestern.",
    ],
)
def test_rhetorical_and_non_actionable(text: str) -> None:
    assert classify(text, None, "neutral") == (False, None)


@pytest.mark.parametrize(
    ("text", "tone"),
    [
        ("Das Essen war kalt und die Bedienung unfreundlich.", "negative"),
        ("Nie wieder bestelle ich bei euch", "negative"),
        ("Total enttäuscht von eurem Service", "negative"),
        ("Lieferung kam nicht, seit zwei Wochen keine Antwort auf meine Mail", "negative"),
        ("85 Euro für einen Herrenschnitt? Geht's noch?", "negative"),
        ("Schon wieder Lieferverzögerung?! Das ist jetzt das dritte Mal...", "negative"),
        ("Würde ich nicht weiterempfehlen, Beratung gleich null", "negative"),
        ("Sorry aber das isch würkli nöd okay gsi. Zwei Stund gwartet.", "negative"),
        ("I want a refund", "negative"),
        ("Worst customer service ever", "negative"),
        ("The pizza was cold and the staff so rude", "negative"),
        ("Ordered two weeks ago and still waiting for my package", "negative"),
        ("The app keeps crashing since the update", "negative"),
        ("Why is my order STILL not here?? It's been 3 weeks.", "negative"),
        ("Refund please, the jacket arrived damaged", None),
    ],
)
def test_complaints(text: str, tone: str | None) -> None:
    assert classify(text, None, tone) == (True, "complaint")


@pytest.mark.parametrize(
    ("text", "tone"),
    [
        ("Nie wieder woanders hin! Ihr seid spitze", "positive"),
        ("Refund came through in two days, very impressed", "positive"),
        ("worst day ever, Montag halt", "negative"),
        ("Es ist so kalt heute draußen", "negative"),
        ("Die Regierung hat wieder versagt, eine Frechheit", "negative"),
        ("Ich bin so müde", "negative"),
    ],
)
def test_not_complaints(text: str, tone: str) -> None:
    assert classify(text, None, tone) == (False, None)


def test_the_tone_decides_weak_cues() -> None:
    text = "Der Kaffee war heute lauwarm"
    assert classify(text, "de", "negative") == (True, "complaint")
    assert classify(text, "de", "positive") == (False, None)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😍😍😍", "👍", "!!!", "???", "@anna @tom", "https://example.org", "#", "\u200b", "\n\t"],
)
def test_empty_emoji_and_punctuation_need_no_answer(text: str) -> None:
    assert classify(text) == (False, None)


@pytest.mark.parametrize("text", [None, 42, 3.5, float("nan"), b"Habt ihr offen?"])
def test_non_text_needs_no_answer(text: object) -> None:
    assert classify(text) == (False, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Ｈａｂｔ ihr offen?",
        "HABT IHR AM SONNTAG OFFEN???",
        "habt ihr am sonntag offen",
        "Habt ihr\u00a0am Sonntag offen?",
        "Habt ihr am Sonntag offen? 🙏🏽",
        "Habt ihr am\nSonntag offen?",
        "Habt ihr am Sonntag offen?" + " bitte" * 500,
        "¿Habt ihr offen?",
    ],
)
def test_odd_characters(text: str) -> None:
    assert classify(text) == (True, "question")


def test_api() -> None:
    assert REASONS == ("question", "complaint")
    assert RULES_VERSION
    needs, reason = classify("Habt ihr offen?", language="de", tone="neutral")
    assert isinstance(needs, bool) and reason in REASONS


def read_set(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_the_labelled_sets_are_complete_and_disjoint() -> None:
    measured, dev, replies = read_set("labelled.csv"), read_set("dev.csv"), read_set("replies.csv")
    train, domain = read_set("train.csv"), read_set("domain.csv")
    assert (len(measured), len(dev), len(replies), len(train), len(domain)) == (500, 900, 478, 2400, 1431)
    assert all(row["source"].startswith(("potts:", "semeval2017-4a:")) for row in train)  # train splits only
    for row in measured + dev + replies + train + domain:
        assert row["needs_answer"] in ("0", "1"), row["id"]
        assert row["reason"] == ("" if row["needs_answer"] == "0" else row["reason"]), row["id"]
        assert (row["needs_answer"] == "1") == (row["reason"] in REASONS), row["id"]
        assert row["language"] in ("de", "en") or (row in domain and row["language"] == "other"), row["id"]
        assert row["note"], row["id"]
    assert all(row["text"].startswith("@user") and not row["text"].startswith("RT") for row in replies)
    sets = (measured, dev, replies, train, domain)
    for i, one in enumerate(sets):
        for other in sets[i + 1 :]:
            assert not {r["source"] for r in one} & {r["source"] for r in other}
            assert not {r["text"] for r in one} & {r["text"] for r in other}


def test_a_second_reader_agrees_with_the_first_on_both_measured_sets() -> None:
    """Four other readers labelled both measured sets blind (the rules and the texts only): two people agree far
    better than the detector does, so the issue's targets are within a reader's reach on these tweets."""
    with (DATA / "second_reader.csv").open(encoding="utf-8", newline="") as fh:
        second = {row["id"]: row for row in csv.DictReader(fh)}
    for name, expected in (("labelled.csv", (72, 4, 8)), ("replies.csv", (33, 2, 7))):
        rows = read_set(name)
        assert {row["id"] for row in rows} <= set(second)
        pairs = [(row["needs_answer"] == "1", second[row["id"]]["needs_answer"] == "1") for row in rows]
        tp, fp, fn = (sum(a and b for a, b in pairs), sum(b and not a for a, b in pairs),
                      sum(a and not b for a, b in pairs))  # fmt: skip
        assert (tp, fp, fn) == expected, name
        assert tp / (tp + fp) >= 0.90 and tp / (tp + fn) >= 0.80
    assert len(second) == 500 + 478


def _counts(name: str) -> tuple[int, int, int]:
    rows = read_set(name)
    tones = [r.sentiment for r in get_analyzer().analyze([row["text"] for row in rows])]
    tp = fp = fn = 0
    for row, tone in zip(rows, tones, strict=True):
        predicted = classify(row["text"], row["language"], tone)[0]
        gold = row["needs_answer"] == "1"
        tp += gold and predicted
        fp += predicted and not gold
        fn += gold and not predicted
    return tp, fp, fn


@pytest.fixture(scope="module")
def measured() -> tuple[int, int, int]:
    return _counts("labelled.csv")


def test_measured_precision_and_recall_hold_the_level_reached(measured: tuple[int, int, int]) -> None:
    tp, fp, fn = measured
    assert (tp, fp, fn) == (60, 46, 20)
    assert tp / (tp + fp) >= FLOOR_PRECISION
    assert tp / (tp + fn) >= FLOOR_RECALL


def test_the_reply_stream_is_measured_too() -> None:
    """The second measured set (478 replies, 40 need an answer), labelled before the detector ran on it: rules 2.3
    reach precision 0.600 and recall 0.450 there, both below the targets; the counts pin it so any change shows."""
    tp, fp, fn = _counts("replies.csv")
    assert (tp, fp, fn) == (18, 12, 22)
    assert tp + fn == 40


def test_the_projects_own_page_comments_are_measured_too() -> None:
    """The 1,431 company-page comments the rules were written beside (data/train.csv), labelled blind on 8 Dec 2026
    as comments to the account: precision 0.997, recall 0.795, above both targets, where the tweets are not. The
    rules saw these texts (not their labels) while they were written, so this is the page-comment level, not a
    held-out one; the counts pin it."""
    tp, fp, fn = _counts("domain.csv")
    assert (tp, fp, fn) == (664, 2, 171)
