-- table: core.post
-- grain: one row per network, account and post, with its latest metrics snapshot
-- key: network, account_id, post_id
-- window: published_at
-- family: post
-- params: $start (DATE, inclusive), $end (DATE, exclusive): posts published in [$start, $end) UTC
-- reactions: the network's reaction total; NULL where the network does not give a number.
-- engagements: the network's (or connector's) total of what was reported, else the sum of the reported
-- parts; engagements_missing names the parts that were not reported (NULL when none).
WITH source AS (
    SELECT network, account_id, post_id, published_at, permalink, text
    FROM raw.posts
    WHERE published_at >= $start AND published_at < $end
    QUALIFY row_number() OVER (PARTITION BY network, account_id, post_id ORDER BY extracted_at DESC, stream DESC) = 1
),

latest AS (
    SELECT network, account_id, post_id, max(as_of) AS as_of
    FROM raw.post_metrics
    WHERE published_at >= $start AND published_at < $end
    GROUP BY network, account_id, post_id
),

snapshot AS (  -- one value per metric of the latest snapshot: the latest import wins
    SELECT m.*
    FROM raw.post_metrics AS m
    INNER JOIN latest AS l USING (network, account_id, post_id, as_of)
    QUALIFY row_number() OVER (
        PARTITION BY m.network, m.account_id, m.post_id, m.source_metric ORDER BY m.extracted_at DESC, m.stream DESC
    ) = 1
),

renamed AS (
    SELECT
        m.network,
        m.account_id,
        m.post_id,
        m.as_of,
        max(m.value) FILTER (WHERE m.metric = 'impressions') AS impressions,
        max(m.value) FILTER (WHERE m.metric = 'reach') AS reach,
        max(m.value) FILTER (WHERE m.metric = 'reactions') AS reactions,
        max(m.value) FILTER (WHERE m.metric = 'comments') AS comments,
        max(m.value) FILTER (WHERE m.metric = 'shares') AS shares,
        max(m.value) FILTER (WHERE m.metric = 'clicks') AS clicks,
        max(m.value) FILTER (WHERE m.metric = 'engagements') AS engagements,
        -- the parts a network-side sum lacked (X: counts it did not send, e.g. bookmark_count)
        max(json_extract_string(m.payload, '$.missing')) FILTER (WHERE m.metric = 'engagements') AS reported_missing
    FROM snapshot AS m
    GROUP BY m.network, m.account_id, m.post_id, m.as_of
),

final AS (
    SELECT
        s.network,
        s.account_id,
        s.post_id,
        s.published_at,
        s.permalink,
        s.text,
        CAST(round(r.impressions) AS BIGINT) AS impressions,
        CAST(round(r.reach) AS BIGINT) AS reach,
        CAST(round(r.reactions) AS BIGINT) AS reactions,
        CAST(round(r.comments) AS BIGINT) AS comments,
        CAST(round(r.shares) AS BIGINT) AS shares,
        CAST(round(r.clicks) AS BIGINT) AS clicks,
        CAST(round(coalesce(
            r.engagements,
            CASE WHEN coalesce(r.reactions, r.comments, r.shares, r.clicks) IS NOT NULL THEN
                coalesce(r.reactions, 0) + coalesce(r.comments, 0) + coalesce(r.shares, 0) + coalesce(r.clicks, 0)
            END
        )) AS BIGINT) AS engagements,
        r.as_of,
        CASE WHEN r.engagements IS NULL AND r.as_of IS NOT NULL THEN nullif(concat_ws(
            ',',
            CASE WHEN r.reactions IS NULL THEN 'reactions' END,
            CASE WHEN r.comments IS NULL THEN 'comments' END,
            CASE WHEN r.shares IS NULL THEN 'shares' END,
            CASE WHEN r.clicks IS NULL THEN 'clicks' END
        ), '')
            ELSE r.reported_missing END AS engagements_missing
    FROM source AS s
    LEFT JOIN renamed AS r USING (network, account_id, post_id)
)

SELECT * FROM final
