"""Fetching a user's secret iCal address without letting it reach anything it should not.

The URL comes from a user, so every request is treated as hostile: `https://` only, at most
three redirects (each checked like the first), ten seconds in all, five megabytes read while
streaming, and only public addresses. The address rule is enforced where the connection is
made, not on a lookup beforehand: the connector's resolver resolves each host once and refuses
the host if any answer is not public, and the socket factory checks the exact address every
socket connects to (literal IPs in a URL never reach a resolver). A name that answers public
first and private later (DNS rebinding) therefore cannot get through: the address that was
checked is the address that is connected to.

The URL is a secret (anyone with it can read the calendar): it never appears in a log, an
exception or its chain. `describe` and `host_of` are what may be shown.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.calendar import addresses

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CALENDAR_MAGIC = b"BEGIN:VCALENDAR"
# How much of the body decides whether it is a calendar at all (an HTML login page is not).
_SNIFF_BYTES = 1024
# Hosts made of numbers and dots only: legacy IPv4 spellings (127.1, 2130706433, 0x7f.1) that
# some resolvers expand to an address; only the canonical dotted quad is accepted.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)

AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
SocketFactory = Callable[[AddrInfo], socket.socket]


class FetchErrorCode(StrEnum):
    """Why a calendar could not be fetched; a handler turns each into a message."""

    BAD_URL = "bad_url"
    NOT_HTTPS = "not_https"
    PRIVATE_ADDRESS = "private_address"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    HTTP_STATUS = "http_status"
    NOT_CALENDAR = "not_calendar"
    UNREACHABLE = "unreachable"  # name not found, connection refused, TLS failure


class CalendarFetchError(Exception):
    """A refused or failed fetch. Carries the host at most, never the URL."""

    def __init__(self, code: FetchErrorCode, *, host: str | None = None, status: int | None = None):
        self.code = code
        self.host = host
        self.status = status
        detail = f" ({status})" if status is not None else ""
        super().__init__(f"{code.value}{detail}" + (f" from {host}" if host else ""))


@dataclass(frozen=True)
class FetchLimits:
    timeout_seconds: float = TIMEOUT_SECONDS
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS


def host_of(url: str) -> str:
    """The host of a calendar URL, the most of it a log may show ("" when there is none)."""
    try:
        return URL(url.strip()).host or ""
    except (ValueError, TypeError):
        return ""


def describe(url: str) -> str:
    """The host and the last four characters of the secret: enough to recognise a connection
    ("calendar.google.com …a1b2"), never enough to use it. A trailing ".ics" is not secret
    and not telling, so the four characters are taken before it."""
    host = host_of(url) or "?"
    try:
        parsed = URL(url.strip())
        query = parsed.raw_query_string
        secret = parsed.raw_path + (f"?{query}" if query else "")
    except (ValueError, TypeError):
        secret = ""
    secret = secret.rstrip("/")
    if secret.lower().endswith(".ics"):
        secret = secret[:-4]
    # A short path is mostly guessable anyway; four characters of it would give away too much.
    return f"{host} …{secret[-4:]}" if len(secret) >= 16 else host


def check_url(url: str | URL, *, allow_private: bool = False) -> URL:
    """The URL to request, or CalendarFetchError: https (or webcal, which means https here),
    a host, and no literal address outside the public internet."""
    try:
        parsed = url if isinstance(url, URL) else URL(url.strip())
        scheme = parsed.scheme.lower()
        if scheme == "webcal":
            parsed = parsed.with_scheme("https")
            scheme = "https"
        host = parsed.raw_host
        port = parsed.port
    except (ValueError, TypeError):
        raise CalendarFetchError(FetchErrorCode.BAD_URL) from None
    if scheme not in ("http", "https"):
        raise CalendarFetchError(FetchErrorCode.BAD_URL)
    if scheme != "https" and not allow_private:
        raise CalendarFetchError(FetchErrorCode.NOT_HTTPS, host=host)
    if not host or port is None:
        raise CalendarFetchError(FetchErrorCode.BAD_URL)
    try:
        literal: addresses.IPAddress | None = addresses.parse(host)
    except ValueError:
        literal = None
        if _NUMERIC_HOST.match(host):
            raise CalendarFetchError(FetchErrorCode.BAD_URL, host=host) from None
    if literal is not None and not addresses.is_allowed(literal, allow_private=allow_private):
        raise CalendarFetchError(FetchErrorCode.PRIVATE_ADDRESS, host=host)
    return parsed


class _Refused(OSError):
    """Raised inside aiohttp's connection machinery; turned into PRIVATE_ADDRESS outside."""


@dataclass
class _Guard:
    """The address rule for one fetch, shared by its resolver and its socket factory."""

    allow_private: bool
    open_socket: SocketFactory | None
    refused: list[str] = field(default_factory=list)

    def check(self, host: str, address: str) -> None:
        if not addresses.is_allowed(address, allow_private=self.allow_private):
            self.refused.append(host)
            raise _Refused(f"{host}: address not allowed")

    def socket_factory(self, addr_info: AddrInfo) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        self.check(str(sockaddr[0]), str(sockaddr[0]))
        if self.open_socket is not None:
            return self.open_socket(addr_info)
        return socket.socket(family=family, type=type_, proto=proto)


class _GuardedResolver(AbstractResolver):
    """Resolves once per connection and refuses a host with any answer that is not public, so
    the addresses the connector is given are exactly the addresses that were checked."""

    def __init__(self, inner: AbstractResolver, guard: _Guard, *, owns_inner: bool) -> None:
        self._inner = inner
        self._guard = guard
        self._owns_inner = owns_inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if not answers:
            raise OSError(f"{host}: no addresses")
        for answer in answers:
            self._guard.check(host, answer["host"])
        return answers

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


@dataclass(frozen=True)
class CalendarFetcher:
    """Fetches calendars under one policy. `resolver`, `open_socket` and `ssl_context` exist
    for tests (a fake DNS, a loopback stand-in for a public address, a test certificate
    authority); the address rule runs in front of all three."""

    allow_private: bool = False
    limits: FetchLimits = FetchLimits()
    resolver: AbstractResolver | None = None
    open_socket: SocketFactory | None = None
    ssl_context: ssl.SSLContext | None = None
    user_agent: str = "Rekpauze-calendar/1"

    async def fetch(self, url: str) -> bytes:
        """The calendar's bytes, or CalendarFetchError. Never logs or raises the URL."""
        current = check_url(url, allow_private=self.allow_private)
        host = current.host
        guard = _Guard(self.allow_private, self.open_socket)
        try:
            async with asyncio.timeout(self.limits.timeout_seconds):
                return await self._fetch(current, guard)
        except CalendarFetchError as exc:
            log.info("calendar fetch from %s refused: %s", exc.host or host, exc.code.value)
            raise
        except TimeoutError:
            log.info("calendar fetch from %s timed out", host)
            raise CalendarFetchError(FetchErrorCode.TIMEOUT, host=host) from None

    async def _fetch(self, current: URL, guard: _Guard) -> bytes:
        resolver = _GuardedResolver(
            self.resolver or aiohttp.DefaultResolver(),
            guard,
            owns_inner=self.resolver is None,
        )
        connector = aiohttp.TCPConnector(
            resolver=resolver,
            use_dns_cache=False,
            # One connection per request: every hop resolves and is checked afresh.
            force_close=True,
            socket_factory=guard.socket_factory,
            ssl=self.ssl_context if self.ssl_context is not None else True,
        )
        timeout = aiohttp.ClientTimeout(total=self.limits.timeout_seconds)
        headers = {"User-Agent": self.user_agent, "Accept": "text/calendar, */*;q=0.1"}
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers=headers,
            trust_env=False,  # no proxy from the environment: it would connect for us
            cookie_jar=aiohttp.DummyCookieJar(),
        ) as session:
            for hop in range(self.limits.max_redirects + 1):
                host = current.host
                try:
                    async with session.get(current, allow_redirects=False) as response:
                        if response.status in REDIRECTS:
                            if hop == self.limits.max_redirects:
                                raise CalendarFetchError(
                                    FetchErrorCode.TOO_MANY_REDIRECTS, host=host
                                )
                            current = _redirect_target(current, response, self.allow_private)
                            continue
                        if response.status != 200:
                            raise CalendarFetchError(
                                FetchErrorCode.HTTP_STATUS, host=host, status=response.status
                            )
                        return await _read(response, self.limits.max_bytes, host)
                except (aiohttp.ClientError, OSError) as exc:
                    if isinstance(exc, TimeoutError):
                        raise TimeoutError from None
                    code = (
                        FetchErrorCode.PRIVATE_ADDRESS
                        if guard.refused
                        else FetchErrorCode.UNREACHABLE
                    )
                    raise CalendarFetchError(code, host=host) from None
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _redirect_target(current: URL, response: aiohttp.ClientResponse, allow_private: bool) -> URL:
    location = response.headers.get("Location")
    if not location:
        raise CalendarFetchError(
            FetchErrorCode.HTTP_STATUS, host=current.host, status=response.status
        )
    try:
        target = current.join(URL(location))
    except (ValueError, TypeError):
        raise CalendarFetchError(FetchErrorCode.BAD_URL, host=current.host) from None
    return check_url(target, allow_private=allow_private)


async def _read(response: aiohttp.ClientResponse, max_bytes: int, host: str | None) -> bytes:
    """The body, refused as soon as it passes max_bytes or stops looking like a calendar."""
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise CalendarFetchError(FetchErrorCode.TOO_LARGE, host=host)
    chunks: list[bytes] = []
    size = 0
    sniffed = False
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise CalendarFetchError(FetchErrorCode.TOO_LARGE, host=host)
        chunks.append(chunk)
        if not sniffed and size >= _SNIFF_BYTES:
            sniffed = True
            if not looks_like_calendar(b"".join(chunks)[:_SNIFF_BYTES]):
                raise CalendarFetchError(FetchErrorCode.NOT_CALENDAR, host=host)
    body = b"".join(chunks)
    if not looks_like_calendar(body[:_SNIFF_BYTES]):
        raise CalendarFetchError(FetchErrorCode.NOT_CALENDAR, host=host)
    return body


def looks_like_calendar(head: bytes) -> bool:
    """Does the body start like an iCalendar stream (after a byte-order mark and blanks)?"""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(CALENDAR_MAGIC)
