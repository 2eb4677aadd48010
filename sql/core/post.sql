-- table: core.post
-- grain: one row per network, account and post, with its latest metrics snapshot
-- key: network, account_id, post_id
-- window: published_at
-- family: post
-- params: $start (DATE, inclusive), $end (DATE, exclusive): posts published in [$start, $end) UTC
-- (a run loads the posts of the company's local days; the pipeline rebuilds a UTC day more on each side)
-- The latest extract of each post (staging.posts) with its latest snapshot (intermediate.metrics_wide).
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram)
--   account_id: the account's id on its network
--   post_id: the post's id on its network [not null]
--   published_at: when the post was published (UTC)
--   permalink: the post's public link
--   text: the post's text
--   format: text, image, video, link, album, reel, poll or other (docs/data.md "Post format"); NULL where the network does not say
--   impressions: lifetime impressions as of the latest snapshot [range 0..]
--   reach: lifetime unique reach; NULL where the network gives none [range 0..]
--   reactions: the network's reaction total; NULL where it gives no number [range 0..]
--   comments: comments, as the network counts them [range 0..]
--   shares: shares, reposts, retweets [range 0..]
--   clicks: clicks [range 0..]
--   engagements: the network's (or connector's) total of what was reported, else the sum of the reported parts [range 0..]
--   as_of: the day of the latest snapshot the numbers come from
--   engagements_missing: the parts that were not reported (comma-separated); NULL when none
WITH source AS (
    SELECT network, account_id, post_id, published_at, permalink, text, format
    FROM staging.posts
    WHERE published_at >= $start AND published_at < $end
),

renamed AS (  -- the post's latest snapshot, a column per metric
    SELECT network, account_id, post_id, day AS as_of, impressions, reach, reactions, comments, shares, clicks,
        engagements, reported_missing
    FROM intermediate.metrics_wide
    WHERE subject = 'post'
),

final AS (
    SELECT
        s.network,
        s.account_id,
        s.post_id,
        s.published_at,
        s.permalink,
        s.text,
        s.format,
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
