"""Team breaks in group chats: who may change what, who moved, and the team's week.

Plain functions, callable without Telegram. The rules:

- In a group, everyone may press a reminder's Done and use /stats, /exercise, /help; only the
  group's administrators (creator or administrator, or an anonymous admin writing as the
  group) may subscribe the group, change or stop its schedule, export or erase its data.
- A group reminder carries only Done and Show me (which sends the routine's animations and
  changes nothing, so anyone may press it; several presses within a few minutes send them
  once): "10 minutes later", "another exercise" and "skip today" would change the break for
  everyone because one person pressed, so they are not offered there (an admin pauses with
  /pause); old or forged presses of them are admin-only.
- Done presses are coalesced: each press is recorded at once, and the message is re-rendered
  from the database at most once per REFRESH_SECONDS per group, so a burst of presses costs
  one edit and a restart can lose an edit but never a completion.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date

from bot import telegram_html
from bot.content.models import Catalogue
from bot.i18n import Safe, t, tn
from bot.outgoing import Keyboard
from bot.scheduling.timemath import local_date, local_day_bounds
from bot.services.reminders import DONE, SHOW, keyboard, parse_callback, reminder_text
from bot.services.subscribers import Subscriber
from bot.storage import chats, completions, deliveries
from bot.storage.db import Database

GROUP_TYPES = frozenset({"group", "supergroup"})
ADMIN_STATUSES = frozenset({"creator", "administrator"})

#: Button areas that change settings: onboarding, /settings, the /delete confirmation.
#: ch: pause, stop, times and switches; tk:z: a timezone choice; tk:st opens the settings.
ADMIN_BUTTON_AREAS = ("ob:", "st:", "dl:", "ch:", "tk:z:", "tk:st")

#: At most one edit of a group's reminder per this many seconds, however many press Done.
REFRESH_SECONDS = 4.0
#: getChatMember answers are reused this long: an optimisation, never the truth for longer.
ADMIN_CACHE = timedelta(seconds=30)

MAX_NAME = 32
MAX_NAMES = 30
NAMES_BUDGET = 900  # visible characters for the list of names under a reminder
MAX_MEMBERS_LISTED = 40


def is_group(chat_type: str | None) -> bool:
    return chat_type in GROUP_TYPES


def is_admin_status(status: str | None) -> bool:
    return status in ADMIN_STATUSES


def button_needs_admin(data: object) -> bool:
    """Settings, onboarding and delete buttons, and every reminder button except Done and
    Show me (the two that change nothing for the others)."""
    if not isinstance(data, str):
        return False
    if data.startswith(ADMIN_BUTTON_AREAS):
        return True
    parsed = parse_callback(data)
    return parsed is not None and parsed[0] not in (DONE, SHOW)


class AdminCache:
    """(chat, user) -> admin or not, for ADMIN_CACHE at most; bounded in size."""

    def __init__(self, ttl: timedelta = ADMIN_CACHE, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._seen: dict[tuple[int, int], tuple[bool, datetime]] = {}

    def get(self, chat_id: int, user_id: int, now: datetime) -> bool | None:
        entry = self._seen.get((chat_id, user_id))
        if entry is None or not (entry[1] <= now < entry[1] + self.ttl):
            return None
        return entry[0]

    def put(self, chat_id: int, user_id: int, admin: bool, now: datetime) -> None:
        if len(self._seen) >= self.max_entries:
            self._seen = {k: v for k, v in self._seen.items() if v[1] + self.ttl > now}
            if len(self._seen) >= self.max_entries:
                self._seen.clear()
        self._seen[(chat_id, user_id)] = (admin, now)

    def forget_chat(self, chat_id: int) -> None:
        self._seen = {k: v for k, v in self._seen.items() if k[0] != chat_id}


# --- who moved -------------------------------------------------------------------------------


def members_without_bot(count: int) -> int:
    """getChatMemberCount counts the bot too."""
    return max(1, count - 1)


def short_name(name: str | None, lang: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        return t(lang, "groups.someone")
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def names_list(lang: str, names: Sequence[str], budget: int = NAMES_BUDGET) -> str:
    """Escaped names, comma-separated, within `budget` visible characters and MAX_NAMES;
    the rest as "and N more"."""
    shown: list[str] = []
    used = 0
    for name in names:
        cost = telegram_html.utf16_len(name) + 2  # as Telegram counts: emoji in names count 2
        if len(shown) >= MAX_NAMES or used + cost > budget:
            break
        shown.append(html.escape(name, quote=False))
        used += cost
    text = ", ".join(shown)
    rest = len(names) - len(shown)
    if rest:
        text = (text + " " if text else "") + t(lang, "groups.more", n=rest)
    return text


def moved_line(
    lang: str, names: Sequence[str], total: int | None, budget: int = NAMES_BUDGET
) -> str:
    """ "3 of 5 moved: Anke, Bo, Cas" (without "of 5" when the member count is unknown)."""
    listed = Safe(names_list(lang, names, budget))
    if total is None:
        return tn(lang, "groups.moved_some", len(names), names=listed)
    return tn(lang, "groups.moved", len(names), total=max(total, len(names)), names=listed)


@dataclass(frozen=True)
class GroupReminder:
    """What a group reminder message shows, read from the database."""

    delivery_id: int
    chat_id: int
    message_id: int
    lang: str
    routine_id: str | None
    kind: str
    names: tuple[str, ...]


async def load_group_reminder(db: Database, delivery_id: int) -> GroupReminder | None:
    """The reminder (at the chat it lives in now) and who completed it; None if gone or
    never shown."""
    async with db.session() as session:
        delivery = await deliveries.get(session, delivery_id)
        if delivery is None or delivery.message_id is None:
            return None
        chat = await chats.get(session, delivery.chat_id)
        if chat is None:
            return None
        pressed = await completions.for_delivery(session, delivery_id)
        lang = chat.language
        return GroupReminder(
            delivery_id=delivery.id,
            chat_id=delivery.chat_id,
            message_id=delivery.message_id,
            lang=lang,
            routine_id=delivery.routine_id,
            kind=delivery.kind,
            names=tuple(short_name(name, lang) for _, name in pressed),
        )


def render_group_reminder(
    reminder: GroupReminder, total: int | None, catalogue: Catalogue
) -> tuple[str, Keyboard]:
    """The reminder with its "who moved" line, kept under Telegram's 4096 characters."""
    base = reminder_text(catalogue, reminder.routine_id, reminder.lang, kind=reminder.kind)
    room = telegram_html.MAX_TEXT - len(telegram_html.parse(base).text) - 120
    status = moved_line(reminder.lang, reminder.names, total, max(0, min(NAMES_BUDGET, room)))
    text = base + "\n\n" + status
    return text, keyboard(reminder.delivery_id, reminder.lang, group=True)


# --- removed from a group --------------------------------------------------------------------


async def bot_removed(db: Database, chat_id: int) -> bool:
    """The bot was removed or kicked: no more reminders until someone adds it back and an
    admin sends /start. False when the group never subscribed."""
    async with db.session() as session:
        return await chats.mark_unreachable(session, chat_id)


# --- the team's week -------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamWeek:
    start: date  # Monday
    days: tuple[tuple[date, int], ...]  # Monday up to today
    members: tuple[tuple[str, int], ...]  # most breaks first

    @property
    def total(self) -> int:
        return sum(n for _, n in self.days)


def build_team_week(
    rows: Sequence[tuple[int, str | None, datetime]],
    tz_name: str,
    now: datetime,
    lang: str,
    known: dict[int, str] | None = None,
) -> TeamWeek:
    """Pure: per-day counts (anyone) and per-member counts for the local week of `now`;
    `known` names people whose rows this week carry no name."""
    today = local_date(now, tz_name)
    start = today - timedelta(days=today.weekday())
    per_day: Counter[date] = Counter()
    per_user: Counter[int] = Counter()
    names: dict[int, str | None] = dict(known or {})
    for user_id, name, at in rows:
        day = local_date(at, tz_name)
        if not start <= day <= today:
            continue
        per_day[day] += 1
        per_user[user_id] += 1
        if name:
            names[user_id] = name  # rows come oldest first: the latest name wins
    days = tuple(
        (start + timedelta(days=i), per_day[start + timedelta(days=i)])
        for i in range((today - start).days + 1)
    )
    members = sorted(
        ((short_name(names.get(uid), lang), n) for uid, n in per_user.items()),
        key=lambda item: (-item[1], item[0].lower()),
    )
    return TeamWeek(start, days, tuple(members))


def week_span(lang: str, week: TeamWeek) -> str:
    end = week.start + timedelta(days=6)
    first, last = (format_date(day, "d MMM", locale=lang) for day in (week.start, end))
    return f"{first} – {last}"


def team_stats_text(lang: str, week: TeamWeek) -> str:
    """The group's /stats: the week per day, the total, and each member's count."""
    span = week_span(lang, week)
    if not week.total:
        return t(lang, "groups.stats.empty", week=span)
    lines = [t(lang, "groups.stats.title", week=span), ""]
    for day, n in week.days:
        label = format_date(day, "EEE d MMM", locale=lang)
        lines.append(f"{html.escape(label)}: <b>{n}</b>")
    lines += ["", tn(lang, "groups.stats.total", week.total), "", t(lang, "groups.stats.members")]
    for name, n in week.members[:MAX_MEMBERS_LISTED]:
        lines.append(f"{html.escape(name, quote=False)}: {n}")
    if len(week.members) > MAX_MEMBERS_LISTED:
        lines.append(t(lang, "groups.more", n=len(week.members) - MAX_MEMBERS_LISTED))
    return "\n".join(lines)


async def team_week(
    db: Database, chat_id: int, now: datetime
) -> tuple[Subscriber, TeamWeek] | None:
    """The group's week so far; None when the group is not registered."""
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        if chat is None:
            return None
        today = local_date(now, chat.timezone)
        monday = today - timedelta(days=today.weekday())
        start, _ = local_day_bounds(monday, chat.timezone)
        rows = await completions.in_period(session, chat_id, start, now + timedelta(seconds=1))
        unnamed = sorted({uid for uid, name, _ in rows if not name})
        known = await completions.known_names(session, chat_id, unnamed)
    return Subscriber.of(chat), build_team_week(rows, chat.timezone, now, chat.language, known)
