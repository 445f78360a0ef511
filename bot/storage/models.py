"""Database tables. The database is the only source of truth: nothing that must survive a
restart lives in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.scheduling.timemath import ALL_DAYS as ALL_DAYS  # the masks stored in Chat.days
from bot.scheduling.timemath import WORKDAYS as WORKDAYS

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryKind(StrEnum):
    """What a delivery row sends. Stored as its string value."""

    REMINDER = "reminder"
    SNOOZE = "snooze"  # a reminder again, ten minutes after "later"
    SUMMARY = "summary"  # the weekly summary
    NUDGE = "nudge"  # the evening nudge


class DeliveryStatus(StrEnum):
    """Where a delivery row is. Reminders and snoozes: scheduled (a snooze waiting for due_at)
    -> pending (claimed by a worker, being sent; an orphan is retried by the next worker) ->
    sent, failed, blocked, expired or cancelled. Summaries and nudges: sending (claimed; never
    retried blindly, since it may have arrived) -> sent, failed or blocked."""

    SCHEDULED = "scheduled"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    # Written instead of a send (issue 19), so the slot still has its one row: the slot fell
    # in a meeting and could not move, or a break was done shortly before it.
    BUSY = "busy"
    DONE_BEFORE = "done_before"


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database.

    SQLite keeps no offset and hands values back naive; comparing those with the aware `now`
    the bot works with raises. Values are stored as UTC and always read back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Chat(Base):
    """A private chat or a group, with its preferences and its place in the schedule."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16), default="private")
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    # Local wall-clock times "HH:MM", sorted, 1 to 6 of them.
    times: Mapped[list[str]] = mapped_column(default=list)
    days: Mapped[int] = mapped_column(Integer, default=WORKDAYS)
    place: Mapped[str] = mapped_column(String(16), default="office")
    paused_until: Mapped[datetime | None] = mapped_column(default=None)
    # The subscriber wants reminders (False after /stop).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Telegram refuses to deliver (403 blocked, 400 chat not found); cleared by /start.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    onboarded: Mapped[bool] = mapped_column(Boolean, default=False)
    safety_shown: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    evening_nudge: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the next reminder is due, in UTC; NULL when nothing is scheduled.
    next_due_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    __table_args__ = (Index("ix_chats_next_due_at", "next_due_at"),)


def _slot_at(context: Any) -> Any:
    """due_at defaults to the slot itself (a reminder is due at its slot)."""
    return context.get_current_parameters()["slot_at"]


class Delivery(Base):
    """One reminder slot of one chat. Written before the send, unique per chat and slot, so a
    slot is never sent twice however often the bot restarts."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), index=True
    )
    slot_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16), default=DeliveryKind.REMINDER.value)
    routine_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # When to send: the slot itself for a reminder, ten minutes after the press for a snooze.
    due_at: Mapped[datetime] = mapped_column(default=_slot_at)
    # The worker (a "worker:<id>" key in the state table) that is sending a pending row; a
    # row whose worker stopped renewing its heartbeat is an orphan another worker may retry.
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (
        UniqueConstraint("chat_id", "slot_at", "kind", name="uq_deliveries_chat_slot_kind"),
        Index("ix_deliveries_status_due_at", "status", "due_at"),
    )


class Completion(Base):
    """A break that was done: from a reminder's Done button, guided mode or /exercise."""

    __tablename__ = "completions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    delivery_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("deliveries.id", ondelete="CASCADE"), default=None
    )
    exercise_id: Mapped[str | None] = mapped_column(String(64), default=None)
    source: Mapped[str] = mapped_column(String(16), default="reminder")
    completed_at: Mapped[datetime]
    # The member's first name when it was done in a group: the group reminder shows who moved
    # and the group's /stats counts per member without asking Telegram for every name.
    user_name: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (
        UniqueConstraint("delivery_id", "user_id", name="uq_completions_delivery_user"),
        Index("ix_completions_chat_completed", "chat_id", "completed_at"),
    )


class KeyValue(Base):
    """Small named state that must survive restarts (leader lease, broadcast progress)."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class DigestSchedule(Base):
    """When a chat's next weekly summary or evening nudge is due, one row per opted-in chat and
    kind. The periodic job reads only rows with due_at <= now through the index, so its cost
    follows the work due, not the number of subscribers."""

    __tablename__ = "digest_schedule"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "summary" or "nudge"
    due_at: Mapped[datetime]

    __table_args__ = (Index("ix_digest_schedule_due_at", "due_at"),)


class CalendarLink(Base):
    """A chat's connected calendar (issue 19). The secret iCal address is stored only
    encrypted (bot.calendar.secrets); the host is kept in clear for /calendar, /export and logs.
    """

    __tablename__ = "calendars"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    url_encrypted: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    # The last successful fetch; the busy intervals are as of then.
    last_ok_at: Mapped[datetime | None] = mapped_column(default=None)
    # Failed fetches in a row, and the last failure's code (bot.calendar.fetch.FetchErrorCode).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(32), default=None)
    # The last attempt, successful or not: the refresh job picks the stalest first.
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the user was told that the calendar keeps failing: they are told once per streak
    # of failures, and a success clears it.
    failure_notified_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (Index("ix_calendars_checked_at", "checked_at"),)


class BusyInterval(Base):
    """A busy block of a chat's calendar within the next two days: times only, never what the
    meeting is. Merged, so starts are unique per chat."""

    __tablename__ = "busy_intervals"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("calendars.chat_id", ondelete="CASCADE"), primary_key=True
    )
    start_at: Mapped[datetime] = mapped_column(primary_key=True)
    end_at: Mapped[datetime]


class AnimationFile(Base):
    """Telegram's file_id for an exercise animation this bot uploaded once (issue 18).

    A file_id is valid only for the bot that received it, and names one exact file: the key
    holds the bot's id and the file's content hash, so another bot or a re-rendered animation
    uploads again instead of sending a stale id. Not about any chat: /export and /delete skip
    it."""

    __tablename__ = "animation_files"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    exercise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
