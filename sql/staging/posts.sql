-- table: staging.posts
-- materialized: view
-- grain: one row per network, account and post: the latest extract of it
-- key: network, account_id, post_id
-- raw.posts de-duplicated: the latest import wins; within one import, the stream whose name sorts last.
-- Written as "keep an extract unless a newer one of the same key exists" (an anti-join, not a window):
-- a filter on the post's publishing time, which is not part of the key, then still reaches the scan.
-- columns:
--   network: the network (facebook, linkedin, x, xing, instagram) [not null]
--   account_id: the account's id on its network [not null]
--   post_id: the post's id on its network [not null]
--   published_at: when the post was published (UTC)
--   permalink: the post's public link
--   text: the post's text
--   format: text, image, video, link, album, reel, poll or other, as the network says it (docs/data.md "Post format"); NULL where it does not say
--   stream: the stream (or Xing file) the extract came from
--   extracted_at: when the extract was read (the latest wins)
-- format: from the landed answer (payload). Instagram: media_product_type REELS, else media_type.
-- Facebook: status_type (a status update, mobile_status_update, may carry a video or a link: other, not text).
-- LinkedIn: `content` (null: a text post; a missing key: landed before it was kept, unknown).
-- X and Xing do not say (NULL).
SELECT
    e.network, e.account_id, e.post_id, e.published_at, e.permalink, e.text,
    CASE e.network
        WHEN 'instagram' THEN CASE
            WHEN json_extract_string(e.payload, '$.media_product_type') = 'REELS' THEN 'reel'
            WHEN json_extract_string(e.payload, '$.media_type') = 'IMAGE' THEN 'image'
            WHEN json_extract_string(e.payload, '$.media_type') = 'VIDEO' THEN 'video'
            WHEN json_extract_string(e.payload, '$.media_type') = 'CAROUSEL_ALBUM' THEN 'album'
            WHEN json_extract_string(e.payload, '$.media_type') IS NOT NULL THEN 'other'
        END
        WHEN 'facebook' THEN CASE json_extract_string(e.payload, '$.status_type')
            WHEN 'added_photos' THEN 'image'
            WHEN 'added_video' THEN 'video'
            WHEN 'shared_story' THEN 'link'
            ELSE CASE WHEN json_extract_string(e.payload, '$.status_type') IS NOT NULL THEN 'other' END
        END
        WHEN 'linkedin' THEN CASE
            WHEN json_type(e.payload, '$.content') IS NULL THEN NULL
            WHEN json_type(e.payload, '$.content') = 'NULL'
                THEN CASE WHEN json_type(e.payload, '$.reshareContext') IS NULL THEN 'text' ELSE 'other' END
            WHEN json_extract_string(e.payload, '$.content.media.id') LIKE 'urn:li:image:%' THEN 'image'
            WHEN json_extract_string(e.payload, '$.content.media.id') LIKE 'urn:li:video:%' THEN 'video'
            WHEN json_type(e.payload, '$.content.multiImage') IS NOT NULL THEN 'album'
            WHEN json_type(e.payload, '$.content.carousel') IS NOT NULL THEN 'album'
            WHEN json_type(e.payload, '$.content.article') IS NOT NULL THEN 'link'
            WHEN json_type(e.payload, '$.content.poll') IS NOT NULL THEN 'poll'
            ELSE 'other'
        END
    END AS format,
    e.stream, e.extracted_at
FROM raw.posts AS e
ANTI JOIN raw.posts AS newer
    ON newer.network = e.network AND newer.account_id = e.account_id AND newer.post_id = e.post_id
    AND (newer.extracted_at, newer.stream, newer.rowid) > (e.extracted_at, e.stream, e.rowid)
