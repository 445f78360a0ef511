"""Prometheus metrics, served at /metrics by bot/web.py.

One registry for the process (not prometheus-client's global one, so tests and imports of
other libraries add nothing unexpected). What the engine calls, per reminder::

    metrics.reminder_sent(lateness_seconds)        # after Telegram accepted it
    metrics.reminder_failed(reason)
    metrics.DUE_BACKLOG.set(due_not_yet_sent)      # once per tick
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

UPDATES = Counter(
    "rekpauze_updates", "Updates received from Telegram, by type", ["type"], registry=REGISTRY
)
UPDATES_UNPARSABLE = Counter(
    "rekpauze_updates_unparsable",
    "Updates skipped because python-telegram-bot could not parse them",
    registry=REGISTRY,
)
UPDATES_DROPPED = Counter(
    "rekpauze_updates_dropped",
    "Updates dropped unprocessed because their chat had too many waiting",
    registry=REGISTRY,
)
REMINDERS_SENT = Counter(
    "rekpauze_reminders_sent", "Reminders Telegram accepted", registry=REGISTRY
)
PAID_BROADCASTS = Counter(
    "rekpauze_paid_broadcasts",
    "Reminders Telegram accepted with allow_paid_broadcast (PAID_BROADCAST_RATE); Telegram "
    "charges Stars for those sent beyond the free rate, so this is the upper bound of the bill",
    registry=REGISTRY,
)
REMINDERS_EARLY = Counter(
    "rekpauze_reminders_early",
    "Reminders Telegram accepted before their due moment: a crowded minute started early "
    "(EARLY_START_MAX_SECONDS)",
    registry=REGISTRY,
)
REMINDERS_SKIPPED = Counter(
    "rekpauze_reminders_skipped",
    "Reminder slots not sent, by cause: down (missed while the bot was down, past the grace "
    "window), late (past MAX_LATE_MINUTES under load), next (the chat's next slot was nearer)",
    ["cause"],
    registry=REGISTRY,
)
CAPACITY_P99 = Gauge(
    "rekpauze_capacity_predicted_p99_lateness_seconds",
    "Predicted p99 reminder lateness over the coming week at the send limit (capacity model)",
    registry=REGISTRY,
)
CAPACITY_SKIPS = Gauge(
    "rekpauze_capacity_predicted_skips",
    "Reminders the capacity model predicts to be skipped over the coming week",
    registry=REGISTRY,
)
REMINDERS_FAILED = Counter(
    "rekpauze_reminders_failed",
    "Reminder send attempts that failed, by reason",
    ["reason"],
    registry=REGISTRY,
)
DUE_BACKLOG = Gauge(
    "rekpauze_due_backlog",
    "Reminders due now and not yet sent (set by each tick)",
    registry=REGISTRY,
)
REMINDER_LATENESS = Histogram(
    "rekpauze_reminder_lateness_seconds",
    "Seconds between a reminder's due moment and Telegram accepting it",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
ACTIVE_SUBSCRIBERS = Gauge(
    "rekpauze_active_subscribers",
    "Chats that get reminders (active, not blocked, not paused); refreshed every minute",
    registry=REGISTRY,
)
HEARTBEAT_AGE = Gauge(
    "rekpauze_scheduler_heartbeat_age_seconds",
    "Seconds since the reminder scheduler last ticked (-1 when no scheduler runs)",
    registry=REGISTRY,
)
BROADCAST_MESSAGES = Counter(
    "rekpauze_broadcast_messages",
    "Broadcast messages by outcome",
    ["result"],
    registry=REGISTRY,
)
REMINDERS_RESCHEDULED = Counter(
    "rekpauze_reminders_rescheduled",
    "Reminder slots not sent at their time: moved past a meeting, skipped because the meeting "
    "ran too long, or replaced by a break done shortly before",
    ["outcome"],
    registry=REGISTRY,
)

FAILURE_REASONS = ("blocked", "rate_limited", "timeout", "network", "bad_request", "other")


def skipped_counts() -> dict[str, int]:
    """Reminder slots skipped since this process started, by cause (for /admin)."""
    return {
        cause: int(
            REGISTRY.get_sample_value("rekpauze_reminders_skipped_total", {"cause": cause}) or 0
        )
        for cause in ("down", "late", "next")
    }


def paid_broadcasts() -> int:
    """Reminders sent as paid broadcasts since this process started (for /admin)."""
    return int(REGISTRY.get_sample_value("rekpauze_paid_broadcasts_total") or 0)


def reminder_sent(lateness_seconds: float) -> None:
    """Negative lateness: sent early (a crowded minute); counted apart, observed as 0 late."""
    REMINDERS_SENT.inc()
    if lateness_seconds < 0:
        REMINDERS_EARLY.inc()
    REMINDER_LATENESS.observe(max(lateness_seconds, 0.0))


def reminder_failed(reason: str) -> None:
    REMINDERS_FAILED.labels(reason if reason in FAILURE_REASONS else "other").inc()


def exposition() -> tuple[bytes, str]:
    """The current metrics and their content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
