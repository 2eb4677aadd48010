-- table: marts.post_links_weekly
-- grain: one row per ISO week (Monday, company time zone) and network with posts, plus network 'all'
-- key: week_start, network
-- window: none
-- params: $tz (the company's time zone from the config)
-- How many of the week's posts carried a link in their text, and how many of those were tagged for web
-- analytics: a link with utm_campaign (the `socialmetrics link` convention: utm_source, utm_medium=social,
-- utm_campaign = the campaign's config name). A link through a shortener (t.co, lnkd.in, bit.ly, buff.ly, ow.ly,
-- tinyurl.com, fb.me) hides its parameters: such posts count as `shortened`, neither tagged nor untagged (X
-- rewrites every link to t.co). Only the text is read: a link attached to a post outside its text is not seen.
-- columns:
--   week_start: the ISO week's Monday (company time zone) [not null]
--   network: the network, or 'all' for the company [not null]
--   posts: posts published that week [range 0..]
--   with_links: of them, posts whose text carries a web link [range 0..]
--   tagged: of those, posts with a link tagged with utm_campaign [range 0..]
--   shortened: of those, posts whose only links go through a shortener (tags cannot be seen) [range 0..]
--   untagged: posts with a visible link and none tagged (with_links - tagged - shortened) [range 0..]
WITH source AS (
    SELECT network,
        CAST(date_trunc('week', CAST(timezone($tz, published_at) AS DATE)) AS DATE) AS week_start,
        regexp_extract_all(coalesce(text, ''), '(?i)(?:https?://|www\.)[^\s<>"]+') AS links
    FROM core.post
    WHERE published_at IS NOT NULL
),

classified AS (
    SELECT network, week_start,
        len(links) > 0 AS has_link,
        len(list_filter(links, lambda l: regexp_matches(l, '(?i)[?&]utm_campaign='))) > 0 AS is_tagged,
        len(links) > 0 AND len(list_filter(links, lambda l: NOT regexp_matches(
            l, '(?i)^(?:https?://)?(?:www\.)?(?:t\.co|lnkd\.in|bit\.ly|buff\.ly|ow\.ly|tinyurl\.com|fb\.me)/'
        ))) = 0 AS only_short
    FROM source
),

per_network AS (
    SELECT week_start, network, count(*) AS posts,
        count(*) FILTER (WHERE has_link) AS with_links,
        count(*) FILTER (WHERE is_tagged) AS tagged,
        count(*) FILTER (WHERE only_short) AS shortened
    FROM classified
    GROUP BY ALL
),

final AS (
    SELECT week_start, network, posts, with_links, tagged, shortened, with_links - tagged - shortened AS untagged
    FROM per_network
    UNION ALL
    SELECT week_start, 'all', sum(posts), sum(with_links), sum(tagged), sum(shortened),
        sum(with_links - tagged - shortened)
    FROM per_network
    GROUP BY week_start
)

SELECT * FROM final
