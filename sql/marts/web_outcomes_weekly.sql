-- table: marts.web_outcomes_weekly
-- grain: one row per analytics tool, site, ISO week (Monday), network, figure and goal
-- key: analytics, site_id, week_start, network, figure, goal_id
-- window: none
-- What the weekly report's "Was hat es gebracht?" shows, read from marts.web_outcomes_daily (visits, conversions
-- of all goals, revenue) and marts.web_goal_daily (conversions per goal named in the config), each site apart
-- (Matomo and GA4 measuring the same website are two views of the same visitors: never added up).
-- `network` as in marts.web_outcomes_daily ('all', 'social', a network, 'other_social'), campaign NULL only.
-- A week has a row for every network and figure the site has ever had, as soon as the site answered for one
-- of its days; a network without a row on such a day brought 0 that day. `days` counts the days the site
-- answered (a day answered empty, e.g. GA4's last day or two, has no row and does not count).
-- Like for like, as marts.weekly_headline: a week is compared only when it and the other side are whole (the
-- site answered on all 7 days). previous_status: 'ok', 'no_previous', 'this_week_partial', 'previous_partial'.
-- The 4-week average takes, of the 4 weeks before, only the whole ones (average_weeks; average_left_out lists
-- the partial ones); average_status 'ok', 'this_week_partial', 'no_whole_weeks', 'fewer_weeks'.
-- Changes are relative (0.12 = +12 %); NULL unless the status allows a comparison or the reference is 0.
-- Visits a network's app opens without a referrer arrive as 'direct' and are counted for no network.
-- columns:
--   analytics: the analytics tool (matomo, ga4) [not null]
--   site_id: the site (Matomo idSite, GA4 property id) [not null]
--   week_start: the ISO week's Monday [not null]
--   network: all, social, facebook, instagram, linkedin, x, xing or other_social [not null]
--   figure: visits, conversions or revenue [not null, in visits|conversions|revenue]
--   goal_id: the goal of a conversions row ('all': every goal; visits and revenue rows: 'all') [not null]
--   goal_name: the goal's name from the account's goals: option (NULL for 'all')
--   value: the week's sum [range 0..]
--   days: days of the week the site answered for [range 0..7]
--   whole: the site answered on all 7 days [not null]
--   previous_value: the week before's value
--   previous_status: why a comparison with the week before is missing, or 'ok' [not null, in ok|no_previous|this_week_partial|previous_partial]
--   previous_change: value / previous_value - 1; NULL unless previous_status is 'ok'
--   average_value: the mean of the whole weeks among the 4 before
--   average_weeks: how many weeks that average takes [range 0..4]
--   average_left_out: the weeks among the 4 before with a value left out (partial)
--   average_status: why the average is missing or short, or 'ok' [not null, in ok|this_week_partial|no_whole_weeks|fewer_weeks]
--   average_change: value / average_value - 1; NULL unless average_status is 'ok' or 'fewer_weeks'
WITH daily AS (
    SELECT analytics, site_id, day, network, visits, conversions, revenue
    FROM marts.web_outcomes_daily
    WHERE campaign IS NULL
),

goal_daily AS (
    SELECT analytics, site_id, day, network, goal_id, goal_name, conversions
    FROM marts.web_goal_daily
    WHERE campaign IS NULL AND goal_name IS NOT NULL
),

site_weeks AS (
    -- the days the site answered: its row for all visits
    SELECT analytics, site_id, CAST(date_trunc('week', day) AS DATE) AS week_start, count(DISTINCT day) AS days
    FROM daily
    WHERE network = 'all'
    GROUP BY ALL
),

goals AS (
    SELECT analytics, site_id, goal_id, max(goal_name) AS goal_name FROM goal_daily GROUP BY ALL
),

networks AS (
    SELECT DISTINCT analytics, site_id, network FROM daily
),

figures AS (
    SELECT n.analytics, n.site_id, n.network, f.figure, 'all' AS goal_id, CAST(NULL AS VARCHAR) AS goal_name
    FROM networks AS n
    CROSS JOIN (VALUES ('visits'), ('conversions'), ('revenue')) AS f (figure)
    UNION ALL
    SELECT n.analytics, n.site_id, n.network, 'conversions', g.goal_id, g.goal_name
    FROM networks AS n
    JOIN goals AS g USING (analytics, site_id)
),

sums AS (
    SELECT analytics, site_id, CAST(date_trunc('week', day) AS DATE) AS week_start, network, f.figure,
        'all' AS goal_id,
        sum(CASE f.figure WHEN 'visits' THEN visits WHEN 'conversions' THEN conversions ELSE revenue END) AS value
    FROM daily
    CROSS JOIN (VALUES ('visits'), ('conversions'), ('revenue')) AS f (figure)
    GROUP BY ALL
    UNION ALL
    SELECT analytics, site_id, CAST(date_trunc('week', day) AS DATE), network, 'conversions', goal_id,
        sum(conversions)
    FROM goal_daily
    GROUP BY ALL
),

weekly AS (
    SELECT f.analytics, f.site_id, w.week_start, f.network, f.figure, f.goal_id, f.goal_name,
        CAST(coalesce(s.value, 0) AS DOUBLE) AS value, w.days, w.days = 7 AS whole
    FROM figures AS f
    JOIN site_weeks AS w USING (analytics, site_id)
    LEFT JOIN sums AS s
        ON s.analytics = f.analytics AND s.site_id = f.site_id AND s.week_start = w.week_start
        AND s.network = f.network AND s.figure = f.figure AND s.goal_id = f.goal_id
),

averaged AS (
    SELECT w.analytics, w.site_id, w.week_start, w.network, w.figure, w.goal_id,
        count(a.week_start) FILTER (WHERE a.whole) AS average_weeks,
        avg(a.value) FILTER (WHERE a.whole) AS average_value,
        list_sort(list(a.week_start) FILTER (WHERE NOT a.whole)) AS average_left_out
    FROM weekly AS w
    LEFT JOIN weekly AS a
        ON a.analytics = w.analytics AND a.site_id = w.site_id AND a.network = w.network
        AND a.figure = w.figure AND a.goal_id = w.goal_id
        AND a.week_start >= w.week_start - INTERVAL 28 DAY AND a.week_start < w.week_start
    GROUP BY ALL
),

compared AS (
    SELECT w.*,
        p.value AS previous_value,
        CASE
            WHEN p.value IS NULL THEN 'no_previous'
            WHEN NOT w.whole THEN 'this_week_partial'
            WHEN NOT p.whole THEN 'previous_partial'
            ELSE 'ok'
        END AS previous_status,
        CASE WHEN w.whole THEN a.average_value END AS average_value,
        CASE WHEN w.whole THEN coalesce(a.average_weeks, 0) ELSE 0 END AS average_weeks,
        a.average_left_out,
        CASE
            WHEN NOT w.whole THEN 'this_week_partial'
            WHEN coalesce(a.average_weeks, 0) = 0 THEN 'no_whole_weeks'
            WHEN a.average_weeks < 4 THEN 'fewer_weeks'
            ELSE 'ok'
        END AS average_status
    FROM weekly AS w
    LEFT JOIN weekly AS p
        ON p.analytics = w.analytics AND p.site_id = w.site_id AND p.network = w.network AND p.figure = w.figure
        AND p.goal_id = w.goal_id AND p.week_start = w.week_start - INTERVAL 7 DAY
    LEFT JOIN averaged AS a
        ON a.analytics = w.analytics AND a.site_id = w.site_id AND a.network = w.network AND a.figure = w.figure
        AND a.goal_id = w.goal_id AND a.week_start = w.week_start
),

final AS (
    SELECT analytics, site_id, week_start, network, figure, goal_id, goal_name, value, days, whole,
        previous_value, previous_status,
        CASE WHEN previous_status = 'ok' THEN value / nullif(previous_value, 0) - 1 END AS previous_change,
        average_value, average_weeks, average_left_out, average_status,
        CASE WHEN average_status IN ('ok', 'fewer_weeks') THEN value / nullif(average_value, 0) - 1 END
            AS average_change
    FROM compared
)

SELECT * FROM final
