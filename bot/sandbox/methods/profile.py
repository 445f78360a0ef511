"""The bot's own account: getMe, and the command menus it sets with setMyCommands."""

from __future__ import annotations

import re
from typing import Any

from ..transport import MethodTable
from ..validation import Params, bad_request
from ..world import World

_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

ScopeKey = tuple[str, int | None, int | None]


class ProfileMethods:
    """getMe and setMyCommands; keeps the menus per scope and language."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.menus: dict[tuple[ScopeKey, str], list[dict[str, str]]] = {}

    def register(self, table: MethodTable) -> None:
        table.add("getMe", self.get_me)
        table.add("setMyCommands", self.set_my_commands)

    async def get_me(self, params: Params) -> dict[str, Any]:
        return self.world.bot.to_telegram(
            can_join_groups=True,
            can_read_all_group_messages=not self.world.privacy_mode,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        ).to_dict()

    async def set_my_commands(self, params: Params) -> bool:
        raw = params.get_json("commands", "commands JSON array")
        if not isinstance(raw, list):
            raise bad_request("can't parse commands JSON array")
        if len(raw) > 100:
            raise bad_request("too many commands specified")
        commands: list[dict[str, str]] = []
        for item in raw:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not _BOT_COMMAND_RE.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": command, "description": description})
        scope = params.get_json("scope", "BotCommandScope JSON object") or {"type": "default"}
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        key = (self.scope_key(scope), language)
        if commands:
            self.menus[key] = commands
        else:
            self.menus.pop(key, None)
        return True

    def menu(self, scope: dict[str, Any], language_code: str) -> list[dict[str, str]]:
        """The commands set for exactly this scope and language."""
        return list(self.menus.get((self.scope_key(scope), language_code), []))

    def scope_key(self, scope: Any) -> ScopeKey:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        chat_id: int | None = None
        user_id: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            raw = scope.get("chat_id")
            if raw is None:
                raise bad_request("chat_id is empty")
            chat_id = self.world.lookup_chat(raw if isinstance(raw, int | str) else "").id
        if kind == "chat_member":
            user_id = scope.get("user_id")
            if not isinstance(user_id, int) or user_id not in self.world.users:
                raise bad_request("user not found")
        return kind, chat_id, user_id
