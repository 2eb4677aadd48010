"""The one marker of errors that must never be retried (no imports: the DAG file reads it at parse time)."""

from __future__ import annotations


class PermanentError(Exception):
    """An error that retrying cannot fix (an expired token, a typo in the config, a failed quality
    gate): the DAG fails such a task at once instead of using Airflow's retries. Every never-retried
    error of the project, in connectors and core, derives from it; the DAG checks this one type."""
