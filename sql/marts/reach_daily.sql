-- table: marts.reach_daily
-- grain: one row per network, account and day
-- key: network, account_id, day
-- window: day
-- family: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive)
-- NULL where the network does not give the number (X has no reach; see README "Metric mapping").
WITH source AS (
    SELECT * FROM core.account_daily WHERE day >= $start AND day < $end
),

final AS (
    SELECT network, account_id, day, impressions, reach, followers, follower_gain
    FROM source
)

SELECT * FROM final
