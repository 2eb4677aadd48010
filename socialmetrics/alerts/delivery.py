"""One message with every alert that is due: e-mail (Airflow SMTP connection) and chat (Apprise connection).

The e-mail goes through the same code as the weekly report (socialmetrics/serve/report/mail.py: host, port,
login, password and extra from the connection `alerts.smtp_conn_id`). The chat message goes through Apprise
(https://github.com/caronc/apprise), read from an Airflow connection of type `apprise` (the provider
apache-airflow-providers-apprise: extra `{"config": {"path": "<apprise URL>"}}`), which speaks Microsoft Teams
(Power Automate workflows: `workflows://...`; the Office 365 connectors are retired), Slack (`slack://...`) and
Mattermost (`mmost://...`, `mmosts://...`). The URL carries the webhook's secret: it stays in the connection and
is never logged, recorded or returned; errors name the connection and the service only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from socialmetrics.config import Config

log = logging.getLogger(__name__)

WORDS = {
    "de": {
        "subject": "socialmetrics: {n} Hinweis(e) für {company} ({day})",
        "intro": "Nach dem nächtlichen Lauf für den {day} braucht Folgendes Aufmerksamkeit:",
        "run": "Der Lauf in Airflow",
        "report": "Der letzte Wochenbericht",
        "footer": "Diese Nachricht kommt einmal pro Lauf; dieselbe Meldung wird nicht wiederholt (meta.alerts).",
    },
    "en": {
        "subject": "socialmetrics: {n} alert(s) for {company} ({day})",
        "intro": "After the nightly run for {day}, this needs attention:",
        "run": "The run in Airflow",
        "report": "The latest weekly report",
        "footer": "One message per run at most; the same alert is never sent twice (meta.alerts).",
    },
}


class DeliveryError(RuntimeError):
    """No channel took the message (the server may be back later: the task's retries try again)."""


class NoConnectionError(DeliveryError):
    """The channel's Airflow connection does not exist (not set up yet)."""


@dataclass(frozen=True)
class Message:
    """The message: subject, plain text (e-mail and chat alike)."""

    subject: str
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Outcome:
    """Who got it (addresses, `chat:<conn_id>`) and what went wrong, in words without secrets."""

    delivered: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)  # channels whose Airflow connection does not exist


def run_link(cfg: Config, dag_id: str, run_id: str) -> str:
    """The run's page in the Airflow UI."""
    return f"{cfg.alerts.airflow_url.rstrip('/')}/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}"


def latest_report(reports_dir: Path | None) -> Path | None:
    """The newest weekly report file (HTML), if any."""
    if reports_dir is None or not reports_dir.is_dir():
        return None
    found = sorted(reports_dir.rglob("*.html"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def compose(
    cfg: Config, due: list[tuple[Any, ...]], day: dt.date, run_id: str, *, dag_id: str, reports_dir: Path | None
) -> Message:
    """The one message of this run: the reasons (from meta.alerts), the run's link and the latest report."""
    words = WORDS[cfg.report.language]
    lines = [words["intro"].format(day=day.isoformat()), ""]
    lines += [f"- {row[6]}" for row in due]
    links = [(words["run"], run_link(cfg, dag_id, run_id))]
    report = latest_report(reports_dir)
    if report is not None:
        links.append((words["report"], report.resolve().as_uri()))
    lines.append("")
    lines += [f"{label}: {url}" for label, url in links]
    lines += ["", words["footer"]]
    subject = words["subject"].format(n=len(due), company=cfg.company, day=day.isoformat())
    return Message(subject, "\n".join(lines), links)


def _email(message: Message, sender: str, to: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = message.subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    msg.set_content(message.text)
    return msg


def send(cfg: Config, message: Message, *, connection: Any = None) -> Outcome:
    """Send the message to every configured channel; a missing connection is an error of that channel only."""
    from socialmetrics.serve.report.mail import MailError, send_message

    outcome = Outcome()
    alerts = cfg.alerts
    if alerts.email_to:
        try:
            outcome.delivered += send_message(
                lambda sender: _email(message, sender, alerts.email_to), alerts.email_to, alerts.smtp_conn_id,
                what="alerts", config_key="alerts.smtp_conn_id",
            )  # fmt: skip
        except MailError as exc:
            (outcome.unset if "is not defined" in str(exc) else outcome.errors).append(f"e-mail: {exc}")
    if alerts.chat_conn_id:
        try:
            chat(message, alerts.chat_conn_id, connection=connection)
            outcome.delivered.append(f"chat:{alerts.chat_conn_id}")
        except NoConnectionError as exc:
            outcome.unset.append(f"chat: {exc}")
        except DeliveryError as exc:
            outcome.errors.append(f"chat: {exc}")
    return outcome


def chat(message: Message, conn_id: str, *, connection: Any = None) -> None:
    """Post the message to the webhook(s) of the Apprise connection `conn_id`."""
    import apprise
    from airflow.providers.apprise.hooks.apprise import AppriseHook

    from socialmetrics.extract.credentials import MissingConnectionError, airflow_connection

    try:
        conn = connection(conn_id) if connection else airflow_connection(
            conn_id,
            f"Add a connection of type 'apprise' with extra {{\"config\": {{\"path\": \"<webhook URL in Apprise's "
            f"form>\"}}}} (docs/alerts.md), or set AIRFLOW_CONN_{conn_id.upper()}.",
        )  # fmt: skip
    except MissingConnectionError as exc:
        raise NoConnectionError(str(exc)) from None
    hook = AppriseHook(apprise_conn_id=conn_id)
    service = apprise.Apprise()
    # Apprise logs the service's answers, and urllib3 at DEBUG logs each request's path, which for a webhook
    # holds its secret token: both are held above DEBUG while the message is posted.
    quiet = {"apprise": logging.CRITICAL, "urllib3": logging.WARNING, "requests": logging.WARNING}
    levels = {name: logging.getLogger(name).level for name in quiet}
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)
    try:
        try:
            hook.set_config_from_conn(conn=conn, apprise_obj=service)
        except (KeyError, ValueError, TypeError):
            raise DeliveryError(
                f"Airflow connection '{conn_id}' has no Apprise config: set its extra to "
                f'{{"config": {{"path": "<webhook URL>"}}}}'
            ) from None
        if len(service) == 0:
            raise DeliveryError(f"the webhook URL of connection '{conn_id}' is not one Apprise knows (docs/alerts.md)")
        services = ", ".join(sorted({str(s.service_name) for s in service}))
        ok = service.notify(body=message.text, title=message.subject)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    if not ok:
        raise DeliveryError(f"the chat service ({services}) of connection '{conn_id}' did not take the message")
    log.info("alerts posted to %s through connection %s", services, conn_id)
