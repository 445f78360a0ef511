"""The wheel carries what an installed bot needs: the content and the migrations.

Built the way a user's `pip install .` builds it (pip calling hatchling), without network:
hatchling comes with the `test` extra, so build isolation is not needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("hatchling", reason="the wheel is built with hatchling (the test extra)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (built,) = out.glob("rekpauze-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_ships_the_content_folder_as_bot_data(wheel: Path) -> None:
    names = _names(wheel)
    content = [p for p in (ROOT / "data").rglob("*") if p.is_file()]
    assert any(p.suffix == ".po" for p in content)  # the translations bot/i18n.py compiles
    for path in content:
        assert f"bot/data/{path.relative_to(ROOT / 'data').as_posix()}" in names, path
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("bot/data/exercises.yaml")
    assert shipped == (ROOT / "data" / "exercises.yaml").read_bytes()
    # Only inside the package: nothing lands at the top of site-packages but `bot`.
    tops = {name.split("/")[0] for name in names}
    assert tops == {"bot", "rekpauze-0.1.0.dist-info"}


def test_the_wheel_ships_the_migrations(wheel: Path) -> None:
    names = _names(wheel)
    migrations = ROOT / "bot" / "storage" / "migrations"
    expected = [migrations / "env.py", migrations / "script.py.mako"]
    expected += sorted((migrations / "versions").glob("0*.py"))
    assert len(expected) > 3
    for path in expected:
        assert path.relative_to(ROOT).as_posix() in names, path


def test_the_wheel_needs_asyncpg_only_with_the_postgres_extra(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = Parser().parsestr(archive.read("rekpauze-0.1.0.dist-info/METADATA").decode())
        entry_points = archive.read("rekpauze-0.1.0.dist-info/entry_points.txt").decode()
    requires = metadata.get_all("Requires-Dist") or []
    asyncpg = {r.partition(";")[2].strip().replace('"', "'") for r in requires if "asyncpg" in r}
    assert asyncpg == {"extra == 'postgres'", "extra == 'test'"}  # never unconditional
    ptb = [r for r in requires if r.startswith("python-telegram-bot")]
    assert ptb == ["python-telegram-bot[job-queue]<23,>=22.0"]
    assert {"postgres", "test", "dev"} <= set(metadata.get_all("Provides-Extra") or [])
    assert "rekpauze = bot.cli:main" in entry_points


def test_an_unpacked_wheel_reads_its_own_content_from_any_folder(
    wheel: Path, tmp_path: Path
) -> None:
    """As after `pip install`: no checkout beside the package, run from an unrelated folder."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("REKPAUZE_DATA_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bot.i18n, bot.paths; print(bot.paths.data_dir()); "
            "print(bot.i18n.t('nl', 'start.welcome_back', name='Sam', times='09:00'))",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    where, welcome = result.stdout.split("\n", 1)
    assert Path(where) == site / "bot" / "data"
    assert "Sam" in welcome and "09:00" in welcome
