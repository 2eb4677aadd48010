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
-- recorded a `future-date` warning naming it (socialmetrics/future_dates.py, the same hour of tolerance for a
-- clock that is a few minutes off); once its date has passed, a re-read brings it in on that date.
SELECT e.network, e.account_id, e.post_id, e.published_at, e.comment_id, e.parent_id, e.created_at, e.author_hash,
    e.text, e.stream, e.extracted_at
FROM raw.comments AS e
ANTI JOIN raw.comments AS newer
    ON newer.network = e.network AND newer.account_id = e.account_id AND newer.comment_id = e.comment_id
    AND (newer.extracted_at, newer.stream, newer.rowid) > (e.extracted_at, e.stream, e.rowid)
WHERE e.created_at IS NULL OR e.created_at <= e.extracted_at + INTERVAL 1 HOUR
