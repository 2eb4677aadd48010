"""Competitors' public numbers, read with the company's own tokens (docs/competitors.md).

A competitor is a name and, per network, a public username or id (`competitors:` in the config). The
pipeline hands a network's competitors to the company's first account of that network as the account option
`competitors` ([{"competitor": name, "handle": handle}]); a connector that declares a stream named
`competitors` reads one snapshot per competitor each night. What lands is the same for every network, in
`raw.competitor_snapshots`: one row per competitor and night with the account's public totals (followers,
posts), and one row per recent post with its public counts. Never a follower, commenter or any other person.

`status` says what the network answered: 'ok'; 'not_found' (no such account: the handle is named in a
warning, the other competitors still load); 'no_data' (the account exists but the network shows nothing of
it: a private, protected or age-gated account). Both are kept as such, never as zeros.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.base import Kind, Stream
from connectors.sdk import Context, Declared, Rows

STREAM = "competitors"
STATUSES = ("ok", "not_found", "no_data")

# Why a network's competitors are not read (the plan says it once a night; docs/competitors.md says more).
NOT_READ = {
    "facebook": (
        "reading another Page needs Meta's 'Page Public Content Access' feature (App Review and business "
        "verification) and a facebook account in the config whose Page token reads it; without them Facebook is "
        "left out of the comparison (not counted as zero)"
    ),
    "linkedin": (
        "LinkedIn's Community Management API gives posts and statistics only of organizations the token's member "
        "administers; of another organization its Organization Lookup gives the profile and a follower total, which "
        "this version does not read, so LinkedIn is left out of the comparison (not counted as zero)"
    ),
    "xing": (
        "Xing has no API: a competitor's Xing numbers are read from its file competitors/<name>.csv (or .xlsx) in "
        "the xing account's import folder, in the company's template; no such file was read (or the config has no "
        "xing account), so Xing is left out of the comparison (not counted as zero)"
    ),
}


def stream() -> Stream:
    """The nightly snapshot stream of competitors (a snapshot: only the run covering yesterday takes it)."""
    return Stream(STREAM, (Kind.COMPETITOR_SNAPSHOTS,), snapshot=True)


def reads_competitors(connector_cls: Any) -> bool:
    """Whether a network's connector reads competitors (declares the `competitors` stream)."""
    return any(s.name == STREAM for s in getattr(connector_cls, "streams", ()))


def why_not_read(network: str) -> str:
    """Why a network's competitors are left out, in the user's words."""
    return NOT_READ.get(network, f"the {network} connector has no '{STREAM}' stream")


def listed(conn: Any) -> list[dict[str, str]]:
    """The competitors this account reads (from the plan), checked."""
    found = conn.account.options.get("competitors") or []
    return [
        {"competitor": str(c["competitor"]), "handle": str(c["handle"])}
        for c in found
        if isinstance(c, Mapping) and c.get("competitor") and c.get("handle")
    ]


def competitor_parents(conn: Any, spec: Declared, window: Any) -> Iterator[Mapping[str, Any]]:
    """One request (and landed page) per competitor: its name and handle travel as the page's parent."""
    yield from listed(conn)


def status_body(status: str, message: str) -> dict[str, Any]:
    """What is landed for a competitor the network gave nothing for (the reason, in words)."""
    return {"status": status, "message": message}


def number(value: Any) -> float | None:
    """A public count as a float; None where the network did not send one (never 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def snapshot_rows(
    ctx: Context,
    *,
    status: str,
    user_id: str | None,
    username: str | None,
    followers: Any,
    posts_total: Any,
    posts: list[dict[str, Any]],
    payload: Any,
) -> Rows:
    """The rows of one competitor's snapshot: the account's, then one per recent post. The numbers are those
    at the end of the day that just ended (the snapshot is read in the morning after it)."""
    as_of = ctx.fetched_on - dt.timedelta(days=1)
    base = {
        "as_of": as_of,
        "competitor": ctx.parent.get("competitor"),
        "handle": ctx.parent.get("handle"),
        "user_id": user_id,
        "username": username,
    }
    yield (
        Kind.COMPETITOR_SNAPSHOTS,
        base
        | {
            "status": status,
            "followers": number(followers),
            "posts_total": number(posts_total),
            "post_id": None,
            "published_at": None,
            "likes": None,
            "comments": None,
            "shares": None,
            "payload": json.dumps(payload, sort_keys=True),
        },
    )
    for post in posts:
        yield (
            Kind.COMPETITOR_SNAPSHOTS,
            base
            | {
                "status": status,
                "followers": None,
                "posts_total": None,
                "post_id": str(post["id"]),
                "published_at": post["published_at"],
                "likes": number(post.get("likes")),
                "comments": number(post.get("comments")),
                "shares": number(post.get("shares")),
                "payload": json.dumps(post.get("payload"), sort_keys=True),
            },
        )
