-- table: marts.week_highlights
-- grain: one row per account (network, account_id), ISO week (Monday) of marts.account_weekly and figure (reach,
--        impressions, engagements, engagement_rate, follower_gain)
-- key: network, account_id, week_start, figure
-- window: none (rebuilt whole on every run: a week's normal range reads the 8 weeks before it)
-- params: none
-- What rose or fell beyond normal variation, for the sentences that open the weekly report. The normal range of a
-- figure is the account's own: the mean of its whole weeks (the figure reported on all 7 days) among the 8 weeks
-- before, plus and minus two standard deviations of those weeks (counts: not below 0). verdict: 'rose' above the
-- range, 'fell' below it, 'normal' within it; 'short_history' when fewer than 4 whole weeks stand behind the range,
-- 'not_whole' when the week itself is not whole (a half week would look like a drop). With weekly figures that
-- vary like a normal distribution, a week falls outside mean +- 2 sd about once in 20 weeks by chance: the report
-- names at most the two largest deviations (z: how many standard deviations from the mean).
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   week_start: the ISO week's Monday [not null]
--   figure: the figure [not null, in reach|impressions|engagements|engagement_rate|follower_gain]
--   value: the week's value (marts.account_weekly)
--   whole: the account reported the figure on all 7 days of the week [not null]
--   baseline_weeks: whole weeks with a value among the 8 before [range 0..8]
--   baseline_mean: their mean
--   low: the normal range's lower end (mean - 2 sd; counts not below 0)
--   high: the normal range's upper end (mean + 2 sd)
--   z: (value - mean) / sd; NULL without a spread
--   verdict: rose, fell, normal, short_history or not_whole [not null, in rose|fell|normal|short_history|not_whole]
WITH weeks AS (
    SELECT network, account_id, week_start, 'reach' AS figure, CAST(reach AS DOUBLE) AS value,
           coalesce(reach_days = 7, false) AS whole
    FROM marts.account_weekly WHERE network <> 'all'
    UNION ALL
    SELECT network, account_id, week_start, 'impressions', CAST(impressions AS DOUBLE),
           coalesce(impressions_days = 7, false)
    FROM marts.account_weekly WHERE network <> 'all'
    UNION ALL
    SELECT network, account_id, week_start, 'engagements', CAST(engagements AS DOUBLE),
           coalesce(engagements_days = 7, false)
    FROM marts.account_weekly WHERE network <> 'all'
    UNION ALL
    SELECT network, account_id, week_start, 'engagement_rate', CAST(engagement_rate AS DOUBLE),
           coalesce(engagement_rate_days = 7, false)
    FROM marts.account_weekly WHERE network <> 'all'
    UNION ALL
    SELECT network, account_id, week_start, 'follower_gain', CAST(follower_gain AS DOUBLE),
           coalesce(follower_gain_days = 7, false)
    FROM marts.account_weekly WHERE network <> 'all'
),

baseline AS (
    SELECT
        w.network, w.account_id, w.week_start, w.figure, w.value, w.whole,
        count(b.value) AS baseline_weeks,
        -- ordered: a float sum in the join's (varying) order differs in its last bits, and a rerun of the same
        -- numbers must publish the same table
        avg(b.value ORDER BY b.week_start) AS baseline_mean,
        stddev_samp(b.value ORDER BY b.week_start) AS baseline_sd
    FROM weeks AS w
    LEFT JOIN weeks AS b
        ON b.network = w.network AND b.account_id = w.account_id AND b.figure = w.figure
        AND b.week_start >= w.week_start - INTERVAL 56 DAY AND b.week_start < w.week_start
        AND b.whole AND b.value IS NOT NULL
    GROUP BY ALL
),

ranged AS (
    SELECT
        *,
        CASE WHEN figure = 'follower_gain' THEN baseline_mean - 2 * baseline_sd
             ELSE greatest(0, baseline_mean - 2 * baseline_sd) END AS low,
        baseline_mean + 2 * baseline_sd AS high
    FROM baseline
),

final AS (
    SELECT
        network,
        account_id,
        week_start,
        figure,
        value,
        whole,
        baseline_weeks,
        baseline_mean,
        low,
        high,
        (value - baseline_mean) / nullif(baseline_sd, 0) AS z,
        CASE
            WHEN value IS NULL OR NOT whole THEN 'not_whole'
            WHEN baseline_weeks < 4 THEN 'short_history'
            WHEN value > high THEN 'rose'
            WHEN value < low THEN 'fell'
            ELSE 'normal'
        END AS verdict
    FROM ranged
)

SELECT * FROM final
