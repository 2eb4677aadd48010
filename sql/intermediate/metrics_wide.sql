-- table: intermediate.metrics_wide
-- materialized: ephemeral
-- grain: one row per subject, network, account, post and day, a column per metric of the vocabulary
-- key: subject, network, account_id, post_id, day
-- params: those of intermediate.metric_values
-- The one pivot over the unified metric vocabulary (connectors/base.py DAILY_METRICS; a post has the
-- subset POST_METRICS): long values become a column per metric. A metric a subject's network does not
-- report stays NULL, never 0. reported_missing: what a network-side engagements total lacked.
-- columns:
--   subject: 'account' or 'post', as in intermediate.metric_values [not null, in account|post]
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post (subject 'post'); NULL for an account's numbers
--   day: the day of an account's numbers, or the snapshot's day of a post's
--   impressions: how often content was shown
--   reach: unique people reached (NULL where the network gives none)
--   followers: the follower total
--   follower_gain: the network's own net gain of followers
--   follows: new followers
--   unfollows: followers lost
--   reactions: reactions (likes and the like)
--   comments: comments, as the network counts them
--   shares: shares, reposts, retweets
--   clicks: clicks
--   engagements: the network's (or connector's) engagements total, where it gives one
--   page_views: views of the page or profile
--   reported_missing: what a network-side engagements total lacked (comma-separated)
SELECT
    subject,
    network,
    account_id,
    post_id,
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
    max(value) FILTER (WHERE metric = 'page_views') AS page_views,
    max(note) FILTER (WHERE metric = 'engagements') AS reported_missing
FROM intermediate.metric_values
GROUP BY subject, network, account_id, post_id, day
