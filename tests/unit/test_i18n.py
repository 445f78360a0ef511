"""Every key exists in every language with the same placeholders, and is valid Telegram HTML."""

from __future__ import annotations

import re

import pytest

from bot import telegram_html
from bot.i18n import LANGUAGES, Safe, catalog, language_for, t

PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def _entries(lang: str) -> dict[str, str]:
    out = {}
    for message in catalog(lang):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        out[key] = message.string if isinstance(message.string, str) else message.string[0]
    return out


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "nl"])
def test_every_language_has_the_same_keys_as_dutch(lang: str) -> None:
    nl, other = _entries("nl"), _entries(lang)
    assert sorted(set(nl) - set(other)) == [], f"missing in {lang}"
    assert sorted(set(other) - set(nl)) == [], f"missing in Dutch (present in {lang})"


def test_a_missing_french_key_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key check reads the real catalogue: drop one French message and it fails."""
    fr = catalog("fr")
    message = fr["start.welcome_back"]
    try:
        del fr["start.welcome_back"]
        with pytest.raises(AssertionError, match="missing in fr"):
            test_every_language_has_the_same_keys_as_dutch("fr")
    finally:
        fr[message.id] = message


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_valid_html(lang: str) -> None:
    other = "en" if lang == "nl" else "nl"  # each compared with another language
    others = _entries(other)
    for key, text in _entries(lang).items():
        assert text.strip(), f"{lang}:{key} is empty"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(others[key])), key
        filled = PLACEHOLDER.sub("x", text)
        telegram_html.parse(filled)


def test_arguments_are_escaped_unless_safe() -> None:
    assert "&lt;b&gt;" in t("en", "start.welcome_back", name="<b>", times="10:00")
    assert "<i>x</i>" in t("en", "start.welcome_back", name=Safe("<i>x</i>"), times="10:00")


def test_missing_key_raises() -> None:
    with pytest.raises(KeyError):
        t("nl", "no.such.key")


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        *(("nl", "nl"), ("nl-BE", "nl"), ("en", "en"), ("de", "en"), (None, "en")),
        *(("fr", "fr"), ("fr-BE", "fr"), ("fr-CA", "fr"), ("FR-ch", "fr"), ("fy", "en")),
    ],
)
def test_language_from_telegram_code(code: str | None, lang: str) -> None:
    assert language_for(code) == lang


def test_french_dates_read_the_same_for_belgium() -> None:
    """Why only "fr" is stored: every pattern the bot formats gives the same text in fr and
    fr_BE, for every day of a year (weekday and month names, abbreviations, 24-hour time)."""
    from datetime import datetime, timedelta

    from babel.dates import format_datetime

    patterns = ("d MMM", "EEE d MMM", "EEEE d MMMM HH:mm", "EEE d MMM HH:mm")
    start = datetime(2026, 1, 1, 7, 5)
    for n in range(366):
        day = start + timedelta(days=n, minutes=37 * n)
        for pattern in patterns:
            fr = format_datetime(day, pattern, locale="fr")
            assert fr == format_datetime(day, pattern, locale="fr_BE"), pattern
    assert format_datetime(start, "EEEE d MMMM HH:mm", locale="fr") == "jeudi 1 janvier 07:05"
