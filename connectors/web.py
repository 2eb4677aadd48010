"""Which social network brought a website visit: the documented mapping of referrer hosts and UTM sources
onto the networks of this project, shared by the website-analytics connectors (Matomo, GA4).

A referrer host maps to a network when it IS one of the network's domains or a subdomain of one
(`l.facebook.com`, `de-de.facebook.com`); a host that merely contains the name (`facebook.com.evil.example`,
`notfacebook.com`) maps to nothing. The link shorteners the networks wrap outgoing links in (`l.facebook.com`,
`lm.facebook.com`, `l.instagram.com`, `lnkd.in`, `t.co`) count for their network. A utm_source maps when it is
the network's name as `socialmetrics link` writes it (`facebook`, `instagram`, `linkedin`, `x`, `xing`), a
common alias (`fb`, `ig`, `twitter`) or one of the hosts.

What no mapping can recover: apps that open links without a referrer (Instagram's in-app browser for links
in stories and bios, many mobile apps, messengers) arrive as "direct" visits. They are not counted for any
network; tag links with `socialmetrics link` so they arrive with their utm_source instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

NETWORKS = ("facebook", "instagram", "linkedin", "x", "xing")
# The web-analytics tools: accounts with website numbers, not daily social-media numbers (the report's
# "Was hat es gebracht?" covers them; the missing-data section does not).
ANALYTICS_NETWORKS = ("matomo", "ga4")
OTHER_SOCIAL = "other_social"  # a social referrer of none of the networks above (Pinterest, YouTube, ...)

# Each network's registrable domains; a referrer host is the domain or a subdomain of it.
NETWORK_DOMAINS: dict[str, tuple[str, ...]] = {
    "facebook": ("facebook.com", "fb.com", "fb.me", "messenger.com"),
    "instagram": ("instagram.com",),
    "linkedin": ("linkedin.com", "lnkd.in"),
    "x": ("x.com", "twitter.com", "t.co"),
    "xing": ("xing.com",),
}
# Social sites of none of the networks above: their referrals count as 'other_social' (where the analytics tool
# does not class them itself, as GA4's session source does not).
OTHER_SOCIAL_DOMAINS = ("pinterest.com", "youtube.com", "tiktok.com", "reddit.com", "threads.net", "bsky.app",
                        "mastodon.social", "tumblr.com", "snapchat.com", "whatsapp.com", "vk.com")  # fmt: skip
# utm_source values besides the network's own name and its domains.
SOURCE_ALIASES: dict[str, str] = {
    "fb": "facebook",
    "ig": "instagram",
    "twitter": "x",
    "tw": "x",
    "li": "linkedin",
}
# Matomo names social referrers by the site's name (`Referrers.getSocials` labels, from matomo-org's
# searchengine-and-social-list); X still answers as "Twitter" there.
SOCIAL_LABELS: dict[str, str] = {
    "facebook": "facebook",
    "facebook messenger": "facebook",
    "instagram": "instagram",
    "linkedin": "linkedin",
    "twitter": "x",
    "x": "x",
    "xing": "xing",
}


def host_of(referrer: str) -> str:
    """The host of a referrer given as a URL or a bare host: lower case, without `www.`, port or trailing dot."""
    text = referrer.strip().lower()
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


def network_of_host(referrer: str | None) -> str | None:
    """The network a referrer host (or URL) belongs to, or None."""
    if not referrer:
        return None
    host = host_of(referrer)
    for network, domains in NETWORK_DOMAINS.items():
        if any(host == domain or host.endswith("." + domain) for domain in domains):
            return network
    return None


def network_of_source(source: str | None) -> str | None:
    """The network a utm_source (campaign source) names, or None."""
    if not source:
        return None
    value = source.strip().lower()
    if value in NETWORKS:
        return value
    if value in SOURCE_ALIASES:
        return SOURCE_ALIASES[value]
    return network_of_host(value)


def is_other_social(referrer: str | None) -> bool:
    """True for a referrer host (or URL) of a social site that is none of the networks."""
    host = host_of(referrer) if referrer else ""
    return any(host == domain or host.endswith("." + domain) for domain in OTHER_SOCIAL_DOMAINS)


def network_of_social(label: str | None, url: str | None = None) -> str:
    """The network of a referrer an analytics tool already classed as social: by its host, else its name,
    else `other_social`."""
    return network_of_host(url) or SOCIAL_LABELS.get((label or "").strip().lower()) or OTHER_SOCIAL
