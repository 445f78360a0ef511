"""What the user is told when a calendar cannot be connected or read: one message per failure,
in Dutch and English (data/locale/*/LC_MESSAGES/calendar.po)."""

from __future__ import annotations

from bot.calendar.fetch import CalendarFetchError, FetchErrorCode
from bot.calendar.ics import IcsError
from bot.i18n import t


def error_text(lang: str, error: CalendarFetchError | IcsError) -> str:
    """The user-facing explanation of a failed fetch or parse (Telegram HTML)."""
    if isinstance(error, IcsError):
        return t(lang, "calendar.error.malformed")
    key = f"calendar.error.{error.code.value}"
    if error.code is FetchErrorCode.HTTP_STATUS:
        return t(lang, key, status=error.status or 0)
    return t(lang, key)
