"""/help: short, in the chat's language only, grouped, with buttons for the main actions.
(/start lives in bot.handlers.onboarding.)"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.commands import PUBLIC, Command
from bot.context import Context
from bot.handlers.ui import button, keyboard
from bot.i18n import t

#: Every public command, in the group /help shows it under.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("move", ("exercise", "exercises")),
    (
        "schedule",
        (
            "settings",
            "times",
            "days",
            "timezone",
            "place",
            "language",
            "pause",
            "resume",
            "stop",
            "calendar",
        ),
    ),
    ("progress", ("stats", "summary", "nudge")),
    ("safety", ("safety", "privacy", "export", "delete")),
    ("start", ("start", "help")),
)
_BY_NAME: dict[str, Command] = {cmd.name: cmd for cmd in PUBLIC}


def command_name(lang: str, name: str) -> str:
    """The name a chat of this language types: its own alias where there is one (as in the
    command menu), else the English name."""
    return _BY_NAME[name].menu_name(lang)


def help_text(lang: str) -> str:
    lines = [t(lang, "help.intro"), ""]
    for group, names in GROUPS:
        commands = " · ".join(f"/{command_name(lang, n)}" for n in names)
        lines.append(f"<b>{t(lang, f'help.group.{group}')}</b>: {commands}")
    lines += ["", t(lang, "help.typing")]
    return "\n".join(lines)


def help_buttons(lang: str, group: bool = False) -> InlineKeyboardMarkup:
    """In a group the settings are for its administrators: no button for them there."""
    settings = [] if group else [button(t(lang, "talk.button_settings"), "tk:st")]
    return keyboard(
        [
            button(t(lang, "talk.button_exercise"), "tk:ex"),
            button(t(lang, "talk.button_browse"), "br:h"),
        ],
        [*settings, button(t(lang, "help.button_stats"), "tk:stats")],
    )


async def help_command(update: Update, context: Context) -> None:
    assert update.effective_message
    lang = await context.language()
    text = help_text(lang)
    group = bool(update.effective_chat and update.effective_chat.type in ("group", "supergroup"))
    if group:
        text += "\n\n" + t(lang, "groups.help")
    await update.effective_message.reply_text(text, reply_markup=help_buttons(lang, group))
