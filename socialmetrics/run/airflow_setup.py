"""What `make airflow` (at each start), `make airflow-db` (a new Airflow home) and docker-compose's
`airflow-init` set up in Airflow's metadata DB before Airflow starts. (`make demo` runs `airflow dags test`,
which schedules no pools.)

- The writer pools: `duckdb`, and one `duckdb__<slug>` per company config in $SOCIALMETRICS_CONFIG_DIR, 1 slot
  each (what docker-compose's `airflow-init` imports). A `duckdb__<slug>` pool of a company whose config is
  gone is deleted, unless a task that is not finished still uses it (then it is reported and kept).
- Runs left behind by a switch between one company and a folder of companies: queued or running runs of a
  socialmetrics DAG the DAG file no longer defines (`social_metrics` after SOCIALMETRICS_CONFIG_DIR was set,
  `social_metrics__<slug>` after a config was removed) would wait forever ("Dag not found during start up",
  up for reschedule). They are marked failed, with their unfinished tasks, and get a note saying why.

Run as `python -m socialmetrics.run.airflow_setup [--end-orphan-runs]` with Airflow's environment (it imports
Airflow and writes its metadata DB directly: Airflow is not running yet). Prints one line per change.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from connectors.errors import PermanentError
from socialmetrics import settings

POOL_PREFIX = f"{settings.DUCKDB_POOL}__"
DAG_PREFIX = settings.DAG_ID  # every socialmetrics DAG id starts with it
ORPHAN_NOTE = (
    "Ended by socialmetrics at Airflow's start: the DAG {dag_id} no longer exists in this setup ({setup}), so "
    "this run could never finish. Load its days again in the DAG of its company ({dag_ids})."
)
POOL_MISSING = (
    "the writer pool {pool} does not exist: restart `make airflow` or run "
    "`airflow pools set {pool} 1 'DuckDB has one writer process'` ({why})"
)
API_ATTEMPTS = 4
API_RETRY_S = 2.0
UNFINISHED_TI = ("scheduled", "queued", "running", "up_for_retry", "up_for_reschedule", "deferred", "restarting")


def _setup_text() -> str:
    folder = settings.config_dir()
    return f"SOCIALMETRICS_CONFIG_DIR={folder}" if folder else "one company, SOCIALMETRICS_CONFIG_DIR unset"


def sync_pools(session: Any) -> list[str]:
    """Create the missing writer pools and delete those of companies that are gone; one line per change."""
    from airflow.models.pool import Pool
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import func, select

    wanted = settings.duckdb_pools()
    existing = {p.pool: p for p in session.scalars(select(Pool))}
    lines = []
    for name, description in wanted.items():
        if name not in existing:
            session.add(Pool(pool=name, slots=1, description=description, include_deferred=False))
            lines.append(f"created the writer pool {name} (1 slot)")
    for name in sorted(n for n in existing if n.startswith(POOL_PREFIX) and n not in wanted):
        users = session.scalar(
            select(func.count()).where(TaskInstance.pool == name, TaskInstance.state.in_(UNFINISHED_TI))
        )
        if users:
            lines.append(
                f"kept the pool {name} of a company that is gone ({_setup_text()}): {users} unfinished task(s) "
                f"still use it; delete it with `airflow pools delete {name}` once they ended"
            )
            continue
        session.delete(existing[name])
        lines.append(f"deleted the pool {name}: its company's config is gone ({_setup_text()})")
    session.flush()
    return lines


def end_orphan_runs(session: Any, dag_ids: list[str] | None = None) -> list[str]:
    """Mark failed the queued and running runs (and their unfinished tasks) of socialmetrics DAGs that the DAG
    file no longer defines, each with a note saying why; one line per run."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    defined = settings.dag_ids() if dag_ids is None else dag_ids
    runs = session.scalars(
        select(DagRun).where(
            DagRun.dag_id.startswith(DAG_PREFIX),
            DagRun.dag_id.not_in(defined),
            DagRun.state.in_(("queued", "running")),
        )
    ).all()
    now = dt.datetime.now(dt.UTC)
    lines = []
    for run in runs:
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == run.dag_id,
                TaskInstance.run_id == run.run_id,
                TaskInstance.state.in_(UNFINISHED_TI) | TaskInstance.state.is_(None),
            )
        ).all()
        for ti in tis:
            ti.state = "failed"
            ti.end_date = now
        run.state = "failed"
        run.end_date = now
        nightly = [d for d in defined if not d.startswith(settings.HISTORY_DAG_ID)]
        names = ", ".join(nightly) if len(nightly) <= 3 else f"{nightly[0]}, ... ({len(nightly)} companies)"
        run.note = ORPHAN_NOTE.format(dag_id=run.dag_id, setup=_setup_text(), dag_ids=names)[:1000]
        lines.append(
            f"ended the run {run.run_id} of {run.dag_id} (failed, {len(tis)} unfinished task(s)): that DAG no "
            f"longer exists ({_setup_text()})"
        )
    session.flush()
    return lines


class PoolMissingError(RuntimeError, PermanentError):
    """A DAG's writer pool does not exist and could not be created: its `publish` would wait forever."""


def api_login(env: Mapping[str, str] | None = None) -> Any:
    """The REST API of the Airflow a task runs in: the execution API's server (which task processes are given)
    without `/execution/`, else `AIRFLOW__API__HOST/PORT`; the login as `socialmetrics history` finds it."""
    import dataclasses

    from socialmetrics.run.history import ApiLogin

    env = os.environ if env is None else env
    login = ApiLogin.from_env(env)
    execution = (env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL") or "").rstrip("/")
    if execution.endswith("/execution"):
        login = dataclasses.replace(login, url=execution.removesuffix("/execution"))
    return login


def _status(exc: Exception) -> int:
    """The HTTP status in socialmetrics.run.history's message of an answer ("Airflow answered 404 to ..."), else 0."""
    match = re.match(r"Airflow answered (\d{3}) ", str(exc))
    return int(match.group(1)) if match else 0


def _call(api: Any, method: str, path: str, **kwargs: Any) -> Any:
    """One REST call, repeated on a 5xx (Airflow on SQLite answers 500 while another process writes)."""
    from socialmetrics.run.history import HistoryError

    for attempt in range(1, API_ATTEMPTS + 1):
        try:
            return api.call(method, path, **kwargs)
        except HistoryError as exc:
            if _status(exc) < 500 or attempt == API_ATTEMPTS:
                raise
            time.sleep(API_RETRY_S * attempt)
    raise AssertionError("unreachable")


def ensure_pool(pool: str, api: Any = None, *, log: Any = print) -> str:
    """Make sure the writer pool `pool` exists before a run's writer is scheduled into it (the scheduler leaves
    a task of a missing pool 'scheduled' for good): create it through Airflow's REST API when it is missing.
    Returns what was found or done (and logs it); raises PoolMissingError (never retried) when it is missing
    and Airflow refuses to create it. Without a reachable API (`airflow dags test`, which ignores pools) it
    only says it could not check."""
    from socialmetrics.run.history import AirflowApi, HistoryError

    description = settings.duckdb_pools().get(pool, f"DuckDB has one writer process: every task writing {pool}")
    try:
        api = api or AirflowApi(api_login())
        _call(api, "GET", f"/api/v2/pools/{pool}")
        log(f"the writer pool {pool} exists")
        return f"the writer pool {pool} exists"
    except HistoryError as exc:
        if _status(exc) != 404:
            text = f"could not check the writer pool {pool} ({exc}); its writer waits for it if it is missing"
            log(text)
            return text
    body = {"name": pool, "slots": 1, "description": description, "include_deferred": False}
    try:
        _call(api, "POST", "/api/v2/pools", json=body)
    except HistoryError as exc:
        if _status(exc) >= 500:  # Airflow's own trouble: Airflow's retry of `plan` may find it working
            raise RuntimeError(POOL_MISSING.format(pool=pool, why=exc)) from None
        raise PoolMissingError(POOL_MISSING.format(pool=pool, why=exc)) from None
    text = f"created the missing writer pool {pool} (1 slot): a company config added while Airflow runs"
    log(text)
    return text


def prepare(*, orphan_runs: bool) -> list[str]:
    """Pools (and, with `orphan_runs`, the runs of DAGs that are gone) in one transaction of the metadata DB."""
    from airflow.utils.session import create_session

    with create_session() as session:
        lines = sync_pools(session)
        if orphan_runs:
            lines += end_orphan_runs(session)
    return lines


def run(env: Mapping[str, str], *, orphan_runs: bool) -> int:
    """`python -m socialmetrics.run.airflow_setup` in a process of its own with `env` (Airflow's configuration is
    read once per process); its lines are printed as they are. Returns its exit code."""
    cmd = [sys.executable, "-m", "socialmetrics.run.airflow_setup"] + (["--end-orphan-runs"] if orphan_runs else [])
    out = subprocess.run(cmd, env=dict(env), capture_output=True, text=True, check=False)
    if out.stdout.strip():
        print(out.stdout.rstrip(), flush=True)
    if out.returncode != 0:
        print(out.stderr[-2000:].rstrip(), file=sys.stderr, flush=True)
    return out.returncode


def main(argv: list[str] | None = None) -> int:
    """Entry point: print what was changed; exit 2 with one line when the company folder is wrong."""
    parser = argparse.ArgumentParser(prog="python -m socialmetrics.run.airflow_setup", description=__doc__)
    parser.add_argument("--end-orphan-runs", action="store_true", help="also end runs of DAGs that are gone")
    args = parser.parse_args(argv)
    try:
        lines = prepare(orphan_runs=args.end_orphan_runs)
    except ValueError as exc:  # settings.companies(): no folder, no config in it, two files of one slug
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    pools = ", ".join(settings.duckdb_pools())
    print(f"Writer pools: {pools} (1 slot each); home {os.environ.get('AIRFLOW_HOME', '~/airflow')}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
