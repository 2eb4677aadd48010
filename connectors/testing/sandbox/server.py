"""Runs the fake APIs on loopback (a thread per server), for tests and `make demo`."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from typing import Any

from connectors.testing import FakeServer

SANDBOX_GROUP = "socialmetrics.sandboxes"
__all__ = ["airflow_conn_env", "sandbox_apps", "start_all", "start_unless_credentials"]


def sandbox_apps() -> dict[str, type]:
    """Network -> fake API class, for every sandbox registered under `socialmetrics.sandboxes`."""
    return {ep.name: ep.load() for ep in entry_points(group=SANDBOX_GROUP)}


def start_all() -> dict[str, FakeServer]:
    """Every registered network's sandbox, started."""
    return {network: FakeServer(cls()).start() for network, cls in sandbox_apps().items()}


def airflow_conn_env(servers: dict[str, FakeServer]) -> dict[str, str]:
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


def start_unless_credentials(env: dict[str, str]) -> dict[str, FakeServer]:
    """When no sandboxed network has a connection in `env`, start every sandbox and point `env` at them.

    Returns the servers started (none when credentials are set: real accounts are never mixed with
    fake ones)."""
    networks = sandbox_apps()
    if any(f"AIRFLOW_CONN_{n.upper()}_DEFAULT" in env for n in networks):
        return {}
    servers = start_all()
    env.update(airflow_conn_env(servers))
    return servers
