-- table: staging.web_traffic
-- materialized: view
-- grain: one row per analytics tool (network: matomo, ga4), site, day, report (source_kind), source network,
--        referrer, campaign, medium and goal: the value of the latest extract
-- key: network, account_id, day, source_kind, source_network, referrer, campaign, medium, goal_id
-- raw.web_traffic de-duplicated: the latest import wins; within one import, the stream whose name sorts last.
-- Aggregates only (visits, users, conversions, revenue by day and source); no visitor-level data exists here.
SELECT network, account_id, day, source_kind, source_network, referrer, campaign, medium, goal_id, goal_name,
       visits, users, conversions, revenue, stream, extracted_at
FROM raw.web_traffic
QUALIFY row_number() OVER (
    PARTITION BY network, account_id, day, source_kind, source_network, referrer, campaign, medium, goal_id
    ORDER BY extracted_at DESC, stream DESC, rowid DESC
) = 1
