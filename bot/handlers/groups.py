"""Group chats: the admin gate, the bot being added or removed, the coalesced "who moved"
edit of a group reminder, and the team's /stats. The rules live in bot.services.groups.

The gate runs before every other handler (handler group -1): in a group, a settings command
or button from someone who is not an administrator gets a short explanation and goes no
further, so the settings handlers stay unaware of groups.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    ChatMemberHandler,
    Job,
    TypeHandler,
)

from bot.commands import message_command, needs_group_admin
from bot.context import Context
from bot.handlers.ui import answer, reply
from bot.i18n import t
from bot.outgoing import Outgoing
from bot.services import groups

log = logging.getLogger(__name__)

GATE_GROUP = -1
REFRESH_PREFIX = "group-refresh:"
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


async def is_admin(update: Update, context: Context) -> bool:
    """Creator or administrator per getChatMember (cached for seconds), or an anonymous admin
    writing as the group itself."""
    chat, user = update.effective_chat, update.effective_user
    message = update.effective_message
    if chat is None:
        return False
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    if user is None:
        return False
    cache, at = context.bot_data.admins, context.now()
    known = cache.get(chat.id, user.id, at)
    if known is not None:
        return known
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:  # unknown: refuse this time, ask again next time
        log.warning("getChatMember failed in chat %s: %s", chat.id, exc)
        return False
    admin = groups.is_admin_status(member.status)
    cache.put(chat.id, user.id, admin, at)
    return admin


def _needs_admin(update: Update, context: Context) -> bool:
    if update.callback_query is not None:
        return groups.button_needs_admin(update.callback_query.data)
    command = message_command(update.effective_message, context.bot.username)
    return needs_group_admin(command)


async def admin_gate(update: Update, context: Context) -> None:
    """Stop a non-admin's settings command or button in a group, with a short explanation."""
    chat = update.effective_chat
    if chat is None or not groups.is_group(chat.type) or not _needs_admin(update, context):
        return
    if await is_admin(update, context):
        return
    lang = await context.language()
    if update.callback_query is not None:
        await answer(update.callback_query, t(lang, "groups.admins_only_short"))
    else:
        await reply(update, t(lang, "groups.admins_only"))
    raise ApplicationHandlerStop


async def on_my_chat_member(update: Update, context: Context) -> None:
    """Removed or kicked: stop the group's reminders. Added (back): say how to start."""
    change = update.my_chat_member
    if change is None or not groups.is_group(change.chat.type):
        return
    old, new = change.old_chat_member.status, change.new_chat_member.status
    chat_id = change.chat.id
    context.bot_data.admins.forget_chat(chat_id)
    if new in GONE:
        if await groups.bot_removed(context.bot_data.db, chat_id):
            log.info("bot removed from group %s: reminders stopped", chat_id)
        return
    if old in GONE:
        lang = await context.language()
        try:
            await context.bot.send_message(chat_id, t(lang, "groups.added"))
        except TelegramError as exc:
            log.info("could not greet group %s: %s", chat_id, exc)


# --- the coalesced "who moved" edit ----------------------------------------------------------


def refresh_job_name(chat_id: int) -> str:
    return f"{REFRESH_PREFIX}{chat_id}"


def schedule_refresh(context: Context, chat_id: int, delivery_id: int) -> None:
    """One pending edit per group: a press while one is pending just joins it, so a burst of
    presses costs one edit REFRESH_SECONDS after the first (and edits stay that far apart)."""
    queue = context.jobs
    if queue is None:
        return
    for job in queue.get_jobs_by_name(refresh_job_name(chat_id)):
        if isinstance(job.data, set) and not job.removed:
            job.data.add(delivery_id)
            return
    queue.run_once(
        refresh_job,
        when=groups.REFRESH_SECONDS,
        name=refresh_job_name(chat_id),
        data={delivery_id},
        chat_id=chat_id,
    )


async def refresh_job(context: Context) -> None:
    job: Job[Any] | None = context.job
    if job is None or not isinstance(job.data, set):
        return
    for delivery_id in sorted(job.data):
        await refresh_reminder(context, delivery_id)


async def refresh_reminder(context: Context, delivery_id: int) -> None:
    """Re-render the reminder from the database: who completed it, of how many members."""
    reminder = await groups.load_group_reminder(context.bot_data.db, delivery_id)
    if reminder is None:
        return
    try:
        total: int | None = groups.members_without_bot(
            await context.bot.get_chat_member_count(reminder.chat_id)
        )
    except TelegramError as exc:
        log.info("no member count for group %s: %s", reminder.chat_id, exc)
        total = None
    text, buttons = groups.render_group_reminder(reminder, total, context.bot_data.catalogue)
    outcome = await context.bot_data.outbox.deliver(
        Outgoing(reminder.chat_id, text, buttons, edit_message_id=reminder.message_id)
    )
    if not outcome.sent:  # kicked, migrated, flood: the completions are kept anyway
        log.info("could not update group reminder %s: %s", delivery_id, outcome.error)


# --- /stats in a group -----------------------------------------------------------------------


async def team_stats(update: Update, context: Context) -> None:
    assert update.effective_chat
    svc = context.bot_data
    found = await groups.team_week(svc.db, update.effective_chat.id, svc.clock())
    if found is None:
        await reply(update, t(await context.language(), "stats.not_registered"))
        return
    chat, week = found
    await reply(update, groups.team_stats_text(chat.language, week))


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, admin_gate), group=GATE_GROUP)
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
