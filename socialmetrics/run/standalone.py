"""`make airflow`: Airflow standalone on 127.0.0.1, with the sandbox APIs when no credentials are set.

Prints where to log in. Ctrl-C stops Airflow and every process it started (standalone spawns a
scheduler, a dag-processor, a triggerer and the api-server; signalling only the parent leaves them).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from connectors.testing.sandbox.server import start_unless_credentials
from socialmetrics import settings
from socialmetrics.run import airflow_preload, airflow_setup
from socialmetrics.run.cli import DEBUG_REFUSED, debug_logging_source, stop_on_signals

STARTUP_TIMEOUT_S = 180
DAG_PATTERN = "social_metrics"  # the nightly DAG, the history DAG, and one of each per company
# `kill -INT <make's pid>` reaches make only: GNU make then blocks the signal while it waits in its
# handler for its children, which never hear of it. Linux shows that in /proc/<pid>/status (SigBlk).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def parent_stopping(pid: int | None = None) -> bool:
    """True when the parent process (make) is gone or is handling a stop signal (Linux only)."""
    pid = os.getppid() if pid is None else pid
    if pid == 1:
        return True  # the parent died and we were adopted
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return False
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if "make" not in fields.get("Name", "").strip():
        return False  # only make is known to swallow the signal
    blocked = int(fields.get("SigBlk", "0").strip() or "0", 16)
    return any(blocked & (1 << (int(sig) - 1)) for sig in STOP_SIGNALS)


def main() -> int:
    """Run until interrupted."""
    env = settings.project_airflow_env(os.environ)  # `make airflow` sets these; a plain shell gets the same
    bin_dir = str(Path(sys.executable).parent)  # standalone starts its components as `airflow` from PATH
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("AIRFLOW__API__HOST", "127.0.0.1")
    env.setdefault("AIRFLOW__API__PORT", "8080")
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    # Task processes reach the API server's execution API at this address; Airflow's default assumes port 8080.
    api_url = f"http://{env['AIRFLOW__API__HOST']}:{env['AIRFLOW__API__PORT']}"
    env.setdefault("AIRFLOW__API__BASE_URL", api_url)
    env.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f"{api_url}/execution/")
    home = settings.airflow_home(env)
    source = debug_logging_source(env)
    if source:
        print(DEBUG_REFUSED.format(source=source).replace("make demo", "make airflow"), file=sys.stderr)
        return 2
    airflow_preload.install(home)  # the scheduler imports the task code once; each task forks from it warm
    servers = start_unless_credentials(env)
    if servers:
        print(
            "No credentials set: the DAG reads the built-in sandbox APIs "
            f"({', '.join(s.base_url for s in servers.values())}) while this runs."
        )
    # The writer pools of this setup (a company added since the last start gets its own), and no run left
    # waiting forever for a DAG that a switch between one company and a folder of companies removed.
    if airflow_setup.run(env, orphan_runs=True) != 0:
        return 2
    # Every task talks to the api-server's execution API: a run that starts before it listens fails and waits
    # for its retry. So the DAGs stay paused (a DAG the demo registered, or an earlier session unpaused, is
    # paused again) until the API answers; then they are unpaused through it.
    subprocess.run(
        [str(Path(bin_dir) / "airflow"), "dags", "pause", "--treat-dag-id-as-regex", "-y", f"^{DAG_PATTERN}"],
        env=env,
        capture_output=True,
        check=False,
    )
    log_path = home / "standalone.log"
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stop = stop_on_signals()
    url = f"http://{env['AIRFLOW__API__HOST']}:{env['AIRFLOW__API__PORT']}"
    password_file = home / "simple_auth_manager_passwords.json.generated"
    print(f"Starting Airflow (about a minute; log: {log_path}) ...", flush=True)
    announced = False
    started = time.monotonic()
    try:
        while not stop.is_set() and proc.poll() is None:
            if parent_stopping():
                print("make was interrupted: stopping Airflow.", flush=True)
                stop.set()
                break
            if not announced and _up(url) and password_file.exists() and _unpause(env):
                users = json.loads(password_file.read_text())
                logins = ", ".join(f"user '{u}', password '{p}'" for u, p in users.items())
                print(f"\nAirflow UI: {url}  ({logins}; stored in {password_file})")
                print(
                    "DAG social_metrics runs nightly at 03:00 Europe/Berlin. History (a year in minutes): "
                    "DAG social_metrics_history > Trigger, pick the first and last day; or "
                    "`.venv/bin/socialmetrics history --from DATE --to DATE`. Ctrl-C stops everything.",
                    flush=True,
                )
                announced = True
            if not announced and time.monotonic() - started > STARTUP_TIMEOUT_S:
                print(f"Airflow did not come up within {STARTUP_TIMEOUT_S} s; see {log_path}", file=sys.stderr)
                break
            time.sleep(1)
    finally:
        _stop_group(proc)
        for server in servers.values():
            server.stop()
        log.close()
    return 0 if stop.is_set() else (proc.returncode or 1)


def _unpause(env: dict[str, str]) -> bool:
    """Unpause the socialmetrics DAGs of this setup through the API, once the DAG processor has registered
    them; False while they are not registered yet. A DAG of an earlier setup (`social_metrics` before
    SOCIALMETRICS_CONFIG_DIR was set) stays paused: unpaused, it would schedule runs nothing can run."""
    from socialmetrics.run.history import AirflowApi, ApiLogin, HistoryError

    defined = set(settings.dag_ids())
    try:
        api = AirflowApi(ApiLogin.from_env(env))
        dags = api.call("GET", "/api/v2/dags", params={"dag_id_pattern": DAG_PATTERN, "limit": 1000})["dags"]
        names = [d["dag_id"] for d in dags if d["dag_id"] in defined]
        if len(names) < len(defined):
            return False  # the DAG file is not parsed yet
        for name in names:
            if next(d for d in dags if d["dag_id"] == name)["is_paused"]:
                api.call("PATCH", f"/api/v2/dags/{name}", json={"is_paused": False})
        print(f"Unpaused {', '.join(sorted(names))} (nightly runs, backfills and history loads start).")
        return True
    except HistoryError:
        return False


def _up(url: str) -> bool:
    import requests

    try:
        return requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole process group, then SIGKILL what is left after 30 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    print("Airflow stopped.")


if __name__ == "__main__":
    raise SystemExit(main())
