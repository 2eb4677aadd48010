-- table: marts.web_outcomes_daily
-- grain: one row per analytics tool, site, day, network and campaign
-- key: analytics, site_id, day, network, campaign
-- window: day
-- family: day
-- params: $start (DATE, inclusive), $end (DATE, exclusive)
-- What social media brought to the website. `network`: 'all' (every visit of the site), 'social' (visits from
-- social networks: referred by one, or through a link tagged with a network as utm_source), a network
-- ('facebook', 'instagram', 'linkedin', 'x', 'xing': its referrers by the mapping of connectors/web.py plus its
-- tagged links), or 'other_social'. `campaign` NULL: all visits of that network; a name: the visits through
-- links tagged with that utm_campaign (Matomo lower-cases it), from every source ('all') or from one network.
-- `users` of a network are summed over its referrers (a person arriving from two on one day counts twice).
-- Visits an app opens without a referrer are 'direct' in the tool and counted for no network (docs/networks.md).
-- A day the tool answered empty has no row.
-- columns:
--   analytics: the analytics tool (matomo, ga4) [not null]
--   site_id: the site (Matomo idSite, GA4 property id) [not null]
--   day: the calendar day [not null]
--   network: all, social, facebook, instagram, linkedin, x, xing or other_social [not null]
--   campaign: the utm_campaign; NULL for all visits of the network
--   visits: visits (GA4: sessions) [range 0..]
--   users: visitors, summed over the network's referrers [range 0..]
--   conversions: goal conversions, all goals (GA4: key events) [range 0..]
--   revenue: revenue (GA4: purchaseRevenue) [range 0..]
WITH source AS (
    SELECT * FROM staging.web_traffic WHERE day >= $start AND day < $end AND goal_id IS NULL
),

contributions AS (
    -- the site and its social segment (visits and conversions come from two reports: summed per row below)
    SELECT network, account_id, day, source_network AS net, NULL::VARCHAR AS campaign,
           visits, users, conversions, revenue
    FROM source WHERE source_kind IN ('visits', 'conversions')
    UNION ALL
    -- each network's referrers
    SELECT network, account_id, day, source_network, NULL, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'social'
    UNION ALL
    -- tagged links count for their network and for social
    SELECT network, account_id, day, source_network, NULL, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'campaign' AND source_network <> 'all'
    UNION ALL
    SELECT network, account_id, day, 'social', NULL, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'campaign' AND source_network <> 'all'
    UNION ALL
    -- campaigns by name, from all sources and per network
    SELECT network, account_id, day, source_network, campaign, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'campaign'
    UNION ALL
    -- GA4 sessions by source, medium and campaign: a network's referrals and tagged links alike ('other':
    -- search, direct, newsletters count in 'all' only)
    SELECT network, account_id, day, source_network, NULL, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'session' AND source_network <> 'other'
    UNION ALL
    SELECT network, account_id, day, 'social', NULL, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'session' AND source_network <> 'other'
    UNION ALL
    SELECT network, account_id, day, 'all', campaign, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'session' AND campaign IS NOT NULL
    UNION ALL
    SELECT network, account_id, day, source_network, campaign, visits, users, conversions, revenue
    FROM source WHERE source_kind = 'session' AND campaign IS NOT NULL AND source_network <> 'other'
),

final AS (
    SELECT network AS analytics, account_id AS site_id, day, net AS network, campaign,
           sum(visits) AS visits, sum(users) AS users, sum(conversions) AS conversions, sum(revenue) AS revenue
    FROM contributions
    GROUP BY ALL
)

SELECT * FROM final
