-- table: marts.best_posting_time
-- grain: one row per network, dimension ('weekday' 1-7 ISO, or 'hour' 0-23 in the company time
--        zone) and slot, for slots with enough posts to say something
-- key: network, dimension, slot
-- window: none
-- params: $tz (the company's time zone from the config)
-- A slot needs at least 5 posts and its network at least 30. engagement_rate is a ratio of sums over
-- the slot's posts; rate_index compares it with the network's overall rate (100 = an average post);
-- is_best marks the best slot per network and dimension. Weekday and hour are separate dimensions:
-- a small company has too few posts for every weekday-hour pair.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   dimension: 'weekday' or 'hour' [not null, in weekday|hour]
--   slot: the ISO weekday (1 = Monday .. 7) or the hour (0-23) in the company's time zone [not null, range 0..23]
--   posts: posts published in the slot (at least 5) [range 5..]
--   impressions: the slot's posts' impressions [range 0..]
--   engagements: the slot's posts' engagements [range 0..]
--   engagement_rate: engagements / impressions of the slot's posts (a ratio of sums) [range 0..]
--   rate_index: the slot's rate against the network's overall rate (100 = an average post) [range 0..]
--   is_best: the best slot of its network and dimension [not null]
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
    SELECT network, sum(engagements) / nullif(sum(impressions), 0) AS rate
    FROM source
    GROUP BY network
    HAVING count(*) >= 30
),

slots AS (
    SELECT network, 'weekday' AS dimension, weekday AS slot, count(*) AS posts,
           sum(impressions) AS impressions, sum(engagements) AS engagements
    FROM source GROUP BY network, weekday HAVING count(*) >= 5
    UNION ALL
    SELECT network, 'hour' AS dimension, hour AS slot, count(*) AS posts,
           sum(impressions) AS impressions, sum(engagements) AS engagements
    FROM source GROUP BY network, hour HAVING count(*) >= 5
),

rated AS (
    SELECT
        s.*,
        CAST(s.engagements AS DOUBLE) / nullif(s.impressions, 0) AS engagement_rate,
        100.0 * (CAST(s.engagements AS DOUBLE) / nullif(s.impressions, 0)) / nullif(n.rate, 0) AS rate_index
    FROM slots AS s
    INNER JOIN networks AS n USING (network)
),

final AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY network, dimension ORDER BY engagement_rate DESC, slot) = 1 AS is_best
    FROM rated
)

SELECT * FROM final
