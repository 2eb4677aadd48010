-- table: marts.engagement_daily
-- grain: one row per network, account and day
-- key: network, account_id, day
-- window: day
-- family: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive)
-- engagement_rate = engagements / impressions; engagement_rate_by_reach = engagements / reach;
-- NULL when the denominator is 0 or unknown.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   day: the calendar day [not null]
--   reactions: reactions [range 0..]
--   comments: comments, as the network counts them [range 0..]
--   shares: shares, reposts, retweets [range 0..]
--   clicks: clicks [range 0..]
--   engagements: the network's total, else the sum of the reported parts [range 0..]
--   impressions: how often the account's content was shown [range 0..]
--   reach: unique people reached; NULL where the network gives none [range 0..]
--   engagement_rate: engagements / impressions; NULL when impressions are 0 or unknown [range 0..]
--   engagement_rate_by_reach: engagements / reach; NULL when reach is 0 or unknown [range 0..]
--   engagements_missing: the parts engagements lacked (comma-separated); NULL when complete or the network's own total (README "Engagements")
WITH source AS (
    SELECT * FROM core.account_daily WHERE day >= $start AND day < $end
),

final AS (
    SELECT
        network,
        account_id,
        day,
        reactions,
        comments,
        shares,
        clicks,
        engagements,
        impressions,
        reach,
        CAST(engagements AS DOUBLE) / nullif(impressions, 0) AS engagement_rate,
        CAST(engagements AS DOUBLE) / nullif(reach, 0) AS engagement_rate_by_reach,
        engagements_missing
    FROM source
)

SELECT * FROM final
