"""In-process stand-ins for tests that drive the real Application without a network.

`RecordingRequest` answers in-process and keeps no world (any chat exists, any message can be
edited), but what it refuses and how it answers come from the Bot API stand-in: its checks
(bot/sandbox/validation.py) and its python-telegram-bot objects (bot/sandbox/state.py)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.sandbox.driver import user_entities
from bot.sandbox.files import FileStore
from bot.sandbox.methods.messages import file_fields
from bot.sandbox.state import (
    GROUP,
    PRIVATE,
    Chat,
    StoredMessage,
    User,
    member_json,
    message_entities,
)
from bot.sandbox.validation import (
    ApiError,
    Params,
    Upload,
    callback_answer_text,
    formatted_text,
    reply_markup,
)

BOT = User(777000111, "Rekpauze", username="rekpauze_bot", is_bot=True)
BOT_USER = BOT.to_telegram(
    can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=False
).to_dict()
TOKEN = "123456789:AAHfakefakefakefakefakefakefakefake"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    # Uploaded files by field name: (file name, content) -- sendDocument, sendPhoto.
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    failed: bool = False


@dataclass
class Scripted:
    """An error answer the fake gives instead of its normal one (see RecordingRequest.fail)."""

    method: str
    code: int = 0
    description: str = ""
    chat_id: int | None = None
    parameters: dict[str, Any] | None = None
    exception: BaseException | None = None


@dataclass
class RecordingRequest(BaseRequest):
    """A BaseRequest that answers like the Bot API, checks what the real one would refuse,
    and records every call (the approach of python-telegram-bot's own test suite)."""

    calls: list[Call] = field(default_factory=list)
    # Calls answered with an error, as the real Bot API would have refused them.
    refused: list[tuple[Call, str]] = field(default_factory=list)
    now: int = 1_700_000_000
    script: list[Scripted] = field(default_factory=list)
    # getChatMember: (chat id, user id) -> status; anyone else has `default_member_status`
    # ("administrator", so tests that are not about permissions may change group settings).
    member_status: dict[tuple[int, int], str] = field(default_factory=dict)
    default_member_status: str = "administrator"
    # getChatMemberCount: chat id -> count (the bot included); `default_member_count` else.
    member_counts: dict[int, int] = field(default_factory=dict)
    default_member_count: int = 3
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _files: FileStore = field(default_factory=lambda: FileStore(16 * 1024 * 1024))

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    def fail(
        self,
        method: str,
        code: int = 0,
        description: str = "",
        *,
        chat_id: int | None = None,
        parameters: dict[str, Any] | None = None,
        exception: BaseException | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching calls with an error (or raise `exception`, as a
        broken connection would) instead of succeeding."""
        for _ in range(times):
            self.script.append(Scripted(method, code, description, chat_id, parameters, exception))

    def delivered(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls that succeeded."""
        return [
            c.params
            for c in self.calls
            if c.method == "sendMessage"
            and not c.failed
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def _scripted(self, method: str, params: dict[str, Any]) -> Scripted | None:
        for index, scripted in enumerate(self.script):
            chat = params.get("chat_id")
            if scripted.method == method and (
                scripted.chat_id is None or (chat is not None and int(chat) == scripted.chat_id)
            ):
                return self.script.pop(index)
        return None

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def photos(self, chat_id: int | None = None) -> list[tuple[bytes, str | None]]:
        """(image bytes, caption) of every uploaded sendPhoto, in order."""
        return [
            (c.files["photo"][1], c.params.get("caption"))
            for c in self.calls
            if c.method == "sendPhoto"
            and "photo" in c.files
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [
            str(p["text"]) for p in self.sent() if chat_id is None or int(p["chat_id"]) == chat_id
        ]

    def _error(self, code: int, description: str) -> tuple[int, bytes]:
        return code, json.dumps(ApiError(code, description).to_json()).encode()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                files[name] = (str(value[0]), bytes(value[1]))
        call = Call(api_method, params, files)
        self.calls.append(call)
        scripted = self._scripted(api_method, params)
        if scripted is not None:
            call.failed = True
            if scripted.exception is not None:
                raise scripted.exception
            body: dict[str, Any] = {
                "ok": False,
                "error_code": scripted.code,
                "description": scripted.description,
            }
            if scripted.parameters:
                body["parameters"] = scripted.parameters
            return scripted.code, json.dumps(body).encode()
        try:
            result = self._answer(api_method, Params(params, _uploads(request_data)))
        except ApiError as exc:
            self.refused.append((call, exc.description))
            return self._error(exc.status, exc.description)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, method: str, params: Params) -> Any:
        """The stand-in's checks and answer shapes, without its world."""
        if method == "getMe":
            return BOT_USER
        if method.startswith("send"):
            params.get_bool("allow_paid_broadcast")  # a Boolean when given, as the stand-in
        if method in ("sendMessage", "editMessageText"):
            text = formatted_text(params, "text", caption=False)
            assert text is not None
            markup = reply_markup(params, allow_reply_keyboard=method == "sendMessage")
            return self._message(params, markup, text=text.text, entities=text.entities)
        if method in ("sendPhoto", "sendDocument", "sendAnimation"):
            caption = formatted_text(params, "caption", caption=True)
            markup = reply_markup(params)
            kind = {"sendPhoto": "photo", "sendAnimation": "animation"}.get(method, "document")
            files = self._files.input_file(params, kind, kind)
            return self._message(
                params,
                markup,
                caption=caption.text if caption else None,
                caption_entities=caption.entities if caption else [],
                **file_fields(kind, files),
            )
        if method == "editMessageReplyMarkup":
            return self._message(params, reply_markup(params, allow_reply_keyboard=False))
        if method == "answerCallbackQuery":
            callback_answer_text(params)
        elif method == "getChatMember":
            key = (params.require_int("chat_id"), params.require_int("user_id"))
            return member(key[1], self.member_status.get(key, self.default_member_status))
        elif method == "getChatMemberCount":
            chat_id = params.require_int("chat_id")
            return self.member_counts.get(chat_id, self.default_member_count)
        return True

    def _message(self, params: Params, markup: Any, **content: Any) -> dict[str, Any]:
        chat_id = params.require_int("chat_id")
        if chat_id < 0:
            chat = Chat(chat_id, GROUP, title="Team")
        else:
            chat = Chat(chat_id, PRIVATE, user=User(chat_id, f"User {chat_id}"))
        inline = markup.value if markup is not None and markup.kind == "inline_keyboard" else None
        message = StoredMessage(
            message_id=params.get_int("message_id") or next(self._ids),
            chat=chat,
            sender=BOT,
            date=self.now,
            seq=0,
            from_bot=True,
            reply_markup=inline or None,
            **content,
        )
        return message.to_api()


def _uploads(request_data: RequestData | None) -> dict[str, Upload]:
    if request_data is None or not request_data.contains_files:
        return {}
    uploads = {}
    for name, (filename, content, *mime) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        uploads[name] = Upload(name, filename, mime[0] if mime else None, data)
    return uploads


def member(user_id: int, status: str) -> dict[str, Any]:
    """A ChatMember object as getChatMember returns it (the stand-in's own builder)."""
    return member_json(User(id=user_id, first_name=f"User {user_id}"), status)


_update_ids = itertools.count(1)


def user_dict(user_id: int = 1001, first_name: str = "Anke", language_code: str = "nl") -> dict:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def _sender(user: dict | None, chat: dict | None) -> tuple[dict, dict]:
    """The user (a default one) and their chat (their private chat unless given)."""
    user = user or user_dict()
    return user, chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def message_update(
    bot: Any,
    text: str,
    *,
    user: dict | None = None,
    chat: dict | None = None,
    now: int = 1_700_000_000,
) -> Update:
    """A text message update, with the bot_command and mention entities Telegram's clients
    attach (a command entity ends at the first character that cannot be part of it)."""
    user, chat = _sender(user, chat)
    message: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": now,
        "chat": chat,
        "from": user,
        "text": text,
    }
    if entities := user_entities(text):
        message["entities"] = [e.to_dict() for e in message_entities(entities)]
    return Update.de_json({"update_id": next(_update_ids), "message": message}, bot)


def callback_update(
    bot: Any,
    data: str,
    *,
    user: dict | None = None,
    chat: dict | None = None,
    message_id: int = 1,
    message_text: str = "…",
    now: int = 1_700_000_000,
) -> Update:
    """A button press on one of the bot's messages, as Telegram sends it."""
    user, chat = _sender(user, chat)
    message = {
        "message_id": message_id,
        "date": now,
        "chat": chat,
        "from": BOT_USER,
        "text": message_text,
    }
    query = {
        "id": str(next(_update_ids)),
        "from": user,
        "chat_instance": str(chat["id"]),
        "message": message,
        "data": data,
    }
    return Update.de_json({"update_id": next(_update_ids), "callback_query": query}, bot)


def location_update(
    bot: Any,
    latitude: float,
    longitude: float,
    *,
    user: dict | None = None,
    chat: dict | None = None,
    now: int = 1_700_000_000,
) -> Update:
    """A shared location message."""
    user, chat = _sender(user, chat)
    message = {
        "message_id": next(_update_ids),
        "date": now,
        "chat": chat,
        "from": user,
        "location": {"latitude": latitude, "longitude": longitude},
    }
    return Update.de_json({"update_id": next(_update_ids), "message": message}, bot)
