"""The HTTP server as Telegram, a load balancer and Prometheus see it."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from bot.storage.db import Database
from bot.web import MAX_BODY_BYTES, SECRET_HEADER, WebServer
from tests.conftest import TEST_DATABASE_URL, FakeClock
from tests.fakes import RecordingRequest, message_update, user_dict
from tests.tcp_proxy import TcpProxy

SECRET = "the-right-secret_123"


async def _client(server: WebServer) -> TestClient[Any, Any]:
    client = TestClient(TestServer(server.app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client(app: Any) -> AsyncIterator[TestClient[Any, Any]]:
    server = WebServer(
        app, host="127.0.0.1", port=0, webhook_path="/telegram", webhook_secret=SECRET
    )
    test_client = await _client(server)
    test_client.server.web_server = server  # type: ignore[attr-defined]
    yield test_client
    await test_client.close()


def _update_json(app: Any, text: str = "/help", user_id: int = 2001) -> str:
    update = message_update(app.bot, text, user=user_dict(user_id, "Fenna", "en"))
    return json.dumps(update.to_dict())


async def _until(condition: Any, limit: float = 5.0) -> None:
    """Poll a condition with a bounded wait: the update is processed by another task."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the condition is the fake API's call list
            await asyncio.sleep(0.01)


async def test_healthz_is_ok(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_webhook_without_or_with_a_wrong_secret_is_refused_and_ignored(
    client: TestClient[Any, Any], app: Any
) -> None:
    body = _update_json(app)
    missing = await client.post("/telegram", data=body)
    wrong = await client.post("/telegram", data=body, headers={SECRET_HEADER: "guess"})
    almost = await client.post("/telegram", data=body, headers={SECRET_HEADER: SECRET + "x"})
    assert (missing.status, wrong.status, almost.status) == (403, 403, 403)
    assert app.update_queue.empty()


async def test_webhook_with_the_right_secret_is_handled(
    client: TestClient[Any, Any], app: Any, fake_request: RecordingRequest
) -> None:
    await app.start()
    try:
        response = await client.post(
            "/telegram", data=_update_json(app, "/help", 2002), headers={SECRET_HEADER: SECRET}
        )
        assert response.status == 200
        await _until(lambda: fake_request.texts(2002))
        assert "/start" in fake_request.texts(2002)[0]
    finally:
        await app.stop()


async def test_webhook_refuses_oversized_and_malformed_bodies(
    client: TestClient[Any, Any], app: Any
) -> None:
    headers = {SECRET_HEADER: SECRET}
    big = await client.post("/telegram", data=b"x" * (MAX_BODY_BYTES + 1), headers=headers)
    assert big.status == 413
    for bad in (b"{not json", b"[1, 2]", b'{"no": "update id"}', "\xff".encode("latin-1")):
        response = await client.post("/telegram", data=bad, headers=headers)
        assert response.status == 400, bad
    assert app.update_queue.empty()


async def test_webhook_path_only_exists_in_webhook_mode(app: Any) -> None:
    client = await _client(WebServer(app, host="127.0.0.1", port=0))
    try:
        response = await client.post("/telegram", data=_update_json(app))
        assert response.status in (404, 405)
        assert (await client.get("/healthz")).status == 200
    finally:
        await client.close()


async def test_metrics_exposition_names_every_metric(
    client: TestClient[Any, Any], app: Any
) -> None:
    await app.process_update(message_update(app.bot, "/help", user=user_dict(2003, "G", "en")))
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    for name in (
        'rekpauze_updates_total{type="message"}',
        "rekpauze_reminders_sent_total",
        "rekpauze_reminders_failed_total",
        "rekpauze_due_backlog",
        "rekpauze_reminder_lateness_seconds_bucket",
        "rekpauze_active_subscribers",
        "rekpauze_scheduler_heartbeat_age_seconds -1.0",
        "process_resident_memory_bytes",
    ):
        assert name in text, name


async def test_readyz_follows_the_scheduler_heartbeat(
    client: TestClient[Any, Any], app: Any, clock: FakeClock
) -> None:
    heartbeat = app.bot_data.heartbeat
    body = await (await client.get("/readyz")).json()
    assert body["checks"] == {"database": "ok", "scheduler": "not configured", "updates": "ok"}
    heartbeat.register(5.0, clock())
    heartbeat.beat(clock())
    assert (await client.get("/readyz")).status == 200
    clock.advance(seconds=60)
    stale = await client.get("/readyz")
    assert stale.status == 503
    assert "last tick 60 s ago" in (await stale.json())["checks"]["scheduler"]
    heartbeat.beat(clock())
    assert (await client.get("/readyz")).status == 200


async def test_readyz_is_not_ready_while_shutting_down(client: TestClient[Any, Any]) -> None:
    client.server.web_server.stop_accepting()  # type: ignore[attr-defined]
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["process"] == "shutting down"
    webhook = await client.post("/telegram", data=b"{}", headers={SECRET_HEADER: SECRET})
    assert webhook.status == 503  # Telegram keeps the update and retries it later


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="the SQLite variant")
async def test_readyz_when_the_sqlite_file_goes_away_and_comes_back(
    client: TestClient[Any, Any], db: Database
) -> None:
    path = Path(str(db.engine.url.database))
    assert (await client.get("/readyz")).status == 200
    shutil.move(path, path.with_suffix(".away"))
    try:
        down = await client.get("/readyz")
        assert down.status == 503
        assert (await down.json())["checks"]["database"] == "database file missing"
    finally:
        shutil.move(path.with_suffix(".away"), path)
    assert (await client.get("/readyz")).status == 200


@pytest.mark.skipif(TEST_DATABASE_URL is None, reason="needs TEST_DATABASE_URL (PostgreSQL)")
async def test_readyz_when_postgres_stops_and_returns_without_a_restart(
    app: Any, db: Database
) -> None:
    url = make_url(TEST_DATABASE_URL or "")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = Database(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    services = app.bot_data
    services.db = proxied
    client = await _client(WebServer(app, host="127.0.0.1", port=0))
    try:
        assert (await client.get("/readyz")).status == 200
        await proxy.stop()
        down = await client.get("/readyz")
        assert down.status == 503
        assert (await down.json())["checks"]["database"] != "ok"
        await proxy.start()  # same port: the database is back
        assert (await client.get("/readyz")).status == 200
    finally:
        await client.close()
        services.db = db
        await proxied.dispose()
        await proxy.stop()


async def test_readyz_reports_an_update_backlog(client: TestClient[Any, Any], app: Any) -> None:
    processor = app.update_processor
    processor.backlog_limit = -1  # any backlog, even none, is over this limit
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["updates"] == "0 updates waiting (> -1)"
