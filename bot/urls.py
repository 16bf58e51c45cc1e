"""Links as people paste them, reduced to one canonical form so the same article is recognised twice."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname) and " " not in text.strip()


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, fragment, tracking parameters or trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets, or its colons read as a port
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMETERS
        ]
    )
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, query, ""))


# What chat clients show as an address: a scheme, or www. ("Node.js 22" is a title, not a site).
_URL_LIKE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>|]+|\bwww\.[^\s<>|]+", re.IGNORECASE)


def misleading_label(label: str, url: str) -> bool:
    """Whether a link's visible text names an address other than where it leads: a newsletter item
    titled ``https://example.com/legit`` that links to ``https://evil.example`` would show one site and
    open another."""
    target = _host(url)
    shown = (m.group(0) for m in _URL_LIKE.finditer(label))
    return any(_host(address) != target for address in shown if not address.endswith("…"))  # "…": cut


def _host(address: str) -> str:
    try:
        host = urlsplit(address if "://" in address else f"http://{address}").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")
