"""Every key exists in both languages with the same placeholders, and is valid Telegram HTML."""

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


def test_both_languages_have_the_same_keys() -> None:
    nl, en = _entries("nl"), _entries("en")
    assert sorted(set(nl) - set(en)) == [], "missing in English"
    assert sorted(set(en) - set(nl)) == [], "missing in Dutch"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_valid_html(lang: str) -> None:
    other = "en" if lang == "nl" else "nl"
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
    ("code", "lang"), [("nl", "nl"), ("nl-BE", "nl"), ("en", "en"), ("de", "en"), (None, "en")]
)
def test_language_from_telegram_code(code: str | None, lang: str) -> None:
    assert language_for(code) == lang
