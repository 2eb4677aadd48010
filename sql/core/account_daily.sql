-- table: core.account_daily
-- grain: one row per network, account and day
-- key: network, account_id, day
-- window: day
-- family: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive), $tz (company time zone),
--         $derived_networks (networks without a daily series: X)
-- The unified daily model across networks: raw.daily_metrics pivoted on the unified metric names
-- the connectors assign. A metric a network does not report stays NULL, never 0.
-- follower_gain: the network's own daily net gain; else follows - unfollows; else the day-over-day
-- change of the follower total (only between consecutive days).
-- engagements: the network's own total where it reports one, else the sum of the parts it reported
-- (reactions, comments, shares, clicks); engagements_missing names the parts that sum lacked (NULL when
-- none, or when the total is the network's own).
-- Where two slices give the same metric for a day (two Xing files), the latest import wins; within
-- one import, the slice (file) whose name sorts last.
-- Networks without a daily series (X) get their days from the posts' lifetime numbers: a post's
-- first observation counts on the day it was published, every later nightly snapshot adds the
-- difference to the previous one on the snapshot's day. Posts only a backfill has read count their
-- lifetime numbers (as read) on their publishing day. Reach stays NULL: X has none. A number that
-- went down between snapshots (an unlike, a deleted reply) counts 0 that day, never negative.
-- Every day a load covered (meta.loads: the windows of its posts, snapshots and account numbers)
-- has a row for X: a covered day without a post and without a snapshot observation is a day on which
-- nothing happened, so its impressions, reactions, comments, shares and engagements are 0 (a day with
-- posts keeps exactly what they gave, NULL included); clicks
-- (X gives them per post, for 30 days, with user context only), reach and followers (a nightly
-- snapshot; backfills take none) stay NULL there: unknown, never guessed.
WITH reported AS (
    SELECT network, account_id, day, metric, value
    FROM raw.daily_metrics
    WHERE metric IS NOT NULL
      AND day >= $start - INTERVAL 1 DAY
      AND day < $end
    QUALIFY row_number() OVER (
        PARTITION BY network, account_id, day, metric ORDER BY extracted_at DESC, stream DESC
    ) = 1
),

snapshots AS (  -- lifetime numbers per post and snapshot day; the latest extract of each
    SELECT network, account_id, post_id, published_at, as_of, metric, value
    FROM raw.post_snapshots
    WHERE metric IS NOT NULL AND list_contains($derived_networks, network)
    QUALIFY row_number() OVER (
        PARTITION BY network, account_id, post_id, as_of, metric ORDER BY extracted_at DESC, stream DESC
    ) = 1
),

backfilled AS (  -- posts never snapshotted: their latest lifetime numbers
    SELECT m.network, m.account_id, m.post_id, m.published_at, m.as_of, m.metric, m.value
    FROM raw.post_metrics AS m
    ANTI JOIN (SELECT DISTINCT network, account_id, post_id FROM snapshots) AS s USING (network, account_id, post_id)
    WHERE m.metric IS NOT NULL AND list_contains($derived_networks, m.network)
    QUALIFY row_number() OVER (
        PARTITION BY m.network, m.account_id, m.post_id, m.metric ORDER BY m.as_of DESC, m.extracted_at DESC
    ) = 1
),

increments AS (
    SELECT
        network,
        account_id,
        metric,
        CASE
            WHEN lag(as_of) OVER w IS NULL THEN CAST(timezone($tz, published_at) AS DATE) ELSE as_of
        END AS day,
        greatest(value - coalesce(lag(value) OVER w, 0), 0) AS value  -- an unlike is not a negative day
    FROM (SELECT * FROM snapshots UNION ALL SELECT * FROM backfilled)
    WINDOW w AS (PARTITION BY network, account_id, post_id, metric ORDER BY as_of)
),

covered AS (  -- the days the loads of derived networks covered, per account
    SELECT DISTINCT
        network,
        account_id,
        CAST(unnest(generate_series(
            CAST(greatest(window_start, $start) AS TIMESTAMP),
            CAST(least(window_end, $end) AS TIMESTAMP) - INTERVAL 1 DAY,
            INTERVAL 1 DAY
        )) AS DATE) AS day
    FROM meta.loads
    WHERE list_contains($derived_networks, network)
      AND kind IN ('daily_metrics', 'post_metrics', 'post_snapshots')
      AND window_start < $end
      AND window_end > $start
),

quiet AS (  -- a covered day without any post or snapshot observation: nothing happened, 0
    SELECT c.network, c.account_id, c.day, m.metric, 0.0 AS value
    FROM covered AS c
    ANTI JOIN (SELECT DISTINCT network, account_id, day FROM increments) AS i USING (network, account_id, day)
    CROSS JOIN (VALUES ('impressions'), ('reactions'), ('comments'), ('shares'), ('engagements')) AS m (metric)
),

source AS (
    SELECT network, account_id, day, metric, value FROM reported
    UNION ALL
    SELECT network, account_id, day, metric, sum(value) AS value
    FROM increments
    WHERE day >= $start - INTERVAL 1 DAY AND day < $end
    GROUP BY network, account_id, day, metric
    UNION ALL
    SELECT network, account_id, day, metric, value FROM quiet
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
