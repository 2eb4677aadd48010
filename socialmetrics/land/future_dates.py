"""Comments a network dates in the future: named in a warning when their extract lands.

Seen: a comment dated 2027 made a 2027 week in marts.comment_sentiment and marts.account_weekly. Such a date
cannot be true and no other date of the comment is known, so sql/staging/comments.sql leaves it out of core and
the marts (raw.comments keeps it as answered; once the date has passed, a re-read brings it in on that date).
This module says so, once per extract, with the ids and the date (never the text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from connectors.base import ConnectorWarning, Kind

# A clock a few minutes off (ours or the network's) is no future date: the same hour as in staging.comments.
TOLERANCE = dt.timedelta(hours=1)
MAX_NAMED = 10


def future_comment_warnings(
    label: str, parts: Iterable[dict[str, Any]], folder: Path, extracted_at: dt.datetime
) -> list[ConnectorWarning]:
    """One warning per stream whose landed comments are dated after `extracted_at` (plus TOLERANCE)."""
    found: list[ConnectorWarning] = []
    for part in parts:
        if part["kind"] != Kind.COMMENTS.value or not part.get("rows"):
            continue
        table = pq.read_table(folder / part["file"], columns=["post_id", "comment_id", "created_at"])
        late = [
            r for r in table.to_pylist() if r["created_at"] is not None and r["created_at"] > extracted_at + TOLERANCE
        ]
        if not late:
            continue
        they, was, them = ("they", "were", "them") if len(late) != 1 else ("it", "was", "it")
        named = ", ".join(
            f"{r['comment_id']} on post {r['post_id']} dated {r['created_at']:%Y-%m-%d %H:%M} UTC"
            for r in late[:MAX_NAMED]
        ) + (f" and {len(late) - MAX_NAMED} more" if len(late) > MAX_NAMED else "")
        message = (
            f"{label} {part['stream']}: {len(late)} comment{'s' if len(late) != 1 else ''} dated after {they} {was} "
            f"read at {extracted_at:%Y-%m-%d %H:%M} UTC: {named}. core.comment and the marts leave "
            f"{them} out until that date (raw.comments keeps {them} as answered); everything else loaded."
        )
        found.append(ConnectorWarning(part["stream"], "future-date", message))
    return found
