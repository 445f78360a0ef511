"""Facts pinned to the source articles: if someone edits a dosage, these tests say which."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import Catalogue, Dosage, load_catalogue

S000 = "000_c62ecdcfe748f95d.txt"
S001 = "001_a5e37c4a4b75bd86.txt"
S002 = "002_d9a8e96430a04924.txt"
S003 = "003_5fb40e89b56d1ca4.txt"
S004 = "004_c67234a3e13f0946.txt"

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.skip(f"source articles not found at {SEEDS} (expected ../shared/seeds)")
    return {p.name: _norm(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _dose(catalogue: Catalogue, exercise_id: str, source: str) -> Dosage:
    dosage = catalogue.exercise(exercise_id).dosage_from(source)
    assert dosage is not None, f"{exercise_id} has no dosage from {source}"
    return dosage


def test_staande_bekkenrek_20_seconds_three_times(catalogue: Catalogue) -> None:
    d = _dose(catalogue, "staande-bekkenrek", S000)
    assert (d.hold_seconds.min, d.hold_seconds.max, d.times) == (20, 20, 3)


def test_knieen_naar_borst_ten_seconds(catalogue: Catalogue) -> None:
    d = _dose(catalogue, "knieen-naar-borst", S001)
    assert (d.hold_seconds.min, d.hold_seconds.max) == (10, 10)
    assert d.times == 3  # 001: "elke oefening driemaal per sessie"
    assert _dose(catalogue, "knieen-naar-borst", S003).per_side


def test_childs_pose_30_to_60_seconds(catalogue: Catalogue) -> None:
    d = _dose(catalogue, "childs-pose", S003)
    assert (d.hold_seconds.min, d.hold_seconds.max) == (30, 60)


@pytest.mark.parametrize("exercise_id", ["buikplank", "zijplank"])
def test_planks_one_minute_three_times(catalogue: Catalogue, exercise_id: str) -> None:
    d = _dose(catalogue, exercise_id, S002)
    assert (d.hold_seconds.min, d.hold_seconds.max, d.times) == (60, 60, 3)


def test_superman_hands_and_knees_20_per_side_3_series(catalogue: Catalogue) -> None:
    d = _dose(catalogue, "superman-handen-knieen", S002)
    assert (d.repetitions.min, d.per_side, d.sets) == (20, True, 3)


def test_lying_superman_3_to_5_seconds(catalogue: Catalogue) -> None:
    d = _dose(catalogue, "superman-buiklig", S003)
    assert (d.hold_seconds.min, d.hold_seconds.max) == (3, 5)
    assert d.times is None and d.repetitions is None  # 003 gives no number


def test_glute_bridge_keeps_both_source_dosages(catalogue: Catalogue) -> None:
    fit = _dose(catalogue, "bruggetje", S002)
    assert (fit.hold_seconds.min, fit.times, fit.repetitions) == (60, 3, None)
    nrg = _dose(catalogue, "bruggetje", S003)
    assert (nrg.repetitions.min, nrg.repetitions.max, nrg.sets, nrg.hold_seconds) == (
        10,
        15,
        3,
        None,
    )
    assert len(catalogue.exercise("bruggetje").dosage) == 2


def test_hol_bol_five_to_ten_minutes(catalogue: Catalogue) -> None:
    d = _dose(catalogue, "kattenrug-holrug", S002)
    assert (d.duration_seconds.min, d.duration_seconds.max) == (300, 600)


def test_exercises_without_a_source_dosage_have_none(catalogue: Catalogue) -> None:
    for exercise_id in (
        "bekkenkanteling",
        "lumbale-rotatie",
        "zijwaartse-rek",
        "transversus-aanspannen",
        "foam-roller-onderrug",
    ):
        assert catalogue.exercise(exercise_id).dosage == [], exercise_id


def test_required_exercises_present_and_merged(catalogue: Catalogue) -> None:
    ids = {e.id for e in catalogue.exercises}
    assert {
        "staande-bekkenrek",
        "kattenrug-holrug",
        "knieen-naar-borst",
        "heupbuigerstretch",
        "bruggetje",
        "superman-buiklig",
        "superman-handen-knieen",
        "bekkenkanteling",
        "lumbale-rotatie",
        "childs-pose",
        "zijwaartse-rek",
        "buikplank",
        "zijplank",
        "transversus-aanspannen",
    } <= ids
    assert set(catalogue.exercise("kattenrug-holrug").sources) == {S001, S002}
    assert set(catalogue.exercise("knieen-naar-borst").sources) == {S001, S003}
    assert set(catalogue.exercise("bruggetje").sources) == {S002, S003}


def test_exercise_specific_cautions(catalogue: Catalogue) -> None:
    bridge = " ".join(c.nl for c in catalogue.exercise("bruggetje").cautions)
    assert "holling" in bridge
    transversus = " ".join(c.nl for c in catalogue.exercise("transversus-aanspannen").cautions)
    assert "krampachtig" in transversus


def test_safety_red_flags_cover_the_articles(catalogue: Catalogue) -> None:
    text = " ".join(item.nl for item in catalogue.safety.red_flags).lower()
    for word in (
        "hernia",
        "uitstraalt naar het been",
        "operatie",
        "artrose",
        "ontsteking",
        "trauma",
        "neurologische",
    ):
        assert word in text, word
    general = " ".join(item.nl for item in catalogue.safety.general)
    assert "beste oefening" in general and "week of 4" in general
    rules = " ".join(item.nl for item in catalogue.safety.stretching_rules).lower()
    assert "veer" in rules and "pijn" in rules and "dertig seconden" in rules
    assert any(S002 in item.sources for item in catalogue.safety.before_start)


def test_no_marketing_claims(catalogue: Catalogue) -> None:
    for exercise in catalogue.exercises:
        for text in (exercise.purpose.nl, exercise.purpose.en):
            for claim in ("90 sec", "onmiddellijk", "immediately", "verlichting", "relief"):
                assert claim not in text.lower(), (exercise.id, claim)


def test_cited_sources_exist(catalogue: Catalogue, seeds: dict[str, str]) -> None:
    cited = set(catalogue.sources)
    for exercise in catalogue.exercises:
        cited |= set(exercise.sources)
    for item in catalogue.safety.red_flags + catalogue.safety.general:
        cited |= set(item.sources)
    missing = cited - set(seeds)
    assert not missing, f"cited but not in {SEEDS}: {missing}"


def test_source_quotes_are_verbatim(catalogue: Catalogue, seeds: dict[str, str]) -> None:
    quotes = [(e.id, q) for e in catalogue.exercises for q in e.source_quotes]
    quotes += [("safety", q) for q in catalogue.safety.source_quotes]
    wrong = [
        (owner, q.source, q.text[:60])
        for owner, q in quotes
        if _norm(q.text) not in seeds[q.source]
    ]
    assert not wrong, f"quotes not found verbatim in their article: {wrong}"


def test_every_dosage_number_appears_in_a_quote(catalogue: Catalogue) -> None:
    """Cheap traceability check: each number in a dosage is written in a quote of its source."""
    words = {
        3: ("3", "driemaal"),
        10: ("10", "tien"),
        20: ("20",),
        60: ("1 minuut",),
        30: ("30",),
        5: ("5",),
        15: ("15",),
        300: ("5-10 minuten",),
        600: ("5-10 minuten",),
    }
    for exercise in catalogue.exercises:
        for d in exercise.dosage:
            text = " ".join(q.text for q in exercise.source_quotes if q.source == d.source)
            numbers = [d.times, d.sets]
            for span in (d.hold_seconds, d.repetitions, d.duration_seconds):
                if span:
                    numbers += [span.min, span.max]
            for n in filter(None, numbers):
                assert any(w in text for w in words[n]), (exercise.id, d.source, n)
