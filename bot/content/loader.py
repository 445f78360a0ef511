"""Load and validate the exercise catalogue, reporting every problem at once.

Called when the bot starts and by `rekpauze check`. A broken catalogue must never reach users,
and an editor fixing the YAML should see all problems in one run, not one per attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.content.models import OFFICE_POSITIONS, Catalogue, RoutineItem
from bot.content.render import render_exercise, render_routine, render_safety
from bot.content.timing import ROUTINE_MAX_SECONDS, ROUTINE_MIN_SECONDS, item_dosage, routine_time
from bot.paths import data_dir
from bot.telegram_html import TelegramHTMLError, check_message

LANGS = ("nl", "en")


class CatalogueError(ValueError):
    """The catalogue is invalid; str() is a readable multi-line report of all problems."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        report = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"{self.path}: {count} problem(s) in the catalogue:\n{report}")


def default_path() -> Path:
    return data_dir() / "exercises.yaml"


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """A readable location, naming the exercise or routine by id when possible."""
    parts: list[str] = []
    node = raw
    for i, key in enumerate(loc):
        if isinstance(key, int):
            item_id = (
                node[key].get("id")
                if isinstance(node, list) and key < len(node) and (isinstance(node[key], dict))
                else None
            )
            parts.append(f"[{key}]" + (f" ({item_id})" if item_id else ""))
        else:
            parts.append(("." if i else "") + str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts) or "(top level)"


def _raw_duplicates(raw: dict[str, Any]) -> list[str]:
    problems = []
    for section in ("exercises", "routines"):
        seen: set[str] = set()
        items = raw.get(section)
        for item in items if isinstance(items, list) else []:
            item_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(item_id, str):
                if item_id in seen:
                    problems.append(f"{section}: duplicate id {item_id!r}")
                seen.add(item_id)
    return problems


def _exercise_checks(catalogue: Catalogue) -> list[str]:
    problems: list[str] = []
    known_sources = set(catalogue.sources)
    for ex in catalogue.exercises:
        where = f"exercise {ex.id!r}"
        cited = set(ex.sources)
        for name in ex.sources:
            if name not in known_sources:
                problems.append(f"{where}: source {name!r} is not listed under `sources`")
        for name in {q.source for q in ex.quotes()}:
            if name not in cited:
                problems.append(f"{where}: uses source {name!r} that it does not cite")
        keys = [(d.source, d.by.en if d.by else None) for d in ex.dosage]
        if len(set(keys)) != len(keys):
            problems.append(f"{where}: two dosages from the same source and origin (`by`)")
        if sum(step.timed for step in ex.steps) > 1:
            problems.append(f"{where}: more than one step marked timed")
        if ex.name_only and any(s.timed for s in ex.steps):
            problems.append(f"{where}: described by name only, so no step can be timed")
    for name, source in catalogue.sources.items():
        quote = source.frequency.quote if source.frequency else None
        if quote is not None and quote.source != name:
            problems.append(f"source {name!r}: its frequency quotes another article")
    for safety_item in catalogue.safety.items():
        for name in safety_item.sources:
            if name not in known_sources:
                problems.append(f"safety {safety_item.en!r}: source {name!r} is not listed")
    return problems


def _routine_checks(catalogue: Catalogue) -> list[str]:
    problems: list[str] = []
    exercise_ids = {e.id for e in catalogue.exercises}
    for routine in catalogue.routines:
        where = f"routine {routine.id!r}"
        known = True
        for n, item in enumerate(routine.items):
            item_where = f"{where} item {n} ({item.exercise})"
            if item.exercise not in exercise_ids:
                problems.append(f"{item_where}: unknown exercise id {item.exercise!r}")
                known = False
                continue
            problems += _item_checks(catalogue, routine.places, item, item_where)
        if not known:
            continue
        low, high = routine_time(catalogue, routine)
        if low > ROUTINE_MAX_SECONDS:
            problems.append(
                f"{where}: the sourced holds and getting into position take at least {low} s, "
                f"which does not fit a one-minute break (at most {ROUTINE_MAX_SECONDS} s)"
            )
        if high < ROUTINE_MIN_SECONDS:
            problems.append(
                f"{where}: takes at most {high} s, not about one minute "
                f"(at least {ROUTINE_MIN_SECONDS} s)"
            )
    return problems


def _item_checks(
    catalogue: Catalogue, places: Sequence[str], item: RoutineItem, where: str
) -> list[str]:
    problems: list[str] = []
    ex = catalogue.exercise(item.exercise)
    if ex.name_only:
        problems.append(f"{where}: described by name only; it cannot be in a routine")
    if item.position and item.position not in ex.positions:
        problems.append(
            f"{where}: position {item.position!r} is not one of "
            f"the exercise's positions {ex.positions}"
        )
    if item.dosage_source is None and ex.dosage:
        problems.append(f"{where}: say which dosage_source the routine uses")
    dosage = item_dosage(ex, item)
    if item.dosage_source is not None and dosage is None:
        problems.append(f"{where}: the exercise has no dosage from {item.dosage_source!r}")
    timed = dosage is not None and dosage.timed_seconds() is not None
    if timed and item.own_seconds is not None:
        problems.append(
            f"{where}: the source gives the time; own_seconds would override the article"
        )
    if not timed and item.own_seconds is None:
        problems.append(f"{where}: no time in the dosage: give own_seconds (own pacing)")
    if "office" in places:
        positions = [item.position] if item.position else list(ex.positions)
        if not ex.office_ok or not set(positions) <= OFFICE_POSITIONS:
            problems.append(
                f"{where}: not office-suitable (needs standing or "
                f"seated, desk_ok, no equipment), but the routine is "
                f"marked office"
            )
    return problems


def _render_checks(catalogue: Catalogue) -> list[str]:
    """Every message the catalogue produces must be valid Telegram HTML within 4096 chars."""
    problems: list[str] = []
    jobs: list[tuple[str, Any]] = []
    for lang in LANGS:
        jobs += [
            (
                f"exercise {e.id!r} [{lang}]",
                lambda e=e, lang=lang: render_exercise(e, lang, catalogue),
            )
            for e in catalogue.exercises
        ]
        jobs += [
            (
                f"routine {r.id!r} [{lang}]",
                lambda r=r, lang=lang: render_routine(r, lang, catalogue),
            )
            for r in catalogue.routines
        ]
        jobs.append((f"safety note [{lang}]", lambda lang=lang: render_safety(lang, catalogue)))
    for label, job in jobs:
        try:
            check_message(job())
        except (TelegramHTMLError, KeyError) as exc:
            problems.append(f"{label}: does not render: {exc}")
    return problems


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read, validate and return the catalogue; raise CatalogueError listing all problems."""
    path = path or default_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(path, [f"cannot read the catalogue: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise CatalogueError(path, ["the catalogue must be a mapping at the top level"])
    problems = _raw_duplicates(raw)
    try:
        catalogue = Catalogue.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(f"{_where(raw, tuple(error['loc']))}: {error['msg']}")
        raise CatalogueError(path, problems) from None
    problems += _exercise_checks(catalogue) + _routine_checks(catalogue)
    if not problems:  # rendering needs resolvable references
        problems += _render_checks(catalogue)
    if problems:
        raise CatalogueError(path, problems)
    return catalogue


@cache
def get_catalogue() -> Catalogue:
    """The default catalogue, loaded and validated once per process."""
    return load_catalogue()


def summary(catalogue: Catalogue) -> str:
    """One line for `rekpauze check`, e.g. '16 exercises, 9 routines (4 for the office), ...'."""
    office = len(catalogue.routines_for("office"))
    return (
        f"{len(catalogue.exercises)} exercises, {len(catalogue.routines)} routines "
        f"({office} for the office), safety note with {len(catalogue.safety.urgent)} urgent "
        f"signs and {len(catalogue.safety.red_flags)} red flags"
    )
