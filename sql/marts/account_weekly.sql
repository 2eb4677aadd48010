-- table: marts.account_weekly
-- grain: one row per network, account and ISO week (Monday) with numbers, posts or comments, plus
--        network 'all' / account_id 'all' rows for the company
-- key: network, account_id, week_start
-- window: week_start by week
-- family: since (a run's comments arrive after their posts were published: every week from the earliest
--         day it loaded to the last is rebuilt)
-- params: $start, $end (DATE, whole weeks); $tz (the company's time zone: the week of a post or comment is
--         its local calendar week); $comment_networks (networks whose connector loads comment texts)
-- What the weekly report shows, with how much data stands behind each figure: <figure>_days counts the
-- days of the week the account reported it (7 = a whole week). Rates are ratios of sums over the days
-- that have both parts: engagement_rate = rate_engagements / rate_impressions. comments is the
-- network's own count, or (comments_source 'loaded') the comments loaded where the network gives no
-- page total but its comments are loaded (Facebook: 0 on a day with numbers and no comment); comments_loaded / comments_analysed / comments_confident count the texts in
-- core.comment, their classified and their confidently classified share. Company rows add the
-- accounts up (the comment texts of the accounts whose comments they count); <figure>_accounts lists the accounts ('network/account_id') behind each company figure
-- and <figure>_whole is true when every one of them reported it on all 7 days, so comparisons can
-- take the same accounts and whole weeks on both sides (marts.weekly_headline).
-- The tone: tone_comments analysed comments of the week (their creation week in $tz), tone_confident of them
-- confidently classified (tone_uncertain: the rest, left out of the shares); positive/neutral/negative_share
-- and net_sentiment (share positive - share negative, -1..1) are ratios of the confident counts, the
-- company's over all its accounts' comments (fewer comments is news, not missing data).
-- columns:
--   network: the network, or 'all' for the company's row [not null]
--   account_id: the account's id on its network, or 'all' for the company's row [not null]
--   week_start: the ISO week's Monday [not null]
--   days_with_data: days of the week with any daily numbers [range 0..7]
--   reach: daily reach added up over the week
--   reach_days: days the account reported reach [range 0..7]
--   impressions: impressions of the week [range 0..]
--   impressions_days: days the account reported impressions [range 0..7]
--   engagements: engagements of the week [range 0..]
--   engagements_days: days the account reported engagements [range 0..7]
--   rate_engagements: engagements of the days that have both engagements and impressions [range 0..]
--   rate_impressions: impressions of the days that have both [range 0..]
--   engagement_rate_days: days with both engagements and impressions [range 0..7]
--   follower_gain: net new followers of the week
--   follower_gain_days: days the account reported a gain [range 0..7]
--   followers_start: followers at the start of the week
--   followers_end: followers at the end of the week
--   comments: the network's comment count, or (comments_source 'loaded') the comments loaded
--   comments_days: days the comment count covers [range 0..7]
--   comments_source: 'network' (its own count) or 'loaded' (the texts counted); NULL for company rows and without a count [in network|loaded]
--   comments_loaded: comment texts loaded in core.comment [range 0..]
--   comments_analysed: of them, classified [range 0..]
--   comments_confident: of them, confidently classified [range 0..]
--   confident_positive: confident positive comments of the week (creation week, company time zone) [range 0..]
--   confident_neutral: confident neutral comments [range 0..]
--   confident_negative: confident negative comments [range 0..]
--   tone_comments: analysed comments of the week, whatever the network counts [range 0..]
--   tone_confident: of them, confidently classified [range 0..]
--   posts: posts published that week [range 0..]
--   reach_accounts: company rows: the accounts ('network/account_id') behind reach
--   reach_whole: company rows: every one of them reported reach on all 7 days
--   engagement_rate_accounts: company rows: the accounts behind the engagement rate
--   engagement_rate_whole: company rows: every one of them had both parts on all 7 days
--   follower_gain_accounts: company rows: the accounts behind the follower gain
--   follower_gain_whole: company rows: every one of them reported a gain on all 7 days
--   comments_accounts: company rows: the accounts behind the comment count
--   comments_whole: company rows: every one of them had a count on all 7 days
--   engagement_rate: rate_engagements / rate_impressions [range 0..]
--   follower_growth: follower_gain / followers_start
--   tone_uncertain: analysed comments left out of the shares as uncertain [range 0..]
--   positive_share: share of the confident comments that are positive [range 0..1]
--   neutral_share: share neutral [range 0..1]
--   negative_share: share negative [range 0..1]
--   net_sentiment: share positive - share negative [range -1..1]
WITH daily AS (
    SELECT *, CAST(date_trunc('week', day) AS DATE) AS week_start
    FROM core.account_daily
    WHERE day >= $start AND day < $end
),

numbers AS (
    SELECT
        network,
        account_id,
        week_start,
        count(*) AS days_with_data,
        sum(reach) AS reach,
        count(reach) AS reach_days,
        sum(impressions) AS impressions,
        count(impressions) AS impressions_days,
        sum(engagements) AS engagements,
        count(engagements) AS engagements_days,
        sum(engagements) FILTER (WHERE impressions IS NOT NULL) AS rate_engagements,
        sum(impressions) FILTER (WHERE engagements IS NOT NULL) AS rate_impressions,
        count(*) FILTER (WHERE engagements IS NOT NULL AND impressions IS NOT NULL) AS engagement_rate_days,
        sum(follower_gain) AS follower_gain,
        count(follower_gain) AS follower_gain_days,
        arg_min(followers - coalesce(follower_gain, 0), day) FILTER (WHERE followers IS NOT NULL) AS followers_start,
        arg_max(followers, day) FILTER (WHERE followers IS NOT NULL) AS followers_end,
        sum(comments) AS network_comments,
        count(comments) AS network_comment_days
    FROM daily
    GROUP BY ALL
),

texts AS (
    SELECT
        network,
        account_id,
        CAST(date_trunc('week', CAST(timezone($tz, created_at) AS DATE)) AS DATE) AS week_start,
        count(*) AS comments_loaded,
        count(sentiment) AS comments_analysed,
        count(*) FILTER (WHERE sentiment IS NOT NULL AND sentiment_confident) AS comments_confident,
        count(*) FILTER (WHERE sentiment = 'positive' AND sentiment_confident) AS confident_positive,
        count(*) FILTER (WHERE sentiment = 'neutral' AND sentiment_confident) AS confident_neutral,
        count(*) FILTER (WHERE sentiment = 'negative' AND sentiment_confident) AS confident_negative
    FROM core.comment
    WHERE created_at >= CAST($start AS TIMESTAMP) AT TIME ZONE 'UTC' - INTERVAL 1 DAY  -- a day's margin for $tz,
      AND created_at < CAST($end AS TIMESTAMP) AT TIME ZONE 'UTC' + INTERVAL 1 DAY   -- so min/max prune
      AND CAST(timezone($tz, created_at) AS DATE) >= $start AND CAST(timezone($tz, created_at) AS DATE) < $end
    GROUP BY ALL
),

posts AS (
    SELECT
        network,
        account_id,
        CAST(date_trunc('week', CAST(timezone($tz, published_at) AS DATE)) AS DATE) AS week_start,
        count(*) AS posts
    FROM core.post
    WHERE published_at >= CAST($start AS TIMESTAMP) AT TIME ZONE 'UTC' - INTERVAL 1 DAY
      AND published_at < CAST($end AS TIMESTAMP) AT TIME ZONE 'UTC' + INTERVAL 1 DAY
      AND CAST(timezone($tz, published_at) AS DATE) >= $start AND CAST(timezone($tz, published_at) AS DATE) < $end
    GROUP BY ALL
),

per_account AS (
    SELECT
        network,
        account_id,
        week_start,
        coalesce(n.days_with_data, 0) AS days_with_data,
        n.reach,
        coalesce(n.reach_days, 0) AS reach_days,
        n.impressions,
        coalesce(n.impressions_days, 0) AS impressions_days,
        n.engagements,
        coalesce(n.engagements_days, 0) AS engagements_days,
        n.rate_engagements,
        n.rate_impressions,
        coalesce(n.engagement_rate_days, 0) AS engagement_rate_days,
        n.follower_gain,
        coalesce(n.follower_gain_days, 0) AS follower_gain_days,
        n.followers_start,
        n.followers_end,
        -- the network's count; where it gives none but its comments are loaded (Facebook), those counted
        CASE
            WHEN coalesce(n.network_comment_days, 0) > 0 THEN n.network_comments
            WHEN list_contains($comment_networks, network) AND coalesce(n.days_with_data, 0) > 0
                THEN coalesce(t.comments_loaded, 0)
        END AS comments,
        CASE
            WHEN coalesce(n.network_comment_days, 0) > 0 THEN n.network_comment_days
            WHEN list_contains($comment_networks, network) THEN coalesce(n.days_with_data, 0)
            ELSE 0
        END AS comments_days,
        CASE
            WHEN coalesce(n.network_comment_days, 0) > 0 THEN 'network'
            WHEN list_contains($comment_networks, network) AND coalesce(n.days_with_data, 0) > 0 THEN 'loaded'
        END AS comments_source,
        coalesce(t.comments_loaded, 0) AS comments_loaded,
        coalesce(t.comments_analysed, 0) AS comments_analysed,
        coalesce(t.comments_confident, 0) AS comments_confident,
        coalesce(t.confident_positive, 0) AS confident_positive,
        coalesce(t.confident_neutral, 0) AS confident_neutral,
        coalesce(t.confident_negative, 0) AS confident_negative,
        -- the tone: of every analysed comment of the week, whatever the network counts
        coalesce(t.comments_analysed, 0) AS tone_comments,
        coalesce(t.comments_confident, 0) AS tone_confident,
        coalesce(p.posts, 0) AS posts
    FROM numbers AS n
    FULL OUTER JOIN texts AS t USING (network, account_id, week_start)
    FULL OUTER JOIN posts AS p USING (network, account_id, week_start)
),

company AS (
    SELECT
        'all' AS network,
        'all' AS account_id,
        week_start,
        max(days_with_data) AS days_with_data,
        sum(reach) AS reach,
        max(reach_days) AS reach_days,
        sum(impressions) AS impressions,
        max(impressions_days) AS impressions_days,
        sum(engagements) AS engagements,
        max(engagements_days) AS engagements_days,
        sum(rate_engagements) AS rate_engagements,
        sum(rate_impressions) AS rate_impressions,
        max(engagement_rate_days) AS engagement_rate_days,
        sum(follower_gain) AS follower_gain,
        max(follower_gain_days) AS follower_gain_days,
        -- growth needs every account that gained followers to have its total
        CASE WHEN bool_and(followers_start IS NOT NULL) FILTER (WHERE follower_gain IS NOT NULL)
            THEN sum(followers_start) FILTER (WHERE follower_gain IS NOT NULL) END AS followers_start,
        sum(followers_end) AS followers_end,
        sum(comments) AS comments,
        max(comments_days) AS comments_days,
        NULL AS comments_source,
        sum(comments_loaded) FILTER (WHERE comments_days > 0) AS comments_loaded,
        sum(comments_analysed) FILTER (WHERE comments_days > 0) AS comments_analysed,
        sum(comments_confident) FILTER (WHERE comments_days > 0) AS comments_confident,
        sum(confident_positive) AS confident_positive,
        sum(confident_neutral) AS confident_neutral,
        sum(confident_negative) AS confident_negative,
        sum(tone_comments) AS tone_comments,
        sum(tone_confident) AS tone_confident,
        sum(posts) AS posts,
        list_sort(list(network || '/' || account_id) FILTER (WHERE reach_days > 0)) AS reach_accounts,
        coalesce(bool_and(reach_days = 7) FILTER (WHERE reach_days > 0), false) AS reach_whole,
        list_sort(list(network || '/' || account_id) FILTER (WHERE engagement_rate_days > 0))
            AS engagement_rate_accounts,
        coalesce(bool_and(engagement_rate_days = 7) FILTER (WHERE engagement_rate_days > 0), false)
            AS engagement_rate_whole,
        list_sort(list(network || '/' || account_id) FILTER (WHERE follower_gain_days > 0)) AS follower_gain_accounts,
        coalesce(bool_and(follower_gain_days = 7) FILTER (WHERE follower_gain_days > 0), false) AS follower_gain_whole,
        list_sort(list(network || '/' || account_id) FILTER (WHERE comments_days > 0)) AS comments_accounts,
        coalesce(bool_and(comments_days = 7) FILTER (WHERE comments_days > 0), false) AS comments_whole
    FROM per_account
    GROUP BY week_start
),

final AS (
    SELECT
        *,
        CAST(rate_engagements AS DOUBLE) / nullif(rate_impressions, 0) AS engagement_rate,
        CAST(follower_gain AS DOUBLE) / nullif(followers_start, 0) AS follower_growth,
        tone_comments - tone_confident AS tone_uncertain,
        CAST(confident_positive AS DOUBLE) / nullif(tone_confident, 0) AS positive_share,
        CAST(confident_neutral AS DOUBLE) / nullif(tone_confident, 0) AS neutral_share,
        CAST(confident_negative AS DOUBLE) / nullif(tone_confident, 0) AS negative_share,
        CAST(confident_positive - confident_negative AS DOUBLE) / nullif(tone_confident, 0) AS net_sentiment
    FROM (
        SELECT
            *,
            NULL::VARCHAR[] AS reach_accounts, NULL::BOOLEAN AS reach_whole,
            NULL::VARCHAR[] AS engagement_rate_accounts, NULL::BOOLEAN AS engagement_rate_whole,
            NULL::VARCHAR[] AS follower_gain_accounts, NULL::BOOLEAN AS follower_gain_whole,
            NULL::VARCHAR[] AS comments_accounts, NULL::BOOLEAN AS comments_whole
        FROM per_account
        UNION ALL BY NAME
        SELECT * FROM company
    )
)

SELECT * FROM final
