-- table: marts.comment_sentiment
-- grain: one row per network, account, post and week (Monday, company time zone) of the comments
-- key: network, account_id, post_id, week_start
-- params: $tz (the company's time zone)
-- window: none
-- What people say about each post, week by week: how many comments, which share is positive,
-- neutral or negative, the net sentiment (share positive - share negative, -1..1) and the three
-- most frequent topics. Shares and net count only confident comments (calibrated probability of
-- the label >= the analyzer's CONFIDENCE_THRESHOLD); uncertain_comments says how many classified
-- comments were left out for being uncertain. Comments without text (deleted by the retention) still count with the
-- analysis made while the text existed. The account's own answers (core.comment.by_account) are not counted: this is
-- what the audience says. Per campaign: marts.campaign_comment_sentiment.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post the comments were written under [not null]
--   week_start: the Monday (company time zone) of the week the comments were written [not null]
--   comments: comments counted [range 0..]
--   classified: comments with a tone [range 0..]
--   confident_comments: classified comments whose label is confident [range 0..]
--   uncertain_comments: classified comments left out of the shares as uncertain [range 0..]
--   positive_share: share of the confident comments that are positive [range 0..1]
--   neutral_share: share of the confident comments that are neutral [range 0..1]
--   negative_share: share of the confident comments that are negative [range 0..1]
--   net_sentiment: share positive - share negative [range -1..1]
--   comments_de: comments in German [range 0..]
--   comments_en: comments in English [range 0..]
--   top_topics: the three most frequent topics, comma-separated
WITH source AS (
    SELECT network, account_id, post_id, comment_id,
        CAST(date_trunc('week', timezone($tz, created_at)) AS DATE) AS week_start,
        language, sentiment, topics, sentiment_confident
    FROM core.comment
    WHERE created_at IS NOT NULL
        AND NOT coalesce(by_account, false)  -- what the audience says: the account's own answers are not counted
),

counted AS (
    SELECT
        network,
        account_id,
        post_id,
        week_start,
        count(*) AS comments,
        count(*) FILTER (WHERE sentiment IS NOT NULL) AS classified,
        count(*) FILTER (WHERE sentiment IS NOT NULL AND sentiment_confident) AS confident,
        count(*) FILTER (WHERE sentiment = 'positive' AND sentiment_confident) AS positive,
        count(*) FILTER (WHERE sentiment = 'neutral' AND sentiment_confident) AS neutral,
        count(*) FILTER (WHERE sentiment = 'negative' AND sentiment_confident) AS negative,
        count(*) FILTER (WHERE language = 'de') AS comments_de,
        count(*) FILTER (WHERE language = 'en') AS comments_en
    FROM source
    GROUP BY ALL
),

topic_counts AS (
    SELECT network, account_id, post_id, week_start, topic, count(*) AS n
    FROM (SELECT *, unnest(topics) AS topic FROM source)
    GROUP BY ALL
),

ranked AS (
    SELECT *, row_number() OVER (PARTITION BY network, account_id, post_id, week_start ORDER BY n DESC, topic) AS rn
    FROM topic_counts
),

top_topics AS (
    SELECT network, account_id, post_id, week_start, string_agg(topic, ', ' ORDER BY n DESC, topic) AS top_topics
    FROM ranked
    WHERE rn <= 3
    GROUP BY ALL
),

final AS (
    SELECT
        c.network,
        c.account_id,
        c.post_id,
        c.week_start,
        c.comments,
        c.classified,
        c.confident AS confident_comments,
        c.classified - c.confident AS uncertain_comments,
        c.positive / nullif(c.confident, 0) AS positive_share,
        c.neutral / nullif(c.confident, 0) AS neutral_share,
        c.negative / nullif(c.confident, 0) AS negative_share,
        (c.positive - c.negative) / nullif(c.confident, 0) AS net_sentiment,
        c.comments_de,
        c.comments_en,
        t.top_topics
    FROM counted AS c
    LEFT JOIN top_topics AS t USING (network, account_id, post_id, week_start)
)

SELECT * FROM final
