-- table: staging.competitor_snapshots
-- materialized: view
-- grain: one row per network, competitor, snapshot night (as_of) and post (post_id NULL: the account's totals):
--        the latest extract
-- key: network, competitor, as_of, post_id
-- raw.competitor_snapshots (competitors' public numbers, read nightly with the company's own tokens; see
-- docs/competitors.md) de-duplicated: the latest import wins.
-- columns:
--   network: the network the competitor was read on (instagram, x, facebook; xing from its file) [not null]
--   account_id: the company's own account that read it [not null]
--   competitor: the competitor's name in the config [not null]
--   handle: the username or id in the config when it was read
--   user_id: the competitor's account id on the network (stable across renames); NULL when not found
--   username: the username the network answered with
--   status: ok, not_found (no such account) or no_data (private, protected or age-gated: nothing shown) [not null, in ok|not_found|no_data]
--   as_of: the night the public numbers were read at the end of [not null]
--   followers: the account's public follower total (account rows) [range 0..]
--   posts_total: the account's public count of posts (account rows) [range 0..]
--   post_id: a recent post's id; NULL on the account's row
--   published_at: when the post was published (UTC)
--   likes: the post's public like count [range 0..]
--   comments: the post's public comment (reply) count [range 0..]
--   shares: the post's public reposts and quotes (X); NULL where not public [range 0..]
--   stream: the stream it came from
--   extracted_at: when the extract was read (the latest wins)
SELECT network, account_id, competitor, handle, user_id, username, status, as_of, followers, posts_total, post_id,
    published_at, likes, comments, shares, stream, extracted_at
FROM raw.competitor_snapshots
QUALIFY row_number() OVER (
    PARTITION BY network, competitor, as_of, post_id ORDER BY extracted_at DESC, stream DESC, rowid DESC
) = 1
