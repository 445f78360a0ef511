"""The deployment files say what deploy/README.md promises."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose_command() -> list[str] | None:
    """`docker compose` (v2 plugin) or Debian's `docker-compose`; either validates the file."""
    if shutil.which("docker") is not None:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose") is not None:
        return ["docker-compose"]
    return None


@pytest.mark.skipif(_compose_command() is None, reason="needs docker compose or docker-compose")
def test_docker_compose_config_validates(tmp_path: Path) -> None:
    compose = _compose_command()
    assert compose is not None
    # The file reads deploy/.env, as an operator creates it from .env.example.
    env_file = DEPLOY / ".env"
    created = not env_file.exists()
    if created:
        env_file.write_text((DEPLOY / ".env.example").read_text())
    try:
        result = subprocess.run(
            [*compose, "-f", str(DEPLOY / "docker-compose.yml"), "config", "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    finally:
        if created:
            env_file.unlink()
    assert result.returncode == 0, result.stderr


def test_compose_runs_the_bot_on_postgres_with_a_volume_and_restart_policy() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    bot, postgres = compose["services"]["bot"], compose["services"]["postgres"]
    assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert bot["restart"] == postgres["restart"] == "unless-stopped"
    assert "@postgres:5432/" in bot["environment"]["DATABASE_URL"]
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["env_file"] == ".env"
    assert "healthz" in " ".join(bot["healthcheck"]["test"])
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_dockerfile_is_multi_stage_non_root_and_serves_health() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert len(stages) == 2
    assert all(stage.startswith("python:3.11-slim") for stage in stages)
    final = stages[-1]
    assert "build-essential" not in final and "apt-get" not in final
    assert re.search(r"^USER rekpauze$", final, re.MULTILINE)
    assert "COPY --from=builder /opt/rekpauze /opt/rekpauze" in final
    assert "HEALTHCHECK" in final and "/healthz" in final
    assert 'ENTRYPOINT ["rekpauze"]' in final and 'CMD ["run"]' in final


def test_the_image_installs_the_wheel_which_carries_the_content() -> None:
    """No hand-made copy of data/: the builder builds the wheel (which ships data/ as
    bot/data) and installs it with the PostgreSQL driver that compose's DATABASE_URL needs."""
    text = (DEPLOY / "Dockerfile").read_text()
    builder, final = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert re.search(r"pip wheel --no-deps --wheel-dir (\S+) \.", builder)
    assert re.search(r'pip install "\$\(ls \S+/rekpauze-\*\.whl\)\[postgres\]"', builder)
    assert "COPY data ./data" in builder
    assert "REKPAUZE_DATA_DIR" not in text
    assert not re.search(r"^COPY (?!--from=builder)", final, re.MULTILINE)


def test_dockerignore_keeps_secrets_and_state_out_of_the_image() -> None:
    lines = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", "deploy/.env", "*.sqlite3", ".git", ".venv"):
        assert entry in lines


def test_env_example_lists_every_setting() -> None:
    text = (DEPLOY / ".env.example").read_text()
    for field in Settings.model_fields.values():
        assert re.search(rf"^#?{field.alias}=", text, re.MULTILINE), field.alias


def test_systemd_unit_runs_as_a_dedicated_user_and_stops_with_sigterm() -> None:
    unit = (DEPLOY / "rekpauze.service").read_text()
    for line in (
        "User=rekpauze",
        "EnvironmentFile=/etc/rekpauze/rekpauze.env",
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=20",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "RestartPreventExitStatus=2",
    ):
        assert re.search(rf"^{re.escape(line)}$", unit, re.MULTILINE), line


def test_deploy_readme_covers_each_way_and_backups() -> None:
    text = (DEPLOY / "README.md").read_text()
    for needle in (
        "docker compose -f deploy/docker-compose.yml up",
        "docker build -f deploy/Dockerfile -t rekpauze .",
        "systemctl enable --now rekpauze",
        "pg_dump",
        "pg_restore",
        '".backup',
        ".backup(",
        "## Upgrading",
    ):
        assert needle in text, needle
