"""Warm task processes: import the task code once where Airflow forks task processes from.

Airflow's LocalExecutor (what `make airflow` runs) forks every task process from a long-lived worker
process, itself forked from the scheduler; Celery's prefork pool forks its children from the worker. A
task that imports pyarrow, pandas, duckdb and Great Expectations itself pays 3-10 s on a small machine for
a second of work; forked from a process that already imported them, it pays nothing. So the processes that
fork tasks (`airflow scheduler`, `airflow celery worker`) import them at start, through Airflow's own
hook: `$AIRFLOW_HOME/config/airflow_local_settings.py`, which `make airflow-db` writes (see `install`).
The CLI, the api-server and the DAG processor are left alone. Only modules are imported: no connection,
thread or file is opened before the fork.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

WARM_ENV = "SOCIALMETRICS_WARM_TASKS"
FORKING_COMMANDS = ("scheduler", "celery")  # `airflow scheduler`, `airflow celery worker`
LOCAL_SETTINGS = "airflow_local_settings.py"
MARK = "# socialmetrics: warm task processes"
HOOK = f"""{MARK} (written by `make airflow-db`; see socialmetrics/run/airflow_preload.py)
from socialmetrics.run.airflow_preload import preload

preload()
"""


def forks_tasks(argv: list[str]) -> bool:
    """True for the Airflow commands whose processes fork task processes."""
    return len(argv) > 1 and argv[1] in FORKING_COMMANDS


def preload(argv: list[str] | None = None) -> bool:
    """Import the task code when this process forks tasks; True when it did. `SOCIALMETRICS_WARM_TASKS=0`
    turns it off (each task then imports what it needs itself)."""
    if os.environ.get(WARM_ENV, "1") == "0" or not forks_tasks(sys.argv if argv is None else argv):
        return False
    started = time.perf_counter()
    import duckdb  # noqa: F401
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    import socialmetrics.check.quality  # noqa: F401
    import socialmetrics.pipeline  # noqa: F401
    import socialmetrics.transform.comment_analysis  # noqa: F401
    import socialmetrics.transform.runner  # noqa: F401
    from connectors import registry

    registry.available()  # every installed connector (a plugin installed later needs a scheduler restart)
    log.info("socialmetrics: task code imported in %.1f s for the task processes this one forks",
             time.perf_counter() - started)  # fmt: skip
    return True


def install(airflow_home: Path) -> Path | None:
    """Write the hook into `airflow_home`/config, unless a local settings file of someone else's is there
    (then say how to add the two lines to it). Returns the file written, or None."""
    path = airflow_home / "config" / LOCAL_SETTINGS
    if path.exists() and MARK not in path.read_text(encoding="utf-8"):
        print(f"{path} exists: add these lines to it for warm task processes:\n{HOOK}")
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HOOK, encoding="utf-8")
    return path


if __name__ == "__main__":  # python -m socialmetrics.run.airflow_preload AIRFLOW_HOME
    written = install(Path(sys.argv[1]))
    if written:
        print(f"Warm task processes: {written}")
