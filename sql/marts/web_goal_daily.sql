-- table: marts.web_goal_daily
-- grain: one row per analytics tool, site, day, network, campaign and goal
-- key: analytics, site_id, day, network, campaign, goal_id
-- window: day
-- family: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive)
-- Goal conversions and revenue per goal, with the goal's name as the owner knows it (the account's `goals:`
-- option in the config; NULL for a goal not named there, e.g. 'ecommerceOrder'). `network` and `campaign` as in
-- marts.web_outcomes_daily: 'all' (every visit; only the goals named in the config are read for it), 'social',
-- a network, 'other_social'; campaign NULL for all visits, else the utm_campaign.
-- columns:
--   analytics: the analytics tool (matomo, ga4) [not null]
--   site_id: the site (Matomo idSite, GA4 property id) [not null]
--   day: the calendar day [not null]
--   network: all, social, facebook, instagram, linkedin, x, xing or other_social [not null]
--   campaign: the utm_campaign; NULL for all visits of the network
--   goal_id: the tool's goal id [not null]
--   goal_name: the goal's name from the account's goals: option (NULL where not named)
--   conversions: conversions of the goal [range 0..]
--   revenue: revenue of the goal [range 0..]
WITH source AS (
    SELECT * FROM staging.web_traffic WHERE day >= $start AND day < $end AND goal_id IS NOT NULL
),

contributions AS (
    SELECT network, account_id, day, source_network AS net, NULL::VARCHAR AS campaign, goal_id, goal_name,
           conversions, revenue
    FROM source WHERE source_kind = 'conversions'
    UNION ALL
    SELECT network, account_id, day, source_network, NULL, goal_id, goal_name, conversions, revenue
    FROM source WHERE source_kind = 'social' OR (source_kind = 'campaign' AND source_network <> 'all')
    UNION ALL
    SELECT network, account_id, day, 'social', NULL, goal_id, goal_name, conversions, revenue
    FROM source WHERE source_kind = 'social' OR (source_kind = 'campaign' AND source_network <> 'all')
    UNION ALL
    SELECT network, account_id, day, source_network, campaign, goal_id, goal_name, conversions, revenue
    FROM source WHERE source_kind = 'campaign'
),

final AS (
    SELECT network AS analytics, account_id AS site_id, day, net AS network, campaign, goal_id,
           max(goal_name) AS goal_name, sum(conversions) AS conversions, sum(revenue) AS revenue
    FROM contributions
    GROUP BY network, account_id, day, net, campaign, goal_id
)

SELECT * FROM final
