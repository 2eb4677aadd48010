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
WITH source AS (
    SELECT network, account_id, post_id, published_at, comment_id, parent_id, created_at, author_hash, text
    FROM staging.comments
    WHERE published_at >= $start AND published_at < $end
),

analysis AS (
    SELECT network, account_id, comment_id, language, sentiment, sentiment_score, topics, sentiment_confidence,
        sentiment_confident
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
        a.sentiment_confident
    FROM source AS s
    LEFT JOIN analysis AS a USING (network, account_id, comment_id)
)

SELECT * FROM final
