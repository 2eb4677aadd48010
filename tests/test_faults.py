"""Fault injection from outside the sandbox: each bad-night answer is made by a transport of this file
(it rewrites what the sandbox answered), and each test asserts that core and marts afterwards equal
what they were before, plus the message the user sees."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from connectors.base import ExtractTimeoutError, LimitExceededError, MalformedResponseError, Window
from connectors.facebook import FacebookErrorPolicy
from connectors.http import ErrorPolicy, HttpClient
from connectors.testing import FakeServer
from connectors.testing.sandbox.x import XSandbox
from socialmetrics import pipeline
from socialmetrics.config import ConfigError, load_config
from tests.conftest import REPO, TODAY, Harness
from tests.test_x import DAY, XRun

EMPTY_X = {"meta": {"result_count": 0}}  # X API v2 leaves out `data` when nothing matches


@dataclass
class Rewrite:
    """For the next `times` requests whose path contains `match`: answer `status`/`body` instead."""

    match: str
    body: bytes | Callable[[bytes], bytes]
    status: int = 200
    times: int = 1
    content_type: str = "application/json"
    delay_s: float = 0.0


class RewritingAdapter(HTTPAdapter):
    """A transport that sends every request to the real (sandbox) server, then replaces the answer of
    matching requests: the faults of a bad night, made outside the sandbox."""

    def __init__(self, rules: list[Rewrite]) -> None:
        super().__init__()
        self.rules = rules
        self.rewritten: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = urlparse(request.url or "").path
        for rule in self.rules:
            if rule.times > 0 and rule.match in path and rule.delay_s:
                time.sleep(rule.delay_s)
        real = super().send(request, **kwargs)
        for rule in self.rules:
            if rule.times > 0 and rule.match in path:
                rule.times -= 1
                self.rewritten.append(path)
                body = rule.body(real.content) if callable(rule.body) else rule.body
                fake = requests.Response()
                fake.status_code = rule.status
                fake._content = body  # noqa: SLF001 (a transport builds its Response)
                fake._content_consumed = True  # type: ignore[attr-defined] # noqa: SLF001
                fake.headers = CaseInsensitiveDict(
                    {"Content-Type": rule.content_type, "Content-Length": str(len(body))}
                )
                fake.url = request.url or ""
                fake.request = request
                fake.encoding = "utf-8"
                return fake
        return real


def faulty_session(rules: list[Rewrite]) -> requests.Session:
    session = requests.Session()
    adapter = RewritingAdapter(rules)
    session.mount("http://", adapter)
    return session


def use_faults(harness: Harness, rules: list[Rewrite]) -> None:
    """Make the harness's HTTP clients go through the rewriting transport."""

    def http(conn_id: str = "facebook_default") -> HttpClient:
        return HttpClient(
            FacebookErrorPolicy(), conn_id=conn_id, secrets=[harness.token], sleep=harness.sleeps.append,
            timeout=harness.timeout, session=faulty_session(rules),
        )  # fmt: skip

    harness.http = http  # type: ignore[method-assign]


# The marts of the run records (which runs loaded what, their warnings and failed checks) change with every run by
# design: a bad night is recorded there (that is how the report names it), so "nothing published changed" leaves
# them out.
RUN_RECORD_MARTS = ("marts.account_coverage_weekly", "marts.run_issues", "marts.week_runs")


def fingerprint(warehouse: Path) -> dict[str, str]:
    """A content hash of every core and marts table (per-run provenance columns and the run records' marts left
    out)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name IN ('core', 'marts') "
            "ORDER BY 1"
        ).fetchall()
        found = {}
        for (table,) in tables:
            if table in RUN_RECORD_MARTS:
                continue
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in ("run_id", "extracted_at")]
            quoted = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f"SELECT {quoted} FROM {table} ORDER BY ALL").fetchall()
            found[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return found
    finally:
        con.close()


def query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# -- 1. an empty (or far too small) answer never deletes published numbers ---------------------------


def test_empty_facebook_insights_keep_the_published_days_and_fail_the_run(harness: Harness) -> None:
    """Given a published night, when page insights answer {"data": []} on the rerun, then core and marts
    are unchanged, meta.suspicious_loads says why, and the run fails naming the stream."""
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    use_faults(harness, [Rewrite("/insights", b'{"data": []}', times=99)])
    with pytest.raises(pipeline.ExtractFailedError) as err:
        harness.run(dt.date(2026, 11, 19), run_id="empty")
    assert fingerprint(harness.warehouse) == before
    assert query(harness.warehouse, "SELECT count(*) FROM marts.reach_daily WHERE network = 'facebook'") == [(29,)]
    message = str(err.value)
    assert "page_insights" in message and "answered 0 days where 29 are published" in message
    assert "kept" in message and "empty_answers: warn" in message
    kept = query(
        harness.warehouse,
        "SELECT stream, kind, published, answered, outcome FROM meta.suspicious_loads WHERE run_id = 'empty'",
    )
    assert kept == [("page_insights", "daily_metrics", 29, 0, "kept: empty answer")]


def test_an_empty_posts_answer_keeps_posts_numbers_and_comments(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    posts_before = query(harness.warehouse, "SELECT count(*) FROM marts.post_performance")[0][0]
    use_faults(harness, [Rewrite("/published_posts", b'{"data": []}', times=99)])
    with pytest.raises(pipeline.ExtractFailedError, match=r"facebook/\d+ posts.*answered 0 posts"):
        harness.run(dt.date(2026, 11, 19), run_id="empty")
    assert fingerprint(harness.warehouse) == before
    assert query(harness.warehouse, "SELECT count(*) FROM marts.post_performance")[0][0] == posts_before > 0
    kinds = query(harness.warehouse, "SELECT kind FROM meta.suspicious_loads WHERE run_id = 'empty' ORDER BY 1")
    assert kinds == [("comments",), ("post_metrics",), ("posts",)]


def test_far_fewer_posts_than_published_are_kept_too(harness: Harness) -> None:
    """Given 90 days of published posts, when the answer holds only the first two posts, the posts stay."""
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)

    def first_two(real: bytes) -> bytes:
        body = json.loads(real)
        body["data"] = body["data"][:2]
        body.pop("paging", None)
        return json.dumps(body).encode()

    use_faults(harness, [Rewrite("/published_posts", first_two, times=99)])
    with pytest.raises(pipeline.ExtractFailedError, match="answered 2 posts where"):
        harness.run(dt.date(2026, 11, 19), run_id="small")
    assert fingerprint(harness.warehouse) == before


def test_with_empty_answers_warn_the_run_succeeds_keeps_the_numbers_and_says_so(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.config_path.write_text(harness.config_path.read_text() + "empty_answers: warn\n")
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    use_faults(harness, [Rewrite("/insights", b'{"data": []}', times=99)])
    harness.run(dt.date(2026, 11, 19), run_id="empty")
    assert fingerprint(harness.warehouse) == before
    assert "the published numbers were kept" in caplog.text
    warnings = query(harness.warehouse, "SELECT stream, code FROM meta.connector_warnings WHERE run_id = 'empty'")
    assert ("page_insights", "empty-answer-kept") in warnings
    assert (
        "Kept published numbers: facebook/104857600000001 page_insights answered empty or far too little in "
        "run empty" in pipeline.summary(harness.warehouse)
    )
    harness.http = Harness.http.__get__(harness)  # type: ignore[method-assign]  # the API is well again
    harness.run(dt.date(2026, 11, 19), run_id="well")
    assert "Kept published numbers" not in pipeline.summary(harness.warehouse)


def test_a_new_page_without_posts_loads_its_empty_answer(harness: Harness) -> None:
    """Nothing is published yet: an empty posts answer is the truth, and the run succeeds."""
    use_faults(harness, [Rewrite("/published_posts", b'{"data": []}', times=99)])
    harness.run(dt.date(2026, 11, 19), run_id="first")
    assert query(harness.warehouse, "SELECT count(*) FROM raw.posts") == [(0,)]
    assert query(harness.warehouse, "SELECT count(*) FROM marts.reach_daily") == [(29,)]
    assert query(harness.warehouse, "SELECT count(*) FROM meta.suspicious_loads") == [(0,)]


@pytest.fixture
def x_run(tmp_path: Path) -> Any:
    with FakeServer(XSandbox(today=TODAY)) as server:
        yield XRun(tmp_path, server)


def x_faults(xr: XRun, rules: list[Rewrite]) -> None:
    def http() -> HttpClient:
        return HttpClient(ErrorPolicy(), conn_id="x_default", secrets=[xr.token], sleep=xr.sleeps.append,
                          timeout=(2.0, 5.0), session=faulty_session(rules))  # fmt: skip

    xr.http = http  # type: ignore[method-assign]


def x_finish(xr: XRun) -> None:
    from socialmetrics.config import load_config

    pipeline.finish(f"scheduled__{DAY}", load_config(xr.config), landing_root=xr.landing)


def test_an_empty_x_timeline_keeps_posts_and_snapshots(x_run: XRun) -> None:
    x_run.run(DAY)
    before = fingerprint(x_run.warehouse)
    snapshots = query(x_run.warehouse, "SELECT count(*) FROM raw.post_snapshots")[0][0]
    x_faults(x_run, [Rewrite("/tweets", json.dumps(EMPTY_X).encode(), times=99)])
    x_run.run(DAY)
    with pytest.raises(pipeline.ExtractFailedError, match=r"x/\d+ posts.*answered 0 posts"):
        x_finish(x_run)
    assert fingerprint(x_run.warehouse) == before
    assert query(x_run.warehouse, "SELECT count(*) FROM raw.post_snapshots")[0][0] == snapshots > 0


def test_an_empty_reply_search_keeps_the_replies(x_run: XRun) -> None:
    x_run.run(DAY)
    before = fingerprint(x_run.warehouse)
    replies = query(x_run.warehouse, "SELECT count(*) FROM core.comment WHERE network = 'x'")[0][0]
    x_faults(x_run, [Rewrite("/search/recent", json.dumps(EMPTY_X).encode(), times=99)])
    x_run.run(DAY)
    with pytest.raises(pipeline.ExtractFailedError, match="replies.*answered 0 comments"):
        x_finish(x_run)
    assert fingerprint(x_run.warehouse) == before
    assert query(x_run.warehouse, "SELECT count(*) FROM core.comment WHERE network = 'x'")[0][0] == replies > 0


# -- 2. a malformed answer is retried like a 5xx; one that persists fails with the page kept ----------


def truncated(real: bytes) -> bytes:
    return real[: len(real) // 2]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(truncated, "application/json"), (b"<html><body>Proxy error, try again</body></html>", "text/html")],
    ids=["truncated-json", "html-with-200"],
)
def test_a_one_off_malformed_answer_is_retried_and_the_night_publishes(
    harness: Harness, body: Any, content_type: str
) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    use_faults(harness, [Rewrite("/insights", body, times=1, content_type=content_type)])
    harness.run(dt.date(2026, 11, 19), run_id="flaky")
    assert len(harness.sleeps) == 1  # one backoff, then the answer was good
    assert fingerprint(harness.warehouse) == before
    # the night published: every part the good run loaded was loaded again, and the transform ran for it
    parts = "SELECT kind, stream, window_start, window_end, rows_loaded FROM meta.loads WHERE run_id = ? ORDER BY ALL"
    assert query(harness.warehouse, parts, ["flaky"]) == query(harness.warehouse, parts, ["good"]) != []
    transforms = "SELECT count(DISTINCT tbl) FROM meta.transforms WHERE run_id = ?"
    assert query(harness.warehouse, transforms, ["flaky"]) == query(harness.warehouse, transforms, ["good"])


def test_a_malformed_answer_that_persists_fails_with_the_page_kept_and_scrubbed(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    page = f"<html>Gateway error for /insights?access_token={harness.token}</html>".encode()
    use_faults(harness, [Rewrite("/insights", page, times=99, content_type="text/html")])
    with pytest.raises(MalformedResponseError) as err:
        harness.run(dt.date(2026, 11, 19), run_id="broken")
    message = str(err.value)
    assert "not JSON" in message and "the same after 6 attempts" in message and "kept" in message
    assert harness.token not in message
    kept = list(harness.landing.glob("_failed/facebook/*/broken/malformed-answer.txt"))
    assert len(kept) == 1 and str(kept[0]) in message
    assert "Gateway error" in kept[0].read_text() and harness.token not in kept[0].read_text()
    assert fingerprint(harness.warehouse) == before
    assert len(harness.sleeps) == 5


# -- 3. secrets in the config are recognised by pattern; unknown options are errors -------------------

META_TOKEN = "EAAB" + "x7Kq2Lm9Pz4Rt8Vw3Yn6Bc1Df5Gh0Jk" * 3


def account_config(tmp_path: Path, network: str, option: str) -> Path:
    path = tmp_path / "c.yml"
    path.write_text(f"company: T\naccounts:\n  - network: {network}\n    id: '1'\n    {option}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "option",
    [
        f"page_access_token: {META_TOKEN}",
        "Token: not-even-long",
        "API_KEY: abc",
        "client_credential: abc",
        f"metrics: [page_media_view, '{META_TOKEN}']",
        "note: Bearer abcdefghijkl12345",
        "extra_value: 9f8e7d6c5b4a39281706f5e4d3c2b1a0Zz9Yy8Xx",
    ],
    ids=["name-access-token", "name-Token", "name-API_KEY", "name-credential", "meta-token-value", "bearer-value",
         "high-entropy-value"],
)  # fmt: skip
def test_a_secret_in_the_config_is_refused_naming_the_connection_and_never_echoed(
    tmp_path: Path, option: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = account_config(tmp_path, "facebook", option)
    with pytest.raises(ConfigError, match="secret|token") as err:
        pipeline.plan(path)  # what the DAG's plan task (and its XCom) would hold
    message = str(err.value)
    assert "Airflow connection 'facebook_default'" in message
    value = option.split(":", 1)[1].strip()
    for secret in (META_TOKEN, "abcdefghijkl12345", "9f8e7d6c5b4a39281706f5e4d3c2b1a0Zz9Yy8Xx", value):
        if secret in option and len(secret) > 8:
            assert secret not in message and secret not in caplog.text


def test_ids_paths_and_metric_names_are_not_taken_for_secrets(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        "company: T\naccounts:\n  - network: facebook\n    id: '104857600000001'\n    name: Brauerei Sonnenhang\n"
        "    metrics: [page_total_media_view_unique, page_daily_follows_unique]\n"
        "  - network: xing\n    id: brauerei-sonnenhang\n    import_dir: Brauerei-Sonnenhang/Import2026/Q4-Exporte\n",
        encoding="utf-8",
    )
    assert [a.id for a in load_config(path).accounts] == ["104857600000001", "brauerei-sonnenhang"]


def test_an_unknown_account_option_is_an_error_that_names_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(account_config(tmp_path, "x", "read_budjet: 5"))
    assert "unknown option 'read_budjet' for a x account (did you mean 'read_budget'?)" in str(err.value)
    assert "valid options: max_page_mb, read_budget, time_limit_minutes" in str(err.value)


# -- 5. a rejected input fails the run (the good files are still published) ---------------------------


def test_a_rejected_xing_file_fails_the_run_after_the_good_file_loads(harness: Harness, tmp_path: Path) -> None:
    from connectors.testing.sandbox.company import xing_month_csv

    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "okt.csv").write_text(xing_month_csv(2026, 10), encoding="utf-8")
    (tmp_path / "imports" / "nov.csv").write_text("Datum;Impressionen\n01.11.2026;12,5k\n", encoding="utf-8")
    harness.config_path.write_text(
        "company: T\naccounts:\n  - network: xing\n    id: acme\n    import_dir: imports\n", encoding="utf-8"
    )
    with pytest.raises(pipeline.ExtractFailedError) as err:
        harness.run(dt.date(2026, 11, 19))
    assert "1 input file(s) were rejected, the rest loaded: xing/acme: nov.csv: Zeile 2" in str(err.value)
    assert query(harness.warehouse, "SELECT count(*) FROM marts.reach_daily") == [(31,)]


# -- 8. limits: time per extract, size per page and per file ----------------------------------------


class EndlessBody(threading.Thread):
    """A server of this test: answers 200 and then streams JSON-looking bytes without end (no
    Content-Length), counting what it managed to send before the client hung up."""

    def __init__(self) -> None:
        import socket

        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sent = 0

    def run(self) -> None:
        conn, _ = self.sock.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        chunk = b'{"data": [' + b'{"value": 1},' * 5000
        try:
            while self.sent < 500 * 1024 * 1024:
                conn.sendall(chunk)
                self.sent += len(chunk)
        except OSError:
            pass
        finally:
            conn.close()
            self.sock.close()


def test_a_page_over_the_size_limit_is_refused_while_it_streams() -> None:
    server = EndlessBody()
    server.start()
    client = HttpClient(ErrorPolicy(), conn_id="c", sleep=lambda s: None, timeout=(2.0, 5.0))
    client.limit(max_page_bytes=1024 * 1024)
    with pytest.raises(LimitExceededError, match="more than 1 MB for one page.*raise `max_page_mb`"):
        client.get_json(f"http://127.0.0.1:{server.port}/big")
    server.join(timeout=10)
    assert client.requests_made == 1  # never retried
    assert server.sent < 20 * 1024 * 1024  # the client hung up near the limit, not after 500 MB


def test_an_account_over_its_page_limit_fails_clearly_and_keeps_the_data(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    text = harness.config_path.read_text().replace(
        "    name: Brauerei Sonnenhang\n", "    name: Brauerei Sonnenhang\n    max_page_mb: 0.05\n", 1
    )
    harness.config_path.write_text(text)
    big = json.dumps({"data": [{"name": "page_media_view", "period": "day", "values": []}] * 2000}).encode()
    use_faults(harness, [Rewrite("/insights", big, times=99)])
    with pytest.raises(LimitExceededError, match=r"more than 0 MB|more than 0\.05 MB"):
        harness.run(dt.date(2026, 11, 19), run_id="big")
    assert fingerprint(harness.warehouse) == before


def test_an_extract_over_its_time_limit_stops_with_a_clear_error(harness: Harness) -> None:
    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    harness.config_path.write_text(harness.config_path.read_text() + "limits:\n  time_limit_minutes: 0.02\n")
    use_faults(harness, [Rewrite("/insights", lambda real: real, delay_s=1.5, times=99)])
    started = time.monotonic()
    with pytest.raises(ExtractTimeoutError, match="time limit of 0.02 minutes.*raise `time_limit_minutes`"):
        harness.run(dt.date(2026, 11, 19), run_id="slow")
    assert time.monotonic() - started < 10
    assert fingerprint(harness.warehouse) == before


def test_a_xing_file_over_the_limit_is_rejected_without_reading_it_whole(tmp_path: Path) -> None:
    from connectors.base import Account
    from connectors.xing import XingConnector

    (tmp_path / "imports").mkdir()
    with (tmp_path / "imports" / "huge.csv").open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB long, no disk used
    account = Account("xing", "acme", options={"import_dir": str(tmp_path / "imports"), "max_file_mb": 5})
    connector = XingConnector(account, today=TODAY)
    tracemalloc.start()
    pages = list(connector.fetch(XingConnector.streams[0], Window(dt.date(2026, 1, 1), dt.date(2026, 2, 1))))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert pages == [] and peak < 10 * 1024 * 1024
    assert "huge.csv" in connector.warnings[0].message and "larger than 5 MB" in connector.warnings[0].message


# -- 4. no path prints a token: DEBUG logging (Airflow's supervisor prints MaskSecret values) is refused ----


class Recorder:
    """Stands in for subprocess.run: records the call, answers with `returncode` and `output`."""

    def __init__(self, returncode: int = 0, output: str = "") -> None:
        self.calls: list[list[str]] = []
        self.returncode = returncode
        self.output = output

    def __call__(self, cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(cmd)
        return subprocess.CompletedProcess(cmd, self.returncode, self.output, "")


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Recorder:
    from socialmetrics.run import cli

    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.delenv("AIRFLOW__LOGGING__LOGGING_LEVEL", raising=False)
    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(REPO / "config" / "socialmetrics.yml"))
    recorder = Recorder()
    monkeypatch.setattr(cli.subprocess, "run", recorder)
    # the demo streams `airflow dags test` task by task through run_dag_test: it answers from the recorder too
    monkeypatch.setattr(cli, "run_dag_test", lambda cmd, env, verbose=False: recorder(cmd))
    monkeypatch.setattr(cli, "cmd_summary", lambda args: 0)
    monkeypatch.setattr("connectors.testing.sandbox.server.start_unless_credentials", lambda env: {})
    return recorder


def test_demo_refuses_debug_logging_before_airflow_runs(
    demo_env: Recorder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from socialmetrics.run import cli

    monkeypatch.setenv("AIRFLOW__LOGGING__LOGGING_LEVEL", "debug")
    assert cli.main(["demo", "--date", "2026-11-19"]) == 2
    assert demo_env.calls == []  # `airflow dags test` never started
    err = capsys.readouterr().err
    assert "prints every connection's token in clear" in err and "AIRFLOW__LOGGING__LOGGING_LEVEL=INFO" in err


def test_debug_in_airflow_cfg_is_refused_too(demo_env: Recorder, tmp_path: Path, capsys: Any) -> None:
    from socialmetrics.run import cli

    (tmp_path / "airflow").mkdir()
    (tmp_path / "airflow" / "airflow.cfg").write_text("[logging]\nlogging_level = DEBUG\n", encoding="utf-8")
    assert cli.main(["demo", "--date", "2026-11-19"]) == 2
    assert demo_env.calls == [] and "logging_level in" in capsys.readouterr().err


def test_make_airflow_refuses_debug_logging(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    from socialmetrics.run import standalone

    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__LOGGING__LOGGING_LEVEL", "DEBUG")
    started: list[Any] = []
    monkeypatch.setattr(standalone, "start_unless_credentials", lambda env: started.append(env) or {})
    assert standalone.main() == 2
    assert started == [] and "make airflow" in capsys.readouterr().err


# -- 6. `make demo` ends with the cause of a failed run ---------------------------------------------


def test_a_failed_demo_run_ends_with_its_cause(demo_env: Recorder, capsys: pytest.CaptureFixture[str]) -> None:
    """Given Airflow output whose cause is far from its end (it is followed by pages of teardown
    lines), the demo's last lines still name it."""
    from socialmetrics.run import cli

    cause = "no connector for network 'myspace' (installed: facebook, linkedin, x, xing)"
    demo_env.returncode = 1
    demo_env.output = (
        "INFO - Filling up the DagBag\n" * 50
        + 'Traceback (most recent call last):\n  File "/dags/social_metrics.py", line 9, in plan\n'
        + f"airflow.sdk.exceptions.AirflowFailException: {cause}\n"
        + "[2026-12-06T22:30:00] INFO - Marking run <DagRun social_metrics> failed\n" * 300
    )
    assert cli.main(["demo", "--date", "2026-11-19"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-3:]
    assert last[0].startswith("error: the DAG run for 2026-11-19 failed (exit 1)")
    assert last[1:] == ["Why:", f"  AirflowFailException: {cause}"]


# -- 9. a second run of the same date at once is refused --------------------------------------------


def test_a_second_demo_of_the_same_date_is_refused_while_the_first_runs(
    demo_env: Recorder, tmp_path: Path, capsys: Any
) -> None:
    from socialmetrics.run import cli

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from socialmetrics.run.cli import claim_run_date; "
         f"h, _ = claim_run_date('2026-11-19', {{'AIRFLOW_HOME': {str(tmp_path / 'airflow')!r}}}); "
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert cli.main(["demo", "--date", "2026-11-19"]) == 3
        err = capsys.readouterr().err
        assert f"another run of social_metrics for 2026-11-19 is active (process {holder.pid})" in err
        assert demo_env.calls == []
        assert cli.main(["demo", "--date", "2026-11-18"]) == 0  # another date runs
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(["demo", "--date", "2026-11-19"]) == 0  # the lock ended with its process


# -- 10. small ones ---------------------------------------------------------------------------------


def test_replay_of_an_unknown_run_fails_with_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    from socialmetrics.run import cli

    monkeypatch.setenv("SOCIALMETRICS_CONFIG", str(REPO / "config" / "socialmetrics.yml"))
    monkeypatch.setenv("SOCIALMETRICS_LANDING", str(tmp_path / "landing"))
    assert cli.main(["replay", "manual__2099-01-01"]) == 2
    assert "no landed run 'manual__2099-01-01'" in capsys.readouterr().err


def test_kill_int_of_make_stops_make_airflows_processes(tmp_path: Path) -> None:
    """Given `make` running a recipe that waits like socialmetrics.run.standalone does, when only make's pid
    gets SIGINT (GNU make then waits for its children, which never hear of it), the recipe stops."""
    (tmp_path / "Makefile").write_text("run:\n\t" + sys.executable + " -m tests.test_faults\n", encoding="utf-8")
    env = os.environ | {"PYTHONPATH": str(REPO)}
    # A background job (a CI runner) inherits SIGINT ignored, and make keeps it ignored: restore it, as a
    # terminal has it.
    make = subprocess.Popen(
        ["make", "-s", "-C", str(tmp_path), "run"], env=env, stdout=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 (no threads started)
    )  # fmt: skip
    try:
        assert make.stdout is not None and make.stdout.readline().strip() == "waiting"
        os.kill(make.pid, signal.SIGINT)
        assert make.stdout.readline().strip() == "make was interrupted"
        make.wait(timeout=15)
    finally:
        if make.poll() is None:
            make.kill()
            make.wait()
    assert make.returncode != 0  # make reports the interrupt


def _wait_like_standalone() -> None:
    from socialmetrics.run.standalone import parent_stopping

    print("waiting", flush=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if parent_stopping():
            print("make was interrupted", flush=True)
            return
        time.sleep(0.1)


if __name__ == "__main__":
    _wait_like_standalone()


# -- 6. temporary folders of killed extracts are cleaned; retention covers every copy of comment text ----


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_extracts_temporary_folder_is_removed_by_the_next_extract(harness: Harness) -> None:
    from socialmetrics.land import landing

    account = harness.cfg.accounts[0].id
    leftover = landing.run_dir(harness.landing, "facebook", account, "killed").with_name(f"killed.tmp-{dead_pid()}")
    (leftover / "pages" / "posts").mkdir(parents=True)
    (leftover / "pages" / "posts" / "00001.json").write_text('{"body": {"message": "Meine Meinung ..."}}')
    busy = leftover.with_name(f"busy.tmp-{os.getpid()}")  # a live extract's (this process): kept
    busy.mkdir()
    elsewhere = leftover.with_name(f"other.tmp-worker-7.example-{dead_pid()}")  # another host's: by age only
    elsewhere.mkdir()
    harness.run(dt.date(2026, 11, 19), run_id="next")
    assert not leftover.exists() and busy.exists() and elsewhere.exists()


def test_retention_removes_failed_pages_and_stale_temporary_folders_of_other_accounts(harness: Harness) -> None:
    failed = harness.landing / "_failed" / "facebook" / "1" / "old-run"
    failed.mkdir(parents=True)
    (failed / "malformed-answer.txt").write_text("comment text")
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp()
    os.utime(failed, (old, old))
    recent = harness.landing / "_failed" / "facebook" / "1" / "recent-run"
    recent.mkdir(parents=True)
    stale = harness.landing / "linkedin" / "42" / f"r.tmp-{dead_pid()}"
    stale.mkdir(parents=True)
    harness.run(dt.date(2026, 11, 19), run_id="nightly")
    assert not failed.exists() and not stale.exists() and recent.exists()


def small_warehouse(path: Path, *, reach: int = 100) -> Path:
    """A warehouse holding one mart (all `readers.publish` copies), a comment with its text."""
    con = duckdb.connect(str(path))
    for schema in ("marts", "core", "meta"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"CREATE OR REPLACE TABLE marts.reach_daily AS SELECT DATE '2026-11-19' AS day, {reach} AS reach")
    con.execute("CREATE OR REPLACE TABLE core.comment AS SELECT 'c1' AS comment_id, 'Meine Meinung ...' AS text")
    con.close()
    return path


def test_a_killed_publishs_readers_copy_and_its_wal_are_removed_by_the_next_publish(tmp_path: Path) -> None:
    """Given the temporary readers' copies (and their .wal, which holds comment texts) of publishes that were
    killed on this host, one of a live process, and a recent one of another host, when the next publish runs,
    then the dead ones and the day-old one are gone and the live one and the other host's recent one are kept."""
    from socialmetrics import files
    from socialmetrics.serve import readers

    source = small_warehouse(tmp_path / "warehouse.duckdb")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    prefix = ".warehouse.marts.duckdb.tmp-"
    names = {
        "dead": f"{prefix}{files.HOST}-{dead_pid()}",
        "dead, older version": f"{prefix}{dead_pid()}",
        "live": f"{prefix}{files.HOST}-{live.pid}",
        "other host, recent": f"{prefix}worker-7.example-{dead_pid()}",
        "other host, two days old": f"{prefix}worker-8.example-{dead_pid()}",
    }
    try:
        for name in names.values():
            (tmp_path / name).write_bytes(b"DUCK")
            (tmp_path / f"{name}.wal").write_text("Meine Meinung ...", encoding="utf-8")
        old = time.time() - 2 * 86400
        for name in (names["other host, two days old"], names["other host, two days old"] + ".wal"):
            os.utime(tmp_path / name, (old, old))
        readers.publish(source, run_id="next")
        left = sorted(p.name for p in tmp_path.iterdir())
    finally:
        live.kill()
        live.wait()
    kept = sorted([names["live"], names["other host, recent"]])
    assert left == sorted([*kept, *(f"{k}.wal" for k in kept), "warehouse.duckdb", "warehouse.marts.duckdb"])


class DiskFullOnCopy:
    """A warehouse connection whose first CREATE TABLE in the readers' copy fails like a full disk."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: Any = None) -> Any:
        if sql.startswith("CREATE TABLE readers_copy."):
            self.con.execute(sql.replace("SELECT *", "SELECT *, 1 AS half_written"))  # the copy is half written
            raise duckdb.IOException(
                'IO Error: Could not write file ".warehouse.marts.duckdb.tmp-x-1": No space left on device'
            )
        return self.con.execute(sql, params)

    def close(self) -> None:
        self.con.close()


def test_a_readers_copy_stopped_by_a_full_disk_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a published readers' copy, when the next copy fails on a full disk, then the error is one line,
    the half-written copy and its .wal are gone, and readers still see the previous copy."""
    from socialmetrics.load import warehouse
    from socialmetrics.serve import readers

    source = small_warehouse(tmp_path / "warehouse.duckdb")
    readers.publish(source, run_id="first")
    small_warehouse(source, reach=200)
    real_connect = warehouse.connect
    monkeypatch.setattr(warehouse, "connect", lambda path, **kw: DiskFullOnCopy(real_connect(path, **kw)))
    with pytest.raises(warehouse.WarehouseError) as err:
        readers.publish(source, run_id="second")
    assert str(err.value) == (
        f"No space left on device: free space in {tmp_path.resolve()} (the warehouse warehouse.marts.duckdb needs "
        "room for its write-ahead log), then rerun the task; nothing was changed."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb", "warehouse.marts.duckdb"]
    con = duckdb.connect(str(tmp_path / "warehouse.marts.duckdb"), read_only=True)
    assert con.execute("SELECT reach FROM marts.reach_daily").fetchall() == [(100,)]
    con.close()


# -- 7. disk full, corruption and lock waits: one clear line ----------------------------------------


class DiskFullOnInsert:
    """A warehouse connection whose first INSERT into raw.* fails like a full disk, and whose ROLLBACK
    then fails like DuckDB's after such an error (the real transaction is rolled back underneath)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.failed = False

    def execute(self, sql: str, params: Any = None) -> Any:
        if sql.startswith("INSERT INTO raw.") and not self.failed:
            self.failed = True
            raise duckdb.IOException('IO Error: Could not write file "warehouse.duckdb.wal": No space left on device')
        if sql == "ROLLBACK" and self.failed:
            self.con.execute("ROLLBACK")
            raise duckdb.TransactionException("TransactionContext Error: cannot rollback - no transaction is active")
        return self.con.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def test_disk_full_during_load_is_one_clear_line_and_changes_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialmetrics.load import warehouse

    harness.run(dt.date(2026, 11, 19), run_id="good")
    before = fingerprint(harness.warehouse)
    raw_before = query(harness.warehouse, "SELECT count(*) FROM raw.daily_metrics")
    real_connect = warehouse.connect
    monkeypatch.setattr(warehouse, "connect", lambda path, **kw: DiskFullOnInsert(real_connect(path, **kw)))
    with pytest.raises(warehouse.WarehouseError) as err:
        harness.run(dt.date(2026, 11, 19), run_id="full")
    message = str(err.value)
    assert message.startswith(f"No space left on device: free space in {harness.warehouse.parent.resolve()}")
    assert "cannot rollback" not in message and "\n" not in message
    monkeypatch.setattr(warehouse, "connect", real_connect)
    assert fingerprint(harness.warehouse) == before
    assert query(harness.warehouse, "SELECT count(*) FROM raw.daily_metrics") == raw_before


def test_a_corrupt_warehouse_file_says_restore_the_backup(harness: Harness) -> None:
    from socialmetrics.load import warehouse

    harness.warehouse.write_bytes(b"\x00garbage" * 50_000)
    with pytest.raises(warehouse.WarehouseCorruptError) as err:
        harness.run(dt.date(2026, 11, 19), run_id="after-crash")
    message = str(err.value)
    assert message.startswith(f"the warehouse file {harness.warehouse} is corrupt (")
    assert "restore the backup of warehouse.duckdb" in message and "\n" not in message


def test_a_corrupt_block_is_named_as_corruption() -> None:
    from socialmetrics.load import warehouse

    exc = duckdb.Error("Corrupt database file: computed checksum 1334 does not match stored checksum 1398 in block")
    assert warehouse.explain(exc, Path("/data/warehouse.duckdb")).startswith(  # type: ignore[union-attr]
        "the warehouse file /data/warehouse.duckdb is corrupt (Corrupt database file: computed checksum"
    )


def test_a_lock_wait_names_the_process_that_holds_the_lock(tmp_path: Path) -> None:
    from socialmetrics.load import warehouse

    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('open', flush=True); "
         "time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(warehouse.WarehouseLockedError) as err:
            warehouse.connect(path, wait_s=0.5)
    finally:
        holder.kill()
        holder.wait()
    assert f"stayed locked for 0 s: process {holder.pid} holds the lock" in str(err.value)


# -- one place marks what is never retried ----------------------------------------------------------


def test_every_never_retried_error_derives_from_the_one_marker_and_transient_ones_do_not() -> None:
    from connectors import base
    from connectors.errors import PermanentError
    from connectors.registry import UnknownNetworkError
    from socialmetrics.check.quality import QualityGateError
    from socialmetrics.extract.credentials import MissingConnectionError
    from socialmetrics.load.warehouse import WarehouseCorruptError, WarehouseError, WarehouseLockedError
    from socialmetrics.serve.report import ReportError

    never = [base.AccountOptionError, base.AuthError, base.BudgetExceededError, base.MalformedResponseError,
             base.UnknownAccountError, base.LimitExceededError, base.ExtractTimeoutError, UnknownNetworkError,
             ConfigError, MissingConnectionError, QualityGateError, pipeline.ExtractFailedError, ReportError,
             WarehouseCorruptError]  # fmt: skip
    assert [e.__name__ for e in never if not issubclass(e, PermanentError)] == []
    transient = [base.RateLimitError, base.ApiError, WarehouseError, WarehouseLockedError]
    assert [e.__name__ for e in transient if issubclass(e, PermanentError)] == []
    dag = (REPO / "dags" / "social_metrics.py").read_text(encoding="utf-8")
    assert "except PermanentError" in dag and "AuthError" not in dag
