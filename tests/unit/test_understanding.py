"""Free text classified in Dutch and English; safety lines come from the catalogue."""

from __future__ import annotations

import pytest

from bot.content import load_catalogue
from bot.services.understanding import Intent, classify, safety_answer


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("ik heb pijn in mijn onderrug", Intent.PAIN),
        ("my back hurts", Intent.PAIN),
        ("Stijve rug", Intent.PAIN),
        ("ik heb een hernia", Intent.RED_FLAG),
        ("pijn die uitstraalt naar mijn been", Intent.RED_FLAG),
        ("tingling in my foot", Intent.RED_FLAG),
        ("I had surgery last month", Intent.RED_FLAG),
        ("hallo", Intent.GREETING),
        ("Hoi!", Intent.GREETING),
        ("hi there", Intent.GREETING),
        ("thanks!", Intent.THANKS),
        ("dank je wel", Intent.THANKS),
        ("👍", Intent.THANKS),
        ("help", Intent.HELP),
        ("wat kan je?", Intent.HELP),
        ("?", Intent.HELP),
        ("rug", Intent.OTHER),
        ("10:00 13:00", Intent.OTHER),
        ("interval", Intent.OTHER),  # "val" (a fall) only as a whole word
        ("hallo, ik heb pijn", Intent.PAIN),
    ],
)
def test_classify(text: str, intent: Intent) -> None:
    assert classify(text) is intent


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_safety_lines_are_the_catalogues_own(lang: str) -> None:
    catalogue = load_catalogue()
    safety = catalogue.safety
    red = safety_answer(catalogue, lang, Intent.RED_FLAG)
    assert red.flags == [item.get(lang) for item in safety.red_flags]
    assert red.advice == [item.get(lang) for item in safety.before_start]
    pain = safety_answer(catalogue, lang, Intent.PAIN)
    assert pain.flags == []
    known = {item.get(lang) for group in (safety.stretching_rules, safety.general,
             safety.before_start) for item in group}  # fmt: skip
    assert pain.advice and set(pain.advice) <= known
    word = "fysiotherapeut" if lang == "nl" else "physiotherapist"
    assert any(word in line for line in pain.advice)
