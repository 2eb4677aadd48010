-- table: core.account_daily
-- grain: one row per network, account and day
-- key: network, account_id, day
-- window: day
-- family: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive), $tz (company time zone),
--         $derived_networks (networks without a daily series: X)
-- The unified daily model across networks: the accounts' rows of intermediate.metrics_wide (the one pivot
-- over the metric vocabulary; how days of networks without a daily series are derived is told there).
-- A metric a network does not report stays NULL, never 0.
-- Duplicates of a day (two runs, two Xing files) were settled in staging.daily_metrics: the latest import wins.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   day: the calendar day (the company's time zone for days derived from posts) [not null]
--   impressions: how often the account's content was shown that day; NULL where not reported [range 0..]
--   reach: unique people reached that day; NULL where the network gives none (X) [range 0..]
--   followers: the follower total at the end of the day [range 0..]
--   follower_gain: net new followers: the network's own gain, else follows - unfollows, else the change of the total from the day before (only between consecutive days)
--   reactions: the network's reaction total [range 0..]
--   comments: comments, as the network counts them [range 0..]
--   shares: shares, reposts, retweets [range 0..]
--   clicks: clicks on the account's content [range 0..]
--   engagements: the network's own total where it reports one, else the sum of the reported parts (reactions, comments, shares, clicks) [range 0..]
--   page_views: views of the page or profile
--   engagements_missing: the parts the engagements sum lacked (comma-separated); NULL when none or the total is the network's own
WITH renamed AS (
    SELECT * EXCLUDE (subject, post_id, reported_missing)
    FROM intermediate.metrics_wide
    WHERE subject = 'account'
),

with_previous AS (
    SELECT
        *,
        lag(followers) OVER w AS previous_followers,
        lag(day) OVER w AS previous_day
    FROM renamed
    WINDOW w AS (PARTITION BY network, account_id ORDER BY day)
),

final AS (
    SELECT
        network,
        account_id,
        day,
        CAST(round(impressions) AS BIGINT) AS impressions,
        CAST(round(reach) AS BIGINT) AS reach,
        CAST(round(followers) AS BIGINT) AS followers,
        CAST(round(coalesce(
            follower_gain,
            follows - unfollows,
            CASE WHEN previous_day = day - INTERVAL 1 DAY THEN followers - previous_followers END
        )) AS BIGINT) AS follower_gain,
        CAST(round(reactions) AS BIGINT) AS reactions,
        CAST(round(comments) AS BIGINT) AS comments,
        CAST(round(shares) AS BIGINT) AS shares,
        CAST(round(clicks) AS BIGINT) AS clicks,
        CAST(round(coalesce(
            engagements,
            CASE WHEN coalesce(reactions, comments, shares, clicks) IS NOT NULL THEN
                coalesce(reactions, 0) + coalesce(comments, 0) + coalesce(shares, 0) + coalesce(clicks, 0)
            END
        )) AS BIGINT) AS engagements,
        CAST(round(page_views) AS BIGINT) AS page_views,
        CASE WHEN engagements IS NULL THEN nullif(concat_ws(
            ',',
            CASE WHEN reactions IS NULL THEN 'reactions' END,
            CASE WHEN comments IS NULL THEN 'comments' END,
            CASE WHEN shares IS NULL THEN 'shares' END,
            CASE WHEN clicks IS NULL THEN 'clicks' END
        ), '') END AS engagements_missing
    FROM with_previous
)

SELECT * FROM final WHERE day >= $start AND day < $end
