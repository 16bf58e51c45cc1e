"""Fetch a suggested link's title over HTTP(S), safely.

Only ``http``/``https``; a short timeout; at most ``max_bytes`` read; redirects followed by hand (at most
five), each hop checked again. Every address a host name resolves to must pass the address policy (by
default: public unicast only, so no loopback, private, link-local, multicast or reserved addresses), and
the connection goes to an address that passed, so a name that resolves differently the second time
(DNS rebinding) gains nothing. ``allow_private`` (config ``suggestions.allow_private_addresses``) lets
tests fetch from a local server; never set it in production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.community.titles import title_from_html

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
AddressPolicy = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]


class AddressRefused(Exception):
    """The link points at an address the policy does not allow."""


# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, and RFC 8215's local
# use prefix) and the deprecated IPv4-compatible addresses (::/96, which holds :: and ::1 too).
_EMBEDDING = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
)
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")  # deprecated, but private wherever it is still routed


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches through a translator or tunnel (mapped, NAT64, 6to4,
    IPv4-compatible), which is the address to judge."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:  # 2002::/16
        return address.sixtofour
    if any(address in network for network in _EMBEDDING):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def public_only(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _SITE_LOCAL:
            return False
        address = embedded_ipv4(address) or address
    return address.is_global and not address.is_multicast


def any_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return True


class PolicyResolver(AbstractResolver):
    """aiohttp's resolver, keeping only the addresses the policy allows (none: the request fails)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        results: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            if not self._policy(address):
                continue
            results.append(
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=int(sockaddr[1]),
                    family=fam,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        if not results:
            raise AddressRefused(f"{host} resolves to no address that may be fetched")
        return results

    async def close(self) -> None:
        return None


class HttpTitleFetcher:
    def __init__(
        self,
        *,
        timeout: float = 5.0,
        max_bytes: int = 512 * 1024,
        policy: AddressPolicy = public_only,
        user_agent: str = "digestbot (+https://github.com/) title fetcher",
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._policy = policy
        self._user_agent = user_agent

    def _check_literal(self, host: str) -> None:
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return  # a name: the resolver checks what it resolves to
        if not self._policy(address):
            raise AddressRefused(f"{host} is not an address that may be fetched")

    async def fetch_title(self, url: str) -> str | None:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._fetch(url)
        except (
            AddressRefused,
            aiohttp.ClientError,
            TimeoutError,
            OSError,
            ValueError,
            UnicodeError,
        ) as error:
            log.info("no title for %s: %s: %s", url, error.__class__.__name__, error)
            return None

    async def _fetch(self, url: str) -> str | None:
        connector = aiohttp.TCPConnector(resolver=PolicyResolver(self._policy), limit=2, force_close=True)
        headers = {"User-Agent": self._user_agent, "Accept": "text/html,application/xhtml+xml"}
        async with aiohttp.ClientSession(connector=connector, headers=headers, trust_env=False) as session:
            for _ in range(MAX_REDIRECTS + 1):
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise AddressRefused(f"only http(s) links are fetched, not {parts.scheme or url!r}")
                self._check_literal(parts.hostname)
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    if response.status != 200:
                        return None
                    content_type = response.headers.get("Content-Type", "text/html")
                    if "html" not in content_type and "xml" not in content_type:
                        return None
                    body = await self._read(response)
                    charset = response.charset or "utf-8"
                    return title_from_html(body.decode(charset, errors="replace"))
        return None

    async def _read(self, response: Any) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(16 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size >= self._max_bytes:
                break
        return b"".join(chunks)[: self._max_bytes]
