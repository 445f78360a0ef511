"""Issue 16, point 10: /help is short, in the chat's language only, grouped, with buttons."""

from __future__ import annotations

from typing import Any

import pytest

from bot.commands import PUBLIC
from bot.handlers.help import GROUPS, command_name
from tests.fakes import RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, texts


def test_every_public_command_is_in_one_group() -> None:
    grouped = [name for _, names in GROUPS for name in names]
    assert sorted(grouped) == sorted(cmd.name for cmd in PUBLIC)


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_help_is_short_one_language_grouped_with_buttons(
    app: Any, fake_request: RecordingRequest, lang: str
) -> None:
    person = Chatter(app, fake_request, 16400, "Q", lang)
    calls = await person.send("/help")
    [text] = texts(calls)
    assert len(text.splitlines()) <= 10
    other = "en" if lang == "nl" else "nl"
    for cmd in PUBLIC:
        assert f"/{command_name(lang, cmd.name)}" in text
        own, foreign = command_name(lang, cmd.name), command_name(other, cmd.name)
        if own != foreign:
            assert f"/{foreign} " not in text + " " and f"/{foreign}<" not in text
    assert [d for _, d in all_buttons(calls)] == ["tk:ex", "br:h", "tk:st", "tk:stats"]


async def test_the_progress_button_shows_progress(app: Any, fake_request: RecordingRequest) -> None:
    person = Chatter(app, fake_request, 16401, "Q", "en")
    await person.send("/start")
    calls = await person.press("tk:stats")
    assert any(c.method in ("sendMessage", "sendPhoto") for c in calls)
