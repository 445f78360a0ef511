"""What the bot sends on its own initiative, as plain data: the message, its buttons, the
retry budget, and what came of it. Services and the scheduler build these without importing
Telegram; bot.outbox turns them into Bot API calls and Telegram's answers into an `Outcome`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class Button:
    """An inline button; `data` is the callback data (ASCII, at most 64 bytes)."""

    text: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(*rows: tuple[Button, ...] | list[Button]) -> Keyboard:
    """Rows of buttons, empty rows left out."""
    return tuple(tuple(row) for row in rows if row)


@dataclass(frozen=True)
class Outgoing:
    """One message to send (or, with `edit_message_id`, an existing one to edit). With
    `photo`, `text` is the caption. `paid_broadcast` sends it with `allow_paid_broadcast`
    (past the free rate, for Stars): only a late reminder (bot.scheduling.paid) sets it."""

    chat_id: int
    text: str
    keyboard: Keyboard | None = None
    photo: bytes | None = None
    edit_message_id: int | None = None
    paid_broadcast: bool = False


@dataclass
class SendPolicy:
    """Per-call retry budget, passed as `rate_limit_args=`; `attempts` is filled in.

    `on_wire` is True while a request is with Telegram (its outcome unknown until answered):
    a caller that stops may cancel a send that is waiting for its turn or a retry, which
    has not reached Telegram, but must wait for one on the wire or risk sending it twice."""

    budget_seconds: float
    attempts: int = 0
    on_wire: bool = False


class Result(StrEnum):
    SENT = "sent"  # delivered (or, for an edit, the message already says exactly this)
    RETRY = "retry"  # refused before delivery (flood control, connection): safe to try later
    BLOCKED = "blocked"  # the chat cannot be reached: marked unreachable until /start
    FAILED = "failed"  # refused, or uncertain (a timeout may have delivered it): not retried


@dataclass(frozen=True)
class Outcome:
    result: Result
    chat_id: int  # where it went: after a group became a supergroup, the new id
    attempts: int = 1
    message_id: int | None = None
    error: str | None = None
    reason: str = "other"  # a metrics.FAILURE_REASONS label when not sent
    retry_after: float | None = None  # seconds Telegram asked to wait (flood control)

    @property
    def sent(self) -> bool:
        return self.result is Result.SENT


class Sender(Protocol):
    """The one send path (bot.outbox.Outbox), as services and the scheduler see it."""

    async def deliver(self, message: Outgoing, policy: SendPolicy | None = None) -> Outcome: ...
