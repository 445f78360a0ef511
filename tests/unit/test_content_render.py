"""Every message the catalogue produces is valid Telegram HTML, in both languages, escaped."""

from __future__ import annotations

import re

import pytest

from bot.content import (
    Catalogue,
    guided_steps,
    load_catalogue,
    render_exercise,
    render_routine,
    render_safety,
)
from bot.content.loader import get_catalogue
from bot.content.models import Text
from bot.telegram_html import MAX_TEXT, check_message

LANGS = ("nl", "en")
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return CATALOGUE


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("exercise_id", [e.id for e in CATALOGUE.exercises])
def test_every_exercise_renders(catalogue: Catalogue, exercise_id: str, lang: str) -> None:
    exercise = catalogue.exercise(exercise_id)
    text = render_exercise(exercise, lang, catalogue)
    parsed = check_message(text)
    assert parsed.length <= MAX_TEXT
    assert parsed.text.startswith(exercise.name.get(lang))
    assert any(e.type == "bold" for e in parsed.entities)
    for step in exercise.steps:
        assert step.get(lang) in parsed.text
    label = "Dosering" if lang == "nl" else "Dosage"
    assert f"{label}:" in parsed.text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("routine_id", [r.id for r in CATALOGUE.routines])
def test_every_routine_renders(catalogue: Catalogue, routine_id: str, lang: str) -> None:
    routine = catalogue.routine(routine_id)
    parsed = check_message(render_routine(routine, lang, catalogue))
    for item in routine.items:
        assert catalogue.exercise(item.exercise).name.get(lang) in parsed.text


@pytest.mark.parametrize("lang", LANGS)
def test_safety_note_renders(catalogue: Catalogue, lang: str) -> None:
    parsed = check_message(render_safety(lang, catalogue))
    for item in catalogue.safety.red_flags:
        assert item.get(lang) in parsed.text


def test_dosage_phrasing(catalogue: Catalogue) -> None:
    nl = check_message(
        render_exercise(catalogue.exercise("staande-bekkenrek"), "nl", catalogue)
    ).text
    en = check_message(
        render_exercise(catalogue.exercise("staande-bekkenrek"), "en", catalogue)
    ).text
    assert "20 seconden vasthouden, 3 keer (volgens het artikel over de staande bekkenrek)" in nl
    assert "Hold 20 seconds, 3 times (according to the article on the standing pelvic" in en
    assert "30 seconds, 2 times a day (KU Leuven, according to the article on the" in en
    child = check_message(render_exercise(catalogue.exercise("childs-pose"), "en", catalogue)).text
    assert "Hold 30 seconds to 1 minute (according to NRG Fitness)" in child
    bird = check_message(
        render_exercise(catalogue.exercise("superman-handen-knieen"), "nl", catalogue)
    ).text
    assert "20 herhalingen per kant, 3 sets (volgens FIT.nl)" in bird
    assert "minimaal drie keer per week te doen, 30 minuten per keer (volgens FIT.nl)" in bird
    bridge = check_message(render_exercise(catalogue.exercise("bruggetje"), "en", catalogue)).text
    assert "10 to 15 repetitions, 3 sets (according to NRG Fitness)" in bridge
    assert "Hold 1 minute, 3 times (according to FIT.nl)" in bridge
    holbol = check_message(
        render_exercise(catalogue.exercise("kattenrug-holrug"), "nl", catalogue)
    ).text
    assert "5 tot 10 minuten lang (volgens FIT.nl)" in holbol
    none = check_message(
        render_exercise(catalogue.exercise("lumbale-rotatie"), "en", catalogue)
    ).text
    assert "The article gives no dosage." in none


def test_steps_carry_no_numbers(catalogue: Catalogue) -> None:
    """Numbers live in the dosage, which names its article; a step cannot mix two articles."""
    for exercise in catalogue.exercises:
        for step in exercise.steps:
            assert not re.search(r"\d", step.nl + step.en), (exercise.id, step.nl)


def test_knees_to_chest_routine_does_not_mix_articles(catalogue: Catalogue) -> None:
    for routine_id in ("thuis-knieen-rotatie", "thuis-knieen-kindhouding"):
        for lang in LANGS:
            text = check_message(
                render_routine(catalogue.routine(routine_id), lang, catalogue)
            ).text
            knee_part = text.split("\n\n")[1]
            labels = [s.label.get(lang) for s in catalogue.sources.values()]
            assert sum(label in knee_part for label in labels) == 1, (routine_id, knee_part)
    text = check_message(
        render_routine(catalogue.routine("thuis-knieen-rotatie"), "nl", catalogue)
    ).text
    assert "tien seconden" not in text and "10 seconden" not in text


def test_routine_names_its_article(catalogue: Catalogue) -> None:
    for routine in catalogue.routines:
        for lang in LANGS:
            text = render_routine(routine, lang, catalogue)
            assert "dit artikel" not in text and "this article" not in text


def test_name_only_exercises_say_so(catalogue: Catalogue) -> None:
    for exercise_id in ("buikplank", "zijplank"):
        nl = check_message(render_exercise(catalogue.exercise(exercise_id), "nl", catalogue)).text
        assert "alleen bij naam" in nl
    bridge = check_message(render_exercise(catalogue.exercise("bruggetje"), "nl", catalogue)).text
    assert "alleen bij naam" not in bridge


@pytest.mark.parametrize("lang", LANGS)
def test_safety_note_says_when_to_stop_and_what_is_urgent(lang: str) -> None:
    text = check_message(render_safety(lang, CATALOGUE)).text
    if lang == "nl":
        assert "Vraag onmiddellijk medisch advies bij:\n• een hernia" in text
        assert "Wanneer stoppen\n• Stop als het pijn doet" in text
    else:
        assert "Get medical advice immediately if you have:\n• a herniated disc" in text
        assert "When to stop\n• Stop if it hurts" in text


def test_hostile_catalogue_text_is_escaped(catalogue: Catalogue) -> None:
    hostile = Text(nl="<script>&amp; <b>", en="<script>& </i>")
    base = catalogue.exercise("staande-bekkenrek")
    steps = [base.steps[0].model_copy(update={"nl": hostile.nl, "en": hostile.en})]
    exercise = base.model_copy(update={"name": hostile, "purpose": hostile, "steps": steps})
    for lang in LANGS:
        text = render_exercise(exercise, lang, catalogue)
        parsed = check_message(text)
        assert "<script>" not in text
        assert "&lt;script&gt;" in text
        assert hostile.get(lang) in parsed.text  # shown literally to the user


def test_guided_steps_bekkenrek_holds_20_three_times(catalogue: Catalogue) -> None:
    steps = guided_steps(catalogue.exercise("staande-bekkenrek"), "nl", get_catalogue())
    holds = [s.seconds for s in steps if s.kind == "hold"]
    assert holds == [20, 20, 20]
    assert len(steps) == 4 + 2
    for step in steps:
        check_message(step.text)


def test_guided_steps_follow_the_chosen_source(catalogue: Catalogue) -> None:
    bridge = catalogue.exercise("bruggetje")
    fit = guided_steps(bridge, "en", get_catalogue(), "002_d9a8e96430a04924.txt")
    assert [s.seconds for s in fit if s.kind == "hold"] == [60, 60, 60]
    nrg = guided_steps(bridge, "en", get_catalogue(), "003_5fb40e89b56d1ca4.txt")
    assert all(s.kind in ("read", "reps") for s in nrg)
    assert sum("10 to 15 repetitions" in s.text for s in nrg if s.kind == "reps") == 3


def test_guided_steps_without_dosage_have_no_countdown(catalogue: Catalogue) -> None:
    steps = guided_steps(catalogue.exercise("lumbale-rotatie"), "nl", get_catalogue())
    assert len(steps) == 3 and all(s.kind == "read" and s.seconds is None for s in steps)


def test_guided_movement_keeps_going(catalogue: Catalogue) -> None:
    steps = guided_steps(catalogue.exercise("kattenrug-holrug"), "en", get_catalogue())
    [move] = [s for s in steps if s.kind == "move"]
    assert (
        move.seconds == 300 and "Keep going for 5 to 10 minutes (according to FIT.nl)" in move.text
    )
    assert not any(s.kind == "hold" for s in steps)


@pytest.mark.parametrize("lang", LANGS)
def test_all_guided_steps_are_valid_html(catalogue: Catalogue, lang: str) -> None:
    for exercise in catalogue.exercises:
        for dosage in exercise.dosage or [None]:
            source = dosage.source if dosage else None
            for step in guided_steps(exercise, lang, get_catalogue(), source):
                check_message(step.text)
                assert step.kind in ("read", "hold", "move", "reps")
                assert (step.seconds is not None and step.seconds > 0) == (
                    step.kind in ("hold", "move")
                )
