"""Which post permalinks the report may turn into links: the network's own pages over https, nothing else.

A permalink is data from outside (an API answer, or what a Xing admin typed into the `Beitrag` column), and
the report is e-mailed: a `javascript:` URL or a link to any other site would be one click away in the
owner's inbox. Only https URLs on the network's own hosts (or their subdomains) become links; anything else
is shown as plain text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from connectors import registry

PERMALINK_HOSTS: dict[str, tuple[str, ...]] = {  # network -> its own hosts (subdomains included)
    "facebook": ("facebook.com",),
    "instagram": ("instagram.com",),
    "linkedin": ("linkedin.com",),
    "x": ("x.com", "twitter.com"),
    "xing": ("xing.com",),
}
HOST_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")


def permalink_hosts(network: str) -> tuple[str, ...]:
    """The hosts whose URLs are links for `network`; a plugin declares them as `permalink_hosts` on its class."""
    if network in PERMALINK_HOSTS:
        return PERMALINK_HOSTS[network]
    try:
        return tuple(getattr(registry.get(network), "permalink_hosts", ()))
    except registry.UnknownNetworkError:
        return ()


def safe_permalink(network: str, url: str | None) -> str | None:
    """`url` when it is an https link to one of the network's own hosts, else None (shown as text)."""
    if not url or any(c.isspace() or not c.isprintable() or c == "\\" for c in url):
        return None  # browsers read a backslash as a slash: https://evil.example\.xing.com goes to evil.example
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() != "https" or parts.username is not None or port not in (None, 443):
        return None
    if not HOST_RE.match(host):
        return None
    return url if any(host == h or host.endswith("." + h) for h in permalink_hosts(network)) else None
