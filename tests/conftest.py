"""Shared fixtures: a fresh sandbox per test, a temporary warehouse and landing zone, a frozen today.

And the suite's infrastructure: every temporary file inside the clone (`.tmp/`, removed after a passing
run), xdist groups for tests that must not share a worker with their kind, and the CI skip policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import Credentials, Window
from connectors.facebook import FacebookErrorPolicy
from connectors.http import HttpClient
from connectors.testing import FakeServer
from connectors.testing.sandbox.facebook import SANDBOX_TOKEN, FacebookSandbox
from socialmetrics import pipeline
from socialmetrics.config import Config, load_config

REPO = Path(__file__).resolve().parent.parent
# tests/data holds packages the tests build (a plugin with its own tests, run by tests/test_plugin.py in a
# process of their own): not collected with this project's tests
collect_ignore = ["data"]
TMP = REPO / ".tmp"  # TMPDIR of the whole run: pytest's tmp_path, Airflow homes, Chromium's files
TODAY = dt.date(2026, 11, 20)  # the frozen "today" of pipeline tests: data exists up to the 19th
NOW = dt.datetime.combine(TODAY, dt.time(10, 0), dt.UTC)


@pytest.fixture
def fb_sandbox() -> Iterator[FakeServer]:
    """The fake Graph API, its clock frozen at TODAY."""
    with FakeServer(FacebookSandbox(today=TODAY)) as server:
        yield server


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The sandbox company's config with its Facebook page (Xing tests bring their own files)."""
    path = tmp_path / "socialmetrics.yml"
    text = (REPO / "config" / "socialmetrics.yml").read_text(encoding="utf-8")
    start, end = text.index("  - network: linkedin"), text.index("campaigns:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")  # the Facebook page only
    return path


@dataclass
class Harness:
    """Runs the pipeline's task functions in order, the way the DAG does, without Airflow."""

    sandbox: FakeServer
    config_path: Path
    warehouse: Path
    landing: Path
    token: str = SANDBOX_TOKEN
    sleeps: list[float] = field(default_factory=list)
    timeout: tuple[float, float] = (2.0, 2.0)

    @property
    def cfg(self) -> Config:
        """The validated config."""
        return load_config(self.config_path)

    def credentials(self, conn_id: str) -> Credentials:
        """What the Airflow connection would give."""
        return Credentials(conn_id, self.token, self.sandbox.base_url)

    def http(self, conn_id: str = "facebook_default") -> HttpClient:
        """An HTTP client that records its waits instead of sleeping."""
        return HttpClient(
            FacebookErrorPolicy(), conn_id=conn_id, secrets=[self.token], sleep=self.sleeps.append, timeout=self.timeout
        )

    def run(self, logical_day: dt.date, *, run_id: str | None = None, backfill: bool = False) -> dict[str, Any]:
        """One DAG run: window, extract every account, load, check, transform, finish."""
        run_id = run_id or f"{'backfill' if backfill else 'manual'}__{logical_day}"
        logical = dt.datetime.combine(logical_day, dt.time(3, 0), dt.UTC)
        window = pipeline.run_window(logical, self.cfg, backfill=backfill, now=NOW)
        for acc in pipeline.plan(self.config_path):
            pipeline.extract(
                pipeline.account_from_dict(acc),
                window,
                run_id,
                credentials=self.credentials,
                landing_root=self.landing,
                today=TODAY,
                http=self.http(acc["conn_id"]),
                backfill=backfill,
            )
        loaded = pipeline.load(run_id, warehouse_path=self.warehouse, landing_root=self.landing)
        pipeline.check(run_id, loaded, self.cfg, warehouse_path=self.warehouse, today=TODAY)
        written = pipeline.run_transform(
            run_id, loaded, warehouse_path=self.warehouse, cfg=self.cfg, landing_root=self.landing, today=TODAY
        )
        pipeline.finish(run_id, self.cfg, landing_root=self.landing)
        return {"window": window, "loaded": loaded, "written": written}

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Read the warehouse."""
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def table_hash(self, table: str, exclude: tuple[str, ...] = ("run_id", "extracted_at")) -> str:
        """A content hash of a table, ignoring per-run provenance columns."""
        cols = [r[0] for r in self.query(f"DESCRIBE {table}") if r[0] not in exclude]
        quoted = ", ".join(f'"{c}"' for c in cols)  # columns named like keywords (start, end) too
        rows = self.query(f"SELECT {quoted} FROM {table} ORDER BY ALL")
        return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def harness(fb_sandbox: FakeServer, config_file: Path, tmp_path: Path) -> Harness:
    """A pipeline against a fresh sandbox and an empty warehouse."""
    return Harness(fb_sandbox, config_file, tmp_path / "warehouse.duckdb", tmp_path / "landing")


@pytest.fixture
def window_19() -> Window:
    """The last complete day of the frozen clock."""
    return Window(dt.date(2026, 11, 19), dt.date(2026, 11, 20))


AUTHOR_KEY = "test-author-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _isolated_environment(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Capture every log line (tests search them for secrets); keep key files and warehouses in tmp."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SOCIALMETRICS_AUTHOR_KEY", AUTHOR_KEY)
    monkeypatch.setenv("SOCIALMETRICS_WAREHOUSE", str(tmp_path / "env-warehouse.duckdb"))


AIRFLOW = str(Path(sys.executable).parent / "airflow")


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated Airflow home (SQLite) for the session's `airflow dags test` runs: the migration
    costs half a minute or more, so it is done once (per xdist worker; the `airflow` group keeps
    Airflow tests on one worker)."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIALMETRICS"))}
    env |= {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    out = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, cwd=home)
    assert out.returncode == 0, f"airflow db migrate:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return home


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary the report prints its PDF with; a skip without one (a failure in CI)."""
    from socialmetrics.serve.report.pdf import find_chromium

    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium: apt-get install -y chromium fonts-dejavu-core")
        pytest.skip("no Chromium here, so no PDF (CI installs it: apt-get install -y chromium fonts-dejavu-core)")
    return binary


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """Temporary files of the run (tmp_path, and whatever the code and the processes it starts put in
    TMPDIR) go to .tmp/ in the clone, not the system temp folder; xdist workers inherit it (they start
    after this hook)."""
    config.stash[_STARTED] = time.time()
    if not _is_xdist_worker(config):
        TMP.mkdir(exist_ok=True)
        os.environ["TMPDIR"] = str(TMP)
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again
        # and the caches of the report's charts and of Chromium in the clone, as `make report` has them
        os.environ.setdefault("MPLCONFIGDIR", str(REPO / ".cache" / "matplotlib"))
        os.environ.setdefault("XDG_CACHE_HOME", str(REPO / ".cache"))


_STARTED = pytest.StashKey[float]()

# Tests that must not run at the same time as others of their kind share an xdist group (with
# `--dist loadgroup` a group runs on one worker, one test after another):
HEAVY = {
    "services": "deployment",  # a whole Airflow deployment (PostgreSQL, Redis, Celery): the longest test
    "airflow": "airflow",  # Airflow processes (`dags test`, DagBag) and the session's migrated Airflow home
}
BROWSER = "browser"  # headless Chromium, one at a time
# Tests marked `airflow` that only import Airflow (a DAG's timetable, in this process or a DagBag in a
# subprocess with a home of its own) and start no Airflow component: their own lane, so that they run beside
# the `airflow` group (one worker, one test after another) instead of lengthening it. They set it explicitly.
TIMETABLE = "timetable"


def pytest_itemcollected(item: pytest.Item) -> None:
    """Give each test without an explicit `xdist_group` one: the group of its HEAVY marker; else, when it
    uses a module- or class-scoped fixture, its module's (the fixture is built once, on one worker); else
    `browser` for browser tests. Tests added later are grouped by the same rules. (Done as each test is
    collected: xdist reads the groups in its pytest_collection_modifyitems.)"""
    if item.get_closest_marker("xdist_group"):
        return
    group = next((g for marker, g in HEAVY.items() if item.get_closest_marker(marker)), None)
    if group is None:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info else []
        if any(d and d[-1].scope in ("module", "class", "package") for d in defs):
            group = item.nodeid.split("::", 1)[0]
    if group is None and item.get_closest_marker("browser"):
        group = BROWSER
    if group:
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker: write each test's group for the controller's scheduler (below). xdist 3.8's own
    loadgroup sets `item._nodeid`, which pytest 9.2 no longer reads, so its groups never reach the
    controller."""
    if not _is_xdist_worker(config):
        return
    groups = {}
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker:
            groups[item.nodeid] = str(marker.args[0] if marker.args else marker.kwargs.get("name", "default"))
    worker = config.workerinput["workerid"]  # type: ignore[attr-defined]
    target = _groups_file(config, worker)
    target.with_suffix(".tmp").write_text(json.dumps(groups), encoding="utf-8")
    target.with_suffix(".tmp").replace(target)


def _groups_file(config: pytest.Config, worker: str) -> Path:
    """Where a worker leaves its test groups: beside the workers' basetemp folders."""
    base = Path(config.option.basetemp).parent if _is_xdist_worker(config) else config._tmp_path_factory.getbasetemp()
    return base / f"xdist-groups-{worker}.json"


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup`: a group's tests on one worker, one after another; every other test on any."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                self.groups = {}
                for path in _groups_file(config, "x").parent.glob("xdist-groups-*.json"):
                    self.groups.update(json.loads(path.read_text(encoding="utf-8")))
            return self.groups.get(nodeid, nodeid)

    return GroupScheduling(config, log)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, a skipped test is a missing feature or service, not a pass. With xdist the controller
    counts the skips of every worker (their reports reach its terminal reporter)."""
    if _is_xdist_worker(session.config):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(f"CI forbids skips: {skipped} test(s) skipped", red=True)


@pytest.hookimpl(trylast=True)  # after pytest's own clean-up of a passing run's tmp_path folders
def pytest_unconfigure(config: pytest.Config) -> None:
    """After a run, remove what processes left in .tmp/ since it began (Chromium's and Airflow's files);
    pytest's own folders follow its retention policy (pyproject.toml: kept only for failed tests)."""
    if _is_xdist_worker(config) or os.environ.get("TMPDIR") != str(TMP) or not TMP.is_dir():
        return
    started = config.stash.get(_STARTED, time.time())
    for entry in TMP.iterdir():
        try:
            if entry.name.startswith("pytest-of-") or entry.lstat().st_mtime < started:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        except OSError:
            continue
