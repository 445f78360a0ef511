"""content.po in Dutch, English and French: same keys, same placeholders, nothing empty."""

from __future__ import annotations

import string

import pytest
from babel.messages.pofile import read_po

from bot.paths import data_dir


def _messages(lang: str) -> dict[str, str]:
    path = data_dir() / "locale" / lang / "LC_MESSAGES" / "content.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_same_keys_and_placeholders(lang: str) -> None:
    nl, other = _messages("nl"), _messages(lang)
    assert sorted(nl.keys() - other.keys()) == [], f"missing in {lang}"
    assert sorted(other.keys() - nl.keys()) == [], f"only in {lang}"
    for key in nl:
        assert nl[key].strip() and other[key].strip(), key
        assert _placeholders(nl[key]) == _placeholders(other[key]), key


def test_labels_have_no_markup() -> None:
    """Labels are plain text; the renderer adds the tags."""
    for lang in ("nl", "en", "fr"):
        for key, text in _messages(lang).items():
            assert "<" not in text and "&" not in text, (lang, key)


def test_every_equipment_and_position_has_a_label() -> None:
    from typing import get_args

    from bot.content.models import Equipment, Position

    keys = _messages("nl").keys()
    for value in get_args(Equipment):
        assert f"content.equipment.{value}" in keys
    for value in get_args(Position):
        assert f"content.position.{value}" in keys
