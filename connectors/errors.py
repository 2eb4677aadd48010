"""The errors connectors raise, and the one marker of those that must never be retried (no imports: the
DAG file reads it at parse time, and connectors/http.py uses these without importing connectors/base.py)."""

from __future__ import annotations


class PermanentError(Exception):
    """An error that retrying cannot fix (an expired token, a typo in the config, a failed quality
    gate): the DAG fails such a task at once instead of using Airflow's retries. Every never-retried
    error of the project, in connectors and core, derives from it; the DAG checks this one type."""


class ConnectorError(Exception):
    """Base of all errors a connector raises; the message is safe to show (no secrets)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class AuthError(ConnectorError, PermanentError):
    """The token is missing, expired or lacks permissions: never retried."""


class RateLimitError(ConnectorError):
    """The API's rate limit is exhausted for longer than we are willing to wait."""


class ApiError(ConnectorError):
    """The API answered with an error we cannot recover from."""


class RequestRejectedError(ApiError, PermanentError):
    """The API refused this request with a 4xx that no retry can fix (a retired API version, a field or parameter
    it does not accept, an object that does not exist, a bad request): never retried."""


class MalformedResponseError(ConnectorError, PermanentError):
    """The API answered with something that is not the documented shape (after the HTTP layer's
    retries); `body` holds the scrubbed answer when there is one to keep for diagnosis."""

    body: str | None = None


class LimitExceededError(ConnectorError, PermanentError):
    """An answer or a file is larger than the configured limit (`max_page_mb`, `max_file_mb`): never retried."""


class ExtractTimeoutError(ConnectorError, PermanentError):
    """An extract ran past its time limit (`time_limit_minutes`): not retried the same night, so a hanging
    API costs one limit per account, and `load` (which waits for every extract) goes on."""


class AccountOptionError(ConnectorError, PermanentError):
    """An account option in the config has a wrong value (a typo): never retried."""


class UnknownAccountError(ConnectorError, PermanentError):
    """The configured account does not exist on the network (a typo in the config): never retried."""


class BudgetExceededError(ConnectorError, PermanentError):
    """The run would read more (and cost more) than the account's read budget allows: a clear stop."""


class UsageCapError(BudgetExceededError):
    """The network's paid usage is used up (X's monthly cap, depleted credits): retrying cannot help until
    it resets or more is bought, so it fails at once and says which."""


class StreamUnavailable(ConnectorError):  # noqa: N818 (a signal, not a failure of the run)
    """This stream cannot be read with this token or access level; the run goes on without it and
    leaves what earlier runs loaded for it untouched (the message becomes a connector warning)."""
