"""`socialmetrics` command line: the demo, the summary, the sandbox, replaying a landed run, the weekly report."""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import fcntl
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from socialmetrics import settings
from socialmetrics.config import ConfigError, load_config
from socialmetrics.files import private


def stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM, for commands that run until stopped."""
    event = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: event.set())
    signal.signal(signal.SIGTERM, lambda *_: event.set())
    return event


# Airflow's supervisor logs every message of a task process at DEBUG, `MaskSecret(value=<the token>)`
# included, in clear: at that level `airflow dags test` prints each connection's token.
DEBUG_REFUSED = (
    "error: Airflow's log level is DEBUG ({source}); at that level Airflow's supervisor prints every "
    "connection's token in clear (its MaskSecret messages). Unset it or set it to INFO, e.g. "
    "`AIRFLOW__LOGGING__LOGGING_LEVEL=INFO make demo`; for details use `socialmetrics demo --verbose`."
)
# A line that names an exception and its message: Python's traceback tail, or structlog's fields.
CAUSE_RES = (
    re.compile(r"\b((?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception)): (.+)$"),
    re.compile(r"exc_type'?: '?(\w+)'?,\s*'?exc_value'?: ['\"](.+?)['\"],"),
)
CAUSE_NOISE = ("Warning", "Traceback", "raise ", "DeprecationWarning")
MAX_CAUSES = 6


def debug_logging_source(env: dict[str, str]) -> str | None:
    """Where Airflow's log level is set to DEBUG (environment or airflow.cfg), or None."""
    value = env.get("AIRFLOW__LOGGING__LOGGING_LEVEL")
    if value is not None:
        return "AIRFLOW__LOGGING__LOGGING_LEVEL" if value.strip().upper() == "DEBUG" else None
    home = settings.airflow_home(env)
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read(home / "airflow.cfg", encoding="utf-8")
    except (configparser.Error, OSError):
        return None
    level = cfg.get("logging", "logging_level", fallback="INFO")
    return f"logging_level in {home / 'airflow.cfg'}" if level.strip().upper() == "DEBUG" else None


def failure_causes(output: str) -> list[str]:
    """The distinct error messages in Airflow's output of a failed run (the last ones last)."""
    found: dict[str, None] = {}
    for line in output.splitlines():
        for pattern in CAUSE_RES:
            match = pattern.search(line)
            if match and not any(noise in match.group(1) for noise in CAUSE_NOISE):
                name = match.group(1).rsplit(".", 1)[-1]
                text = f"{name}: {match.group(2).strip()}"[:600]
                found.pop(text, None)
                found[text] = None
                break
    return list(found)[-MAX_CAUSES:]


def claim_run_date(day: str, env: dict[str, str]) -> tuple[IO[str] | None, str]:
    """Hold a lock for `airflow dags test` of one date (two at once break each other in Airflow's
    metadata DB); returns (the open lock file, "") or (None, the holder's pid). The lock ends with the
    process, also a killed one."""
    home = settings.airflow_home(env)
    home.mkdir(parents=True, exist_ok=True)
    handle = (home / f"socialmetrics-run-{day}.lock").open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        return None, holder
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle, ""


def _last_complete_day(tz: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(tz)).date() - dt.timedelta(days=1)


_TASK_EVENT = re.compile(r"\[DAG TEST\] (starting|end task) task_id=(\S+) map_index=(-?\d+)")
_TASK_STATE = re.compile(r"Task instance state updated.*new_state=(\w+)")
_LANDED = re.compile(r"\] landed (\S+?):")
_RUN_ID = re.compile(r"<DagRun social_metrics @ [^>]*?: (\S+), state:")


def run_dag_test(cmd: list[str], env: dict[str, str], *, verbose: bool) -> subprocess.CompletedProcess[str]:
    """Run `airflow dags test` and say task by task what it does: the task's name when it starts (so a
    slow one is visible while it runs), then its state and duration. Returns the whole output (stdout
    and stderr) as stdout; with `verbose` every line of it is printed as well."""
    started = time.monotonic()
    lines: list[str] = []
    task, task_started, state, landed = "", 0.0, "", ""
    print("     0 s  starting Airflow and parsing the DAG", flush=True)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if verbose:
            print(line, end="", flush=True)
        event = _TASK_EVENT.search(line)
        if event and event.group(1) == "starting":
            name, index = event.group(2), int(event.group(3))
            task, task_started, state, landed = (name if index < 0 else f"{name}[{index}]"), time.monotonic(), "", ""
            # the line ends when the task does (at once with --verbose, where Airflow's lines come between)
            print(f"  {task_started - started:4.0f} s  {task:<12}", end="\n" if verbose else "", flush=True)
        elif event and task:
            took = time.monotonic() - task_started
            print(f"{'  ' + task if verbose else ''} {landed:<32} {state or 'done':<8} {took:5.1f} s", flush=True)
            task = ""
        elif (found := _TASK_STATE.search(line)) and task:
            state = found.group(1)
        elif (found := _LANDED.search(line)) and task:
            landed = found.group(1)
    returncode = proc.wait()
    if task:  # the run ended inside a task
        print(f" {state or 'stopped'}", flush=True)
    print(f"  {time.monotonic() - started:4.0f} s  run finished (exit {returncode})", flush=True)
    return subprocess.CompletedProcess(cmd, returncode, "".join(lines), "")


def _metadata_db_url(env: dict[str, str]) -> str | None:
    """Airflow's metadata DB as configured for `env`: the environment, else airflow.cfg (which the
    first `airflow` command writes); None when it is given some other way (a _CMD or _SECRET option)."""
    import configparser

    if env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        return env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    home = settings.airflow_home(env)
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(env.get("AIRFLOW_CONFIG") or home / "airflow.cfg")
    return cfg.get("database", "sql_alchemy_conn", fallback=None)


def _record_real_start(output: str, env: dict[str, str]) -> None:
    """`airflow dags test` records its logical date as the run's start, so the Airflow UI would show a
    half-minute run as lasting a day or more: set the run's start to its first task's start. Best effort:
    a note says when it could not."""
    found = _RUN_ID.search(output)
    url = _metadata_db_url(env)
    if not found or not url:
        return
    import sqlalchemy as sa

    first = "SELECT min(start_date) FROM task_instance WHERE dag_id = :dag AND run_id = :run"
    try:
        engine = sa.create_engine(url)
        with engine.begin() as con:
            con.execute(
                sa.text(
                    f"UPDATE dag_run SET start_date = ({first}) WHERE dag_id = :dag AND run_id = :run "
                    f"AND ({first}) IS NOT NULL"
                ),
                {"dag": "social_metrics", "run": found.group(1)},
            )
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 (the run itself is done; only its displayed duration is off)
        print(f"note: the run's start in the Airflow UI stays its logical date ({str(exc)[:200]})", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> int:
    """Start the sandbox APIs where no credentials are set, run the DAG for the last complete day."""
    try:
        cfg = load_config(settings.config_path())
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    day = args.date or _last_complete_day(cfg.timezone).isoformat()
    env = settings.project_airflow_env(os.environ)  # from a plain shell: the Airflow of `make airflow`
    source = debug_logging_source(env)
    if source:
        print(DEBUG_REFUSED.format(source=source), file=sys.stderr)
        return 2
    claim, holder = claim_run_date(day, env)
    if claim is None:
        print(
            f"error: another run of social_metrics for {day} is active (process {holder}); two runs of one date "
            f"break each other in Airflow's metadata DB. Wait for it to finish, or pick another --date.",
            file=sys.stderr,
        )
        return 3
    try:
        return _demo_run(args, cfg, day, env)
    finally:
        claim.close()


def _demo_run(args: argparse.Namespace, cfg: Any, day: str, env: dict[str, str]) -> int:
    from connectors.testing.sandbox.server import start_unless_credentials

    servers = start_unless_credentials(env)
    if servers:
        print(
            f"No credentials set: using the built-in sandbox APIs ({', '.join(s.base_url for s in servers.values())})."
        )
    print(f"Running DAG social_metrics for {day} (company: {cfg.company}) through `airflow dags test`;", flush=True)
    print("task by task (seconds since the start; Airflow's own output: --verbose):", flush=True)
    started = time.monotonic()
    try:
        proc = run_dag_test(
            [str(Path(sys.executable).parent / "airflow"), "dags", "test", "social_metrics", day],
            env,
            verbose=args.verbose,
        )
    finally:
        for server in servers.values():
            server.stop()
    _record_real_start(proc.stdout or "", env)
    if proc.returncode != 0:
        out = (proc.stdout or "") + (proc.stderr or "")
        print(out[-3000:], file=sys.stderr)
        causes = failure_causes(out)
        print(f"\nerror: the DAG run for {day} failed (exit {proc.returncode}).", file=sys.stderr)
        if causes:
            print("Why:", file=sys.stderr)
            for cause in causes:
                print(f"  {cause}", file=sys.stderr)
        else:
            print("Airflow named no error; rerun with `socialmetrics demo --verbose` to see its log.", file=sys.stderr)
        return proc.returncode
    print(f"Done in {time.monotonic() - started:.0f} s. Warehouse: {settings.warehouse_path()}\n")
    status = cmd_summary(args)
    if status == 0:
        print("\nDashboard: `make dashboard` (http://127.0.0.1:8501, the login is printed when it is up).")
    return status


def cmd_summary(args: argparse.Namespace) -> int:
    """Print rows per mart and the last day per network; with --all one line per company (serve/overview.py)."""
    from socialmetrics.pipeline import summary

    if getattr(args, "all", False):
        from socialmetrics.serve import overview

        return overview.main()

    path = settings.warehouse_path()
    if not path.exists():
        print(
            f"error: no warehouse at {path}{settings.warehouse_hint()}; run `make demo` first.",
            file=sys.stderr,
        )
        return 2
    print(summary(path))
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve the sandbox APIs until interrupted; print the AIRFLOW_CONN_* lines to use them."""
    from connectors.testing.sandbox.server import airflow_conn_env, start_all

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
    from socialmetrics.land import landing
    from socialmetrics.pipeline import account_from_dict, plan

    accounts = {(a["network"], a["id"]): a for a in plan(settings.config_path())}
    manifests = landing.read_manifests(settings.landing_root(), args.run_id)
    if not manifests:
        print(
            f"error: no landed run '{args.run_id}' in {settings.landing_root()} (run ids are as Airflow shows them, "
            f"e.g. scheduled__2026-11-19T02:00:00+00:00; folders: landing/<network>/<account>/<run>).",
            file=sys.stderr,
        )
        return 2
    for manifest in manifests:
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
    """Load a range of days through the running Airflow's history DAG and follow it (see socialmetrics.run.history)."""
    from socialmetrics.run import history

    return history.main(args.first, args.last, read_budget=args.x_read_budget, dag_id=args.dag_id)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2025-12-01") from None


def _reads(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of reads; use a whole number from 1, e.g. 1000")
    return int(text)


def cmd_report(args: argparse.Namespace) -> int:
    """Build the weekly report (HTML and PDF) for the last complete ISO week or --week; print the paths."""
    from socialmetrics.serve.report import ReportError, build_weekly_report, resolve_week

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
            raise ReportError(f"no warehouse at {path}{settings.warehouse_hint()}; run `make demo` first")
        files = build_weekly_report(cfg, path, week, out_dir=args.out, language=args.language)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(files.html)
    print(files.pdf if files.pdf else "(no PDF: it needs Chromium, see the warning above)")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    """Print the URL tagged for a network and a configured campaign (socialmetrics.run.links); exit 2 on wrong input."""
    from socialmetrics.run.links import LinkError, tagged_url

    try:
        cfg = load_config(settings.config_path())
        print(tagged_url(args.url, args.network, args.campaign, [c.name for c in cfg.campaigns]))
    except (ConfigError, LinkError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_privacy(args: argparse.Namespace) -> int:
    """Export or erase one commenter's data (socialmetrics.erasure); exit 2 on wrong input, 1 when nothing is found
    by `erase`."""
    import json

    from socialmetrics import erasure
    from socialmetrics.load import warehouse
    from socialmetrics.privacy import NoAuthorKeyError, author_key

    try:
        key = author_key(create=False)
        who = erasure.subject(args.network, args.author_id, args.comment_id, key)
    except (NoAuthorKeyError, erasure.InputError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path, root = settings.warehouse_path(), settings.landing_root()
    try:
        if args.action == "export":
            con = warehouse.connect(path, read_only=True) if path.exists() else None
            try:
                data = erasure.export(con, root, who)
            finally:
                if con is not None:
                    con.close()
            n = len(data["comments"])
            text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
            what = f"{n} comment(s) of {who.label}" if who.comment_id is None else who.label
            summary = (
                f"{what} ({who.network}) in the warehouse and {len(data['landing_files'])} landing file(s)"
                if n
                else f"Nothing stored about {who.label} ({who.network}): no comment in the warehouse or the landing "
                f"folder. {_check_id(who)}"
            )
            if args.out:
                erasure.write_private(args.out, text)
                print(f"Exported {summary} to {args.out} (mode 0600).")
            else:
                sys.stdout.write(text)
                print(summary if not n else f"Exported {summary}.", file=sys.stderr)
            return 0
        cfg = load_config(settings.config_path())
        done = erasure.erase(
            who,
            key,
            warehouse_path=path,
            landing_root=root,
            tz=cfg.timezone,
            campaigns=list(cfg.campaigns),
            goals=list(cfg.goals),
        )
    except (ConfigError, erasure.RegisterError, warehouse.WarehouseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 3
    if not done.comments:
        print(
            f"Nothing stored about {who.label} ({who.network}) in the warehouse or the landing folder; the erasure "
            f"is recorded anyway, so no later run loads it. {_check_id(who)}"
        )
        return 1
    what = f"{done.comments} comment(s) of {who.label}" if who.comment_id is None else who.label
    print(
        f"Erased {what} ({who.network}) from raw, core, marts, the readers' copy and "
        f"{done.landing_files} landing file(s); the erasure is recorded."
    )
    return 0


def _check_id(who: Any) -> str:
    from socialmetrics.erasure import ID_HELP

    if who.comment_id is not None:
        return "Check the comment id: it is core.comment.comment_id, the network's own id of the comment."
    return f"Check the id: {ID_HELP[who.network]}."


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="socialmetrics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the DAG once on the sandbox (or your connections) and summarise")
    demo.add_argument("--date", help="the day to cover (default: the last complete day)")
    demo.add_argument("--verbose", action="store_true", help="show Airflow's output")
    demo.set_defaults(func=cmd_demo)
    summ = sub.add_parser("summary", help="rows per mart and the last day per network")
    summ.add_argument(
        "--all",
        action="store_true",
        help="every company at a glance: last day, last publish, failed runs, last week's headline figures",
    )
    summ.set_defaults(func=cmd_summary)
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
    hist.add_argument(
        "--x-read-budget",
        type=_reads,
        help="billed X reads this load may use per X account (default: the form's, 1000)",
    )
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
    link = sub.add_parser("link", help="a link tagged for a network and a campaign (utm_source/medium/campaign)")
    link.add_argument("url", help="the page to link to, http:// or https://")
    link.add_argument("--network", required=True, help="facebook, instagram, linkedin, x or xing")
    link.add_argument("--campaign", required=True, help="the campaign's name exactly as in the config")
    link.set_defaults(func=cmd_link)
    privacy = sub.add_parser("privacy", help="a commenter's GDPR rights: export or erase their comments")
    privacy.add_argument("action", choices=("export", "erase"))
    privacy.add_argument("--network", required=True, help="facebook, instagram, linkedin or x")
    person = privacy.add_mutually_exclusive_group(required=True)
    person.add_argument(
        "--author-id", action="append", help="the person's own id on the network (Instagram: id and/or username)"
    )
    person.add_argument("--comment-id", help="one comment, by the network's id of it")
    privacy.add_argument("--out", type=Path, help="export: write the JSON to this file (mode 0600)")
    privacy.set_defaults(func=cmd_privacy)
    args = parser.parse_args(argv)
    with private():  # what a command writes (replayed pages, reports) is for the owner and group only
        return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
