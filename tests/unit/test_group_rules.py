"""The group rules as plain functions: which commands and buttons need an admin, the admin
cache's lifetime, the "who moved" line within Telegram's limits, the team's week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot, Message

from bot import telegram_html
from bot.commands import message_command, needs_group_admin
from bot.content import get_catalogue
from bot.services import groups
from bot.services.groups import (
    AdminCache,
    GroupReminder,
    build_team_week,
    button_needs_admin,
    moved_line,
    render_group_reminder,
)
from tests.fakes import TOKEN, message_update

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/tijden 10:00", "tijden"),
        ("/Tijden@Rekpauze_Bot 10:00", "tijden"),
        ("/stats@rekpauze_bot", "stats"),
        ("/tijden@other_bot 10:00", None),
        ("tijden 10:00", None),
        ("/", None),
        ("", None),
        # Telegram ends the command entity at the first character that cannot be part of
        # it, and CommandHandler runs the command it names: so must every permission check.
        ("/stop!", "stop"),
        ("/times, 06:30", "times"),
        ("/times\u200b 07:45", "times"),
        ("/pause.", "pause"),
        ("/language, nl", "language"),
        ("/days, sat", "days"),
        ("/export.", "export"),
        ("/start.", "start"),
        ("/stoppen@rekpauze_bot!", "stoppen"),
        ("/tijden@rekpauze_bot, 06:30", "tijden"),
        ("hallo /stop", None),  # a command later in the text is not the message's command
    ],
)
def test_message_command_follows_the_bot_command_entity(text: str, command: str | None) -> None:
    """The same messages as Telegram builds them (entities from the stand-in's rule)."""
    message = message_update(Bot(TOKEN), text).message
    assert message_command(message, "rekpauze_bot") == command


def test_message_command_counts_entity_offsets_in_utf16_units() -> None:
    text = "/tijden 🧘 10:00"
    message = Message.de_json(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
        None,
    )
    assert message_command(message, "rekpauze_bot") == "tijden"
    assert message_command(None, "rekpauze_bot") is None


def test_settings_commands_need_an_admin_and_looking_does_not() -> None:
    for name in ("start", "times", "tijden", "pauze", "stop", "delete", "export", "settings"):
        assert needs_group_admin(name), name
    for name in ("stats", "help", "hulp", "exercise", "oefening", "safety", "privacy", None):
        assert not needs_group_admin(name), name


def test_buttons_that_need_an_admin() -> None:
    for data in ("st:l:en", "ob:c", "dl:y:123", "r1:l:5", "r1:a:5", "r1:s:5"):
        assert button_needs_admin(data), data
    # Show me ("r1:v") only sends the routine's animations: anyone may press it.
    for data in ("r1:d:5", "r1:v:5", "ex:d:neck", "gd:s:neck", "r1:x:5", None):
        assert not button_needs_admin(data), data


def test_the_admin_cache_is_an_optimisation_of_seconds() -> None:
    cache = AdminCache(max_entries=3)
    cache.put(-1, 7, True, NOW)
    assert cache.get(-1, 7, NOW + timedelta(seconds=29)) is True
    assert cache.get(-1, 7, NOW + groups.ADMIN_CACHE) is None
    assert cache.get(-1, 7, NOW - timedelta(seconds=1)) is None  # a clock set back
    assert timedelta(minutes=1) >= groups.ADMIN_CACHE
    for user_id in range(10):  # bounded
        cache.put(-1, user_id, False, NOW)
    assert len(cache._seen) <= 3
    cache.forget_chat(-1)
    assert cache.get(-1, 9, NOW) is None


def test_moved_line_escapes_and_counts() -> None:
    assert moved_line("en", ["A&B", "<i>"], 5) == "<b>2 of 5 moved:</b> A&amp;B, &lt;i&gt;"
    assert moved_line("nl", ["Anke"], 4) == "<b>1 van 4 heeft bewogen:</b> Anke"
    assert moved_line("en", ["A", "B", "C"], 2).startswith("<b>3 of 3 moved")  # never fewer


def test_a_crowd_is_truncated_and_the_message_stays_under_4096() -> None:
    names = tuple(f"{'W' * 31}{i}" for i in range(400))
    reminder = GroupReminder(1, -5, 9, "nl", None, "reminder", names)
    text, markup = render_group_reminder(reminder, 1000, get_catalogue())
    telegram_html.check_message(text)
    visible = telegram_html.parse(text).text
    assert len(visible) < telegram_html.MAX_TEXT
    assert "400 van 1000 hebben bewogen" in text and "en nog " in text
    assert [b.data for row in markup for b in row] == ["r1:d:1", "r1:v:1", "sf:s"]


def test_names_are_shortened_and_blank_ones_named() -> None:
    assert groups.short_name("  Anke \n Jansen ", "nl") == "Anke Jansen"
    assert groups.short_name("", "nl") == "iemand"
    assert len(groups.short_name("x" * 64, "en")) == groups.MAX_NAME


def test_team_week_counts_local_days_from_monday() -> None:
    rows = [
        (1, "An", datetime(2026, 11, 22, 23, 30, tzinfo=UTC)),  # Monday 00:30 in Amsterdam
        (1, None, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        (2, "Bo", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
        (3, None, datetime(2026, 11, 21, 9, 0, tzinfo=UTC)),  # last week
    ]
    week = build_team_week(rows, "Europe/Amsterdam", NOW, "en", known={3: "Cas"})
    assert [n for _, n in week.days] == [2, 0, 1]
    assert week.members == (("An", 2), ("Bo", 1)) and week.total == 3
    utc = build_team_week(rows, "UTC", NOW, "en")
    assert [n for _, n in utc.days] == [1, 0, 1]  # in UTC the first one is last Sunday
