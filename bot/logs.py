"""Logging set-up: one line per event, text or JSON, and never the bot token.

python-telegram-bot and httpx put the token in request URLs, so every formatted line passes
through a redactor, and httpx's per-request INFO lines are silenced as well. At DEBUG,
python-telegram-bot logs whole updates and Bot API parameters (message texts, names); a
filter replaces such arguments with a summary that keeps the ids and drops the content.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from telegram import TelegramObject, Update

_TOKEN_PATTERN = re.compile(r"[0-9]{4,20}:[A-Za-z0-9_-]{30,60}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[token]")
    return _TOKEN_PATTERN.sub("[token]", text)


def _chat_id(value: Mapping[str, Any]) -> object:
    chat = value.get("chat")
    return value.get("chat_id", chat.get("id") if isinstance(chat, Mapping) else None)


def summarise(value: object) -> object:
    """A log argument without user content: ids and shape only."""
    if isinstance(value, Update):
        chat = value.effective_chat
        return f"<update {value.update_id} chat {chat.id if chat else None}>"
    if isinstance(value, TelegramObject):
        return summarise(value.to_dict())
    if isinstance(value, Mapping):
        if "result" in value and "ok" in value:  # a raw Bot API answer
            return f"<api answer ok={value.get('ok')} {summarise(value['result'])}>"
        return f"<{len(value)} fields, chat {_chat_id(value)}>"
    if isinstance(value, list | tuple) and not all(isinstance(v, int) for v in value):
        return f"<{len(value)} items>"
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return value


class ContentFilter(logging.Filter):
    """Replaces structured arguments (updates, API parameters and answers) with summaries,
    so that no message text or name reaches a log line, whichever library logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(summarise(arg) for arg in record.args)
        elif isinstance(record.args, Mapping) and record.args:
            if "%(" in str(record.msg):
                record.args = {k: summarise(v) for k, v in record.args.items()}
            else:  # logging unpacks a lone mapping argument: log.debug("%s", params)
                record.args = (summarise(record.args),)
        return True


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str | None = None, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets).replace("\n", " | ")


class JsonFormatter(RedactingFormatter):
    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update(
            {k: v for k, v in vars(record).items() if k not in self._STANDARD and k[0] != "_"}
        )
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str, ensure_ascii=False), self.secrets)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter(secrets=secrets)
    else:
        formatter = RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", secrets=secrets
        )
    handler.setFormatter(formatter)
    handler.addFilter(ContentFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
