"""Fetching an iCal address against real servers on loopback: what is read, what is refused,
and that a refused address is never connected to.

"Public" hosts are test names that a fake resolver answers with a public address; a NAT in
front of the socket connects that address to a loopback server after the fetcher has checked
it (tests/calendar_kit.py). Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.calendar.fetch import (
    CalendarFetcher,
    CalendarFetchError,
    FetchErrorCode,
    FetchLimits,
    _Guard,
    _GuardedResolver,
)
from bot.calendar.ics import IcsError, busy_intervals
from tests.calendar_kit import (
    OTHER_PUBLIC_IP,
    PUBLIC_IP,
    FakeResolver,
    Nat,
    counting_app,
    serve,
    tls_pair,
)

SECRET = "private-7f3a9c1e5b2d4f60a8c7e9b1d3f5a7c9"
PATH = f"/calendar/ical/{SECRET}/basic.ics"
NOW = datetime(2026, 10, 24, 6, 0, tzinfo=UTC)

# Around the end of summer time in Amsterdam (Sunday 25 October 2026, 03:00 CEST -> 02:00 CET).
CALENDAR = f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Rekpauze tests//EN
BEGIN:VEVENT
UID:standup@test
DTSTART;TZID=Europe/Amsterdam:20261019T093000
DTEND;TZID=Europe/Amsterdam:20261019T100000
RRULE:FREQ=DAILY;COUNT=30
SUMMARY:Standup {SECRET}
DESCRIPTION:Dial-in code 123456
LOCATION:Room 4
ATTENDEE;CN=Someone:mailto:someone@example.org
END:VEVENT
BEGIN:VEVENT
UID:conference@test
DTSTART;VALUE=DATE:20261024
DTEND;VALUE=DATE:20261025
SUMMARY:Conference (all day)
END:VEVENT
BEGIN:VEVENT
UID:focus@test
DTSTART;TZID=Europe/Amsterdam:20261024T120000
DTEND;TZID=Europe/Amsterdam:20261024T130000
TRANSP:TRANSPARENT
SUMMARY:Focus time (free)
END:VEVENT
BEGIN:VEVENT
UID:newyork@test
DTSTART;TZID=America/New_York:20261024T080000
DTEND;TZID=America/New_York:20261024T090000
SUMMARY:Call with New York
END:VEVENT
BEGIN:VEVENT
UID:cancelled@test
DTSTART:20261024T150000Z
DTEND:20261024T160000Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:review@test
DTSTART:20261025T140000Z
DTEND:20261025T150000Z
SUMMARY:Review
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()

EXPECTED = [
    (datetime(2026, 10, 24, 7, 30, tzinfo=UTC), datetime(2026, 10, 24, 8, 0, tzinfo=UTC)),
    (datetime(2026, 10, 24, 12, 0, tzinfo=UTC), datetime(2026, 10, 24, 13, 0, tzinfo=UTC)),
    # After the change 09:30 local is 08:30 UTC, no longer 07:30.
    (datetime(2026, 10, 25, 8, 30, tzinfo=UTC), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
    (datetime(2026, 10, 25, 14, 0, tzinfo=UTC), datetime(2026, 10, 25, 15, 0, tzinfo=UTC)),
]

MB = 1024 * 1024
FILLER_LINE = b"X-FILLER:" + b"x" * 1013 + b"\r\n"  # 1 KiB


def big_calendar(size: int) -> bytes:
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    return head + FILLER_LINE * ((size - len(head)) // len(FILLER_LINE) + 1)


@dataclass
class Served:
    """What the calendar servers saw, and the targets their redirects point at."""

    targets: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    streamed: list[int] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)


def calendar_app(served: Served) -> web.Application:
    async def calendar(request: web.Request) -> web.Response:
        served.requests.append(request.path)
        return web.Response(body=CALENDAR, content_type="text/calendar")

    async def redirect(request: web.Request) -> web.Response:
        served.requests.append(request.path)
        raise web.HTTPFound(served.targets[request.match_info["name"]])

    async def hop(request: web.Request) -> web.Response:
        served.requests.append(request.path)
        left = int(request.match_info["n"])
        raise web.HTTPFound(f"/hop/{left - 1}" if left > 1 else PATH)

    async def big(request: web.Request) -> web.Response:
        served.requests.append(request.path)
        return web.Response(body=big_calendar(6 * MB), content_type="text/calendar")

    async def stream_big(request: web.Request) -> web.StreamResponse:
        """Six megabytes without a length, stalling after 5.5: a client that read it all
        before counting would wait here until its timeout."""
        served.requests.append(request.path)
        response = web.StreamResponse(headers={"Content-Type": "text/calendar"})
        await response.prepare(request)
        body = big_calendar(6 * MB)
        sent = 0
        for offset in range(0, len(body), 64 * 1024):
            if sent >= 5.5 * MB:
                await served.release.wait()
            chunk = body[offset : offset + 64 * 1024]
            await response.write(chunk)
            sent += len(chunk)
            served.streamed.append(sent)
        await response.write_eof()
        return response

    async def slow(request: web.Request) -> web.Response:
        served.requests.append(request.path)
        await served.release.wait()
        return web.Response(body=CALENDAR, content_type="text/calendar")

    async def html(request: web.Request) -> web.Response:
        served.requests.append(request.path)
        page = "<!doctype html><html><body>Sign in to see this calendar</body></html>" * 30
        return web.Response(text=page, content_type="text/html")

    async def bad(request: web.Request) -> web.Response:
        served.requests.append(request.path)
        body = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:yesterday-ish\r\nEND:VCALENDAR\r\n"
        return web.Response(body=body, content_type="text/calendar")

    app = web.Application()
    app.router.add_get(PATH, calendar)
    app.router.add_get("/redirect/{name}", redirect)
    app.router.add_get("/hop/{n}", hop)
    app.router.add_get("/big.ics", big)
    app.router.add_get("/stream-big.ics", stream_big)
    app.router.add_get("/slow.ics", slow)
    app.router.add_get("/login", html)
    app.router.add_get("/bad.ics", bad)
    return app


@dataclass
class World:
    served: Served
    nat: Nat
    resolver: FakeResolver
    # Requests that reached the server standing for 127.0.0.1 and 169.254.169.254.
    forbidden: list[str]
    forbidden_port: int
    plain_port: int
    tls_client: object

    def public(self, **kw: object) -> CalendarFetcher:
        """A fetcher as deployed: https only, public addresses only."""
        return CalendarFetcher(
            resolver=self.resolver,
            open_socket=self.nat,
            ssl_context=self.tls_client,  # type: ignore[arg-type]
            **kw,  # type: ignore[arg-type]
        )

    def private(self, **kw: object) -> CalendarFetcher:
        """A fetcher with CALENDAR_ALLOW_PRIVATE_HOSTS=true."""
        return self.public(allow_private=True, **kw)

    def attempted(self, address: str) -> bool:
        return any(tried == address for tried, _ in self.nat.attempts)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    tls = tls_pair(
        tmp_path,
        ["calendar.example", "rebind.example", "intranet.example"],
        ips=["127.0.0.1", "169.254.169.254"],
    )
    served = Served()
    forbidden_app, forbidden = counting_app()
    async with (
        serve(calendar_app(served), tls.server) as public_port,
        serve(calendar_app(served)) as plain_port,
        serve(forbidden_app, tls.server) as forbidden_port,
    ):
        nat = Nat()
        nat.route(PUBLIC_IP, 443, public_port)
        nat.route(OTHER_PUBLIC_IP, 443, public_port)
        # Were the fetcher to connect to the metadata address, it would land here and count.
        nat.route("169.254.169.254", 443, forbidden_port)
        nat.route("169.254.169.254", 80, forbidden_port)
        # rebind.example answers public first, loopback after; on the port where the
        # forbidden server listens, so a connection to the second answer would be counted.
        nat.route(PUBLIC_IP, forbidden_port, public_port)
        resolver = FakeResolver(
            {
                "calendar.example": [[PUBLIC_IP]],
                "rebind.example": [[PUBLIC_IP], ["127.0.0.1"]],
                "intranet.example": [["10.0.0.7"]],
                "mixed.example": [[OTHER_PUBLIC_IP, "127.0.0.1"]],
                "v6.example": [["::1"]],
            }
        )
        served.targets.update(
            {
                "loopback": f"https://127.0.0.1:{forbidden_port}/stolen",
                "loopback-v6-mapped": f"https://[::ffff:127.0.0.1]:{forbidden_port}/stolen",
                "metadata": "https://169.254.169.254/latest/meta-data/iam/",
                "metadata-http": "http://169.254.169.254/latest/meta-data/iam/",
                "private-name": "https://intranet.example/stolen",
                "mixed-name": "https://mixed.example/stolen",
                "v6-loopback-name": "https://v6.example/stolen",
                "downgrade": f"http://calendar.example{PATH}",
                "calendar": f"https://calendar.example{PATH}",
                "rebind-same-host": f"https://rebind.example:{forbidden_port}{PATH}",
                "plain-loopback": f"http://127.0.0.1:{plain_port}{PATH}",
                "forbidden-loopback-https": f"https://127.0.0.1:{forbidden_port}/allowed",
            }
        )
        yield World(
            served=served,
            nat=nat,
            resolver=resolver,
            forbidden=forbidden,
            forbidden_port=forbidden_port,
            plain_port=plain_port,
            tls_client=tls.client,
        )
        served.release.set()


async def refused(fetcher: CalendarFetcher, url: str) -> CalendarFetchError:
    with pytest.raises(CalendarFetchError) as caught:
        await fetcher.fetch(url)
    return caught.value


async def test_public_calendar_over_https_gives_busy_time_across_the_dst_change(
    world: World,
) -> None:
    body = await world.public().fetch(f"https://calendar.example{PATH}")
    assert body == CALENDAR
    assert world.resolver.lookups == ["calendar.example"]
    intervals = busy_intervals(body, now=NOW, tz_name="Europe/Amsterdam")
    assert intervals == EXPECTED


async def test_intranet_calendar_over_http_with_private_hosts_allowed(world: World) -> None:
    url = f"http://127.0.0.1:{world.plain_port}{PATH}"
    assert (await refused(world.public(), url)).code is FetchErrorCode.NOT_HTTPS
    body = await world.private().fetch(url)
    assert busy_intervals(body, now=NOW, tz_name="Europe/Amsterdam") == EXPECTED


@pytest.mark.parametrize(
    ("target", "code", "address"),
    [
        ("loopback", FetchErrorCode.PRIVATE_ADDRESS, "127.0.0.1"),
        ("loopback-v6-mapped", FetchErrorCode.PRIVATE_ADDRESS, "::ffff:127.0.0.1"),
        ("metadata", FetchErrorCode.PRIVATE_ADDRESS, "169.254.169.254"),
        ("metadata-http", FetchErrorCode.NOT_HTTPS, "169.254.169.254"),
        ("private-name", FetchErrorCode.PRIVATE_ADDRESS, "10.0.0.7"),
        ("mixed-name", FetchErrorCode.PRIVATE_ADDRESS, "127.0.0.1"),
        ("v6-loopback-name", FetchErrorCode.PRIVATE_ADDRESS, "::1"),
        ("downgrade", FetchErrorCode.NOT_HTTPS, PUBLIC_IP),
    ],
)
async def test_redirects_to_refused_places_are_refused_without_reaching_them(
    world: World, target: str, code: FetchErrorCode, address: str
) -> None:
    error = await refused(world.public(), f"https://calendar.example/redirect/{target}")
    assert error.code is code
    assert world.served.requests == [f"/redirect/{target}"]  # the first hop was made
    assert world.forbidden == []
    if address != PUBLIC_IP:
        assert not world.attempted(address)


async def test_the_counting_server_does_count_when_loopback_is_allowed(world: World) -> None:
    """The control for the test above: the same redirect with private hosts allowed reaches
    the counting server, so its silence there means something."""
    fetcher = world.private()
    await fetcher.fetch("https://calendar.example/redirect/forbidden-loopback-https")
    assert world.forbidden == ["/allowed"]


async def test_metadata_is_refused_even_with_private_hosts_allowed(world: World) -> None:
    for target in ("metadata", "metadata-http"):
        error = await refused(world.private(), f"https://calendar.example/redirect/{target}")
        assert error.code is FetchErrorCode.PRIVATE_ADDRESS
    assert world.forbidden == []
    assert not world.attempted("169.254.169.254")


async def test_loopback_url_is_refused_without_a_connection(world: World) -> None:
    url = f"https://127.0.0.1:{world.forbidden_port}/stolen"
    assert (await refused(world.public(), url)).code is FetchErrorCode.PRIVATE_ADDRESS
    assert world.forbidden == [] and world.nat.attempts == []


async def test_dns_rebinding_connects_to_the_checked_answer_only(world: World) -> None:
    """rebind.example answers 93.184.216.34 to the first lookup and 127.0.0.1 to the next.
    The fetcher looks up once and connects to what it checked: the public server answers,
    the loopback one never hears of it."""
    url = f"https://rebind.example:{world.forbidden_port}{PATH}"
    body = await world.public().fetch(url)
    assert body == CALENDAR
    assert world.resolver.lookups == ["rebind.example"]
    assert world.nat.attempts == [(PUBLIC_IP, world.forbidden_port)]
    assert world.forbidden == []


async def test_dns_rebinding_on_a_redirect_to_the_same_host_is_refused(world: World) -> None:
    """Every hop resolves and is checked afresh: the second answer, loopback, is refused."""
    world.served.targets["self"] = f"https://rebind.example:{world.forbidden_port}{PATH}"
    url = f"https://rebind.example:{world.forbidden_port}/redirect/self"
    error = await refused(world.public(), url)
    assert error.code is FetchErrorCode.PRIVATE_ADDRESS
    assert world.resolver.lookups == ["rebind.example", "rebind.example"]
    assert not world.attempted("127.0.0.1")
    assert world.forbidden == []


async def test_three_redirects_are_followed_and_a_fourth_is_refused(world: World) -> None:
    assert await world.public().fetch("https://calendar.example/hop/3") == CALENDAR
    world.served.requests.clear()
    error = await refused(world.public(), "https://calendar.example/hop/4")
    assert error.code is FetchErrorCode.TOO_MANY_REDIRECTS
    assert world.served.requests == ["/hop/4", "/hop/3", "/hop/2", "/hop/1"]


async def test_six_megabytes_are_refused(world: World) -> None:
    error = await refused(world.public(), "https://calendar.example/big.ics")
    assert error.code is FetchErrorCode.TOO_LARGE


async def test_size_limit_is_enforced_while_streaming(world: World) -> None:
    """The body has no length and stalls after 5.5 MB: refused as too large, not timed out
    waiting for the end, so the limit was applied to the bytes as they came."""
    fetcher = world.public(limits=FetchLimits(timeout_seconds=5))
    error = await refused(fetcher, "https://calendar.example/stream-big.ics")
    assert error.code is FetchErrorCode.TOO_LARGE
    assert 5 * MB < world.served.streamed[-1] < 6 * MB


async def test_a_slow_server_times_out(world: World) -> None:
    fetcher = world.public(limits=FetchLimits(timeout_seconds=0.3))
    loop = asyncio.get_running_loop()
    started = loop.time()
    error = await refused(fetcher, "https://calendar.example/slow.ics")
    assert error.code is FetchErrorCode.TIMEOUT
    assert loop.time() - started < 3


async def test_http_errors_and_pages_that_are_not_calendars(world: World) -> None:
    missing = await refused(world.public(), "https://calendar.example/nothing-here.ics")
    assert (missing.code, missing.status) == (FetchErrorCode.HTTP_STATUS, 404)
    page = await refused(world.public(), "https://calendar.example/login")
    assert page.code is FetchErrorCode.NOT_CALENDAR


async def test_malformed_calendar_is_fetched_then_refused_by_the_parser(world: World) -> None:
    body = await world.public().fetch("https://calendar.example/bad.ics")
    with pytest.raises(IcsError):
        busy_intervals(body, now=NOW, tz_name="Europe/Amsterdam")


async def test_unknown_names_and_bad_certificates_are_unreachable(world: World) -> None:
    assert (
        await refused(world.public(), "https://nowhere.example/x.ics")
    ).code is FetchErrorCode.UNREACHABLE
    world.resolver.answers["impostor.example"] = [[PUBLIC_IP]]  # certificate not for it
    error = await refused(world.public(), f"https://impostor.example{PATH}")
    assert error.code is FetchErrorCode.UNREACHABLE
    assert world.served.requests == []


async def test_the_url_never_reaches_logs_or_errors(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    urls = [
        f"https://calendar.example/redirect/loopback?k={SECRET}",
        f"https://calendar.example/slow.ics?k={SECRET}",
        f"https://nowhere.example/{SECRET}.ics",
        f"http://calendar.example/{SECRET}.ics",
        f"https://calendar.example/{SECRET}.ics",
    ]
    fetcher = world.public(limits=FetchLimits(timeout_seconds=0.3))
    for url in urls:
        error = await refused(fetcher, url)
        # What a logger prints for it, chained exceptions included (aiohttp's name the URL).
        printed = "".join(traceback.format_exception(error))
        assert SECRET not in printed and SECRET not in repr(error)
    assert caplog.records, "failures are logged (by host)"
    assert SECRET not in caplog.text
    assert "calendar.example" in caplog.text


def test_the_socket_guard_refuses_what_the_resolver_never_saw() -> None:
    """Literal addresses skip aiohttp's resolver; the socket factory checks every address
    that is about to be connected to, whatever produced it."""
    opened: list[object] = []

    def open_socket(info: object) -> socket.socket:
        opened.append(info)
        return socket.socket()

    guard = _Guard(allow_private=False, open_socket=open_socket)
    for address in ("127.0.0.1", "10.1.2.3", "169.254.169.254"):
        with pytest.raises(OSError):
            guard.socket_factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443)))
    with pytest.raises(OSError):
        guard.socket_factory((socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 443, 0, 0)))
    assert opened == [] and len(guard.refused) == 4
    public = (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_IP, 443))
    guard.socket_factory(public).close()
    assert opened == [public]


async def test_the_resolver_guard_refuses_a_name_with_any_private_answer() -> None:
    """The first layer: a name is refused at lookup, before the connector has addresses."""
    inner = FakeResolver(
        {
            "ok.example": [[PUBLIC_IP, OTHER_PUBLIC_IP]],
            "mixed.example": [[PUBLIC_IP, "fd00:ec2::254"]],
            "rebind.example": [[PUBLIC_IP], ["127.0.0.1"]],
        }
    )
    guard = _Guard(allow_private=False, open_socket=None)
    resolver = _GuardedResolver(inner, guard, owns_inner=False)
    answers = await resolver.resolve("ok.example", 443)
    assert [a["host"] for a in answers] == [PUBLIC_IP, OTHER_PUBLIC_IP]
    with pytest.raises(OSError):
        await resolver.resolve("mixed.example", 443)
    assert [a["host"] for a in await resolver.resolve("rebind.example", 443)] == [PUBLIC_IP]
    with pytest.raises(OSError):
        await resolver.resolve("rebind.example", 443)
    assert guard.refused == ["mixed.example", "rebind.example"]
