"""The command registry's names across languages: no name means two commands, every alias is
a valid Telegram command name, and each language's menu shows that language's alias."""

from __future__ import annotations

import re
from collections import Counter

from bot.commands import COMMANDS, PUBLIC, menu


def test_no_name_belongs_to_two_commands() -> None:
    counts = Counter(name for cmd in COMMANDS for name in cmd.names)
    assert [name for name, n in counts.items() if n > 1] == []


def test_every_name_is_a_telegram_command_name() -> None:
    for cmd in COMMANDS:
        for name in cmd.names:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name), name


def test_each_menu_shows_its_own_language() -> None:
    by_lang = {lang: [c.command for c in menu(lang)] for lang in ("nl", "en", "fr")}
    assert by_lang["en"] == [cmd.name for cmd in PUBLIC]
    assert "oefening" in by_lang["nl"] and "exercice" not in by_lang["nl"]
    assert "exercice" in by_lang["fr"] and "oefening" not in by_lang["fr"]
    assert "pause" in by_lang["fr"]  # the English name is French too
    assert {c.description for c in menu("fr")}.isdisjoint({c.description for c in menu("en")})
