"""Where the content lives: inside the installed package, or `data/` in a checkout.

The repository keeps `data/` at its top level for the people who edit it; the wheel carries
the same folder as `bot/data` (hatchling's force-include in pyproject.toml), so an installed
bot finds its content from any folder. A checkout, and an editable install, which imports
`bot` from the checkout, have no `bot/data` and read the checkout's `data/`.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


def _candidates() -> list[Path]:
    found = []
    if env := os.environ.get("REKPAUZE_DATA_DIR"):
        found.append(Path(env))
    package = Path(__file__).resolve().parent
    found.append(package / "data")  # installed from a wheel
    found.append(package.parent / "data")  # a checkout or an editable install
    return found


@cache
def data_dir() -> Path:
    """The content folder: $REKPAUZE_DATA_DIR, the package's data/, or the checkout's data/."""
    candidates = _candidates()
    for candidate in candidates:
        if (candidate / "locale").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"Rekpauze content folder not found (looked in {tried}); reinstall the package, or "
        "set REKPAUZE_DATA_DIR to a folder with exercises.yaml and locale/"
    )
