"""The Bot API stand-in, driven by PTB's real Bot over loopback HTTP.

These tests pin down that the stand-in refuses what Telegram refuses, in the shape PTB turns into
the same exceptions it raises against api.telegram.org.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.sandbox.server import BotAPIServer, FloodLimits, ManualClock, User


def png(width: int = 64, height: int = 48) -> bytes:
    """A small but real PNG, so sendPhoto's image check passes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\0" + b"\0\0\0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(clock=clock)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def bot(server: BotAPIServer) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url) as real_bot:
        yield real_bot


@pytest.fixture
async def user(server: BotAPIServer) -> User:
    anke = server.add_user("Anke", language_code="nl")
    await server.send_text(anke, "/start")
    return anke


# --- basics ---------------------------------------------------------------------------------


async def test_get_me_describes_the_bot(bot: Bot, server: BotAPIServer) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "rekpauze_test_bot"
    assert me.id == int(server.token.split(":")[0])


async def test_html_message_is_stored_as_plain_text_with_entities(
    bot: Bot, server: BotAPIServer, user: User, clock: ManualClock
) -> None:
    sent = await bot.send_message(user.id, "<b>Rek</b> je &amp; <i>strek</i>", parse_mode="HTML")
    assert sent.text == "Rek je & strek"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 3),
        ("italic", 9, 5),
    ]
    assert sent.date.timestamp() == int(clock())
    stored = await server.wait_for_message(user)
    assert stored.text == "Rek je & strek" and stored.source == "<b>Rek</b> je &amp; <i>strek</i>"
    assert server.messages(user) == [stored]


async def test_text_without_parse_mode_is_literal(bot: Bot, user: User) -> None:
    sent = await bot.send_message(user.id, "<b>not bold</b> & fine")
    assert sent.text == "<b>not bold</b> & fine" and not sent.entities


@pytest.mark.parametrize(
    "text",
    [
        "<foo>x</foo>",
        "<b>open",
        "<b>x</i>",
        "Tom & Jerry",
        "1 < 2",
        "a > b",
        "<a>link</a>",
        "<span>x</span>",
        "</b>",
    ],
)
async def test_invalid_html_is_refused(bot: Bot, user: User, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(user.id, text, parse_mode="HTML")


async def test_text_length_counts_after_entity_parsing(bot: Bot, user: User) -> None:
    await bot.send_message(user.id, "x" * 4096)
    await bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(user.id, "&amp;" * 4096, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.id, "<i>" + "x" * 4097 + "</i>", parse_mode="HTML")


async def test_empty_text_is_refused(bot: Bot, user: User) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(user.id, "<b> </b>", parse_mode="HTML")


async def test_caption_limit(bot: Bot, server: BotAPIServer, user: User) -> None:
    photo = await bot.send_photo(
        user.id, png(), caption="<b>" + "c" * 1024 + "</b>", parse_mode="HTML"
    )
    assert photo.caption == "c" * 1024 and photo.photo[-1].width == 64
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(user.id, png(), caption="c" * 1025)
    stored = server.messages(user)[-1]
    assert stored.photo is not None
    assert server.file_content(stored.photo[-1].file_id) == png()


async def test_photo_must_be_an_image_and_file_ids_are_reusable(bot: Bot, user: User) -> None:
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(user.id, b"not an image")
    first = await bot.send_photo(user.id, png())
    again = await bot.send_photo(user.id, first.photo[-1].file_id)
    assert again.photo[-1].file_id == first.photo[-1].file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(user.id, "no-such-file-id")
    doc = await bot.send_document(
        user.id, b"week,done\n1,3\n", filename="export.csv", caption="Je gegevens"
    )
    assert doc.document.file_name == "export.csv" and doc.caption == "Je gegevens"


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, user: User) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Klaar", callback_data=data)]])

    await bot.send_message(user.id, "ok", reply_markup=keyboard("d" * 64))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "too long", reply_markup=keyboard("d" * 65))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "bytes, not characters", reply_markup=keyboard("é" * 33))


async def test_reply_keyboard_is_kept_on_the_chat(
    bot: Bot, server: BotAPIServer, user: User
) -> None:
    keyboard_markup = ReplyKeyboardMarkup([["Ochtend", "Middag"]])
    await bot.send_message(user.id, "Kies", reply_markup=keyboard_markup)
    keyboard = server.chat(user).reply_keyboard
    assert keyboard is not None and keyboard["keyboard"][0][1]["text"] == "Middag"


# --- who may be written to ------------------------------------------------------------------


async def test_blocked_user_gives_forbidden(bot: Bot, server: BotAPIServer, user: User) -> None:
    server.block_bot(user)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(user.id, "Tijd voor je rekpauze")
    server.unblock_bot(user)
    await bot.send_message(user.id, "Welkom terug")


async def test_bot_cannot_start_a_conversation(bot: Bot, server: BotAPIServer) -> None:
    stranger = server.add_user("Stranger")
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(stranger.id, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat_member_count(stranger.id)


async def test_deactivated_user_and_unknown_chat(
    bot: Bot, server: BotAPIServer, user: User
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "hello?")
    server.delete_chat(user)
    with pytest.raises(Forbidden, match=r"(?i)user is deactivated"):
        await bot.send_message(user.id, "hi")


async def test_group_migration_raises_chat_migrated(bot: Bot, server: BotAPIServer) -> None:
    anke, bram = server.add_user("Anke"), server.add_user("Bram")
    group = server.add_group("Team", members=[bram], owner=anke)
    await bot.send_message(group.id, "Rekpauze voor het team")
    supergroup = server.migrate_group(group)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group.id, "again")
    assert caught.value.new_chat_id == supergroup.id
    await bot.send_message(supergroup.id, "in the supergroup")
    assert [m.text for m in server.messages(supergroup)] == ["in the supergroup"]


async def test_kicked_bot_gets_forbidden_and_a_my_chat_member_update(
    bot: Bot, server: BotAPIServer
) -> None:
    owner = server.add_user("Owner")
    group = server.add_group("Team", owner=owner)
    server.remove_bot_from_group(group)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        await bot.send_message(group.id, "hi")
    updates = await bot.get_updates()
    change = updates[-1].my_chat_member
    assert change is not None and change.new_chat_member.status == "kicked"
    assert change.chat.id == group.id


async def test_group_members_and_admins(bot: Bot, server: BotAPIServer) -> None:
    owner, admin, member = server.add_user("O"), server.add_user("A"), server.add_user("M")
    group = server.add_group("Team", members=[member], admins=[admin], owner=owner)
    assert (await bot.get_chat_member(group.id, member.id)).status == "member"
    assert (await bot.get_chat_member(group.id, bot.id)).status == "member"
    assert (await bot.get_chat_member(group.id, admin.id)).status == "administrator"
    assert (await bot.get_chat_member(group.id, owner.id)).status == "creator"
    assert await bot.get_chat_member_count(group.id) == 4


async def test_privacy_mode_filters_group_chatter(bot: Bot, server: BotAPIServer) -> None:
    anke = server.add_user("Anke")
    group = server.add_group("Team", members=[anke])
    await server.send_text(anke, "just chatting", chat=group)
    await server.send_text(anke, "/stats@rekpauze_test_bot", chat=group)
    updates = await bot.get_updates()
    assert [u.message.text for u in updates] == ["/stats@rekpauze_test_bot"]


# --- flood control --------------------------------------------------------------------------


async def test_global_flood_limit_and_retry_after(
    bot: Bot, server: BotAPIServer, clock: ManualClock
) -> None:
    users = [server.add_user(f"U{i}", started=True) for i in range(31)]
    for target in users[:30]:
        await bot.send_message(target.id, "Rekpauze!")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(users[30].id, "one too many")
    # A timedelta: importing `bot` opts in to PTB_TIMEDELTA (see bot/__init__.py).
    assert caught.value.retry_after == timedelta(seconds=1)
    assert server.stats.too_many_requests == 1
    clock.advance(1)
    await bot.send_message(users[30].id, "now it fits")


async def test_paid_broadcasts_go_past_the_free_limit_up_to_the_paid_one(
    clock: ManualClock,
) -> None:
    """Issue 20: with allow_paid_broadcast a send goes past the free 30 a second, up to the
    paid limit (sends of either kind in the second); without it, 30 stays the limit."""
    stand_in = BotAPIServer(clock=clock, limits=FloodLimits(paid_per_second=100))
    await stand_in.start()
    try:
        async with Bot(stand_in.token, base_url=stand_in.base_url) as bot:
            users = [stand_in.add_user(f"U{i}", started=True) for i in range(102)]
            for target in users[:30]:
                await bot.send_message(target.id, "free")
            with pytest.raises(RetryAfter):
                await bot.send_message(users[30].id, "free, one too many")
            for target in users[30:100]:  # 30 free + 70 paid = 100 in the second
                await bot.send_message(target.id, "paid", allow_paid_broadcast=True)
            assert stand_in.stats.paid_broadcasts == 70
            with pytest.raises(RetryAfter):
                await bot.send_message(users[100].id, "paid", allow_paid_broadcast=True)
            with pytest.raises(RetryAfter):
                await bot.send_message(users[101].id, "free")
            assert stand_in.stats.too_many_requests == 3
            clock.advance(1)
            await bot.send_message(users[100].id, "paid", allow_paid_broadcast=True)
            await bot.send_message(users[101].id, "free again")
            with pytest.raises(BadRequest, match=r"(?i)must be of type boolean"):
                await bot.send_message(
                    users[0].id, "?", api_kwargs={"allow_paid_broadcast": "perhaps"}
                )
    finally:
        await stand_in.stop()


async def test_the_paid_flag_does_not_lift_a_chats_own_limit(
    bot: Bot, server: BotAPIServer, user: User
) -> None:
    for i in range(5):
        await bot.send_message(user.id, f"burst {i}", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(user.id, "too fast, paid or not", allow_paid_broadcast=True)


async def test_private_chat_burst_then_one_per_second(
    bot: Bot, server: BotAPIServer, clock: ManualClock, user: User
) -> None:
    for i in range(5):
        await bot.send_message(user.id, f"burst {i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(user.id, "too fast")
    clock.advance(1)
    await bot.send_message(user.id, "one more")
    with pytest.raises(RetryAfter):
        await bot.send_message(user.id, "too fast again")
    assert server.stats.too_many_requests_by_chat[user.id] == 2


async def test_group_limit_is_20_per_minute(
    bot: Bot, server: BotAPIServer, clock: ManualClock
) -> None:
    group = server.add_group("Team", owner=server.add_user("O"))
    for i in range(20):
        clock.advance(0.5)
        await bot.send_message(group.id, f"msg {i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(group.id, "21st")
    clock.advance(60)
    await bot.send_message(group.id, "a minute later")


async def test_edits_have_their_own_budget(
    bot: Bot, server: BotAPIServer, clock: ManualClock, user: User
) -> None:
    message = await bot.send_message(user.id, "60")
    for second in range(59, 49, -1):  # a countdown: one edit a second passes
        clock.advance(1)
        await bot.edit_message_text(str(second), user.id, message.message_id)
    for second in range(4):  # the bucket holds 5 and the countdown used one
        await bot.edit_message_text(f"storm {second}", user.id, message.message_id)
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("storm 5", user.id, message.message_id)
    await bot.send_message(user.id, "sends are unaffected")


async def test_limits_can_be_switched_off(clock: ManualClock) -> None:
    async with BotAPIServer(clock=clock, limits=FloodLimits.off()) as server:
        target = server.add_user("Bulk", started=True)
        async with Bot(server.token, base_url=server.base_url) as bot:
            for i in range(40):
                await bot.send_message(target.id, str(i))
        assert len(server.messages(target)) == 40


# --- fault injection ------------------------------------------------------------------------


async def test_scripted_429_for_one_chat(bot: Bot, server: BotAPIServer, user: User) -> None:
    other = server.add_user("Other", started=True)
    server.fail_next("sendMessage", retry_after=2, chat_id=user, times=3)
    for _ in range(3):
        with pytest.raises(RetryAfter):
            await bot.send_message(user.id, "x")
        await bot.send_message(other.id, "other chats are fine")
    await bot.send_message(user.id, "fourth goes through")
    assert server.stats.scripted_faults == 3


async def test_scripted_server_errors_are_network_errors(
    bot: Bot, server: BotAPIServer, user: User
) -> None:
    server.fail_next(status=502)
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(user.id, "x")
    server.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "x")
    assert server.messages(user) == []
    await bot.send_message(user.id, "recovered")


async def test_dropped_connection(bot: Bot, server: BotAPIServer, user: User) -> None:
    server.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "lost")
    assert server.messages(user) == []
    server.drop_next("sendMessage", after_processing=True)
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "delivered, but the bot can't know")
    assert [m.text for m in server.messages(user)] == ["delivered, but the bot can't know"]
    assert server.stats.dropped_connections == 2


async def test_latency_delays_the_answer_not_the_effect(server: BotAPIServer, user: User) -> None:
    server.set_latency(1.0, "sendMessage")
    request = HTTPXRequest(read_timeout=0.1)
    async with Bot(server.token, base_url=server.base_url, request=request) as slow_bot:
        with pytest.raises(TimedOut):
            await slow_bot.send_message(user.id, "slow")
    assert [m.text for m in server.messages(user)] == ["slow"]
    server.set_latency(0, "sendMessage")


# --- editing, deleting, buttons -------------------------------------------------------------


async def test_edit_rules(bot: Bot, server: BotAPIServer, user: User) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Klaar", callback_data="done")]])
    sent = await bot.send_message(
        user.id, "<b>Stap 1</b>", parse_mode="HTML", reply_markup=keyboard
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Stap 1</b>", user.id, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    edited = await bot.edit_message_text("Stap 2", user.id, sent.message_id)
    assert edited.text == "Stap 2" and edited.reply_markup is None  # no markup removes it
    assert server.messages(user)[0].text == "Stap 2"
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", user.id, 9999)
    await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard)
    assert server.messages(user)[0].buttons == keyboard.to_dict()["inline_keyboard"]


async def test_button_press_answered_once(
    bot: Bot, server: BotAPIServer, clock: ManualClock, user: User
) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Klaar", callback_data="done:7"),
                InlineKeyboardButton("Info", url="https://example.org"),
            ]
        ]
    )
    await bot.send_message(user.id, "Rekpauze", reply_markup=keyboard)
    reminder = await server.wait_for_message(user)
    with pytest.raises(LookupError):
        await server.press_button(user, reminder, "Later")
    with pytest.raises(ValueError, match=r"(?i)url button"):
        await server.press_button(user, reminder, "Info")
    query = await server.press_button(user, reminder, "done:7")  # by callback_data
    updates = await bot.get_updates()
    pressed = updates[-1].callback_query
    assert pressed is not None and pressed.data == "done:7" and pressed.id == query.id
    assert pressed.message.message_id == reminder.message_id
    assert await pressed.answer("Goed gedaan!")
    assert (await server.wait_for_answer(query)).answer_text == "Goed gedaan!"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await pressed.answer("twice")
    late = await server.press_button(user, reminder, "Klaar")
    clock.advance(16)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(late.id)


async def test_command_menus(bot: Bot, server: BotAPIServer, user: User) -> None:
    await bot.set_my_commands(
        [("start", "Begin"), ("oefening", "Een oefening")], language_code="nl"
    )
    await bot.set_my_commands([("start", "Start")])
    assert [c["command"] for c in server.commands(language_code="nl")] == ["start", "oefening"]
    assert server.commands() == [{"command": "start", "description": "Start"}]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Start!", "bad")])
    assert await bot.set_my_commands([], language_code="nl")  # an empty list deletes
    assert server.commands(language_code="nl") == []


# --- updates --------------------------------------------------------------------------------


async def test_long_poll_returns_when_a_user_writes(bot: Bot, server: BotAPIServer) -> None:
    anke = server.add_user("Anke")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)  # let the long poll reach the server (a real wait, not a clock)
    assert not poll.done()
    await server.send_text(anke, "/start")
    updates = await asyncio.wait_for(poll, 5)
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"
    again = await bot.get_updates()  # not confirmed yet: delivered again
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()
    assert server.pending_updates == 0


async def test_second_poller_ends_the_first_with_conflict(server: BotAPIServer) -> None:
    from telegram.error import Conflict

    async with (
        Bot(server.token, base_url=server.base_url) as first,
        Bot(server.token, base_url=server.base_url) as second,
    ):
        poll = asyncio.create_task(first.get_updates(timeout=10))
        await asyncio.sleep(0.05)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await asyncio.wait_for(poll, 5)


async def test_wait_for_message_reads_in_order_and_times_out(
    bot: Bot, server: BotAPIServer, user: User
) -> None:
    await bot.send_message(user.id, "one")
    await bot.send_message(user.id, "two")
    assert (await server.wait_for_message(user)).text == "one"
    assert (await server.wait_for_message(user)).text == "two"
    with pytest.raises(TimeoutError, match=r"(?i)no matching bot message"):
        await server.wait_for_message(user, timeout=0.05)
    later = asyncio.create_task(server.wait_for_message(user, lambda m: "three" in m.content))
    await bot.send_message(user.id, "three")
    assert (await asyncio.wait_for(later, 5)).text == "three"


async def test_ptb_application_polls_and_replies(server: BotAPIServer) -> None:
    """The whole loop later end-to-end tests rely on: Application -> getUpdates -> handler ->
    sendMessage -> a button press -> answerCallbackQuery, then a clean shutdown."""
    from telegram import Update
    from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Klaar", callback_data="done")]])
        await update.effective_message.reply_html(
            "<b>Welkom</b> bij Rekpauze", reply_markup=keyboard
        )

    async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Goed zo")
        await update.callback_query.edit_message_text("Gedaan ✅")

    app = Application.builder().token(server.token).base_url(server.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(done))
    anke = server.add_user("Anke", language_code="nl")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5, drop_pending_updates=True)
        await app.start()
        await server.send_text(anke, "/start")
        welcome = await server.wait_for_message(anke)
        assert welcome.text == "Welkom bij Rekpauze" and welcome.button_labels == ["Klaar"]
        query = await server.press_button(anke, welcome, "Klaar")
        assert (await server.wait_for_answer(query)).answer_text == "Goed zo"
        await server.wait_until(lambda: welcome.text == "Gedaan ✅")
        await app.updater.stop()
        await app.stop()
    assert server.pending_updates == 0
    assert not [call for call in server.calls if not call.ok]


async def test_replies_must_point_at_an_existing_message(
    bot: Bot, server: BotAPIServer, user: User
) -> None:
    asked = await server.send_text(user, "Welke oefening?")
    answer = await bot.send_message(user.id, "Deze", reply_to_message_id=asked.message_id)
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Welke oefening?"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(user.id, "x", reply_to_message_id=9999)
    await bot.send_message(user.id, "x", reply_to_message_id=9999, allow_sending_without_reply=True)


async def test_press_by_message_id_and_wait_until(
    bot: Bot, server: BotAPIServer, user: User
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Later", callback_data="snooze")]])
    sent = await bot.send_message(user.id, "Rekpauze", reply_markup=keyboard)
    query = await server.press_button(user, sent.message_id, "Later")
    assert query.data == "snooze" and not query.answered
    assert server.pending_updates == 2  # /start from the fixture, and the press
    confirm = asyncio.create_task(bot.get_updates(offset=-1))
    await server.wait_until(lambda: server.pending_updates == 1)
    await confirm


async def test_commands_for_other_bots_do_not_reach_this_one(
    bot: Bot, server: BotAPIServer
) -> None:
    anke = server.add_user("Anke")
    group = server.add_group("Team", members=[anke])
    await server.send_text(anke, "/start@some_other_bot", chat=group)
    await server.send_text(anke, "/start", chat=group)
    assert [u.message.text for u in await bot.get_updates()] == ["/start"]
