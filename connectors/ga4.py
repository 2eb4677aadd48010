"""A website's sessions, users, key events and revenue by source, medium and campaign, read from the Google
Analytics 4 Data API on declared streams (connectors/sdk.py). Read-only (scope analytics.readonly), aggregates
only: a report by day and session source, never a user or client id.

GA4 facts this module relies on (developers.google.com/analytics/devguides/reporting/data/v1; the recorded
answers and their sources are in tests/fixtures/recorded/ga4/ and docs/research/recorded-answers.md):
- `POST /v1beta/properties/{id}:runReport` with a JSON body (dateRanges, dimensions, metrics, limit, offset,
  returnPropertyQuota) and `Authorization: Bearer <access token>`. A service account gets the token by posting a
  signed JWT (RS256, scope analytics.readonly, audience = the key's `token_uri`) to its `token_uri`; the answer
  is `{access_token, expires_in: 3599, token_type}`, no refresh token. A bad key answers 400 `invalid_grant`.
- Every dimension and metric value is a string; `date` is `YYYYMMDD` in the property's time zone. `rowCount`
  counts all rows of the report, so pages are read with `offset` until it is reached (at most 250,000 a page).
- `metadata.dataLossFromOtherRow` (rows merged into an `(other)` row) and `metadata.subjectToThresholding`
  (small rows withheld so that no person can be singled out) are left out when false: when present, the run
  warns, because the day's numbers by source are then incomplete.
- `returnPropertyQuota: true` adds `propertyQuota`: for each quota `{consumed (by this request), remaining}`
  (tokensPerDay, tokensPerHour, tokensPerProjectPerHour, concurrentRequests, ...). 429 RESOURCE_EXHAUSTED
  "Exhausted property tokens ..." means an hour's or a day's tokens are gone; waiting seconds does not help.
- Data is complete after 24-48 hours; the nightly lookback rereads the last days.
- Errors are `{"error":{"code","message","status"}}`: 403 PERMISSION_DENIED (the account cannot read the
  property, or the property id is wrong), 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 429 RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import requests

from connectors.allowlist import SCALAR
from connectors.base import (
    Account,
    AuthError,
    ConnectorWarning,
    Credentials,
    Kind,
    MalformedResponseError,
    RateLimitError,
    Stream,
    Window,
)
from connectors.http import Action, ErrorPolicy, HttpClient, Verdict, retry_after_seconds
from connectors.sdk import Context, Declared, DeclaredConnector, OffsetPaginator, Rows
from connectors.web import OTHER_SOCIAL, is_other_social, network_of_source

DEFAULT_BASE_URL = "https://analyticsdata.googleapis.com"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
PAGE_SIZE = 10_000
CHUNK_DAYS = 93
PROPERTY_ID_RE = re.compile(r"^[1-9][0-9]{5,14}$")
QUOTA_RESERVE = 3  # stop when a quota has less left than this many requests like the last one
METRICS = ("sessions", "totalUsers", "keyEvents", "purchaseRevenue")
BY_SOURCE = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
# GA4's placeholders in sessionCampaignName: not a campaign anyone named.
NOT_CAMPAIGNS = {"(direct)", "(organic)", "(referral)", "(not set)", "(other)", "(cross-network)", "(none)", ""}
SOCIAL_MEDIA = {"social", "social-network", "social-media", "sm", "social network", "social media"}
RECORD_KEPT = {**{d: SCALAR for d in BY_SOURCE}, **{m: SCALAR for m in METRICS}}


class Ga4ErrorPolicy(ErrorPolicy):
    """The Data API's error envelope, read with the property it is about."""

    network = "ga4"

    def __init__(self, property_id: str) -> None:
        self.property_id = property_id

    def classify(self, response: requests.Response) -> Verdict:
        """Map an answer to an action; quota exhaustion waits until its hour (or day) is over."""
        status = response.status_code
        if status < 400:
            return Verdict(Action.OK)
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        message = str(error.get("message") or response.text[:300]) if isinstance(error, dict) else str(error)
        where = f"GA4 property {self.property_id}"
        if status == 429:
            lowered = message.lower()
            wait: float | None
            if "tokens" in lowered and "day" in lowered:
                wait = _seconds_to_next(dt.timedelta(days=1))
            elif "tokens" in lowered or "thresholded" in lowered:
                wait = _seconds_to_next(dt.timedelta(hours=1))
            else:  # concurrent requests: a moment later is enough
                wait = retry_after_seconds(response)
            return Verdict(Action.RATE_LIMITED, f"{where}: GA4 quota exhausted ({message})", wait, code="quota")
        if status in (500, 502, 503, 504):
            return Verdict(Action.RETRY, f"{where}: GA4 answered {status}: {message}", retry_after_seconds(response))
        if status in (401, 403):
            code = "no_access" if status == 403 else "bad_token"
            return Verdict(Action.AUTH, f"{where}: GA4 answered {status} ({message})", code=code)
        return Verdict(Action.FAIL, f"{where}: GA4 answered {status}: {message}", code="api_error")

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """Name the property and the service account's access to check."""
        if verdict.code == "no_access":
            return (
                f"{verdict.message}. Check the property id in the config (Admin > Property details, a number, not "
                f"the G- measurement id) and add the service account's e-mail (client_email of the key in Airflow "
                f"connection '{conn_id}') as a Viewer of the property (Admin > Property access management). This "
                f"error is never retried."
            )
        return (
            f"{verdict.message}. The access token of Airflow connection '{conn_id}' was refused: paste the service "
            f"account's key file (JSON) as the connection's password. This error is never retried."
        )


class GoogleTokenPolicy(ErrorPolicy):
    """The OAuth token endpoint: `{"error":"invalid_grant","error_description":...}` means a bad key."""

    network = "ga4"

    def classify(self, response: requests.Response) -> Verdict:
        """A refused key is an auth error, never retried."""
        if response.status_code in (400, 401, 403):
            try:
                body = response.json()
            except ValueError:
                body = {}
            reason = f"{body.get('error')}: {body.get('error_description')}" if isinstance(body, dict) else ""
            return Verdict(Action.AUTH, f"GA4: Google refused the service-account key ({reason})", code="bad_key")
        return super().classify(response)

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """Say how to get a working key."""
        return (
            f"{verdict.message}. Create a new key for the service account (Google Cloud console > IAM > Service "
            f"accounts > Keys > Add key > JSON) and paste the whole file as the password of Airflow connection "
            f"'{conn_id}'. This error is never retried."
        )


def _seconds_to_next(period: dt.timedelta) -> float:
    now = dt.datetime.now(dt.UTC)
    if period >= dt.timedelta(days=1):
        # property quotas reset at midnight Pacific time
        pacific = dt.timezone(dt.timedelta(hours=-8))
        local = now.astimezone(pacific)
        nxt = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), pacific)
    else:
        nxt = now.replace(minute=0, second=0, microsecond=0) + period
    return max(1.0, (nxt - now).total_seconds())


# -- a landed record -> rows --------------------------------------------------------------------------------


def _num(record: Mapping[str, Any], name: str) -> float | None:
    value = record.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MalformedResponseError(f"GA4: {name} {value!r} is not a number") from None


def _day(record: Mapping[str, Any]) -> dt.date:
    try:
        return dt.datetime.strptime(str(record.get("date")), "%Y%m%d").date()
    except ValueError:
        raise MalformedResponseError(f"GA4: date {record.get('date')!r} is not YYYYMMDD") from None


def source_network(source: str | None, medium: str | None) -> str:
    """The network of a session source (a referrer host or a utm_source): one of the networks, 'other_social'
    for a social medium of another source, else 'other' (search, direct, newsletter: counted in 'all' only)."""
    network = network_of_source(source)
    if network:
        return network
    if (medium or "").strip().lower() in SOCIAL_MEDIA or is_other_social(source):
        return OTHER_SOCIAL
    return "other"


def _row(ctx: Context, record: Mapping[str, Any], source_kind: str, **keys: Any) -> tuple[Kind, dict[str, Any]]:
    row = {"day": _day(record), "source_kind": source_kind, "source_network": "all", "referrer": None,
           "campaign": None, "medium": None, "goal_id": None, "goal_name": None,
           "visits": _num(record, "sessions"), "users": _num(record, "totalUsers"),
           "conversions": _num(record, "keyEvents"), "revenue": _num(record, "purchaseRevenue"),
           "payload": json.dumps(record, sort_keys=True)}  # fmt: skip
    row.update(keys)
    return Kind.WEB_TRAFFIC, row


def totals_rows(ctx: Context, record: dict[str, Any]) -> Rows:
    """One day of the whole property: sessions, users (unique over the day), key events, revenue."""
    yield _row(ctx, record, "visits")


def session_rows(ctx: Context, record: dict[str, Any]) -> Rows:
    """One day, session source, medium and campaign: its network by the documented mapping (connectors/web.py)."""
    source, medium = record.get("sessionSource"), record.get("sessionMedium")
    campaign = record.get("sessionCampaignName")
    yield _row(ctx, record, "session", source_network=source_network(source, medium), referrer=source,
               medium=medium, campaign=None if campaign in NOT_CAMPAIGNS else campaign)  # fmt: skip


def _report(dimensions: tuple[str, ...]) -> Any:
    def params(window: Window) -> dict[str, Any]:
        last = window.end - dt.timedelta(days=1)
        return {"startDate": window.start.isoformat(), "endDate": last.isoformat(),
                "dimensions": ",".join(dimensions), "offset": 0, "limit": PAGE_SIZE}  # fmt: skip

    return params


PAGES = OffsetPaginator(records=("data",), start_param="offset", count_param="limit", total_path=("rowCount",))

DECLARED = (
    Declared(
        Stream("daily_totals", (Kind.WEB_TRAFFIC,)),
        "/v1beta/properties/{account_id}:runReport",
        totals_rows,
        params=_report(("date",)),
        paginator=PAGES,
        primary_key=("date",),
        window_field="date",
        chunk_days=CHUNK_DAYS,
        keep=RECORD_KEPT,
    ),
    Declared(
        Stream("sessions_by_source", (Kind.WEB_TRAFFIC,)),
        "/v1beta/properties/{account_id}:runReport",
        session_rows,
        params=_report(BY_SOURCE),
        paginator=PAGES,
        primary_key=("date",),
        window_field="date",
        chunk_days=CHUNK_DAYS,
        keep=RECORD_KEPT,
    ),
)


class Ga4Connector(DeclaredConnector):
    """A GA4 property: sessions, users, key events and revenue per day, overall and by source/medium/campaign."""

    token_name = "service account's key file (JSON)"
    network: ClassVar[str] = "ga4"
    options: ClassVar[tuple[str, ...]] = ()
    account_id_pattern: ClassVar[str] = PROPERTY_ID_RE.pattern  # the numeric property id, not the G- id
    daily_rows_optional: ClassVar[bool] = True  # a website lands no social-network days
    declared = DECLARED

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
        self.base = (credentials.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.http = self._client(http, Ga4ErrorPolicy(account.id))
        self._key = self._service_account(credentials)
        self._access: tuple[str, float] | None = None

    @staticmethod
    def _service_account(credentials: Credentials) -> dict[str, Any] | None:
        """The key file in the password, or None when the password is an access token itself."""
        text = (credentials.token or "").strip()
        if not text.startswith("{"):
            return None
        try:
            key = json.loads(text)
        except ValueError:
            key = None
        if not isinstance(key, dict) or not key.get("client_email") or not key.get("private_key"):
            raise AuthError(
                f"Airflow connection '{credentials.conn_id}': the password is not a service account's key file "
                f"(JSON with client_email and private_key): paste the whole downloaded key file there."
            )
        return key

    def access_token(self) -> str:
        """A bearer token: the password itself, or one exchanged for a signed JWT at the key's token_uri (kept
        until a minute before it expires)."""
        if self._key is None:
            return str(self.credentials.token)
        if self._access is not None and self._access[1] > time.time() + 60:
            return self._access[0]
        import jwt  # PyJWT with cryptography (RS256); imported here: only GA4 needs it

        token_uri = str(self._key.get("token_uri") or DEFAULT_TOKEN_URI)
        now = int(time.time())
        claims = {"iss": self._key["client_email"], "scope": SCOPE, "aud": token_uri, "iat": now, "exp": now + 3600}
        try:
            assertion = jwt.encode(claims, self._key["private_key"], algorithm="RS256",
                                   headers={"kid": str(self._key.get("private_key_id") or "")})  # fmt: skip
        except (ValueError, TypeError, jwt.PyJWTError):
            raise AuthError(
                f"Airflow connection '{self.credentials.conn_id}': the private_key of the service account's key "
                f"file cannot sign (not a PEM RSA key): paste the whole downloaded key file as the password."
            ) from None
        client = HttpClient(GoogleTokenPolicy(), conn_id=self.credentials.conn_id,
                            secrets=[self.credentials.token, assertion], sleep=self.http.sleep)  # fmt: skip
        body, _ = client.post_json(token_uri, data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                                    "assertion": assertion})  # fmt: skip
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponseError(f"GA4: the token endpoint {token_uri} answered without an access_token")
        self.http.secrets = (*self.http.secrets, token)
        self._access = (token, time.time() + float(body.get("expires_in") or 3599))
        return token

    def get(self, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
        """POST the report; its rows become records named by the headers; the quota and data-quality flags of the
        answer are checked."""
        p = dict(params or {})
        dimensions = str(p.get("dimensions", "date")).split(",")
        payload = {
            "dateRanges": [{"startDate": p.get("startDate"), "endDate": p.get("endDate")}],
            "dimensions": [{"name": d} for d in dimensions],
            "metrics": [{"name": m} for m in METRICS],
            "limit": int(p.get("limit", PAGE_SIZE)),
            "offset": int(p.get("offset", 0)),
            "returnPropertyQuota": True,
        }
        self.http.session.headers["Authorization"] = f"Bearer {self.access_token()}"
        body, _ = self.http.post_json(url, json_body=payload)
        if not isinstance(body, dict):
            raise MalformedResponseError(f"GA4 property {self.account.id}: the answer is not an object")
        if "error" in body or "metricHeaders" not in body:
            # An error envelope (or anything but a report) with HTTP 200, e.g. from a proxy in front of the API:
            # read as a report it would look like a day without sessions. A runReport answer always has its
            # headers, with or without rows (developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta
            # /RunReportResponse).
            error = body.get("error")
            message = str(error.get("message") if isinstance(error, dict) else error or "no metricHeaders")[:300]
            raise MalformedResponseError(
                f"GA4 property {self.account.id} {spec.name}: GA4 answered HTTP 200 without a report ({message}); "
                "nothing of this property was loaded. Check what answers at the connection's host (a proxy?) and "
                "rerun the task."
            )
        records = self._records(body, spec)
        self._check(spec, body, p)
        return {"data": records, "rowCount": int(body.get("rowCount") or 0)}

    def _records(self, body: Mapping[str, Any], spec: Declared) -> list[dict[str, Any]]:
        names = [h.get("name") for h in body.get("dimensionHeaders") or []] + [
            h.get("name") for h in body.get("metricHeaders") or []
        ]
        records = []
        for row in body.get("rows") or []:
            values = [v.get("value") for v in row.get("dimensionValues") or []] + [
                v.get("value") for v in row.get("metricValues") or []
            ]
            if len(values) != len(names):
                raise MalformedResponseError(
                    f"GA4 property {self.account.id} {spec.name}: a row has {len(values)} values for {len(names)} "
                    f"headers"
                )
            records.append(dict(zip(names, values, strict=True)))
        return records

    def _check(self, spec: Declared, body: Mapping[str, Any], params: Mapping[str, Any]) -> None:
        """Warn about rows GA4 merged or withheld; stop before the property's quota runs out."""
        days = f"{params.get('startDate')}..{params.get('endDate')}"
        metadata = body.get("metadata") or {}
        other = any("(other)" in str(r.get("dimensionValues")) for r in body.get("rows") or [])
        if metadata.get("dataLossFromOtherRow") or other:
            self._warnings.append(ConnectorWarning(spec.name, "other_row", (
                f"GA4 property {self.account.id} {days}: GA4 merged rare sources into an '(other)' row (its "
                f"cardinality limit), so some sessions are counted for no network; the day's totals are complete."
            )))  # fmt: skip
        if metadata.get("subjectToThresholding"):
            self._warnings.append(ConnectorWarning(spec.name, "thresholding", (
                f"GA4 property {self.account.id} {days}: GA4 withheld small rows (thresholding, e.g. with Google "
                f"signals on), so sources with few users are missing; the numbers by source are lower bounds."
            )))  # fmt: skip
        quotas = body.get("propertyQuota") or {}
        for name, quota in quotas.items():
            if not isinstance(quota, dict) or name in ("concurrentRequests", "serverErrorsPerProjectPerHour"):
                continue
            remaining, consumed = quota.get("remaining"), quota.get("consumed") or 0
            if isinstance(remaining, int | float) and remaining < max(1, consumed) * QUOTA_RESERVE:
                raise RateLimitError(
                    f"GA4 property {self.account.id}: quota {name} has {remaining} tokens left (this request used "
                    f"{consumed}); stopped before exhausting it, nothing of this property was loaded. It refills "
                    f"{'the next day (Pacific time)' if 'Day' in name else 'within the hour'}: retry the task then.",
                    code="quota",
                )
