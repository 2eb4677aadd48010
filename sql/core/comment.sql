-- table: core.comment
-- grain: one row per network, account and comment (replies included, parent_id set)
-- window: post_published_at
-- params: $start (DATE, inclusive), $end (DATE, exclusive): comments on posts published in the window
-- author_hash is a keyed hash (socialmetrics/privacy.py); names never reach the warehouse.
-- language, sentiment and sentiment_score are filled by the comment analysis (NULL until then).
WITH source AS (
    SELECT network, account_id, post_id, published_at, comment_id, parent_id, created_at, author_hash, text
    FROM raw.comments
    WHERE published_at >= $start AND published_at < $end
),

final AS (
    SELECT
        network,
        account_id,
        post_id,
        comment_id,
        parent_id,
        created_at,
        author_hash,
        text,
        CAST(NULL AS VARCHAR) AS language,
        CAST(NULL AS VARCHAR) AS sentiment,
        CAST(NULL AS DOUBLE) AS sentiment_score,
        published_at AS post_published_at
    FROM source
)

SELECT * FROM final
