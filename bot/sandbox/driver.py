"""Playing Telegram's users: what tests and the terminal sandbox do to the stand-in's world.

Users write, share locations and press buttons; they block the bot, groups migrate or drop
the bot. Each action becomes the update Telegram would send. The observing half reads the
chats as they are now and waits for the bot's reaction.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

import telegram

from bot.telegram_html import Entity, utf16_len, utf16_slice

from .faults import FaultPlan, ScriptedFault
from .state import GROUP, PRIVATE, SUPERGROUP, CallbackQueryRecord, Chat, StoredMessage, User
from .world import Listener, World

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_MENTION_RE = re.compile(r"(?<!\S)@[A-Za-z0-9_]{5,32}")

ChatRef = int | Chat | User


def user_entities(text: str) -> list[Entity]:
    """bot_command and mention entities, as Telegram's clients attach them."""
    found: list[tuple[int, int, str]] = []
    for regex, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        for match in regex.finditer(text):
            found.append((match.start(), match.end(), kind))
    found.sort()
    return [
        Entity(kind, utf16_len(text[:start]), utf16_len(text[start:end]))
        for start, end, kind in found
    ]


class Driver:
    """The API tests and the terminal use to act as users and to watch the bot."""

    def __init__(self, world: World, faults: FaultPlan) -> None:
        self.world = world
        self.faults = faults
        self._query_ids = itertools.count(4_000_000_000_000_000_001)

    # --- users and chats ------------------------------------------------------------------

    def add_user(
        self,
        first_name: str = "Tester",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
        started: bool = False,
    ) -> User:
        """A Telegram user with a private chat (chat id == user id).

        started=False mirrors Telegram: the bot can't write to them until they write first
        (send_text/press_button do that); pass True to skip it for bulk benchmarks.
        """
        world = self.world
        uid = user_id if user_id is not None else next(world.user_ids)
        if uid in world.users:
            raise ValueError(f"user {uid} exists")
        user = User(uid, first_name, last_name, username, language_code, started=started)
        world.users[uid] = user
        world.chats[uid] = Chat(uid, PRIVATE, user=user)
        return user

    def add_group(
        self,
        title: str = "Team",
        *,
        members: Iterable[User] = (),
        admins: Iterable[User] = (),
        owner: User | None = None,
        supergroup: bool = False,
        username: str | None = None,
        bot_is_admin: bool = False,
    ) -> Chat:
        """A group (or supergroup) the bot is already a member of."""
        world = self.world
        if supergroup:
            chat = Chat(-next(world.supergroup_ids), SUPERGROUP, title=title, username=username)
        else:
            chat = Chat(-next(world.group_ids), GROUP, title=title)
        for status, users in (("member", members), ("administrator", admins)):
            for user in users:
                chat.members[user.id] = status
                chat.users[user.id] = user
        if owner is not None:
            chat.members[owner.id] = "creator"
            chat.users[owner.id] = owner
        chat.bot_status = "administrator" if bot_is_admin else "member"
        world.register_chat(chat)
        return chat

    def chat(self, ref: ChatRef) -> Chat:
        """The chat for an id, a Chat, or a User (their private chat)."""
        if isinstance(ref, Chat):
            return ref
        chat_id = ref.id if isinstance(ref, User) else ref
        try:
            return self.world.chats[chat_id]
        except KeyError:
            raise LookupError(f"no chat {chat_id}") from None

    # --- acting as users ------------------------------------------------------------------

    async def send_text(
        self,
        user: User,
        text: str,
        chat: Chat | None = None,
        *,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """The user writes `text` (commands get bot_command entities) in their private chat or
        in `chat`; returns the user's message. Delivered as a `message` update."""
        target = self._player_chat(user, chat)
        message = self.world.new_message(
            target, user, text=text, entities=user_entities(text), reply_to=reply_to
        )
        self._deliver_user_message(message)
        await asyncio.sleep(0)
        return message

    async def send_location(
        self, user: User, latitude: float, longitude: float, chat: Chat | None = None
    ) -> StoredMessage:
        """The user shares a location (e.g. through a request_location keyboard button)."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("latitude must be within ±90 and longitude within ±180")
        target = self._player_chat(user, chat)
        message = self.world.new_message(target, user, location=(latitude, longitude))
        self._deliver_user_message(message)
        await asyncio.sleep(0)
        return message

    async def press_button(
        self, user: User, message: StoredMessage | int, button: str, *, chat: Chat | None = None
    ) -> CallbackQueryRecord:
        """The user taps an inline button (by its text, or else its callback_data) on one of
        the bot's messages (a StoredMessage, or a message id in `chat`, default the user's
        private chat); returns the query record, whose answer fields fill in later."""
        if isinstance(message, int):
            where = chat or self.world.chats[user.id]
            found = where.messages.get(message)
            if found is None:
                raise LookupError(f"no message {message} in chat {where.id}")
            message = found
        chat = message.chat
        if chat.messages.get(message.message_id) is not message:
            raise LookupError(f"message {message.message_id} in chat {chat.id} no longer exists")
        pressed = message.find_button(button)
        if "callback_data" not in pressed:
            kind = next(k for k in pressed if k != "text")
            raise ValueError(
                f"button {pressed['text']!r} is a {kind} button; pressing it sends "
                "nothing to the bot"
            )
        return await self.forge_button_press(user, message, pressed["callback_data"])

    async def forge_button_press(
        self, user: User, message: StoredMessage, data: str
    ) -> CallbackQueryRecord:
        """A tampered or outdated client sends `data` as if a button of `message` carried it
        (the bot must answer politely and change nothing); returns the query record."""
        world = self.world
        chat = message.chat
        if chat.type == PRIVATE and chat.user is not user:
            raise ValueError("a user can only press buttons in their own private chat")
        self._player_chat(user, chat if chat.is_group else None)
        record = CallbackQueryRecord(str(next(self._query_ids)), user, message, data, world.clock())
        world.queries[record.id] = record
        while len(world.queries) > 10_000:
            world.queries.popitem(last=False)
        world.updates.push(
            "callback_query",
            telegram.CallbackQuery(
                record.id,
                user.to_telegram(),
                str(abs(chat.id) * 7919 % 10**18),
                message=message.to_telegram(),
                data=record.data,
            ),
        )
        await asyncio.sleep(0)
        return record

    def block_bot(self, user: User) -> None:
        """The user blocks the bot: sends to them answer 403 from now on."""
        if user.blocked_bot:
            return
        user.blocked_bot = True
        self.world.my_chat_member(self.world.chats[user.id], user, "member", "kicked")

    def unblock_bot(self, user: User) -> None:
        if not user.blocked_bot:
            return
        user.blocked_bot = False
        self.world.my_chat_member(self.world.chats[user.id], user, "kicked", "member")

    def delete_chat(self, chat: Chat | User) -> None:
        """A private chat's user deletes their account (403 "user is deactivated"); a group
        answers 403 "the group chat was deleted"."""
        target = self.chat(chat)
        if target.type == PRIVATE and target.user is not None:
            target.user.deactivated = True
        else:
            target.deleted = True
            self.world.flood.forget_chat(target.id)

    def remove_bot_from_group(self, group: Chat, by: User | None = None) -> None:
        """An admin kicks the bot: a my_chat_member update, and 403 on later sends."""
        old = group.bot_status
        group.bot_status = "kicked"
        self.world.my_chat_member(group, by or _group_actor(group), old, "kicked")

    def migrate_group(self, group: Chat, by: User | None = None) -> Chat:
        """Upgrade a group to a supergroup: sends to the old id then answer 400 with
        migrate_to_chat_id (PTB raises ChatMigrated). Returns the new supergroup."""
        if group.type != GROUP:
            raise ValueError("only basic groups migrate")
        world = self.world
        actor = by or _group_actor(group)
        new = Chat(
            -next(world.supergroup_ids),
            SUPERGROUP,
            title=group.title,
            members=dict(group.members),
            users=dict(group.users),
            bot_status=group.bot_status,
            migrated_from=group.id,
        )
        world.register_chat(new)
        group.migrated_to = new.id
        world.flood.forget_chat(group.id)
        if group.bot_status in ("member", "administrator"):
            old_notice = world.new_message(group, actor, service={"migrate_to_chat_id": new.id})
            world.push_message(old_notice)
            new_notice = world.new_message(new, actor, service={"migrate_from_chat_id": group.id})
            world.push_message(new_notice)
        return new

    def _player_chat(self, user: User, chat: Chat | None) -> Chat:
        if user.deactivated:
            raise ValueError(f"user {user.id} is deactivated")
        if chat is None or chat.type == PRIVATE:
            private = self.world.chats[user.id]
            if chat is not None and chat is not private:
                raise ValueError("a user can only write in their own private chat")
            if user.blocked_bot:
                self.unblock_bot(user)  # "Restart bot" in the app unblocks, then sends
            user.started = True
            return private
        if user.id not in chat.members:
            raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat.id} migrated to {chat.migrated_to}")
        if chat.deleted:
            raise ValueError(f"chat {chat.id} was deleted")
        return chat

    def _deliver_user_message(self, message: StoredMessage) -> None:
        chat = message.chat
        if chat.is_group:
            if chat.bot_status not in ("member", "administrator"):
                return
            if self.world.privacy_mode and not self._bot_sees(message):
                return
        self.world.push_message(message)

    def _bot_sees(self, message: StoredMessage) -> bool:
        """Privacy mode: commands, replies to the bot and mentions of it get through."""
        text = message.text or ""
        if message.chat.bot_status == "administrator":
            return True
        username = f"@{self.world.bot.username}".lower()
        first = message.entities[0] if message.entities else None
        if first is not None and first.type == "bot_command" and first.offset == 0:
            # A command, unless addressed to another bot (/start@other_bot); Telegram ends
            # the command entity at the first character that cannot be part of it.
            command = utf16_slice(text, first.offset, first.length)
            return "@" not in command or command.lower().endswith(username)
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        return username in text.lower()

    # --- observing ------------------------------------------------------------------------

    def messages(self, chat: ChatRef) -> list[StoredMessage]:
        """The bot's messages in a chat as they are now (after edits, without deleted ones)."""
        return [m for m in self.chat(chat).messages.values() if m.from_bot]

    def last_message(self, chat: ChatRef) -> StoredMessage | None:
        for message in reversed(self.chat(chat).messages.values()):
            if message.from_bot:
                return message
        return None

    async def wait_for_message(
        self,
        chat: ChatRef,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - real seconds to wait for the bot, by design
    ) -> StoredMessage:
        """The oldest bot message in the chat not yet returned by this method that matches
        `predicate`; waits for one if there is none. Each message is returned once, so
        successive calls read the bot's replies in order, like reading a chat."""
        target = self.chat(chat)

        def find() -> StoredMessage | None:
            for message in target.messages.values():
                if (
                    message.from_bot
                    and not message.consumed
                    and (predicate is None or predicate(message))
                ):
                    message.consumed = True
                    return message
            return None

        def describe() -> str:
            recent = [repr(m) for m in list(target.messages.values())[-5:]]
            return f"no matching bot message in chat {target.id}; recent: {recent}"

        found: StoredMessage = await self.wait_until(find, timeout=timeout, describe=describe)
        return found

    async def wait_for_answer(
        self,
        query: CallbackQueryRecord,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackQueryRecord:
        """Wait until the bot answered a button press (answerCallbackQuery)."""
        await self.wait_until(
            lambda: query.answered,
            timeout=timeout,
            describe=lambda: f"callback query {query.id} not answered",
        )
        return query

    async def wait_until(
        self,
        condition: Callable[[], Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        describe: Callable[[], str] | None = None,
    ) -> Any:
        """Re-check `condition` whenever the bot changes something; return its first truthy
        value, or raise TimeoutError after `timeout` real seconds."""
        return await self.world.wait_until(condition, timeout=timeout, describe=describe)

    @property
    def pending_updates(self) -> int:
        return len(self.world.updates.pending)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(BotEvent)` synchronously whenever the bot sends or edits a message
        or answers a button press."""
        self.world.listeners.append(listener)

    # --- scripting Telegram's misbehaviour ------------------------------------------------

    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: ChatRef | None = None,
        times: int = 1,
    ) -> ScriptedFault:
        """Answer the next `times` calls of `method` (any method if None), optionally only
        those for this chat, with an error: retry_after=N gives a 429, status=502 nginx's Bad
        Gateway page, anything else a JSON error with `description`."""
        return self.faults.fail_next(
            method,
            status=status,
            description=description,
            retry_after=retry_after,
            chat_id=_ref_id(chat_id),
            times=times,
        )

    def drop_next(
        self,
        method: str | None = None,
        *,
        chat_id: ChatRef | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> ScriptedFault:
        """Close the connection without answering; with after_processing the call takes
        effect first (the message is sent, but the bot never learns it)."""
        return self.faults.drop_next(
            method, chat_id=_ref_id(chat_id), times=times, after_processing=after_processing
        )

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Delay answers (real seconds) for one method, or all methods if None; the call itself
        takes effect before the delay."""
        self.faults.set_latency(seconds, method)


def _group_actor(group: Chat) -> User:
    for user_id, status in group.members.items():
        if status in ("creator", "administrator"):
            return group.users[user_id]
    if group.users:
        return next(iter(group.users.values()))
    raise ValueError("the group has no members to act")


def _ref_id(ref: ChatRef | None) -> int | None:
    return ref if ref is None or isinstance(ref, int) else ref.id
