-- table: marts.engagement_daily
-- grain: one row per network, account and day
-- key: network, account_id, day
-- window: day
-- family: day
-- engagements_missing: the parts engagements lacked because the network did not report them
-- (comma-separated; NULL when complete or the network's own total; README "Engagements").
-- params: $start (DATE, inclusive), $end (DATE, exclusive)
-- engagement_rate = engagements / impressions; engagement_rate_by_reach = engagements / reach;
-- NULL when the denominator is 0 or unknown.
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
