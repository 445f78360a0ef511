"""The one command registry: every command's names, who may use it, and its description key.
It drives the CommandHandlers (bot.handlers.registry binds each name to its callback), the
menus set with setMyCommands, /help, and the group admin gate; and `message_command` reads
which command a message gives by the same rule python-telegram-bot's CommandHandler applies."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand, Message, MessageEntity

from bot.i18n import t


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...] = ()  # Dutch aliases, shown in the Dutch menu
    #: In a group, only its administrators may use it: it changes what the group gets, or
    #: hands out or erases the group's data.
    group_admin: bool = False
    #: Only for ADMIN_USER_IDS, in private: not in menus or /help, unknown to anyone else.
    operator: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


COMMANDS: tuple[Command, ...] = (
    Command("start", group_admin=True),
    Command("exercise", ("oefening",)),
    Command("exercises", ("oefeningen",)),
    Command("settings", ("instellingen",), group_admin=True),
    Command("times", ("tijden",), group_admin=True),
    Command("days", ("dagen",), group_admin=True),
    Command("timezone", ("tijdzone",), group_admin=True),
    Command("place", ("plek",), group_admin=True),
    Command("language", ("taal",), group_admin=True),
    Command("pause", ("pauze",), group_admin=True),
    Command("resume", ("hervat",), group_admin=True),
    Command("stop", ("stoppen",), group_admin=True),
    Command("safety", ("veiligheid",)),
    Command("privacy"),
    Command("export", group_admin=True),
    Command("delete", ("verwijder",), group_admin=True),
    # Private chats only (the handler says so in a group): a calendar is one person's, and
    # its secret address must not be posted where the whole group can read it.
    Command("calendar", ("agenda",)),
    Command("stats", ("voortgang", "statistieken")),
    Command("summary", ("samenvatting",)),
    Command("nudge", ("duwtje",)),
    Command("help", ("hulp",)),
    Command("admin", operator=True),
    Command("broadcast", operator=True),
)

PUBLIC = tuple(cmd for cmd in COMMANDS if not cmd.operator)
#: Every name (alias included) of a command that needs a group's administrator.
GROUP_ADMIN_NAMES = frozenset(name for cmd in COMMANDS if cmd.group_admin for name in cmd.names)


def needs_group_admin(name: str | None) -> bool:
    return name in GROUP_ADMIN_NAMES


def menu(lang: str) -> list[BotCommand]:
    """The command menu in one language; Dutch users see Dutch aliases where they exist."""
    return [
        BotCommand(
            cmd.aliases[0] if lang == "nl" and cmd.aliases else cmd.name,
            t(lang, f"command.{cmd.name}"),
        )
        for cmd in PUBLIC
    ]


def help_lines(lang: str) -> list[str]:
    lines = []
    for cmd in PUBLIC:
        names = " ".join(f"/{n}" for n in cmd.names)
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
