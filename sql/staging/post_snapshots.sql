-- table: staging.post_snapshots
-- materialized: view
-- grain: one row per network, account, post, snapshot day (as_of) and unified metric: the latest extract
-- key: network, account_id, post_id, as_of, metric
-- raw.post_snapshots (the nightly lifetime numbers of networks without a daily series: X) de-duplicated:
-- the latest import wins; within one import, the stream whose name sorts last.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post's id on its network [not null]
--   published_at: when the post was published (UTC)
--   as_of: the night the lifetime numbers were read [not null]
--   metric: the unified metric name
--   source_metric: the network's own name of the metric [not null]
--   value: the post's lifetime number as read that night
--   stream: the stream (or Xing file) the extract came from
--   extracted_at: when the extract was read (the latest wins)
SELECT network, account_id, post_id, published_at, as_of, metric, source_metric, value, stream, extracted_at
FROM raw.post_snapshots
WHERE metric IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY network, account_id, post_id, as_of, metric ORDER BY extracted_at DESC, stream DESC, rowid DESC
) = 1
