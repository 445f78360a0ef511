"""Binds each command of the registry (bot.commands.COMMANDS) to its callback: the one place
CommandHandlers are made, so a command cannot exist in the menu and not in the bot, or the
other way round (a test checks both directions)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.commands import COMMANDS
from bot.context import Context
from bot.handlers import (
    admin,
    calendar,
    exercises,
    help,
    onboarding,
    privacy,
    progress,
    schedule,
)

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]

CALLBACKS: dict[str, Callback] = {
    "start": onboarding.start,
    "exercise": exercises.exercise_command,
    "exercises": exercises.exercises_command,
    "settings": schedule.settings_command,
    "times": schedule.times_command,
    "days": schedule.days_command,
    "timezone": schedule.timezone_command,
    "place": schedule.place_command,
    "language": schedule.language_command,
    "pause": schedule.pause_command,
    "resume": schedule.resume_command,
    "stop": schedule.stop_command,
    "safety": privacy.safety_command,
    "privacy": privacy.privacy_command,
    "export": privacy.export_command,
    "delete": privacy.delete_command,
    "calendar": calendar.calendar_command,
    "stats": progress.stats,
    "summary": progress.summary_command,
    "nudge": progress.nudge_command,
    "help": help.help_command,
    "admin": admin.admin_command,
    "broadcast": admin.broadcast_command,
}


def register_commands(
    app: Application[Any, Context, Any, Any, Any, Any], operators: frozenset[int]
) -> None:
    """One CommandHandler per command, with all its names; operator commands match only for
    ADMIN_USER_IDS in private (their numbers stay private), so for anyone else they fall
    through to the unknown-command answer."""
    only_operators = filters.User(user_id=operators) & filters.ChatType.PRIVATE
    for command in COMMANDS:
        app.add_handler(
            CommandHandler(
                list(command.names),
                CALLBACKS[command.name],
                filters=only_operators if command.operator else None,
            )
        )
