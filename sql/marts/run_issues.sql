-- table: marts.run_issues
-- grain: one row per ISO week (Monday), kind and issue, merged over the week's runs (marts.week_runs):
--        kind 'quality' per failed check (suite, expectation, severity of meta.quality_results), kind 'warning'
--        per connector warning (network, account_id, code, message of meta.connector_warnings)
-- key: week_start, kind, position
-- window: none (rebuilt whole on every run from the run records; the load and the quality gate write them
--         before the transform, so a run's own warnings and failed checks are in it the same night)
-- params: none
-- What the report's technical appendix lists. runs: how many of the week's runs recorded the issue; the
-- rest is the latest run's: affected (rows the check found; NULL when none), detail (a check's observed
-- value and details, a warning's message; at most 240 characters). position: the issue's place in the
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
    SELECT week_start, run_id FROM marts.week_runs
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
        left(concat_ws('; ', nullif(observed_value, ''), nullif(details, '')), 240) AS detail,
        nullif(unexpected_count, 0) AS affected,
        runs
    FROM checks
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
