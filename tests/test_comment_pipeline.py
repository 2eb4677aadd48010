"""Comments in the warehouse: classified by the pipeline, summarised per post and week and per
campaign, re-classified only when needed, and their text deleted after the retention period."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from connectors.testing.sandbox import company
from socialmetrics.analytics.comments import CONFIDENCE_THRESHOLD, MODEL_VERSION, get_analyzer
from socialmetrics.transform import comment_analysis
from tests.conftest import TODAY, Harness

DAY = TODAY - dt.timedelta(days=1)


def test_the_sandbox_companys_comments_are_classified_in_the_warehouse(harness: Harness) -> None:
    harness.run(DAY)
    rows = harness.query("SELECT text, language, sentiment, sentiment_score, topics FROM core.comment")
    assert len(rows) > 20
    expected = get_analyzer().analyze([r[0] for r in rows])
    for (_text, language, sentiment, score, topics), want in zip(rows, expected, strict=True):
        assert (language, sentiment, topics) == (want.language, want.sentiment, list(want.topics))
        assert score == pytest.approx(want.score)
    by_text = {r[0]: (r[1], r[2]) for r in rows}
    # what a person reading them would say
    labelled = {
        "Wann habt ihr am Sonntag geöffnet?": ("de", "neutral"),
        "Leider war der Service diesmal echt langsam 😕": ("de", "negative"),
        "Best beer in Franconia, greetings from Leeds!": ("en", "positive"),
        "Mega Stimmung beim Herbstfest 🍻": ("de", "positive"),
    }
    for text, label in labelled.items():
        if text in by_text:
            assert by_text[text] == label, text
    assert len(set(by_text) & set(labelled)) >= 3


def test_comment_sentiment_mart_sums_up_each_post_and_week(harness: Harness) -> None:
    """Shares and net count only confident comments; uncertain_comments says how many were left out. The account's
    own answers are not the audience's words: they are left out (and the sandbox company does answer)."""
    harness.run(DAY)
    comments = harness.query(
        "SELECT network, account_id, post_id, CAST(date_trunc('week', timezone('Europe/Berlin', created_at)) AS DATE), "
        "sentiment, topics, sentiment_confident "
        "FROM core.comment WHERE NOT coalesce(by_account, false)"
    )
    assert harness.query("SELECT count(*) FROM core.comment WHERE by_account")[0][0] > 0
    groups: dict[tuple, list] = {}
    for net, acc, post, week, sentiment, topics, confident in comments:
        groups.setdefault((net, acc, post, week), []).append((sentiment, topics, confident))
    mart = {
        tuple(r[:4]): r[4:]
        for r in harness.query(
            "SELECT network, account_id, post_id, week_start, comments, positive_share, neutral_share, "
            "negative_share, net_sentiment, top_topics, confident_comments, uncertain_comments "
            "FROM marts.comment_sentiment"
        )
    }
    assert set(mart) == set(groups)
    for key, items in groups.items():
        n = len(items)
        sure = [s for s, _, confident in items if confident]
        count = Counter(sure)
        topic_count = Counter(t for _, ts, _ in items for t in ts)
        top = sorted(topic_count.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        got = mart[key]
        assert got[0] == n
        assert (got[6], got[7]) == (len(sure), n - len(sure))
        if not sure:
            assert got[1:5] == (None, None, None, None)
            continue
        assert got[1] == pytest.approx(count["positive"] / len(sure))
        assert got[2] == pytest.approx(count["neutral"] / len(sure))
        assert got[3] == pytest.approx(count["negative"] / len(sure))
        assert got[4] == pytest.approx((count["positive"] - count["negative"]) / len(sure))
        assert got[5] == (", ".join(t for t, _ in top) if top else None)


def test_core_comment_carries_the_calibrated_confidence(harness: Harness) -> None:
    harness.run(DAY)
    rows = harness.query("SELECT text, sentiment, sentiment_confidence, sentiment_confident FROM core.comment")
    expected = get_analyzer().analyze([r[0] for r in rows])
    for (_text, sentiment, confidence, confident), want in zip(rows, expected, strict=True):
        assert sentiment == want.sentiment
        assert confidence == pytest.approx(want.confidence)
        assert 1 / 3 <= confidence <= 1.0
        assert confident == (confidence >= CONFIDENCE_THRESHOLD)
    assert any(r[3] for r in rows), "most of the sandbox's plain comments are confident"


def test_an_old_analysis_table_gets_the_confidence_columns(harness: Harness) -> None:
    """Given a warehouse from before the confidence, when the pipeline runs, then the columns are added."""
    import duckdb

    con = duckdb.connect(str(harness.warehouse))
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute(
        "CREATE TABLE core.comment_analysis (network VARCHAR, account_id VARCHAR, comment_id VARCHAR, "
        "text_sha256 VARCHAR, model_version VARCHAR, language VARCHAR, sentiment VARCHAR, sentiment_score DOUBLE, "
        "topics VARCHAR[], analysed_at TIMESTAMPTZ)"
    )
    con.close()
    harness.run(DAY)
    missing = harness.query("SELECT count(*) FROM core.comment_analysis WHERE sentiment_confidence IS NULL")
    assert missing == [(0,)]


def test_a_nightly_rerun_classifies_nothing_again_but_a_new_model_does(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.run(DAY)
    first = harness.query("SELECT comment_id, analysed_at FROM core.comment_analysis ORDER BY 1")
    assert first
    written = harness.run(DAY, run_id="again")["written"]
    assert written["core.comment_analysis"] == 0  # the gate's analysis (before the check) found nothing new either
    assert harness.query("SELECT comment_id, analysed_at FROM core.comment_analysis ORDER BY 1") == first
    import socialmetrics.analytics.comments as comments

    monkeypatch.setattr(comments, "MODEL_VERSION", MODEL_VERSION + "-next")
    harness.run(DAY, run_id="new-model")
    again = dict(harness.query("SELECT comment_id, analysed_at FROM core.comment_analysis"))
    assert sorted(again) == [c for c, _ in first]
    assert all(again[c] > at for c, at in first)  # every comment classified again, by the new model
    versions = harness.query("SELECT DISTINCT model_version FROM core.comment_analysis")
    assert versions == [(MODEL_VERSION + "-next",)]


def test_retention_deletes_old_comment_text_but_keeps_its_analysis(harness: Harness) -> None:
    harness.run(DAY)
    (manifest,) = harness.landing.glob("facebook/*/*/manifest.json")
    newest = harness.query("SELECT max(created_at) FROM raw.comments")[0][0]
    before = harness.query("SELECT comment_id, sentiment FROM core.comment WHERE created_at < ? ORDER BY 1", [newest])
    assert before
    data = json.loads(manifest.read_text())
    data["extracted_at"] = "2026-01-01T03:00:00+00:00"  # a landing run older than the retention
    manifest.write_text(json.dumps(data))
    con = __import__("duckdb").connect(str(harness.warehouse))
    try:
        # one month's retention on the day after the newest comment's month ends
        later = (newest.date().replace(day=1) + dt.timedelta(days=62)).replace(day=1)
        done = comment_analysis.apply_retention(con, 1, today=later, landing_root=harness.landing)
    finally:
        con.close()
    assert done["raw.comments"] > 0 and done["landing runs"] == 1
    assert not manifest.parent.exists()
    assert harness.query("SELECT count(*) FROM raw.comments WHERE text IS NOT NULL OR payload IS NOT NULL") == [(0,)]
    assert harness.query("SELECT count(*) FROM core.comment WHERE text IS NOT NULL") == [(0,)]
    after = harness.query("SELECT comment_id, sentiment FROM core.comment WHERE created_at < ? ORDER BY 1", [newest])
    assert after == before  # the tone stays in the marts after the words are gone
    # a later run does not re-classify text-less comments into something else
    harness.run(DAY, run_id="after-retention")
    assert harness.query("SELECT count(*) FROM core.comment WHERE sentiment IS NULL") == [(0,)]


def test_retention_cutoff_counts_calendar_months() -> None:
    assert comment_analysis.months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert comment_analysis.months_before(dt.date(2026, 1, 15), 24) == dt.date(2024, 1, 15)
    assert comment_analysis.months_before(dt.date(2026, 12, 31), 12) == dt.date(2025, 12, 31)


def test_campaign_comment_sentiment(harness: Harness) -> None:
    day = company.CAMPAIGN.start  # the first day with a #herbstfest post that people commented on
    while not any("herbstfest" in str(p.get("message", "")).lower() and p["comments"]["summary"]["total_count"]
                  for p in company.facebook_posts(day)):  # type: ignore[index]  # fmt: skip
        day += dt.timedelta(days=1)
    harness.run(day, backfill=True)
    rows = harness.query(
        "SELECT campaign, network, comments, positive_share + neutral_share + negative_share, net_sentiment, "
        "confident_comments, uncertain_comments FROM marts.campaign_comment_sentiment"
    )
    expected = harness.query(  # the audience's comments: the page's own answers are left out
        "SELECT count(*) FROM core.comment c JOIN marts.campaign_posts p USING (network, account_id, post_id) "
        "WHERE NOT coalesce(c.by_account, false)"
    )[0][0]
    assert rows and rows[0][0] == company.CAMPAIGN.name and rows[0][1] == "facebook"
    assert rows[0][2] == expected > 0
    assert rows[0][3] == pytest.approx(1.0) and -1 <= rows[0][4] <= 1
    confident = harness.query(
        "SELECT count(*) FILTER (WHERE c.sentiment_confident) FROM core.comment c "
        "JOIN marts.campaign_posts p USING (network, account_id, post_id) WHERE NOT coalesce(c.by_account, false)"
    )[0][0]
    assert (rows[0][5], rows[0][6]) == (confident, expected - confident)


def test_no_commenter_name_is_stored_anywhere(harness: Harness) -> None:
    harness.run(DAY)
    everything = " ".join(
        str(r) for t in ("raw.comments", "core.comment", "core.comment_analysis", "marts.comment_sentiment")
        for r in harness.query(f"SELECT * FROM {t}")
    )  # fmt: skip
    landed = " ".join(p.read_text(encoding="utf-8") for p in harness.landing.rglob("*.json"))
    for name in company.COMMENTER_NAMES:
        assert name not in everything and name not in landed
