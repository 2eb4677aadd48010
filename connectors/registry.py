"""Connectors are found through the entry-point group `socialmetrics.connectors`.

The built-in networks register there exactly like a third-party plugin package would
(see pyproject.toml), so adding a network never changes the core.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.base import Connector

from connectors.errors import PermanentError

ENTRY_POINT_GROUP = "socialmetrics.connectors"


class UnknownNetworkError(LookupError, PermanentError):
    """A config names a network no installed connector provides."""


@cache
def available() -> dict[str, type[Connector]]:
    """Network name -> connector class, for every installed connector."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.load()
    return found


def get(network: str) -> type[Connector]:
    """The connector class for a network."""
    connectors = available()
    try:
        return connectors[network]
    except KeyError:
        known = ", ".join(sorted(connectors)) or "none"
        raise UnknownNetworkError(
            f"no connector for network '{network}' (installed: {known}). Install the plugin package that "
            f"provides it, or fix the network name in the config."
        ) from None
