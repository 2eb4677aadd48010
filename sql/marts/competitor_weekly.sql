-- table: marts.competitor_weekly
-- grain: one row per network, competitor (or the company itself) and ISO week (Monday) in which it was read
-- key: network, competitor, week_start
-- window: none (rebuilt whole on every run: a few rows per competitor and week)
-- params: $tz (the company's time zone: the week of a post is its local calendar week)
-- The comparison with competitors, on networks where at least one competitor was read. Every row is computed
-- the same way from public counts only: followers at the last night of the week the account was read, posts
-- published in the week, and their interactions as anyone can see them (Instagram: likes + comments; X: likes +
-- replies + reposts + quotes; Facebook and Xing: reactions + comments + shares), each post's latest count. Xing
-- competitors come from their files: each page row's follower count is a reading, a post is published on the
-- first date it appears (as the company's own Xing posts). The company is a row too (is_company), from its own
-- follower total and its posts' same public counts, so the comparison is fair. A week without a readable
-- snapshot (status not_found or no_data) has NULL figures and says why in `status`, never zeros. Growth is
-- taken only between consecutive weeks of the same account id (a renamed handle keeps its series; another
-- account under the same name starts a new one).
-- columns:
--   network: the network (instagram, x, facebook, xing) [not null]
--   competitor: the competitor's name in the config, or the company's account id (is_company) [not null]
--   is_company: true for the company's own row [not null]
--   week_start: the ISO week's Monday [not null]
--   status: ok, not_found or no_data at the week's last reading [not null, in ok|not_found|no_data]
--   user_id: the account id on the network at the week's last reading
--   followers: the public follower total at the week's last reading [range 0..]
--   follower_gain: followers minus those of the week before (same account id); NULL for a first week
--   follower_growth: follower_gain / the week before's followers
--   posts: posts published in the week (company time zone) [range 0..]
--   interactions: their public interactions (latest counts) [range 0..]
--   interactions_per_post: interactions / posts with all their public counts [range 0..]
--   interactions_per_1000_followers: interactions / followers * 1000 [range 0..]
WITH snaps AS (
    SELECT * FROM staging.competitor_snapshots
),

networks AS (
    SELECT DISTINCT network FROM snaps
),

readings AS (  -- one row per account and night: competitors' snapshots and the company's own daily totals
    SELECT network, competitor, FALSE AS is_company, as_of AS day, status, user_id, followers
    FROM snaps
    WHERE post_id IS NULL
    UNION ALL
    SELECT a.network, a.account_id, TRUE, a.day, 'ok', a.account_id, a.followers
    FROM core.account_daily AS a
    INNER JOIN networks AS n ON a.network = n.network
    WHERE a.followers IS NOT NULL
),

posts AS (  -- every post once, with its latest public counts
    SELECT network, competitor, post_id, published_at,
        CASE WHEN network = 'instagram' THEN likes + comments ELSE likes + comments + shares END AS interactions
    FROM snaps
    WHERE post_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY network, competitor, post_id ORDER BY as_of DESC) = 1
    UNION ALL
    SELECT p.network, p.account_id, p.post_id, p.published_at,
        CASE WHEN p.network = 'instagram' THEN p.reactions + p.comments
            ELSE p.reactions + p.comments + p.shares END
    FROM core.post AS p
    INNER JOIN networks AS n ON p.network = n.network
),

weeks AS (
    SELECT
        network,
        competitor,
        is_company,
        CAST(date_trunc('week', day) AS DATE) AS week_start,
        arg_max(status, day) AS status,
        arg_max(user_id, day) AS user_id,
        arg_max(followers, day) AS followers
    FROM readings
    GROUP BY ALL
),

post_weeks AS (
    SELECT
        network,
        competitor,
        CAST(date_trunc('week', timezone($tz, published_at)) AS DATE) AS week_start,
        count(*) AS posts,
        count(interactions) AS posts_counted,
        sum(interactions) AS interactions
    FROM posts
    GROUP BY ALL
),

joined AS (
    SELECT
        w.network,
        w.competitor,
        w.is_company,
        w.week_start,
        w.status,
        w.user_id,
        CASE WHEN w.status = 'ok' THEN w.followers END AS followers,
        CASE WHEN w.status = 'ok' THEN coalesce(p.posts, 0) END AS posts,
        CASE WHEN w.status = 'ok' THEN coalesce(p.interactions, 0) END AS interactions,
        CASE WHEN w.status = 'ok' THEN p.posts_counted END AS posts_counted
    FROM weeks AS w
    LEFT JOIN post_weeks AS p
        ON w.network = p.network AND w.competitor = p.competitor AND w.week_start = p.week_start
),

final AS (
    SELECT
        network,
        competitor,
        is_company,
        week_start,
        status,
        user_id,
        followers,
        CASE
            WHEN lag(week_start) OVER w = week_start - INTERVAL 7 DAY AND lag(user_id) OVER w = user_id
                THEN followers - lag(followers) OVER w
        END AS follower_gain,
        CASE
            WHEN lag(week_start) OVER w = week_start - INTERVAL 7 DAY AND lag(user_id) OVER w = user_id
                THEN (followers - lag(followers) OVER w) / nullif(lag(followers) OVER w, 0)
        END AS follower_growth,
        posts,
        interactions,
        interactions / nullif(posts_counted, 0) AS interactions_per_post,
        interactions / nullif(followers, 0) * 1000 AS interactions_per_1000_followers
    FROM joined
    WINDOW w AS (PARTITION BY network, competitor ORDER BY week_start)
)

SELECT * FROM final
