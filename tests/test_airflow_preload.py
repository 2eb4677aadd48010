"""Warm task processes: the scheduler (and Celery workers) import the task code once, through Airflow's
airflow_local_settings hook, so the task processes they fork start without importing it again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from socialmetrics.run import airflow_preload

PROBE = """
import sys
sys.argv = {argv!r}
from socialmetrics.run.airflow_preload import preload
print(preload(), "great_expectations" in sys.modules, "socialmetrics.check.quality" in sys.modules)
"""


def probe(argv: list[str], **env: str) -> str:
    """What preload does in a fresh interpreter started as `argv`."""
    import os

    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], env=os.environ | env, capture_output=True,
                         text=True, check=True, timeout=300)  # fmt: skip
    return out.stdout.split("\n")[-2]


def test_the_scheduler_imports_the_task_code_and_the_cli_does_not() -> None:
    assert probe(["airflow", "scheduler"]) == "True True True"
    assert probe(["airflow", "dags", "list"]) == "False False False"


def test_warm_tasks_can_be_turned_off() -> None:
    assert probe(["airflow", "celery", "worker"], SOCIALMETRICS_WARM_TASKS="0") == "False False False"


def test_install_writes_airflows_hook_and_never_overwrites_a_file_of_someone_else(tmp_path: Path, capsys) -> None:
    written = airflow_preload.install(tmp_path)
    assert written == tmp_path / "config" / "airflow_local_settings.py"
    assert "from socialmetrics.run.airflow_preload import preload" in written.read_text()
    assert airflow_preload.install(tmp_path) == written  # ours: rewritten
    written.write_text("def task_policy(task):\n    pass\n")
    assert airflow_preload.install(tmp_path) is None
    assert written.read_text() == "def task_policy(task):\n    pass\n"
    assert "add these lines to it" in capsys.readouterr().out
