"""The command list: one source for /help and for the menu set with setMyCommands; and which
command a message gives, by the same rule python-telegram-bot's CommandHandler applies."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand, Message, MessageEntity

from bot.i18n import t


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...] = ()  # Dutch aliases, shown in the Dutch menu


COMMANDS: tuple[Command, ...] = (
    Command("start"),
    Command("exercise", ("oefening",)),
    Command("exercises", ("oefeningen",)),
    Command("settings", ("instellingen",)),
    Command("times", ("tijden",)),
    Command("days", ("dagen",)),
    Command("timezone", ("tijdzone",)),
    Command("place", ("plek",)),
    Command("language", ("taal",)),
    Command("pause", ("pauze",)),
    Command("resume", ("hervat",)),
    Command("stop", ("stoppen",)),
    Command("safety", ("veiligheid",)),
    Command("privacy"),
    Command("export"),
    Command("delete", ("verwijder",)),
    Command("stats", ("voortgang", "statistieken")),
    Command("summary", ("samenvatting",)),
    Command("nudge", ("duwtje",)),
    Command("help", ("hulp",)),
)


def menu(lang: str) -> list[BotCommand]:
    """The command menu in one language; Dutch users see Dutch aliases where they exist."""
    return [
        BotCommand(
            cmd.aliases[0] if lang == "nl" and cmd.aliases else cmd.name,
            t(lang, f"command.{cmd.name}"),
        )
        for cmd in COMMANDS
    ]


def help_lines(lang: str) -> list[str]:
    lines = []
    for cmd in COMMANDS:
        names = " ".join(f"/{n}" for n in (cmd.name, *cmd.aliases))
        lines.append(f"{names} — {t(lang, f'command.{cmd.name}')}")
    return lines


def message_command(message: Message | None, bot_username: str | None) -> str | None:
    """The command this message gives this bot ("/Tijden@rekpauze_bot, 10:00" -> "tijden"),
    or None for plain text and commands addressed to another bot.

    Read from the leading `bot_command` entity, exactly as CommandHandler reads it: Telegram
    ends that entity at the first character that is not a letter, digit or underscore, so
    "/stop!" or "/times, 06:30" run /stop and /times. Any check that splits the text on
    whitespace instead would see "stop!" and let such a message past a permission check."""
    if message is None or not message.text or not message.entities:
        return None
    entity = message.entities[0]
    if entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return None
    name, _, target = message.parse_entity(entity)[1:].partition("@")
    if target and (not bot_username or target.lower() != bot_username.lower()):
        return None
    return name.lower() or None
