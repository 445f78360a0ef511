"""Reading and checking Bot API parameters the way the real server does.

Telegram accepts every parameter as a string (query string, form field or multipart field) or as
a native JSON value, and answers a malformed one with a 400 whose wording the bot may log. The
checks here are the ones that make the stand-in strict: a call refused here is refused by
Telegram too.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any

from bot import telegram_html
from bot.telegram_html import Entity, ParsedText, TelegramHTMLError, utf16_len


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional `parameters`."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str, **parameters: Any) -> ApiError:
    return ApiError(400, f"Bad Request: {message}", parameters or None)


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


@dataclass(frozen=True)
class Upload:
    """A file that arrived as a multipart field."""

    field: str
    filename: str | None
    content_type: str | None
    content: bytes


_INT_RE = re.compile(r"-?[0-9]+")


class Params:
    """One call's parameters, typed on access like the Bot API server does."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def has(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, str):
            return value
        raise bad_request(f'field "{name}" must be of type String')

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value.strip())
        raise bad_request(f'field "{name}" must be of type Integer')

    def require_int(self, name: str, missing: str | None = None) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(missing or f"{name} is empty")
        return value

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Float') from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.lower() in {"true", "1"}:
            return True
        if isinstance(value, str) and value.lower() in {"false", "0"}:
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def get_json(self, name: str, what: str = "JSON object") -> Any:
        """A parameter that is JSON-serialized in form encodings and native in JSON bodies."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what}") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """An integer id, or an `@username` string."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool):
            raise bad_request("chat not found")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if _INT_RE.fullmatch(text):
            return int(text)
        if text.startswith("@") and len(text) > 1:
            return text
        raise bad_request("chat not found")

    def chat_id_hint(self) -> int | None:
        """The numeric chat id if present and readable, for matching scripted faults."""
        value = self.values.get("chat_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value.strip())
        return None

    def loggable(self) -> dict[str, Any]:
        """Parameters for the call log, with uploads summarized instead of copied."""
        logged = dict(self.values)
        for name, upload in self.uploads.items():
            logged[name] = f"<upload {upload.filename or name}, {len(upload.content)} bytes>"
        return logged


# --- text -----------------------------------------------------------------------------------


def callback_answer_text(params: Params) -> str | None:
    """answerCallbackQuery's notification text, at most 200 characters."""
    text = params.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    return text


def formatted_text(params: Params, text_field: str, *, caption: bool) -> ParsedText | None:
    """Parse `text`/`caption` with its parse_mode or explicit entities; None for no caption."""
    raw = params.get_str(text_field)
    entities_field = "caption_entities" if caption else "entities"
    if raw is None or raw == "":
        if caption:
            return None
        raise bad_request("message text is empty")
    parse_mode = (params.get_str("parse_mode") or "").strip()
    if parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            try:
                parsed = telegram_html.parse(raw)
            except TelegramHTMLError as exc:
                raise ApiError(400, str(exc)) from None
        elif mode in {"markdown", "markdownv2"}:
            raise bad_request(
                f"parse_mode {parse_mode} is not supported by the Bot API stand-in; use HTML"
            )
        else:
            raise bad_request(f'unsupported parse_mode "{parse_mode}"')
    else:
        explicit = params.get_json(entities_field, "entities")
        parsed = ParsedText(raw, _explicit_entities(explicit, raw))
    parsed = _strip(parsed)
    if not parsed.text:
        if caption:
            return None
        raise bad_request("message text is empty")
    limit = telegram_html.MAX_CAPTION if caption else telegram_html.MAX_TEXT
    if parsed.length > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return parsed


def _explicit_entities(value: Any, text: str) -> list[Entity]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("can't parse entities: entities must be an Array")
    total = utf16_len(text)
    entities: list[Entity] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise bad_request("can't parse entities: entity must be an Object with a type")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 1:
            raise bad_request("can't parse entities: wrong entity offset or length")
        if offset + length > total:
            continue  # Telegram silently clips entities past the end of the text
        entities.append(Entity(item["type"], offset, length, item.get("url")))
    return entities


def _strip(parsed: ParsedText) -> ParsedText:
    """Telegram trims surrounding whitespace and clips entities to what is left."""
    text = parsed.text
    stripped = text.strip()
    if stripped == text:
        return parsed
    if not stripped:
        return ParsedText("", [])
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    entities: list[Entity] = []
    for entity in parsed.entities:
        start = max(0, entity.offset - lead)
        stop = min(end, entity.offset + entity.length - lead)
        if stop > start:
            entities.append(Entity(entity.type, start, stop - start, entity.url))
    return ParsedText(stripped, entities)


# --- reply markup ---------------------------------------------------------------------------

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_KEYBOARD_REQUESTS = (
    "request_users",
    "request_chat",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
MAX_INLINE_BUTTONS = 100
MAX_ROW_BUTTONS = 8


@dataclass(frozen=True)
class ReplyMarkup:
    """A checked reply_markup: inline keyboards stay on the message, the rest on the chat."""

    kind: str  # "inline_keyboard", "keyboard", "remove_keyboard" or "force_reply"
    value: dict[str, Any]


def reply_markup(params: Params, *, allow_reply_keyboard: bool = True) -> ReplyMarkup | None:
    raw = params.get_json("reply_markup", "reply keyboard markup JSON object")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in raw:
        return ReplyMarkup("inline_keyboard", _inline_keyboard(raw["inline_keyboard"]))
    if not allow_reply_keyboard:
        raise bad_request("inline keyboard expected")
    if "keyboard" in raw:
        return ReplyMarkup("keyboard", _reply_keyboard(raw))
    if raw.get("remove_keyboard") is True:
        return ReplyMarkup("remove_keyboard", {"remove_keyboard": True})
    if raw.get("force_reply") is True:
        return ReplyMarkup("force_reply", dict(raw))
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_keyboard(rows: Any) -> dict[str, Any]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    count = 0
    clean_rows: list[list[dict[str, Any]]] = []
    for row in rows:
        if len(row) > MAX_ROW_BUTTONS:
            raise bad_request("too many buttons in a row of the inline keyboard")
        clean_row: list[dict[str, Any]] = []
        for button in row:
            clean_row.append(_inline_button(button))
            count += 1
        if clean_row:
            clean_rows.append(clean_row)
    if count > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    return {"inline_keyboard": clean_rows}


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in _INLINE_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"got {', '.join(actions)}"
        )
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str):
            raise bad_request("BUTTON_DATA_INVALID")
        try:
            telegram_html.check_callback_data(value)
        except TelegramHTMLError:
            raise bad_request("BUTTON_DATA_INVALID") from None
    elif (
        action == "url"
        and (not isinstance(value, str) or not re.match(r"(?i)(https?|tg)://\S+$", value))
    ) or (action == "web_app" and not web_app_url_ok(value)):
        raise bad_request("BUTTON_URL_INVALID")
    clean = {"text": text, action: value}
    return clean


def web_app_url_ok(value: object) -> bool:
    """A WebAppInfo: Telegram opens Mini Apps over HTTPS only. The stand-in also takes plain
    http on a loopback host, so the sandbox and tests can serve the app locally."""
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        return False
    return bool(
        re.match(r"(?i)https://\S+$", value["url"])
        or re.match(r"(?i)http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/\S*$", value["url"])
    )


def _reply_keyboard(raw: dict[str, Any]) -> dict[str, Any]:
    rows = raw["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    clean_rows: list[list[dict[str, Any]]] = []
    for row in rows:
        clean_row: list[dict[str, Any]] = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    "can't parse keyboard button: KeyboardButton must be a String or an Object"
                )
            if not button["text"].strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            requests = [name for name in _KEYBOARD_REQUESTS if button.get(name)]
            if len(requests) > 1:
                raise bad_request("can't parse keyboard button: only one request field is allowed")
            clean_row.append({k: v for k, v in button.items() if v is not None})
        if clean_row:
            clean_rows.append(clean_row)
    if not clean_rows:
        raise bad_request("keyboard must be non-empty")
    placeholder = raw.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
        raise bad_request("input field placeholder is too long")
    clean = {k: v for k, v in raw.items() if v is not None}
    clean["keyboard"] = clean_rows
    return clean


# --- files ----------------------------------------------------------------------------------

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF, JPEG or WebP image; None if it is not an image."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        return _jpeg_size(content)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return 512, 512  # dimensions not decoded; WebP photos are rare from bots
    return None


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(content):
        if content[i] != 0xFF:
            return None
        marker = content[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", content[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", content[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None
