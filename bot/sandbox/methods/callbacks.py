"""Button presses: answerCallbackQuery, once per press and only while it is fresh."""

from __future__ import annotations

from ..state import BotEvent
from ..transport import MethodTable
from ..validation import Params, bad_request, callback_answer_text
from ..world import World

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class CallbackMethods:
    def __init__(self, world: World) -> None:
        self.world = world

    def register(self, table: MethodTable) -> None:
        table.add("answerCallbackQuery", self.answer_callback_query)

    async def answer_callback_query(self, params: Params) -> bool:
        world = self.world
        record = world.queries.get(params.get_str("callback_query_id") or "")
        ttl = world.callback_query_ttl
        if (
            record is None
            or record.answered
            or (ttl is not None and world.clock() - record.created > ttl)
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = callback_answer_text(params)
        record.answered = True
        record.answer_text = text
        record.show_alert = params.get_bool("show_alert")
        record.answer_url = params.get_str("url")
        world.changed(BotEvent("callback_answer", record.message.chat, record.message, record))
        return True
