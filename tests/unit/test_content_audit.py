"""Content checks that cannot be fooled: claims, numbers, cautions, Dutch against English, and
every number a user sees tied to its article or labelled as Rekpauze's own pacing.

The two fabricated texts of issue 15 passed every content test before these checks; they are
kept here as negative tests, with a few more ways to sneak a number or a promise in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.content import audit
from bot.content.loader import get_catalogue, load_catalogue
from bot.content.models import Catalogue, Exercise
from bot.content.render import guided_steps, render_exercise, render_routine, render_safety
from bot.handlers.exercises import guided_screen
from bot.i18n import t
from bot.services.guided import frame_at
from bot.telegram_html import check_message
from tests.catalogue_kit import exercise as exercise_entry
from tests.catalogue_kit import raw_catalogue, write_variant

LANGS = ("nl", "en")
CATALOGUE = load_catalogue()

#: Issue 15, point 11: both passed every content test in a copy of the tree.
FAKE_PURPOSE_EN = "Cures lower back pain; guaranteed to prevent back problems"
FAKE_STEP_NL = (
    "Houd deze positie zo lang mogelijk vast; langer rekken is altijd beter en pijn hoort erbij"
)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return raw_catalogue()


def _variant(
    tmp_path: Path, raw: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> Catalogue:
    """A copy of the real catalogue file with one edit, loaded like the real one."""
    return load_catalogue(write_variant(tmp_path, raw, change))


_exercise = exercise_entry


# ------------------------------------------------------------------ the real content passes


def test_catalogue_passes_every_check() -> None:
    assert audit.check_catalogue(CATALOGUE) == []


def test_translations_pass_every_check() -> None:
    assert audit.check_translations(audit.translations()) == []


def test_every_user_facing_catalogue_text_is_audited() -> None:
    """The audit sees every step, caution and safety line (nothing skipped silently)."""
    seen = {f.text.nl for f in audit.fields(CATALOGUE)}
    for exercise in CATALOGUE.exercises:
        for text in (exercise.purpose, *exercise.steps, *exercise.cautions):
            assert text.nl in seen
    assert {item.nl for item in CATALOGUE.safety.items()} <= seen


# ------------------------------------------------------------- the fabricated examples fail


def test_fabricated_english_purpose_fails(tmp_path: Path, raw: dict[str, Any]) -> None:
    fake = _variant(
        tmp_path,
        raw,
        lambda d: _exercise(d, "staande-bekkenrek")["purpose"].update(en=FAKE_PURPOSE_EN),
    )
    problems = audit.check_catalogue(fake)
    where = "exercise staande-bekkenrek purpose"
    assert f"{where} [en]: promise word '\\\\bcure[sd]?\\\\b'" in problems
    assert f"{where} [en]: promise word '\\\\bguarantee'" in problems
    assert f"{where} [en]: promise word '\\\\bprevent(s|ed|ion)?\\\\b'" in problems
    assert f"{where}: cautions differ: nl [], en ['pain']" in problems


def test_fabricated_dutch_step_fails(tmp_path: Path, raw: dict[str, Any]) -> None:
    fake = _variant(
        tmp_path,
        raw,
        lambda d: _exercise(d, "staande-bekkenrek")["steps"][3].update(nl=FAKE_STEP_NL),
    )
    problems = audit.check_catalogue(fake)
    where = "exercise staande-bekkenrek step 4"
    assert f"{where} [nl]: promise word '\\\\bzo lang mogelijk'" in problems
    assert f"{where} [nl]: promise word '(?<!niet )\\\\baltijd beter'" in problems
    assert f"{where} [nl]: promise word '\\\\bhoort erbij'" in problems
    assert any(p.startswith(f"{where}: cautions differ") for p in problems)


def test_fabricated_texts_fail_in_translations_too() -> None:
    messages = audit.translations()
    fake = {"nl": {**messages["nl"]}, "en": {**messages["en"]}}
    fake["en"]["content.routine.footer"] = FAKE_PURPOSE_EN
    fake["nl"]["content.guided.reps"] = FAKE_STEP_NL
    problems = audit.check_translations(fake)
    assert any("translation content.routine.footer [en]: promise word" in p for p in problems)
    assert any("translation content.guided.reps [nl]: promise word" in p for p in problems)


# ------------------------------------------------------------------------ numbers and words


def test_numbers_are_whole_numbers() -> None:
    assert audit.numbers("Houd 30 seconden vast") == {30}
    assert 3 not in audit.numbers("30 seconden") and 0 not in audit.numbers("30 seconden")
    assert audit.numbers("herhaal driemaal") == {3}
    assert audit.numbers("houd tien seconden vast") == {10}
    assert audit.numbers("Doe dit 5-10 minuten.") == {5, 10, 300, 600}
    assert audit.numbers("Houd deze positie 1 minuut vast") == {1, 60}
    assert audit.numbers("ongeveer een halve minuut") == {30}
    assert audit.numbers("about half a minute") == {30}
    assert audit.numbers("3–5 seconden") == {3, 5}
    assert audit.numbers("Rugklachten") == set()


def test_a_number_not_in_its_quote_fails(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        step = _exercise(d, "staande-bekkenrek")["steps"][3]
        step.update(
            nl="Houd deze positie 30 seconden vast.", en="Hold this position for 30 seconds."
        )

    problems = audit.check_catalogue(_variant(tmp_path, raw, change))
    assert "exercise staande-bekkenrek step 4: numbers [30] are not in its quote" in problems


def test_dutch_and_english_numbers_must_agree(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        _exercise(d, "childs-pose")["steps"][3]["en"] = "Stay in this position for 3 minutes."

    problems = audit.check_catalogue(_variant(tmp_path, raw, change))
    assert "exercise childs-pose step 4: numbers differ: nl [], en [3, 180]" in problems


def test_a_caution_missing_in_english_fails(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["safety"]["urgent"][0]["en"] = "a back problem"
        d["safety"]["when_to_stop"][1]["en"] = "Stop if you have a hernia, and get advice."

    problems = audit.check_catalogue(_variant(tmp_path, raw, change))
    assert any("cautions differ: nl ['hernia'], en []" in p for p in problems)
    assert any(
        "cautions differ: nl ['hernia', 'immediately', 'pain', 'stop'], en ['hernia', 'stop']" in p
        for p in problems
    )


def test_a_dosage_number_must_be_in_its_quotes(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        _exercise(d, "staande-bekkenrek")["dosage"][0]["hold_seconds"] = 21

    problems = audit.check_catalogue(_variant(tmp_path, raw, change))
    assert "exercise staande-bekkenrek dosage 0: [21] not in its quotes" in problems


def test_framing_cannot_carry_a_caution(tmp_path: Path, raw: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        _exercise(d, "heupbuigerstretch")["steps"][0].update(
            nl="Ga rechtop staan; bij pijn gewoon doorgaan.",
            en="Stand up straight; if it hurts, just carry on.",
        )

    problems = audit.check_catalogue(_variant(tmp_path, raw, change))
    assert "exercise heupbuigerstretch step 1: a caution needs a quote, not framing" in problems


# -------------------------------------------------------- every rendered number is sourced


def _guided_frames(exercise: Exercise, lang: str) -> Iterator[str]:
    """Every screen guided mode shows for the exercise, pressing "Next" when a step waits."""
    steps = guided_steps(exercise, lang, get_catalogue())
    start, elapsed, last = 0, 0, None
    while True:
        frame = frame_at(steps, elapsed, start)
        if frame != last:
            yield check_message(guided_screen(get_catalogue(), exercise, lang, frame)[0]).text
            last = frame
        if frame.phase == "done":
            return
        if frame.phase == "reps":
            start, elapsed = frame.index + 1, 0
        else:
            elapsed += 1


def _every_message(catalogue: Catalogue) -> Iterator[tuple[str, str, str]]:
    for lang in LANGS:
        for exercise in catalogue.exercises:
            yield (
                f"card {exercise.id}",
                lang,
                check_message(render_exercise(exercise, lang, catalogue)).text,
            )
            for dosage in exercise.dosage or [None]:
                source = dosage.source if dosage else None
                for step in guided_steps(exercise, lang, source, catalogue):
                    yield f"guided step {exercise.id} {source}", lang, check_message(step.text).text
            if exercise.offered:
                for n, frame in enumerate(_guided_frames(exercise, lang)):
                    yield f"guided {exercise.id} frame {n}", lang, frame
        for routine in catalogue.routines:
            yield (
                f"routine {routine.id}",
                lang,
                check_message(render_routine(routine, lang, catalogue)).text,
            )
        yield "safety", lang, check_message(render_safety(lang, catalogue)).text


def test_every_rendered_number_names_its_source_or_own_pacing() -> None:
    messages = list(_every_message(CATALOGUE))
    assert len(messages) > 200
    assert audit.walk(messages, CATALOGUE) == []


def test_the_walk_sees_numbers_in_every_kind_of_message() -> None:
    """Guard against a walk that passes because it finds nothing to check."""
    with_numbers = {
        where.split()[0] for where, _, text in _every_message(CATALOGUE) if audit.numbers(text)
    }
    assert {"card", "guided", "routine", "safety"} <= with_numbers


@pytest.mark.parametrize("lang", LANGS)
def test_an_unlabelled_number_is_caught(lang: str) -> None:
    """The old routine message: "· about 30 seconds" next to "the article gives no dosage"."""
    old = (
        t(lang, "content.routine.about", time="30 s") + ". " + t(lang, "content.dosage.none") + "."
    )
    assert audit.unattributed_numbers(old, lang, CATALOGUE) != []
    labelled = t(
        lang,
        "content.pacing.item",
        time=t(lang, "content.pacing.half_minute"),
        own=audit.labels(CATALOGUE, lang)[-1],
    )
    assert audit.unattributed_numbers(labelled, lang, CATALOGUE) == []


def test_a_number_in_a_step_is_caught(tmp_path: Path, raw: dict[str, Any]) -> None:
    """001's "ten seconds" in a step of a card that also shows 003 is not attributed."""

    def change(d: dict[str, Any]) -> None:
        _exercise(d, "knie-naar-borst")["steps"][1].update(
            nl="Trek één knie naar je borst en houd tien seconden vast.",
            en="Pull one knee towards your chest and hold for ten seconds.",
        )

    fake = _variant(tmp_path, raw, change)
    text = check_message(render_exercise(fake.exercise("knie-naar-borst"), "nl", fake)).text
    assert audit.unattributed_numbers(text, "nl", fake) == [
        "Trek één knie naar je borst en houd tien seconden vast."
    ]


def test_a_countdown_longer_than_any_sourced_number_is_caught() -> None:
    bekkenrek = CATALOGUE.exercise("staande-bekkenrek")
    [frame] = [f for f in _guided_frames(bekkenrek, "en") if "Hold... 20 s" in f][:1]
    assert audit.unattributed_numbers(frame, "en", CATALOGUE) == []
    forged = frame.replace("Hold... 20 s", "Hold... 90 s")
    assert audit.unattributed_numbers(forged, "en", CATALOGUE) == ["⏳ Hold... 90 s"]
