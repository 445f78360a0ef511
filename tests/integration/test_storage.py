"""Migrations and models agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.db import Database, alembic_config
from bot.storage.models import Base, KeyValue


async def test_migrations_produce_exactly_the_models(db: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


def _schema(connection: Connection) -> tuple[str | None, dict[str, Any]]:
    """The revision Alembic recorded, and every table's columns and indexes."""
    inspector = inspect(connection)
    tables = {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted(
                (i["name"] or "", tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
        )
        for table in inspector.get_table_names()
    }
    return MigrationContext.configure(connection).get_current_revision(), tables


async def test_upgrade_is_idempotent(db: Database) -> None:
    """Every start-up upgrades: a second upgrade on a migrated database with data in it
    changes neither the revision (head) nor the schema nor the data."""
    async with db.session() as session:
        session.add(KeyValue(key="kept", value="across upgrades"))
    async with db.engine.connect() as connection:
        before = await connection.run_sync(_schema)
    await db.upgrade()
    await db.ping()
    async with db.engine.connect() as connection:
        after = await connection.run_sync(_schema)
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    assert after[0] == head is not None
    assert after == before
    assert "state" in after[1]
    async with db.session() as session:
        kept = await session.get(KeyValue, "kept")
        assert kept is not None and kept.value == "across upgrades"
