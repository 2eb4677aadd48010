"""Tokens and base URLs come from Airflow connections (`<network>_default` unless configured)."""

from __future__ import annotations

from typing import Any

from connectors.base import Credentials, PermanentError


class MissingConnectionError(LookupError, PermanentError):
    """The Airflow connection an account needs is not defined."""


def base_url_of(host: str | None, port: int | None, conn_type: str | None, extra: dict[str, Any]) -> str | None:
    """The API base URL a connection's `host` overrides (tests and the sandbox point at loopback)."""
    if not host:
        return None
    if "://" in host:
        url = host.rstrip("/")
        if port and url.count(":") < 2:
            url = f"{url}:{port}"
        return url
    scheme = extra.get("scheme") or ("http" if conn_type == "http" else "https")
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def airflow_connection(conn_id: str, how_to_add: str | None = None) -> Any:
    """An Airflow connection (environment AIRFLOW_CONN_*, metadata DB or secrets backend); a missing one
    is a MissingConnectionError that says how to add it."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # Airflow raises its own NotFound types depending on context
        if "not defined" in str(exc) or "NotFound" in type(exc).__name__ or "isn't defined" in str(exc):
            how_to_add = how_to_add or (
                f"Add it in the UI (Admin > Connections) or with `airflow connections add {conn_id} --conn-type "
                f"http --conn-password <token>`, or set AIRFLOW_CONN_{conn_id.upper()} in the environment."
            )
            raise MissingConnectionError(f"Airflow connection '{conn_id}' is not defined. {how_to_add}") from None
        raise


def airflow_credentials(conn_id: str) -> Credentials:
    """Look a connection up through Airflow (environment AIRFLOW_CONN_*, metadata DB or secrets backend)."""
    conn = airflow_connection(conn_id)
    extra = conn.extra_dejson if conn.extra else {}
    return Credentials(
        conn_id=conn_id,
        token=conn.password or extra.get("token"),
        base_url=base_url_of(conn.host, conn.port, conn.conn_type, extra),
        extra=extra,
    )
