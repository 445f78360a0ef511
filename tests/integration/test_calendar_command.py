"""/calendar (nl /agenda) as a user meets it: private only, the address inline or as the next
message, a clear message for each refused address (and no request to it), Dutch, /export
showing only the host, /delete erasing it. Stand-in over real HTTP, calendar on loopback."""

from __future__ import annotations

import json
from typing import Any

from bot.storage import calendars as calendar_store
from bot.storage.models import KeyValue
from tests.conftest import FakeClock
from tests.integration.test_calendar_reminders import SECRET, World, ams, world
from tests.reminder_kit import add_chat

__all__ = ["world"]  # the fixture, shared with the reminder tests


async def _user(world: World, name: str, lang: str = "en") -> Any:
    user = world.server.add_user(name, language_code=lang, started=True)
    await add_chat(world.db, user.id, next_due_at=ams(23, 10), language=lang)
    return user


async def test_in_a_group_it_points_to_the_private_chat(world: World, clock: FakeClock) -> None:
    clock.now = ams(23, 8)
    ann = await _user(world, "Ann")
    group = world.server.add_group("Team", members=[ann], admins=[ann])
    await add_chat(world.db, group.id, next_due_at=None, chat_type="group")
    await world.server.send_text(ann, "/calendar@" + (world.server.bot.username or ""), group)
    await world.pump()
    [answer] = world.server.messages(group)
    assert "only be connected in a private chat" in (answer.text or "")
    # With an address: still refused (the stand-in, like Telegram without admin rights, does
    # not let the bot delete a member's message; that failure is no error for the user).
    await world.server.send_text(ann, f"/calendar {world.base_url}", group)
    await world.pump()
    assert len(world.server.messages(group)) == 2
    async with world.db.session() as session:
        assert await calendar_store.get(session, group.id) is None


async def test_inline_address_dutch_and_the_secret_never_shown(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    bram = await _user(world, "Bram", "nl")
    sent = await world.say(bram, f"/agenda {world.base_url}")
    assert sent.message_id not in world.server.chat(bram).messages
    reply = world.server.last_message(bram).text or ""
    assert (
        "Agenda gekoppeld" in reply and "Ik vond 3 bezette blokken in de komende 2 dagen." in reply
    )
    await world.say(bram, "/agenda")
    assert "Gekoppelde agenda" in (world.server.last_message(bram).text or "")
    texts = [m.text or "" for m in world.server.chat(bram).messages.values()]
    assert not any(SECRET in text for text in texts)


async def test_refused_addresses_get_their_message_and_nothing_is_stored(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    cor = await _user(world, "Cor")
    cases = {
        "not a url": "does not look like a calendar address",
        "ftp://example.org/cal.ics": "does not look like a calendar address",
        f"{world.base_url.rsplit('/', 1)[0]}/missing.ics": "answered with error 404",
        "http://169.254.169.254/latest/meta-data": "private network",
    }
    for address, expected in cases.items():
        await world.say(cor, "/calendar")
        await world.say(cor, address)  # the next message is the address
        assert expected in (world.server.last_message(cor).text or ""), address
    async with world.db.session() as session:
        assert await calendar_store.get(session, cor.id) is None
    # The question is asked once: a later message is ordinary chat again.
    await world.say(cor, "hello")
    assert "calendar" not in (world.server.last_message(cor).text or "").lower()


async def test_export_lists_only_the_host_and_delete_erases_the_calendar(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    dik = await _user(world, "Dik")
    await world.say(dik, f"/calendar {world.base_url}")
    await world.say(dik, "/calendar")  # also leaves nothing waiting: it shows the connection
    await world.say(dik, "/export")
    document = world.server.last_message(dik).document
    assert document is not None
    content = world.server.file_content(document.file_id)
    assert content is not None and SECRET.encode() not in content
    exported = json.loads(content)
    assert exported["calendar"] == {"host": "127.0.0.1"}
    assert len(exported["busy_intervals"]) == 3
    await world.say(dik, "/delete")
    await world.press(dik, world.server.last_message(dik), _yes_button(world, dik))
    async with world.db.session() as session:
        assert await calendar_store.get(session, dik.id) is None
        assert await session.get(KeyValue, f"calendar_wait:{dik.id}") is None


def _yes_button(world: World, user: Any) -> str:
    message = world.server.last_message(user)
    buttons = [b for row in message.buttons for b in row]
    return next(
        b["text"]
        for b in buttons
        if b.get("callback_data", "").endswith(":yes") or "Yes" in b["text"]
    )
