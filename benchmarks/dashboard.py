"""The dashboard's speed: time to first render of each page in a real headless Chromium, for two years of a
company with five accounts (a synthetic warehouse, built like benchmarks/incremental_transform.py and published
as the readers' copy), against a plain DuckDB query of the same data (the page's mart query on its own,
measured in the same run). Target: every page under 1 s on this machine.

A page's render is timed from the click (or the Enter in the period field) until Streamlit's run has finished
and the page's table is on the screen; each is the best of --repeat tries after one warm-up. "page script" is the
page's Python alone (queries and elements, no browser), "plain query" its main mart query alone; the ratio is
the render over the plain query.
Usage: python benchmarks/dashboard.py [--accounts 5] [--days 730] [--repeat 3]
Needs /usr/bin/chromium (apt-get install -y chromium) and the Python playwright package (dev extra).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from incremental_transform import START, fill  # noqa: E402

from socialmetrics.serve import readers  # noqa: E402
from socialmetrics.serve.dashboard import queries  # noqa: E402
from socialmetrics.serve.dashboard.__main__ import command, wait_up  # noqa: E402
from socialmetrics.transform import runner as transform  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
TZ = "Europe/Berlin"


def build(path: Path, accounts: int, days: int) -> tuple[dt.date, dt.date]:
    con = duckdb.connect(str(path))
    fill(con, accounts, days)
    last = START + dt.timedelta(days=days)
    transform.run(con, START, last, run_id="bench")
    con.close()
    readers.publish(path, run_id="bench")
    return START, last


def best(fn: Any, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def idle(tab: Any) -> None:
    tab.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Path(tmp) / "warehouse.duckdb"
        t = time.perf_counter()
        first, end = build(warehouse, args.accounts, args.days)
        last = end - dt.timedelta(days=1)
        print(
            f"synthetic warehouse: {args.accounts} accounts x {args.days} days,"
            f" built in {time.perf_counter() - t:.1f} s"
        )
        con = queries.connect(warehouse)
        n_posts = len(queries.posts(con, first, end, TZ))
        plain = {
            "Überblick": best(lambda: queries.overview(con, first, end, TZ), args.repeat),
            "Beiträge": best(lambda: queries.posts(con, first, end, TZ), args.repeat),
            "Netzwerke": best(lambda: queries.network_daily(con, "facebook", first, end), args.repeat),
        }
        # the page's Python alone (the script Streamlit runs, outside a server: its elements go nowhere)
        from socialmetrics.config import load_config
        from socialmetrics.serve.dashboard import ui

        # outside a server every element warns "missing ScriptRunContext"
        for name in [n for n in logging.root.manager.loggerDict if n.startswith("streamlit")]:
            logging.getLogger(name).setLevel(logging.ERROR)
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

        ctx = ui.Ctx(con, "de", first, end, load_config(REPO / "config" / "socialmetrics.yml"), queries.tables(con))
        script = {
            "Überblick": best(lambda: ui.overview(ctx), args.repeat),
            "Beiträge": best(lambda: ui.posts(ctx), args.repeat),
            "Netzwerke": best(lambda: ui.networks(ctx), args.repeat),
        }
        con.close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALMETRICS")}
        env |= {
            "SOCIALMETRICS_CONFIG": str(REPO / "config" / "socialmetrics.yml"),
            "SOCIALMETRICS_WAREHOUSE": str(warehouse),
            "SOCIALMETRICS_DASHBOARD_PASSWORD": "bench",
            "HOME": tmp,
        }
        proc = subprocess.Popen(command("127.0.0.1", port), env=env, stdout=subprocess.DEVNULL)  # noqa: S603
        url = f"http://127.0.0.1:{port}"
        rendered: dict[str, float] = {}
        try:
            assert wait_up(url, proc), "the dashboard did not start"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                tab = browser.new_page(viewport={"width": 1500, "height": 1100})
                tab.goto(url)
                tab.get_by_label("Passwort").fill("bench")
                tab.get_by_role("button", name="Anmelden").click()
                tab.get_by_role("heading", name="Überblick").first.wait_for()
                box = tab.get_by_label("Von", exact=True)
                box.fill(first.strftime("%d.%m.%Y"))
                box.press("Enter")
                idle(tab)
                box = tab.get_by_label("Bis", exact=True)
                box.fill(last.strftime("%d.%m.%Y"))
                box.press("Enter")
                idle(tab)
                sidebar = tab.get_by_test_id("stSidebar")
                for name, marker in (
                    ("Überblick", "stTable"),
                    ("Beiträge", "stDataFrame"),
                    ("Netzwerke", "stDataFrame"),
                ):
                    times = []
                    for i in range(args.repeat + 1):
                        sidebar.get_by_text("Datenqualität", exact=True).click()  # away, then back
                        tab.get_by_role("heading", name="Datenqualität").first.wait_for()
                        idle(tab)
                        t = time.perf_counter()
                        sidebar.get_by_text(name, exact=True).click()
                        tab.get_by_role("heading", name=name).first.wait_for()
                        tab.get_by_test_id(marker).first.wait_for()
                        idle(tab)
                        if i:
                            times.append(time.perf_counter() - t)
                    rendered[name] = min(times)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        print(f"period: {first} to {last} ({args.days} days), {n_posts:,} posts")
        print(
            f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores; other work slows the browser too)"
        )
        print(f"{'page':<12} {'first render':>13} {'page script':>12} {'plain query':>12} {'ratio':>7}  target < 1 s")
        for name, seconds in rendered.items():
            ok = "ok" if seconds < 1 else "OVER"
            print(
                f"{name:<12} {seconds:>11.3f} s {script[name]:>10.3f} s {plain[name]:>10.3f} s "
                f"{seconds / plain[name]:>7.1f}  {ok}"
            )


if __name__ == "__main__":
    main()
