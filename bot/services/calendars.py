"""Connecting, showing, testing, refreshing and disconnecting a chat's calendar (issue 19):
fetch (bot.calendar.fetch) -> busy time (bot.calendar.ics, in a worker thread: it is CPU
work) -> store (bot.storage.calendars). Plain data in and out; no Telegram.

The address is a secret: it is encrypted before it is stored, and only `describe` (host and
last characters) is ever shown or returned from here.

The iCalendar libraries and cryptography are imported when a calendar is first used, not at
start-up: most processes read few calendars (see tests/unit/test_footprint.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_datetime

from bot.calendar.fetch import CalendarFetcher, CalendarFetchError, describe, host_of
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import t, tn
from bot.outgoing import Outgoing, Sender, SendPolicy
from bot.scheduling import rules
from bot.scheduling.timemath import as_utc, zone
from bot.services.reminders import Replanned, replan_moved
from bot.services.subscribers import Subscriber
from bot.storage import calendars as store
from bot.storage import chats, deliveries
from bot.storage.db import Database
from bot.storage.models import DeliveryStatus

if TYPE_CHECKING:
    from bot.calendar.secrets import UrlCipher

log = logging.getLogger(__name__)

Interval = tuple[datetime, datetime]

#: How far ahead busy time is read and shown (bot.calendar.ics.HORIZON).
HORIZON = timedelta(days=2)
#: How long "send me the address" waits for the next message.
ADDRESS_WAIT = timedelta(minutes=10)
#: The refresh job: how often, for chats whose next reminder is within LOOKAHEAD.
REFRESH_EVERY = timedelta(minutes=15)
LOOKAHEAD = timedelta(hours=4)
REFRESH_CONCURRENCY = 5
REFRESH_BATCH = 200
#: One calendar's whole refresh (fetch, parse, store); the fetch itself stops at 10 s.
REFRESH_TIMEOUT_SECONDS = 30.0
#: Failures in a row before the user is told (once) that their calendar cannot be read.
NOTIFY_AFTER_FAILURES = 3


class CalendarUnavailable(Exception):
    """Calendars are not configured on this bot (no SECRET_KEY)."""


@dataclass(frozen=True)
class Tested:
    """A calendar that was just read: what to call it and how busy the next two days are."""

    label: str
    blocks: int


@dataclass(frozen=True)
class Connection:
    label: str
    last_ok_at: datetime | None
    failures: int
    upcoming: tuple[Interval, ...]


def connection_lines(lang: str, connection: Connection, tz_name: str) -> list[str]:
    """What /calendar and the Mini App say of a connected calendar under its label: when it
    was last read (in the chat's zone), its busy blocks in the next two days, and failures
    (Telegram HTML: the page renders the same markup)."""
    lines = []
    if connection.last_ok_at is not None:
        when = format_datetime(
            connection.last_ok_at.astimezone(zone(tz_name)), "d MMM HH:mm", locale=lang
        )
        lines.append(t(lang, "calendar.last_read", when=when))
    lines.append(tn(lang, "calendar.blocks", len(connection.upcoming)))
    if connection.failures:
        lines.append(tn(lang, "calendar.status_failing", connection.failures))
    return lines


def how_it_works(lang: str, settings: Settings) -> str:
    """How a connected calendar changes reminders, with this bot's move window."""
    return t(lang, "calendar.how_it_works", window=settings.calendar_move_window_minutes)


def fetcher_for(settings: Settings) -> CalendarFetcher:
    return CalendarFetcher(allow_private=settings.calendar_allow_private_hosts)


def cipher_for(settings: Settings) -> UrlCipher:
    from bot.calendar.secrets import SecretKeyError, UrlCipher

    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    try:
        return UrlCipher(key)
    except SecretKeyError as exc:
        raise CalendarUnavailable(str(exc)) from None


async def read_busy(
    fetcher: CalendarFetcher, url: str, *, now: datetime, tz_name: str
) -> list[Interval]:
    """Fetch and read a calendar: its busy intervals over the next two days."""
    from bot.calendar import ics

    data = await fetcher.fetch(url)
    return await asyncio.to_thread(ics.busy_intervals, data, now=now, tz_name=tz_name)


async def connect(
    db: Database,
    settings: Settings,
    chat_id: int,
    url: str,
    *,
    now: datetime,
    fetcher: CalendarFetcher | None = None,
) -> Tested:
    """Read the calendar once and, only when that works, store it encrypted with its busy
    time. Raises CalendarFetchError or IcsError (a message per code in calendar.po) or
    CalendarUnavailable; a failed address is never stored."""
    cipher = cipher_for(settings)
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        tz_name = chat.timezone if chat else "UTC"
    busy = await read_busy(fetcher or fetcher_for(settings), url, now=now, tz_name=tz_name)
    async with db.session() as session:
        await store.connect(
            session, chat_id, url_encrypted=cipher.encrypt(url.strip()), host=host_of(url)
        )
        await _store_busy(session, settings, chat_id, busy, now)
    log.info("calendar connected for chat %s from %s", chat_id, host_of(url))
    return Tested(describe(url), len(busy))


async def _store_busy(
    session: Any, settings: Settings, chat_id: int, busy: list[Interval], now: datetime
) -> Replanned:
    """Store freshly read busy time, and check the chat's reminders already waiting for a
    meeting to end against it: a meeting that now runs over the moved time moves them again
    (or skips them), by the same rule the dispatcher applies when they come due."""
    await store.record_success(session, chat_id, busy, now)
    waiting = await deliveries.waiting_moved(session, chat_id)
    window = timedelta(minutes=settings.calendar_move_window_minutes)
    return await replan_moved(session, waiting, now, window, status_was=DeliveryStatus.SCHEDULED)


async def coming(
    db: Database, chat: Subscriber, now: datetime, count: int = 3
) -> list[rules.Coming]:
    """The chat's next reminders, with those moved past a meeting (rules.coming): what
    /settings and the Mini App show as next."""
    async with db.session() as session:
        waiting = await deliveries.waiting_moved(session, chat.id)
    next_due = as_utc(chat.next_due_at) if chat.next_due_at else None
    return rules.coming(chat, next_due, now, [as_utc(row.due_at) for row in waiting], count)


def next_label(lang: str, moment: str, item: rules.Coming) -> str:
    """`moment` (the next reminder, formatted) as a chat message says it: marked when the
    reminder was moved past a meeting, so its time off the schedule is explained."""
    return f"{moment} ({t(lang, 'label.moved')})" if item.moved else moment


async def status(
    db: Database, settings: Settings, chat_id: int, now: datetime
) -> Connection | None:
    """The chat's connection, or None. The label shows the host and the last characters only
    (just the host when the key can no longer read the address)."""
    from bot.calendar.secrets import SecretDecryptError

    async with db.session() as session:
        link = await store.get(session, chat_id)
        if link is None:
            return None
        upcoming = await store.busy_between(session, chat_id, now, now + HORIZON)
        encrypted, host = link.url_encrypted, link.host
        last_ok = as_utc(link.last_ok_at) if link.last_ok_at else None
        failures = link.failures
    try:
        label = describe(cipher_for(settings).decrypt(encrypted))
    except (CalendarUnavailable, SecretDecryptError):
        label = host
    return Connection(label, last_ok, failures, tuple(upcoming))


async def disconnect(db: Database, chat_id: int, now: datetime) -> bool:
    """Forget the calendar and its busy time; reminders waiting for a meeting to end are due
    at once, and later slots keep their own time again. False when none was connected."""
    async with db.session() as session:
        removed = await store.disconnect(session, chat_id)
        await deliveries.bring_back_moved(session, chat_id, now)
    return removed


async def ask_for_address(db: Database, chat_id: int, now: datetime) -> None:
    async with db.session() as session:
        await store.expect_address(session, chat_id, now, ADDRESS_WAIT)


async def address_expected(db: Database, chat_id: int, now: datetime) -> bool:
    """True (once) when this chat's message is the address it was asked for."""
    async with db.session() as session:
        return await store.take_expected(session, chat_id, now)


# --- the refresh job ---------------------------------------------------------------------------


@dataclass
class RefreshReport:
    refreshed: int = 0
    failed: int = 0
    notified: int = 0
    moved_again: int = 0  # moved reminders a meeting now covers, moved once more
    skipped: int = 0  # ... or skipped: they could no longer move


async def refresh_due(
    db: Database,
    sender: Sender,
    settings: Settings,
    clock: Clock,
    *,
    fetcher: CalendarFetcher | None = None,
    concurrency: int = REFRESH_CONCURRENCY,
) -> RefreshReport:
    """Re-read the calendars of chats whose next reminder is near and whose busy time is older
    than the refresh interval, a few at a time. Each calendar has its own timeout, and a
    failure is recorded for that chat alone; after NOTIFY_AFTER_FAILURES in a row the user is
    told once, and reminders go on without the calendar's new busy time."""
    now = clock()
    report = RefreshReport()
    if settings.secret_key is None:  # calendars are off: no address could be read
        return report
    async with db.session() as session:
        chat_ids = await store.due_for_refresh(
            session,
            # A minute of slack: a job that runs every 15 minutes finds last run's rows due.
            checked_before=now - REFRESH_EVERY + timedelta(minutes=1),
            reminder_before=now + LOOKAHEAD,
            limit=REFRESH_BATCH,
        )
    if not chat_ids:
        return report
    try:  # only now: the cipher loads cryptography (~7 MB), needless while nothing is due
        cipher = cipher_for(settings)
    except CalendarUnavailable:
        return report
    fetcher = fetcher or fetcher_for(settings)
    gate = asyncio.Semaphore(concurrency)

    async def one(chat_id: int) -> None:
        async with gate:
            ok = await _refresh_one(db, settings, cipher, fetcher, chat_id, clock, sender, report)
        if ok:
            report.refreshed += 1
        else:
            report.failed += 1

    await asyncio.gather(*(one(chat_id) for chat_id in chat_ids))
    return report


async def _refresh_one(
    db: Database,
    settings: Settings,
    cipher: UrlCipher,
    fetcher: CalendarFetcher,
    chat_id: int,
    clock: Clock,
    sender: Sender,
    report: RefreshReport,
) -> bool:
    from bot.calendar.ics import IcsError
    from bot.calendar.secrets import SecretDecryptError

    async with db.session() as session:
        link = await store.get(session, chat_id)
        chat = await chats.get(session, chat_id)
        if link is None or chat is None:
            return True
        encrypted, tz_name, lang = link.url_encrypted, chat.timezone, chat.language
    code = "other"
    try:
        url = cipher.decrypt(encrypted)
        async with asyncio.timeout(REFRESH_TIMEOUT_SECONDS):
            busy = await read_busy(fetcher, url, now=clock(), tz_name=tz_name)
    except CalendarFetchError as exc:
        code = exc.code.value
    except IcsError:
        code = "malformed"
    except SecretDecryptError:
        code = "secret"
    except TimeoutError:
        code = "timeout"
    except Exception:  # one calendar must never stop the others
        log.exception("calendar refresh for chat %s failed", chat_id)
    else:
        async with db.session() as session:
            replanned = await _store_busy(session, settings, chat_id, busy, clock())
        report.moved_again += replanned.moved
        report.skipped += replanned.skipped
        return True
    async with db.session() as session:
        failures = await store.record_failure(session, chat_id, code, clock())
        notify = failures >= NOTIFY_AFTER_FAILURES and await store.claim_failure_notice(
            session, chat_id, clock()
        )
    if notify:
        report.notified += 1
        await sender.deliver(
            Outgoing(chat_id, t(lang, "calendar.failing", failures=failures)), SendPolicy(60.0)
        )
    return False
