"""The `rekpauze` command as a user runs it: exit codes and messages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.processes import ROOT, run_cli


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
