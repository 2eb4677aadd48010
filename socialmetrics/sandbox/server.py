"""Runs the fake APIs on loopback (a thread per server), for tests and `make demo`."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

SANDBOX_GROUP = "socialmetrics.sandboxes"


class App(Protocol):
    """A transport-free fake API."""

    base_url: str

    def handle(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """Answer one GET."""
        ...


class SandboxServer:
    """One fake API on 127.0.0.1, on a free port unless one is given."""

    def __init__(self, app: App, port: int = 0) -> None:
        self.app = app
        handler = self._handler(app)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        app.base_url = self.base_url
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def _handler(app: App) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                if hasattr(app, "handle_request"):  # APIs that read the raw query and headers (Rest.li)
                    status, headers, body = app.handle_request(parts.path, parts.query, dict(self.headers))
                else:
                    query = dict(parse_qsl(parts.query, keep_blank_values=True))
                    status, headers, body = app.handle(parts.path, query)
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                content_type = "text/html" if isinstance(body, bytes) else "application/json; charset=UTF-8"
                self.send_header("Content-Type", content_type)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet: the request lines carry tokens

        return Handler

    def start(self) -> SandboxServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sandbox_apps() -> dict[str, type]:
    """Network -> fake API class, for every sandbox registered under `socialmetrics.sandboxes`."""
    return {ep.name: ep.load() for ep in entry_points(group=SANDBOX_GROUP)}


def start_all() -> dict[str, SandboxServer]:
    """Every registered network's sandbox, started."""
    return {network: SandboxServer(cls()).start() for network, cls in sandbox_apps().items()}


def airflow_conn_env(servers: dict[str, SandboxServer]) -> dict[str, str]:
    """AIRFLOW_CONN_* variables pointing each network's default connection at its sandbox."""
    env = {}
    for network, server in servers.items():
        token = getattr(server.app, "sandbox_token", "sandbox")
        conn: dict[str, Any] = {"conn_type": "http", "host": server.base_url, "password": token}
        extra = getattr(server.app, "sandbox_conn_extra", None)
        if extra:
            conn["extra"] = extra
        env[f"AIRFLOW_CONN_{network.upper()}_DEFAULT"] = json.dumps(conn)
    return env


def start_unless_credentials(env: dict[str, str]) -> dict[str, SandboxServer]:
    """When no sandboxed network has a connection in `env`, start every sandbox and point `env` at them.

    Returns the servers started (none when credentials are set: real accounts are never mixed with
    fake ones)."""
    networks = sandbox_apps()
    if any(f"AIRFLOW_CONN_{n.upper()}_DEFAULT" in env for n in networks):
        return {}
    servers = start_all()
    env.update(airflow_conn_env(servers))
    return servers
