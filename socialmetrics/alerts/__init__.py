"""Alerts after each nightly run: at most one message per company and run, by e-mail and chat.

`run_alerts` (the DAG's `alert` task) finds what needs attention on the run's day (rules.py: figures outside
their expected range and negative-comment spikes from marts.alert_candidates, complaints waiting in
marts.open_questions, tokens that expire, accounts without numbers for nights in a row), records each alert
once in meta.alerts (its key: rule, account, subject, day), holds it during quiet hours and sends everything
due in one message (delivery.py: the e-mail through an Airflow SMTP connection, the chat webhook through an
Apprise connection). A rerun or a retry sends nothing already sent; a backfill or history load sends nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialmetrics.alerts.rules import Alert, find_alerts
from socialmetrics.config import Config

log = logging.getLogger(__name__)

ALERTS_TABLE = """CREATE TABLE IF NOT EXISTS meta.alerts (
    alert_key VARCHAR, rule VARCHAR, network VARCHAR, account_id VARCHAR, day DATE, subject VARCHAR,
    reason VARCHAR, observed DOUBLE, expected DOUBLE, run_id VARCHAR, status VARCHAR, send_after TIMESTAMPTZ,
    sent_to VARCHAR, sent_at TIMESTAMPTZ, error VARCHAR, recorded_at TIMESTAMPTZ)"""
TOKEN_TABLE = """CREATE TABLE IF NOT EXISTS meta.token_checks (
    run_id VARCHAR, network VARCHAR, account_id VARCHAR, conn_id VARCHAR, expires_at TIMESTAMPTZ,
    source VARCHAR, checked_at TIMESTAMPTZ)"""
DUE = ("new", "held", "failed")  # statuses that still go out (failed: the previous try did not get through)


@dataclass
class AlertResult:
    """What one alert step did: alerts found, sent, held until the end of quiet hours; notes (rules skipped)."""

    found: int = 0
    sent: int = 0
    held_until: dt.datetime | None = None
    sent_to: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """For the task's XCom (no secrets: addresses and connection ids only)."""
        return {
            "found": self.found,
            "sent": self.sent,
            "held_until": self.held_until.isoformat() if self.held_until else None,
            "sent_to": self.sent_to,
            "notes": self.notes,
        }


def in_quiet_hours(cfg: Config, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours `now` falls in (aware, company time zone), or None."""
    quiet = cfg.alerts.quiet_hours
    if quiet is None:
        return None
    start, end = quiet.times()
    local = now.astimezone(cfg.tz)
    clock = local.time().replace(tzinfo=None)
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(end_day, end, cfg.tz)


def ensure_tables(con: Any) -> None:
    """meta.alerts and meta.token_checks."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(ALERTS_TABLE)
    con.execute(TOKEN_TABLE)


def record(con: Any, alerts: list[Alert], run_id: str, now: dt.datetime, held_until: dt.datetime | None) -> int:
    """Insert the alerts whose key meta.alerts does not hold yet; returns how many were new."""
    new = 0
    for alert in alerts:
        if con.execute("SELECT 1 FROM meta.alerts WHERE alert_key = ?", [alert.key]).fetchone():
            continue
        con.execute(
            "INSERT INTO meta.alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)",
            [alert.key, alert.rule, alert.network, alert.account_id, alert.day, alert.subject, alert.reason,
             alert.observed, alert.expected, run_id, "held" if held_until else "new", held_until, now],
        )  # fmt: skip
        new += 1
    return new


def run_alerts(
    cfg: Config,
    day: dt.date,
    run_id: str,
    *,
    warehouse_path: Path,
    dag_id: str = "social_metrics",
    now: dt.datetime | None = None,
    credentials: Any = None,
    connection: Any = None,
    reports_dir: Path | None = None,
) -> AlertResult:
    """Find, record and send the alerts of the run covering `day` (one message at most)."""
    from socialmetrics.alerts import delivery
    from socialmetrics.load import warehouse

    now = now or dt.datetime.now(dt.UTC)
    result = AlertResult()
    if not cfg.alerts.rules.enabled():
        result.notes.append("no alert rules in the config (alerts.rules): nothing to check")
        return result
    held_until = in_quiet_hours(cfg, now)
    con = warehouse.connect(warehouse_path)
    try:
        ensure_tables(con)
        con.execute("BEGIN TRANSACTION")
        try:
            alerts, notes = find_alerts(con, cfg, day, run_id, now=now, credentials=credentials)
            result.notes.extend(notes)
            result.found = record(con, alerts, run_id, now, held_until)
            con.execute("COMMIT")
        except BaseException:
            warehouse.rollback(con)
            raise
        for note in result.notes:
            log.info("%s", note)
        if held_until is not None:
            con.execute(
                "UPDATE meta.alerts SET status = 'held', send_after = ? WHERE status IN ('new', 'held')", [held_until]
            )
            held = (con.execute("SELECT count(*) FROM meta.alerts WHERE status = 'held'").fetchone() or (0,))[0]
            if held:
                result.held_until = held_until
                log.info("quiet hours: %d alert(s) held until %s", held, held_until.isoformat(timespec="minutes"))
            return result
        due = con.execute(
            f"SELECT alert_key, rule, network, account_id, day, subject, reason FROM meta.alerts "
            f"WHERE status IN ({', '.join('?' for _ in DUE)}) ORDER BY day, rule, network, account_id, subject",
            list(DUE),
        ).fetchall()
        if not due:
            log.info("no alerts for %s", day)
            return result
        message = delivery.compose(cfg, due, day, run_id, dag_id=dag_id, reports_dir=reports_dir)
        outcome = delivery.send(cfg, message, connection=connection)
        error = "; ".join(outcome.errors + outcome.unset) or None
        # no channel set up at all (no connection exists yet): recorded and warned, not retried
        status = "sent" if outcome.delivered else ("failed" if outcome.errors else "no_channel")
        keys = [row[0] for row in due]
        con.execute(
            f"UPDATE meta.alerts SET status = ?, sent_to = ?, sent_at = ?, error = ? "
            f"WHERE alert_key IN ({', '.join('?' for _ in keys)})",
            [status, ", ".join(outcome.delivered) or None, now if outcome.delivered else None, error, *keys],
        )
        if outcome.errors and not outcome.delivered:  # the task fails and retries; the next try sends them again
            raise delivery.DeliveryError(f"{len(keys)} alert(s) not sent: {error}")
        if not outcome.delivered:
            log.warning("%d alert(s) recorded in meta.alerts but not sent: %s", len(keys), error)
            return result
        result.sent = len(keys)
        result.sent_to = outcome.delivered
        for problem in outcome.errors + outcome.unset:
            log.warning("alerts: %s", problem)
        log.info("%d alert(s) sent in one message to %s", len(keys), ", ".join(outcome.delivered) or "nobody")
        return result
    finally:
        con.close()
