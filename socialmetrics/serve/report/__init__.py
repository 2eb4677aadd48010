"""The weekly report an owner reads: one self-contained HTML file and its PDF per company and ISO week.

    files = build_weekly_report(cfg, warehouse_path)           # the last complete week
    files = build_weekly_report(cfg, warehouse_path, (2026, 46), language="en")
    if report_due(covered_day):                                 # Monday's nightly run covers Sunday
        send_report(build_weekly_report(cfg, path, covered_day), cfg)

Files: `<reports dir>/<company-slug>/<YYYY>-W<ww>.html` and `.pdf` (written atomically; in another
language than the config's `report.language`: `<YYYY>-W<ww>.<lang>.html`), the reports
dir being `$SOCIALMETRICS_REPORTS` or `reports/` beside the warehouse. The PDF needs headless
Chromium; without it the HTML is written and a one-line warning says how to get the PDF.
This module imports nothing heavy (the DAG file imports it at parse time).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from socialmetrics.files import private_files, remove_stale_tmp, tmp_name
from socialmetrics.serve.report.week import ReportError, Week

if TYPE_CHECKING:
    from socialmetrics.config import Config

__all__ = [
    "ReportError",
    "ReportFiles",
    "Week",
    "build_weekly_report",
    "company_slug",
    "default_week",
    "report_due",
    "resolve_week",
    "send_report",
]

log = logging.getLogger(__name__)

DEFAULT_TZ = "Europe/Berlin"
TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


@dataclass(frozen=True)
class ReportFiles:
    """What `build_weekly_report` wrote: the HTML, the PDF (None without Chromium), the week and company."""

    html: Path
    pdf: Path | None
    week: str
    company: str


def report_due(covered_day: dt.date) -> bool:
    """True when the run covering `covered_day` should send the weekly report: the day is a Sunday
    (Monday's nightly run covers Sunday, the last day of the ISO week)."""
    return covered_day.isoweekday() == 7


def default_week(today: dt.date | None = None, tz: str = DEFAULT_TZ) -> Week:
    """The last complete ISO week before `today` (default: today in `tz`, Europe/Berlin)."""
    today = today or dt.datetime.now(ZoneInfo(tz)).date()
    return Week.of(today - dt.timedelta(days=today.isoweekday()))


def resolve_week(
    week: tuple[int, int] | dt.date | str | Week | None, *, today: dt.date | None = None, tz: str = DEFAULT_TZ
) -> Week:
    """A week from (year, week), `2026-W46`, a date (the ISO week containing it, e.g. the Sunday a run
    covered) or None (the last complete week)."""
    if week is None:
        return default_week(today, tz)
    if isinstance(week, Week):
        return week
    if isinstance(week, dt.datetime):
        return Week.of(week.date())
    if isinstance(week, dt.date):
        return Week.of(week)
    if isinstance(week, str):
        return Week.parse(week)
    year, number = week
    return Week.parse(f"{int(year)}-W{int(number):02d}")


def company_slug(company: str) -> str:
    """`Brauerei Sonnenhang GmbH` -> `brauerei-sonnenhang-gmbh` (umlauts spelled out, ASCII only)."""
    ascii_name = unicodedata.normalize("NFKD", company.translate(TRANSLITERATION)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "company"


def reports_root(warehouse_path: Path, reports_dir: Path | None = None) -> Path:
    """Where reports go: `reports_dir` (a company's), else $SOCIALMETRICS_REPORTS, else `reports/` beside the
    warehouse."""
    from socialmetrics import settings

    if reports_dir is not None:
        return Path(reports_dir).expanduser().absolute()
    if os.environ.get(settings.REPORTS_ENV):
        return settings.reports_dir()
    return Path(warehouse_path).expanduser().absolute().parent / "reports"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(path, hidden=True)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@private_files
def build_weekly_report(
    cfg: Config,
    warehouse_path: Path,
    week: tuple[int, int] | dt.date | str | Week | None = None,
    *,
    out_dir: Path | None = None,
    language: str | None = None,
    today: dt.date | None = None,
    pdf: bool = True,
) -> ReportFiles:
    """Build the week's report (HTML, and the PDF when Chromium is there); ReportError if it cannot."""
    from socialmetrics.serve import readers
    from socialmetrics.serve.report import i18n
    from socialmetrics.serve.report.data import collect
    from socialmetrics.serve.report.pdf import ChromiumError, html_to_pdf
    from socialmetrics.serve.report.render import render_html

    report_cfg = getattr(cfg, "report", None)
    lang = (language or (report_cfg.language if report_cfg else None) or "de").lower()
    if lang not in i18n.LANGUAGES:
        raise ReportError(f"report language '{lang}' is not supported; use de or en")
    today = today or dt.datetime.now(cfg.tz).date()
    wk = resolve_week(week, today=today, tz=cfg.timezone)
    path = Path(warehouse_path)
    if not path.exists():
        raise ReportError(f"no warehouse at {path}; run `make demo` first")
    con = readers.connect(path)  # the readers' copy of the marts: never blocks the nightly writer
    try:
        data = collect(con, cfg, wk)
    finally:
        con.close()
    html = render_html(data, lang)
    folder = Path(out_dir).expanduser().absolute() if out_dir else reports_root(path)
    folder = folder / company_slug(cfg.company)
    remove_stale_tmp(folder, ".*.tmp-*", what="report file of a killed report build")
    configured = ((report_cfg.language if report_cfg else None) or "de").lower()
    # Another language than the configured one gets its own name, so it never replaces the mailed report.
    stem = wk.label if lang == configured else f"{wk.label}.{lang}"
    html_path = folder / f"{stem}.html"
    pdf_path: Path | None = folder / f"{stem}.pdf"
    _write_atomically(html_path, html)
    if pdf:
        assert pdf_path is not None
        try:
            html_to_pdf(html_path, pdf_path)
        except ChromiumError as exc:
            log.warning("PDF of the %s report not written (the PDF needs Chromium): %s", wk.label, exc)
            pdf_path.unlink(missing_ok=True)  # an older PDF would not match the new HTML
            pdf_path = None
    else:
        pdf_path = None
    log.info("weekly report %s for %s: %s%s", wk.label, cfg.company, html_path, f", {pdf_path}" if pdf_path else "")
    return ReportFiles(html_path, pdf_path, wk.label, cfg.company)


def send_report(
    files: ReportFiles | Path | str,
    cfg: Config,
    *,
    to: list[str] | None = None,
    conn_id: str | None = None,
) -> list[str]:
    """E-mail the report (HTML body, PDF attached) to `to` or the config's `report.email_to`, through the
    Airflow SMTP connection `conn_id` or `report.smtp_conn_id`. Returns the recipients (none configured: [])."""
    from socialmetrics.serve.report.mail import send

    report_cfg = getattr(cfg, "report", None)
    recipients = list(to if to is not None else (report_cfg.email_to if report_cfg else []))
    if not recipients:
        log.info("no report.email_to configured; the report is not sent")
        return []
    if isinstance(files, ReportFiles):
        html_path, pdf_path, week = files.html, files.pdf, files.week
    else:
        html_path = Path(files)
        candidate = html_path.with_suffix(".pdf")
        pdf_path, week = (candidate if candidate.exists() else None), html_path.stem
    connection = conn_id or (report_cfg.smtp_conn_id if report_cfg else "smtp_default")
    return send(html_path, pdf_path, recipients, connection, f"{company_slug(cfg.company)}-{week}.pdf")
