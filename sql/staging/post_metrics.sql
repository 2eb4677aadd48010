-- table: staging.post_metrics
-- materialized: view
-- grain: one row per network, account, post, snapshot day (as_of) and source metric: the latest extract
-- key: network, account_id, post_id, as_of, source_metric
-- raw.post_metrics (a post's lifetime numbers as read on a day) de-duplicated: the latest import wins;
-- within one import, the stream whose name sorts last. metric is the unified name, NULL for a source
-- metric outside the vocabulary (kept: it still tells which day a snapshot was taken).
-- Written as "keep an extract unless a newer one of the same key exists" (an anti-join, not a window):
-- a filter on the post's publishing time, which is not part of the key, then still reaches the scan.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post's id on its network [not null]
--   published_at: when the post was published (UTC)
--   as_of: the day the lifetime numbers were read (the snapshot) [not null]
--   metric: the unified metric name; NULL for a source metric outside the vocabulary
--   source_metric: the network's own name of the metric [not null]
--   value: the post's lifetime number as read that day
--   payload: the raw answer's JSON of the value ($.missing: what a network-side engagements total lacked)
--   stream: the stream (or Xing file) the extract came from
--   extracted_at: when the extract was read (the latest wins)
SELECT e.network, e.account_id, e.post_id, e.published_at, e.as_of, e.metric, e.source_metric, e.value, e.payload,
    e.stream, e.extracted_at
FROM raw.post_metrics AS e
ANTI JOIN raw.post_metrics AS newer
    ON newer.network = e.network AND newer.account_id = e.account_id AND newer.post_id = e.post_id
    AND newer.as_of = e.as_of AND newer.source_metric = e.source_metric
    AND (newer.extracted_at, newer.stream, newer.rowid) > (e.extracted_at, e.stream, e.rowid)
