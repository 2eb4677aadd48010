-- table: marts.weekly_headline
-- grain: one row per ISO week (Monday) of the company and headline figure (reach, engagement_rate,
--        follower_gain, comments, tone)
-- key: week_start, figure
-- window: week_start by week
-- family: since (a week's comparisons read the 4 weeks before it: a change reaches the later weeks)
-- params: $start, $end (DATE, whole weeks): the weeks written; it reads from 4 weeks before $start
-- The report's headline comparisons, like for like: a week is compared only with a week that has the
-- same accounts behind the figure (accounts) and every one of them on all 7 days (whole), on both
-- sides. previous_status says why a comparison with the week before is missing: 'ok', 'no_value'
-- (nothing this week), 'no_previous', 'this_week_partial', 'previous_partial', 'accounts_differ'.
-- The 4-week average takes, of the 4 weeks before, only the whole weeks with the same accounts
-- (average_weeks of them; average_left_out lists the others that have a value); a rate's average is
-- the ratio of the sums (sum of engagements / sum of impressions), a count's the mean of the weeks.
-- Changes: relative for reach and comments (0.12 = +12 %), in rate points for engagement_rate
-- (0.004 = +0.4 points), a difference for follower_gain and tone (net sentiment, -1..1); NULL unless the
-- status is 'ok'. The tone compares any two weeks with confident comments (fewer comments is news, not
-- missing data); its average is the ratio of the 4 weeks' sums, like the engagement rate's.
-- columns:
--   week_start: the ISO week's Monday [not null]
--   figure: the headline figure [not null, in reach|engagement_rate|follower_gain|comments|tone]
--   value: the week's value of the figure
--   accounts: the accounts ('network/account_id') behind the value
--   whole: every one of them reported the figure on all 7 days
--   previous_value: the week before's value
--   previous_accounts: the accounts behind it
--   previous_status: why a comparison with the week before is missing, or 'ok' [not null, in ok|no_value|no_previous|this_week_partial|previous_partial|accounts_differ]
--   previous_change: the change against the week before (relative for reach and comments, points for rates, a difference for follower_gain and tone); NULL unless previous_status is 'ok'
--   average_value: the average of the whole, like-for-like weeks of the 4 before
--   average_weeks: how many weeks that average takes [range 0..4]
--   average_left_out: the weeks with a value left out of the average
--   average_status: why the average is missing or short, or 'ok' [not null, in ok|no_value|this_week_partial|no_whole_weeks|fewer_weeks]
--   average_change: the change against the average, measured like previous_change
WITH company AS (
    SELECT * FROM marts.account_weekly
    WHERE network = 'all' AND account_id = 'all' AND week_start >= $start - INTERVAL 28 DAY AND week_start < $end
),

figures AS (
    SELECT week_start, 'reach' AS figure, CAST(reach AS DOUBLE) AS value, CAST(reach AS DOUBLE) AS num,
        CAST(NULL AS DOUBLE) AS den, reach_accounts AS accounts, reach_whole AS whole
    FROM company
    UNION ALL
    SELECT week_start, 'engagement_rate', engagement_rate, rate_engagements, rate_impressions,
        engagement_rate_accounts, engagement_rate_whole
    FROM company
    UNION ALL
    SELECT week_start, 'follower_gain', follower_gain, follower_gain, NULL, follower_gain_accounts, follower_gain_whole
    FROM company
    UNION ALL
    SELECT week_start, 'comments', comments, comments, NULL, comments_accounts, comments_whole
    FROM company
    UNION ALL  -- the tone has no whole-week rule: any week with confident comments compares
    SELECT week_start, 'tone', net_sentiment, confident_positive - confident_negative, tone_confident, NULL,
        net_sentiment IS NOT NULL
    FROM company
),

averaged AS (
    SELECT
        f.week_start,
        f.figure,
        count(a.week_start) FILTER (WHERE a.whole AND a.accounts IS NOT DISTINCT FROM f.accounts) AS average_weeks,
        CASE
            WHEN f.figure IN ('engagement_rate', 'tone')
                THEN sum(a.num) FILTER (WHERE a.whole AND a.accounts IS NOT DISTINCT FROM f.accounts)
                    / nullif(sum(a.den) FILTER (WHERE a.whole AND a.accounts IS NOT DISTINCT FROM f.accounts), 0)
            ELSE avg(a.value) FILTER (WHERE a.whole AND a.accounts IS NOT DISTINCT FROM f.accounts)
        END AS average_value,
        list_sort(list(a.week_start) FILTER (WHERE NOT (a.whole AND a.accounts IS NOT DISTINCT FROM f.accounts)))
            AS average_left_out
    FROM figures AS f
    LEFT JOIN figures AS a
        ON a.figure = f.figure
        AND a.week_start >= f.week_start - INTERVAL 28 DAY
        AND a.week_start < f.week_start
        AND a.value IS NOT NULL
    GROUP BY f.week_start, f.figure
),

compared AS (
    SELECT
        f.week_start,
        f.figure,
        f.value,
        f.accounts,
        f.whole,
        p.value AS previous_value,
        p.accounts AS previous_accounts,
        CASE
            WHEN f.value IS NULL THEN 'no_value'
            WHEN p.value IS NULL THEN 'no_previous'
            WHEN NOT f.whole THEN 'this_week_partial'
            WHEN NOT p.whole THEN 'previous_partial'
            WHEN f.accounts IS DISTINCT FROM p.accounts THEN 'accounts_differ'
            ELSE 'ok'
        END AS previous_status,
        CASE
            WHEN f.value IS NULL THEN 'no_value'
            WHEN NOT f.whole THEN 'this_week_partial'
            WHEN coalesce(a.average_weeks, 0) = 0 THEN 'no_whole_weeks'
            WHEN a.average_weeks < 4 THEN 'fewer_weeks'
            ELSE 'ok'
        END AS average_status,
        CASE WHEN f.whole THEN a.average_value END AS average_value,
        CASE WHEN f.whole THEN coalesce(a.average_weeks, 0) ELSE 0 END AS average_weeks,
        a.average_left_out
    FROM figures AS f
    LEFT JOIN figures AS p ON p.figure = f.figure AND p.week_start = f.week_start - INTERVAL 7 DAY
    LEFT JOIN averaged AS a ON a.figure = f.figure AND a.week_start = f.week_start
),

final AS (
    SELECT
        week_start,
        figure,
        value,
        accounts,
        whole,
        previous_value,
        previous_accounts,
        previous_status,
        CASE WHEN previous_status = 'ok' THEN
            CASE figure
                WHEN 'engagement_rate' THEN value - previous_value
                WHEN 'tone' THEN value - previous_value
                WHEN 'follower_gain' THEN value - previous_value
                ELSE value / nullif(previous_value, 0) - 1
            END
        END AS previous_change,
        average_value,
        average_weeks,
        average_left_out,
        average_status,
        CASE WHEN average_status IN ('ok', 'fewer_weeks') THEN
            CASE figure
                WHEN 'engagement_rate' THEN value - average_value
                WHEN 'tone' THEN value - average_value
                WHEN 'follower_gain' THEN value - average_value
                ELSE value / nullif(average_value, 0) - 1
            END
        END AS average_change
    FROM compared
)

SELECT * FROM final
