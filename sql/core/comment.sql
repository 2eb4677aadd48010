-- table: core.comment
-- grain: one row per network, account and comment (replies included, parent_id set)
-- key: network, account_id, comment_id
-- window: post_published_at
-- family: post
-- params: $start (DATE, inclusive), $end (DATE, exclusive): comments on posts published in the window
-- author_hash is a keyed hash (socialmetrics/privacy.py); names never reach the warehouse.
-- language ('de', 'en', 'other'), sentiment ('positive', 'neutral', 'negative'), sentiment_score
-- (-1..1), sentiment_confidence (calibrated probability of the label, 1/3..1), sentiment_confident (confidence
-- >= socialmetrics.analytics.comments.CONFIDENCE_THRESHOLD: only these count in tone shares) and topics come from core.comment_analysis, which the publish step keeps up to date in Python
-- (socialmetrics/transform/comment_analysis.py) before the quality gate checks this layer. text is NULL once the retention
-- (config comments.retention_months) has deleted it; its analysis stays.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram)
--   account_id: the account's id on its network
--   post_id: the post the comment was written under
--   comment_id: the comment's id on its network [not null]
--   parent_id: the comment it answers; NULL for a top-level comment
--   created_at: when the comment was written (UTC)
--   author_hash: keyed hash of the author (socialmetrics/privacy.py); names never reach the warehouse
--   text: the comment's text; NULL once the retention (comments.retention_months) deleted it
--   language: 'de', 'en' or 'other' (core.comment_analysis)
--   sentiment: the tone; NULL while the comment has no analysis [in positive|neutral|negative]
--   sentiment_score: the tone as a number, -1 (negative) .. 1 (positive)
--   topics: the topics found in the text
--   post_published_at: when the post was published (UTC): comments follow their post's window
--   sentiment_confidence: calibrated probability of the label, 1/3..1 [range 0..1]
--   sentiment_confident: confidence >= socialmetrics.analytics.comments.CONFIDENCE_THRESHOLD: only these count in tone shares
--   by_account: written by the account itself (its Page, organization or user); NULL where the connector does not say (Xing)
--   thread_id: the top-level comment of the comment's thread (itself for a top-level comment)
--   needs_answer: a question or complaint from someone else (core.comment_analysis, needs_answer.classify); false for the account's own
--   answer_reason: why it needs an answer: question or complaint (NULL when it needs none)
--   first_answer_at: the first reply by the account in the comment's thread written after the comment (UTC); NULL: none yet
-- Threads (docs/comments.md): a comment is answered by the first reply the account wrote in its thread after it (a reply
-- by the account dated before the comment, or a reply by anyone else, does not answer it). A comment deleted on the
-- network is gone from the next extract of its post, and so from here.
WITH RECURSIVE source AS (
    SELECT network, account_id, post_id, published_at, comment_id, parent_id, created_at, author_hash, text, by_account
    FROM staging.comments
    WHERE published_at >= $start AND published_at < $end
),

threads AS (  -- each comment's top-level comment (X nests replies deeper than one level)
    SELECT network, account_id, comment_id, comment_id AS thread_id, 0 AS depth
    FROM source
    WHERE parent_id IS NULL
    UNION ALL
    SELECT c.network, c.account_id, c.comment_id, t.thread_id, t.depth + 1
    FROM source AS c
    INNER JOIN threads AS t ON c.network = t.network AND c.account_id = t.account_id AND c.parent_id = t.comment_id
    WHERE t.depth < 50
),

threaded AS (  -- a reply whose parent is not loaded (deleted) starts its own thread at that parent
    SELECT s.*, coalesce(t.thread_id, s.parent_id, s.comment_id) AS thread_id
    FROM source AS s
    LEFT JOIN threads AS t USING (network, account_id, comment_id)
),

answers AS (
    SELECT c.network, c.account_id, c.comment_id, min(r.created_at) AS first_answer_at
    FROM threaded AS c
    INNER JOIN threaded AS r
        ON r.network = c.network AND r.account_id = c.account_id AND r.thread_id = c.thread_id
        AND r.by_account AND r.created_at > c.created_at AND r.comment_id <> c.comment_id
    WHERE NOT coalesce(c.by_account, false)
    GROUP BY ALL
),

analysis AS (
    SELECT network, account_id, comment_id, language, sentiment, sentiment_score, topics, sentiment_confidence,
        sentiment_confident, needs_answer, answer_reason
    FROM core.comment_analysis
),

final AS (
    SELECT
        s.network,
        s.account_id,
        s.post_id,
        s.comment_id,
        s.parent_id,
        s.created_at,
        s.author_hash,
        s.text,
        a.language,
        a.sentiment,
        a.sentiment_score,
        a.topics,
        s.published_at AS post_published_at,
        a.sentiment_confidence,
        a.sentiment_confident,
        s.by_account,
        s.thread_id,
        coalesce(a.needs_answer AND NOT coalesce(s.by_account, false), false) AS needs_answer,
        CASE WHEN a.needs_answer AND NOT coalesce(s.by_account, false) THEN a.answer_reason END AS answer_reason,
        w.first_answer_at
    FROM threaded AS s
    LEFT JOIN analysis AS a USING (network, account_id, comment_id)
    LEFT JOIN answers AS w USING (network, account_id, comment_id)
)

SELECT * FROM final
