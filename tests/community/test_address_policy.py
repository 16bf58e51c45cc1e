"""The title fetcher's address policy sees through IPv6 wrappings of IPv4 addresses: NAT64, 6to4 and
IPv4-compatible addresses are judged by the IPv4 address they carry; site-local fec0::/10 is private."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.outbound.title_fetcher import embedded_ipv4, public_only


def wrappings(v4: ipaddress.IPv4Address) -> list[ipaddress.IPv6Address]:
    n = int(v4)
    return [
        ipaddress.IPv6Address(f"::ffff:{v4}"),
        ipaddress.IPv6Address((0x0064FF9B << 96) | n),  # 64:ff9b::/96
        ipaddress.IPv6Address((0x0064FF9B0001 << 80) | n),  # 64:ff9b:1::/48
        ipaddress.IPv6Address((0x2002 << 112) | (n << 80)),  # 2002:wwxx:yyzz::/48
        ipaddress.IPv6Address(n),  # ::/96
    ]


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # 169.254.169.254, the cloud metadata address
        "64:ff9b::a00:1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:1::",  # 6to4 of 192.168.0.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::a00:1",
        "::",
        "::1",
        "fec0::1",  # site-local
        "fef0::1",
    ],
)
def test_wrapped_private_addresses_are_refused(address: str):
    assert not public_only(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "2606:4700::1111"])
def test_wrapped_public_addresses_and_plain_public_ipv6_pass(address: str):
    assert public_only(ipaddress.ip_address(address))


@given(st.ip_addresses(v=4))
def test_every_wrapping_is_judged_as_the_ipv4_address_it_carries(v4: ipaddress.IPv4Address):
    for wrapped in wrappings(v4):
        assert embedded_ipv4(wrapped) == v4
        assert public_only(wrapped) == public_only(v4), wrapped
