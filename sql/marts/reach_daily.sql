-- table: marts.reach_daily
-- grain: one row per network, account and day
-- key: network, account_id, day
-- window: day
-- family: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive)
-- NULL where the network does not give the number (X has no reach; see README "Metric mapping").
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   day: the calendar day [not null]
--   impressions: how often the account's content was shown that day [range 0..]
--   reach: unique people reached that day; NULL where the network gives none (X) [range 0..]
--   followers: the follower total at the end of the day [range 0..]
--   follower_gain: net new followers that day (core.account_daily)
WITH source AS (
    SELECT * FROM core.account_daily WHERE day >= $start AND day < $end
),

final AS (
    SELECT network, account_id, day, impressions, reach, followers, follower_gain
    FROM source
)

SELECT * FROM final
