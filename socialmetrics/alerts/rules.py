"""The alert rules: what needs attention on the run's day, each with its figures from a mart or meta table.

- out_of_range: marts.alert_candidates rows of the day outside their expected range (and at least
  min_change_pct away from the expected value), for the configured metrics and networks.
- negative_comments: marts.alert_candidates' negative_comments rows above their range, with at least min_count.
- complaint_waiting: marts.open_questions (community care) rows waiting longer than `hours`; without that mart
  the rule is skipped with a note.
- token_expiry: the expiry of each account's token (LinkedIn: the connection's extra `expires_at`, set when the
  token was made, 60 days; Facebook and Instagram: Graph's debug_token), recorded in meta.token_checks.
- missing_data: an account with numbers before (marts.reach_daily / marts.engagement_daily) but none on the
  last `nights` days up to the run's day (file imports and web analytics are not checked: see docs/alerts.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from socialmetrics.config import Config
from socialmetrics.load.warehouse import table_exists

log = logging.getLogger(__name__)

META_NETWORKS = ("facebook", "instagram")  # tokens Graph's debug_token can inspect
FILE_NETWORKS = ("xing",)  # numbers arrive as files, whenever an admin drops them
WEB_NETWORKS = ("matomo", "ga4")  # no rows in reach_daily; GA4's days complete after 24-48 h
LABELS = {
    "de": {"impressions": "Impressionen", "reach": "Reichweite", "engagements": "Interaktionen",
           "negative_comments": "negative Kommentare"},
    "en": {"impressions": "impressions", "reach": "reach", "engagements": "engagements",
           "negative_comments": "negative comments"},
}  # fmt: skip


@dataclass(frozen=True)
class Alert:
    """One alert: the key makes it unique in meta.alerts (the same alert is never sent twice)."""

    rule: str
    network: str
    account_id: str
    day: dt.date
    subject: str  # the figure, the comment or the token
    reason: str
    observed: float | None = None
    expected: float | None = None

    @property
    def key(self) -> str:
        """rule|network/account|subject|day."""
        return f"{self.rule}|{self.network}/{self.account_id}|{self.subject}|{self.day.isoformat()}"


def _num(value: float, lang: str) -> str:
    text = f"{value:,.0f}"
    return text.replace(",", ".") if lang == "de" else text


def _names(cfg: Config) -> dict[tuple[str, str], str]:
    return {(a.network, a.id): a.name or a.id for a in cfg.accounts}


def find_alerts(
    con: Any, cfg: Config, day: dt.date, run_id: str, *, now: dt.datetime, credentials: Any = None
) -> tuple[list[Alert], list[str]]:
    """Every alert of the enabled rules for `day`, and notes on rules that were skipped."""
    rules = cfg.alerts.rules
    alerts: list[Alert] = []
    notes: list[str] = []
    if rules.out_of_range is not None or rules.negative_comments is not None:
        if table_exists(con, "marts", "alert_candidates"):
            alerts += candidate_alerts(con, cfg, day)
        else:
            notes.append("marts.alert_candidates does not exist yet (no transform has run): figures not checked")
    if rules.complaint_waiting is not None:
        found, note = complaint_alerts(con, cfg, day, now)
        alerts += found
        notes += [note] if note else []
    if rules.token_expiry is not None:
        found, token_notes = token_alerts(con, cfg, run_id, now, credentials)
        alerts += found
        notes += token_notes
    if rules.missing_data is not None:
        alerts += missing_data_alerts(con, cfg, day)
    return alerts, notes


def candidate_alerts(con: Any, cfg: Config, day: dt.date) -> list[Alert]:
    """Figures outside their range and negative-comment spikes on `day` (marts.alert_candidates)."""
    rules, lang = cfg.alerts.rules, cfg.report.language
    names = _names(cfg)
    rows = con.execute(
        "SELECT network, account_id, figure, observed, expected, range_low, range_high, change_pct "
        "FROM marts.alert_candidates WHERE day = ? AND outside ORDER BY network, account_id, figure",
        [day],
    ).fetchall()
    alerts = []
    for network, account_id, figure, observed, expected, low, high, change in rows:
        if (network, account_id) not in names:
            continue
        label = LABELS[lang][figure]
        who = f"{network}/{names[(network, account_id)]}"
        if figure == "negative_comments":
            rule = rules.negative_comments
            if rule is None or observed < rule.min_count:
                continue
            reason = (
                f"{who}: {_num(observed, lang)} negative Kommentare am {day:%d.%m.%Y}, üblich sind bis "
                f"{_num(high, lang)} (erwartet {_num(expected, lang)})"
                if lang == "de"
                else f"{who}: {_num(observed, lang)} negative comments on {day}, usually up to {_num(high, lang)} "
                f"(expected {_num(expected, lang)})"
            )
            alerts.append(Alert("negative_comments", network, account_id, day, figure, reason, observed, expected))
            continue
        out = rules.out_of_range
        if out is None or figure not in out.metrics or (out.networks and network not in out.networks):
            continue
        if abs(change) < out.min_change_pct:
            continue
        sign = "+" if change > 0 else "−"
        if lang == "de":
            reason = (
                f"{who}: {label} am {day:%d.%m.%Y} {_num(observed, lang)}, erwartet {_num(expected, lang)} "
                f"(üblicher Bereich {_num(low, lang)}–{_num(high, lang)}; {sign}{abs(change):.0f} %)"
            )
        else:
            reason = (
                f"{who}: {label} on {day} {_num(observed, lang)}, expected {_num(expected, lang)} "
                f"(usual range {_num(low, lang)}–{_num(high, lang)}; {sign}{abs(change):.0f} %)"
            )
        alerts.append(Alert("out_of_range", network, account_id, day, figure, reason, observed, expected))
    return alerts


def complaint_alerts(con: Any, cfg: Config, day: dt.date, now: dt.datetime) -> tuple[list[Alert], str | None]:
    """Open questions and complaints waiting longer than the rule's hours (marts.open_questions)."""
    rule = cfg.alerts.rules.complaint_waiting
    assert rule is not None
    if not table_exists(con, "marts", "open_questions"):
        return [], "complaint_waiting skipped: marts.open_questions does not exist (community care is not installed)"
    columns = {r[0] for r in con.execute("DESCRIBE marts.open_questions").fetchall()}
    needed = {"network", "account_id", "comment_id", "created_at"}
    if not needed <= columns:
        return [], (f"complaint_waiting skipped: marts.open_questions lacks {', '.join(sorted(needed - columns))}")
    reason_col = "reason" if "reason" in columns else "NULL"
    rows = con.execute(
        f"SELECT network, account_id, comment_id, created_at, {reason_col}, "
        "date_diff('minute', created_at, CAST(? AS TIMESTAMPTZ)) / 60.0 AS hours "
        "FROM marts.open_questions WHERE created_at <= CAST(? AS TIMESTAMPTZ) - to_minutes(CAST(? AS BIGINT)) "
        "ORDER BY created_at",
        [now, now, round(rule.hours * 60)],
    ).fetchall()
    names = _names(cfg)
    alerts = []
    for network, account_id, comment_id, created_at, why, hours in rows:
        who = f"{network}/{names.get((network, account_id), account_id)}"
        what = f" ({why})" if why else ""
        reason = (
            f"{who}: ein Kommentar{what} wartet seit {hours:.0f} Stunden auf eine Antwort"
            if cfg.report.language == "de"
            else f"{who}: a comment{what} has waited {hours:.0f} hours for an answer"
        )
        # one alert per comment, whenever it crosses the limit (its key's day: the day it was written)
        alerts.append(
            Alert("complaint_waiting", network, account_id, created_at.date(), str(comment_id), reason, hours, None)
        )
    return alerts, None


def token_expiry(network: str, creds: Any, *, http: Any = None) -> tuple[dt.datetime | None, str]:
    """When the connection's token expires (None: never or unknown) and where that came from."""
    extra = dict(getattr(creds, "extra", {}) or {})
    if extra.get("expires_at"):
        return _parse_expiry(extra["expires_at"]), "connection extra expires_at"
    if network in META_NETWORKS and creds.token:
        from connectors.errors import AuthError
        from connectors.facebook import FacebookErrorPolicy
        from connectors.http import HttpClient

        base = (creds.base_url or "https://graph.facebook.com").rstrip("/")
        client = http or HttpClient(FacebookErrorPolicy(), conn_id=creds.conn_id, secrets=[creds.token], max_attempts=2)
        try:
            # debug_token inspects input_token; a token may ask about itself. Only the expiry is read.
            answer, _ = client.get_json(
                f"{base}/debug_token", {"input_token": creds.token, "access_token": creds.token}
            )
        except AuthError:  # Graph's 190: expired or revoked
            return dt.datetime.now(dt.UTC), "Graph answered 190 (expired or invalid token)"
        data = (answer or {}).get("data") or {}
        if data.get("is_valid") is False:
            return dt.datetime.now(dt.UTC), "debug_token: is_valid false"
        stamps = [int(v) for v in (data.get("expires_at"), data.get("data_access_expires_at")) if v]
        if not stamps:
            return None, "debug_token: never expires"
        return dt.datetime.fromtimestamp(min(stamps), dt.UTC), "debug_token"
    return None, "unknown (set the connection's extra expires_at)"


def _parse_expiry(value: Any) -> dt.datetime:
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def token_alerts(
    con: Any, cfg: Config, run_id: str, now: dt.datetime, credentials: Any
) -> tuple[list[Alert], list[str]]:
    """Tokens that expire within days_before (or have expired), each checked once per run."""
    rule = cfg.alerts.rules.token_expiry
    assert rule is not None
    if credentials is None:
        from socialmetrics.extract.credentials import airflow_credentials as credentials
    alerts, notes = [], []
    checked: dict[str, tuple[dt.datetime | None, str]] = {}
    lang = cfg.report.language
    # a later poke of the same run (quiet hours) reuses this run's checks instead of asking the APIs again
    earlier = {
        (network, account_id): (expires, source)
        for network, account_id, expires, source in con.execute(
            "SELECT network, account_id, expires_at, source FROM meta.token_checks WHERE run_id = ?", [run_id]
        ).fetchall()
    }
    for account in cfg.accounts:
        if account.network in FILE_NETWORKS:
            continue
        conn_id = account.conn_id or f"{account.network}_default"
        if (account.network, account.id) in earlier:
            expires, source = earlier[(account.network, account.id)]
        elif conn_id not in checked:
            try:
                checked[conn_id] = token_expiry(account.network, credentials(conn_id))
            except Exception as exc:  # noqa: BLE001 - a token check never stops the other alerts
                notes.append(f"token of {conn_id} not checked: {type(exc).__name__}")
                continue
        if (account.network, account.id) not in earlier:
            expires, source = checked[conn_id]
            con.execute(
                "INSERT INTO meta.token_checks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, account.network, account.id, conn_id, expires, source, now],
            )
        if expires is None:
            continue
        days_left = (expires - now).total_seconds() / 86400
        if days_left > rule.days_before:
            continue
        who = f"{account.network}/{account.name or account.id}"
        expired = days_left <= 0
        when = expires.astimezone(cfg.tz)
        if lang == "de":
            reason = (
                f"{who}: der Zugang (Verbindung {conn_id}) ist am {when:%d.%m.%Y} abgelaufen; neu anmelden"
                if expired
                else f"{who}: der Zugang (Verbindung {conn_id}) läuft am {when:%d.%m.%Y} ab (in {days_left:.0f} "
                f"Tagen); rechtzeitig erneuern"
            )
        else:
            reason = (
                f"{who}: the token (connection {conn_id}) expired on {when:%Y-%m-%d}; sign in again"
                if expired
                else f"{who}: the token (connection {conn_id}) expires on {when:%Y-%m-%d} (in {days_left:.0f} "
                f"days); renew it in time"
            )
        rule_name = "token_expired" if expired else "token_expiry"
        alerts.append(Alert(rule_name, account.network, account.id, when.date(), conn_id, reason, days_left, None))
    return alerts, notes


def missing_data_alerts(con: Any, cfg: Config, day: dt.date) -> list[Alert]:
    """Accounts with numbers before but none on the last `nights` days up to `day` (one alert per gap)."""
    rule = cfg.alerts.rules.missing_data
    assert rule is not None
    lang = cfg.report.language
    accounts = [(a.network, a.id, a.name or a.id) for a in cfg.accounts
                if a.network not in FILE_NETWORKS + WEB_NETWORKS]  # fmt: skip
    if not accounts or not table_exists(con, "marts", "reach_daily"):
        return []
    alerts = []
    for network, account_id, name in accounts:
        row = con.execute(
            "SELECT max(day) FROM (SELECT day FROM marts.reach_daily WHERE network = ? AND account_id = ? AND day <= ? "
            "UNION ALL SELECT day FROM marts.engagement_daily WHERE network = ? AND account_id = ? AND day <= ?)",
            [network, account_id, day, network, account_id, day],
        ).fetchone()
        last = row[0] if row else None
        if last is None or (day - last).days < rule.nights:
            continue
        first_missing = last + dt.timedelta(days=1)
        nights = (day - last).days
        who = f"{network}/{name}"
        reason = (
            f"{who}: seit {nights} Nächten keine Zahlen (zuletzt für den {last:%d.%m.%Y})"
            if lang == "de"
            else f"{who}: no numbers for {nights} nights (the last for {last})"
        )
        # the gap's first day is the key: a gap that goes on is one alert, not one a night
        alerts.append(Alert("missing_data", network, account_id, first_missing, "data", reason, nights, None))
    return alerts


def describe(alert: Alert) -> str:
    """One line for logs (no secrets: figures and ids only)."""
    return json.dumps({"rule": alert.rule, "account": f"{alert.network}/{alert.account_id}", "day": str(alert.day)})
