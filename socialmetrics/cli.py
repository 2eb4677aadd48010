"""`socialmetrics` command line: the demo, the summary, the sandbox, replaying a landed run, the weekly report."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from socialmetrics import settings
from socialmetrics.config import ConfigError, load_config


def stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM, for commands that run until stopped."""
    event = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: event.set())
    signal.signal(signal.SIGTERM, lambda *_: event.set())
    return event


def _last_complete_day(tz: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(tz)).date() - dt.timedelta(days=1)


def cmd_demo(args: argparse.Namespace) -> int:
    """Start the sandbox APIs where no credentials are set, run the DAG for the last complete day."""
    from socialmetrics.sandbox.server import start_unless_credentials

    try:
        cfg = load_config(settings.config_path())
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    day = args.date or _last_complete_day(cfg.timezone).isoformat()
    env = dict(os.environ)
    servers = start_unless_credentials(env)
    if servers:
        print(
            f"No credentials set: using the built-in sandbox APIs ({', '.join(s.base_url for s in servers.values())})."
        )
    print(f"Running DAG social_metrics for {day} (company: {cfg.company}) ...", flush=True)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "dags", "test", "social_metrics", day],
            env=env,
            capture_output=not args.verbose,
            text=True,
            check=False,
        )
    finally:
        for server in servers.values():
            server.stop()
    if proc.returncode != 0:
        out = (proc.stdout or "") + (proc.stderr or "")
        print(out[-6000:], file=sys.stderr)
        print(f"error: the DAG run failed (exit {proc.returncode}); the log above says why.", file=sys.stderr)
        return proc.returncode
    print(f"Done in {time.monotonic() - started:.0f} s. Warehouse: {settings.warehouse_path()}\n")
    return cmd_summary(args)


def cmd_summary(args: argparse.Namespace) -> int:
    """Print rows per mart and the last day per network."""
    from socialmetrics.pipeline import summary

    path = settings.warehouse_path()
    if not path.exists():
        print(f"error: no warehouse at {path}; run `make demo` first.", file=sys.stderr)
        return 2
    print(summary(path))
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve the sandbox APIs until interrupted; print the AIRFLOW_CONN_* lines to use them."""
    from socialmetrics.sandbox.server import airflow_conn_env, start_all

    servers = start_all()
    for key, value in airflow_conn_env(servers).items():
        print(f"export {key}='{value}'", flush=True)
    stop = stop_on_signals()
    while not stop.is_set():
        time.sleep(0.2)
    for server in servers.values():
        server.stop()
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Re-parse a landed run's pages into Parquet (no API calls); `load` it afterwards."""
    from connectors import registry
    from connectors.base import Credentials
    from socialmetrics import landing
    from socialmetrics.pipeline import account_from_dict, plan

    accounts = {(a["network"], a["id"]): a for a in plan(settings.config_path())}
    for manifest in landing.read_manifests(settings.landing_root(), args.run_id):
        acc = account_from_dict(
            accounts.get((manifest.network, manifest.account_id))
            or {"network": manifest.network, "id": manifest.account_id}
        )
        cls = registry.get(manifest.network)
        connector = cls(acc, Credentials(acc.connection_id, "replay"))
        landing.replay(connector, manifest)
        print(f"replayed {manifest.path.parent}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Load a range of days through the running Airflow's history DAG and follow it (see socialmetrics.history)."""
    from socialmetrics import history

    return history.main(args.first, args.last, read_budget=args.x_read_budget, dag_id=args.dag_id)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2025-12-01") from None


def cmd_report(args: argparse.Namespace) -> int:
    """Build the weekly report (HTML and PDF) for the last complete ISO week or --week; print the paths."""
    from socialmetrics.report import ReportError, build_weekly_report, resolve_week

    try:
        cfg = load_config(settings.config_path())
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = settings.warehouse_path()
    try:
        if args.language and args.language.lower() not in ("de", "en"):
            raise ReportError(f"--language {args.language}: the report speaks de or en")
        week = resolve_week(args.week, tz=cfg.timezone) if args.week else None
        if not path.exists():
            raise ReportError(f"no warehouse at {path}; run `make demo` first")
        files = build_weekly_report(cfg, path, week, out_dir=args.out, language=args.language)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(files.html)
    print(files.pdf if files.pdf else "(no PDF: it needs Chromium, see the warning above)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="socialmetrics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the DAG once on the sandbox (or your connections) and summarise")
    demo.add_argument("--date", help="the day to cover (default: the last complete day)")
    demo.add_argument("--verbose", action="store_true", help="show Airflow's output")
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("summary", help="rows per mart and the last day per network").set_defaults(func=cmd_summary)
    sub.add_parser("sandbox", help="serve the fake APIs until Ctrl-C").set_defaults(func=cmd_sandbox)
    replay = sub.add_parser("replay", help="rebuild a landed run's records from its pages")
    replay.add_argument("run_id")
    replay.set_defaults(func=cmd_replay)
    hist = sub.add_parser(
        "history",
        help="load a range of days (both included) through the running Airflow, as its Trigger form does",
    )
    hist.add_argument("--from", dest="first", type=_date, required=True, help="the first day, YYYY-MM-DD")
    hist.add_argument("--to", dest="last", type=_date, required=True, help="the last day (included), YYYY-MM-DD")
    hist.add_argument("--x-read-budget", type=int, help="billed X reads this load may use per X account")
    hist.add_argument(
        "--dag-id",
        default="social_metrics_history",
        help="the history DAG (several companies: social_metrics_history__<slug>)",
    )
    hist.set_defaults(func=cmd_history)
    report = sub.add_parser("report", help="the weekly report (HTML and PDF) of the last complete ISO week")
    report.add_argument("--week", help="the ISO week, e.g. 2026-W46 (default: the last complete week)")
    report.add_argument("--language", help="de (default, or the config's report.language) or en")
    report.add_argument("--out", type=Path, help="output folder (default: $SOCIALMETRICS_REPORTS or data/reports)")
    report.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
