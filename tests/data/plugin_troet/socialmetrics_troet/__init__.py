"""Tröt, a made-up network: daily account numbers and posts, on the socialmetrics connector SDK.

Its API (made up, documented here as a real one would be): Bearer token; GET /v1/accounts/{id}/days?from&to
(at most 31 days) -> {"days": [{"date", "views", "likes"}]}; GET /v1/accounts/{id}/posts?from&to&cursor
-> {"posts": [{"id", "created", "text", "views", "likes"}], "next_cursor": "..." | null}; 404 for an unknown
account; 401 for a bad or expired token.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar

from connectors.base import Account, Credentials, Kind, Stream
from connectors.http import HttpClient
from connectors.sdk import Context, CursorParamPaginator, Declared, DeclaredConnector, Rows
from connectors.testing import Answer, FakeApi


def day_rows(ctx: Context, day: dict[str, Any]) -> Rows:
    """A day's numbers."""
    for source in ("views", "likes"):
        yield (
            Kind.DAILY_METRICS,
            {
                "day": dt.date.fromisoformat(day["date"]),
                "metric": ctx.metric(source),
                "source_metric": source,
                "value": float(day[source]),
                "payload": json.dumps(day),
            },
        )


def post_rows(ctx: Context, post: dict[str, Any]) -> Rows:
    """A post and its lifetime numbers."""
    published = dt.datetime.fromisoformat(post["created"])
    yield (
        Kind.POSTS,
        {
            "post_id": post["id"],
            "published_at": published,
            "permalink": None,
            "text": post.get("text"),
            "payload": json.dumps(post),
        },
    )
    for source in ("views", "likes"):
        yield (
            Kind.POST_METRICS,
            {
                "post_id": post["id"],
                "published_at": published,
                "as_of": ctx.fetched_on,
                "metric": ctx.metric(source),
                "source_metric": source,
                "value": float(post[source]),
                "payload": "{}",
            },
        )


def _range(w: Any) -> dict[str, Any]:
    return {"from": w.start.isoformat(), "to": w.end.isoformat()}


METRICS = {"views": "impressions", "likes": "reactions"}


class TroetConnector(DeclaredConnector):
    """Tröt accounts: two declared streams."""

    network: ClassVar[str] = "troet"
    declared = (
        Declared(
            Stream("days", (Kind.DAILY_METRICS,)),
            "/v1/accounts/{account_id}/days",
            day_rows,
            params=_range,
            records=("days",),
            primary_key=("date",),
            window_field="date",
            chunk_days=31,
            metric_map=METRICS,
        ),
        Declared(
            Stream("posts", (Kind.POSTS, Kind.POST_METRICS)),
            "/v1/accounts/{account_id}/posts",
            post_rows,
            params=_range,
            records=("posts",),
            window_field="created",
            metric_map=METRICS,
            paginator=CursorParamPaginator(("next_cursor",), "cursor", None),
        ),
    )

    def __init__(
        self,
        account: Account,
        credentials: Credentials,
        http: HttpClient | None = None,
        *,
        today: dt.date | None = None,
        author_key: bytes | None = None,
    ) -> None:
        super().__init__(account, credentials, today=today, author_key=author_key)
        from connectors.http import ErrorPolicy

        self.base = (credentials.base_url or "https://api.troet.example").rstrip("/")
        self.http = self._client(http, ErrorPolicy(), {"Authorization": f"Bearer {credentials.token}"})


class FakeTroet(FakeApi):
    """The made-up API, from its documentation above."""

    sandbox_token: ClassVar[str] = "troet-sandbox-token"

    def __init__(self, *, today: dt.date | None = None) -> None:
        super().__init__(today=today)
        self.account_ids = ["4242"]

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        """Days and posts of account 4242; 404 for anything else."""
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[2] != "4242":
            return 404, {}, {"error": {"message": f"no account {parts[2] if len(parts) > 2 else path}"}}
        start, end = dt.date.fromisoformat(query["from"]), min(dt.date.fromisoformat(query["to"]), self.today)
        days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
        if parts[3] == "days":
            return 200, {}, {"days": [{"date": d.isoformat(), "views": 100 + d.day, "likes": d.day % 7} for d in days]}
        posts = [
            {
                "id": f"p{d:%Y%m%d}",
                "created": f"{d.isoformat()}T12:00:00+00:00",
                "text": "hallo",
                "views": 50 + d.day,
                "likes": d.day % 5,
            }
            for d in days
            if d.day % 2 == 0
        ]
        at = int(query.get("cursor") or 0)
        nxt = str(at + 2) if at + 2 < len(posts) else None
        return 200, {}, {"posts": posts[at : at + 2], "next_cursor": nxt}
