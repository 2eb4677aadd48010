"""A post's format (core.post.format, docs/data.md "Post format"): what each network's answer says, mapped to one
vocabulary; NULL where the network does not say."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Account, Credentials, Window
from connectors.instagram import InstagramConnector
from connectors.testing import FakeServer
from connectors.testing.sandbox import company
from connectors.testing.sandbox import instagram as ig
from connectors.testing.sandbox.linkedin import SANDBOX_TOKEN, LinkedInSandbox
from tests.conftest import TODAY, Harness
from tests.test_recorded_answers import KEY, TOKEN, run_through

DAY = dt.date(2026, 11, 19)
# a status update (mobile_status_update) may carry a video or a link (seen in real answers): other, not text
FACEBOOK = {"mobile_status_update": "other", "added_photos": "image", "added_video": "video", "shared_story": "link"}


def served_days() -> list[dt.date]:
    return [company.HISTORY_START + dt.timedelta(days=i) for i in range((TODAY - company.HISTORY_START).days)]


def formats(query: Any, network: str) -> dict[str, str | None]:
    return dict(query("SELECT post_id, format FROM core.post WHERE network = ? ORDER BY post_id", [network]))


def test_facebook_posts_have_the_format_of_their_status_type(harness: Harness) -> None:
    """Given the sandbox page's posts (Graph's `status_type`), then core.post holds added_photos as image,
    added_video as video, shared_story as link and mobile_status_update as other, for every post."""
    harness.run(DAY)
    served = {str(p["id"]): FACEBOOK[str(p["status_type"])] for d in served_days() for p in company.facebook_posts(d)}
    stored = formats(harness.query, "facebook")
    assert stored and stored == {pid: served[pid] for pid in stored}
    assert set(stored.values()) == {"other", "image", "video", "link"}


@pytest.fixture
def li(tmp_path: Path, fb_sandbox: Any) -> Iterator[Harness]:
    server = FakeServer(LinkedInSandbox(today=TODAY)).start()
    config = tmp_path / "li.yml"
    org = company.LINKEDIN_ORG_ID
    config.write_text(f"company: Test\nlookback_days: 6\naccounts:\n  - network: linkedin\n    id: '{org}'\n")
    yield Harness(server, config, tmp_path / "warehouse.duckdb", tmp_path / "landing", token=SANDBOX_TOKEN)
    server.stop()


def linkedin_format(post: dict[str, Any]) -> str:
    content: dict[str, Any] | None = post.get("content")  # type: ignore[assignment]
    if content is None:
        return "text"
    media = str((content.get("media") or {}).get("id", ""))
    kinds = {"urn:li:image:": "image", "urn:li:video:": "video"}
    return next((v for k, v in kinds.items() if media.startswith(k)), None) or (
        "album" if "multiImage" in content else "link" if "article" in content else "poll"
    )


def test_linkedin_posts_have_the_format_of_their_content(li: Harness) -> None:
    """Given the sandbox organization's posts (the Posts API's `content`), then no content is text, an image or
    video URN image or video, multiImage album, article link and poll poll, for every post."""
    li.run(DAY)
    served = {str(p["id"]): linkedin_format(p) for d in served_days() for p in company.linkedin_posts(d)}
    stored = formats(li.query, "linkedin")
    assert stored and stored == {pid: served[pid] for pid in stored}
    assert set(stored.values()) == {"text", "image", "video", "link", "poll"}  # the posts of these 90 days


def test_instagram_media_have_the_format_of_their_media_type(tmp_path: Path) -> None:
    """Given the sandbox's media (media_type, media_product_type), then REELS is reel, IMAGE image and
    CAROUSEL_ALBUM album, for every media of the quarter."""
    app = ig.InstagramSandbox(today=TODAY)
    app.valid_tokens.add(TOKEN)
    with FakeServer(app) as server:
        creds = Credentials("instagram_default", TOKEN, base_url=server.base_url)
        c = InstagramConnector(Account("instagram", ig.IG_USER_ID), creds, today=TODAY, author_key=KEY)
        con = run_through(c, ["media"], Window(TODAY - dt.timedelta(days=90), TODAY), tmp_path, TODAY)
    mapped = {("IMAGE", "FEED"): "image", ("CAROUSEL_ALBUM", "FEED"): "album", ("VIDEO", "REELS"): "reel"}
    served = {m["id"]: mapped[(m["media_type"], m["media_product_type"])]
              for d in served_days() for m in ig.media_of(d)}  # fmt: skip
    stored = formats(lambda sql, params: con.execute(sql, params).fetchall(), "instagram")
    assert stored and stored == {pid: served[pid] for pid in stored}
    assert set(stored.values()) == {"image", "album", "reel"}
