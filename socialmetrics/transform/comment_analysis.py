"""Keeps every comment classified (language, sentiment, topics, needs an answer) and deletes old comment text (GDPR).

`core.comment_analysis` holds one row per (network, account_id, comment_id) with the hash of the
text it was made from and the model version. The transform updates it inside its transaction,
before the SQL of the core layer: new comments, comments whose text changed and comments analysed
by an older model are classified; nothing else is touched, so a nightly run classifies only what is
new. A comment whose text was deleted by the retention keeps its analysis.

Whether a comment needs an answer (a question or a complaint: `needs_answer`, `answer_reason`) is decided here
too, right after its tone, by `socialmetrics.analytics.comments.needs_answer.classify(text, language, tone)`;
comments classified by an older version of that detector (or before it existed) are classified again.

Retention: text (and the raw payload that contains it) of comments created more than
`comments.retention_months` months ago is deleted from raw.comments and core.comment and from the
landing pages and Parquet files of every run that holds it (by the comment's own date: a history load
lands comments of many months at once); landing runs extracted before the cutoff are removed whole.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from socialmetrics.load.warehouse import rollback

log = logging.getLogger(__name__)

ANALYSIS_TABLE = "core.comment_analysis"
ANALYSIS_DDL = f"""CREATE TABLE IF NOT EXISTS {ANALYSIS_TABLE} (
    network VARCHAR, account_id VARCHAR, comment_id VARCHAR, text_sha256 VARCHAR, model_version VARCHAR,
    language VARCHAR, sentiment VARCHAR, sentiment_score DOUBLE, topics VARCHAR[], analysed_at TIMESTAMPTZ,
    sentiment_confidence DOUBLE, sentiment_confident BOOLEAN)"""
# Warehouses made before the confidence existed get the columns; their rows are re-analysed anyway, because the
# model version changed with them.
ANALYSIS_MIGRATIONS = (
    f"ALTER TABLE {ANALYSIS_TABLE} ADD COLUMN IF NOT EXISTS sentiment_confidence DOUBLE",
    f"ALTER TABLE {ANALYSIS_TABLE} ADD COLUMN IF NOT EXISTS sentiment_confident BOOLEAN",
    # whether a comment needs an answer (issue #30): filled for every analysed comment by `update_needs_answer`
    f"ALTER TABLE {ANALYSIS_TABLE} ADD COLUMN IF NOT EXISTS needs_answer BOOLEAN",
    f"ALTER TABLE {ANALYSIS_TABLE} ADD COLUMN IF NOT EXISTS answer_reason VARCHAR",
    f"ALTER TABLE {ANALYSIS_TABLE} ADD COLUMN IF NOT EXISTS needs_answer_version VARCHAR",
)


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create core.comment_analysis if missing (core.comment reads it)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute(ANALYSIS_DDL)
    for statement in ANALYSIS_MIGRATIONS:
        con.execute(statement)


def update(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Classify the comments that are new, changed or analysed by another model version."""
    from socialmetrics.analytics.comments import MODEL_VERSION, get_analyzer

    ensure_table(con)
    todo = con.execute(
        f"""
        WITH latest AS (  -- the latest extract of each comment (sql/staging/comments.sql)
            SELECT network, account_id, comment_id, text
            FROM staging.comments
            WHERE text IS NOT NULL AND trim(text) <> ''
        )
        SELECT l.network, l.account_id, l.comment_id, l.text, sha256(l.text) AS text_sha256
        FROM latest AS l
        LEFT JOIN {ANALYSIS_TABLE} AS a USING (network, account_id, comment_id)
        WHERE a.comment_id IS NULL OR a.text_sha256 <> sha256(l.text) OR a.model_version <> $version
        """,
        {"version": MODEL_VERSION},
    ).df()
    if todo.empty:
        return {ANALYSIS_TABLE: 0} | update_needs_answer(con)
    results = get_analyzer().analyze(todo["text"].tolist())
    frame = pd.DataFrame(
        {
            "network": todo["network"],
            "account_id": todo["account_id"],
            "comment_id": todo["comment_id"],
            "text_sha256": todo["text_sha256"],
            "model_version": MODEL_VERSION,
            "language": [r.language for r in results],
            "sentiment": [r.sentiment for r in results],
            "sentiment_score": [r.score for r in results],
            "topics": [list(r.topics) for r in results],
            "analysed_at": pd.Timestamp(dt.datetime.now(dt.UTC)),
            "sentiment_confidence": [r.confidence for r in results],
            "sentiment_confident": [r.confident for r in results],
        }
    )
    con.register("analysed_comments", frame)
    try:
        con.execute(
            f"DELETE FROM {ANALYSIS_TABLE} AS a USING analysed_comments AS n "
            "WHERE a.network = n.network AND a.account_id = n.account_id AND a.comment_id = n.comment_id"
        )
        con.execute(
            f"INSERT INTO {ANALYSIS_TABLE} (network, account_id, comment_id, text_sha256, model_version, language, "
            "sentiment, sentiment_score, topics, analysed_at, sentiment_confidence, sentiment_confident) "
            "SELECT network, account_id, comment_id, text_sha256, model_version, language, sentiment, "
            "sentiment_score, CAST(topics AS VARCHAR[]), analysed_at, sentiment_confidence, sentiment_confident "
            "FROM analysed_comments"
        )
    finally:
        con.unregister("analysed_comments")
    counts = frame["sentiment"].value_counts().to_dict()
    uncertain = int((~frame["sentiment_confident"]).sum())
    log.info(
        "comment analysis (model %s): %d comments classified %s, %d uncertain",
        MODEL_VERSION,
        len(frame),
        counts,
        uncertain,
    )
    return {ANALYSIS_TABLE: len(frame)} | update_needs_answer(con)


def needs_answer_version() -> str:
    """The needs-answer detector's version (its RULES_VERSION)."""
    from socialmetrics.analytics.comments import needs_answer

    return str(getattr(needs_answer, "RULES_VERSION", "1"))


def update_needs_answer(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Decide `needs_answer` / `answer_reason` for analysed comments with a text that have no decision of the
    current detector version yet (new, re-analysed, or decided by an older version)."""
    from socialmetrics.analytics.comments.needs_answer import classify

    version = needs_answer_version()
    todo = con.execute(
        f"""
        SELECT a.network, a.account_id, a.comment_id, l.text, a.language, a.sentiment
        FROM {ANALYSIS_TABLE} AS a
        INNER JOIN staging.comments AS l USING (network, account_id, comment_id)
        WHERE l.text IS NOT NULL AND trim(l.text) <> ''
            AND (a.needs_answer IS NULL OR a.needs_answer_version IS DISTINCT FROM $version)
        """,
        {"version": version},
    ).fetchall()
    if not todo:
        return {}
    decided = []
    for network, account_id, comment_id, text, language, sentiment in todo:
        needs, reason = classify(text, language, sentiment)
        decided.append((network, account_id, comment_id, bool(needs), reason if needs else None))
    frame = pd.DataFrame(decided, columns=["network", "account_id", "comment_id", "needs_answer", "answer_reason"])
    con.register("answer_decisions", frame)
    try:
        con.execute(
            f"UPDATE {ANALYSIS_TABLE} AS a SET needs_answer = d.needs_answer, answer_reason = d.answer_reason, "
            "needs_answer_version = $version FROM answer_decisions AS d "
            "WHERE a.network = d.network AND a.account_id = d.account_id AND a.comment_id = d.comment_id",
            {"version": version},
        )
    finally:
        con.unregister("answer_decisions")
    log.info("needs-answer detector %s: %d comments decided, %d need an answer", version, len(frame),
             int(frame["needs_answer"].sum()))  # fmt: skip
    return {f"{ANALYSIS_TABLE} (needs_answer)": len(frame)}


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def apply_retention(
    con: duckdb.DuckDBPyConnection, months: int | None, *, today: dt.date, landing_root: Path | None = None
) -> dict[str, int]:
    """Delete the text of comments created before the retention cutoff, in the warehouse and the landing folder."""
    if months is None:
        return {}
    cutoff = months_before(today, months)
    cutoff_ts = dt.datetime.combine(cutoff, dt.time(), dt.UTC)
    ensure_table(con)
    con.execute("BEGIN TRANSACTION")
    try:
        raw = con.execute(
            "UPDATE raw.comments SET text = NULL, payload = NULL "
            "WHERE created_at < $cutoff AND (text IS NOT NULL OR payload IS NOT NULL)",
            {"cutoff": cutoff_ts},
        ).fetchone()
        core = (0,)
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'core' AND table_name = 'comment'"
                       ).fetchone() == (1,):  # fmt: skip
            core = con.execute(
                "UPDATE core.comment SET text = NULL WHERE created_at < $cutoff AND text IS NOT NULL",
                {"cutoff": cutoff_ts},
            ).fetchone() or (0,)
        con.execute("COMMIT")
    except BaseException:
        rollback(con)  # keeps the real cause when a failed write (disk full) already ended the transaction
        raise
    removed, texts = _purge_landing(landing_root, cutoff_ts) if landing_root is not None else (0, 0)
    done = {"raw.comments": int(raw[0]) if raw else 0, "core.comment": int(core[0]), "landing runs": removed,
            "landing comment texts": texts}  # fmt: skip
    if any(done.values()):
        log.info("retention (%d months, before %s): comment texts deleted %s", months, cutoff, done)
    return done


def _purge_landing(root: Path, cutoff: dt.datetime) -> tuple[int, int]:
    """Remove landing runs extracted before the cutoff (every comment in them is older), then the texts of
    older comments in the runs that stay; returns (runs and leftovers removed, comment texts removed)."""
    from socialmetrics.land.landing import expire_comment_texts, purge_leftovers

    removed = purge_leftovers(root, cutoff)
    for manifest in root.glob("*/*/*/manifest.json"):
        try:
            extracted = dt.datetime.fromisoformat(json.loads(manifest.read_text(encoding="utf-8"))["extracted_at"])
        except (OSError, ValueError, KeyError):
            continue
        if extracted < cutoff:
            shutil.rmtree(manifest.parent, ignore_errors=True)
            removed += 1
    texts, _files = expire_comment_texts(root, cutoff)
    return removed, texts
