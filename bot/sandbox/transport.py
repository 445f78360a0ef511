"""The stand-in's HTTP side: `/bot<token>/<method>` routing, parameters in any of the encodings
the Bot API accepts, the JSON answer envelope, the call log, and scripted faults on the wire.

The Bot API behaviour itself lives in the method groups (bot/sandbox/methods/); they register
their handlers on a `MethodTable` the transport routes to.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .faults import Fault, FaultPlan
from .state import ApiCall
from .validation import MAX_DOCUMENT_BYTES, ApiError, Params, Upload, bad_request
from .world import World

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,128}")

Handler = Callable[[Params], Awaitable[Any]]


class MethodTable:
    """Bot API method name -> handler; names match case-insensitively, as Telegram's do."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[str, Handler]] = {}

    def add(self, name: str, handler: Handler) -> None:
        self._handlers[name.lower()] = (name, handler)

    def get(self, requested: str) -> tuple[str, Handler] | None:
        return self._handlers.get(requested.lower())

    def names(self) -> list[str]:
        return sorted(name for name, _ in self._handlers.values())


class Transport:
    """Answers HTTP requests by calling the registered method handlers."""

    def __init__(
        self, token: str, methods: MethodTable, world: World, faults: FaultPlan, max_calls: int
    ) -> None:
        self.token = token
        self.methods = methods
        self.world = world
        self.faults = faults
        self.calls: deque[ApiCall] = deque(maxlen=max_calls)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str, port: int) -> str:
        """Listen on host:port (0 picks a free port) and return `http://host:port`."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        app = web.Application(client_max_size=MAX_DOCUMENT_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_http)
        # access_log=None: aiohttp's access log would print URLs, and URLs carry the token.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound = runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle_http(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not TOKEN_RE.fullmatch(token):
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if token != self.token:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        entry = self.methods.get(request.match_info["method"])
        if entry is None:
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        name, handler = entry
        stats = self.world.stats
        stats.requests += 1
        stats.by_method[name] += 1
        stats.in_flight[name] += 1
        try:
            return await self._handle_call(request, name, handler)
        finally:  # also when the bot hangs up (handler cancellation)
            stats.in_flight[name] -= 1

    async def _handle_call(
        self, request: web.Request, name: str, handler: Handler
    ) -> web.StreamResponse:
        try:
            params = await read_params(request)
        except ApiError as exc:
            return self._answer(name, Params({}), exc.status, exc.to_json(), None)
        chat_hint = params.chat_id_hint()
        fault = self.faults.take(name.lower(), chat_hint)
        if fault is not None and not (fault.drop and fault.after_processing):
            return self._fault_answer(request, name, params, fault, chat_hint)
        try:
            result = await handler(params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.to_json()
        self.world.changed()  # wait_until conditions may depend on any call
        delay = self.faults.delay_for(name.lower())
        if delay:
            await asyncio.sleep(delay)  # the call is carried out; only the answer is late
        if fault is not None:  # dropped after processing
            return self._fault_answer(request, name, params, fault, chat_hint)
        return self._answer(name, params, status, body, chat_hint)

    def _log(
        self,
        name: str,
        params: Params,
        status: int,
        body: dict[str, Any] | None,
        chat_id: int | None,
        fault: bool,
    ) -> None:
        self.calls.append(
            ApiCall(
                name,
                params.loggable(),
                status,
                body,
                self.world.clock(),
                chat_id,
                fault,
                tuple(params.uploads),
            )
        )
        if status not in (0, 200):
            self.world.stats.errors_by_status[status] += 1

    def _answer(
        self,
        name: str,
        params: Params,
        status: int,
        body: dict[str, Any],
        chat_id: int | None,
        *,
        fault: bool = False,
    ) -> web.Response:
        self._log(name, params, status, body, chat_id, fault)
        if status != 200:
            log.debug("%s -> %s %s", name, status, body.get("description"))
        else:
            log.debug("%s -> ok", name)
        return _json(status, body)

    def _fault_answer(
        self, request: web.Request, name: str, params: Params, fault: Fault, chat_id: int | None
    ) -> web.Response:
        self.world.stats.scripted_faults += 1
        if fault.drop:
            self.world.stats.dropped_connections += 1
            self._log(name, params, 0, None, chat_id, True)
            log.debug("%s -> connection dropped (scripted)", name)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=200)  # never written: the transport is gone
        if fault.raw_body is not None:
            self._log(name, params, fault.status, {"description": fault.description}, chat_id, True)
            return web.Response(status=fault.status, text=fault.raw_body, content_type="text/html")
        error = ApiError(fault.status, fault.description, fault.parameters)
        return self._answer(name, params, fault.status, error.to_json(), chat_id, fault=True)


async def read_params(request: web.Request) -> Params:
    """Query string plus a JSON, urlencoded or multipart body, as the Bot API accepts them."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected")
                values.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(
                        key, value.filename, value.content_type, value.file.read()
                    )
                else:
                    values[key] = value
        else:
            await request.read()
    return Params(values, uploads)


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )
