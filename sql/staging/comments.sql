-- table: staging.comments
-- materialized: view
-- grain: one row per network, account and comment (replies included): the latest extract of it
-- key: network, account_id, comment_id
-- raw.comments de-duplicated: the latest import wins; within one import, the stream whose name sorts last.
-- published_at is the post's (comments follow their post's window); author_hash is a keyed hash, the only
-- trace of a commenter (socialmetrics/privacy.py).
-- Written as "keep an extract unless a newer one of the same key exists" (an anti-join, not a window):
-- a filter on the post's publishing time, which is not part of the key, then still reaches the scan.
-- A comment dated more than an hour after the extract that read it is left out (seen: a comment dated 2027
-- made a 2027 week in the marts): such a date cannot be true, and no other date of it is known. Clamping it
-- to the extract's time was the alternative, but raw.comments holds only the latest extract, so the comment
-- would move into each new week as its post is re-read nightly. raw.comments keeps it as answered; the extract
-- recorded a `future-date` warning naming it (socialmetrics/land/future_dates.py, the same hour of tolerance for a
-- clock that is a few minutes off); once its date has passed, a re-read brings it in on that date.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post the comment was written under [not null]
--   published_at: when that post was published (UTC): comments follow their post's window
--   comment_id: the comment's id on its network [not null]
--   parent_id: the comment it answers; NULL for a top-level comment
--   created_at: when the comment was written (UTC)
--   author_hash: keyed hash of the author (socialmetrics/privacy.py); names never reach the warehouse
--   text: the comment's text; NULL once the retention deleted it
--   stream: the stream (or Xing file) the extract came from
--   extracted_at: when the extract was read (the latest wins)
--   by_account: written by the account itself (its Page, organization or user); NULL where the connector does not say (Xing, comments landed before threads were read)
SELECT e.network, e.account_id, e.post_id, e.published_at, e.comment_id, e.parent_id, e.created_at, e.author_hash,
    e.text, e.stream, e.extracted_at,
    TRY_CAST(json_extract_string(e.payload, '$.by_account') AS BOOLEAN) AS by_account
FROM raw.comments AS e
ANTI JOIN raw.comments AS newer
    ON newer.network = e.network AND newer.account_id = e.account_id AND newer.comment_id = e.comment_id
    AND (newer.extracted_at, newer.stream, newer.rowid) > (e.extracted_at, e.stream, e.rowid)
WHERE e.created_at IS NULL OR e.created_at <= e.extracted_at + INTERVAL 1 HOUR
