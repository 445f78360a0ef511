"""The stand-in's world: users, chats, messages and files, and their Bot API shapes.

Tests and the terminal sandbox read these objects directly, so they keep what a reader needs:
the plain text and entities after parsing (readable without an HTML parser), the inline keyboard,
and whether the bot or a user sent the message. What goes over the wire is built from
python-telegram-bot's own classes (`to_telegram()`), so the answers follow the real schema.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import telegram

from bot.telegram_html import Entity

PRIVATE = "private"
GROUP = "group"
SUPERGROUP = "supergroup"


@dataclass(eq=False)
class User:
    """A Telegram account the test plays; also used for the bot's own account."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = False
    """Whether the user has ever written to the bot; bots can't start private chats."""
    blocked_bot: bool = False
    deactivated: bool = False

    def to_telegram(self, **extra: Any) -> telegram.User:
        """`extra`: getMe's bot-only fields."""
        return telegram.User(
            self.id,
            self.first_name,
            self.is_bot,
            last_name=self.last_name or None,
            username=self.username or None,
            language_code=None if self.is_bot else self.language_code or None,
            **extra,
        )


@dataclass(frozen=True)
class FileInfo:
    """An uploaded or referenced file; `content` is None for URLs and evicted uploads."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo", "document" or "animation"
    size: int
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    url: str | None = None
    duration: int = 0


@dataclass(eq=False)
class StoredMessage:
    """A message in a chat as it is now (after edits), sent by the bot or by a played user."""

    message_id: int
    chat: Chat
    sender: User
    date: int
    seq: int
    """Global order of creation across all chats."""
    from_bot: bool
    text: str | None = None
    entities: list[Entity] = field(default_factory=list)
    source: str | None = None
    """The text or caption exactly as the bot sent it (HTML source when parse_mode was HTML)."""
    caption: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    photo: list[FileInfo] | None = None
    document: FileInfo | None = None
    animation: FileInfo | None = None
    """An MP4 or GIF sent with sendAnimation (Telegram also fills `document` for it)."""
    location: tuple[float, float] | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to: StoredMessage | None = None
    edit_date: int | None = None
    service: dict[str, Any] | None = None
    """Service fields such as new_chat_members or migrate_to_chat_id."""
    consumed: bool = False
    """Set once wait_for_message has handed this message to a test."""

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard rows, empty if there is none."""
        if not self.reply_markup:
            return []
        rows: list[list[dict[str, Any]]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def button_labels(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def find_button(self, label_or_data: str) -> dict[str, Any]:
        """The button whose text, or else whose callback_data, equals the argument."""
        flat = [button for row in self.buttons for button in row]
        for button in flat:
            if button["text"] == label_or_data:
                return button
        for button in flat:
            if button.get("callback_data") == label_or_data:
                return button
        raise LookupError(
            f"message {self.message_id} has no button {label_or_data!r}; buttons: "
            f"{self.button_labels}"
        )

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ('' for none)."""
        return self.text if self.text is not None else (self.caption or "")

    def to_telegram(self, *, with_reply: bool = True) -> telegram.Message:
        service = self.service or {}
        return telegram.Message(
            self.message_id,
            timestamp(self.date),
            self.chat.to_telegram(),
            from_user=self.sender.to_telegram(),
            edit_date=None if self.edit_date is None else timestamp(self.edit_date),
            reply_to_message=(
                self.reply_to.to_telegram(with_reply=False)
                if with_reply and self.reply_to is not None
                else None
            ),
            text=self.text,
            entities=message_entities(self.entities) if self.text is not None else None,
            photo=None if self.photo is None else [_photo_size(size) for size in self.photo],
            document=None if self.document is None else _document(self.document),
            animation=None if self.animation is None else _animation(self.animation),
            caption=self.caption,
            caption_entities=message_entities(self.caption_entities) if self.caption else None,
            location=(
                None
                if self.location is None
                else telegram.Location(longitude=self.location[1], latitude=self.location[0])
            ),
            reply_markup=(
                telegram.InlineKeyboardMarkup.de_json(self.reply_markup, None)
                if self.reply_markup
                else None
            ),
            new_chat_members=[user.to_telegram() for user in service.get("new_chat_members", ())]
            or None,
            migrate_to_chat_id=service.get("migrate_to_chat_id"),
            migrate_from_chat_id=service.get("migrate_from_chat_id"),
        )

    def to_api(self) -> dict[str, Any]:
        return self.to_telegram().to_dict()

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.sender.id}"
        return (
            f"<StoredMessage {self.chat.id}/{self.message_id} from {who}: "
            f"{self.content[:60]!r} buttons={self.button_labels}>"
        )


def timestamp(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def message_entities(entities: list[Entity]) -> list[telegram.MessageEntity]:
    return [telegram.MessageEntity(e.type, e.offset, e.length, url=e.url) for e in entities]


def _photo_size(size: FileInfo) -> telegram.PhotoSize:
    return telegram.PhotoSize(
        size.file_id, size.file_unique_id, size.width, size.height, file_size=size.size
    )


def _animation(clip: FileInfo) -> telegram.Animation:
    return telegram.Animation(
        clip.file_id,
        clip.file_unique_id,
        clip.width,
        clip.height,
        clip.duration,
        file_name=clip.file_name or None,
        mime_type=clip.mime_type or None,
        file_size=clip.size,
    )


def _document(doc: FileInfo) -> telegram.Document:
    return telegram.Document(
        doc.file_id,
        doc.file_unique_id,
        file_name=doc.file_name or None,
        mime_type=doc.mime_type or None,
        file_size=doc.size,
    )


@dataclass(eq=False)
class Chat:
    """A private chat, group or supergroup, with the bot's standing in it and its messages."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: User | None = None
    """The other party of a private chat."""
    members: dict[int, str] = field(default_factory=dict)
    """user id -> status ("creator", "administrator", "member") for groups."""
    users: dict[int, User] = field(default_factory=dict)
    bot_status: str = "member"
    """"member", "administrator", "left" or "kicked"."""
    migrated_to: int | None = None
    migrated_from: int | None = None
    deleted: bool = False
    reply_keyboard: dict[str, Any] | None = None
    """The reply keyboard the bot last showed here (sandbox renders it)."""
    next_message_id: int = 1
    messages: OrderedDict[int, StoredMessage] = field(default_factory=OrderedDict)

    @property
    def is_group(self) -> bool:
        return self.type in (GROUP, SUPERGROUP)

    def to_telegram(self) -> telegram.Chat:
        if self.type == PRIVATE and self.user is not None:
            user = self.user
            return telegram.Chat(
                self.id,
                self.type,
                first_name=user.first_name,
                last_name=user.last_name or None,
                username=user.username or None,
            )
        return telegram.Chat(self.id, self.type, title=self.title or "", username=self.username)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def store(self, message: StoredMessage, cap: int) -> None:
        """Keep the newest `cap` messages; older ones behave as deleted."""
        self.messages[message.message_id] = message
        while len(self.messages) > cap:
            self.messages.popitem(last=False)


@dataclass
class CallbackQueryRecord:
    """A button press and what the bot answered to it."""

    id: str
    user: User
    message: StoredMessage
    data: str | None
    created: float
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False
    answer_url: str | None = None


@dataclass
class ApiCall:
    """One request the bot made and the answer it got (None if the connection was dropped)."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any] | None
    time: float
    chat_id: int | None = None
    fault: bool = False
    """The answer was scripted by fault injection, not produced by the method."""
    uploads: tuple[str, ...] = ()
    """The multipart file fields of the request: a file was uploaded, not named by file_id."""

    @property
    def uploaded(self) -> bool:
        return bool(self.uploads)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def description(self) -> str | None:
        return None if self.response is None else self.response.get("description")


def chat_member(user: User, status: str) -> telegram.ChatMember:
    """A ChatMember of the right subtype for `status`."""
    who = user.to_telegram()
    if status == "creator":
        return telegram.ChatMemberOwner(who, is_anonymous=False)
    if status == "administrator":
        return telegram.ChatMemberAdministrator(
            who,
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_pin_messages=True,
        )
    if status == "kicked":
        return telegram.ChatMemberBanned(who, until_date=timestamp(0))
    if status == "left":
        return telegram.ChatMemberLeft(who)
    return telegram.ChatMemberMember(who)


def member_json(user: User, status: str) -> dict[str, Any]:
    return chat_member(user, status).to_dict()


@dataclass
class ServerStats:
    """Counters a test or benchmark asserts on."""

    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    errors_by_status: Counter[int] = field(default_factory=Counter)
    messages_sent: int = 0
    paid_broadcasts: int = 0
    """Sends accepted with `allow_paid_broadcast` (flood control let them past the free rate)."""
    too_many_requests: int = 0
    """429 answers from flood control (scripted 429s are counted in `scripted_faults`)."""
    too_many_requests_by_chat: Counter[int] = field(default_factory=Counter)
    scripted_faults: int = 0
    dropped_connections: int = 0
    in_flight: Counter[str] = field(default_factory=Counter)
    """Requests received and not yet answered, by method, right now. With `set_latency` a
    call takes effect before its late answer, so these are the sends a bot killed now would
    not know the outcome of (a kill -9 test's bound on repeats)."""


@dataclass(frozen=True)
class BotEvent:
    """Something the bot did that a watcher (the terminal sandbox) may want to show at once.

    kind: "message" (sent), "edit" or "callback_answer" (detail = CallbackQueryRecord).
    """

    kind: str
    chat: Chat
    message: StoredMessage | None = None
    detail: Any = None
