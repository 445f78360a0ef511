"""The bot's HTTP server (aiohttp): health, readiness and metrics in every mode, and the
Telegram webhook when WEBHOOK_URL is set.

The webhook follows python-telegram-bot's "custom webhook" approach: this server checks the
secret header, parses the update and puts it on `application.update_queue`; the Application
processes it exactly as it would a polled one. Telegram gets its 200 at once, before the
handlers run, so a slow handler never makes Telegram retry.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import metrics
from bot.context import BotData
from bot.storage.db import Database
from bot.updates import parse_update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # Telegram's updates are a few KiB; anything near this is abuse
DB_TIMEOUT_SECONDS = 2.0

AnyApplication = Any  # telegram.ext.Application with any type parameters


def _sqlite_file_missing(db: Database) -> bool:
    path = db.engine.url.database
    return bool(db.is_sqlite and path and path != ":memory:" and not path.startswith("file:")) and (
        not Path(path).exists()  # type: ignore[arg-type]
    )


async def database_problem(db: Database, limit: float = DB_TIMEOUT_SECONDS) -> str | None:
    """None when the database answers within `limit` seconds, otherwise a short reason.

    A SQLite file that disappeared still answers on pooled connections (they hold the old
    inode), while everything written there is lost on the next start; so a missing file
    counts as unreachable too.
    """
    if _sqlite_file_missing(db):  # one stat() call: cheaper than a thread hop
        return "database file missing"
    try:
        await asyncio.wait_for(db.ping(), limit)
    except TimeoutError:
        return f"no answer within {limit:g} s"
    except Exception as exc:  # any driver error means "not reachable"
        return f"{type(exc).__name__}"
    return None


class WebServer:
    """Health, readiness, metrics and (optionally) the webhook, on one port."""

    def __init__(
        self,
        application: AnyApplication,
        *,
        host: str,
        port: int,
        webhook_path: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        if webhook_path is not None and not webhook_secret:
            raise ValueError("a webhook needs a secret")
        self.application = application
        self.host = host
        self.port = port
        self.webhook_path = webhook_path
        self._secret = (webhook_secret or "").encode()
        self.accepting = True
        self._runner: web.AppRunner | None = None
        self.app = self._build()

    @property
    def services(self) -> BotData:
        parts: BotData = self.application.bot_data
        return parts

    def _build(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        if self.webhook_path is not None:
            app.router.add_post(self.webhook_path, self.webhook)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, shutdown_timeout=2.0)
        await site.start()
        log.info("HTTP server on %s:%s", self.host, self.port)

    def stop_accepting(self) -> None:
        """Shutting down: the webhook answers 503 (Telegram keeps the update and retries it
        later, when the next process runs) and /readyz reports not ready."""
        self.accepting = False

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, _request: web.Request) -> web.Response:
        svc = self.services
        checks: dict[str, str] = {}
        problem = await database_problem(svc.db)
        checks["database"] = problem or "ok"
        now = svc.clock()
        heartbeat = svc.heartbeat
        if not heartbeat.registered:
            checks["scheduler"] = "not configured"
            scheduler_ok = True
        else:
            age = heartbeat.age(now) or 0.0
            scheduler_ok = heartbeat.healthy(now)
            checks["scheduler"] = (
                "ok" if scheduler_ok else f"last tick {age:.0f} s ago (> {heartbeat.stale_after:g})"
            )
        processor = self.application.update_processor
        updates = self.services.poller.problem() or processor.backlog_problem()
        checks["updates"] = updates or "ok"
        if not self.accepting:
            checks["process"] = "shutting down"
        ready = problem is None and scheduler_ok and self.accepting and updates is None
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status=200 if ready else 503,
        )

    async def metrics(self, _request: web.Request) -> web.Response:
        heartbeat = self.services.heartbeat
        age = heartbeat.age(self.services.clock()) if heartbeat.registered else None
        metrics.HEARTBEAT_AGE.set(-1 if age is None else age)
        body, content_type = metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def webhook(self, request: web.Request) -> web.Response:
        if not self.accepting:
            return web.Response(status=503, text="shutting down")
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            log.warning(
                "webhook request refused: wrong or missing secret (from %s)", request.remote
            )
            return web.Response(status=403, text="forbidden")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook request refused: body over %d bytes", MAX_BODY_BYTES)
            return web.Response(status=413, text="too large")
        try:
            data = json.loads(body)
        except ValueError as exc:  # malformed input from outside: refuse, never crash
            log.warning("webhook request refused: not JSON (%s)", type(exc).__name__)
            return web.Response(status=400, text="bad request")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("webhook request refused: not an update")
            return web.Response(status=400, text="bad request")
        update = parse_update(data, self.application.bot)
        if update is not None:  # else skipped and counted; a 200 so Telegram does not resend it
            await self.application.update_queue.put(update)
        return web.Response(text="ok")
