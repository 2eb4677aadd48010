"""`make dashboard`: start the dashboard on 127.0.0.1:8501, print its URL and login once it answers.

    python -m socialmetrics.serve.dashboard [--host 127.0.0.1] [--port 8501] [--allow-empty]

The password is SOCIALMETRICS_DASHBOARD_PASSWORD; without one, a random one is created once in
`dashboard.password` beside the warehouse (owner-only) and reused. SOCIALMETRICS_DASHBOARD_AUTH=none turns
the login off: only behind a reverse proxy that asks for its own (docs/dashboard.md).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from socialmetrics import settings
from socialmetrics.serve import readers
from socialmetrics.serve.dashboard.ui import AUTH_ENV, PASSWORD_ENV

APP = Path(__file__).with_name("app.py")


def password_file(warehouse: Path) -> Path:
    return warehouse.with_name("dashboard.password")


def ensure_password(warehouse: Path) -> tuple[str, str]:
    """The password and where it comes from: the environment, else the file (created once, mode 0600)."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV], f"from {PASSWORD_ENV}"
    path = password_file(warehouse)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(12) + "\n")
    return path.read_text(encoding="utf-8").strip(), f"stored in {path}"


def command(host: str, port: int) -> list[str]:
    """`streamlit run` bound to `host`, without telemetry, file watching or a browser of its own."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal", "--theme.base", "light", "--logger.level", "warning",
    ]  # fmt: skip


def wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("SOCIALMETRICS_DASHBOARD_BIND") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SOCIALMETRICS_DASHBOARD_PORT") or 8501))
    parser.add_argument(
        "--allow-empty", action="store_true", help="start before the first run has published the readers' copy"
    )
    args = parser.parse_args(argv)
    warehouse = settings.warehouse_path()
    copy = readers.readers_path(warehouse)
    if not copy.exists() and not args.allow_empty:
        print(f"error: no readers' copy of the marts at {copy}; run `make demo` first.", file=sys.stderr)
        return 2
    env = dict(os.environ)
    login = "no login (SOCIALMETRICS_DASHBOARD_AUTH=none: only behind a reverse proxy with its own)"
    if env.get(AUTH_ENV, "").strip().lower() != "none":
        password, source = ensure_password(warehouse)
        env[PASSWORD_ENV] = password
        login = f"password '{password}' ({source})"
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    proc = subprocess.Popen(command(args.host, args.port), env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    # `docker stop` (SIGTERM through tini) stops the server too, not only this launcher
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    url = f"http://{args.host}:{args.port}"
    try:
        if not wait_up(url, proc):
            print(f"error: the dashboard did not come up on {url} (exit {proc.poll()}).", file=sys.stderr)
            proc.terminate()
            return 1
        print(f"\nDashboard: {url}  ({login}); reading {copy} read-only. Ctrl+C stops it.", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        return 0


if __name__ == "__main__":
    sys.exit(main())
