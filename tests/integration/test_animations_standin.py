"""Exercise animations over real HTTP against the Bot API stand-in (issue 18): the card with its
animation, the file uploaded once and then sent by file_id, "Show me" on a reminder (also in a
group, where anyone may press it and a burst of presses sends once), guided mode's start, the
caption limit, and a stored file_id the server no longer knows.

Updates are fetched with getUpdates and handed to the real Application; the animations come
from the shared test cache (tests/conftest.py), rendered at most once per run.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.error import BadRequest

from bot import telegram_html
from bot.content.animation import has_animation
from bot.content.loader import get_catalogue
from bot.i18n import t
from bot.sandbox.server import BotAPIServer
from bot.sandbox.state import ApiCall, User
from bot.sandbox.terminal import Terminal
from bot.sandbox.world import BotEvent
from bot.services.animations import exercise_card, routine_exercises
from bot.services.groups import button_needs_admin
from bot.storage import animations as stored
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.reminder_kit import add_chat, make_dispatcher, run
from tests.standin_kit import PolledBot, polled_app, stand_in

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam
CATALOGUE = get_catalogue()


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[BotAPIServer]:
    async with stand_in(clock, T0) as running:
        yield running


class Bot(PolledBot):
    """The real Application over HTTP, and polling done by hand."""

    async def say(self, user: User, text: str) -> list[ApiCall]:
        before = len(self.server.calls)
        await self.server.send_text(user, text)
        await self.deliver()
        return [c for c in list(self.server.calls)[before:] if c.method != "getUpdates"]

    async def press(self, user: User, message: Any, label: str) -> list[ApiCall]:
        before = len(self.server.calls)
        await self.server.press_button(user, message, label)
        await self.deliver()
        return [c for c in list(self.server.calls)[before:] if c.method != "getUpdates"]


@pytest.fixture
async def bot(
    server: BotAPIServer, db: Database, clock: FakeClock, database_url: str
) -> AsyncIterator[Bot]:
    async with polled_app(server, db, clock, database_url) as app:
        yield Bot(app, server)


def sends(calls: list[ApiCall]) -> list[str]:
    return [c.method for c in calls if c.method.startswith("send")]


async def test_exercise_card_comes_with_its_animation_uploaded_once(
    bot: Bot, server: BotAPIServer, db: Database
) -> None:
    anke = server.add_user("Anke", language_code="nl")
    exercise = CATALOGUE.exercise("heupbuigerstretch")  # its whole card fits a caption
    calls = await bot.say(anke, "/oefening heupbuiger")
    assert sends(calls) == ["sendAnimation"]
    [upload] = [c for c in calls if c.method == "sendAnimation"]
    assert upload.ok and upload.uploaded and upload.uploads == ("animation",)
    card = server.messages(anke)[-1]
    assert card.animation is not None and card.animation.mime_type == "video/mp4"
    assert (card.animation.width, card.animation.height) == (480, 480)
    # The alt text: the name, the steps and the dosage go with the animation.
    assert exercise.name.nl in card.content
    assert all(step.nl[:30] in card.content for step in exercise.steps)
    assert [b["callback_data"].split(":")[:2] for row in card.buttons for b in row] == [
        ["gd", "s"],
        ["ex", "r"],
        ["ex", "d"],
        ["sf", "s"],
    ]
    first_id = card.animation.file_id

    # The second time the stored file_id goes, not the file.
    calls = await bot.say(anke, "/oefening heupbuiger")
    [again] = [c for c in calls if c.method == "sendAnimation"]
    assert again.ok and not again.uploaded and again.params["animation"] == first_id
    assert server.messages(anke)[-1].animation.file_id == first_id  # type: ignore[union-attr]
    # ... and from the browser's button too, in English for another person.
    bo = server.add_user("Bo", language_code="en")
    await bot.say(bo, "/exercises")
    await server.forge_button_press(bo, server.messages(bo)[-1], "ex:s:heupbuigerstretch")
    before = len(server.calls)
    await bot.deliver()
    [third] = [c for c in list(server.calls)[before:] if c.method == "sendAnimation"]
    assert not third.uploaded and third.params["animation"] == first_id
    assert exercise.name.en in server.messages(bo)[-1].content
    # A re-rendered file (another content hash) has no id yet: it is uploaded again.
    async with db.session() as session:
        assert await stored.lookup(session, bot.app.bot.id, exercise.id, "0" * 32) is None


async def test_a_long_card_sends_name_and_dosage_then_the_steps_with_the_keyboard(
    bot: Bot, server: BotAPIServer
) -> None:
    exercise = CATALOGUE.exercise("staande-bekkenrek")
    card = exercise_card(exercise, "en", CATALOGUE)
    assert card.follow_up is not None  # the full card is over Telegram's 1024 for captions
    assert telegram_html.parse(card.follow_up).length > telegram_html.MAX_CAPTION
    bo = server.add_user("Bo", language_code="en")
    calls = await bot.say(bo, "/exercise standing pelvic")
    assert sends(calls) == ["sendAnimation", "sendMessage"]
    animation, steps = server.messages(bo)[-2:]
    assert animation.animation is not None and animation.buttons == []
    assert exercise.name.en in animation.content and "Dosage" in animation.content
    assert telegram_html.parse(animation.source or "").length <= telegram_html.MAX_CAPTION
    assert all(step.en[:30] in steps.content for step in exercise.steps)
    assert "ex:d:staande-bekkenrek" in [b["callback_data"] for row in steps.buttons for b in row]


async def test_the_stand_in_refuses_a_caption_over_1024_and_bad_caption_html(
    bot: Bot, server: BotAPIServer
) -> None:
    cas = server.add_user("Cas", started=True)
    await bot.say(cas, "/exercise hip flexor")
    file_id = server.messages(cas)[-1].animation.file_id  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.app.bot.send_animation(cas.id, file_id, caption="x" * 1025)
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.app.bot.send_animation(cas.id, file_id, caption="<b>open")
    # 1024 UTF-16 units is the limit, not 1024 characters: 512 emoji are 1024 units.
    await bot.app.bot.send_animation(cas.id, file_id, caption="🧘" * 512)
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.app.bot.send_animation(cas.id, file_id, caption="🧘" * 513)


async def test_plank_keeps_its_text_card(bot: Bot, server: BotAPIServer) -> None:
    assert not has_animation("buikplank")
    dirk = server.add_user("Dirk", language_code="nl")
    calls = await bot.say(dirk, "/oefening buikplank")
    assert sends(calls) == ["sendMessage"] and "Buikplank" in server.messages(dirk)[-1].content


async def test_guided_mode_starts_with_the_animation(bot: Bot, server: BotAPIServer) -> None:
    eva = server.add_user("Eva", language_code="nl")
    await bot.say(eva, "/oefening heupbuiger")
    card = server.messages(eva)[-1]
    calls = await bot.press(eva, card, card.buttons[0][0]["text"])  # Begeleid
    assert sends(calls) == ["sendAnimation", "sendMessage"]
    animation, guided = server.messages(eva)[-2:]
    assert animation.animation is not None and "Heupbuigerstretch" in animation.content
    [animation_call] = [c for c in calls if c.method == "sendAnimation"]
    assert not animation_call.uploaded  # the card above uploaded it
    assert "stap 1 van" in guided.content and guided.buttons


async def test_show_me_on_a_reminder_sends_the_routines_animations(
    bot: Bot, server: BotAPIServer, db: Database, clock: FakeClock
) -> None:
    fenna = server.add_user("Fenna", language_code="en", started=True)
    await add_chat(db, fenna.id, next_due_at=T0, language="en", place="home")
    await run(make_dispatcher(bot.app, db, clock), T0 + timedelta(seconds=2))
    [reminder] = server.messages(fenna)
    show = t("en", "reminder.button.show")
    assert show in reminder.button_labels and reminder.text is not None  # still compact text
    calls = await bot.press(fenna, reminder, show)
    routine = CATALOGUE.routine(await _routine_of(db, fenna.id))
    expected = [e for e in routine_exercises(routine, CATALOGUE) if has_animation(e.id)]
    sent = [m for m in server.messages(fenna) if m.animation is not None]
    assert len(sent) == len(expected) >= 1
    for exercise, message in zip(expected, sent, strict=True):
        assert exercise.name.en in message.content
    assert server.messages(fenna)[0].text == reminder.text  # the reminder is unchanged
    assert any(c.method == "answerCallbackQuery" for c in calls)


async def test_show_me_in_a_group_is_for_everyone_and_sends_once(
    bot: Bot, server: BotAPIServer, db: Database, clock: FakeClock
) -> None:
    owner = server.add_user("Gijs", language_code="nl", started=True)
    member = server.add_user("Hanna", language_code="nl", started=True)
    group = server.add_group("Team", members=[member], owner=owner)
    await add_chat(db, group.id, next_due_at=T0, language="nl", chat_type="group")
    await run(make_dispatcher(bot.app, db, clock), T0 + timedelta(seconds=2))
    [reminder] = [m for m in server.messages(group) if m.from_bot]
    show = t("nl", "reminder.button.show")
    assert reminder.button_labels == [
        t("nl", "reminder.button.done"),
        show,
        t("nl", "privacy.button_safety"),
    ]
    assert not button_needs_admin(reminder.find_button(show)["callback_data"])
    record = await server.press_button(member, reminder, show)
    await bot.deliver()
    first = [m for m in server.messages(group) if m.animation is not None]
    assert first and record.answered
    record = await server.press_button(owner, reminder, show)
    await bot.deliver()
    assert [m for m in server.messages(group) if m.animation is not None] == first
    assert record.answer_text == t("nl", "reminder.answer.shown_recently")
    clock.advance(minutes=3)
    await server.press_button(owner, reminder, show)
    await bot.deliver()
    assert len([m for m in server.messages(group) if m.animation is not None]) == 2 * len(first)


async def test_a_file_id_the_server_does_not_know_is_replaced_by_an_upload(
    bot: Bot, server: BotAPIServer, db: Database
) -> None:
    """As after moving the database to a bot with another token: the old ids are refused."""
    clip = await bot.app.bot_data.animations.clip("heupbuigerstretch")
    assert clip is not None
    async with db.session() as session:
        await stored.remember(
            session, bot.app.bot.id, clip.exercise_id, clip.content_hash, "CgACforeign"
        )
    ida = server.add_user("Ida", language_code="en")
    calls = await bot.say(ida, "/exercise hip flexor")
    animation_calls = [c for c in calls if c.method == "sendAnimation"]
    assert [(c.ok, c.uploaded) for c in animation_calls] == [(False, False), (True, True)]
    new_id = server.messages(ida)[-1].animation.file_id  # type: ignore[union-attr]
    async with db.session() as session:
        assert (
            await stored.lookup(session, bot.app.bot.id, clip.exercise_id, clip.content_hash)
            == new_id
        )


async def test_the_sandbox_prints_an_animation_as_the_path_of_its_file(
    bot: Bot, server: BotAPIServer
) -> None:
    jan = server.add_user("Jan", language_code="en")
    await bot.say(jan, "/exercise hip flexor")
    message = server.messages(jan)[-1]
    out = io.StringIO()
    folder = bot.app.bot_data.settings.animations_dir
    terminal = Terminal(out, color=False, now=lambda: T0, animations=folder)
    terminal.show(BotEvent("message", message.chat, message))
    [line] = [line for line in out.getvalue().splitlines() if "[animation" in line]
    path = Path(line.strip().removeprefix("[animation ").removesuffix("]"))
    assert path.parent == folder and path.suffix == ".mp4"
    clip = await bot.app.bot_data.animations.clip("heupbuigerstretch")
    assert clip is not None and path == clip.path
    assert message.animation is not None
    assert server.files.content(message.animation.file_id) == clip.path.read_bytes()


async def _routine_of(db: Database, chat_id: int) -> str:
    from tests.reminder_kit import all_deliveries

    [delivery] = await all_deliveries(db, chat_id)
    assert delivery.routine_id is not None
    return delivery.routine_id


async def test_show_me_follows_the_routine_the_message_shows(
    bot: Bot, server: BotAPIServer, db: Database, clock: FakeClock
) -> None:
    """A routine gone from the catalogue is shown as the first one; Show me agrees with it."""
    from sqlalchemy import update

    from bot.storage.models import Delivery

    kim = server.add_user("Kim", language_code="en", started=True)
    await add_chat(db, kim.id, next_due_at=T0, language="en")
    await run(make_dispatcher(bot.app, db, clock), T0 + timedelta(seconds=2))
    [reminder] = server.messages(kim)
    async with db.session() as session:
        await session.execute(update(Delivery).values(routine_id="gone-from-the-catalogue"))
    await bot.press(kim, reminder, t("en", "reminder.button.show"))
    first = CATALOGUE.routines[0]
    expected = [e.name.en for e in routine_exercises(first, CATALOGUE) if has_animation(e.id)]
    shown = [m.content for m in server.messages(kim) if m.animation is not None]
    assert len(shown) == len(expected) and all(
        name in text for name, text in zip(expected, shown, strict=True)
    )
