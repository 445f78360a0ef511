"""What the bot sends and edits: sendMessage, sendPhoto, sendDocument, sendAnimation,
editMessageText and editMessageReplyMarkup, with the checks Telegram makes
(bot/sandbox/validation.py) and flood control."""

from __future__ import annotations

from typing import Any

from ..files import FileStore
from ..state import BotEvent, Chat, FileInfo, StoredMessage
from ..transport import MethodTable
from ..validation import Params, ReplyMarkup, bad_request, formatted_text, reply_markup
from ..world import World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class MessageMethods:
    def __init__(self, world: World, files: FileStore) -> None:
        self.world = world
        self.files = files

    def register(self, table: MethodTable) -> None:
        table.add("sendMessage", self.send_message)
        table.add("sendPhoto", self.send_photo)
        table.add("sendDocument", self.send_document)
        table.add("sendAnimation", self.send_animation)
        table.add("editMessageText", self.edit_message_text)
        table.add("editMessageReplyMarkup", self.edit_message_reply_markup)
        table.add("deleteMessage", self.delete_message)

    async def send_message(self, params: Params) -> dict[str, Any]:
        world = self.world
        chat = world.writable_chat(params)
        parsed = formatted_text(params, "text", caption=False)
        assert parsed is not None
        markup = reply_markup(params)
        reply_to = self._reply_target(chat, params)
        world.check_flood(chat, edit=False, paid=params.get_bool("allow_paid_broadcast"))
        message = world.new_message(
            chat,
            world.bot,
            text=parsed.text,
            entities=parsed.entities,
            source=params.get_str("text"),
            reply_markup=_apply_markup(chat, markup),
            reply_to=reply_to,
        )
        return message.to_api()

    async def send_photo(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def send_document(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def send_animation(self, params: Params) -> dict[str, Any]:
        """An upload or a file_id of an earlier animation; Telegram fills `document` too."""
        return await self._send_file(params, "animation")

    async def _send_file(self, params: Params, kind: str) -> dict[str, Any]:
        world = self.world
        chat = world.writable_chat(params)
        caption = formatted_text(params, "caption", caption=True)
        markup = reply_markup(params)
        reply_to = self._reply_target(chat, params)
        files = self.files.input_file(params, kind, kind)
        world.check_flood(chat, edit=False, paid=params.get_bool("allow_paid_broadcast"))
        fields = file_fields(kind, files)
        message = world.new_message(
            chat,
            world.bot,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            source=params.get_str("caption") if caption else None,
            reply_markup=_apply_markup(chat, markup),
            reply_to=reply_to,
            **fields,
        )
        return message.to_api()

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        chat, message = self._editable(params)
        parsed = formatted_text(params, "text", caption=False)
        assert parsed is not None
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        markup = _apply_markup(chat, reply_markup(params, allow_reply_keyboard=False))
        if (parsed.text, parsed.entities, markup) == (
            message.text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        self.world.check_flood(chat, edit=True)
        message.text, message.entities = parsed.text, parsed.entities
        message.source = params.get_str("text")
        message.reply_markup = markup
        return self._finish_edit(chat, message)

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat, message = self._editable(params)
        markup = _apply_markup(chat, reply_markup(params, allow_reply_keyboard=False))
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self.world.check_flood(chat, edit=True)
        message.reply_markup = markup
        return self._finish_edit(chat, message)

    async def delete_message(self, params: Params) -> bool:
        """In a private chat the bot may delete any message (Telegram also limits it to 48
        hours, not modelled); in a group only its own (admin rights are not modelled)."""
        chat = self.world.writable_chat(params)
        message_id = params.require_int("message_id", "message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to delete not found")
        if chat.type != "private" and not message.from_bot:
            raise bad_request("message can't be deleted")
        del chat.messages[message_id]
        return True

    def _editable(self, params: Params) -> tuple[Chat, StoredMessage]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not modelled
        chat = self.world.writable_chat(params)
        message_id = params.require_int("message_id", "message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot or message.service:
            raise bad_request("message can't be edited")
        return chat, message

    def _finish_edit(self, chat: Chat, message: StoredMessage) -> dict[str, Any]:
        message.edit_date = int(self.world.clock())
        self.world.changed(BotEvent("edit", chat, message))
        return message.to_api()

    def _reply_target(self, chat: Chat, params: Params) -> StoredMessage | None:
        reply = params.get_json("reply_parameters", "reply parameters JSON object")
        if reply is not None:
            if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            message_id: int | None = reply["message_id"]
            allow = bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat.id):
                chat = self.world.lookup_chat(reply["chat_id"])
        else:
            message_id = params.get_int("reply_to_message_id")
            allow = params.get_bool("allow_sending_without_reply")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None and not allow:
            raise bad_request("message to be replied not found")
        return target


def _apply_markup(chat: Chat, markup: ReplyMarkup | None) -> dict[str, Any] | None:
    """Inline keyboards go on the message; reply keyboards change the chat's keyboard."""
    if markup is None:
        return None
    if markup.kind == "inline_keyboard":
        return markup.value if markup.value["inline_keyboard"] else None
    if markup.kind == "keyboard":
        chat.reply_keyboard = markup.value
    elif markup.kind == "remove_keyboard":
        chat.reply_keyboard = None
    return None


def file_fields(kind: str, files: list[FileInfo]) -> dict[str, Any]:
    """The message fields for a sent file: sizes of a photo, or the document (and, for an
    animation Telegram recognised, the animation as well)."""
    if kind == "photo":
        return {"photo": files}
    if files[0].kind == "animation":
        return {"animation": files[0], "document": files[0]}
    return {"document": files[0]}
