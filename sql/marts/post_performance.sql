-- table: marts.post_performance
-- grain: one row per network, account and post: lifetime numbers as of the latest snapshot
-- key: network, account_id, post_id
-- window: published_at
-- family: post
-- params: $start (DATE, inclusive), $end (DATE, exclusive): posts published in [$start, $end) UTC
-- engagement_rate = engagements / impressions (NULL when impressions are 0 or unknown).
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post's id on its network [not null]
--   published_at: when the post was published (UTC) [not null]
--   permalink: the post's public link
--   text: the post's text
--   format: text, image, video, link, album, reel, poll or other (docs/data.md "Post format"); NULL where the network does not say
--   impressions: lifetime impressions as of the latest snapshot [range 0..]
--   reach: lifetime unique reach; NULL where the network gives none [range 0..]
--   reactions: reactions [range 0..]
--   comments: comments [range 0..]
--   shares: shares, reposts, retweets [range 0..]
--   clicks: clicks [range 0..]
--   engagements: the network's total, else the sum of the reported parts [range 0..]
--   engagement_rate: engagements / impressions; NULL when impressions are 0 or unknown [range 0..]
--   as_of: the day of the latest snapshot the numbers come from
--   engagements_missing: the parts engagements lacked (comma-separated); NULL when complete or the network's own total (README "Engagements")
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
        format,
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
