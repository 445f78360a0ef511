"""Every reminder text and button the engine can produce is valid for Telegram."""

from __future__ import annotations

import json

import pytest

from bot import telegram_html
from bot.content.loader import get_catalogue
from bot.i18n import LANGUAGES, t
from bot.outbox import to_markup
from bot.services.reminders import (
    ANOTHER,
    DONE,
    LATER,
    MEETING,
    MEETING_MINUTES,
    SHOW,
    SKIP,
    callback_data,
    keyboard,
    meeting_keyboard,
    parse_callback,
    reminder_text,
)
from bot.services.safety import SAFETY_DATA

BIGGEST_ID = 10**18 - 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_routine_in_every_state_is_valid_html_within_limits(lang: str) -> None:
    statuses = [
        None,
        t(lang, "reminder.status.done"),
        t(lang, "reminder.status.snoozed", time="23:59"),
        t(lang, "reminder.status.skipped", when="woensdag 30 december 23:59"),
        t(lang, "reminder.status.skipped_none"),
    ]
    catalogue = get_catalogue()
    for routine in catalogue.routines:
        for kind in ("reminder", "snooze"):
            for status in statuses:
                text = reminder_text(catalogue, routine.id, lang, kind=kind, status=status)
                telegram_html.check_message(text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_buttons_fit_telegram(lang: str) -> None:
    markup = to_markup(keyboard(BIGGEST_ID, lang)).to_dict()  # type: ignore[union-attr]
    buttons = [b for row in markup["inline_keyboard"] for b in row]
    assert len(buttons) == 7  # Done, Later, In a meeting, Another, Skip, Show me, safety
    for button in buttons:
        telegram_html.check_callback_data(button["callback_data"])
        assert len(button["callback_data"].encode()) <= 64
    assert len(json.dumps(markup)) < 1000


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("snoozable", "group"), [(True, False), (False, False), (True, True)])
def test_safety_is_one_tap_from_every_reminder(lang: str, snoozable: bool, group: bool) -> None:
    buttons = keyboard(BIGGEST_ID, lang, snoozable=snoozable, group=group)
    data = [b.data for row in buttons for b in row]
    assert data.count(SAFETY_DATA) == 1
    assert parse_callback(SAFETY_DATA) is None  # answered by /safety's handler, not by r1:


def test_callback_data_round_trips() -> None:
    for action in (DONE, LATER, ANOTHER, SKIP, SHOW, MEETING, *MEETING_MINUTES):
        assert parse_callback(callback_data(action, BIGGEST_ID)) == (action, BIGGEST_ID)
        assert len(callback_data(action, BIGGEST_ID).encode()) <= 64


@pytest.mark.parametrize("lang", LANGUAGES)
def test_meeting_choices_fit_telegram(lang: str) -> None:
    data = [b.data for row in meeting_keyboard(BIGGEST_ID, lang) for b in row]
    assert [parse_callback(d) for d in data] == [
        ("m15", BIGGEST_ID),
        ("m30", BIGGEST_ID),
        ("m60", BIGGEST_ID),
        ("d", BIGGEST_ID),
    ]


@pytest.mark.parametrize(
    "data",
    [
        None,
        5,
        b"r1:d:1",
        "",
        "r1:d:0",
        "r2:d:1",
        "r1:D:1",
        " r1:d:1",
        "r1:d:1 ",
        "r1:m45:1",
        "r1:m1:1",
        "r1:mm:1",
    ],
)
def test_anything_else_is_refused(data: object) -> None:
    assert parse_callback(data) is None


def test_an_unknown_routine_still_renders() -> None:
    telegram_html.check_message(reminder_text(get_catalogue(), "no-longer-exists", "nl"))
