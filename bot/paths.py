"""Where the content lives: `data/` beside the package in a checkout, or a configured folder."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path


@cache
def data_dir() -> Path:
    """The data folder: $REKPAUZE_DATA_DIR, the checkout's data/, or the installed share/ copy."""
    candidates = []
    if env := os.environ.get("REKPAUZE_DATA_DIR"):
        candidates.append(Path(env))
    candidates.append(Path(__file__).resolve().parent.parent / "data")
    candidates.append(Path(sys.prefix) / "share" / "rekpauze" / "data")
    for candidate in candidates:
        if (candidate / "locale").is_dir():
            return candidate
    raise FileNotFoundError(
        "Rekpauze content folder not found; set REKPAUZE_DATA_DIR to the project's data/ folder"
    )
