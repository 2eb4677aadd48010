-- table: marts.run_issues
-- grain: one row per ISO week (Monday), kind and issue, merged over the week's runs (a run belongs to the week of
--        its latest loaded day: a nightly run with a long lookback is one week's run, not every week's it reloads):
--        kind 'quality' per failed check (suite, expectation, severity of meta.quality_results), kind 'warning'
--        per connector warning (network, account_id, code, message of meta.connector_warnings)
-- key: week_start, kind, position
-- window: none (rebuilt whole on every run from the run records; the load and the quality gate write them
--         before the transform, so a run's own warnings and failed checks are in it the same night)
-- params: none
-- What the report's technical appendix lists. runs: how many of the week's runs recorded the issue; the
-- rest is the latest run's: affected (rows the check found; NULL when none), detail (a check's observed
-- value and details, a warning's message; at most 240 characters; a check's JSON is shown as words: quotes and
-- brackets dropped, records separated by " · ", e.g. "network: facebook, day: 2026-11-14"). position: the issue's place in the
-- report's order within week and kind: blocking checks first, then by runs (most first), suite and
-- expectation; warnings by runs, network, account and code. A stream that answered empty while numbers
-- were published (meta.suspicious_loads) is here as the warning `empty-answer-kept` the load records for it.
-- columns:
--   week_start: the ISO week's Monday [not null]
--   kind: quality (a failed check) or warning (a connector warning) [not null, in quality|warning]
--   position: the issue's place in the report's order within week and kind [not null, range 1..]
--   suite: the check's suite (quality only)
--   expectation: the check's expectation (quality only)
--   severity: blocking or warning (quality only)
--   network: the warning's network (warning only)
--   account_id: the warning's account (warning only)
--   code: the warning's code (warning only)
--   detail: the latest run's observed value and details, or the warning's message (240 characters at most)
--   affected: rows the check found (NULL when none)
--   runs: how many of the week's runs recorded the issue [not null, range 1..]
WITH week_runs AS (
    SELECT CAST(date_trunc('week', max(window_end) - INTERVAL 1 DAY) AS DATE) AS week_start, run_id
    FROM meta.loads
    GROUP BY run_id
),

checks AS (
    SELECT
        w.week_start,
        q.suite,
        q.expectation,
        q.severity,
        count(DISTINCT q.run_id) AS runs,
        arg_max(q.observed_value, q.checked_at) AS observed_value,
        arg_max(q.unexpected_count, q.checked_at) AS unexpected_count,
        arg_max(q.details, q.checked_at) AS details
    FROM meta.quality_results AS q
    INNER JOIN week_runs AS w USING (run_id)
    WHERE NOT q.success
    GROUP BY w.week_start, q.suite, q.expectation, q.severity
),

readable AS (  -- a check's JSON as words: {"examples": ["2026-11-14"]} -> examples: 2026-11-14
    SELECT
        *,
        CASE WHEN regexp_matches(trim(observed_value), '^[\[{]')
            THEN regexp_replace(regexp_replace(observed_value, '\}\s*,\s*\{', ' · ', 'g'), '[\[\]{}"]', '', 'g')
            ELSE observed_value END AS readable_observed,
        CASE WHEN regexp_matches(trim(details), '^[\[{]')
            THEN regexp_replace(regexp_replace(details, '\}\s*,\s*\{', ' · ', 'g'), '[\[\]{}"]', '', 'g')
            ELSE details END AS readable_details
    FROM checks
),

warnings AS (
    SELECT
        w.week_start,
        c.network,
        c.account_id,
        c.code,
        c.message,
        count(DISTINCT c.run_id) AS runs
    FROM meta.connector_warnings AS c
    INNER JOIN week_runs AS w USING (run_id)
    GROUP BY w.week_start, c.network, c.account_id, c.code, c.message
),

final AS (
    SELECT
        week_start,
        'quality' AS kind,
        CAST(row_number() OVER (
            PARTITION BY week_start ORDER BY severity = 'blocking' DESC, runs DESC, suite, expectation, severity
        ) AS INTEGER) AS position,
        suite,
        expectation,
        severity,
        CAST(NULL AS VARCHAR) AS network,
        CAST(NULL AS VARCHAR) AS account_id,
        CAST(NULL AS VARCHAR) AS code,
        left(concat_ws('; ', nullif(readable_observed, ''), nullif(readable_details, '')), 240) AS detail,
        nullif(unexpected_count, 0) AS affected,
        runs
    FROM readable
    UNION ALL
    SELECT
        week_start,
        'warning' AS kind,
        CAST(row_number() OVER (
            PARTITION BY week_start ORDER BY runs DESC, network, account_id, code, message
        ) AS INTEGER) AS position,
        NULL AS suite,
        NULL AS expectation,
        NULL AS severity,
        network,
        account_id,
        code,
        left(message, 240) AS detail,
        NULL AS affected,
        runs
    FROM warnings
)

SELECT * FROM final
