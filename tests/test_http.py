"""The shared HTTP layer: scrubbing, retries, paging loop detection."""

from __future__ import annotations

import pytest

from connectors.base import MalformedResponseError
from connectors.http import ErrorPolicy, HttpClient, scrub, scrub_obj
from connectors.testing import FakeServer


def test_scrub_removes_tokens_from_urls_json_and_headers() -> None:
    text = (
        "https://graph.facebook.com/v25.0/1/published_posts?access_token=EAAB123&after=x "
        '{"access_token": "EAAB456"} Authorization: Bearer abc.def-ghi client_secret=s3cr3t'
    )
    out = scrub(text)
    for secret in ("EAAB123", "EAAB456", "abc.def-ghi", "s3cr3t"):
        assert secret not in out
    assert "after=x" in out


def test_scrub_removes_known_secret_values_anywhere() -> None:
    assert scrub("token is tok-123456 here", ["tok-123456"]) == "token is *** here"
    assert scrub_obj({"paging": {"next": "http://x/?a=1&access_token=zz9"}}) == {
        "paging": {"next": "http://x/?a=1&access_token=***"}
    }


class LoopApp:
    """A server whose next-page link always points at itself."""

    base_url = ""

    def handle(self, path, query):
        return 200, {}, {"data": [1], "paging": {"next": f"{self.base_url}/items?cursor=same"}}


def test_a_paging_loop_ends_with_an_error_not_forever() -> None:
    with FakeServer(LoopApp()) as server:
        client = HttpClient(ErrorPolicy(), conn_id="c", sleep=lambda s: None)

        def next_request(body, url, params):
            return body["paging"]["next"], None

        with pytest.raises(MalformedResponseError, match="paging loops"):
            list(client.paginate(f"{server.base_url}/items", {"cursor": "first"}, next_request))
        assert client.requests_made == 2


class FlakyApp:
    base_url = ""

    def __init__(self) -> None:
        self.calls = 0

    def handle(self, path, query):
        self.calls += 1
        if self.calls == 1:
            return 429, {"Retry-After": "3"}, {"message": "slow down"}
        if self.calls == 2:
            return 503, {}, {"message": "unavailable"}
        return 200, {}, {"ok": True}


def test_retry_after_is_honoured_and_5xx_backs_off() -> None:
    sleeps: list[float] = []
    with FakeServer(FlakyApp()) as server:
        client = HttpClient(ErrorPolicy(), conn_id="c", sleep=sleeps.append)
        body, _ = client.get_json(f"{server.base_url}/x")
    assert body == {"ok": True}
    assert sleeps[0] == 3.0 and 1.0 <= sleeps[1] <= 2.0  # 2nd attempt: 2 s with jitter


def test_connection_errors_never_show_the_token() -> None:
    client = HttpClient(ErrorPolicy(), conn_id="c", secrets=["sekrit-token"], sleep=lambda s: None, max_attempts=2)
    with pytest.raises(Exception) as err:
        client.get_json("http://127.0.0.1:9/x", {"access_token": "sekrit-token"})
    assert "sekrit-token" not in str(err.value) and "ConnectionError" in str(err.value)
