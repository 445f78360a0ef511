"""Facts pinned to the source articles: if someone edits a dosage, these tests say which.

The quotes are checked against data/source_quotes.yaml everywhere, and that file against the
articles (sha256 and every sentence) wherever ../shared/seeds is present. In CI (CI=true) the
articles must be present: the source checks fail rather than skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.content import Catalogue, Dosage, load_catalogue
from bot.content.sources import (
    catalogue_quotes,
    load_lock,
    unlocked_quotes,
    verify_against_articles,
)

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


def locate_seeds(path: Path, ci: bool) -> Path:
    """The articles' folder; without it, fail in CI and skip with the reason elsewhere."""
    if not path.is_dir():
        if ci:
            pytest.fail(f"CI: the source articles must be beside the checkout at {path}")
        pytest.skip(
            f"source articles not found at {path} (expected ../shared/seeds); the quotes are "
            "still checked against data/source_quotes.yaml"
        )
    return path


@pytest.fixture(scope="module")
def seeds() -> Path:
    return locate_seeds(SEEDS, os.environ.get("CI", "").lower() in ("1", "true", "yes"))


def test_missing_articles_fail_in_ci_and_skip_elsewhere(tmp_path: Path) -> None:
    missing = tmp_path / "seeds"
    with pytest.raises(pytest.fail.Exception, match="CI: the source articles must be"):
        locate_seeds(missing, ci=True)
    with pytest.raises(pytest.skip.Exception, match="source articles not found"):
        locate_seeds(missing, ci=False)
    assert locate_seeds(tmp_path, ci=True) == tmp_path


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
    one_knee = _dose(catalogue, "knie-naar-borst", S003)
    assert one_knee.per_side and one_knee.hold_seconds is None  # 003 gives no holding time
    # No card mixes the two articles: each exercise has one source.
    assert catalogue.exercise("knieen-naar-borst").sources == [S001]
    assert catalogue.exercise("knie-naar-borst").sources == [S003]


def test_bekkenrek_keeps_the_institutes_dosages(catalogue: Catalogue) -> None:
    """000's table: UMC Groningen 3x per day / 20 s and KU Leuven 2x per day / 30 s."""
    by = {d.by.en if d.by else None: d for d in catalogue.exercise("staande-bekkenrek").dosage}
    assert (by["KU Leuven"].hold_seconds.min, by["KU Leuven"].per_day) == (30, 2)
    umc = by["UMC Groningen, pilot study"]
    assert (umc.hold_seconds.min, umc.per_day) == (20, 3)
    assert catalogue.exercise("staande-bekkenrek").dosage_from(S000) is by[None]


def test_fit_training_frequency_is_kept(catalogue: Catalogue) -> None:
    frequency = catalogue.sources[S002].frequency
    assert frequency is not None and "drie keer per week" in frequency.nl
    assert "30 minuten" in frequency.nl and "30 minutes" in frequency.en


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
        "knie-naar-borst",
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
        "foam-roller-onderrug",
    } <= ids
    assert set(catalogue.exercise("kattenrug-holrug").sources) == {S001, S002}
    assert set(catalogue.exercise("bruggetje").sources) == {S002, S003}


def test_exercise_specific_cautions(catalogue: Catalogue) -> None:
    bridge = " ".join(c.nl for c in catalogue.exercise("bruggetje").cautions)
    assert "holling" in bridge
    transversus = " ".join(c.nl for c in catalogue.exercise("transversus-aanspannen").cautions)
    assert "krampachtig" in transversus
    roller = " ".join(c.nl for c in catalogue.exercise("foam-roller-onderrug").cautions)
    assert "pijnvrij" not in roller  # 003's "mits pijnvrij" is about palm and ball massage


# Each article's general caution, by a word it must contain.
ARTICLE_CAUTION = {
    S000: "voorzichtigheid",
    S001: "onmiddellijk",
    S002: "raadplegen",
    S003: "alarmsignalen",
}


def test_every_exercise_carries_its_articles_cautions(catalogue: Catalogue) -> None:
    for exercise in catalogue.exercises:
        for source in exercise.sources:
            mine = [c.nl for c in exercise.cautions if c.source == source]
            assert any(ARTICLE_CAUTION[source] in text for text in mine), (exercise.id, source)


def test_red_flags_keep_their_urgency(catalogue: Catalogue) -> None:
    """001: hernia or sudden pain radiating to the leg need "onmiddellijk medisch advies"."""
    urgent = " ".join(item.nl for item in catalogue.safety.urgent)
    assert "hernia" in urgent and "uitstraalt naar het been" in urgent
    assert all(S001 in item.sources for item in catalogue.safety.urgent)
    flags = " ".join(item.nl for item in catalogue.safety.red_flags)
    assert "hernia" not in flags  # not demoted to "see a doctor first"


def test_safety_red_flags_cover_the_articles(catalogue: Catalogue) -> None:
    text = " ".join(item.nl for item in catalogue.safety.red_flags).lower()
    for word in ("operatie", "artrose", "ontsteking", "trauma", "neurologische", "breuken"):
        assert word in text, word
    general = " ".join(item.nl for item in catalogue.safety.general)
    assert "beste oefening" in general and "4 weken" in general and "Wandelen" in general
    rules = " ".join(item.nl for item in catalogue.safety.stretching_rules).lower()
    assert "veer" in rules and "pijn" in rules and "dertig seconden" in rules
    stop = " ".join(item.nl for item in catalogue.safety.when_to_stop)
    assert "pijnsignaal" in stop and "Stop" in stop
    assert any(S000 in item.sources for item in catalogue.safety.when_to_stop)
    assert any(S002 in item.sources for item in catalogue.safety.before_start)


def test_cited_sources_exist(catalogue: Catalogue, seeds: Path) -> None:
    cited = set(catalogue.sources)
    for exercise in catalogue.exercises:
        cited |= set(exercise.sources)
    for item in catalogue.safety.items():
        cited |= set(item.sources)
    missing = {name for name in cited if not (seeds / name).is_file()}
    assert not missing, f"cited but not in {seeds}: {missing}"


def test_every_quote_is_locked_with_its_article() -> None:
    """Runs everywhere: each quote is one of the sentences stored with its article's sha256."""
    catalogue = load_catalogue()
    assert unlocked_quotes(catalogue, load_lock()) == []
    assert set(catalogue_quotes(catalogue)) == set(load_lock())


def test_locked_quotes_match_the_articles(seeds: Path) -> None:
    assert verify_against_articles(load_lock(), seeds) == []


def test_a_changed_article_or_invented_quote_is_caught(seeds: Path, tmp_path: Path) -> None:
    lock = load_lock()
    for name in lock:
        (tmp_path / name).write_bytes((seeds / name).read_bytes())
    invented = dict(lock[S000])
    invented["quotes"] = [*invented["quotes"], "Houd deze positie zo lang mogelijk vast."]  # type: ignore[misc]
    problems = verify_against_articles({**lock, S000: invented}, tmp_path)
    assert problems == [f"{S000}: not found verbatim: 'Houd deze positie zo lang mogelijk vast.'"]
    edited = tmp_path / S001
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert verify_against_articles(lock, tmp_path) == [
        f"{S001}: sha256 differs from the locked one: the article changed"
    ]


def test_an_unlocked_quote_is_caught() -> None:
    catalogue = load_catalogue()
    bekkenrek = catalogue.exercise("staande-bekkenrek")
    step = bekkenrek.steps[3]
    assert step.quote is not None
    forged = step.model_copy(
        update={"quote": step.quote.model_copy(update={"text": "Houd dit 60 seconden vast."})}
    )
    changed = bekkenrek.model_copy(update={"steps": [*bekkenrek.steps[:3], forged]})
    exercises = [changed if e.id == bekkenrek.id else e for e in catalogue.exercises]
    problems = unlocked_quotes(catalogue.model_copy(update={"exercises": exercises}), load_lock())
    assert problems == [f"{S000}: quote not in source_quotes.yaml: 'Houd dit 60 seconden vast.'"]
