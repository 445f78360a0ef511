"""Translation lookup: gettext catalogues under data/locale, read with Babel.

Message ids are symbolic keys (``help.text``) so that Dutch, English and French are all real
translations and a missing one is detectable. Every .po file in a language's LC_MESSAGES
folder is loaded, so each conversation area keeps its own catalogue file.
"""

from __future__ import annotations

import html
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.paths import data_dir

LANGUAGES = ("nl", "en", "fr")
DEFAULT_LANGUAGE = "en"


class Safe(str):
    """A value that is already Telegram HTML and must not be escaped again."""


def language_for(code: str | None) -> str:
    """Telegram's language_code -> our language: Dutch for nl*, French for fr* (fr-BE, fr-CA),
    English otherwise.

    Only the language is stored, not the region: every date pattern the bot uses ("d MMM",
    "EEE d MMM", "EEEE d MMMM HH:mm") reads the same in Babel's fr and fr_BE locales (only the
    short numeric date differs, which the bot never shows), and reminders are sent without an
    update that would carry the region (tests/unit/test_i18n.py checks the patterns agree)."""
    base = code.lower().replace("_", "-").split("-")[0] if code else ""
    return base if base in ("nl", "fr") else "en"


def _locale_dir() -> Path:
    return data_dir() / "locale"


def read_catalog(lang: str) -> Catalog:
    """All .po files of one language merged into one catalogue."""
    merged = Catalog(locale=lang, domain="rekpauze")
    folder = _locale_dir() / lang / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            part = read_po(fh, locale=lang)
        for message in part:
            if message.id:
                merged[message.id] = message
    return merged


#: The catalogues themselves, for the checks and the Mini App's label lists; the bot's own
#: lookups go through `translations`, which keeps only the compiled strings (~1 MB less).
catalog = cache(read_catalog)


@cache
def translations(lang: str) -> Translations:
    buffer = BytesIO()
    write_mo(buffer, read_catalog(lang))
    buffer.seek(0)
    return Translations(buffer, domain="rekpauze")


def _escape(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, Safe) or not isinstance(v, str) else html.escape(v, quote=False)
        for k, v in kwargs.items()
    }


def t(lang: str, key: str, /, **kwargs: Any) -> str:
    """The text for `key` in `lang`, with str arguments HTML-escaped unless wrapped in Safe."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    text = translations(lang).gettext(key)
    if text == key:
        raise KeyError(f"missing translation {key!r} for {lang!r}")
    return text.format(**_escape(kwargs)) if kwargs else text


def tn(lang: str, key: str, n: int, /, **kwargs: Any) -> str:
    """Plural form of `key` (msgid `key`, msgid_plural `key.plural`) for count n."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    text = translations(lang).ngettext(key, key + ".plural", n)
    if text in (key, key + ".plural"):
        raise KeyError(f"missing translation {key!r} for {lang!r}")
    return text.format(n=n, **_escape(kwargs))
