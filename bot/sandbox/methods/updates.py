"""How updates reach the bot: getUpdates (long polling), setWebhook and deleteWebhook."""

from __future__ import annotations

import re
from typing import Any

from ..transport import MethodTable
from ..updates import UpdateQueue, Webhook
from ..validation import Params, bad_request

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class UpdateMethods:
    def __init__(self, updates: UpdateQueue) -> None:
        self.updates = updates

    def register(self, table: MethodTable) -> None:
        table.add("getUpdates", self.get_updates)
        table.add("setWebhook", self.set_webhook)
        table.add("deleteWebhook", self.delete_webhook)

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        offset = params.get_int("offset")
        limit = params.get_int("limit", 100) or 100
        timeout = params.get_float("timeout") or 0.0
        if self.updates.webhook is None:
            self._set_allowed_updates(params)
            if offset is not None:
                self.updates.confirm(offset)
        return await self.updates.poll(max(1, min(100, limit)), timeout)

    async def set_webhook(self, params: Params) -> bool:
        url = (params.get_str("url") or "").strip()
        if not url:
            await self.updates.stop_webhook()
            return True
        if not re.match(r"(?i)https?://[^/\s]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get_str("secret_token")
        if secret is not None and secret != "" and not _SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = self._set_allowed_updates(params)
        if params.get_bool("drop_pending_updates"):
            self.updates.pending.clear()
        hook = Webhook(url, secret or None, max_connections, allowed, params.get_str("ip_address"))
        await self.updates.set_webhook(hook)
        return True

    async def delete_webhook(self, params: Params) -> bool:
        await self.updates.stop_webhook()
        if params.get_bool("drop_pending_updates"):
            self.updates.pending.clear()
        return True

    def _set_allowed_updates(self, params: Params) -> list[str] | None:
        raw = params.get_json("allowed_updates", "allowed_updates JSON array")
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise bad_request("can't parse allowed_updates JSON array")
        self.updates.allowed = frozenset(raw) if raw else None
        return list(raw)
