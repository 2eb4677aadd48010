-- table: staging.posts
-- materialized: view
-- grain: one row per network, account and post: the latest extract of it
-- key: network, account_id, post_id
-- raw.posts de-duplicated: the latest import wins; within one import, the stream whose name sorts last.
-- Written as "keep an extract unless a newer one of the same key exists" (an anti-join, not a window):
-- a filter on the post's publishing time, which is not part of the key, then still reaches the scan.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post's id on its network [not null]
--   published_at: when the post was published (UTC)
--   permalink: the post's public link
--   text: the post's text
--   stream: the stream (or Xing file) the extract came from
--   extracted_at: when the extract was read (the latest wins)
SELECT e.network, e.account_id, e.post_id, e.published_at, e.permalink, e.text, e.stream, e.extracted_at
FROM raw.posts AS e
ANTI JOIN raw.posts AS newer
    ON newer.network = e.network AND newer.account_id = e.account_id AND newer.post_id = e.post_id
    AND (newer.extracted_at, newer.stream, newer.rowid) > (e.extracted_at, e.stream, e.rowid)
