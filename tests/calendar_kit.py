"""Test doubles for calendar fetching that keep every byte on loopback.

- `FakeResolver`: the DNS, answering from a table (one answer list per lookup, so a name can
  answer a public address first and a private one second).
- `Nat`: the network between the bot and a "public" address. The fetcher's address rule
  checks the real address (93.184.216.34); only then does this socket factory connect the
  socket to a loopback server instead, as a NAT would. It records every address the fetcher
  tried to reach, so a test can show that a refused address was never connected to.
- `tls_pair`: a certificate authority and a server certificate for test host names, so the
  https-only rule is exercised with real TLS verification.
- `serve`: an aiohttp application on 127.0.0.1, optionally over TLS.
- `Feed`: one calendar on loopback whose content a test may change between two reads.
- `calendar_bot`: the real Application against the Bot API stand-in with calendars switched
  on (a fresh SECRET_KEY, CALENDAR_ALLOW_PRIVATE_HOSTS=true) and a calendar server on loopback.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.app import build_application
from bot.config import Settings
from bot.sandbox.server import BotAPIServer
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import TOKEN
from tests.reminder_kit import FakeSleep, limiter

PUBLIC_IP = "93.184.216.34"
OTHER_PUBLIC_IP = "151.101.1.1"


class FakeResolver(AbstractResolver):
    """Answers names from a table; each lookup takes the next answer list (the last repeats)."""

    def __init__(self, answers: dict[str, Sequence[Sequence[str]]]) -> None:
        self.answers = {host: [list(a) for a in lists] for host, lists in answers.items()}
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        if host not in self.answers:
            raise OSError(f"{host}: name not known")
        lists = self.answers[host]
        seen = self.lookups.count(host) - 1
        chosen = lists[min(seen, len(lists) - 1)]
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in chosen
        ]

    async def close(self) -> None:
        return None


class _RoutedSocket(socket.socket):
    """A socket whose connect goes to a fixed loopback target, whatever address it is given."""

    target: tuple[str, int]

    def connect(self, address: Any) -> None:
        super().connect(self.target)

    def connect_ex(self, address: Any) -> int:
        return super().connect_ex(self.target)


@dataclass
class Nat:
    """Maps (address, port) pairs to loopback servers; unmapped loopback addresses pass."""

    routes: dict[tuple[str, int], int] = field(default_factory=dict)
    attempts: list[tuple[str, int]] = field(default_factory=list)

    def route(self, address: str, port: int, loopback_port: int) -> None:
        self.routes[(address, port)] = loopback_port

    def __call__(self, addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address, port = str(sockaddr[0]), int(sockaddr[1])
        self.attempts.append((address, port))
        if (address, port) in self.routes:
            sock = _RoutedSocket(socket.AF_INET, type_, proto)
            sock.target = ("127.0.0.1", self.routes[(address, port)])
            return sock
        if not ipaddress.ip_address(address).is_loopback:
            raise AssertionError(f"a test tried to reach {address}:{port} outside loopback")
        return socket.socket(family, type_, proto)


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext


def tls_pair(tmp: Path, names: Sequence[str], ips: Sequence[str] = ()) -> Tls:
    """A throwaway CA and a server certificate for `names` and `ips`; the client trusts only
    that CA. Certifying the refused addresses too makes a wrong connection to them succeed and
    be counted, instead of failing the handshake unseen."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rekpauze test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name) for name in names]
                + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "server.pem", tmp / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return Tls(server=server, client=client)


@asynccontextmanager
async def serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """Run the app on 127.0.0.1 and yield its port."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def counting_app(
    body: bytes = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
) -> tuple[web.Application, list[str]]:
    """A server standing for an address that must not be reached: it counts every request."""
    seen: list[str] = []

    async def any_path(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(body=body, content_type="text/calendar")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", any_path)
    return app, seen


@dataclass
class Feed:
    """One calendar served on loopback: its body may be changed between reads (a meeting that
    runs longer), and every request is counted."""

    body: bytes
    hits: list[str] = field(default_factory=list)

    def app(self, path: str) -> web.Application:
        async def calendar(request: web.Request) -> web.Response:
            self.hits.append(request.path)
            return web.Response(body=self.body, content_type="text/calendar")

        app = web.Application()
        app.router.add_get(path, calendar)
        return app


def calendar_settings(database_url: str) -> Settings:
    """Settings with calendars switched on (a fresh key, loopback addresses allowed) and no
    pacing, for the Mini App's calendar tests."""
    return Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url,
        SEND_RATE_PER_SECOND=0,
        SECRET_KEY=Fernet.generate_key().decode(),
        CALENDAR_ALLOW_PRIVATE_HOSTS=True,
    )


@asynccontextmanager
async def served_feed(body: bytes, secret: str) -> AsyncIterator[str]:
    """One calendar on loopback; yields its secret address."""
    feed = Feed(body)
    async with serve(feed.app(f"/cal/{secret}.ics")) as port:
        yield f"http://127.0.0.1:{port}/cal/{secret}.ics"


@dataclass(frozen=True)
class CalendarBot:
    app: Any
    server: BotAPIServer
    settings: Settings
    calendar_port: int


@asynccontextmanager
async def calendar_bot(
    db: Database, clock: FakeClock, database_url: str, calendars: web.Application
) -> AsyncIterator[CalendarBot]:
    """The real Application, started, against the Bot API stand-in (over real HTTP) on the
    injected clock, with calendars switched on and `calendars` served on 127.0.0.1."""
    stand_in = BotAPIServer(clock=lambda: clock().timestamp())
    await stand_in.start()
    try:
        async with serve(calendars) as port:
            settings = Settings(  # type: ignore[call-arg]
                DATABASE_URL=database_url,
                TELEGRAM_API_BASE_URL=stand_in.base_url,
                SECRET_KEY=Fernet.generate_key().decode(),
                CALENDAR_ALLOW_PRIVATE_HOSTS=True,
            )
            app = build_application(
                settings,
                db,
                token=stand_in.token,
                clock=clock,
                rate_limiter=limiter(clock, FakeSleep(clock)),
            )
            async with app:
                yield CalendarBot(app, stand_in, settings, port)
    finally:
        await stand_in.stop()
