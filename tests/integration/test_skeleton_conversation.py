"""The real Application, in process, against a fake Bot API: /start, /help and fallbacks."""

from __future__ import annotations

from typing import Any

from bot.storage import chats
from bot.storage.db import Database
from tests.fakes import RecordingRequest, message_update, user_dict


async def _send(app: Any, text: str, **kwargs: Any) -> None:
    await app.process_update(message_update(app.bot, text, **kwargs))


async def test_start_registers_the_chat_with_defaults(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    await _send(app, "/start", user=user_dict(1001, "Anke", "nl"))
    async with db.session() as session:
        chat = await chats.get(session, 1001)
    assert chat is not None
    assert chat.language == "nl"
    assert chat.timezone == "Europe/Amsterdam"
    assert len(chat.times) == 3
    # Not subscribed until onboarding's last step (issue 16, point 4).
    assert not chat.active and not chat.blocked and not chat.onboarded
    assert chat.next_due_at is None
    [text] = fake_request.texts(1001)
    assert "Welkom bij Rekpauze, Anke" in text
    assert all(time in text for time in chat.times)


async def test_second_start_changes_nothing_the_user_set(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    await _send(app, "/start", user=user_dict(1002, "Bo", "en"))
    async with db.session() as session:
        chat = await chats.get(session, 1002)
        assert chat is not None
        chat.times = ["08:15"]
        chat.language = "nl"
        chat.place = "home"
    await _send(app, "/start", user=user_dict(1002, "Bo", "en"))
    async with db.session() as session:
        chat = await chats.get(session, 1002)
    assert chat is not None
    assert (chat.times, chat.language, chat.place) == (["08:15"], "nl", "home")
    assert "Welkom terug" in fake_request.texts(1002)[-1]


async def test_help_lists_the_commands_in_the_chat_language(
    app: Any, fake_request: RecordingRequest
) -> None:
    await _send(app, "/help", user=user_dict(1003, "Cas", "en"))
    await _send(app, "/help", user=user_dict(1004, "Dirk", "nl"))
    english, dutch = fake_request.texts(1003)[-1], fake_request.texts(1004)[-1]
    assert "/start" in english and "/help" in english and "Your schedule" in english
    assert "/start" in dutch and "/hulp" in dutch and "Je schema" in dutch


async def test_unknown_command_and_free_text_point_to_help(
    app: Any, fake_request: RecordingRequest
) -> None:
    user = user_dict(1005, "Eva", "en")
    await _send(app, "/frobnicate", user=user)
    await _send(app, "hello <there> & bye", user=user)
    unknown, free = fake_request.texts(1005)
    assert "/help" in unknown and "don't know" in unknown
    assert "didn't understand" in free
    markup = fake_request.delivered(1005)[-1]["reply_markup"]
    assert "tk:help" in str(markup)


async def test_user_text_in_a_name_is_escaped(app: Any, fake_request: RecordingRequest) -> None:
    await _send(app, "/start", user=user_dict(1006, "<b>Mal & lory", "en"))
    [text] = fake_request.texts(1006)
    assert "&lt;b&gt;Mal &amp; lory" in text
