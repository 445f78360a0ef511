"""Which IP addresses a user-supplied calendar URL may reach.

A server that fetches URLs chosen by its users must not become their way into its own network
(server-side request forgery): loopback, private and link-local networks, carrier-grade NAT,
cloud metadata endpoints and every special-purpose range are refused. The lists are explicit
rather than left to `ipaddress.is_global`, whose answers changed between Python versions, and
IPv6 forms that embed an IPv4 address are judged by the address they embed.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressKind(StrEnum):
    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link_local"
    SHARED = "shared"  # carrier-grade NAT, 100.64.0.0/10
    UNSPECIFIED = "unspecified"
    MULTICAST = "multicast"
    DOCUMENTATION = "documentation"
    METADATA = "metadata"
    RESERVED = "reserved"


# Cloud instance metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6). Refused even
# when private hosts are allowed: no intranet calendar lives there, credentials do.
METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

_V4: tuple[tuple[str, AddressKind], ...] = (
    ("0.0.0.0/32", AddressKind.UNSPECIFIED),
    ("0.0.0.0/8", AddressKind.RESERVED),  # "this network"
    ("10.0.0.0/8", AddressKind.PRIVATE),
    ("100.64.0.0/10", AddressKind.SHARED),
    ("127.0.0.0/8", AddressKind.LOOPBACK),
    ("169.254.0.0/16", AddressKind.LINK_LOCAL),
    ("172.16.0.0/12", AddressKind.PRIVATE),
    ("192.0.0.0/24", AddressKind.RESERVED),  # IETF protocol assignments
    ("192.0.2.0/24", AddressKind.DOCUMENTATION),
    ("192.88.99.0/24", AddressKind.RESERVED),  # 6to4 relay anycast (deprecated)
    ("192.168.0.0/16", AddressKind.PRIVATE),
    ("198.18.0.0/15", AddressKind.RESERVED),  # benchmarking
    ("198.51.100.0/24", AddressKind.DOCUMENTATION),
    ("203.0.113.0/24", AddressKind.DOCUMENTATION),
    ("224.0.0.0/4", AddressKind.MULTICAST),
    ("240.0.0.0/4", AddressKind.RESERVED),  # includes 255.255.255.255
)

_V6: tuple[tuple[str, AddressKind], ...] = (
    ("::/128", AddressKind.UNSPECIFIED),
    ("::1/128", AddressKind.LOOPBACK),
    ("::/96", AddressKind.RESERVED),  # IPv4-compatible (deprecated)
    ("64:ff9b:1::/48", AddressKind.PRIVATE),  # local-use NAT64
    ("100::/64", AddressKind.RESERVED),  # discard-only
    ("2001::/32", AddressKind.RESERVED),  # Teredo: tunnels to an embedded IPv4 peer
    ("2001:db8::/32", AddressKind.DOCUMENTATION),
    ("2001::/23", AddressKind.RESERVED),  # IETF protocol assignments
    ("2002::/16", AddressKind.RESERVED),  # 6to4: tunnels to an embedded IPv4 address
    ("3fff::/20", AddressKind.DOCUMENTATION),
    ("5f00::/16", AddressKind.RESERVED),  # SRv6 segment identifiers
    ("fc00::/7", AddressKind.PRIVATE),  # unique local
    ("fe80::/10", AddressKind.LINK_LOCAL),
    ("fec0::/10", AddressKind.PRIVATE),  # site-local (deprecated)
    ("ff00::/8", AddressKind.MULTICAST),
    ("::/8", AddressKind.RESERVED),
)

_V4_NETS = tuple((ipaddress.IPv4Network(net), kind) for net, kind in _V4)
_V6_NETS = tuple((ipaddress.IPv6Network(net), kind) for net, kind in _V6)
# Global unicast: every IPv6 address outside it is unassigned or special.
_V6_GLOBAL = ipaddress.IPv6Network("2000::/3")
# IPv6 forms that carry an IPv4 address in their last 32 bits and reach that address: the
# embedded address decides (an IPv6-only host reaches public IPv4 sites through NAT64).
_V6_EMBEDDING = (
    ipaddress.IPv6Network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765)
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64 well-known prefix
)


def parse(value: str) -> IPAddress:
    """An address from text, dropping an IPv6 zone ("fe80::1%eth0" is link-local all the same).

    ValueError for anything that is not an address in canonical notation.
    """
    return ipaddress.ip_address(value.split("%", 1)[0])


def classify(address: IPAddress | str) -> AddressKind:
    """What kind of address this is; only PUBLIC may be fetched from by default."""
    ip = parse(address) if isinstance(address, str) else address
    if ip in METADATA:
        return AddressKind.METADATA
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return AddressKind.LINK_LOCAL
        if any(ip in net for net in _V6_EMBEDDING):
            return classify(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for net6, kind in _V6_NETS:
            if ip in net6:
                return kind
        if ip not in _V6_GLOBAL:
            return AddressKind.RESERVED
        return AddressKind.PUBLIC if ip.is_global else AddressKind.RESERVED
    for net4, kind in _V4_NETS:
        if ip in net4:
            return kind
    return AddressKind.PUBLIC if ip.is_global else AddressKind.RESERVED


def is_allowed(address: IPAddress | str, *, allow_private: bool = False) -> bool:
    """May a calendar be fetched from this address? With allow_private (intranet calendars,
    tests) every address but the metadata services is allowed."""
    kind = classify(address)
    if kind is AddressKind.METADATA:
        return False
    return allow_private or kind is AddressKind.PUBLIC
