"""A fake Google Analytics 4 Data API (and its OAuth token endpoint) for the sandbox brewery's website: the same
visits as the fake Matomo (connectors/testing/sandbox/matomo.py), reported the way GA4 reports them.

Served:
- POST /token: a service account's signed JWT (RS256, checked against the sandbox key's public half, audience
  this URL) for `{access_token, expires_in: 3599, token_type: "Bearer"}`; a bad signature gets 400
  `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`.
- POST /v1beta/properties/{id}:runReport with `Authorization: Bearer`: dimensions `date` and optionally
  sessionSource, sessionMedium, sessionCampaignName; metrics sessions, totalUsers, keyEvents, purchaseRevenue;
  values as strings, dates YYYYMMDD; `rowCount` of the whole report, `limit`/`offset` paging; `propertyQuota`
  when asked (tokensPerDay, tokensPerHour; each request costs TOKENS_PER_REQUEST). A property the account cannot
  read answers 403 PERMISSION_DENIED, an unknown token 401 UNAUTHENTICATED.
Visits from the networks arrive with their link wrappers as source (l.facebook.com, l.instagram.com, t.co ...)
and medium `referral`; tagged links with utm_source=facebook, utm_medium=social and the campaign's name as sent.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from connectors.testing import Answer, FakeApi, answer_with_faults
from connectors.testing.sandbox import company
from connectors.testing.sandbox import matomo as site

PROPERTY_ID = "412345678"
CLIENT_EMAIL = "socialmetrics-sandbox@brauerei-sonnenhang.iam.gserviceaccount.com"
TOKENS_PER_REQUEST = 10
TOKENS_PER_DAY = 200_000
TOKENS_PER_HOUR = 40_000
REFERRAL_SOURCE = {"facebook": "l.facebook.com", "instagram": "l.instagram.com", "linkedin": "lnkd.in",
                   "x": "t.co", "xing": "xing.com", "other_social": "pinterest.com"}  # fmt: skip


@cache
def _key_pair() -> tuple[str, str]:
    """The sandbox service account's RSA key (private PEM, public PEM), made once per process."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()  # fmt: skip
    return private, public


def service_account_key(token_uri: str) -> str:
    """The sandbox's key file (JSON), as Google's console downloads it, pointing at the fake token endpoint."""
    key = {"type": "service_account", "project_id": "brauerei-sonnenhang", "private_key_id": "sandbox1",
           "private_key": _key_pair()[0], "client_email": CLIENT_EMAIL, "token_uri": token_uri}  # fmt: skip
    return json.dumps(key)


def _goal_values(entry: dict[str, Any]) -> tuple[int, float]:
    goals = entry["goals"]
    return sum(goals.values()), round(goals["2"] * site.ORDER_VALUE, 2)


def source_rows(day: dt.date) -> list[tuple[str, str, str, int, int, int, float]]:
    """(source, medium, campaign, sessions, users, key events, revenue) of a day's sessions."""
    t = site.day_traffic(day)
    if t["other"] is None:
        return []
    rows = []
    for network, entry in t["social"].items():
        if entry["visits"]:
            rows.append((REFERRAL_SOURCE[network], "referral", "(referral)", entry["visits"], entry["users"],
                         *_goal_values(entry)))  # fmt: skip
    for (_name, source), entry in t["campaigns"].items():
        rows.append((source, "social", company.CAMPAIGN.name, entry["visits"], entry["users"], *_goal_values(entry)))
    other = t["other"]
    direct = round(other["visits"] * 0.6)
    conv, revenue = _goal_values(other)
    rows.append(("(direct)", "(none)", "(direct)", direct, round(direct * 0.9), conv // 2, 0.0))
    rows.append(("google", "organic", "(organic)", other["visits"] - direct, other["users"] - round(direct * 0.9),
                 conv - conv // 2, revenue))  # fmt: skip
    return rows


def _value(v: float | int) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


class Ga4Sandbox(FakeApi):
    """The fake GA4 property of the sandbox brewery's website."""

    dimensions: ClassVar[tuple[str, ...]] = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
    metrics: ClassVar[tuple[str, ...]] = ("sessions", "totalUsers", "keyEvents", "purchaseRevenue")

    def __init__(self, *, today: dt.date | None = None) -> None:
        super().__init__(today=today)
        self.account_ids = [PROPERTY_ID]
        self.tokens_used = 0
        self.issued = 0

    @property
    def sandbox_token(self) -> str:  # type: ignore[override]
        """The connection's password: the service account's key file, its token_uri this fake's."""
        return service_account_key(getattr(self, "base_url", "http://127.0.0.1") + "/token")

    def handle_request(self, path: str, raw_query: str, headers: dict[str, str]) -> Answer:
        """GET is not how the Data API is asked."""
        return 404, {}, {"error": {"code": 404, "message": "Use POST.", "status": "NOT_FOUND"}}

    def handle_post(self, path: str, raw_query: str, data: bytes, headers: dict[str, str]) -> Answer:
        """The token endpoint and runReport."""
        if path == "/token":
            self.requests.append((path, {}))
            return self._token(dict(parse_qsl(data.decode("utf-8"))))
        try:
            body = json.loads(data or b"{}")
        except ValueError:
            return 400, {}, {"error": {"code": 400, "message": "Invalid JSON payload received.",
                                       "status": "INVALID_ARGUMENT"}}  # fmt: skip
        self.requests.append((path, {"body": json.dumps(body, sort_keys=True)}))

        def checked() -> Answer:
            token = self.token_of({}, headers)
            if token not in self.valid_tokens:
                return 401, {}, {"error": {"code": 401, "message": "Request had invalid authentication credentials. "
                                           "Expected OAuth 2 access token, login cookie or other valid authentication "
                                           "credential.", "status": "UNAUTHENTICATED"}}  # fmt: skip
            return self.report(path, body)

        return answer_with_faults(self.faults, path, checked)

    def _token(self, form: dict[str, str]) -> Answer:
        import jwt

        refused: Answer = 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        try:
            claims = jwt.decode(form.get("assertion", ""), _key_pair()[1], algorithms=["RS256"],
                                audience=self.base_url + "/token")  # fmt: skip
        except jwt.PyJWTError:
            return refused
        if claims.get("iss") != CLIENT_EMAIL or "analytics.readonly" not in str(claims.get("scope")):
            return refused
        self.issued += 1
        token = f"ya29.sandbox-access-{self.issued}"
        self.valid_tokens.add(token)
        return 200, {}, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def report(self, path: str, body: dict[str, Any]) -> Answer:
        """runReport for the property in `path`."""
        prefix, _, rest = path.partition("/v1beta/properties/")
        prop, _, action = rest.partition(":")
        if prefix or action != "runReport":
            return 404, {}, {"error": {"code": 404, "message": f"Method not found: {path}", "status": "NOT_FOUND"}}
        if prop not in self.account_ids:
            return 403, {}, {"error": {"code": 403, "message": "User does not have sufficient permissions for this "
                                       "property. To learn more about Property ID, see https://developers.google.com/"
                                       "analytics/devguides/reporting/data/v1/property-id.",
                                       "status": "PERMISSION_DENIED"}}  # fmt: skip
        dims = [d.get("name") for d in body.get("dimensions") or []]
        mets = [m.get("name") for m in body.get("metrics") or []]
        if not set(dims) <= set(self.dimensions) or "date" not in dims or not set(mets) <= set(self.metrics):
            return 400, {}, {"error": {"code": 400, "message": "The request's dimensions & metrics are incompatible "
                                       "in this sandbox.", "status": "INVALID_ARGUMENT"}}  # fmt: skip
        (rng,) = body.get("dateRanges") or [{}]
        first, last = dt.date.fromisoformat(rng["startDate"]), dt.date.fromisoformat(rng["endDate"])
        rows: list[dict[str, Any]] = []
        day = first
        while day <= last and day < self.today:
            by_source = source_rows(day)
            if dims == ["date"] and by_source:
                totals = [sum(float(r[i]) for r in by_source) for i in range(3, 7)]
                rows.append(self._row([day.strftime("%Y%m%d")], dict(zip(self.metrics, totals, strict=True)), mets))
            elif by_source:
                for source, medium, campaign, *values in by_source:
                    named = {"date": day.strftime("%Y%m%d"), "sessionSource": source, "sessionMedium": medium,
                             "sessionCampaignName": campaign}  # fmt: skip
                    rows.append(self._row([named[d] for d in dims], dict(zip(self.metrics, values, strict=True)), mets))
            day += dt.timedelta(days=1)
        offset, limit = int(body.get("offset") or 0), int(body.get("limit") or 10_000)
        self.tokens_used += TOKENS_PER_REQUEST
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [
                {"name": m, "type": "TYPE_CURRENCY" if m == "purchaseRevenue" else "TYPE_INTEGER"} for m in mets
            ],  # fmt: skip
            "rows": rows[offset : offset + limit],
            "rowCount": len(rows),
            "metadata": {"currencyCode": "EUR", "timeZone": "Europe/Berlin"},
            "kind": "analyticsData#runReport",
        }
        if not rows:
            del answer["rows"]  # GA4 leaves `rows` out of an empty report
        if body.get("returnPropertyQuota"):
            answer["propertyQuota"] = {
                "tokensPerDay": {"consumed": TOKENS_PER_REQUEST, "remaining": TOKENS_PER_DAY - self.tokens_used},
                "tokensPerHour": {"consumed": TOKENS_PER_REQUEST, "remaining": TOKENS_PER_HOUR - self.tokens_used},
                "concurrentRequests": {"consumed": 0, "remaining": 10},
            }
        return 200, {}, answer

    @staticmethod
    def _row(dims: list[str], values: dict[str, Any], mets: list[str]) -> dict[str, Any]:
        return {"dimensionValues": [{"value": d} for d in dims],
                "metricValues": [{"value": _value(values[m])} for m in mets]}  # fmt: skip
