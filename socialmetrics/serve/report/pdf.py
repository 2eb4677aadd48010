"""HTML -> PDF with headless Chromium (its print engine follows the report's @page CSS).

The binary: $SOCIALMETRICS_CHROMIUM, else `chromium`, `chromium-browser`, `google-chrome` on PATH.
Chromium runs with a fresh profile, no background networking and a host resolver that resolves
nothing, so rendering the report never reaches the network.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from socialmetrics.files import tmp_name

log = logging.getLogger(__name__)

CHROMIUM_ENV = "SOCIALMETRICS_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120.0
INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: `apt-get install -y chromium fonts-dejavu-core`) or point "
    f"{CHROMIUM_ENV} at a Chromium/Chrome binary"
)


class ChromiumError(RuntimeError):
    """Chromium is missing or failed; the message says what to do."""


def find_chromium() -> str | None:
    """The Chromium binary to use, or None when there is none."""
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise ChromiumError(f"{CHROMIUM_ENV}={explicit} is not an executable; {INSTALL_HINT}")
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def headless_args(binary: str, profile: Path) -> list[str]:
    """The command line prefix of a headless, offline Chromium with a throwaway profile."""
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ]


def run_chromium(args: list[str], *, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile; `args` follow the common prefix."""
    binary = find_chromium()
    if binary is None:
        raise ChromiumError(f"no Chromium found; {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="socialmetrics-chromium-") as profile:
        try:
            return subprocess.run(
                headless_args(binary, Path(profile)) + args,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise ChromiumError(f"Chromium did not finish within {timeout:.0f} s") from None


def html_to_pdf(html: Path, pdf: Path, *, timeout: float = TIMEOUT_S) -> Path:
    """Print `html` to `pdf` (A4 from the page's CSS); written atomically. Raises ChromiumError."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_name(pdf, hidden=True)
    tmp.unlink(missing_ok=True)
    try:
        proc = run_chromium(
            ["--no-pdf-header-footer", f"--print-to-pdf={tmp}", html.resolve().as_uri()], timeout=timeout
        )
        if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            tail = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()]
            fatal = [ln for ln in tail if "FATAL" in ln]
            last = (fatal or tail or ["no output"])[-1]
            raise ChromiumError(f"Chromium exited with {proc.returncode} without a PDF ({last[:300]})")
        os.replace(tmp, pdf)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf
