-- table: marts.network_comparison
-- materialized: view (each account's median spans its whole history, so every night would rewrite every
--                     row: a view computes it from marts.network_weekly when it is read)
-- grain: one row per network, account and ISO week
-- key: network, account_id, week_start
-- Networks of different size compare fairly: every figure is indexed against the account's own
-- median week (100 = a typical week for that account). Weeks with fewer than 7 reported days are
-- left out (a half week would look like a drop). Reads marts.network_weekly: a week is summed once.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   week_start: the ISO week's Monday (complete weeks only) [not null]
--   impressions: impressions of the week [range 0..]
--   engagements: engagements of the week [range 0..]
--   engagement_rate: engagements / impressions of the week [range 0..]
--   impressions_index: impressions against the account's median week (100 = typical) [range 0..]
--   engagements_index: engagements against the account's median week (100 = typical) [range 0..]
--   engagement_rate_index: engagement rate against the account's median week (100 = typical) [range 0..]
--   weeks_in_median: how many complete weeks the median is taken over [range 1..]
WITH source AS (  -- the accounts' whole weeks of the weekly rollup (its rates are ratios of sums)
    SELECT network, account_id, week_start, impressions, engagements, engagement_rate
    FROM marts.network_weekly
    WHERE network <> 'all' AND days_reported = 7
),

medians AS (
    SELECT
        network,
        account_id,
        median(impressions) AS median_impressions,
        median(engagements) AS median_engagements,
        median(engagement_rate) AS median_engagement_rate,
        count(*) AS weeks
    FROM source
    GROUP BY network, account_id
),

final AS (
    SELECT
        s.network,
        s.account_id,
        s.week_start,
        s.impressions,
        s.engagements,
        s.engagement_rate,
        100.0 * s.impressions / nullif(m.median_impressions, 0) AS impressions_index,
        100.0 * s.engagements / nullif(m.median_engagements, 0) AS engagements_index,
        100.0 * s.engagement_rate / nullif(m.median_engagement_rate, 0) AS engagement_rate_index,
        m.weeks AS weeks_in_median
    FROM source AS s
    INNER JOIN medians AS m USING (network, account_id)
)

SELECT * FROM final
