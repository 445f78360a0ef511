"""The command list: one source for /help and for the menu set with setMyCommands."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand

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
