"""Shared fixtures: a fresh sandbox per test, a temporary warehouse and landing zone, a frozen today."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.base import Credentials, Window
from connectors.facebook import FacebookErrorPolicy
from connectors.http import HttpClient
from socialmetrics import pipeline
from socialmetrics.config import Config, load_config
from socialmetrics.sandbox.facebook import SANDBOX_TOKEN, FacebookSandbox
from socialmetrics.sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 20)  # the frozen "today" of pipeline tests: data exists up to the 19th
NOW = dt.datetime.combine(TODAY, dt.time(10, 0), dt.UTC)


@pytest.fixture
def fb_sandbox() -> Iterator[SandboxServer]:
    """The fake Graph API, its clock frozen at TODAY."""
    with SandboxServer(FacebookSandbox(today=TODAY)) as server:
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

    sandbox: SandboxServer
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
def harness(fb_sandbox: SandboxServer, config_file: Path, tmp_path: Path) -> Harness:
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, a skipped test is a missing feature or service, not a pass."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(f"CI forbids skips: {skipped} test(s) skipped", red=True)
