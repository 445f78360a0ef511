"""Edited copies of the real catalogue file, for tests that prove a check catches an edit."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.content.loader import default_path


def raw_catalogue() -> dict[str, Any]:
    return yaml.safe_load(default_path().read_text(encoding="utf-8"))


def write_variant(
    tmp_path: Path, raw: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> Path:
    """The real catalogue with one edit, written where load_catalogue can read it."""
    data = copy.deepcopy(raw)
    change(data)
    path = tmp_path / "exercises.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def exercise(data: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    return next(e for e in data["exercises"] if e["id"] == exercise_id)
