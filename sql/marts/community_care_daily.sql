-- table: marts.community_care_daily
-- grain: one row per network, account and day (company time zone) on which comments needing an answer were written
-- key: network, account_id, day
-- window: none (rebuilt whole on every run: an answer written later changes its comment's day)
-- params: $tz (the company's time zone: a comment's day is its local calendar day)
-- The daily parts of marts.community_care_weekly's service level, for goals on answering comments
-- (socialmetrics/goals.py: answer_rate, answered_within_24h_rate; marts.goal_progress adds the days of a period up
-- and divides the sums). Same rules as the weekly mart: comments that need an answer (core.comment.needs_answer),
-- answered by the account in the thread (core.comment.first_answer_at), calendar hours; only networks that say who
-- wrote a comment (core.comment.by_account not NULL: not Xing). No company rows: a goal adds the accounts up.
-- columns:
--   network: the network [not null]
--   account_id: the account's id on its network [not null]
--   day: the calendar day (company time zone) the comments were written [not null]
--   needing_answer: comments of the day that need an answer [not null, range 1..]
--   answered: of them, answered by the account (so far) [not null, range 0..]
--   answered_within_24h: of them, answered within 24 calendar hours [not null, range 0..]
WITH source AS (
    SELECT
        network,
        account_id,
        CAST(timezone($tz, created_at) AS DATE) AS day,
        first_answer_at,
        epoch(first_answer_at - created_at) / 3600.0 AS hours_to_answer
    FROM core.comment
    WHERE needs_answer AND by_account IS NOT NULL AND created_at IS NOT NULL
),

final AS (
    SELECT
        network,
        account_id,
        day,
        count(*) AS needing_answer,
        count(first_answer_at) AS answered,
        count(*) FILTER (WHERE hours_to_answer <= 24) AS answered_within_24h
    FROM source
    GROUP BY network, account_id, day
)

SELECT * FROM final
