"""The loader refuses broken catalogues and says, in one report, everything that is wrong."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.content import CatalogueError, get_catalogue, load_catalogue, summary
from tests.catalogue_kit import exercise as exercise_entry
from tests.catalogue_kit import raw_catalogue, write_variant


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return raw_catalogue()


def _load_variant(
    tmp_path: Path, raw: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> CatalogueError:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write_variant(tmp_path, raw, change))
    return info.value


_exercise = exercise_entry


def test_real_catalogue_loads_and_summarises() -> None:
    catalogue = load_catalogue()
    assert get_catalogue() is get_catalogue()
    text = summary(catalogue)
    assert text.startswith(f"{len(catalogue.exercises)} exercises, {len(catalogue.routines)} ")


def test_rejects_duplicate_ids(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(
        tmp_path, raw, lambda d: d["exercises"].append(copy.deepcopy(d["exercises"][0]))
    )
    assert "duplicate id 'staande-bekkenrek'" in str(error)


def test_rejects_missing_english_step(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(
        tmp_path, raw, lambda d: _exercise(d, "childs-pose")["steps"][1].pop("en")
    )
    assert "(childs-pose).steps[1].en" in str(error)
    assert "Field required" in str(error)


def test_rejects_empty_dutch_text(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(
        tmp_path, raw, lambda d: _exercise(d, "zijplank")["purpose"].update(nl="   ")
    )
    assert "(zijplank).purpose.nl" in str(error)


def test_rejects_negative_hold(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(
        tmp_path,
        raw,
        lambda d: _exercise(d, "staande-bekkenrek")["dosage"][0].update(hold_seconds=-20),
    )
    assert "(staande-bekkenrek).dosage[0].hold_seconds" in str(error)


def test_rejects_unordered_range(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(
        tmp_path,
        raw,
        lambda d: _exercise(d, "childs-pose")["dosage"][0].update(
            hold_seconds={"min": 60, "max": 30}
        ),
    )
    assert "not ordered" in str(error)


def test_rejects_unknown_routine_exercise(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(
        tmp_path, raw, lambda d: d["routines"][0]["items"][0].update(exercise="handstand")
    )
    assert "unknown exercise id 'handstand'" in str(error)


def test_rejects_floor_exercise_in_office_routine(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["routines"][0]["items"] = [
            {"exercise": "childs-pose", "dosage_source": "003_5fb40e89b56d1ca4.txt"}
        ]

    error = _load_variant(tmp_path, raw, change)
    assert "not office-suitable" in str(error)


def test_rejects_routine_whose_sourced_holds_do_not_fit(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    """The old kantoor-bekkenrek plus another item: 3 x 20 s + setup leave no room."""

    def change(d: dict[str, Any]) -> None:
        d["routines"][0]["items"].append({"exercise": "zijwaartse-rek", "own_seconds": 30})

    error = _load_variant(tmp_path, raw, change)
    assert (
        "routine 'kantoor-bekkenrek': the sourced holds and getting into position take at "
        "least 110 s" in str(error)
    )


def test_rejects_own_pacing_that_overrides_a_sourced_time(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    error = _load_variant(
        tmp_path, raw, lambda d: d["routines"][0]["items"][0].update(own_seconds=60)
    )
    assert "the source gives the time; own_seconds would override the article" in str(error)


def test_rejects_an_item_without_any_time(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        next(r for r in d["routines"] if r["id"] == "kantoor-heup-zij")["items"][1].pop(
            "own_seconds"
        )

    error = _load_variant(tmp_path, raw, change)
    assert "no time in the dosage: give own_seconds (own pacing)" in str(error)


def test_rejects_a_name_only_exercise_in_a_routine(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["routines"][-1]["items"] = [
            {"exercise": "zijplank", "dosage_source": "002_d9a8e96430a04924.txt"}
        ]

    error = _load_variant(tmp_path, raw, change)
    assert "described by name only; it cannot be in a routine" in str(error)


def test_rejects_unknown_field(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(tmp_path, raw, lambda d: _exercise(d, "buikplank").update(reps_per_day=3))
    assert "(buikplank).reps_per_day" in str(error)


def test_reports_all_problems_at_once(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        _exercise(d, "childs-pose")["steps"][0].pop("en")
        _exercise(d, "bruggetje")["dosage"][0]["sets"] = 0
        d["exercises"].append(copy.deepcopy(d["exercises"][1]))

    error = _load_variant(tmp_path, raw, change)
    assert len(error.problems) >= 3
    text = str(error)
    assert "childs-pose" in text and "bruggetje" in text and "duplicate id" in text
    assert text.count("\n  - ") == len(error.problems)


def test_rejects_uncited_dosage_source(tmp_path: Path, raw: dict[str, Any]) -> None:
    error = _load_variant(
        tmp_path,
        raw,
        lambda d: _exercise(d, "buikplank")["dosage"][0].update(source="003_5fb40e89b56d1ca4.txt"),
    )
    assert "does not cite" in str(error)


def test_unreadable_yaml(tmp_path: Path) -> None:
    path = tmp_path / "exercises.yaml"
    path.write_text("exercises: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(path)
