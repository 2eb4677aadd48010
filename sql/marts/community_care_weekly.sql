-- table: marts.community_care_weekly
-- grain: one row per network, account and week (Monday, company time zone) in which comments needing an answer
--        were written, plus network 'all' / account_id 'all' rows for the company
-- key: network, account_id, week_start
-- window: none (rebuilt whole on every run: an answer written after the week changes that week's figures)
-- params: $tz (the company's time zone: a comment's week is its local calendar week)
-- The service level (issue #30, docs/comments.md): of the comments written in the week that need an answer
-- (core.comment.needs_answer: a question or a complaint from someone else), how many the account answered (a
-- reply by the account in the comment's thread, written after it: core.comment.first_answer_at), how many within
-- 24 hours, the median time to the first answer and how many are still open. Times are calendar hours (nights and
-- weekends count; no business hours). A late answer counts for its week (with its long time) as soon as it is
-- loaded; until then the comment is still open, as of the data. Only comments whose network says who wrote them
-- (core.comment.by_account not NULL: Facebook, Instagram, LinkedIn, X; not Xing files) are counted.
-- columns:
--   network: the network, or 'all' for the company's row [not null]
--   account_id: the account's id on its network, or 'all' for the company's row [not null]
--   week_start: the Monday (company time zone) of the week the comments were written [not null]
--   needing_answer: comments of the week that need an answer [range 0..]
--   questions: of them, questions [range 0..]
--   complaints: of them, complaints [range 0..]
--   answered: of them, answered by the account (so far) [range 0..]
--   answered_within_24h: of them, answered within 24 calendar hours [range 0..]
--   still_open: of them, not answered as of the data [range 0..]
--   answer_rate: answered / needing_answer [range 0..1]
--   median_hours_to_answer: median calendar hours from a comment to its first answer (answered comments only) [range 0..]
WITH source AS (
    SELECT
        network,
        account_id,
        CAST(date_trunc('week', timezone($tz, created_at)) AS DATE) AS week_start,
        answer_reason,
        first_answer_at,
        epoch(first_answer_at - created_at) / 3600.0 AS hours_to_answer
    FROM core.comment
    WHERE needs_answer AND by_account IS NOT NULL AND created_at IS NOT NULL
),

counted AS (
    SELECT
        coalesce(network, 'all') AS network,
        coalesce(account_id, 'all') AS account_id,
        week_start,
        count(*) AS needing_answer,
        count(*) FILTER (WHERE answer_reason = 'question') AS questions,
        count(*) FILTER (WHERE answer_reason = 'complaint') AS complaints,
        count(first_answer_at) AS answered,
        count(*) FILTER (WHERE hours_to_answer <= 24) AS answered_within_24h,
        median(hours_to_answer) AS median_hours_to_answer
    FROM source
    GROUP BY GROUPING SETS ((network, account_id, week_start), (week_start))
),

final AS (
    SELECT
        network,
        account_id,
        week_start,
        needing_answer,
        questions,
        complaints,
        answered,
        answered_within_24h,
        needing_answer - answered AS still_open,
        answered / nullif(needing_answer, 0) AS answer_rate,
        median_hours_to_answer
    FROM counted
)

SELECT * FROM final
