-- table: staging.daily_metrics
-- materialized: view
-- grain: one row per network, account, day and unified metric: the value of the latest extract
-- key: network, account_id, day, metric
-- raw.daily_metrics de-duplicated: where two slices give the same metric for a day (a day read by two
-- runs, two Xing files), the latest import wins; within one import, the slice (stream or file) whose name
-- sorts last. Rows of source metrics outside the vocabulary (metric NULL) stay in raw only.
-- A filter on network, account_id, day or metric reaches the scan of raw.daily_metrics (they partition
-- the de-duplication), so a model reading a window of days reads only those days.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   day: the calendar day the number is for [not null]
--   metric: the unified metric name (connectors/base.py); NULL for a source metric outside the vocabulary
--   source_metric: the network's own name of the metric [not null]
--   value: the number as the network reported it
--   stream: the stream (or Xing file) the extract came from
--   extracted_at: when the extract was read (the latest wins)
SELECT network, account_id, day, metric, source_metric, value, stream, extracted_at
FROM raw.daily_metrics
WHERE metric IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY network, account_id, day, metric ORDER BY extracted_at DESC, stream DESC, rowid DESC
) = 1
