"""What each entry point imports: the CLI's help and light commands do not load the
application, and the running bot loads the chart, location and migration code only when it
uses them (tests/bench/footprint.py measures the time and memory this saves). The running
process itself, after start-up and a first exchange: tests/e2e/test_footprint_process.py."""

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
    "rapidfuzz",  # fuzzy search: with the first search
    "PIL",  # animations: rendered in a child process or on a cache miss
    "imageio",
    "icalendar",  # calendars: with the first one read
    "recurring_ical_events",
    "click",  # httpx's command-line client, hidden at `import httpx`
    "rich",
    "pygments",
)
#: Modules of packages the bot does load, that it needs only for a rare event.
RARE_MODULES = (
    "bot.content.poses",  # pose models: when an animation is rendered
    "bot.content.mannequin",
    "bot.calendar.ics",
    "bot.calendar.secrets",
    "bot.services.charts",
    "httpx._main",
    "sqlalchemy.dialects.postgresql",  # a bot on SQLite never needs it
)


def loaded_after(code: str) -> set[str]:
    """Top-level packages (of HEAVY) and RARE_MODULES imported after running `code` in a
    fresh interpreter."""
    watched = set(HEAVY) | set(RARE_MODULES)
    probe = (
        f"{code}\nimport json, sys\n"
        f"loaded = {{m.split('.')[0] for m in sys.modules}} | set(sys.modules)\n"
        f"print(json.dumps(sorted(loaded & {watched!r})))"
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


def test_a_secret_key_is_checked_without_cryptography() -> None:
    """SECRET_KEY is validated at start-up by Fernet's own rule, and cryptography waits for the
    first calendar address that is read."""
    code = (
        "import base64, os\n"
        "from bot.config import Settings\n"
        "good = base64.urlsafe_b64encode(bytes(range(32))).decode()\n"
        "assert Settings(SECRET_KEY=good).secret_key.get_secret_value() == good\n"
        "for bad in ('not-a-fernet-key', good[:-4], base64.b64encode(bytes(range(31))).decode()):\n"
        "    try:\n"
        "        Settings(SECRET_KEY=bad)\n"
        "    except ValueError:\n"
        "        pass\n"
        "    else:\n"
        "        raise AssertionError(bad)"
    )
    assert loaded_after(code) == {"pydantic"}


@pytest.mark.parametrize(
    "key",
    [
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEF0=",
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEF0",  # no padding
        "+/23456789abcdefghijklmnopqrstuvwxyzABCDEF0=",  # standard, not url-safe, alphabet
        "0123456789abcdefghijklmnopqrstuvwxyzABCDE=",  # 31 bytes
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ==",  # 34 bytes
        "é123456789abcdefghijklmnopqrstuvwxyzABCDEF0=",
        "",
    ],
)
def test_the_key_check_agrees_with_fernet(key: str) -> None:
    from cryptography.fernet import Fernet

    from bot.config import is_fernet_key

    try:
        Fernet(key.encode())
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert is_fernet_key(key) is accepted


def test_placing_a_new_subscribers_default_times_needs_no_numpy() -> None:
    code = (
        "from datetime import date\n"
        "from bot.scheduling.defaults import DefaultLoad\n"
        "load = DefaultLoad(date(2026, 11, 30), [0.0] * 10080)\n"
        "assert len(load.place(1, 'Europe/Amsterdam', 31)) == 3"
    )
    assert loaded_after(code) == set()


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
