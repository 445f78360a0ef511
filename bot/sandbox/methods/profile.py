"""The bot's own account: getMe, the command menus it sets with setMyCommands, and the chat
menu button (setChatMenuButton: commands, or a Mini App)."""

from __future__ import annotations

import re
from typing import Any

from ..transport import MethodTable
from ..validation import Params, bad_request, web_app_url_ok
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
        #: The menu button per private chat id (None: the default for every private chat).
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}

    def register(self, table: MethodTable) -> None:
        table.add("getMe", self.get_me)
        table.add("setMyCommands", self.set_my_commands)
        table.add("setChatMenuButton", self.set_chat_menu_button)

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

    async def set_chat_menu_button(self, params: Params) -> bool:
        raw = params.get_json("menu_button", "MenuButton JSON object") or {"type": "default"}
        if not isinstance(raw, dict) or raw.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        if raw["type"] == "web_app":
            text = raw.get("text")
            if not isinstance(text, str) or not 1 <= len(text.strip()) <= 64:
                raise bad_request("BUTTON_TEXT_INVALID")
            if not web_app_url_ok(raw.get("web_app")):
                raise bad_request("BUTTON_URL_INVALID")
        chat = params.get_int("chat_id")
        key = None if chat is None else self.world.lookup_chat(chat).id
        self.menu_buttons[key] = dict(raw)
        return True

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any]:
        """The menu button a private chat shows (its own, else the default one)."""
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

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
