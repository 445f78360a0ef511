"""What each entry point imports: the CLI's help and light commands do not load the
application, and the running bot loads the chart, location and migration code only when it
uses them (tests/bench/footprint.py measures the time and memory this saves)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.db import Database, head_revision

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "telegram",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "matplotlib",
    "numpy",
    "tzfpy",
    "cryptography",
)


def loaded_after(code: str) -> set[str]:
    """Top-level packages (of HEAVY) imported after running `code` in a fresh interpreter."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_help_imports_nothing_heavy() -> None:
    code = (
        "from bot.cli import build_parser\n"
        "import contextlib, io\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    build_parser().parse_args(['--help'])"
    )
    assert loaded_after(code) == set()


def test_the_running_bot_does_not_carry_charts_locations_or_migrations() -> None:
    assert loaded_after("import bot.app, bot.web, bot.cli") == {
        "telegram",
        "sqlalchemy",
        "pydantic",
    }


def test_cryptography_loads_for_a_calendar_secret_not_for_telegram() -> None:
    """python-telegram-bot would load it for Passport at import; the bot loads it when it
    encrypts a calendar address, and it works then."""
    code = (
        "import bot.app\n"
        "import sys\n"
        "assert 'cryptography' not in sys.modules\n"
        "from cryptography.fernet import Fernet\n"
        "key = Fernet.generate_key()\n"
        "assert Fernet(key).decrypt(Fernet(key).encrypt(b'x')) == b'x'"
    )
    assert loaded_after(code) == {"telegram", "sqlalchemy", "pydantic", "cryptography"}


def test_head_revision_is_read_from_the_migration_files() -> None:
    versions = sorted((ROOT / "bot" / "storage" / "migrations" / "versions").glob("0*.py"))
    assert head_revision() == versions[-1].name.split("_", 1)[0]


async def test_a_database_is_current_only_after_the_upgrade(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("needs an empty database; the PostgreSQL test database is migrated")
    db = Database(database_url)
    try:
        assert not await db.is_current()
        await db.upgrade()
        assert await db.is_current()
    finally:
        await db.dispose()
