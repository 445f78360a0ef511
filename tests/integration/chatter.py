"""A scripted person talking to the in-process Application: send text, press buttons, read
what came back (new messages and edits), in the order the bot produced them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.fakes import (
    Call,
    RecordingRequest,
    callback_update,
    location_update,
    message_update,
    user_dict,
)

TEXT_METHODS = ("sendMessage", "editMessageText")


def buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button in a call's reply_markup."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [
        (b["text"], b.get("callback_data", ""))
        for row in (markup or {}).get("inline_keyboard", [])
        for b in row
    ]


@dataclass
class Chatter:
    app: Any
    request: RecordingRequest
    user_id: int = 1001
    first_name: str = "Anke"
    language_code: str = "nl"
    chat: dict[str, Any] | None = None
    seen: int = 0

    @property
    def user(self) -> dict[str, Any]:
        return user_dict(self.user_id, self.first_name, self.language_code)

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"]) if self.chat else self.user_id

    def _new_calls(self) -> list[Call]:
        calls = self.request.calls[self.seen :]
        self.seen = len(self.request.calls)
        return calls

    async def send(self, text: str) -> list[Call]:
        self.seen = len(self.request.calls)
        update = message_update(self.app.bot, text, user=self.user, chat=self.chat)
        await self.app.process_update(update)
        return self._new_calls()

    async def share_location(self, latitude: float, longitude: float) -> list[Call]:
        self.seen = len(self.request.calls)
        update = location_update(self.app.bot, latitude, longitude, user=self.user, chat=self.chat)
        await self.app.process_update(update)
        return self._new_calls()

    async def press(self, data: str, message_id: int = 1) -> list[Call]:
        self.seen = len(self.request.calls)
        update = callback_update(
            self.app.bot, data, user=self.user, chat=self.chat, message_id=message_id
        )
        await self.app.process_update(update)
        return self._new_calls()

    async def press_button(self, calls: list[Call], label_part: str) -> list[Call]:
        """Press the first button whose label contains `label_part` in the last call that
        has buttons."""
        for call in reversed(calls):
            for label, data in buttons(call.params):
                if label_part in label:
                    message_id = int(call.params.get("message_id") or 1)
                    return await self.press(data, message_id)
        raise AssertionError(f"no button {label_part!r} in {[buttons(c.params) for c in calls]}")


def texts(calls: list[Call]) -> list[str]:
    """What the person reads: message texts and edits, and the captions of animations."""
    return [
        str(c.params["text"] if c.method in TEXT_METHODS else c.params.get("caption", ""))
        for c in calls
        if c.method in TEXT_METHODS or c.method == "sendAnimation"
    ]


def animations(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendAnimation"]


def answers(calls: list[Call]) -> list[str]:
    return [str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery"]


def all_buttons(calls: list[Call]) -> list[tuple[str, str]]:
    return [b for c in calls for b in buttons(c.params)]
