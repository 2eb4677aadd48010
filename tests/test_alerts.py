"""Alerts: the rules pick their figures from marts.alert_candidates (and meta), one message per run goes to a local
SMTP server (aiosmtpd on 127.0.0.1) and a local webhook receiver (Apprise's Mattermost form, http.server on
loopback); the same alert is never sent twice; quiet hours hold messages; config errors are clear; secrets
(SMTP password, the webhook's token) appear in no log, XCom or meta table."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from connectors.base import Credentials
from socialmetrics.alerts import in_quiet_hours, run_alerts
from socialmetrics.alerts.delivery import DeliveryError
from socialmetrics.config import ConfigError, load_config

SMTP_PASSWORD = "smtp-Pa55word-never-shown"  # noqa: S105 - a test secret
WEBHOOK_TOKEN = "yobjmukpaw3r3urc5h6i369yima"  # noqa: S105 - the form of a Mattermost hook token
DAY = dt.date(2026, 11, 19)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin: outside the quiet hours
FB = "104857600000001"
LI = "80486001"

CONFIG = """company: Brauerei Sonnenhang GmbH
accounts:
  - network: facebook
    id: "104857600000001"
    name: Brauerei Sonnenhang
  - network: linkedin
    id: "80486001"
    name: Brauerei Sonnenhang
alerts:
  email_to: [inhaber@brauerei-sonnenhang.de]
  smtp_conn_id: smtp_alerts
  chat_conn_id: chat_alerts
  quiet_hours: {start: "22:00", end: "07:00"}
  airflow_url: http://127.0.0.1:8080
  rules:
    out_of_range: {metrics: [reach, impressions], min_change_pct: 30}
    negative_comments: {min_count: 3}
    complaint_waiting: {hours: 48}
    token_expiry: {days_before: 14}
    missing_data: {nights: 2}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == SMTP_PASSWORD
        if ok:
            inbox.logins.append(data.login.decode())
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict[str, Any]], int]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append({"path": self.path, "json": json.loads(body)})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch, smtp: tuple[_Inbox, int], webhook: tuple[list, int]) -> None:
    """The two Airflow connections, as environment variables (the way Airflow reads AIRFLOW_CONN_*)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_ALERTS",
        json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp[1], "login": "alerts@sonnenhang.de",
                    "password": SMTP_PASSWORD,
                    "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "alerts@sonnenhang.de"}}),
    )  # fmt: skip
    monkeypatch.setenv(
        "AIRFLOW_CONN_CHAT_ALERTS",
        json.dumps({"conn_type": "apprise",
                    "extra": {"config": {"path": f"mmost://127.0.0.1:{webhook[1]}/{WEBHOOK_TOKEN}"}}}),
    )  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "socialmetrics.yml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


CANDIDATE_COLUMNS = (
    "network VARCHAR, account_id VARCHAR, day DATE, figure VARCHAR, observed DOUBLE, expected DOUBLE, "
    "range_low DOUBLE, range_high DOUBLE, change_pct DOUBLE, p_value DOUBLE, outside BOOLEAN, direction VARCHAR, "
    "baseline_days BIGINT, reason VARCHAR"
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A warehouse whose marts say: Facebook's reach fell on DAY, a negative-comment spike, a small rise of
    impressions (outside, but below min_change_pct), LinkedIn without numbers since DAY - 2."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute(f"CREATE TABLE marts.alert_candidates ({CANDIDATE_COLUMNS})")
    rows = [
        ("facebook", FB, DAY, "reach", 512.0, 1380.0, 980.0, 1900.0, -62.9, 1e-6, True, "down", 182, None),
        ("facebook", FB, DAY, "impressions", 2700.0, 2250.0, 1800.0, 2600.0, 20.0, 1e-4, True, "up", 182, None),
        ("facebook", FB, DAY, "engagements", 90.0, 95.0, 60.0, 140.0, -5.0, 0.7, False, None, 182, None),
        ("facebook", FB, DAY, "negative_comments", 7.0, 0.6, 0.0, 2.0, 1066.0, 1e-5, True, "up", 182, None),
        ("facebook", FB, DAY - dt.timedelta(days=1), "reach", 300.0, 1380.0, 980.0, 1900.0, -78.0, 1e-7, True,
         "down", 182, None),
    ]  # fmt: skip
    con.executemany(f"INSERT INTO marts.alert_candidates VALUES ({', '.join('?' * 14)})", rows)
    con.execute("CREATE TABLE marts.reach_daily (network VARCHAR, account_id VARCHAR, day DATE)")
    con.execute("CREATE TABLE marts.engagement_daily (network VARCHAR, account_id VARCHAR, day DATE)")
    for back in range(0, 30):
        con.execute("INSERT INTO marts.reach_daily VALUES ('facebook', ?, ?)", [FB, DAY - dt.timedelta(days=back)])
    for back in range(3, 30):
        con.execute("INSERT INTO marts.reach_daily VALUES ('linkedin', ?, ?)", [LI, DAY - dt.timedelta(days=back)])
    con.close()
    return path


def credentials(conn_id: str) -> Credentials:
    """LinkedIn's token expires in 10 days (the connection knows); Facebook's is checked nowhere (no token)."""
    if conn_id == "linkedin_default":
        return Credentials(conn_id, "li-token", None, {"expires_at": (NOW + dt.timedelta(days=10)).isoformat()})
    return Credentials(conn_id, None, None, {})


def _alerts(path: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT rule, network, account_id, day, subject, status, sent_to, observed, expected "
            "FROM meta.alerts ORDER BY rule, network, subject"
        ).fetchall()
    finally:
        con.close()


def _run(config: Path, warehouse: Path, now: dt.datetime = NOW, run_id: str = "scheduled__2026-11-19") -> Any:
    return run_alerts(load_config(config), DAY, run_id, warehouse_path=warehouse, now=now, credentials=credentials)


def test_one_message_by_mail_and_chat_with_the_marts_figures(
    config: Path, warehouse: Path, connections: None, smtp: tuple[_Inbox, int], webhook: tuple[list, int],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    result = _run(config, warehouse)
    assert result.found == 4 and result.sent == 4  # noqa: PLR2004
    assert result.sent_to == ["inhaber@brauerei-sonnenhang.de", "chat:chat_alerts"]
    rows = _alerts(warehouse)
    assert [(r[0], r[1], r[4], str(r[3])) for r in rows] == [
        ("missing_data", "linkedin", "data", "2026-11-17"),  # the gap's first day: one alert per gap
        ("negative_comments", "facebook", "negative_comments", "2026-11-19"),
        ("out_of_range", "facebook", "reach", "2026-11-19"),  # impressions +20 %: below min_change_pct
        ("token_expiry", "linkedin", "linkedin_default", "2026-11-30"),
    ]
    assert {r[5] for r in rows} == {"sent"}
    assert rows[2][7:] == (512.0, 1380.0)  # the figures of marts.alert_candidates
    inbox = smtp[0]
    assert len(inbox.messages) == 1 and inbox.logins == ["alerts@sonnenhang.de"]
    mail = inbox.messages[0]
    assert mail["To"] == "inhaber@brauerei-sonnenhang.de"
    assert mail["Subject"] == "socialmetrics: 4 Hinweis(e) für Brauerei Sonnenhang GmbH (2026-11-19)"
    body = mail.get_content()
    assert (
        "facebook/Brauerei Sonnenhang: Reichweite am 19.11.2026 512, erwartet 1.380 (üblicher Bereich "
        "980–1.900; −63 %)" in body
    )
    assert "7 negative Kommentare am 19.11.2026" in body
    assert "linkedin/Brauerei Sonnenhang: seit 3 Nächten keine Zahlen (zuletzt für den 16.11.2026)" in body
    assert "läuft am 30.11.2026 ab (in 10 Tagen)" in body
    assert "http://127.0.0.1:8080/dags/social_metrics/runs/scheduled__2026-11-19" in body
    posted = webhook[0]
    assert len(posted) == 1 and posted[0]["path"] == f"/hooks/{WEBHOOK_TOKEN}"
    assert "Reichweite am 19.11.2026 512" in posted[0]["json"]["text"]
    # secrets: nowhere in the log, the result (the task's XCom) or the warehouse
    shown = caplog.text + json.dumps(result.as_dict()) + repr(_alerts(warehouse))
    assert SMTP_PASSWORD not in shown and WEBHOOK_TOKEN not in shown


def test_a_rerun_sends_nothing_twice(
    config: Path, warehouse: Path, connections: None, smtp: tuple[_Inbox, int], webhook: tuple[list, int]
) -> None:
    _run(config, warehouse)
    again = _run(config, warehouse, now=NOW + dt.timedelta(hours=1))
    assert again.found == 0 and again.sent == 0
    assert len(smtp[0].messages) == 1 and len(webhook[0]) == 1
    # the next night: LinkedIn's gap goes on (same key), the token alert is the same: nothing new
    con = duckdb.connect(str(warehouse))
    con.execute("INSERT INTO marts.reach_daily VALUES ('facebook', ?, ?)", [FB, DAY + dt.timedelta(days=1)])
    con.close()
    later = run_alerts(load_config(config), DAY + dt.timedelta(days=1), "scheduled__2026-11-20",
                       warehouse_path=warehouse, now=NOW + dt.timedelta(days=1), credentials=credentials)  # fmt: skip
    assert later.found == 0 and len(smtp[0].messages) == 1


def test_quiet_hours_hold_the_message_until_they_end(
    config: Path, warehouse: Path, connections: None, smtp: tuple[_Inbox, int], webhook: tuple[list, int]
) -> None:
    night = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 03:00 in Berlin, the nightly run's time
    held = _run(config, warehouse, now=night)
    assert held.found == 4 and held.sent == 0  # noqa: PLR2004
    assert held.held_until == dt.datetime(2026, 11, 20, 7, 0, tzinfo=load_config(config).tz)
    assert {r[5] for r in _alerts(warehouse)} == {"held"} and smtp[0].messages == [] and webhook[0] == []
    after = _run(config, warehouse, now=dt.datetime(2026, 11, 20, 6, 5, tzinfo=dt.UTC))  # 07:05 Berlin
    assert after.found == 0 and after.sent == 4  # noqa: PLR2004 - the held ones, in one message
    assert len(smtp[0].messages) == 1 and len(webhook[0]) == 1
    con = duckdb.connect(str(warehouse), read_only=True)
    checks = con.execute("SELECT network FROM meta.token_checks ORDER BY network").fetchall()
    con.close()
    assert checks == [("facebook",), ("linkedin",)]  # the second poke of the run reused its token checks


def test_quiet_hours_across_midnight_and_within_a_day(config: Path) -> None:
    cfg = load_config(config)
    berlin = cfg.tz
    assert in_quiet_hours(cfg, dt.datetime(2026, 11, 20, 23, 30, tzinfo=berlin)) == dt.datetime(
        2026, 11, 21, 7, 0, tzinfo=berlin
    )
    assert in_quiet_hours(cfg, dt.datetime(2026, 11, 20, 12, 0, tzinfo=berlin)) is None
    day = cfg.model_copy(deep=True)
    assert day.alerts.quiet_hours is not None
    day.alerts.quiet_hours.start, day.alerts.quiet_hours.end = "12:00", "13:00"
    assert in_quiet_hours(day, dt.datetime(2026, 11, 20, 12, 30, tzinfo=berlin)) == dt.datetime(
        2026, 11, 20, 13, 0, tzinfo=berlin
    )


def test_a_mail_server_that_is_down_fails_the_step_and_the_retry_sends(
    config: Path, warehouse: Path, connections: None, smtp: tuple[_Inbox, int], webhook: tuple[list, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    cfg_text = config.read_text(encoding="utf-8").replace("  chat_conn_id: chat_alerts\n", "")
    config.write_text(cfg_text, encoding="utf-8")
    conn = json.loads(__import__("os").environ["AIRFLOW_CONN_SMTP_ALERTS"])
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", json.dumps({**conn, "port": _free_port()}))
    with pytest.raises(DeliveryError, match="smtp_alerts") as failed:
        _run(config, warehouse)
    assert SMTP_PASSWORD not in str(failed.value)
    assert {r[5] for r in _alerts(warehouse)} == {"failed"}
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", json.dumps(conn))
    retry = _run(config, warehouse)
    assert retry.sent == 4 and len(smtp[0].messages) == 1  # noqa: PLR2004


def test_no_connection_yet_is_recorded_and_warned_not_failed(
    config: Path, warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = _run(config, warehouse)
    assert result.sent == 0 and {r[5] for r in _alerts(warehouse)} == {"no_channel"}
    assert "Airflow connection 'smtp_alerts' is not defined" in caplog.text


def test_open_questions_are_read_when_the_mart_exists(config: Path, warehouse: Path, connections: None) -> None:
    result = _run(config, warehouse)
    assert any("marts.open_questions does not exist" in note for note in result.notes)
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE marts.open_questions (network VARCHAR, account_id VARCHAR, comment_id VARCHAR, "
                "created_at TIMESTAMPTZ, reason VARCHAR)")  # fmt: skip
    waiting = [FB, NOW - dt.timedelta(hours=50), FB, NOW - dt.timedelta(hours=5)]
    con.execute("INSERT INTO marts.open_questions VALUES ('facebook', ?, 'c1', ?, 'Beschwerde'), "
                "('facebook', ?, 'c2', ?, 'Frage')", waiting)  # fmt: skip
    con.close()
    later = _run(config, warehouse, run_id="scheduled__2026-11-19__2")
    assert later.found == 1
    assert [r[4] for r in _alerts(warehouse) if r[0] == "complaint_waiting"] == ["c1"]


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ("  rules: {out_of_range: {}}\n", "alert rules are on but nobody gets them"),
        ("  email_to: [x@y.de]\n  rules: {out_of_rage: {}}\n", "alerts.rules.out_of_rage: unknown key"),
        ("  email_to: [x@y.de]\n  quiet_hours: {start: '25:00', end: '07:00'}\n", "is not a time of day"),
        ("  email_to: [x@y.de]\n  rules: {out_of_range: {metrics: [likes]}}\n", "alerts.rules.out_of_range.metrics"),
        ("  chat_conn_id: https://hooks.slack.com/services/T000/B000/XXXX\n", "looks like a webhook URL"),
        ("  email_to: [x@y.de]\n  rules: {token_expiry: {days_before: 90}}\n", "less than or equal to 59"),
    ],
)
def test_config_errors_say_where_and_what(tmp_path: Path, alerts: str, message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("company: X\naccounts:\n  - network: facebook\n    id: '1'\nalerts:\n" + alerts, encoding="utf-8")
    with pytest.raises(ConfigError, match="alerts") as err:
        load_config(path)
    assert message in str(err.value)
    assert "XXXX" not in str(err.value)


def test_unquoted_quiet_hours_are_read_as_times(tmp_path: Path) -> None:
    path = tmp_path / "ok.yml"
    text = ("company: X\naccounts:\n  - network: facebook\n    id: '1'\nalerts:\n  email_to: [x@y.de]\n"
            "  quiet_hours: {start: 22:00, end: 7:00}\n  rules: {missing_data:}\n")  # fmt: skip
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.alerts.quiet_hours is not None and cfg.alerts.quiet_hours.times() == (dt.time(22), dt.time(7))
    assert cfg.alerts.rules.enabled() == ["missing_data"]


# --- the sandbox's simulated year: the known truths of connectors/testing/sandbox/company.py, and nothing else ---

YEAR_TODAY = dt.date(2026, 12, 1)  # the sandbox's clock: a year of numbers up to 30 Nov, after its known events
YEAR_NETWORKS = ("facebook", "linkedin", "instagram", "x")


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A year of the sandbox company (the networks with daily numbers), loaded in one run the way a history load
    does, with the sandbox config's alert rules; the fake APIs keep running for the token checks."""
    import yaml

    from connectors.testing import FakeServer
    from connectors.testing.sandbox import facebook, instagram, linkedin, x
    from socialmetrics import pipeline
    from tests.conftest import AUTHOR_KEY

    root = tmp_path_factory.mktemp("alerts-year")
    sandbox = load_config(Path(__file__).resolve().parent.parent / "config" / "socialmetrics.yml")
    data = sandbox.model_dump(mode="json", exclude_none=True)
    data["accounts"] = [a for a in data["accounts"] if a["network"] in YEAR_NETWORKS]
    for a in data["accounts"]:
        if a["network"] == "x":
            a["read_budget"] = 2000
    data["lookback_days"] = 364
    config = root / "socialmetrics.yml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    apps = {"facebook": facebook.FacebookSandbox, "linkedin": linkedin.LinkedInSandbox,
            "instagram": instagram.InstagramSandbox, "x": x.XSandbox}  # fmt: skip
    modules = {"facebook": facebook, "linkedin": linkedin, "instagram": instagram, "x": x}
    servers = {n: FakeServer(cls(today=YEAR_TODAY)).start() for n, cls in apps.items()}

    def creds(conn_id: str) -> Credentials:
        network = conn_id.removesuffix("_default")
        server = servers[network]
        extra = server.app.sandbox_conn_extra if network == "linkedin" else {}  # its token's expiry
        return Credentials(conn_id, modules[network].SANDBOX_TOKEN, server.base_url, extra)

    warehouse = root / "warehouse.duckdb"
    now = dt.datetime.combine(YEAR_TODAY, dt.time(10), dt.UTC)
    cfg = load_config(config)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOCIALMETRICS_AUTHOR_KEY", AUTHOR_KEY)
            window = pipeline.run_window(now - dt.timedelta(days=1), cfg, backfill=False, now=now)
            for acc in pipeline.plan(config):
                pipeline.extract(pipeline.account_from_dict(acc), window, "year", credentials=creds,
                                 landing_root=root / "landing", today=YEAR_TODAY)  # fmt: skip
            loaded = pipeline.load("year", warehouse_path=warehouse, landing_root=root / "landing")
            pipeline.run_transform("year", loaded, warehouse_path=warehouse, cfg=cfg, today=YEAR_TODAY)
        yield {"cfg": cfg, "warehouse": warehouse, "credentials": creds}
    finally:
        for server in servers.values():
            server.stop()


def test_the_sandbox_year_gives_exactly_its_known_alerts(year: dict[str, Any]) -> None:
    """Every night of the simulated year, the sandbox config's rules: the drop of 25 Nov (reach, media views and
    engagements of the page), the wave of negative comments of 27 Nov, LinkedIn's token 10 days before it
    expires; no false alarm on any other day, network or figure. The figures are marts.alert_candidates'."""
    from connectors.testing.sandbox import company
    from socialmetrics.alerts import ensure_tables
    from socialmetrics.alerts.rules import find_alerts

    cfg = year["cfg"]
    con = duckdb.connect(str(year["warehouse"]))
    try:
        ensure_tables(con)
        first, last = con.execute("SELECT min(day), max(day) FROM marts.alert_candidates").fetchone()
        found: dict[str, Any] = {}
        notes: set[str] = set()
        day = first
        while day <= last:
            now = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(3), cfg.tz)
            alerts, day_notes = find_alerts(con, cfg, day, f"night-{day}", now=now, credentials=year["credentials"])
            found.update({a.key: a for a in alerts})
            notes.update(day_notes)
            day += dt.timedelta(days=1)
        fb = company.FACEBOOK_PAGE_ID
        expires = YEAR_TODAY + dt.timedelta(days=company.LINKEDIN_TOKEN_DAYS_LEFT)
        # the questions and complaints the sandbox company never answered (company.answer_delay is None), each
        # once, from the night it has waited the rule's 48 hours; answered ones never (marts.open_questions drops
        # them)
        waiting = con.execute(
            "SELECT network, account_id, comment_id, created_at FROM marts.open_questions "
            "WHERE created_at <= CAST(? AS TIMESTAMPTZ) - INTERVAL 48 HOUR",
            [dt.datetime.combine(last + dt.timedelta(days=1), dt.time(3), cfg.tz)],
        ).fetchall()
        assert waiting, "the sandbox leaves some questions unanswered"
        never = con.execute(
            "SELECT network, comment_id, text FROM core.comment WHERE needs_answer AND first_answer_at IS NULL"
        ).fetchall()
        assert {(n, str(c)) for n, _, c, _ in waiting} <= {(n, str(c)) for n, c, _ in never}
        assert sorted(found) == sorted([
            f"out_of_range|facebook/{fb}|engagements|{company.DROP_DAY}",
            f"out_of_range|facebook/{fb}|impressions|{company.DROP_DAY}",
            f"out_of_range|facebook/{fb}|reach|{company.DROP_DAY}",
            f"negative_comments|facebook/{fb}|negative_comments|{company.NEGATIVE_SPIKE_DAY}",
            f"token_expiry|linkedin/{company.LINKEDIN_ORG_ID}|linkedin_default|{expires}",
            *(f"complaint_waiting|{n}/{a}|{c}|{t.astimezone(dt.UTC).date()}" for n, a, c, t in waiting),
        ])  # fmt: skip
        assert notes == set()
        # the figures are the mart's
        for alert in found.values():
            if alert.rule in ("out_of_range", "negative_comments"):
                assert con.execute(
                    "SELECT observed, expected FROM marts.alert_candidates WHERE network = ? AND account_id = ? "
                    "AND day = ? AND figure = ?", [alert.network, alert.account_id, alert.day, alert.subject],
                ).fetchone() == (alert.observed, alert.expected)  # fmt: skip
        drop = found[f"out_of_range|facebook/{fb}|reach|{company.DROP_DAY}"]
        assert drop.observed is not None and drop.expected is not None and drop.observed < 0.4 * drop.expected
        wave = found[f"negative_comments|facebook/{fb}|negative_comments|{company.NEGATIVE_SPIKE_DAY}"]
        assert wave.observed is not None and wave.observed >= len(company.NEGATIVE_SPIKE_COMMENTS)
        # Facebook's and Instagram's tokens were asked through debug_token: a Page token that never expires, its
        # data access in 80 days
        checks = con.execute("SELECT DISTINCT network, source FROM meta.token_checks ORDER BY network").fetchall()
        assert checks == [("facebook", "debug_token"), ("instagram", "debug_token"),
                          ("linkedin", "connection extra expires_at"), ("x", "unknown (set the connection's extra "
                          "expires_at)")]  # fmt: skip
    finally:
        con.close()


def test_the_token_check_reads_graphs_documented_debug_token_answer() -> None:
    """The recorded (documented) answers: a user token's earlier expiry counts; a Page token's 0 means never, its
    data access still ends."""
    fixture = json.loads((Path(__file__).parent / "fixtures/recorded/facebook/debug_token.json").read_text())
    from socialmetrics.alerts.rules import token_expiry

    class Client:
        def __init__(self, answer: dict[str, Any]) -> None:
            self.answer = answer

        def get_json(self, url: str, params: dict[str, Any]) -> tuple[dict[str, Any], None]:
            assert url.endswith("/debug_token") and params["input_token"] == "t"
            return self.answer, None

    creds = Credentials("facebook_default", "t", "http://127.0.0.1:1")
    user, source = token_expiry("facebook", creds, http=Client(fixture["user_token"]))
    assert (user, source) == (dt.datetime.fromtimestamp(1752254132, dt.UTC), "debug_token")
    page, _ = token_expiry("facebook", creds, http=Client(fixture["page_token"]))
    assert page == dt.datetime.fromtimestamp(1754846089, dt.UTC)  # data access, the only clock that runs
