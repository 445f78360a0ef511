"""The stand-in's world: users, chats, messages and files, and their Bot API JSON shapes.

Tests and the terminal sandbox read these objects directly, so they keep what a reader needs:
the plain text and entities after parsing (readable without an HTML parser), the inline keyboard,
and whether the bot or a user sent the message.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bot.telegram_html import Entity

from .validation import entities_json

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

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class FileInfo:
    """An uploaded or referenced file; `content` is None for URLs and evicted uploads."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document"
    size: int
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    url: str | None = None


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

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = entities_json(self.entities)
        if self.photo is not None:
            data["photo"] = [_photo_size(size) for size in self.photo]
        if self.document is not None:
            data["document"] = _document(self.document)
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = entities_json(self.caption_entities)
        if self.location is not None:
            data["location"] = {"latitude": self.location[0], "longitude": self.location[1]}
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.service:
            data.update(self.service)
        return data

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.sender.id}"
        return (
            f"<StoredMessage {self.chat.id}/{self.message_id} from {who}: "
            f"{self.content[:60]!r} buttons={self.button_labels}>"
        )


def _photo_size(size: FileInfo) -> dict[str, Any]:
    return {
        "file_id": size.file_id,
        "file_unique_id": size.file_unique_id,
        "width": size.width,
        "height": size.height,
        "file_size": size.size,
    }


def _document(doc: FileInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file_id": doc.file_id,
        "file_unique_id": doc.file_unique_id,
        "file_size": doc.size,
    }
    if doc.file_name:
        data["file_name"] = doc.file_name
    if doc.mime_type:
        data["mime_type"] = doc.mime_type
    return data


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
    last_action: str | None = None
    next_message_id: int = 1
    messages: OrderedDict[int, StoredMessage] = field(default_factory=OrderedDict)

    @property
    def is_group(self) -> bool:
        return self.type in (GROUP, SUPERGROUP)

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == PRIVATE and self.user is not None:
            data.update(
                {
                    k: v
                    for k, v in self.user.to_api().items()
                    if k in ("first_name", "last_name", "username")
                }
            )
        else:
            data["title"] = self.title or ""
            if self.username:
                data["username"] = self.username
        return data

    def full_info(self) -> dict[str, Any]:
        """ChatFullInfo as getChat returns it, with the fields PTB requires."""
        data = self.to_api()
        data.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        if self.is_group:
            data["permissions"] = {"can_send_messages": True}
        return data

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

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def description(self) -> str | None:
        return None if self.response is None else self.response.get("description")


def member_json(user: User, status: str) -> dict[str, Any]:
    """A ChatMember object of the right subtype for `status`."""
    data: dict[str, Any] = {"status": status, "user": user.to_api()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        )
    elif status == "kicked":
        data["until_date"] = 0
    return data
