"""Files with personal data (landing pages, the warehouse, the readers' copy, data docs, reports) are for
their owner and group only, whatever the umask of the process; older versions' files are tightened."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import MalformedResponseError
from socialmetrics import files, pipeline
from tests.conftest import NOW, TODAY, Harness
from tests.test_faults import Rewrite, use_faults
from tests.test_readers import nightly

SUNDAY = dt.date(2026, 11, 15)  # its nightly run also writes the weekly report


@pytest.fixture
def data(harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The company's files in one folder (warehouse, landing, quality docs and reports beside it), written
    under the common umask 0o022 (files 0644, folders 0755 unless the code says otherwise)."""
    folder = tmp_path / "data"
    harness.warehouse = folder / "warehouse.duckdb"
    harness.landing = folder / "landing"
    monkeypatch.setenv("SOCIALMETRICS_WAREHOUSE", str(harness.warehouse))
    previous = os.umask(0o022)
    try:
        yield folder
    finally:
        os.umask(previous)


def walk(folder: Path) -> dict[str, int]:
    """Every file and folder under `folder` (itself as '.'), with its permission bits."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for parent, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(parent) / name
            found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def broken_extract(harness: Harness, run_id: str) -> None:
    """An extract whose insights answer is an HTML page every time: its pages go to landing/_failed/."""
    use_faults(harness, [Rewrite("/insights", b"<html>Gateway error</html>", times=99, content_type="text/html")])
    logical = dt.datetime.combine(SUNDAY, dt.time(3, 0), dt.UTC)
    window = pipeline.run_window(logical, harness.cfg, backfill=False, now=NOW)
    acc = pipeline.plan(harness.config_path)[0]
    with pytest.raises(MalformedResponseError):
        pipeline.extract(
            pipeline.account_from_dict(acc), window, run_id, credentials=harness.credentials,
            landing_root=harness.landing, today=TODAY, http=harness.http(acc["conn_id"]),
        )  # fmt: skip


def test_a_nightly_run_under_umask_022_leaves_nothing_other_users_can_read(harness: Harness, data: Path) -> None:
    """Given umask 0o022, when a nightly run covering Sunday runs the way the DAG does (extract, then the writer
    task: load, check with data docs, transform, the readers' copy, the weekly report) and a second extract
    fails on a malformed answer, then no file or folder under the company's folder has a bit for other users:
    files are 0640 and folders 0750 (the group reads, a BI reader among them)."""
    nightly(harness, SUNDAY, "scheduled__2026-11-15")
    broken_extract(harness, "broken")
    modes = walk(data)
    kinds = {
        "warehouse.duckdb": "the warehouse",
        "warehouse.marts.duckdb": "the readers' copy",
        "reports/brauerei-sonnenhang-gmbh/2026-W46.html": "the weekly report",
        "quality_docs/index.html": "the data docs",
        "landing/facebook": "a landing folder",
    }
    assert {kinds[k]: oct(modes[k]) for k in kinds} == {
        "the warehouse": "0o640",
        "the readers' copy": "0o640",
        "the weekly report": "0o640",
        "the data docs": "0o640",
        "a landing folder": "0o750",
    }
    pages = [k for k in modes if k.startswith("landing/facebook/") and k.endswith(".json")]
    failed = [k for k in modes if k.startswith("landing/_failed/") and k.endswith("malformed-answer.txt")]
    assert len(pages) == 3 and len(failed) == 1  # manifest, insights and posts; the failed answer
    assert {k: oct(m) for k, m in modes.items() if m & stat.S_IRWXO} == {}
    assert {oct(m) for k, m in modes.items() if (data / k).is_file()} == {"0o640"}
    assert {oct(m) for k, m in modes.items() if (data / k).is_dir()} == {"0o750"}
    assert os.umask(0o022) == 0o022  # the run gave the process its umask back


def test_files_an_older_version_left_readable_by_everyone_are_tightened_by_the_next_run_and_said_once(
    harness: Harness, data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a company folder an older version wrote world-readable (files 0644, folders 0755), when the next
    nightly run publishes, then nothing is readable by other users any more and the log says so in one line
    with how many it changed; a later tightening finds nothing to change and says nothing."""
    nightly(harness, SUNDAY, "scheduled__2026-11-15")
    opened = 0
    for name, mode in walk(data).items():
        if name != ".":
            (data / name).chmod(mode | (0o005 if (data / name).is_dir() else 0o004))
            opened += 1
    caplog.clear()
    nightly(harness, SUNDAY, "scheduled__2026-11-15-again")
    assert {k: oct(m) for k, m in walk(data).items() if m & stat.S_IRWXO} == {}
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("permissions:")]
    names = ("warehouse.duckdb", "warehouse.marts.duckdb", "landing", "reports", "quality_docs")
    roots = ", ".join(str(data / name) for name in names)
    assert said == [
        f"permissions: {opened} files and folders in {roots} were readable by every user of this machine (an older "
        "version created them so); now only their owner and group can read them"
    ]
    caplog.clear()
    assert files.tighten([data]) == 0
    assert [r for r in caplog.records if r.getMessage().startswith("permissions:")] == []
