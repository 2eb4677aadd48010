-- variants: week -> marts.network_weekly, month -> marts.network_monthly
-- table: marts.network_{period}ly
-- grain: one row per network, account and {period} (ISO weeks start on Monday; months on the 1st), plus
--        network 'all' / account 'all' rows for the company as a whole
-- key: network, account_id, {period}_start
-- window: {period}_start by {period}
-- family: day
-- params: $start, $end (DATE): widened by the runner to whole {period}s
-- One definition, two tables: the runner makes marts.network_weekly ({period} = week) and
-- marts.network_monthly ({period} = month) from this file.
-- Rates are ratios of sums: engagement_rate = engagements / impressions, engagement_rate_by_reach =
-- engagements / reach_daily_sum. reach_daily_sum adds daily unique reach, so it counts a person
-- once per day, not once per {period}. follower_growth_pct = follower_gain / followers at the start.
-- NULL where a network does not report a number (sum() of only NULLs is NULL).
-- columns:
--   network: the network, or 'all' for the company's row [not null]
--   account_id: the account's id on its network, or 'all' for the company's row [not null]
--   {period}_start: the first day of the {period} (weeks start on Monday) [not null]
--   days_reported: days of the {period} with numbers [range 0..]
--   impressions: impressions of the period [range 0..]
--   reach_daily_sum: daily unique reach added up (a person counts once a day, not once a period) [range 0..]
--   reactions: reactions [range 0..]
--   comments: comments [range 0..]
--   shares: shares [range 0..]
--   clicks: clicks [range 0..]
--   engagements: engagements [range 0..]
--   followers_start: followers at the start of the period
--   followers_end: followers at its end
--   follower_gain: net new followers of the period
--   engagement_rate: engagements / impressions (a ratio of sums) [range 0..]
--   engagement_rate_by_reach: engagements / reach_daily_sum [range 0..]
--   follower_growth_pct: follower_gain / followers at the start, in percent
WITH source AS (
    SELECT *, CAST(date_trunc('{period}', day) AS DATE) AS {period}_start
    FROM core.account_daily
    WHERE day >= $start AND day < $end
),

per_account AS (
    SELECT
        network,
        account_id,
        {period}_start,
        count(*) AS days_reported,
        sum(impressions) AS impressions,
        sum(reach) AS reach_daily_sum,
        sum(reactions) AS reactions,
        sum(comments) AS comments,
        sum(shares) AS shares,
        sum(clicks) AS clicks,
        sum(engagements) AS engagements,
        arg_min(followers - coalesce(follower_gain, 0), day) FILTER (WHERE followers IS NOT NULL) AS followers_start,
        arg_max(followers, day) FILTER (WHERE followers IS NOT NULL) AS followers_end,
        sum(follower_gain) AS follower_gain
    FROM source
    GROUP BY network, account_id, {period}_start
),

company AS (
    SELECT
        'all' AS network,
        'all' AS account_id,
        {period}_start,
        max(days_reported) AS days_reported,
        sum(impressions) AS impressions,
        sum(reach_daily_sum) AS reach_daily_sum,
        sum(reactions) AS reactions,
        sum(comments) AS comments,
        sum(shares) AS shares,
        sum(clicks) AS clicks,
        sum(engagements) AS engagements,
        sum(followers_start) AS followers_start,
        sum(followers_end) AS followers_end,
        sum(follower_gain) AS follower_gain
    FROM per_account
    GROUP BY {period}_start
),

final AS (
    SELECT
        *,
        CAST(engagements AS DOUBLE) / nullif(impressions, 0) AS engagement_rate,
        CAST(engagements AS DOUBLE) / nullif(reach_daily_sum, 0) AS engagement_rate_by_reach,
        100.0 * follower_gain / nullif(followers_start, 0) AS follower_growth_pct
    FROM (SELECT * FROM per_account UNION ALL SELECT * FROM company)
)

SELECT * FROM final
