"""Comment tone on real-style comments: questions, negation, emoji and emoticons, German compounds and dialect,
sarcasm markers, the calibrated confidence, the shipped model and the training command."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from socialmetrics.analytics.comments import CONFIDENCE_THRESHOLD, CommentAnalyzer, get_analyzer
from socialmetrics.analytics.comments.model import MODEL_FILE, SentimentModel
from socialmetrics.analytics.comments.text import EMOJI, tokenize
from socialmetrics.analytics.comments.train import CORPORA, Row, data_dir, nb_scale, split_train, train

MAX_MODEL_BYTES = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def analyzer() -> CommentAnalyzer:
    analyzer = get_analyzer()
    analyzer.warm_up()
    return analyzer


def labels(analyzer: CommentAnalyzer, texts: list[str]) -> list[str]:
    return [r.sentiment for r in analyzer.analyze(texts)]


# --- questions -------------------------------------------------------------------------------------------------


def test_information_questions_are_neutral(analyzer: CommentAnalyzer) -> None:
    texts = ["Wann habt ihr am Samstag geöffnet?", "Gibt es die Jacke auch in Größe M?", "Do you deliver on Sundays?"]
    assert labels(analyzer, texts) == ["neutral"] * 3


def test_complaint_questions_are_negative(analyzer: CommentAnalyzer) -> None:
    texts = [
        "Wie kann man nur so unfreundlich zu Kunden sein?",
        "Warum dauert die Lieferung schon wieder drei Wochen?",
        "Why is nobody answering the phone?",
    ]
    assert labels(analyzer, texts) == ["negative"] * 3


def test_a_rhetorical_question_with_a_negation_affirms(analyzer: CommentAnalyzer) -> None:
    """ "Isn't this the best ...?" praises: the negation at the start of a question is not a negation."""
    texts = ["Isn't this the best bakery in town?", "Ist das nicht ein wunderschönes Plakat? 😍"]
    assert labels(analyzer, texts) == ["positive", "positive"]


# --- negation --------------------------------------------------------------------------------------------------


def test_negated_praise_is_negative(analyzer: CommentAnalyzer) -> None:
    texts = ["Das Essen war gar nicht gut", "Kein guter Service heute", "I don't like the new menu"]
    assert labels(analyzer, texts) == ["negative"] * 3


def test_negated_criticism_is_positive(analyzer: CommentAnalyzer) -> None:
    texts = ["Nicht schlecht, gerne wieder", "Never disappointed, always great", "Not bad at all for the price"]
    assert labels(analyzer, texts) == ["positive"] * 3


# --- emoji and emoticons ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("emoticon", ["^_^", "^^", ":-0", ":o", "-_-", "T_T", "o_O", ":-|", ":')", "<333"])
def test_emoticons_are_one_token(emoticon: str) -> None:
    tokens = tokenize(f"na {emoticon} gut")
    assert [t.kind for t in tokens] == ["word", EMOJI, "word"]


def test_clock_times_are_not_emoticons() -> None:
    assert all(t.kind != EMOJI for t in tokenize("Einlass ab 18:30, Beginn 19:00 Uhr"))


def test_emoticons_and_emoji_carry_the_tone(analyzer: CommentAnalyzer) -> None:
    texts = ["Danke ^_^", "Toll gemacht <333", "T_T ausverkauft", "-_- echt jetzt", "😡😡😡", "Lecker 😋"]
    assert labels(analyzer, texts) == ["positive", "positive", "negative", "negative", "negative", "positive"]


# --- German compounds and dialect ------------------------------------------------------------------------------


def test_german_compounds_take_the_tone_of_their_parts(analyzer: CommentAnalyzer) -> None:
    texts = ["Servicewüste pur", "Hammerteil, bin voll zufrieden", "Vollkatastrophe, nie wieder", "Weltklasse Team!"]
    assert labels(analyzer, texts) == ["negative", "positive", "negative", "positive"]


def test_dialect_spellings(analyzer: CommentAnalyzer) -> None:
    texts = [
        "Des Bier is subba, host guad gmacht",
        "Des is ned guad, oida",
        "Moin, dat war richtig schietig",
        "Grüezi, das isch mega fein gsi",
    ]
    assert labels(analyzer, texts) == ["positive", "negative", "negative", "positive"]


def test_negative_events_without_an_evaluative_word(analyzer: CommentAnalyzer) -> None:
    texts = ["Mein Konto wurde gesperrt", "Die Zahlung ist gescheitert", "Der Zug ist schon wieder ausgefallen"]
    assert labels(analyzer, texts) == ["negative"] * 3


# --- sarcasm ---------------------------------------------------------------------------------------------------


def test_sarcasm_markers_turn_praise_negative(analyzer: CommentAnalyzer) -> None:
    texts = [
        "Super gemacht, jetzt zahlt ihr doppelt #ironie",
        "Great, another delay. Love it /s",
        "Na toll, schon wieder kein Zug",
        "Oh great, my order is lost again",
        "Wirklich toller Service, drei Stunden Warteschleife 🙄",
    ]
    assert labels(analyzer, texts) == ["negative"] * 5


def test_the_same_praise_without_a_marker_stays_positive(analyzer: CommentAnalyzer) -> None:
    assert labels(analyzer, ["Super gemacht, vielen Dank!", "Great service as always"]) == ["positive"] * 2


# --- confidence ------------------------------------------------------------------------------------------------


def test_confidence_is_the_probability_of_the_label(analyzer: CommentAnalyzer) -> None:
    results = analyzer.analyze(["Absolut großartig, danke!", "ok", "Wann habt ihr offen?", "Total enttäuschend 😡"])
    for r in results:
        assert 1 / 3 <= r.confidence <= 1.0
        assert r.confident == (r.confidence >= CONFIDENCE_THRESHOLD)
    clear, vague = results[0], results[1]
    assert clear.confident and clear.confidence > vague.confidence


def test_empty_comments_have_no_confidence(analyzer: CommentAnalyzer) -> None:
    result = analyzer.analyze([None])[0]
    assert (result.confidence, result.confident) == (0.0, False)


# --- the shipped model -----------------------------------------------------------------------------------------


def test_the_model_ships_as_package_data_without_pickle() -> None:
    assert MODEL_FILE.parent.name == "data" and MODEL_FILE.parent.parent.name == "comments"
    assert MODEL_FILE.stat().st_size <= MAX_MODEL_BYTES
    with np.load(MODEL_FILE, allow_pickle=False) as archive:
        trained_on = dict(zip(archive["meta_keys"], archive["meta_values"], strict=True))["trained_on"]
    assert "germeval" not in trained_on.lower()
    assert all(c.file in trained_on for c in CORPORA if c.trainable)


def test_loading_the_model_twice_gives_identical_probabilities() -> None:
    first, second = SentimentModel.load(), SentimentModel.load()
    texts, lexicon, langs = _inputs(["Mega lecker!", "The worst.", "Habt ihr offen?"])
    assert np.array_equal(first.predict_proba(texts, lexicon, langs), second.predict_proba(texts, lexicon, langs))


def _inputs(raw: list[str]) -> tuple[list[str], list, list[str]]:
    from socialmetrics.analytics.comments.lexicon import SentimentLexicon
    from socialmetrics.analytics.comments.model import model_text

    lex = SentimentLexicon()
    langs = ["de", "en", "de"]
    results = [lex.score(tokenize(t), lang) for t, lang in zip(raw, langs, strict=True)]
    texts = [model_text(tokenize(t), r) for t, r in zip(raw, results, strict=True)]
    return texts, results, langs


# --- training --------------------------------------------------------------------------------------------------

TINY = {
    "de": {
        "positive": ["Super Service, danke!", "Mega lecker heute", "Ganz toll gemacht", "Bin sehr zufrieden"],
        "neutral": ["Wann habt ihr offen?", "Die Sitzung beginnt um 10 Uhr", "Gibt es Parkplätze?", "Neue Ware da"],
        "negative": ["Total enttäuscht", "Nie wieder, furchtbar", "Der Zug fällt aus", "Schlechter Service"],
    },
    "en": {
        "positive": ["Great job, thanks!", "Loved it", "Best pizza ever", "Amazing team"],
        "neutral": ["What time do you open?", "Meeting at 10", "Is there parking?", "New stock in"],
        "negative": ["Terrible service", "Never again", "So disappointed", "Worst day ever"],
    },
}


def _tiny_data(folder: Path, germeval_text: str = "Die Bahn informiert") -> Path:
    folder.mkdir()
    for corpus in CORPORA:
        rows = []
        for split in ("train", "dev"):
            for label, texts in TINY[corpus.lang].items():
                for i in range(5):
                    for text in texts:
                        body = germeval_text if not corpus.trainable else f"{text} {i} {corpus.file[:4]}"
                        rows.append([body, corpus.lang, label, f"{corpus.file}:{split}{label}{i}{text}", split])
        with (folder / corpus.file).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "lang", "label", "source", "split"])
            writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny data folder and the model trained on it (a training run costs seconds: done once here)."""
    folder = _tiny_data(tmp_path_factory.mktemp("trained") / "tone")
    out = folder.parent / "model.npz"
    train(folder, out, log=lambda _: None)
    return folder, out


def test_the_training_command_writes_a_model_that_loads(trained: tuple[Path, Path]) -> None:
    """Given a tiny data folder, when the model is trained, then the archive loads and tells the classes apart."""
    model = SentimentModel.load(trained[1])
    texts, lexicon, langs = _inputs(["Super Service, danke!", "Terrible service", "Gibt es Parkplätze?"])
    proba = model.predict_proba(texts, lexicon, langs)
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert [int(p.argmax()) for p in proba[:2]] == [0, 2]


def test_training_twice_gives_the_same_weights(trained: tuple[Path, Path], tmp_path: Path) -> None:
    folder, first_model = trained
    again = tmp_path / "again.npz"
    train(folder, again, log=lambda _: None)
    with np.load(first_model) as first, np.load(again) as second:
        assert sorted(first.files) == sorted(second.files)
        for name in first.files:
            assert np.array_equal(first[name], second[name]), name


def test_nb_scale_weighs_telling_columns_up_and_leaves_the_rules_features_alone() -> None:
    """Given a column seen only in positive rows, one seen in every row and one dense feature, when NB scales are
    computed, then the telling column weighs over four times the uniform one and the dense one exactly 1."""
    from scipy import sparse

    x = sparse.csr_matrix(
        np.array([[1, 1, 0.5], [1, 1, 0.2], [0, 1, 0.1], [0, 1, 0.9], [0, 1, 0.3], [0, 1, 0.4]], dtype=np.float32)
    )
    y = np.array([0, 0, 1, 1, 2, 2])
    scale = nb_scale(x, y, n_dense=1)
    assert scale[0] > 1.2
    assert scale[0] > 4 * scale[1]
    assert scale[2] == 1.0


def test_a_missing_data_folder_says_where_to_point(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--data PATH or set \\$SOCIALMETRICS_TONE_DATA"):
        data_dir(tmp_path / "nowhere")


def test_the_held_out_and_calibration_slices_are_disjoint_stratified_and_stable() -> None:
    rows = [
        Row(f"text {i}", "de", label, f"src:{label}:{i}", "train", 1.0, corpus)
        for corpus in ("a.csv", "b.csv")
        for label in ("positive", "neutral", "negative")
        for i in range(100)
    ] + [Row("dev text", "de", "neutral", "src:dev", "dev", 1.0, "a.csv")]
    fit, calibration, held = split_train(rows)
    keys = [{r.source + r.corpus for r in part} for part in (fit, calibration, held)]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert (len(fit), len(calibration), len(held)) == (480, 60, 60)
    assert all(sum(r.corpus == c and r.label == lab for r in held) == 10 for c in ("a.csv", "b.csv") for lab in
               ("positive", "neutral", "negative"))  # fmt: skip
    assert {r.source for r in split_train(list(reversed(rows)))[2]} == {r.source for r in held}
    assert all("src:dev" not in k for part in keys for k in part)
