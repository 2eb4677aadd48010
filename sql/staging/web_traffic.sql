-- table: staging.web_traffic
-- materialized: view
-- grain: one row per analytics tool (network: matomo, ga4), site, day, report (source_kind), source network,
--        referrer, campaign, medium and goal: the value of the latest extract
-- key: network, account_id, day, source_kind, source_network, referrer, campaign, medium, goal_id
-- raw.web_traffic de-duplicated: the latest import wins; within one import, the stream whose name sorts last.
-- Aggregates only (visits, users, conversions, revenue by day and source); no visitor-level data exists here.
-- columns:
--   network: the analytics tool (matomo, ga4) [not null]
--   account_id: the site (Matomo idSite, GA4 property id) [not null]
--   day: the calendar day of the visits, in the tool's time zone [not null]
--   source_kind: which report the row comes from (all visits, social, referrer, campaign, goal) [not null]
--   source_network: the social network the referrer or utm_source maps to (docs/networks.md); NULL for none
--   referrer: the referring host as the tool names it
--   campaign: the utm_campaign (Matomo lower-cases it)
--   medium: the utm_medium
--   goal_id: the tool's goal id (NULL: all goals)
--   goal_name: the goal's name as the account's goals: option names it
--   visits: visits (GA4: sessions) [range 0..]
--   users: visitors (GA4: totalUsers) [range 0..]
--   conversions: goal conversions (GA4: keyEvents) [range 0..]
--   revenue: revenue (GA4: purchaseRevenue) [range 0..]
--   stream: the stream the extract came from
--   extracted_at: when the extract was read (the latest wins)
SELECT network, account_id, day, source_kind, source_network, referrer, campaign, medium, goal_id, goal_name,
       visits, users, conversions, revenue, stream, extracted_at
FROM raw.web_traffic
QUALIFY row_number() OVER (
    PARTITION BY network, account_id, day, source_kind, source_network, referrer, campaign, medium, goal_id
    ORDER BY extracted_at DESC, stream DESC, rowid DESC
) = 1
