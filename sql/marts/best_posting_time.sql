-- table: marts.best_posting_time
-- grain: one row per network, weekday and hour (company time zone) with enough posts to say so
-- window: none
-- params: $tz (the company's time zone from the config)
-- Only slots with at least 5 posts on networks with at least 30 posts are shown. engagement_rate
-- is a ratio of sums over the slot's posts; rate_index compares it with the network's overall
-- rate (100 = as good as the average post).
WITH source AS (
    SELECT
        network,
        isodow(timezone($tz, published_at)) AS weekday,
        hour(timezone($tz, published_at)) AS hour,
        impressions,
        engagements
    FROM core.post
    WHERE impressions IS NOT NULL AND engagements IS NOT NULL
),

networks AS (
    SELECT network, count(*) AS posts, sum(engagements) / nullif(sum(impressions), 0) AS rate
    FROM source
    GROUP BY network
    HAVING count(*) >= 30
),

slots AS (
    SELECT
        network,
        weekday,
        hour,
        count(*) AS posts,
        sum(impressions) AS impressions,
        sum(engagements) AS engagements
    FROM source
    GROUP BY network, weekday, hour
    HAVING count(*) >= 5
),

final AS (
    SELECT
        s.network,
        s.weekday,
        s.hour,
        s.posts,
        s.impressions,
        s.engagements,
        CAST(s.engagements AS DOUBLE) / nullif(s.impressions, 0) AS engagement_rate,
        100.0 * (CAST(s.engagements AS DOUBLE) / nullif(s.impressions, 0)) / nullif(n.rate, 0) AS rate_index
    FROM slots AS s
    INNER JOIN networks AS n USING (network)
)

SELECT * FROM final
