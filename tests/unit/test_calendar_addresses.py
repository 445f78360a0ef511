"""The address rule for calendar fetching, over many IPv4 and IPv6 spellings, and the URL
checks that run before any connection."""

from __future__ import annotations

import pytest

from bot.calendar.addresses import AddressKind, classify, is_allowed
from bot.calendar.fetch import CalendarFetchError, FetchErrorCode, check_url, describe, host_of

REFUSED = [
    ("127.0.0.1", AddressKind.LOOPBACK),
    ("127.255.255.254", AddressKind.LOOPBACK),
    ("10.0.0.1", AddressKind.PRIVATE),
    ("10.255.255.255", AddressKind.PRIVATE),
    ("172.16.0.1", AddressKind.PRIVATE),
    ("172.31.255.255", AddressKind.PRIVATE),
    ("192.168.1.1", AddressKind.PRIVATE),
    ("169.254.0.1", AddressKind.LINK_LOCAL),
    ("169.254.169.254", AddressKind.METADATA),
    ("100.64.0.1", AddressKind.SHARED),
    ("100.127.255.255", AddressKind.SHARED),
    ("100.100.100.200", AddressKind.SHARED),  # Alibaba's metadata service lives here
    ("0.0.0.0", AddressKind.UNSPECIFIED),
    ("0.1.2.3", AddressKind.RESERVED),
    ("224.0.0.1", AddressKind.MULTICAST),
    ("239.255.255.250", AddressKind.MULTICAST),
    ("240.0.0.1", AddressKind.RESERVED),
    ("255.255.255.255", AddressKind.RESERVED),
    ("192.0.0.8", AddressKind.RESERVED),
    ("192.0.2.10", AddressKind.DOCUMENTATION),
    ("198.51.100.7", AddressKind.DOCUMENTATION),
    ("203.0.113.99", AddressKind.DOCUMENTATION),
    ("198.18.0.1", AddressKind.RESERVED),
    ("192.88.99.1", AddressKind.RESERVED),
    ("::", AddressKind.UNSPECIFIED),
    ("::1", AddressKind.LOOPBACK),
    ("::ffff:127.0.0.1", AddressKind.LOOPBACK),
    ("::ffff:7f00:1", AddressKind.LOOPBACK),
    ("::ffff:10.1.2.3", AddressKind.PRIVATE),
    ("::ffff:169.254.169.254", AddressKind.METADATA),
    ("::ffff:100.64.0.1", AddressKind.SHARED),
    ("::ffff:0:192.168.0.1", AddressKind.PRIVATE),  # IPv4-translated
    ("64:ff9b::127.0.0.1", AddressKind.LOOPBACK),  # NAT64 of loopback
    ("64:ff9b::a9fe:a9fe", AddressKind.METADATA),  # NAT64 of 169.254.169.254
    ("64:ff9b:1::1", AddressKind.PRIVATE),
    ("::127.0.0.1", AddressKind.RESERVED),  # IPv4-compatible, deprecated
    ("::2", AddressKind.RESERVED),
    ("fe80::1", AddressKind.LINK_LOCAL),
    ("fe80::1%eth0", AddressKind.LINK_LOCAL),
    ("febf:ffff::1", AddressKind.LINK_LOCAL),
    ("fec0::1", AddressKind.PRIVATE),
    ("fc00::1", AddressKind.PRIVATE),
    ("fd12:3456:789a::1", AddressKind.PRIVATE),
    ("fd00:ec2::254", AddressKind.METADATA),
    ("ff02::1", AddressKind.MULTICAST),
    ("ff0e::1", AddressKind.MULTICAST),
    ("2001:db8::1", AddressKind.DOCUMENTATION),
    ("3fff::1", AddressKind.DOCUMENTATION),
    ("2001::1", AddressKind.RESERVED),  # Teredo
    ("2002:7f00:1::1", AddressKind.RESERVED),  # 6to4 wrapping 127.0.0.1
    ("100::1", AddressKind.RESERVED),
    ("5f00::1", AddressKind.RESERVED),
    ("4000::1", AddressKind.RESERVED),  # outside global unicast 2000::/3
    ("1::1", AddressKind.RESERVED),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below carrier-grade NAT
    "100.128.0.0",  # just above it
    "172.15.255.255",
    "172.32.0.0",
    "192.167.255.255",
    "169.253.255.255",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public: reaches 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of a public address (IPv6-only hosts reach IPv4 this way)
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_special_addresses_are_classified_and_refused(address: str, kind: AddressKind) -> None:
    assert classify(address) is kind
    assert not is_allowed(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert classify(address) is AddressKind.PUBLIC
    assert is_allowed(address)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.1", "::1", "fd12::1", "100.64.0.1", "::ffff:192.168.0.1"]
)
def test_allow_private_lifts_the_rule(address: str) -> None:
    assert is_allowed(address, allow_private=True)


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe"]
)
def test_metadata_stays_refused_even_with_private_hosts_allowed(address: str) -> None:
    assert not is_allowed(address, allow_private=True)


@pytest.mark.parametrize("address", ["127.1", "2130706433", "0x7f000001", "1.2.3", "not an ip"])
def test_non_canonical_spellings_are_not_addresses(address: str) -> None:
    with pytest.raises(ValueError):
        classify(address)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://calendar.example.org/a.ics", FetchErrorCode.NOT_HTTPS),
        ("ftp://calendar.example.org/a.ics", FetchErrorCode.BAD_URL),
        ("file:///etc/passwd", FetchErrorCode.BAD_URL),
        ("https:///no-host", FetchErrorCode.BAD_URL),
        ("not a url", FetchErrorCode.BAD_URL),
        ("https://example.org:99999/", FetchErrorCode.BAD_URL),
        ("https://127.0.0.1/a.ics", FetchErrorCode.PRIVATE_ADDRESS),
        ("https://[::1]/a.ics", FetchErrorCode.PRIVATE_ADDRESS),
        ("https://[::ffff:127.0.0.1]/a.ics", FetchErrorCode.PRIVATE_ADDRESS),
        ("https://[fd00:ec2::254]/latest", FetchErrorCode.PRIVATE_ADDRESS),
        ("https://169.254.169.254/latest/meta-data/", FetchErrorCode.PRIVATE_ADDRESS),
        ("https://100.64.1.1/a.ics", FetchErrorCode.PRIVATE_ADDRESS),
        ("https://127.1/a.ics", FetchErrorCode.BAD_URL),
        ("https://2130706433/a.ics", FetchErrorCode.BAD_URL),
        ("https://0x7f.0.0.1/a.ics", FetchErrorCode.BAD_URL),
        ("https://0177.0.0.1/a.ics", FetchErrorCode.BAD_URL),
    ],
)
def test_urls_refused_before_any_connection(url: str, code: FetchErrorCode) -> None:
    with pytest.raises(CalendarFetchError) as caught:
        check_url(url)
    assert caught.value.code is code


def test_allowed_urls_and_webcal_means_https() -> None:
    assert str(check_url("https://calendar.example.org/x.ics")) == (
        "https://calendar.example.org/x.ics"
    )
    assert check_url("webcal://p01-caldav.icloud.com/published/2/abc").scheme == "https"
    assert check_url("https://8.8.8.8/x.ics").host == "8.8.8.8"
    assert check_url("http://127.0.0.1:8080/x.ics", allow_private=True).port == 8080
    with pytest.raises(CalendarFetchError) as caught:
        check_url("https://169.254.169.254/", allow_private=True)
    assert caught.value.code is FetchErrorCode.PRIVATE_ADDRESS


def test_describe_shows_the_host_and_four_characters_only() -> None:
    url = (
        "https://calendar.google.com/calendar/ical/someone%40gmail.com/"
        "private-0123456789abcdef0123456789abcdef/basic.ics"
    )
    shown = describe(url)
    assert shown == "calendar.google.com …asic"
    assert "private-" not in shown and "someone" not in shown
    outlook = "https://outlook.office365.com/owa/calendar/abc/def/reachcalendar.ics?key=s3cr3tZ9Q"
    assert describe(outlook) == "outlook.office365.com …tZ9Q"
    assert describe("https://user:pass@cal.example/short") == "cal.example"
    assert host_of("https://user:pass@cal.example/x") == "cal.example"
    assert describe("garbage") == "?"
