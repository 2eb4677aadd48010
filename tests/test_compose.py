"""docker-compose.yml, Dockerfile and .env.example, checked statically (no Docker engine here).

tests/test_celery_e2e.py runs the same topology natively; these tests keep the files honest: the
services and their health checks, the order they start in, the executor, where the UI is published,
that no secret is written into the YAML, and that the image installs exactly requirements.lock.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
COMPOSE_TEXT = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker")  # fmt: skip
LONG_RUNNING = (*AIRFLOW_SERVICES, "postgres", "redis")
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; `$$` is a literal dollar
REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}")
SECRET_NAME = re.compile(r"password|secret|token|fernet|(^|_)key($|_)|credential", re.IGNORECASE)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution, as far as this file uses it."""

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        value = env.get(name)
        if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
            return arg
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise ValueError(f"{name}: {arg}")
        return value or ""

    return REFERENCE.sub(one, text).replace("$$", "$")


def env_example() -> dict[str, str]:
    """NAME -> value of every assignment in .env.example."""
    pairs = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def environment(service: str) -> dict[str, str]:
    """The service's `environment` as a dict (list or mapping form)."""
    env = SERVICES[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, string) leaf of the YAML, keys included in the path."""
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in strings(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in strings(v, f"{path}[{i}]")]
    return [(path, str(node))] if node is not None else []


def test_every_service_of_the_reference_layout_is_there() -> None:
    assert set(LONG_RUNNING) | {"airflow-init"} <= set(SERVICES)
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        assert SERVICES[name]["build"] == "." and "image" in SERVICES[name], name  # the image of ./Dockerfile
    assert SERVICES["airflow-apiserver"]["command"] == "api-server"
    assert SERVICES["airflow-worker"]["command"] == "celery worker"
    assert SERVICES["postgres"]["image"].startswith("postgres:") and SERVICES["redis"]["image"].startswith("redis:")


@pytest.mark.parametrize(
    ("service", "check"),
    [
        ("airflow-apiserver", "curl --fail http://localhost:8080/api/v2/version"),
        ("airflow-scheduler", "curl --fail http://localhost:8974/health"),
        (
            "airflow-worker",
            'celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d "celery@$${HOSTNAME}"',
        ),  # fmt: skip
        ("airflow-dag-processor", 'airflow jobs check --job-type DagProcessorJob --hostname "$${HOSTNAME}"'),
        ("airflow-triggerer", 'airflow jobs check --job-type TriggererJob --hostname "$${HOSTNAME}"'),
        ("postgres", "pg_isready -U airflow -d airflow"),
        ("redis", "redis-cli ping"),
        ("dashboard", "curl --fail http://localhost:8501/_stcore/health"),
    ],
)
def test_every_long_running_service_has_its_health_check(service: str, check: str) -> None:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    assert " ".join(test[1:]) == check
    assert SERVICES[service].get("restart") == "always"


def test_the_scheduler_serves_its_health_endpoint() -> None:
    assert environment("airflow-scheduler")["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_services_start_in_order_init_after_the_databases_and_workers_after_the_api() -> None:
    healthy = {"condition": "service_healthy"}
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        deps = SERVICES[name]["depends_on"]
        assert deps["postgres"] == healthy and deps["redis"] == healthy, name
        if name != "airflow-init":
            assert deps["airflow-init"] == {"condition": "service_completed_successfully"}, name
    assert SERVICES["airflow-worker"]["depends_on"]["airflow-apiserver"] == healthy  # the execution API
    assert "healthcheck" not in SERVICES["airflow-init"] and SERVICES["airflow-init"]["restart"] == "no"


def test_airflow_runs_celery_on_postgres_and_redis() -> None:
    env = {k: interpolate(v, {"POSTGRES_PASSWORD": "pw"}) for k, v in environment("airflow-scheduler").items()
           if "FERNET" not in k and "SECRET" not in k}  # fmt: skip
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://airflow:pw@postgres:5432/airflow"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql+psycopg2://airflow:pw@postgres:5432/airflow"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    for name in AIRFLOW_SERVICES:  # one anchor: every component sees the same settings and keys
        assert environment(name) == environment("airflow-scheduler"), name


def test_only_the_api_server_publishes_a_port_on_a_configurable_loopback_default() -> None:
    ports = SERVICES["airflow-apiserver"]["ports"]
    assert ports == ["${SOCIALMETRICS_BIND:-127.0.0.1}:${SOCIALMETRICS_PORT:-8080}:8080"]
    assert interpolate(ports[0], {}) == "127.0.0.1:8080:8080"
    assert interpolate(ports[0], {"SOCIALMETRICS_BIND": "", "SOCIALMETRICS_PORT": ""}) == "127.0.0.1:8080:8080"
    assert (
        interpolate(ports[0], {"SOCIALMETRICS_BIND": "10.0.0.5", "SOCIALMETRICS_PORT": "9000"}) == "10.0.0.5:9000:8080"
    )
    for name, service in SERVICES.items():
        if name not in ("airflow-apiserver", "dashboard"):
            assert "ports" not in service, f"{name} publishes a port"


def test_the_dashboard_reads_the_warehouse_volume_read_only_behind_a_login_on_loopback() -> None:
    dashboard = SERVICES["dashboard"]
    ports = dashboard["ports"]
    assert ports == ["${SOCIALMETRICS_DASHBOARD_BIND:-127.0.0.1}:${SOCIALMETRICS_DASHBOARD_PORT:-8501}:8501"]
    assert interpolate(ports[0], {}) == "127.0.0.1:8501:8501"
    assert "warehouse:/opt/socialmetrics/data:ro" in dashboard["volumes"]  # never writes the warehouse
    env = environment("dashboard")
    assert env["SOCIALMETRICS_WAREHOUSE"] == environment("airflow-scheduler")["SOCIALMETRICS_WAREHOUSE"]
    assert "SOCIALMETRICS_DASHBOARD_AUTH" not in env  # the login stays on
    with pytest.raises(ValueError, match="SOCIALMETRICS_DASHBOARD_PASSWORD"):
        interpolate(env["SOCIALMETRICS_DASHBOARD_PASSWORD"], {})
    assert dashboard["entrypoint"][:3] == ["python", "-m", "socialmetrics.serve.dashboard"]
    assert dashboard["build"] == "." and dashboard["image"] == SERVICES["airflow-scheduler"]["image"]


def test_workers_scale_with_docker_compose_scale() -> None:
    """`--scale airflow-worker=N` needs no fixed container name and no published port."""
    for name, service in SERVICES.items():
        assert "container_name" not in service, name
    worker = SERVICES["airflow-worker"]
    assert "ports" not in worker and "hostname" not in worker


def test_data_lives_in_volumes_and_the_config_is_mounted_read_only() -> None:
    mounts = {m.split(":")[1]: m for m in SERVICES["airflow-worker"]["volumes"]}
    assert mounts["/opt/socialmetrics/config"] == "./config:/opt/socialmetrics/config:ro"
    assert mounts["/opt/socialmetrics/imports"].endswith(":ro")  # Xing files dropped on the host
    for path, volume in (("/opt/socialmetrics/data", "warehouse"), ("/opt/socialmetrics/landing", "landing"),
                         ("/opt/socialmetrics/reports", "reports"), ("/opt/airflow/logs", "airflow-logs")):  # fmt: skip
        assert mounts[path] == f"{volume}:{path}"
        assert volume in COMPOSE["volumes"]
    env = environment("airflow-worker")
    assert env["SOCIALMETRICS_WAREHOUSE"].startswith("/opt/socialmetrics/data/")
    assert env["SOCIALMETRICS_DATA_DIR"] == "/opt/socialmetrics/data"
    assert env["SOCIALMETRICS_LANDING"] == "/opt/socialmetrics/landing"
    assert env["SOCIALMETRICS_REPORTS"] == "/opt/socialmetrics/reports"
    assert env["SOCIALMETRICS_CONFIG"].startswith("/opt/socialmetrics/config/")
    assert env["SOCIALMETRICS_CONFIG_DIR"] == "${SOCIALMETRICS_CONFIG_DIR:-}"  # empty: one company


def test_no_secret_value_is_written_into_the_yaml() -> None:
    """Values under secret-looking names are ${...} references (or the path of a file), and URLs carry
    no literal password."""
    for path, value in strings(COMPOSE):
        key = path.rsplit(".", 1)[-1]
        if SECRET_NAME.search(key) and not key.endswith("_FILE"):
            assert re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}", value), f"{path}: {value!r}"
        for url in re.findall(r"[a-z+]+://[^\s'\"]+", value):
            userinfo = url.split("://", 1)[1].split("@", 1)
            if len(userinfo) == 2 and ":" in userinfo[0]:
                assert re.fullmatch(r"[^:]*:\$\{[^}]+\}", userinfo[0]), f"{path}: literal password in {url}"
    for line in COMPOSE_TEXT.splitlines():
        m = re.match(r"\s*-?\s*([A-Za-z0-9_]+)[:=]\s*(\S.*)?$", line.split(" #")[0])
        if m and SECRET_NAME.search(m.group(1)) and m.group(2) and not m.group(1).endswith("_FILE"):
            assert m.group(2).startswith("${"), line
    for name in AIRFLOW_SERVICES:
        assert SERVICES[name]["env_file"] == ".env", name


def test_required_secrets_stop_compose_when_empty() -> None:
    for name in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        with pytest.raises(ValueError, match=name):
            interpolate(environment("airflow-worker")[name], {name: ""})
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        interpolate(environment("postgres")["POSTGRES_PASSWORD"], {})
    with pytest.raises(ValueError, match="AIRFLOW_ADMIN_PASSWORD"):
        interpolate(environment("airflow-init")["AIRFLOW_ADMIN_PASSWORD"], {})


def test_every_variable_the_file_uses_is_in_env_example_which_holds_no_values() -> None:
    used = {m.group(1) for m in REFERENCE.finditer(COMPOSE_TEXT)}
    example = env_example()
    assert used, "no ${...} found"
    assert used <= set(example), f"missing from .env.example: {sorted(used - set(example))}"
    assert {k: v for k, v in example.items() if v.strip()} == {}
    for name in ("AIRFLOW_CONN_FACEBOOK_DEFAULT", "AIRFLOW_CONN_LINKEDIN_DEFAULT", "AIRFLOW_CONN_X_DEFAULT"):
        assert name in example  # the connections come through env_file
    assert "Fernet.generate_key()" in (REPO / ".env.example").read_text(encoding="utf-8")


def test_init_migrates_creates_the_pools_and_the_admin_login() -> None:
    init = SERVICES["airflow-init"]
    script = "\n".join(init["command"])
    assert init["entrypoint"] == "/bin/bash"
    assert "airflow db migrate" in script
    assert "settings.duckdb_pools()" in script and "airflow pools import" in script  # the DAG file's pools
    assert "AIRFLOW_ADMIN_PASSWORD" in script and "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in script
    assert "$" not in script.replace("$$", "")  # nothing for compose to substitute inside the script
    passwords = environment("airflow-apiserver")["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    shared = [m for m in SERVICES["airflow-apiserver"]["volumes"] if m.endswith(str(Path(passwords).parent))]
    assert shared and shared[0] in init["volumes"]  # init writes the file the api-server reads


def pinned(name: str) -> str:
    """The version pyproject.toml pins for a dependency."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return next(d.split("==")[1] for d in deps if d.split("==")[0] == name)


def test_the_image_installs_exactly_requirements_lock() -> None:
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    assert f"\napache-airflow=={pinned('apache-airflow')}\n" in lock
    assert re.search(r"^COPY requirements\.lock ", DOCKERFILE, re.MULTILINE)
    assert re.search(r"pip install --no-deps -r requirements\.lock", DOCKERFILE)
    assert re.search(r"pip install --no-deps (-e )?\.(\s|$)", DOCKERFILE)  # the project, resolving nothing
    installs = re.findall(r"pip install [^\n\\]*", DOCKERFILE)
    assert all("--no-deps" in line for line in installs), installs
    assert "apache-airflow==" not in DOCKERFILE  # Airflow comes from the lock only


def test_the_base_image_matches_the_lock() -> None:
    """Either Airflow's own image at exactly the pinned version, or Python at the lock's version."""
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", DOCKERFILE, re.MULTILINE) or re.search(
        r"^FROM (\S+)", DOCKERFILE, re.MULTILINE
    )
    assert base
    image = base.group(1)
    lock_python = re.search(r"--python-version (\d+\.\d+)", (REPO / "requirements.lock").read_text()).group(1)
    if image.startswith("apache/airflow:"):
        assert image.startswith(f"apache/airflow:{pinned('apache-airflow')}-python{lock_python}")
    else:
        assert re.fullmatch(rf"python:{re.escape(lock_python)}(\.\d+)?-slim(-\w+)?", image), image


def test_the_image_has_chromium_for_the_report_and_curl_for_the_health_checks() -> None:
    apt = re.search(r"apt-get install[^\n]*", DOCKERFILE)
    assert apt
    for package in ("chromium", "fonts-dejavu-core", "curl"):
        assert re.search(rf"\b{package}\b", apt.group(0)), package
    assert re.search(r"^USER airflow$", DOCKERFILE, re.MULTILINE)  # tasks do not run as root


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".env", ".venv", ".git", "data", ".airflow"):
        assert entry in ignored, entry
    for needed in ("requirements.lock", "pyproject.toml", "README.md", "sql", "dags", "connectors", "socialmetrics"):
        assert needed not in ignored and re.search(rf"^COPY .*\b{re.escape(needed)}\b", DOCKERFILE, re.MULTILINE)
