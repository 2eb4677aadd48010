"""A website's visits, goal conversions and revenue by social network and campaign, read from Matomo's HTTP
Reporting API on declared streams (connectors/sdk.py). Read-only, aggregates only: no Live API, no visitor log,
no referrer URLs (a report's subtable of full URLs is never requested).

Matomo facts this module relies on (developer.matomo.org "Reporting API", matomo-org/matomo's system tests; the
recorded answers and their sources are in tests/fixtures/recorded/matomo/ and docs/research/recorded-answers.md):
- `index.php?module=API&method=<Module.action>&idSite=N&period=day&date=<first>,<last>&format=JSON`. The token
  goes as `token_auth` in the POST body: a token created "secure only" (Matomo 5) works nowhere else (FAQ 114,
  matomo-org/matomo#21789), and a URL is what proxies and logs keep. The other parameters may stay in the query.
- With `period=day` and a date range the answer is an object keyed by date; a day without data is `[]`, not an
  object of zeros. `VisitsSummary.get` and `Goals.get` give one object a day, report methods
  (`Referrers.getSocials`, `Referrers.getCampaigns`) a list of rows a day, at most 100 unless `filter_limit=-1`.
- Report rows carry `nb_visits`, `nb_uniq_visitors` (for `period=day`), `nb_conversions` and `revenue` when a goal
  converted, and per goal under `goals: {"idgoal=N": {nb_conversions, revenue, ...}}` (`idgoal=ecommerceOrder`
  for shop orders). A row without conversions leaves those out and says `nb_visits_converted: 0`.
- `Goals.get&idGoal=N` gives one goal's conversions and revenue; without idGoal, all goals'.
- Segments filter any report: `referrerType==social` (visits from social networks), `campaignSource==facebook`
  (campaign visits whose utm_source/mtm_source is facebook; the campaign dimensions are core since Matomo 4).
  Matomo lower-cases campaign names and sources when it tracks them.
- Errors: `{"result":"error","message":...}`; Matomo <= 4 sends them with HTTP 200, Matomo 5 with 401 for access
  errors (a wrong token, a site the token cannot see: NoAccessException, PR #19813). An unknown idSite for a
  superuser is "An unexpected website was found ..." with 200. So the body is read, not only the status.
- Numbers change until a day is archived (browser-triggered or cron archiving): the nightly lookback rereads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import requests

from connectors.allowlist import NUMBERS, SCALAR
from connectors.base import (
    Account,
    AccountOptionError,
    ApiError,
    ConnectorWarning,
    Credentials,
    Kind,
    MalformedResponseError,
    Page,
    PermanentError,
    Stream,
    UnknownAccountError,
    Window,
)
from connectors.http import Action, ErrorPolicy, HttpClient, Verdict, retry_after_seconds
from connectors.sdk import Context, Declared, DeclaredConnector, Rows
from connectors.web import NETWORKS, network_of_social

CHUNK_DAYS = 93  # days per request: any range works, a quarter keeps one answer small (a year is 4 requests)
SOCIAL_SEGMENT = "referrerType==social"
SITE_ID_RE = re.compile(r"^[1-9][0-9]{0,9}$")
GOAL_ID_RE = re.compile(r"^[1-9][0-9]{0,9}$")

VISITS_KEPT = {"date": SCALAR, "nb_visits": SCALAR, "nb_uniq_visitors": SCALAR, "nb_visits_converted": SCALAR}
GOALS_KEPT = {"date": SCALAR, "nb_conversions": SCALAR, "nb_visits_converted": SCALAR, "revenue": SCALAR}
REPORT_KEPT = {"date": SCALAR, "label": SCALAR, "url": SCALAR, "nb_visits": SCALAR, "nb_uniq_visitors": SCALAR,
               "nb_visits_converted": SCALAR, "nb_conversions": SCALAR, "revenue": SCALAR,
               "goals": NUMBERS}  # fmt: skip


class MatomoApiError(ApiError, PermanentError):
    """Matomo answered with an error envelope that retrying cannot fix (an unknown method or parameter)."""


class MatomoErrorPolicy(ErrorPolicy):
    """Matomo's errors: the body decides (HTTP 200 with `result: error` on Matomo <= 4, 401 on Matomo 5)."""

    network = "matomo"

    def __init__(self, site_id: str, conn_id: str) -> None:
        self.site_id = site_id
        self.conn_id = conn_id

    def classify(self, response: requests.Response) -> Verdict:
        """Map an answer to an action, reading `{"result":"error","message":...}` whatever the status."""
        message = _error_message(response)
        status = response.status_code
        where = f"Matomo site {self.site_id}"
        if status == 429:  # Matomo itself has no rate limit; a proxy or a hosting plan in front of it may
            return Verdict(Action.RATE_LIMITED, f"{where}: Matomo answered 429 Too Many Requests",
                           retry_after_seconds(response))  # fmt: skip
        if message is None:
            verdict = super().classify(response)
            verdict.message = verdict.message.replace("matomo answered", f"{where}: Matomo answered", 1)
            return verdict
        lowered = message.lower()
        if "authenticate" in lowered or "token" in lowered:
            return Verdict(Action.AUTH, f"{where}: Matomo refused the token ({message})", code="bad_token")
        if "access" in lowered:
            return Verdict(Action.AUTH, f"{where}: Matomo refused access ({message})", code="no_access")
        if "unexpected website" in lowered or "idsite" in lowered:
            return Verdict(
                Action.FAIL,
                f"{where} does not exist in this Matomo ({message}). Put the site's id (Administration > Websites > "
                f"Manage, column ID) as the account's id in the config.",
                code="unknown_site",
            )
        if status in (500, 502, 503, 504):
            return Verdict(Action.RETRY, f"{where}: Matomo answered {status}: {message}", retry_after_seconds(response))
        return Verdict(Action.FAIL, f"{where}: Matomo answered with an error: {message}", code="api_error")

    def auth_message(self, verdict: Verdict, conn_id: str) -> str:
        """Say which of the two it is and what to fix; the token itself is never shown."""
        if verdict.code == "no_access":
            return (
                f"{verdict.message}. Either the id is not this site's (Administration > Websites > Manage shows it) "
                f"or the user whose token is in Airflow connection '{conn_id}' has no 'view' access to it: grant "
                f"it in Administration > System > Users. This error is never retried."
            )
        return (
            f"{verdict.message}. Create a token (Administration > Personal > Security > Auth tokens) for a user with "
            f"'view' access and store it as the password of Airflow connection '{conn_id}'; its host is the Matomo "
            f"address. This error is never retried."
        )


def _error_message(response: requests.Response) -> str | None:
    """The `message` of Matomo's error envelope, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("result") == "error":
        return str(body.get("message") or "no message")
    return None


# -- one function per stream: a landed record -> rows ------------------------------------------------


def _num(record: Mapping[str, Any], name: str) -> float | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedResponseError(f"Matomo: {name} {value!r} is not a number")
    try:
        return float(value)
    except ValueError:
        raise MalformedResponseError(f"Matomo: {name} {value!r} is not a number") from None


def _outcome(record: Mapping[str, Any], name: str) -> float | None:
    """Conversions or revenue of a report row: Matomo leaves both out of a row without conversions (it says
    `nb_visits_converted: 0`), which is a true 0; left out otherwise, it is unknown (NULL)."""
    value = _num(record, name)
    if value is None and record.get("nb_visits_converted") in (0, "0"):
        return 0.0
    return value


def _day(record: Mapping[str, Any]) -> dt.date:
    try:
        return dt.date.fromisoformat(str(record.get("date")))
    except ValueError:
        raise MalformedResponseError(f"Matomo: date {record.get('date')!r} is not a day") from None


def _row(day: dt.date, source_kind: str, network: str, **values: Any) -> tuple[Kind, dict[str, Any]]:
    row = {"day": day, "source_kind": source_kind, "source_network": network, "referrer": None, "campaign": None,
           "medium": None, "goal_id": None, "goal_name": None, "visits": None, "users": None, "conversions": None,
           "revenue": None, "payload": "{}"}  # fmt: skip
    row.update(values)
    return Kind.WEB_TRAFFIC, row


def _goal_rows(ctx: Context, record: Mapping[str, Any], source_kind: str, network: str, **keys: Any) -> Rows:
    """One row per goal of a report row's `goals` ("idgoal=1", "idgoal=ecommerceOrder")."""
    names: Mapping[str, Any] = ctx.parent.get("goal_names") or {}
    goals = record.get("goals") or {}
    for key in sorted(goals):
        goal_id = key.removeprefix("idgoal=")
        values = goals[key] if isinstance(goals[key], dict) else {}
        yield _row(_day(record), source_kind, network, goal_id=goal_id, goal_name=names.get(goal_id),
                   conversions=_num(values, "nb_conversions"), revenue=_num(values, "revenue"), **keys)  # fmt: skip


def visits_rows(ctx: Context, record: dict[str, Any]) -> Rows:
    """VisitsSummary.get of one day: visits and unique visitors of the site (or of its social segment)."""
    yield _row(_day(record), "visits", str(ctx.parent.get("network", "all")), visits=_num(record, "nb_visits"),
               users=_num(record, "nb_uniq_visitors"), payload=json.dumps(record, sort_keys=True))  # fmt: skip


def conversions_rows(ctx: Context, record: dict[str, Any]) -> Rows:
    """Goals.get of one day: conversions and revenue of all goals, or of the one goal of the request."""
    goal_id = ctx.parent.get("goal_id")
    yield _row(_day(record), "conversions", str(ctx.parent.get("network", "all")),
               goal_id=str(goal_id) if goal_id is not None else None, goal_name=ctx.parent.get("goal_name"),
               conversions=_num(record, "nb_conversions"), revenue=_num(record, "revenue"),
               payload=json.dumps(record, sort_keys=True))  # fmt: skip


def social_rows(ctx: Context, record: dict[str, Any]) -> Rows:
    """Referrers.getSocials, one social site of one day: its network by the documented mapping
    (connectors/web.py), visits, conversions and revenue, then one row per goal."""
    label, url = record.get("label"), record.get("url")
    network = network_of_social(str(label) if label else None, str(url) if url else None)
    referrer = str(url or label)
    yield _row(_day(record), "social", network, referrer=referrer, visits=_num(record, "nb_visits"),
               users=_num(record, "nb_uniq_visitors"), conversions=_outcome(record, "nb_conversions"),
               revenue=_outcome(record, "revenue"), payload=json.dumps(record, sort_keys=True))  # fmt: skip
    yield from _goal_rows(ctx, record, "social", network, referrer=referrer)


def campaign_rows(ctx: Context, record: dict[str, Any]) -> Rows:
    """Referrers.getCampaigns, one campaign of one day: from every source ('all') or from one network's
    (the request's campaignSource segment), then one row per goal."""
    network = str(ctx.parent.get("network", "all"))
    campaign = str(record.get("label"))
    medium = ctx.parent.get("medium")
    yield _row(_day(record), "campaign", network, campaign=campaign, medium=medium,
               visits=_num(record, "nb_visits"), users=_num(record, "nb_uniq_visitors"),
               conversions=_outcome(record, "nb_conversions"), revenue=_outcome(record, "revenue"),
               payload=json.dumps(record, sort_keys=True))  # fmt: skip
    yield from _goal_rows(ctx, record, "campaign", network, campaign=campaign, medium=medium)


def _api(method: str) -> Any:
    def params(window: Window) -> dict[str, Any]:
        last = window.end - dt.timedelta(days=1)
        return {"module": "API", "method": method, "period": "day", "date": f"{window.start},{last}",
                "format": "JSON"}  # fmt: skip

    return params


def _report(method: str) -> Any:
    base = _api(method)
    return lambda window: {**base(window), "filter_limit": "-1"}


# -- each stream's own hooks: the contexts it reads one request (per window chunk) for, landed as its `parent` --


def visits_contexts(conn: MatomoConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """The whole site and its social segment."""
    yield from ({"network": "all"}, {"network": "social", "segment": SOCIAL_SEGMENT})


def conversions_contexts(conn: MatomoConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """The whole site, its social segment, and each configured goal (`idGoal`)."""
    yield from ({"network": "all"}, {"network": "social", "segment": SOCIAL_SEGMENT})
    yield from ({"network": "all", "goal_id": goal_id, "goal_name": name} for goal_id, name in conn.goals.items())


def campaigns_contexts(conn: MatomoConnector, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
    """All campaigns, then each network's campaign source (segment campaignSource, from Matomo's
    MarketingCampaignsReporting plugin), with the goal names."""
    names = {"goal_names": conn.goals} if conn.goals else {}
    yield {"network": "all", **names}
    yield from ({"network": n, "segment": f"campaignSource=={n}", **names} for n in NETWORKS)


DECLARED = (
    Declared(
        Stream("visits", (Kind.WEB_TRAFFIC,)),
        "/index.php",
        visits_rows,
        params=_api("VisitsSummary.get"),
        records=("data",),
        primary_key=("date",),
        window_field="date",
        chunk_days=CHUNK_DAYS,
        keep=VISITS_KEPT,
        parents=visits_contexts,
    ),
    Declared(
        Stream("conversions", (Kind.WEB_TRAFFIC,)),
        "/index.php",
        conversions_rows,
        params=_api("Goals.get"),
        primary_key=("date",),
        window_field="date",
        chunk_days=CHUNK_DAYS,
        keep=GOALS_KEPT,
        parents=conversions_contexts,
    ),
    Declared(
        Stream("socials", (Kind.WEB_TRAFFIC,)),
        "/index.php",
        social_rows,
        params=_report("Referrers.getSocials"),
        primary_key=("date", "label"),
        window_field="date",
        chunk_days=CHUNK_DAYS,
        keep=REPORT_KEPT,
    ),
    Declared(
        Stream("campaigns", (Kind.WEB_TRAFFIC,)),
        "/index.php",
        campaign_rows,
        params=_report("Referrers.getCampaigns"),
        primary_key=("date", "label"),
        window_field="date",
        chunk_days=CHUNK_DAYS,
        keep=REPORT_KEPT,
        parents=campaigns_contexts,
    ),
)


class MatomoConnector(DeclaredConnector):
    """A Matomo site: daily visits, goal conversions and revenue, overall, from social networks, by campaign."""

    token_name = "Matomo token_auth"
    network: ClassVar[str] = "matomo"
    # goals: {idGoal: "the name the owner knows it by"}; each is read on its own (Goals.get&idGoal=).
    options: ClassVar[tuple[str, ...]] = ("goals",)
    # an account is a Matomo site; its id is the idSite number
    account_id_pattern: ClassVar[str] = SITE_ID_RE.pattern
    # a website lands no social-network days: the quality gate expects day rows of it only when it loaded some
    daily_rows_optional: ClassVar[bool] = True
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
        if not credentials.base_url:
            raise AccountOptionError(
                f"Airflow connection '{credentials.conn_id}' has no host: put the Matomo address (e.g. "
                f"https://analytics.example.com) into the connection's host field."
            )
        self.base = credentials.base_url.rstrip("/").removesuffix("/index.php")
        self.goals = self._goals(account)
        self.http = self._client(http, MatomoErrorPolicy(account.id, credentials.conn_id))

    @staticmethod
    def _goals(account: Account) -> dict[str, str]:
        goals = account.options.get("goals") or {}
        if not isinstance(goals, Mapping):
            raise AccountOptionError(
                f"matomo account {account.id}: option `goals` maps goal ids to names, e.g. goals: {{1: "
                f'"Tischreservierung"}}; got {type(goals).__name__}'
            )
        found = {}
        for goal_id, name in goals.items():
            if not GOAL_ID_RE.match(str(goal_id)) or not isinstance(name, str) or not name.strip():
                raise AccountOptionError(
                    f"matomo account {account.id}: goal {goal_id!r}: `goals` maps a goal id (the number in Matomo's "
                    f"Goals > Manage) to the name you know it by, e.g. 1: Tischreservierung"
                )
            found[str(goal_id)] = name.strip()
        return found

    def parents(self, spec: Declared, window: Window) -> Iterator[Mapping[str, Any]]:
        """The context of a stream without its own (`parents` on its declaration): the goal names, if any."""
        yield {"goal_names": self.goals} if self.goals else {}

    def fetch(self, stream: Stream, window: Window) -> Iterator[Page]:
        """Every context of the stream (its `parents`: segments, goals), each over the window's chunks."""
        spec = self.spec(stream.name)
        for context in self._stream_parents(spec, window):
            try:
                for chunk in self._stream_chunks(spec, window):
                    yield from self._pages(spec, chunk, context)
            except MatomoApiError as exc:
                # The campaign dimensions (segment campaignSource) come with the MarketingCampaignsReporting
                # plugin; a Matomo without it refuses the segment: campaigns by source are skipped, not the run.
                if "campaignSource" not in str(context.get("segment")) or "segment" not in str(exc).lower():
                    raise
                self._warnings.append(ConnectorWarning(spec.name, "no_campaign_source", (
                    f"Matomo site {self.account.id} does not know the segment campaignSource ({exc}); campaigns are "
                    f"loaded for all sources, not per network. Install Matomo's MarketingCampaignsReporting plugin "
                    f"to get them per network."
                )))  # fmt: skip
                return

    def request(self, spec: Declared, chunk: Window, parent: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
        """The report's parameters, the site, and the context's segment or goal; the token is not among them."""
        params = {**spec.params(chunk), "idSite": self.account.id}
        if parent.get("segment"):
            params["segment"] = parent["segment"]
        if parent.get("goal_id"):
            params["idGoal"] = parent["goal_id"]
        return self.url(spec, parent), params

    def get(self, spec: Declared, url: str, params: dict[str, Any] | None) -> Any:
        """POST with the token in the body; the date-keyed answer becomes a list of records with their `date`."""
        try:
            body, _ = self.http.post_json(url, params, data={"token_auth": self.credentials.token})
        except ApiError as exc:
            if exc.code == "unknown_site":
                raise UnknownAccountError(str(exc), code=exc.code) from None
            if exc.code == "api_error":
                raise MatomoApiError(str(exc), code=exc.code) from None
            raise
        return {"data": self._by_date(spec, body, params or {})}

    def _by_date(self, spec: Declared, body: Any, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            raise MalformedResponseError(
                f"Matomo site {self.account.id} {params.get('method')} {params.get('date')}: expected an object keyed "
                f"by day (period=day over a date range), got {str(body)[:120]!r}"
            )
        records: list[dict[str, Any]] = []
        for day, value in sorted(body.items()):
            if value in ([], {}, None):
                continue  # a day without data: no row (never an invented 0)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if not isinstance(item, dict):
                    raise MalformedResponseError(
                        f"Matomo site {self.account.id} {params.get('method')} {day}: not an object: {str(item)[:80]}"
                    )
                records.append({"date": day, **item})
        return records
