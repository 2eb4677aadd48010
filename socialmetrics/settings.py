"""Where things live: the environment variables of the contract and their defaults.

One company (the default): `SOCIALMETRICS_CONFIG` and `SOCIALMETRICS_WAREHOUSE`. Several companies:
`SOCIALMETRICS_CONFIG_DIR` holds one `<slug>.yml` per company, and each company's files live under
`$SOCIALMETRICS_DATA_DIR/<slug>/`; `Company.environ()` gives the variables that point the functions
below at one company when passed as their `environ` (`paths(environ)` gives all of a company's files); the
DAG's tasks pass those paths to the pipeline as arguments and never change the process's environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

CONFIG_ENV = "SOCIALMETRICS_CONFIG"
WAREHOUSE_ENV = "SOCIALMETRICS_WAREHOUSE"
LANDING_ENV = "SOCIALMETRICS_LANDING"
QUALITY_DOCS_ENV = "SOCIALMETRICS_QUALITY_DOCS"
REPORTS_ENV = "SOCIALMETRICS_REPORTS"
CONFIG_DIR_ENV = "SOCIALMETRICS_CONFIG_DIR"
DATA_DIR_ENV = "SOCIALMETRICS_DATA_DIR"
DEFAULT_CONFIG = "config/socialmetrics.yml"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_DATA_DIR = "data"
DEFAULT_TIMEZONE = "Europe/Berlin"  # the config's `timezone` when it has none (socialmetrics.config.Config)
DUCKDB_POOL = "duckdb"
DAG_ID = "social_metrics"
HISTORY_DAG_ID = "social_metrics_history"
REPO_ROOT = Path(__file__).resolve().parent.parent
# The SQL models: sql/ of the source tree (an editable install, the Docker image), else the copy a wheel
# ships inside the package (setup.py puts it there).
SQL_DIR = REPO_ROOT / "sql" if (REPO_ROOT / "sql" / "core").is_dir() else Path(__file__).resolve().parent / "sql"


# What the Makefile exports for Airflow (`make airflow`, `make demo`): a command run from a plain shell
# gets the same when it uses the clone's Airflow home (see project_airflow_env).
MAKEFILE_AIRFLOW_ENV = {
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__API__HOST": "127.0.0.1",
    "AIRFLOW__API__PORT": "8080",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Berlin",
}


def project_airflow_home() -> Path | None:
    """The clone's `.airflow/` (the Airflow home `make airflow` uses) when this package runs from a source
    tree that has one; None for an installed package or before the first `make airflow`/`make demo`."""
    home = REPO_ROOT / ".airflow"
    return home if (REPO_ROOT / "Makefile").is_file() and home.is_dir() else None


def airflow_home(env: Mapping[str, str] | None = None) -> Path:
    """Airflow's home: $AIRFLOW_HOME; unset, the clone's `.airflow/` (what the Makefile sets) if it exists,
    else Airflow's own default ~/airflow."""
    env = os.environ if env is None else env
    if env.get("AIRFLOW_HOME"):
        return Path(env["AIRFLOW_HOME"]).expanduser()
    return project_airflow_home() or Path.home() / "airflow"


def airflow_home_source(env: Mapping[str, str] | None = None) -> str:
    """Why airflow_home() is the folder it is, for messages."""
    env = os.environ if env is None else env
    if env.get("AIRFLOW_HOME"):
        return "set by AIRFLOW_HOME"
    if project_airflow_home():
        return "the clone's Airflow home, as AIRFLOW_HOME is unset"
    return f"Airflow's default, as AIRFLOW_HOME is unset and {REPO_ROOT / '.airflow'} does not exist"


def project_airflow_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with what the Makefile exports when AIRFLOW_HOME is unset and the clone has its Airflow home, so a
    command run from a plain shell (`.venv/bin/socialmetrics demo`) uses the Airflow that `make airflow` runs;
    variables already set are kept."""
    out = dict(env)
    home = project_airflow_home()
    if out.get("AIRFLOW_HOME") or home is None:
        return out
    out["AIRFLOW_HOME"] = str(home)
    for key, value in MAKEFILE_AIRFLOW_ENV.items():
        out.setdefault(key, value)
    return out


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file: $SOCIALMETRICS_CONFIG (of `environ`, default the process's) or config/socialmetrics.yml."""
    return Path(_env(environ).get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser().absolute()


def warehouse_path(environ: Mapping[str, str] | None = None) -> Path:
    """The DuckDB file: $SOCIALMETRICS_WAREHOUSE or data/warehouse.duckdb."""
    return Path(_env(environ).get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE).expanduser().absolute()


def default_path_hint(env_name: str, default: str) -> str:
    """For a "not found" message about a default path (config, warehouse): when the variable is unset and the
    command runs outside the clone, say that the default is read from the current folder."""
    if os.environ.get(env_name) or not (REPO_ROOT / "Makefile").is_file() or Path.cwd() == REPO_ROOT:
        return ""
    return (
        f" ({env_name} is unset, and its default {default} is read from the current folder: run this in the clone "
        f"({REPO_ROOT}) or set {env_name})"
    )


def warehouse_hint() -> str:
    """default_path_hint for the warehouse."""
    return default_path_hint(WAREHOUSE_ENV, DEFAULT_WAREHOUSE)


def landing_root(environ: Mapping[str, str] | None = None, *, warehouse: Path | None = None) -> Path:
    """Raw API pages: $SOCIALMETRICS_LANDING, or `landing/` beside the warehouse."""
    explicit = _env(environ).get(LANDING_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return (Path(warehouse).expanduser().absolute() if warehouse else warehouse_path(environ)).parent / "landing"


def quality_docs_dir(environ: Mapping[str, str] | None = None, *, warehouse: Path | None = None) -> Path:
    """Great Expectations Data Docs (HTML): $SOCIALMETRICS_QUALITY_DOCS, or `quality_docs/` beside the warehouse."""
    explicit = _env(environ).get(QUALITY_DOCS_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return (Path(warehouse).expanduser().absolute() if warehouse else warehouse_path(environ)).parent / "quality_docs"


def reports_dir(environ: Mapping[str, str] | None = None, *, warehouse: Path | None = None) -> Path:
    """Rendered reports: $SOCIALMETRICS_REPORTS, or `reports/` beside the warehouse."""
    explicit = _env(environ).get(REPORTS_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return (Path(warehouse).expanduser().absolute() if warehouse else warehouse_path(environ)).parent / "reports"


@dataclass(frozen=True)
class Paths:
    """One company's files, as task functions get them (arguments, never the process's environment)."""

    config: Path
    warehouse: Path
    landing: Path
    quality_docs: Path
    reports: Path


def paths(environ: Mapping[str, str] | None = None) -> Paths:
    """The files `environ` (default the process's environment) points at; a company's DAG passes its
    Company.environ() over the process's, without changing the process's environment."""
    return Paths(
        config_path(environ), warehouse_path(environ), landing_root(environ), quality_docs_dir(environ),
        reports_dir(environ),
    )  # fmt: skip


def schedule_timezone(config: Path | None = None) -> str:
    """The `timezone` of a company's config (default $SOCIALMETRICS_CONFIG), which the nightly DAG's schedule
    follows (03:00 local, so the run covering yesterday starts on the company's today).

    Read when the DAG file is parsed: one small file, the one key, nothing validated. A config that cannot
    be read, or names no time zone this machine knows, gives the default: its DAG still appears, and its
    `plan` task fails with the config's own error (socialmetrics.config.load_config names file, key and fix)."""
    try:
        data = yaml.safe_load((config or config_path()).read_text(encoding="utf-8-sig"))
        name = data.get("timezone") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name:
            return DEFAULT_TIMEZONE
        ZoneInfo(name)
    except (OSError, ValueError, yaml.YAMLError, LookupError):  # ZoneInfoNotFoundError is a KeyError
        return DEFAULT_TIMEZONE
    return name


def config_dir() -> Path | None:
    """The folder of per-company configs ($SOCIALMETRICS_CONFIG_DIR); None (unset or empty) means one company."""
    value = os.environ.get(CONFIG_DIR_ENV)
    return Path(value).expanduser().absolute() if value else None


def data_dir() -> Path:
    """Where per-company folders live: $SOCIALMETRICS_DATA_DIR or data/."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser().absolute()


@dataclass(frozen=True)
class Company:
    """One company of a multi-company setup: its config file and its own warehouse, landing and pool."""

    slug: str
    config: Path
    data_dir: Path
    landing: Path
    reports: Path

    @property
    def warehouse(self) -> Path:
        """The company's DuckDB file."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def pool(self) -> str:
        """The pool (1 slot) that serialises the writers of this company's DuckDB file."""
        return f"{DUCKDB_POOL}__{self.slug}"

    def environ(self) -> dict[str, str]:
        """The SOCIALMETRICS_* variables that point this module's functions at the company's files."""
        return {
            CONFIG_ENV: str(self.config),
            WAREHOUSE_ENV: str(self.warehouse),
            LANDING_ENV: str(self.landing),
            QUALITY_DOCS_ENV: str(self.data_dir / "quality_docs"),
            REPORTS_ENV: str(self.reports),
        }


def company_slug(config_file: Path) -> str:
    """`Acme GmbH.yml` -> `acme-gmbh`: lower case, runs of anything but a-z, 0-9, `_` and `-` become `-`."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", config_file.stem.lower()).strip("-")
    if not slug:
        raise ValueError(f"{config_file}: the file name gives no company slug; name it like `acme.yml`")
    return slug


def companies(folder: Path | None = None) -> list[Company]:
    """One Company per `*.yml` in the config folder (default $SOCIALMETRICS_CONFIG_DIR), sorted by slug.

    Only lists the folder (no YAML is read: a broken config fails its own DAG's `plan` task, not
    every company's DAG). Landing goes to `$SOCIALMETRICS_LANDING/<slug>` when that is set, else to
    `<data dir>/<slug>/landing`; reports likewise under `$SOCIALMETRICS_REPORTS`."""
    folder = folder or config_dir()
    if folder is None:
        return []
    if not folder.is_dir():
        raise ValueError(f"{CONFIG_DIR_ENV}={folder} is not a folder; point it at the folder of company configs")
    landing_env, reports_env = os.environ.get(LANDING_ENV), os.environ.get(REPORTS_ENV)
    found: dict[str, Company] = {}
    for path in sorted(folder.glob("*.yml")):
        slug = company_slug(path)
        if slug in found:
            raise ValueError(
                f"{found[slug].config.name} and {path.name} in {folder} both give the company slug '{slug}'; "
                "rename one of them"
            )
        home = data_dir() / slug
        found[slug] = Company(
            slug,
            path.absolute(),
            home,
            Path(landing_env).expanduser().absolute() / slug if landing_env else home / "landing",
            Path(reports_env).expanduser().absolute() / slug if reports_env else home / "reports",
        )
    if not found:
        raise ValueError(f"{CONFIG_DIR_ENV}={folder} holds no *.yml company config; add one or unset the variable")
    return [found[slug] for slug in sorted(found)]


def duckdb_pools() -> dict[str, str]:
    """Pool name -> description of every pool the DAG file uses in this setup (each gets 1 slot)."""
    writer = "DuckDB has one writer process: every task writing {} runs here"
    pools = {DUCKDB_POOL: writer.format("the warehouse")}
    for company in companies():
        pools[company.pool] = writer.format(company.warehouse)
    return pools


def dag_ids() -> list[str]:
    """The DAG ids dags/social_metrics.py defines in this setup: the nightly and the history DAG, once
    per company with $SOCIALMETRICS_CONFIG_DIR."""
    found = companies()
    if not found:
        return [DAG_ID, HISTORY_DAG_ID]
    return [f"{kind}__{company.slug}" for company in found for kind in (DAG_ID, HISTORY_DAG_ID)]
