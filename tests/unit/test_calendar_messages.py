"""Every calendar failure has its own message in both languages."""

from __future__ import annotations

import pytest

from bot.calendar.fetch import CalendarFetchError, FetchErrorCode
from bot.calendar.ics import IcsError
from bot.calendar.messages import error_text
from bot.i18n import LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_failure_has_a_distinct_message(lang: str) -> None:
    texts = {
        code: error_text(lang, CalendarFetchError(code, host="cal.example", status=503))
        for code in FetchErrorCode
    }
    texts_list = [*texts.values(), error_text(lang, IcsError("bad"))]
    assert len(set(texts_list)) == len(FetchErrorCode) + 1
    assert "503" in texts[FetchErrorCode.HTTP_STATUS]
    assert all(0 < len(text) <= 400 for text in texts_list)


def test_languages_differ() -> None:
    error = CalendarFetchError(FetchErrorCode.TIMEOUT)
    assert error_text("nl", error) != error_text("en", error)
