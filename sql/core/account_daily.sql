-- table: core.account_daily
-- grain: one row per network, account and day
-- window: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive)
-- The unified daily model across networks: raw.daily_metrics pivoted on the unified metric names
-- the connectors assign. A metric a network does not report stays NULL, never 0.
-- follower_gain: the network's own daily net gain; else follows - unfollows; else the day-over-day
-- change of the follower total (only between consecutive days).
-- Where two slices give the same metric for a day (two Xing files), the latest import wins; within
-- one import, the slice (file) whose name sorts last.
WITH source AS (
    SELECT network, account_id, day, metric, value
    FROM raw.daily_metrics
    WHERE metric IS NOT NULL
      AND day >= $start - INTERVAL 1 DAY
      AND day < $end
    QUALIFY row_number() OVER (
        PARTITION BY network, account_id, day, metric ORDER BY extracted_at DESC, stream DESC
    ) = 1
),

renamed AS (
    SELECT
        network,
        account_id,
        day,
        max(value) FILTER (WHERE metric = 'impressions') AS impressions,
        max(value) FILTER (WHERE metric = 'reach') AS reach,
        max(value) FILTER (WHERE metric = 'followers') AS followers,
        max(value) FILTER (WHERE metric = 'follower_gain') AS follower_gain,
        max(value) FILTER (WHERE metric = 'follows') AS follows,
        max(value) FILTER (WHERE metric = 'unfollows') AS unfollows,
        max(value) FILTER (WHERE metric = 'reactions') AS reactions,
        max(value) FILTER (WHERE metric = 'comments') AS comments,
        max(value) FILTER (WHERE metric = 'shares') AS shares,
        max(value) FILTER (WHERE metric = 'clicks') AS clicks,
        max(value) FILTER (WHERE metric = 'engagements') AS engagements,
        max(value) FILTER (WHERE metric = 'page_views') AS page_views
    FROM source
    GROUP BY network, account_id, day
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
        CAST(round(coalesce(engagements, reactions + comments + shares + clicks)) AS BIGINT) AS engagements,
        CAST(round(page_views) AS BIGINT) AS page_views
    FROM with_previous
)

SELECT * FROM final WHERE day >= $start AND day < $end
