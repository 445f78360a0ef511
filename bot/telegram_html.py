"""Telegram's HTML parse mode, checked the way the Bot API server checks it.

The bot validates its own texts with this before they leave (tests, `rekpauze check`), and the
Bot API stand-in refuses what the real server would refuse with the same module, so a message
that passes here is one Telegram accepts.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

# Tag name -> entity type. Attributes are checked separately.
_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_TAG_RE = re.compile(
    r"<(?P<close>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)"
    r"(?P<attrs>(?:\s+[a-zA-Z][a-zA-Z0-9-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)"
    r"\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_SPECIAL_RE = re.compile(r"[<>&]")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


class TelegramHTMLError(ValueError):
    """The text is not valid Telegram HTML; the message mirrors the Bot API's wording."""


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int  # in UTF-16 code units, as Telegram counts
    length: int
    url: str | None = None


@dataclass
class ParsedText:
    text: str
    entities: list[Entity] = field(default_factory=list)

    @property
    def length(self) -> int:
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity covers (its offset and length count UTF-16 units)."""
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


def _attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[name] = html.unescape(value)
    return attrs


def _byte_offset(text: str, index: int) -> int:
    """Byte offset of `index` in UTF-8, as Telegram reports it; only computed for errors."""
    return len(text[:index].encode())


def _check_attributes(name: str, attrs: dict[str, str], text: str, index: int) -> str | None:
    """Return the link URL for <a>, raise for attributes Telegram rejects."""
    if name == "a":
        href = attrs.get("href", "")
        if not href:
            raise TelegramHTMLError(
                'Bad Request: can\'t parse entities: tag "a" needs an href at byte offset '
                f"{_byte_offset(text, index)}"
            )
        return href
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise TelegramHTMLError(
            'Bad Request: can\'t parse entities: Tag "span" must have class "tg-spoiler" '
            f"at byte offset {_byte_offset(text, index)}"
        )
    if name == "tg-emoji" and "emoji-id" not in attrs:
        raise TelegramHTMLError(
            f'Bad Request: can\'t parse entities: tag "tg-emoji" needs emoji-id at byte offset '
            f"{_byte_offset(text, index)}"
        )
    return None


def parse(text: str) -> ParsedText:
    """Parse Telegram HTML into plain text and entities, or raise TelegramHTMLError."""
    out: list[str] = []
    out_len = 0  # UTF-16 units written so far
    stack: list[tuple[str, int, str | None]] = []
    entities: list[Entity] = []
    i = 0
    n = len(text)
    while i < n:
        special = _SPECIAL_RE.search(text, i)
        stop = special.start() if special else n
        if stop > i:  # a run of plain characters, taken in one step
            run = text[i:stop]
            out.append(run)
            out_len += utf16_len(run)
            i = stop
            continue
        ch = text[i]
        if ch == "<":
            match = _TAG_RE.match(text, i)
            if match is None:
                raise TelegramHTMLError(
                    "Bad Request: can't parse entities: Unexpected end of name token at byte "
                    f"offset {_byte_offset(text, i)}"
                )
            name = match.group("name").lower()
            if name not in _TAGS:
                raise TelegramHTMLError(
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte '
                    f"offset {_byte_offset(text, i)}"
                )
            if match.group("close"):
                if match.group("attrs").strip():
                    raise TelegramHTMLError(
                        "Bad Request: can't parse entities: Unclosed end tag at byte offset "
                        f"{_byte_offset(text, i)}"
                    )
                if not stack or stack[-1][0] != name:
                    expected = stack[-1][0] if stack else ""
                    raise TelegramHTMLError(
                        f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                        f'{_byte_offset(text, i)}, expected "</{expected}>", found "</{name}>"'
                    )
                open_name, start, url = stack.pop()
                if out_len > start:
                    entities.append(Entity(_TAGS[open_name], start, out_len - start, url))
            else:
                url = _check_attributes(name, _attributes(match.group("attrs")), text, i)
                stack.append((name, out_len, url))
            i = match.end()
            continue
        if ch == "&":
            match = _ENTITY_RE.match(text, i)
            if match is None:
                raise TelegramHTMLError(
                    "Bad Request: can't parse entities: Character '&' is reserved and must be "
                    f"escaped at byte offset {_byte_offset(text, i)}"
                )
            decoded = html.unescape(match.group(0))
            out.append(decoded)
            out_len += utf16_len(decoded)
            i = match.end()
            continue
        raise TelegramHTMLError(  # ch == ">"
            "Bad Request: can't parse entities: Character '>' is reserved and must be escaped "
            f"at byte offset {_byte_offset(text, i)}"
        )
    if stack:
        raise TelegramHTMLError(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e.offset, -e.length))
    return ParsedText("".join(out), entities)


def check_message(text: str, *, limit: int = MAX_TEXT) -> ParsedText:
    """Validate a message text (or caption, with limit=MAX_CAPTION) as Telegram would."""
    parsed = parse(text)
    if not parsed.text.strip():
        raise TelegramHTMLError("Bad Request: message text is empty")
    if parsed.length > limit:
        kind = "message is too long" if limit == MAX_TEXT else "message caption is too long"
        raise TelegramHTMLError(f"Bad Request: {kind}")
    return parsed


def check_callback_data(data: str) -> None:
    size = len(data.encode())
    if not 1 <= size <= MAX_CALLBACK_DATA:
        raise TelegramHTMLError("Bad Request: BUTTON_DATA_INVALID")
