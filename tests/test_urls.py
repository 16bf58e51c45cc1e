"""Links with IPv6 literal hosts keep their brackets when canonicalised (bot/urls.py)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.urls import canonical_url, is_http_url


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        ("http://[2001:db8::1]/a", "http://[2001:db8::1]/a"),
        ("http://[::1]:18222/v6", "http://[::1]:18222/v6"),
        ("HTTPS://[2001:DB8::1]:443/x/?utm_source=y", "https://[2001:db8::1]/x"),
        ("http://[2001:db8::1]:80", "http://[2001:db8::1]"),
        ("http://example.com:8080/a/", "http://example.com:8080/a"),
        ("http://93.184.216.34/a", "http://93.184.216.34/a"),
    ],
)
def test_hosts_keep_their_form(link: str, canonical: str):
    assert canonical_url(link) == canonical
    assert is_http_url(canonical_url(link))


@given(
    address=st.ip_addresses(v=6),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=st.from_regex(r"(/[a-z0-9]{1,8}){0,3}", fullmatch=True),
)
def test_any_ipv6_link_canonicalises_to_the_same_host_and_port(
    address: ipaddress.IPv6Address, port: int | None, path: str
):
    link = f"http://[{address}]{f':{port}' if port else ''}{path}"
    canonical = canonical_url(link)
    parts = urlsplit(canonical)
    assert ipaddress.ip_address(parts.hostname or "") == address
    assert parts.port == (None if port in (None, 80) else port)
    assert parts.path == path.rstrip("/")
    assert canonical_url(canonical) == canonical
