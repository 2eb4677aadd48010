"""History in minutes: a year of the sandbox company through the UI path, against the other ways.

Starts Airflow as `make airflow` does (standalone on SQLite, LocalExecutor, the sandbox APIs) in a fresh
home, then measures in the same run:
  1. the year through the UI path: `socialmetrics history` (the Trigger form's REST call to
     social_metrics_history), wall time from the trigger to the run's end, and its API requests;
  2. one run of the nightly DAG over the same year (`airflow dags test` with lookback 364 in a config copy);
  3. the daily backfill: a backfill of BACKFILL_DAYS days of social_metrics (POST /api/v2/backfills, what the
     Backfill dialog sends), extrapolated to the year;
  4. the nightly run's task time: NIGHTLY_RUNS triggered runs of social_metrics one after another (after the
     first run, which loads into an empty warehouse), the sum of each run's task instances' durations, their
     median and its split by task, with cold task processes (SOCIALMETRICS_WARM_TASKS=0: each imports the
     task code) and warm ones. A run on a Monday also writes the weekly report (about 3 s of Chromium).
It prints each with its requests and the ratios the issue asks for: history / one run (target <= 3),
history / daily backfill, and requests against the minimum the APIs' limits allow.

Usage: python benchmarks/history_load.py [--days 365] [--backfill-days 7] [--keep DIR]
Takes about 5-10 minutes on a 2-core machine. Nothing here is a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from socialmetrics.land import landing  # noqa: E402
from socialmetrics.run.history import AirflowApi, ApiLogin, run_history  # noqa: E402

BIN = Path(sys.executable).parent
TZ = ZoneInfo("Europe/Berlin")
NIGHTLY_RUNS = 3  # triggered nightly runs per kind of task process; the median is printed (machines are noisy)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def requests_of(landing_root: Path, run_id: str) -> int:
    """API requests the run's extracts made (from their manifests)."""
    return sum(int(m.data.get("requests") or 0) for m in landing.read_manifests(landing_root, run_id))


def wait_runs(api: AirflowApi, dag_id: str, count: int, timeout: float = 3600) -> list[dict[str, Any]]:
    """The DAG's runs once `count` of them exist and all have finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 1000})["dag_runs"]
        if len(runs) >= count and all(r["state"] in ("success", "failed") for r in runs):
            return runs
        time.sleep(2)
    raise SystemExit(f"{dag_id}: runs did not finish in {timeout:.0f} s")


def start_airflow(env: dict[str, str], work: Path) -> tuple[subprocess.Popen[bytes], AirflowApi]:
    """`make airflow`'s standalone, once it says it is ready."""
    out = work / "standalone.out"
    out.write_bytes(b"")
    with out.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "socialmetrics.run.standalone"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while b"Airflow UI:" not in out.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_airflow(proc)
            raise SystemExit(out.read_text(errors="replace")[-3000:])
        time.sleep(1)
    return proc, AirflowApi(ApiLogin.from_env(env))


def stop_airflow(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a user stops `make airflow`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def task_durations(api: AirflowApi, dag_id: str, run_id: str) -> dict[str, float]:
    """A run's task time by task (mapped extracts summed), from its task instances' durations."""
    from urllib.parse import quote

    tis = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances")
    by_task: dict[str, float] = {}
    for t in tis["task_instances"]:
        by_task[t["task_id"]] = by_task.get(t["task_id"], 0.0) + float(t.get("duration") or 0)
    return by_task


def task_seconds(api: AirflowApi, dag_id: str, run_id: str) -> float:
    """The summed durations of a run's task instances."""
    return sum(task_durations(api, dag_id, run_id).values())


def main() -> int:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--backfill-days", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sm-history-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "airflow"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Berlin",
        "SOCIALMETRICS_CONFIG": str(REPO / "config" / "socialmetrics.yml"),
        "SOCIALMETRICS_WAREHOUSE": str(work / "data" / "warehouse.duckdb"),
        "SOCIALMETRICS_AUTHOR_KEY": "benchmark-author-key-0123456789ab",
    }
    landing_root = work / "data" / "landing"
    today = dt.datetime.now(TZ).date()
    last = today - dt.timedelta(days=1)
    first = last - dt.timedelta(days=args.days - 1)
    results: dict[str, Any] = {}

    # 2. One nightly run over the year (lookback days-1), in its own Airflow home and warehouse.
    one = work / "one-run"
    one.mkdir(exist_ok=True)
    config = (REPO / "config" / "socialmetrics.yml").read_text(encoding="utf-8")
    config = config.replace("lookback_days: 28", f"lookback_days: {args.days - 1}")
    config = config.replace("import_dir: xing-import", f"import_dir: {REPO / 'config' / 'xing-import'}")
    (one / "socialmetrics.yml").write_text(config, encoding="utf-8")
    one_env = env | {
        "AIRFLOW_HOME": str(one / "airflow"),
        "SOCIALMETRICS_CONFIG": str(one / "socialmetrics.yml"),
        "SOCIALMETRICS_WAREHOUSE": str(one / "warehouse.duckdb"),
    }
    subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=one_env, check=True, capture_output=True)
    subprocess.run([str(BIN / "airflow"), "pools", "set", "duckdb", "1", "writer"], env=one_env, check=True,
                   capture_output=True)  # fmt: skip
    print(f"1/4 one nightly run over {first}..{last} (airflow dags test, lookback {args.days - 1}) ...", flush=True)
    from connectors.testing.sandbox.server import start_unless_credentials

    run_env = dict(one_env)
    servers = start_unless_credentials(run_env)
    started = time.monotonic()
    out = subprocess.run([str(BIN / "airflow"), "dags", "test", "social_metrics", last.isoformat()], env=run_env,
                         capture_output=True, text=True)  # fmt: skip
    results["one run"] = time.monotonic() - started
    for s in servers.values():
        s.stop()
    if out.returncode != 0:
        print(out.stdout[-3000:], out.stderr[-3000:])
        return 1
    results["one run requests"] = sum(
        int(json.loads(p.read_text()).get("requests") or 0) for p in (one / "landing").rglob(landing.MANIFEST)
    )

    # Airflow as `make airflow` runs it: first with cold task processes (each imports the task code itself),
    # for the nightly run's task time only; then warm (the scheduler imports it once), for everything.
    subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([str(BIN / "airflow"), "pools", "set", "duckdb", "1", "writer"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    for warm in (False, True):
        print(f"2/4 one nightly run of social_metrics, {'warm' if warm else 'cold'} task processes ...", flush=True)
        proc, api = start_airflow(env | {"SOCIALMETRICS_WARM_TASKS": "1" if warm else "0"}, work)
        try:
            before = len(api.call("GET", "/api/v2/dags/social_metrics/dagRuns", params={"limit": 1000})["dag_runs"])
            count = max(before, 1)
            wait_runs(api, "social_metrics", count)  # the run unpausing creates for the latest interval
            times: list[tuple[float, dict[str, float]]] = []
            for _ in range(NIGHTLY_RUNS):
                run = api.call("POST", "/api/v2/dags/social_metrics/dagRuns", json={"logical_date": None, "conf": {}})
                count += 1
                runs = wait_runs(api, "social_metrics", count)
                by_task = task_durations(api, "social_metrics", run["dag_run_id"])
                times.append((sum(by_task.values()), by_task))
                results["nightly requests"] = requests_of(landing_root, run["dag_run_id"])
            # `make airflow` unpauses only once the API answers: the run unpausing creates must not fail
            results["runs failed"] = results.get("runs failed", 0) + sum(r["state"] != "success" for r in runs)
            kind = "warm" if warm else "cold"
            median_time, median_split = sorted(times, key=lambda t: t[0])[len(times) // 2]
            results[f"nightly task time {kind}"] = median_time
            results[f"nightly task times {kind}"] = [round(t, 1) for t, _ in times]
            results[f"nightly split {kind}"] = {k: round(v, 1) for k, v in median_split.items()}
        finally:
            if not warm:
                stop_airflow(proc)
    try:
        # 1. The year through the UI path.
        print(f"3/4 history {first}..{last} through the REST API (socialmetrics history) ...", flush=True)
        started = time.monotonic()
        code = run_history(first, last, api=api, out=lambda line: None)
        results["history"] = time.monotonic() - started
        if code != 0:
            print("the history load failed; see the Airflow UI / logs in", home)
            return 1
        hist = api.call("GET", "/api/v2/dags/social_metrics_history/dagRuns")["dag_runs"][0]
        results["history requests"] = requests_of(landing_root, hist["dag_run_id"])
        results["history task time"] = task_seconds(api, "social_metrics_history", hist["dag_run_id"])

        # 3. The daily backfill of a slice, extrapolated.
        days = args.backfill_days
        b_first = first + dt.timedelta(days=30)
        print(f"4/4 daily backfill of {days} days ({b_first}..) through POST /api/v2/backfills ...", flush=True)
        before = len(api.call("GET", "/api/v2/dags/social_metrics/dagRuns", params={"limit": 1000})["dag_runs"])
        started = time.monotonic()
        api.call("POST", "/api/v2/backfills", json={
            "dag_id": "social_metrics",
            "from_date": dt.datetime.combine(b_first, dt.time(0, 0), TZ).isoformat(),
            "to_date": dt.datetime.combine(b_first + dt.timedelta(days=days - 1), dt.time(23, 0), TZ).isoformat(),
            "run_backwards": False, "dag_run_conf": {}, "reprocess_behavior": "none", "max_active_runs": 4,
        })  # fmt: skip
        runs = wait_runs(api, "social_metrics", before + days)
        results["backfill"] = time.monotonic() - started
        results["backfill requests"] = sum(
            requests_of(landing_root, r["dag_run_id"]) for r in runs if r["run_type"] == "backfill"
        )
    finally:
        stop_airflow(proc)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    per_day = results["backfill"] / args.backfill_days
    year_by_days = per_day * args.days
    requests_by_days = results["backfill requests"] / args.backfill_days * args.days
    print()
    print(f"History of {args.days} days, sandbox company, {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.1f} at the end):")  # fmt: skip
    print(f"  through the UI path (history DAG)   {results['history']:7.0f} s  "
          f"{results['history requests']:6d} requests  (task time {results['history task time']:.0f} s)")  # fmt: skip
    print(f"  one nightly run over the year       {results['one run']:7.0f} s  "
          f"{results['one run requests']:6d} requests  (X: only its last 7 days, the nightly refresh)")  # fmt: skip
    print(f"  daily backfill, {args.backfill_days} days measured     {results['backfill']:7.0f} s  "
          f"{results['backfill requests']:6d} requests  -> {year_by_days:.0f} s and {requests_by_days:.0f} requests a "
          f"year ({per_day:.1f} s a day)")  # fmt: skip
    cold, warm = results["nightly task time cold"], results["nightly task time warm"]
    print(f"  nightly run: task time {warm:.1f} s warm, {cold:.1f} s cold (ratio {warm / cold:.2f}; medians of "
          f"{results['nightly task times warm']} and {results['nightly task times cold']}), "
          f"{results['nightly requests']} requests")  # fmt: skip
    split = ", ".join(f"{k} {v:.1f} s" for k, v in results["nightly split warm"].items())
    monday = "; Monday: publish includes the weekly report" if today.weekday() == 0 else ""
    print(f"  nightly run, warm, by task (extracts summed): {split}{monday}")
    print(f"  nightly runs that failed (the first one starts while Airflow comes up): {results['runs failed']}")
    print("Ratios:")
    print(f"  history / one run over the year     {results['history'] / results['one run']:6.2f}  (target <= 3)")
    print(f"  history / daily backfill of a year  {results['history'] / year_by_days:6.3f}")
    print(f"  requests: history / one run         {results['history requests'] / results['one run requests']:6.2f}")
    print(f"  requests: history / daily backfill  {results['history requests'] / requests_by_days:6.3f}")
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
