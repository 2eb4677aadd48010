-- table: marts.post_performance
-- grain: one row per network, account and post: lifetime numbers as of the latest snapshot
-- key: network, account_id, post_id
-- window: published_at
-- family: post
-- engagements_missing: the parts engagements lacked because the network did not report them
-- (comma-separated; NULL when complete or the network's own total; README "Engagements").
-- params: $start (DATE, inclusive), $end (DATE, exclusive): posts published in [$start, $end) UTC
-- engagement_rate = engagements / impressions (NULL when impressions are 0 or unknown).
WITH source AS (
    SELECT * FROM core.post WHERE published_at >= $start AND published_at < $end
),

final AS (
    SELECT
        network,
        account_id,
        post_id,
        published_at,
        permalink,
        text,
        impressions,
        reach,
        reactions,
        comments,
        shares,
        clicks,
        engagements,
        CAST(engagements AS DOUBLE) / nullif(impressions, 0) AS engagement_rate,
        as_of,
        engagements_missing
    FROM source
)

SELECT * FROM final
