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
    #: Dutch and French aliases; the first one is the name shown in that language's menu.
    #: Telegram command names are [a-z0-9_] only, so French aliases carry no accents.
    nl: tuple[str, ...] = ()
    fr: tuple[str, ...] = ()
    #: In a group, only its administrators may use it: it changes what the group gets, or
    #: hands out or erases the group's data.
    group_admin: bool = False
    #: Only for ADMIN_USER_IDS, in private: not in menus or /help, unknown to anyone else.
    operator: bool = False

    @property
    def aliases(self) -> tuple[str, ...]:
        return (*self.nl, *self.fr)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def menu_name(self, lang: str) -> str:
        own = self.nl if lang == "nl" else self.fr if lang == "fr" else ()
        return own[0] if own else self.name


COMMANDS: tuple[Command, ...] = (
    Command("start", group_admin=True),
    Command("exercise", ("oefening",), ("exercice",)),
    Command("exercises", ("oefeningen",), ("exercices",)),
    Command("settings", ("instellingen",), ("reglages",), group_admin=True),
    Command("times", ("tijden",), ("horaires",), group_admin=True),
    Command("days", ("dagen",), ("jours",), group_admin=True),
    Command("timezone", ("tijdzone",), ("fuseau",), group_admin=True),
    Command("place", ("plek",), ("lieu",), group_admin=True),
    Command("language", ("taal",), ("langue",), group_admin=True),
    Command("pause", ("pauze",), group_admin=True),  # "pause" is French too
    Command("resume", ("hervat",), ("reprendre",), group_admin=True),
    Command("stop", ("stoppen",), ("arreter",), group_admin=True),
    Command("safety", ("veiligheid",), ("securite",)),
    Command("privacy", fr=("confidentialite",)),
    Command("export", fr=("exporter",), group_admin=True),
    Command("delete", ("verwijder",), ("supprimer",), group_admin=True),
    # Private chats only (the handler says so in a group): a calendar is one person's, and
    # its secret address must not be posted where the whole group can read it.
    Command("calendar", ("agenda",), ("calendrier",)),
    Command("stats", ("voortgang", "statistieken"), ("progres", "statistiques")),
    Command("summary", ("samenvatting",), ("bilan",)),  # not "resume": that is /resume
    Command("nudge", ("duwtje",), ("coup_de_pouce",)),
    Command("help", ("hulp",), ("aide",)),
    Command("admin", operator=True),
    Command("broadcast", operator=True),
)

PUBLIC = tuple(cmd for cmd in COMMANDS if not cmd.operator)
#: Every name (alias included) of a command that needs a group's administrator.
GROUP_ADMIN_NAMES = frozenset(name for cmd in COMMANDS if cmd.group_admin for name in cmd.names)


def needs_group_admin(name: str | None) -> bool:
    return name in GROUP_ADMIN_NAMES


def menu(lang: str) -> list[BotCommand]:
    """The command menu in one language; Dutch and French users see their language's alias
    where it exists."""
    return [BotCommand(cmd.menu_name(lang), t(lang, f"command.{cmd.name}")) for cmd in PUBLIC]


def help_lines(lang: str) -> list[str]:
    lines = []
    for cmd in PUBLIC:
        own = cmd.fr if lang == "fr" else cmd.nl  # English help keeps the Dutch aliases
        names = " ".join(f"/{n}" for n in (cmd.name, *own))
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
