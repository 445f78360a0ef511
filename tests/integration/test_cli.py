"""The `rekpauze` command as a user runs it: exit codes and messages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.processes import ROOT, free_port, run_cli


def rekpauze(
    *args: str, env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, cwd=cwd)


def test_run_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = rekpauze("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "BotFather" in lines[0]
    assert "Traceback" not in result.stderr


def test_run_with_malformed_token_exits_2_without_echoing_it(tmp_path: Path) -> None:
    result = rekpauze("run", env={"TELEGRAM_BOT_TOKEN": "not-a-token-SECRET"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "SECRET" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_token_from_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=nope\n")
    result = rekpauze("run", cwd=tmp_path)
    assert result.returncode == 2 and "malformed" in result.stderr


@pytest.mark.parametrize(
    "command", [[], ["run"], ["check"], ["capacity"], ["db"], ["db", "upgrade"]]
)
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = rekpauze(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: rekpauze" in result.stdout


def test_db_upgrade_then_check(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    upgraded = rekpauze("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "x.sqlite3").exists()
    checked = rekpauze(
        "check",
        env={
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        },
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout
    assert "database: reachable" in checked.stdout
    assert "ok   content: 16 exercises, 9 routines" in checked.stdout


def test_check_reports_an_unreachable_database(tmp_path: Path) -> None:
    result = rekpauze(
        "check",
        env={"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "FAIL database" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_check_reports_a_broken_catalogue(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    catalogue = data / "exercises.yaml"
    catalogue.write_text(catalogue.read_text().replace("id: staande-bekkenrek", "id: buikplank"))
    result = rekpauze(
        "check",
        env={
            "REKPAUZE_DATA_DIR": str(data),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'y.sqlite3'}",
            "TELEGRAM_BOT_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        },
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "FAIL content" in result.stdout and "buikplank" in result.stdout


# Issue 14, point 8: every start-up failure is one line naming the setting, and exit 1.
TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_read_only_sqlite_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    db_file = tmp_path / "ro.sqlite3"
    db_file.touch()
    # Opened read-only (as a file the process may not write; root could write a 0444 file).
    url = f"sqlite+aiosqlite:///file:{db_file}?mode=ro&uri=true"
    result = rekpauze(
        "run",
        env={"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
        cwd=tmp_path,
    )
    line = _one_line(result)
    assert "read-only" in line and "DATABASE_URL" in line


def test_an_unreachable_postgresql_is_one_json_line_and_exit_1(tmp_path: Path) -> None:
    import json

    result = rekpauze(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
        },
        cwd=tmp_path,
    )
    record = json.loads(_one_line(result))
    assert record["level"] == "CRITICAL"
    assert "cannot open the database" in record["event"] and "DATABASE_URL" in record["event"]


def test_an_unreachable_bot_api_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = rekpauze(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ok.sqlite3'}",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(free_port()),
            "LOG_LEVEL": "WARNING",
        },
        cwd=tmp_path,
    )
    line = _one_line(result)
    assert "cannot reach the Bot API" in line and "TELEGRAM_API_BASE_URL" in line


def test_run_without_network_exits_1_with_one_line(tmp_path: Path) -> None:
    """Issue 16, point 14: a well-formed token but no way to reach Telegram."""
    env = {
        "TELEGRAM_BOT_TOKEN": "123456789:AAHfakefakefakefakefakefakefakefake",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens there
    }
    result = rekpauze("run", env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("rekpauze:")]
    assert len(lines) == 1 and "cannot reach" in lines[0] and "TELEGRAM_API_BASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


async def test_the_animation_builder_keeps_the_bots_stderr_clean(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The child that renders missing animations after start-up, stopped mid-way as SIGTERM
    stops it: the encoder's complaint about its cut-off input ("Packet corrupt") stays out of
    the bot's stderr, whose lines are the JSON log in production."""
    import asyncio
    import os

    import psutil

    from bot.cli import _build_animations_in_child

    builder = asyncio.create_task(_build_animations_in_child(tmp_path))
    for _ in range(1000):  # until a file is being encoded (written to a temporary name)
        if any(name.startswith("tmp") for name in os.listdir(tmp_path)) or builder.done():
            break
        await asyncio.sleep(0.01)
    # SIGTERM to the whole process group, as a service manager stops the bot: the renderer
    # and its encoder get it too, and the encoder reports its cut-off input.
    for child in psutil.Process().children(recursive=True):
        child.terminate()
    builder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await builder
    assert capfd.readouterr().err == ""
