"""Send the weekly report by e-mail: the HTML as the body, the PDF attached, through an Airflow SMTP connection.

The connection (default `smtp_default`) gives host, port, login and password; its extra follows the
Airflow SMTP provider: `from_email`, `disable_ssl` (SSL on connect unless true), `disable_tls`
(STARTTLS unless true), `timeout`. The password is only handed to the SMTP server, never logged.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from socialmetrics.serve.report.week import ReportError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
LANG = re.compile(r'<html[^>]*\blang="([a-z]{2})"', re.I)
PLAIN_TEXT = {
    "de": "{title}\n\nDer Bericht steht in der HTML-Ansicht dieser E-Mail und als PDF im Anhang.\n",
    "en": "{title}\n\nThe report is in the HTML view of this e-mail and attached as a PDF.\n",
}


class MailError(ReportError):
    """The report could not be sent; the message names the connection and the fix (never the password)."""


class MailServerError(MailError):
    """The SMTP server could not be reached or broke off (refused connection, timeout): worth a retry later."""


def _connection(conn_id: str, config_key: str = "report.smtp_conn_id") -> Any:
    from socialmetrics.extract.credentials import MissingConnectionError, airflow_connection

    try:
        return airflow_connection(
            conn_id,
            f"Add an SMTP connection (host, port, login, password; extra from_email) in the UI or as "
            f"AIRFLOW_CONN_{conn_id.upper()}, or set {config_key} in the config.",
        )
    except MissingConnectionError as exc:
        raise MailError(str(exc)) from None


def build_message(
    html_path: Path, pdf_path: Path | None, sender: str, to: list[str], attachment_name: str
) -> EmailMessage:
    """The e-mail: subject from the report's title, plain-text note, HTML body, PDF attachment."""
    body = html_path.read_text(encoding="utf-8")
    found = TITLE.search(body)
    title = html_lib.unescape(found.group(1).strip()) if found else html_path.stem
    lang_found = LANG.search(body)
    lang = lang_found.group(1).lower() if lang_found else "de"
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    msg.set_content(PLAIN_TEXT.get(lang, PLAIN_TEXT["en"]).format(title=title))
    msg.add_alternative(body, subtype="html")
    if pdf_path is not None and pdf_path.exists():
        msg.add_attachment(pdf_path.read_bytes(), maintype="application", subtype="pdf", filename=attachment_name)
    return msg


def send(html_path: Path, pdf_path: Path | None, to: list[str], conn_id: str, attachment_name: str) -> list[str]:
    """Send the report to `to` through the SMTP connection `conn_id`; returns the recipients."""
    return send_message(
        lambda sender: build_message(html_path, pdf_path, sender, to, attachment_name), to, conn_id,
        what=f"weekly report {html_path.stem}",
    )  # fmt: skip


def send_message(
    build: Any, to: list[str], conn_id: str, *, what: str = "the report", config_key: str = "report.smtp_conn_id"
) -> list[str]:
    """Send the message `build(sender)` makes to `to` through the SMTP connection `conn_id` (the report, the
    alerts; `config_key` names the config key that chose it); returns the recipients the server accepted."""
    conn = _connection(conn_id, config_key)
    extra = conn.extra_dejson if conn.extra else {}
    if not conn.host:
        raise MailError(f"Airflow connection '{conn_id}' has no host; set the SMTP server's host name")
    use_ssl = not _flag(extra.get("disable_ssl"))
    use_tls = not use_ssl and not _flag(extra.get("disable_tls"))
    port = int(conn.port or (465 if use_ssl else 587))
    timeout = float(extra.get("timeout") or DEFAULT_TIMEOUT_S)
    sender = str(
        extra.get("from_email") or (conn.login if conn.login and "@" in conn.login else "socialmetrics@localhost")
    )
    msg = build(sender)
    try:
        client: smtplib.SMTP
        if use_ssl:
            client = smtplib.SMTP_SSL(conn.host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(conn.host, port, timeout=timeout)
        with client:
            client.ehlo()
            if use_tls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if conn.login:
                client.login(conn.login, conn.password or "")
            refused = client.send_message(msg, from_addr=sender, to_addrs=to)
    except smtplib.SMTPNotSupportedError:
        raise MailError(
            f"the SMTP server of connection '{conn_id}' ({conn.host}:{port}) offers no STARTTLS; use its SSL port "
            f"or, only on a trusted network, set extra disable_tls: true"
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"the SMTP server of connection '{conn_id}' ({conn.host}:{port}) rejected the login "
            f"(code {exc.smtp_code}); check login and password of the connection"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailServerError(
            f"sending {what} through connection '{conn_id}' ({conn.host}:{port}) failed: {type(exc).__name__}: {exc}"
        ) from None
    delivered = [a for a in to if a not in refused]
    log.info(
        "%s sent to %d recipient(s) through %s (%s:%s)",
        what,
        len(delivered),
        conn_id,
        conn.host,
        port,
    )
    if refused:
        log.warning("the SMTP server refused %d recipient(s): %s", len(refused), ", ".join(sorted(refused)))
    return delivered


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
