"""Tagged links: the one convention that lets website analytics join campaigns without manual mapping.

`socialmetrics link URL --network N --campaign NAME` adds `utm_source=<network>` (facebook, instagram, linkedin,
x, xing: the names connectors/web.py maps back), `utm_medium=social` and `utm_campaign=<the campaign's name
exactly as in the config>`. Matomo and GA4 read utm_* parameters as the visit's campaign (Matomo lower-cases the
name), so marts.web_outcomes_daily shows the campaign's visits per network under that name.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from connectors.web import NETWORKS

UTM_MEDIUM = "social"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")


class LinkError(ValueError):
    """The link cannot be tagged as asked; the message says what to give instead."""


def tagged_url(url: str, network: str, campaign: str, campaigns: Iterable[str]) -> str:
    """`url` with the campaign's utm parameters; its other parameters and its fragment are kept, earlier utm_source,
    utm_medium and utm_campaign values are replaced."""
    known = list(campaigns)
    if network not in NETWORKS:
        raise LinkError(f"--network {network!r}: one of {', '.join(NETWORKS)}")
    if campaign not in known:
        listed = ", ".join(f'"{c}"' for c in known) if known else "none (add it under `campaigns:` in the config)"
        close = [c for c in known if c.casefold() == campaign.casefold()]
        hint = f' (did you mean "{close[0]}"? the name must be written exactly as in the config)' if close else ""
        raise LinkError(f'--campaign "{campaign}" is not a campaign of the config{hint}; known campaigns: {listed}')
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise LinkError(f"{url!r} is not a web address: give the full http:// or https:// address of the page")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in UTM_KEYS]
    query += [("utm_source", network), ("utm_medium", UTM_MEDIUM), ("utm_campaign", campaign)]
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path or "/", urlencode(query, quote_via=quote), parts.fragment)
    )
