"""`socialmetrics history --from DATE --to DATE`: the history load of the Airflow UI, from a shell.

It asks the running Airflow (the one `make airflow` started) to do exactly what the UI's Trigger form of
the DAG `social_metrics_history` does: one REST call, `POST /api/v2/dags/{dag_id}/dagRuns` with the form's
fields as the run's conf. Then it follows the run task by task and exits 0 only when every part succeeded;
otherwise non-zero, naming the failed part and the end of its log.

Where the API is: `AIRFLOW__API__HOST`/`AIRFLOW__API__PORT` (default 127.0.0.1:8080), as `make airflow` sets
them. The login: user `admin` (or `$SOCIALMETRICS_AIRFLOW_USER`) with the password that `airflow standalone`
writes to `$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated` (AIRFLOW_HOME unset: the clone's `.airflow/`,
where `make airflow` keeps it, else ~/airflow; or the file named by
`AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE`); `$SOCIALMETRICS_AIRFLOW_PASSWORD` overrides it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import describe_days
from socialmetrics import settings

HISTORY_DAG_ID = "social_metrics_history"
POLL_S = 2.0
API_TIMEOUT_S = 60  # a busy 2-core machine answers slowly, but it answers
TIMEOUT_S = 3 * 3600
FINISHED = ("success", "failed")
LOG_TAIL_CHARS = 2500
NOTE_CHARS = 1000  # Airflow's dag_run_note.content is a String(1000)


class HistoryError(RuntimeError):
    """The history load could not be started or followed; the message says what to do."""


@dataclass(frozen=True)
class ApiLogin:
    """Where Airflow's REST API is and who logs in."""

    url: str
    username: str
    password: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiLogin:
        """The API of the Airflow that `make airflow` runs, and its admin login (see the module doc)."""
        env = os.environ if env is None else env
        host = env.get("AIRFLOW__API__HOST") or "127.0.0.1"
        if host in ("0.0.0.0", "::", ""):  # bound to every interface: reach it on loopback
            host = "127.0.0.1"
        port = env.get("AIRFLOW__API__PORT") or "8080"
        url = f"http://{host}:{port}"
        username = env.get("SOCIALMETRICS_AIRFLOW_USER") or "admin"
        password = env.get("SOCIALMETRICS_AIRFLOW_PASSWORD")
        if not password:
            home = settings.airflow_home(env)
            path = Path(
                env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
                or home / "simple_auth_manager_passwords.json.generated"
            )
            try:
                users = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise HistoryError(
                    f"no Airflow login found in {path} ({type(exc).__name__}; Airflow home: "
                    f"{settings.airflow_home_source(env)}); start Airflow with `make airflow` (it writes that "
                    f"file), point AIRFLOW_HOME at the home of the Airflow you run, or set "
                    f"SOCIALMETRICS_AIRFLOW_PASSWORD"
                ) from None
            if username not in users:
                raise HistoryError(f"{path} has no user '{username}' (it has: {', '.join(users) or 'none'})")
            password = str(users[username])
        return cls(url, username, password)


class AirflowApi:
    """The few REST calls of Airflow 3's public API that a history load needs."""

    def __init__(self, login: ApiLogin, session: requests.Session | None = None) -> None:
        self.login = login
        self.session = session or requests.Session()
        self._token: str | None = None

    def _auth(self) -> None:
        try:
            r = self.session.post(
                f"{self.login.url}/auth/token",
                json={"username": self.login.username, "password": self.login.password},
                timeout=API_TIMEOUT_S,
            )
        except requests.RequestException:
            raise HistoryError(
                f"Airflow's API at {self.login.url} does not answer: start Airflow with `make airflow` (or set "
                f"AIRFLOW__API__HOST/AIRFLOW__API__PORT to where it runs)"
            ) from None
        if r.status_code not in (200, 201):
            raise HistoryError(
                f"Airflow at {self.login.url} refused the login of '{self.login.username}' ({r.status_code}); check "
                f"the password file of this Airflow home or SOCIALMETRICS_AIRFLOW_PASSWORD"
            )
        self._token = r.json()["access_token"]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call with a fresh login when the token expired; errors name the call and Airflow's answer."""
        if self._token is None:
            self._auth()
        extra_headers = kwargs.pop("headers", {})
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json", **extra_headers}
            try:
                url = f"{self.login.url}{path}"
                r = self.session.request(method, url, headers=headers, timeout=API_TIMEOUT_S, **kwargs)
            except requests.RequestException as exc:
                raise HistoryError(
                    f"Airflow's API at {self.login.url} stopped answering ({type(exc).__name__})"
                ) from None
            if r.status_code == 401 and attempt == 1:
                self._auth()
                continue
            if r.status_code >= 300:
                detail = r.text[:500]
                try:
                    detail = str(r.json().get("detail", detail))
                except ValueError:
                    pass
                # a refused form field comes with its JSON schema and value on further lines: the first says it
                detail = detail.strip().splitlines()[0] if detail.strip() else detail
                raise HistoryError(f"Airflow answered {r.status_code} to {method} {path}: {detail}")
            return r.json() if r.content else None
        raise AssertionError("unreachable")

    def log_tail(self, dag_id: str, run_id: str, ti: Mapping[str, Any], chars: int = LOG_TAIL_CHARS) -> str:
        """The end of a task instance's log (its last try): its last `chars` characters."""
        path = (
            f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/"
            f"{ti['task_id']}/logs/{max(1, int(ti.get('try_number') or 1))}"
        )
        try:
            body = self.call("GET", path, params={"map_index": ti.get("map_index", -1), "full_content": True})
        except HistoryError as exc:
            return f"(log not available: {exc})"
        content = body.get("content") if isinstance(body, dict) else body
        if isinstance(content, list):  # structured log lines
            lines = [c.get("event", "") if isinstance(c, dict) else str(c) for c in content]
            text = "\n".join(str(x) for x in lines)
        else:
            text = str(content)
        return text[-chars:]

    def xcom(self, dag_id: str, run_id: str, ti: Mapping[str, Any], key: str) -> Any:
        """A task instance's XCom value, or None when it has none."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{ti['task_id']}/xcomEntries/{key}"
        try:
            body = self.call("GET", path, params={"map_index": ti.get("map_index", -1)})
        except HistoryError:
            return None
        value = body.get("value") if isinstance(body, dict) else None
        if isinstance(value, str):  # the stored JSON, as the API returns it without `deserialize`
            try:
                value = json.loads(value)
            except ValueError:
                pass
        return value


def _label(ti: Mapping[str, Any]) -> str:
    name = str(ti["task_id"])
    mapped = ti.get("rendered_map_index") or (ti["map_index"] if ti.get("map_index", -1) >= 0 else None)
    return f"{name} {mapped}" if mapped is not None else name


def run_history(
    first: dt.date,
    last: dt.date,
    *,
    api: AirflowApi,
    dag_id: str = HISTORY_DAG_ID,
    read_budget: int | None = None,
    out: Callable[[str], None] = print,
    poll_s: float = POLL_S,
    timeout_s: float = TIMEOUT_S,
) -> int:
    """Trigger the history DAG for `first`..`last` (both included) as the Trigger form does, follow it,
    and return 0 when every task succeeded, 1 otherwise (the failed parts and their log ends printed)."""
    if first > last:
        raise HistoryError(f"--from {first} is after --to {last}; swap them")
    days = describe_days(first, last)
    dag = api.call("GET", f"/api/v2/dags/{dag_id}")
    if dag.get("is_paused"):  # runs of a paused DAG stay queued; this DAG has no schedule, unpausing is harmless
        api.call("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
    conf: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat()}
    if read_budget is not None:
        conf["x_read_budget"] = read_budget
    run = api.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
    run_id = run["dag_run_id"]
    quoted = quote(run_id, safe="")
    out(f"History {days}: started run {run_id} of {dag_id} at {api.login.url} (it shows in the UI's grid).")
    started = time.monotonic()
    seen: dict[str, str] = {}
    adjusted: list[str] | None = None
    while True:
        # the run's state first: once it has finished, the task instances read after it are final too
        state = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted}")["state"]
        tis = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted}/taskInstances", params={"limit": 1000})
        for ti in sorted(tis["task_instances"], key=lambda t: (str(t["task_id"]), t.get("map_index", -1))):
            key, ti_state = f"{ti['task_id']}[{ti.get('map_index', -1)}]", ti.get("state")
            if ti_state and seen.get(key) != ti_state:
                seen[key] = str(ti_state)
                out(f"  [{time.monotonic() - started:5.0f} s] {_label(ti)}: {ti_state}")
            if ti["task_id"] == "plan" and ti_state == "success" and adjusted is None:
                adjusted = _say_adjustments(api, dag_id, run_id, ti, days, out)
        if state in FINISHED:
            break
        if time.monotonic() - started > timeout_s:
            out(f"error: the run is still {state} after {timeout_s:.0f} s; it goes on in Airflow (see the UI)")
            return 1
        time.sleep(poll_s)
    elapsed = time.monotonic() - started
    bad = [ti for ti in tis["task_instances"] if ti.get("state") != "success"]
    if state == "success" and not bad:
        changed = f" ({len(adjusted)} change(s) to the days asked for: the notes above)" if adjusted else ""
        out(f"History {days} loaded in {elapsed:.0f} s: every part succeeded{changed}.")
        return 0
    out(f"error: history {days} failed after {elapsed:.0f} s (run {run_id}).")
    for ti in bad:
        out(f"--- {_label(ti)}: {ti.get('state')}")
        if ti.get("state") == "failed":
            # a predictable problem is one line (dags/social_metrics.py's fail_fast keeps it as XCom `error`)
            error = api.xcom(dag_id, run_id, ti, "error")
            out(str(error) if error else api.log_tail(dag_id, run_id, ti))
    names = ", ".join(_label(ti) for ti in bad) or "the run"
    out(f"error: failed part(s): {names}. Fix the cause above, then run the same command again (it replaces "
        f"exactly these days).")  # fmt: skip
    return 1


def _say_adjustments(
    api: AirflowApi, dag_id: str, run_id: str, plan: Mapping[str, Any], days: str, out: Callable[[str], None]
) -> list[str]:
    """What plan changed in the days asked for (a last day not over yet, days older than a network keeps):
    printed, and written into the run's note, which the UI's grid shows (a task cannot set it in Airflow 3.3:
    its execution API has no call for notes)."""
    adjustments = [str(line) for line in api.xcom(dag_id, run_id, plan, "adjustments") or []]
    if not adjustments:
        return []
    for line in adjustments:
        out(f"  note: {line}")
    note = f"History {days} as asked; changed:\n" + "\n".join(f"- {line}" for line in adjustments)
    from socialmetrics.run.airflow_setup import _call  # repeated on a 5xx: Airflow on SQLite answers 500 while busy

    try:
        _call(api, "PATCH", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}", json={"note": note[:NOTE_CHARS]})
    except HistoryError as exc:
        out(f"  (the run's note could not be set: {exc})")
    return adjustments


def main(first: dt.date, last: dt.date, *, read_budget: int | None, dag_id: str) -> int:
    """The CLI's `history` command."""
    try:
        return run_history(first, last, api=AirflowApi(ApiLogin.from_env()), dag_id=dag_id, read_budget=read_budget)
    except HistoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
