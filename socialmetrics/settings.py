"""Where things live: the environment variables of the contract and their defaults."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV = "SOCIALMETRICS_CONFIG"
WAREHOUSE_ENV = "SOCIALMETRICS_WAREHOUSE"
LANDING_ENV = "SOCIALMETRICS_LANDING"
QUALITY_DOCS_ENV = "SOCIALMETRICS_QUALITY_DOCS"
DEFAULT_CONFIG = "config/socialmetrics.yml"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"


def config_path() -> Path:
    """The config file: $SOCIALMETRICS_CONFIG or config/socialmetrics.yml."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser().absolute()


def warehouse_path() -> Path:
    """The DuckDB file: $SOCIALMETRICS_WAREHOUSE or data/warehouse.duckdb."""
    return Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE).expanduser().absolute()


def landing_root() -> Path:
    """Raw API pages: $SOCIALMETRICS_LANDING, or `landing/` beside the warehouse."""
    explicit = os.environ.get(LANDING_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return warehouse_path().parent / "landing"


def quality_docs_dir() -> Path:
    """Great Expectations Data Docs (HTML): $SOCIALMETRICS_QUALITY_DOCS, or `quality_docs/` beside the warehouse."""
    explicit = os.environ.get(QUALITY_DOCS_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return warehouse_path().parent / "quality_docs"
