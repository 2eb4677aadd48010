"""The one HTTP layer every connector uses: timeouts, retries with backoff, rate limits, paging
with loop detection, and errors that never contain a secret.

A connector tells the client how to read its network's errors through `ErrorPolicy.classify`;
the waiting, counting and scrubbing happen here, once.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any

import requests
import tenacity

from connectors.errors import (
    ApiError,
    AuthError,
    ConnectorError,
    ExtractTimeoutError,
    LimitExceededError,
    MalformedResponseError,
    RateLimitError,
    RequestRejectedError,
    UsageCapError,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read seconds
MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
MAX_RATE_LIMIT_WAIT_S = 15 * 60.0  # wait for a reset at most this long, otherwise fail and say when
MAX_PAGES = 10_000
MAX_PAGE_BYTES = 20 * 1024 * 1024  # one answer; checked while it streams in, before it is decoded
KEPT_BODY_CHARS = 1_000_000  # of a malformed answer, kept (scrubbed) for diagnosis
CHUNK_BYTES = 64 * 1024

# Query parameters and JSON keys whose values are secrets wherever they appear.
SECRET_PARAM_RE = re.compile(
    r"(?i)((?:access_token|client_secret|appsecret_proof|refresh_token|oauth_token|bearer_token|token)"
    r"(?:=|%3D|\"\s*:\s*\"))([^&\s\"'#]+)"
)
BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+")
REDACTED = "***"


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove secrets from `text`: known secret values, token query parameters and bearer headers."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = SECRET_PARAM_RE.sub(lambda m: m.group(1) + REDACTED, text)
    return BEARER_RE.sub(lambda m: m.group(1) + REDACTED, text)


def scrub_obj(obj: Any, secrets: Iterable[str | None] = ()) -> Any:
    """Scrub every string inside a JSON-like object (paging URLs carry tokens)."""
    secrets = tuple(secrets)
    if isinstance(obj, str):
        return scrub(obj, secrets)
    if isinstance(obj, list):
        return [scrub_obj(v, secrets) for v in obj]
    if isinstance(obj, dict):
        return {k: scrub_obj(v, secrets) for k, v in obj.items()}
    return obj


class _ScrubFilter(logging.Filter):
    """urllib3 logs request lines (with query strings) at DEBUG; keep tokens out of them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(str(record.msg))
        if record.args:
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_ScrubFilter())


class Action(Enum):
    """What to do with an answer."""

    OK = "ok"
    RETRY = "retry"  # transient: back off and try again
    RATE_LIMITED = "rate_limited"  # wait (for `wait_s` if known) and try again
    AUTH = "auth"  # never retried
    FAIL = "fail"  # never retried
    QUOTA = "quota"  # a paid usage cap or credits are used up: never retried, not a rate limit


@dataclass
class Verdict:
    """The classification of one HTTP answer."""

    action: Action
    message: str = ""
    wait_s: float | None = None
    code: str | None = None


class ErrorPolicy:
    """Default reading of HTTP answers; networks subclass and override `classify`."""

    network = "api"

    def classify(self, response: requests.Response) -> Verdict:
        """Map an answer to an action."""
        status = response.status_code
        if status < 400:
            return Verdict(Action.OK)
        wait = retry_after_seconds(response)
        if status == 429:
            return Verdict(Action.RATE_LIMITED, f"{self.network} answered 429 Too Many Requests", wait)
        if status in (408, 500, 502, 503, 504):  # 408 Request Timeout: the server gave up waiting, try again
            return Verdict(Action.RETRY, f"{self.network} answered {status}", wait)
        if status in (401, 403):
            return Verdict(Action.AUTH, f"{self.network} answered {status}")
        return Verdict(Action.FAIL, f"{self.network} answered {status}: {response.text[:300]}")

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """The message for an authentication failure; names the connection to fix."""
        return (
            f"{verdict.message}. The token in Airflow connection '{conn_id}' is not accepted: "
            f"renew it and update the connection's password."
        )


def retry_after_seconds(response: requests.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), if present."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """A requests Session with timeouts, retries, rate-limit waits and secret-free errors."""

    def __init__(
        self,
        policy: ErrorPolicy,
        *,
        conn_id: str,
        secrets: Iterable[str | None] = (),
        session: requests.Session | None = None,
        headers: dict[str, str] | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        max_rate_limit_wait_s: float = MAX_RATE_LIMIT_WAIT_S,
        max_page_bytes: int | None = MAX_PAGE_BYTES,
        time_limit_s: float | None = None,
    ) -> None:
        self.policy = policy
        self.conn_id = conn_id
        self.secrets = tuple(s for s in secrets if s)
        self.session = session or requests.Session()
        if headers:
            self.session.headers.update(headers)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.max_rate_limit_wait_s = max_rate_limit_wait_s
        self.requests_made = 0
        self.waited_s = 0.0
        self.max_page_bytes = max_page_bytes
        self.time_limit_s = time_limit_s
        self.started = time.monotonic()

    def limit(self, *, time_limit_s: float | None = None, max_page_bytes: int | None = None) -> None:
        """Bound this client from now on: the whole extract's time and each answer's size."""
        self.time_limit_s = time_limit_s
        self.max_page_bytes = max_page_bytes
        self.started = time.monotonic()
        self.waited_s = 0.0

    def elapsed_s(self) -> float:
        """Seconds this client has worked (waits of a test's fake `sleep` count as if slept)."""
        faked = self.waited_s if self.sleep is not time.sleep else 0.0
        return time.monotonic() - self.started + faked

    def _remaining_s(self, what: str) -> float | None:
        if self.time_limit_s is None:
            return None
        left = self.time_limit_s - self.elapsed_s()
        if left <= 0:
            raise self._timeout_error(what)
        return left

    def _timeout_error(self, what: str) -> ExtractTimeoutError:
        limit = (self.time_limit_s or 0) / 60
        return ExtractTimeoutError(
            f"{self.policy.network}: the extract reached its time limit of {limit:.3g} minutes ({what}); nothing of "
            f"this account was loaded and earlier data is unchanged. If the API is just slow, raise "
            f"`time_limit_minutes` for the account in the config."
        )

    def _read_body(self, response: requests.Response, described: str) -> None:
        """Read the answer in chunks, stopping as soon as it passes `max_page_bytes` (a 50 MB page is
        refused before it is in memory), and keep it as the response's content."""
        limit = self.max_page_bytes
        length = response.headers.get("Content-Length", "")
        too_big = LimitExceededError(
            f"{self.policy.network} answered more than {(limit or 0) / 1024 / 1024:.0f} MB for one page "
            f"({self.scrub(described)}); refused before reading it whole. If such pages are expected, raise "
            f"`max_page_mb` for the account in the config."
        )
        if limit and length.isdigit() and int(length) > limit:
            response.close()
            raise too_big
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if limit and size > limit:
                response.close()
                raise too_big
            chunks.append(chunk)
            self._remaining_s("while reading an answer")
        response._content = b"".join(chunks)  # noqa: SLF001 (requests' own cache of the body)
        response._content_consumed = True  # type: ignore[attr-defined] # noqa: SLF001

    def scrub(self, text: str) -> str:
        """Scrub with this client's secrets."""
        return scrub(text, self.secrets)

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> tuple[Any, requests.Response]:
        """GET and decode JSON (see `request_json`)."""
        return self.request_json(url, params)

    def post_json(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        *,
        data: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> tuple[Any, requests.Response]:
        """POST a form (`data`: Matomo's token_auth belongs in the body, never in a logged URL) or a JSON
        body (GA4's runReport) and decode the JSON answer, with the retries of `request_json`. Only `url`
        and `params` appear in errors and logs, never the body."""
        return self.request_json(url, params, method="POST", data=data, json_body=json_body)

    def request_json(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        *,
        method: str = "GET",
        data: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> tuple[Any, requests.Response]:
        """Send one request and decode JSON, retrying transient errors, rate limits and malformed answers (a truncated
        body, an HTML error page with status 200); raises ConnectorError. A malformed answer that
        persists raises MalformedResponseError carrying the scrubbed body (`exc.body`) for landing.

        Retries are tenacity's: up to `max_attempts`, waiting what the answer asks for (Retry-After, the
        network's rate-limit headers, read by its ErrorPolicy) or else exponential backoff with jitter;
        an error that retrying cannot fix is raised at once (tenacity retries `_Transient` only)."""
        described = _describe(url, params)
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=_wait_for,
            retry=tenacity.retry_if_exception_type(_Transient),
            before_sleep=self._before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            attempts = itertools.count(1)
            return retrying(
                lambda: self._attempt(
                    url, params, described, next(attempts), method=method, data=data, json_body=json_body
                )
            )
        except _Transient as last:
            if last.malformed is not None:
                error = MalformedResponseError(
                    f"{last}; the same after {self.max_attempts} attempts. Nothing already loaded was changed."
                )
                error.body = last.malformed
                raise error from None
            message = str(last)
            kind = RateLimitError if "rate" in message.lower() or "429" in message else ApiError
            raise kind(
                f"{self.policy.network}: gave up after {self.max_attempts} attempts; last answer: {message}. "
                f"Nothing already loaded was changed; retry the task later."
            ) from None

    def _attempt(
        self,
        url: str,
        params: dict[str, Any] | None,
        described: str,
        attempt: int,
        *,
        method: str = "GET",
        data: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> tuple[Any, requests.Response]:
        """One request: the decoded answer, a `_Transient` to retry, or a ConnectorError that is final."""
        remaining = self._remaining_s(f"before request {attempt} of {self.scrub(described)}")
        timeout = (
            self.timeout if remaining is None else (min(self.timeout[0], remaining), min(self.timeout[1], remaining))
        )
        try:
            self.requests_made += 1
            if method == "GET":
                response = self.session.get(url, params=params, timeout=timeout, stream=True)
            else:
                response = self.session.request(
                    method, url, params=params, data=data, json=json_body, timeout=timeout, stream=True
                )
            self._read_body(response, described)
        except requests.RequestException as exc:
            # requests puts the full URL (with its query string) into the message: scrub it.
            raise _Transient(self.scrub(f"{type(exc).__name__}: {exc}")) from None
        verdict = self.policy.classify(response)
        if verdict.action is Action.OK:
            try:
                return response.json(), response
            except ValueError:
                # Seen in the wild: a proxy's HTML page with 200, a body cut off mid-stream. The next
                # request usually works, so this is retried like a 5xx.
                raise _Transient(
                    f"{self.policy.network} answered {response.status_code} with a body that is not JSON "
                    f"(first bytes: {self.scrub(response.text[:120])!r}) for {self.scrub(described)}",
                    malformed=self.scrub(response.text[:KEPT_BODY_CHARS]),
                ) from None
        message = self.scrub(verdict.message)
        if verdict.action is Action.AUTH:
            raise AuthError(self.scrub(self.policy.auth_message(verdict, self.conn_id)), code=verdict.code)
        if verdict.action is Action.QUOTA:
            raise UsageCapError(f"{message} (request: {self.scrub(described)})", code=verdict.code)
        if verdict.action is Action.FAIL:
            # A 4xx the policy did not call transient is the same answer on every attempt (a retired version,
            # an unknown field, a deleted object): never retried, not by us and not by Airflow.
            kind = RequestRejectedError if 400 <= response.status_code < 500 else ApiError
            raise kind(f"{message} (request: {self.scrub(described)})", code=verdict.code)
        if verdict.action is Action.RATE_LIMITED and verdict.wait_s is not None:
            if verdict.wait_s > self.max_rate_limit_wait_s:
                resume = time.strftime("%H:%M UTC", time.gmtime(time.time() + verdict.wait_s))
                raise RateLimitError(
                    f"{message}; the limit resets in {verdict.wait_s / 60:.0f} minutes (about {resume}). "
                    f"Nothing was lost: clear this task to retry after that."
                )
        raise _Transient(message, wait_s=verdict.wait_s)

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        """Before a wait: refuse one that would pass the time limit, log it without secrets, count it."""
        wait_s = state.upcoming_sleep
        reason = str(state.outcome.exception()) if state.outcome is not None else ""
        attempt = state.attempt_number
        remaining = self._remaining_s(f"after attempt {attempt}: {reason}")
        if remaining is not None and wait_s > remaining:
            raise self._timeout_error(f"waiting {wait_s:.0f} s after attempt {attempt} would pass it; {reason}")
        log.warning("%s; attempt %d/%d, waiting %.1f s", reason, attempt, self.max_attempts, wait_s)
        self.waited_s += wait_s

    def _sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def paginate(
        self,
        url: str,
        params: dict[str, Any] | None,
        next_request: Callable[[Any, str, dict[str, Any] | None], tuple[str, dict[str, Any] | None] | None],
        max_pages: int = MAX_PAGES,
        get: Callable[[str, dict[str, Any] | None], Any] | None = None,
    ) -> Iterator[tuple[Any, str, dict[str, Any] | None]]:
        """Yield (body, url, params) per page; `next_request` returns the next request or None, `get` reads
        one page (default: `get_json`'s body).

        The same request twice means the API is looping: that ends with an error, not forever.
        """
        seen: set[str] = set()
        request: tuple[str, dict[str, Any] | None] | None = (url, params)
        pages = 0
        while request is not None:
            key = _describe(*request)
            if key in seen:
                raise MalformedResponseError(
                    f"{self.policy.network} paging loops: the next page repeats an earlier request "
                    f"({self.scrub(key)}); stopping instead of fetching forever."
                )
            seen.add(key)
            pages += 1
            if pages > max_pages:
                raise MalformedResponseError(f"{self.policy.network}: more than {max_pages} pages; stopping.")
            body = get(*request) if get is not None else self.get_json(*request)[0]
            yield body, request[0], request[1]
            request = next_request(body, *request)


class _Transient(Exception):  # noqa: N818 (a signal to tenacity, never leaves this module)
    """An answer worth another attempt: the message (scrubbed), the wait the API asked for, and the body of
    a malformed answer to keep if it persists."""

    def __init__(self, message: str, *, wait_s: float | None = None, malformed: str | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s
        self.malformed = malformed


def _wait_for(state: tenacity.RetryCallState) -> float:
    """What the failed attempt's answer asked for (Retry-After, rate-limit headers), else exponential
    backoff with jitter: 1, 2, 4 ... s (at most BACKOFF_CAP_S), each times 0.5 to 1."""
    error = state.outcome.exception() if state.outcome is not None else None
    if isinstance(error, _Transient) and error.wait_s is not None:
        return error.wait_s
    backoff = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (state.attempt_number - 1))
    return backoff * (0.5 + random.random() / 2)


def _describe(url: str, params: dict[str, Any] | None) -> str:
    if not params:
        return url
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{url}?{query}"


__all__ = [
    "Action",
    "ConnectorError",
    "ErrorPolicy",
    "HttpClient",
    "Verdict",
    "retry_after_seconds",
    "scrub",
    "scrub_obj",
]
