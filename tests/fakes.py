"""In-process stand-ins for tests that drive the real Application without a network."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot import telegram_html

BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "Rekpauze",
    "username": "rekpauze_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TOKEN = "123456789:AAHfakefakefakefakefakefakefakefake"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    # Uploaded files (multipart parts) by field name, e.g. {"photo": b"\x89PNG..."}.
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class RecordingRequest(BaseRequest):
    """A BaseRequest that answers like the Bot API, checks what the real one would refuse,
    and records every call (the approach of python-telegram-bot's own test suite)."""

    calls: list[Call] = field(default_factory=list)
    now: int = 1_700_000_000
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def photos(self, chat_id: int | None = None) -> list[tuple[bytes, str | None]]:
        """(image bytes, caption) of every uploaded sendPhoto, in order."""
        return [
            (c.files["photo"], c.params.get("caption"))
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
        body = {"ok": False, "error_code": code, "description": description}
        return code, json.dumps(body).encode()

    def _check(self, params: dict[str, Any], key: str, limit: int) -> None:
        if params.get("parse_mode") == "HTML" and key in params:
            telegram_html.check_message(str(params[key]), limit=limit)
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    telegram_html.check_callback_data(button["callback_data"])

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
        files: dict[str, bytes] = {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1]
                files[name] = content if isinstance(content, bytes) else content.read()
        self.calls.append(Call(api_method, params, files))
        result: Any = True
        try:
            if api_method == "getMe":
                result = BOT_USER
            elif api_method in ("sendMessage", "editMessageText"):
                self._check(params, "text", telegram_html.MAX_TEXT)
                result = self._message(params)
            elif api_method in ("sendPhoto", "sendDocument"):
                self._check(params, "caption", telegram_html.MAX_CAPTION)
                result = self._message(params)
            elif api_method == "editMessageReplyMarkup":
                self._check(params, "none", 0)
                result = self._message(params)
        except telegram_html.TelegramHTMLError as exc:
            return self._error(400, str(exc))
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = params.get("message_id") or next(self._ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": self.now,
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
            "from": BOT_USER,
        }
        if "text" in params:
            message["text"] = telegram_html.parse(str(params["text"])).text
        if "reply_markup" in params:
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return message


_update_ids = itertools.count(1)


def user_dict(user_id: int = 1001, first_name: str = "Anke", language_code: str = "nl") -> dict:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def message_update(
    bot: Any,
    text: str,
    *,
    user: dict | None = None,
    chat: dict | None = None,
    now: int = 1_700_000_000,
) -> Update:
    """A text message update; a leading /command gets its bot_command entity like Telegram's."""
    user = user or user_dict()
    chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": now,
        "chat": chat,
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return Update.de_json({"update_id": next(_update_ids), "message": message}, bot)
