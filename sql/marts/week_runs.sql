-- table: marts.week_runs
-- grain: one row per ISO week (Monday) and run that loaded numbers for a day of it (nightly lookbacks included)
-- key: week_start, run_id
-- window: none (rebuilt whole on every run: a few rows per run, from the run records in meta.loads)
-- params: none
-- A run belongs to every week its loaded windows touch: a window [window_start, window_end) reaches the
-- weeks from the one of window_start to the one of its last day. loaded_at is the run's latest load (over
-- all its loads); the report lists a week's runs in that order (then by run_id).
-- columns:
--   week_start: the ISO week's Monday [not null]
--   run_id: a run that loaded a day of the week [not null]
--   loaded_at: the run's latest load [not null]
WITH source AS (
    SELECT
        run_id,
        window_start,
        window_end,
        max(loaded_at) OVER (PARTITION BY run_id) AS loaded_at
    FROM meta.loads
),

weeks AS (
    SELECT
        run_id,
        loaded_at,
        CAST(unnest(generate_series(
            date_trunc('week', window_start), date_trunc('week', window_end - INTERVAL 1 DAY), INTERVAL 7 DAY
        )) AS DATE) AS week_start
    FROM source
),

final AS (
    SELECT DISTINCT week_start, run_id, loaded_at
    FROM weeks
)

SELECT * FROM final
