"""Chats and their members: getChatMember (the bot's admin checks) and getChatMemberCount."""

from __future__ import annotations

from typing import Any

from ..state import PRIVATE, chat_member
from ..transport import MethodTable
from ..validation import Params, bad_request
from ..world import World


class MemberMethods:
    def __init__(self, world: World) -> None:
        self.world = world

    def register(self, table: MethodTable) -> None:
        table.add("getChatMember", self.get_chat_member)
        table.add("getChatMemberCount", self.get_chat_member_count)

    async def get_chat_member(self, params: Params) -> dict[str, Any]:
        world = self.world
        chat = world.readable_chat(params)
        user_id = params.require_int("user_id", "user_id is empty")
        if user_id == world.bot.id:
            status = "member" if chat.type == PRIVATE else chat.bot_status
            return chat_member(world.bot, status).to_dict()
        user = world.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == PRIVATE:
            if chat.user is not user:
                raise bad_request("user not found")
            return chat_member(user, "member").to_dict()
        return chat_member(user, chat.members.get(user_id, "left")).to_dict()

    async def get_chat_member_count(self, params: Params) -> int:
        chat = self.world.readable_chat(params)
        if chat.type == PRIVATE:
            return 2
        return len(chat.members) + (1 if chat.bot_status in ("member", "administrator") else 0)
