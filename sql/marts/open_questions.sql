-- table: marts.open_questions
-- grain: one row per comment that needs an answer and has none from the account yet
-- key: network, account_id, comment_id
-- window: none (rebuilt whole on every run: a comment the account answered leaves the list at the next run)
-- params: $tz (the company's time zone: the data's last day ends at its local midnight)
-- Every open question or complaint (core.comment.needs_answer, no core.comment.first_answer_at), oldest first in
-- the report. hours_waited counts calendar hours from the comment to as_of: the end of the last day loaded for the
-- account's comments (meta.loads), or its newest comment when that is later. Only networks that say who wrote a
-- comment (by_account not NULL) are listed; see marts.community_care_weekly for the service level.
-- columns:
--   network: the network [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post the comment was written under [not null]
--   comment_id: the comment's id on its network [not null]
--   permalink: the post's public link (core.post)
--   created_at: when the comment was written (UTC) [not null]
--   text: the comment's text; NULL once the retention deleted it
--   answer_reason: why it needs an answer [in question|complaint]
--   as_of: the moment the waiting is counted to (UTC) [not null]
--   hours_waited: calendar hours from the comment to as_of [range 0..]
WITH open_comments AS (
    SELECT network, account_id, post_id, comment_id, created_at, text, answer_reason
    FROM core.comment
    WHERE needs_answer AND by_account IS NOT NULL AND first_answer_at IS NULL AND created_at IS NOT NULL
),

loaded_until AS (
    SELECT network, account_id, timezone($tz, CAST(max(window_end) AS TIMESTAMP)) AS loaded_until
    FROM meta.loads
    WHERE kind = 'comments'
    GROUP BY ALL
),

newest AS (
    SELECT network, account_id, max(created_at) AS newest_comment
    FROM core.comment
    GROUP BY ALL
),

final AS (
    SELECT
        o.network,
        o.account_id,
        o.post_id,
        o.comment_id,
        p.permalink,
        o.created_at,
        o.text,
        o.answer_reason,
        greatest(coalesce(l.loaded_until, n.newest_comment), n.newest_comment) AS as_of,
        epoch(greatest(coalesce(l.loaded_until, n.newest_comment), n.newest_comment) - o.created_at) / 3600.0
            AS hours_waited
    FROM open_comments AS o
    INNER JOIN newest AS n USING (network, account_id)
    LEFT JOIN loaded_until AS l USING (network, account_id)
    LEFT JOIN core.post AS p USING (network, account_id, post_id)
)

SELECT * FROM final
