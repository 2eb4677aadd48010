-- table: marts.account_coverage_weekly
-- grain: one row per ISO week (Monday) of the company's data (marts.account_weekly) and account: every
--        configured account, and every other account with numbers that week
-- key: week_start, network, account_id
-- window: none (rebuilt whole on every run: which run fetched what changes with every run, for every week)
-- params: $accounts (the config's accounts, 'network/account_id'); $tz (the company's time zone);
--         $derived_networks (networks whose days come from their posts: X); $file_networks (networks
--         imported from files, without an API: Xing)
-- What is missing and why, for the report's "missing data" section and its technical appendix.
-- missing_days: the days of the week a configured account has no numbers on (no row in marts.reach_daily or
-- marts.engagement_daily), of the days that were over when the latest run loaded (before the local date of
-- the latest meta.loads.loaded_at: a day not over yet is not missing); empty for other accounts.
-- reason, for an account with missing days:
--   'file_import'      the network has no API; its import files have no rows for these days (last_day)
--   'never_loaded'     no run has ever loaded anything for the account
--   'not_fetched'      no run loaded anything (for any account) for these days
--   otherwise the latest run (run_id, loaded_at) that loaded anything for these days (for any account) is
--   asked: 'extract_failed' it loaded nothing for this account; 'not_covered' it loaded the account but not
--   these days of it; 'no_numbers' it read these days of its daily numbers (X: its post numbers) but the
--   network gave none; 'no_numbers_noted' the same, and the fetch recorded why (detail: the distinct messages
--   of meta.connector_warnings of that run and account, in order, joined by a space).
-- last_day: the account's latest day in marts.reach_daily (NULL for 'never_loaded').
-- not_reported: the figures (reach, impressions, engagements, followers_end, follower_gain, comments) the
-- account has no value for in a week it has days with numbers (NULL on every day: the network does not give it).
-- columns:
--   week_start: the ISO week's Monday [not null]
--   network: the network [not null]
--   account_id: the account's id on its network [not null]
--   configured: whether the account is in the config [not null]
--   days_with_data: days of the week with numbers in marts.reach_daily or marts.engagement_daily [range 0..7]
--   missing_days: the configured account's days without numbers, of the days over at the latest load
--   reason: why they are missing [in file_import|never_loaded|not_fetched|extract_failed|not_covered|no_numbers|no_numbers_noted]
--   run_id: the latest run that loaded anything for those days (NULL for the first three reasons)
--   loaded_at: when that run loaded
--   last_day: the account's latest day in marts.reach_daily (NULL for never_loaded)
--   detail: what that run's fetch noted for the account (no_numbers_noted only)
--   not_reported: the figures the account has no value for in a week it has days with numbers
WITH configured AS (
    SELECT
        split_part(account, '/', 1) AS network,
        account[strpos(account, '/') + 1:] AS account_id
    FROM unnest(CAST($accounts AS VARCHAR[])) AS t (account)
),

weekly AS (
    SELECT * FROM marts.account_weekly WHERE network <> 'all'
),

weeks AS (
    SELECT DISTINCT week_start FROM marts.account_weekly WHERE network = 'all'
),

cutoff AS (  -- the first day that was not over at the latest load: the run's "today" in the company's time zone
    SELECT CAST(timezone($tz, max(loaded_at)) AS DATE) AS today FROM meta.loads
),

present AS (
    SELECT network, account_id, day FROM marts.reach_daily
    UNION
    SELECT network, account_id, day FROM marts.engagement_daily
),

days AS (
    SELECT
        w.week_start,
        CAST(unnest(generate_series(w.week_start, w.week_start + 6, INTERVAL 1 DAY)) AS DATE) AS day
    FROM weeks AS w
),

missing AS (
    SELECT
        c.network,
        c.account_id,
        d.week_start,
        list_sort(list(d.day)) AS missing_days,
        min(d.day) AS first_missing,
        max(d.day) AS last_missing
    FROM configured AS c
    CROSS JOIN days AS d
    CROSS JOIN cutoff
    ANTI JOIN present AS p ON p.network = c.network AND p.account_id = c.account_id AND p.day = d.day
    WHERE d.day < cutoff.today
    GROUP BY c.network, c.account_id, d.week_start
),

run_times AS (
    SELECT run_id, max(loaded_at) AS loaded_at FROM meta.loads GROUP BY run_id
),

latest_run AS (  -- of the runs that loaded anything (any account) for the missing days, the latest
    SELECT
        network,
        account_id,
        week_start,
        latest.run_id,
        latest.loaded_at
    FROM (
        SELECT
            m.network,
            m.account_id,
            m.week_start,
            max({'loaded_at': r.loaded_at, 'run_id': r.run_id}) AS latest  -- ordered by loaded_at, then run_id
        FROM missing AS m
        INNER JOIN (SELECT DISTINCT run_id, window_start, window_end FROM meta.loads) AS l
            ON l.window_start <= m.last_missing AND l.window_end > m.first_missing
        INNER JOIN run_times AS r USING (run_id)
        GROUP BY m.network, m.account_id, m.week_start
    )
),

run_account AS (  -- what that run loaded of the account
    SELECT
        m.network,
        m.account_id,
        m.week_start,
        bool_or(l.run_id IS NOT NULL) AS fetched,
        coalesce(bool_or(
            (l.kind = 'daily_metrics'
             OR (list_contains(CAST($derived_networks AS VARCHAR[]), l.network)
                 AND l.kind IN ('post_metrics', 'post_snapshots')))
            AND l.window_start <= m.last_missing AND l.window_end > m.first_missing
        ), false) AS covered
    FROM missing AS m
    INNER JOIN latest_run AS lr USING (network, account_id, week_start)
    LEFT JOIN meta.loads AS l ON l.run_id = lr.run_id AND l.network = m.network AND l.account_id = m.account_id
    GROUP BY m.network, m.account_id, m.week_start
),

notes AS (  -- what the fetch of the account in that run recorded
    SELECT
        lr.network,
        lr.account_id,
        lr.week_start,
        nullif(string_agg(DISTINCT w.message, ' ' ORDER BY w.message), '') AS detail
    FROM latest_run AS lr
    INNER JOIN meta.connector_warnings AS w
        ON w.run_id = lr.run_id AND w.network = lr.network AND w.account_id = lr.account_id
    GROUP BY lr.network, lr.account_id, lr.week_start
),

ever AS (
    SELECT DISTINCT network, account_id FROM meta.loads
),

last_days AS (
    SELECT network, account_id, max(day) AS last_day FROM marts.reach_daily GROUP BY network, account_id
),

explained AS (
    SELECT
        m.network,
        m.account_id,
        m.week_start,
        m.missing_days,
        CASE
            WHEN list_contains(CAST($file_networks AS VARCHAR[]), m.network) THEN 'file_import'
            WHEN e.network IS NULL THEN 'never_loaded'
            WHEN lr.run_id IS NULL THEN 'not_fetched'
            WHEN ra.covered AND n.detail IS NOT NULL THEN 'no_numbers_noted'
            WHEN ra.covered THEN 'no_numbers'
            WHEN ra.fetched THEN 'not_covered'
            ELSE 'extract_failed'
        END AS reason,
        lr.run_id,
        lr.loaded_at,
        ld.last_day,
        n.detail
    FROM missing AS m
    LEFT JOIN ever AS e USING (network, account_id)
    LEFT JOIN latest_run AS lr USING (network, account_id, week_start)
    LEFT JOIN run_account AS ra USING (network, account_id, week_start)
    LEFT JOIN notes AS n USING (network, account_id, week_start)
    LEFT JOIN last_days AS ld USING (network, account_id)
),

accounts AS (
    SELECT c.network, c.account_id, w.week_start FROM configured AS c CROSS JOIN weeks AS w
    UNION
    SELECT network, account_id, week_start FROM weekly WHERE days_with_data > 0
),

final AS (
    SELECT
        a.week_start,
        a.network,
        a.account_id,
        a.network || '/' || a.account_id IN (SELECT network || '/' || account_id FROM configured) AS configured,
        coalesce(wk.days_with_data, 0) AS days_with_data,
        coalesce(x.missing_days, CAST([] AS DATE[])) AS missing_days,
        x.reason,
        CASE WHEN x.reason NOT IN ('file_import', 'never_loaded', 'not_fetched') THEN x.run_id END AS run_id,
        CASE WHEN x.reason NOT IN ('file_import', 'never_loaded', 'not_fetched') THEN x.loaded_at END AS loaded_at,
        CASE WHEN x.reason <> 'never_loaded' THEN x.last_day END AS last_day,
        CASE WHEN x.reason = 'no_numbers_noted' THEN x.detail END AS detail,
        CASE WHEN coalesce(wk.days_with_data, 0) > 0 THEN list_filter([
            CASE WHEN wk.reach IS NULL THEN 'reach' END,
            CASE WHEN wk.impressions IS NULL THEN 'impressions' END,
            CASE WHEN wk.engagements IS NULL THEN 'engagements' END,
            CASE WHEN wk.followers_end IS NULL THEN 'followers_end' END,
            CASE WHEN wk.follower_gain IS NULL THEN 'follower_gain' END,
            CASE WHEN wk.comments IS NULL THEN 'comments' END
        ], lambda f: f IS NOT NULL) ELSE CAST([] AS VARCHAR[]) END AS not_reported
    FROM accounts AS a
    LEFT JOIN weekly AS wk USING (network, account_id, week_start)
    LEFT JOIN explained AS x USING (network, account_id, week_start)
)

SELECT * FROM final
