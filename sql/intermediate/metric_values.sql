-- table: intermediate.metric_values
-- materialized: ephemeral
-- grain: one row per subject, network, account, post, day and unified metric
-- key: subject, network, account_id, post_id, day, metric
-- params: $start (DATE, inclusive), $end (DATE, exclusive), $tz (company time zone),
--         $derived_networks (networks without a daily series: X)
-- Every metric value a model pivots, long, in the unified vocabulary (connectors/base.py), from either
-- subject; a model reads one subject (`WHERE subject = 'account'`), and the other branch is never run.
--
-- subject 'account' (post_id NULL): an account's numbers of a day in [$start - 1 day, $end) (the day
-- before lets a model compare with the previous day). Networks with a daily series report them;
-- networks without one (X) get their days from the posts' lifetime numbers: a post's first observation
-- counts on the day it was published (company time zone), every later nightly snapshot adds the
-- difference to the previous one on the snapshot's day. Posts only a backfill has read count their
-- lifetime numbers (as read) on their publishing day. A number that went down between snapshots (an
-- unlike, a deleted reply) counts 0 that day, never negative. Every day a load covered (meta.loads: the
-- windows of its posts, snapshots and account numbers) without a post or snapshot observation is a day
-- on which nothing happened: impressions, reactions, comments, shares and engagements 0; clicks, reach and
-- followers are not derived (unknown, never guessed).
--
-- subject 'post': the latest snapshot (as_of, as `day`) of each post published in [$start, $end) UTC,
-- one value per source metric; `note` carries what a network-side engagements total lacked ($.missing of
-- its payload, X: counts it did not send).
-- columns:
--   subject: 'account' (an account's numbers of a day) or 'post' (a post's latest snapshot) [not null, in account|post]
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post (subject 'post'); NULL for an account's numbers
--   day: the day of an account's numbers, or the snapshot's day (as_of) of a post's
--   metric: the unified metric name (connectors/base.py) [not null]
--   value: the number (derived for networks without a daily series: X)
--   note: what a network-side engagements total lacked (the payload's $.missing)
WITH snapshots AS (  -- lifetime numbers per post and snapshot day
    SELECT network, account_id, post_id, published_at, as_of, metric, value
    FROM staging.post_snapshots
    WHERE list_contains($derived_networks, network)
),

backfilled AS (  -- posts never snapshotted: their latest lifetime numbers (two source metrics of one: the larger)
    SELECT m.network, m.account_id, m.post_id, m.published_at, m.as_of, m.metric, m.value
    FROM staging.post_metrics AS m
    ANTI JOIN (SELECT DISTINCT network, account_id, post_id FROM snapshots) AS s USING (network, account_id, post_id)
    WHERE m.metric IS NOT NULL AND list_contains($derived_networks, m.network)
    QUALIFY row_number() OVER (
        PARTITION BY m.network, m.account_id, m.post_id, m.metric ORDER BY m.as_of DESC, m.value DESC
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

account_values AS (
    SELECT network, account_id, day, metric, value
    FROM staging.daily_metrics
    WHERE day >= $start - INTERVAL 1 DAY AND day < $end
    UNION ALL
    SELECT network, account_id, day, metric, sum(value) AS value
    FROM increments
    WHERE day >= $start - INTERVAL 1 DAY AND day < $end
    GROUP BY network, account_id, day, metric
    UNION ALL
    SELECT network, account_id, day, metric, value FROM quiet
),

latest_snapshot AS (
    SELECT network, account_id, post_id, max(as_of) AS as_of
    FROM staging.post_metrics
    WHERE published_at >= $start AND published_at < $end
    GROUP BY network, account_id, post_id
),

post_values AS (
    SELECT m.network, m.account_id, m.post_id, m.as_of AS day, m.metric, m.value,
        json_extract_string(m.payload, '$.missing') AS note
    FROM staging.post_metrics AS m
    INNER JOIN latest_snapshot AS l USING (network, account_id, post_id, as_of)
)

SELECT 'account' AS subject, network, account_id, CAST(NULL AS VARCHAR) AS post_id, day, metric, value,
    CAST(NULL AS VARCHAR) AS note
FROM account_values
UNION ALL
SELECT 'post' AS subject, network, account_id, post_id, day, metric, value, note
FROM post_values
