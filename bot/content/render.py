"""The one place that turns catalogue content into Telegram HTML, in Dutch or English.

Every piece of catalogue text goes through `html.escape`, so the YAML can never inject tags;
labels come from data/locale/*/content.po via `bot.i18n.t`. All functions return HTML that
`bot.telegram_html.check_message` accepts (the loader checks this for the whole catalogue).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.content.models import (
    Catalogue,
    Dosage,
    Exercise,
    Range,
    Routine,
    RoutineItem,
    SafetyItem,
)
from bot.content.timing import item_dosage, routine_time
from bot.i18n import Safe, t

#: The article whose stretching rules the routine footer repeats.
FOOTER_SOURCE = "001_a5e37c4a4b75bd86.txt"


@dataclass(frozen=True)
class GuidedStep:
    """One screen of guided mode: the step (Telegram HTML), its kind and its sourced seconds.

    kind: "read" (shown for a while), "hold" (counts down `seconds` of holding), "move" (keep
    moving for `seconds`) or "reps" (repetitions: waits for "Next").
    """

    text: str
    kind: str = "read"
    seconds: int | None = None


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _seconds(lang: str, n: int) -> str:
    if n == 60:
        return t(lang, "content.unit.minute")
    if n % 60 == 0:
        return t(lang, "content.unit.minutes", n=n // 60)
    return t(lang, "content.unit.seconds", n=n)


def format_time(lang: str, span: Range) -> str:
    """'20 seconden', '1 minuut', '3 tot 5 seconden', '30 seconden tot 1 minuut'."""
    if span.is_single:
        return _seconds(lang, span.min)
    if span.min % 60 == 0 and span.max % 60 == 0:
        return t(lang, "content.unit.minutes_range", low=span.min // 60, high=span.max // 60)
    if span.max < 60:
        return t(lang, "content.unit.seconds_range", low=span.min, high=span.max)
    return t(
        lang,
        "content.unit.range",
        low=Safe(_seconds(lang, span.min)),
        high=Safe(_seconds(lang, span.max)),
    )


def _repetitions(lang: str, dosage: Dosage) -> str:
    assert dosage.repetitions is not None
    reps = dosage.repetitions
    text = (
        t(lang, "content.dosage.reps", n=reps.min)
        if reps.is_single
        else t(lang, "content.dosage.reps_range", low=reps.min, high=reps.max)
    )
    if dosage.per_side:
        text += " " + t(lang, "content.dosage.per_side")
    return text


def format_dosage(dosage: Dosage, lang: str) -> str:
    """The dosage as one phrase (HTML-safe), e.g. 'hold 20 seconds, 3 times'; no note."""
    parts: list[str] = []
    if dosage.hold_seconds:
        hold = t(lang, "content.dosage.hold", time=Safe(format_time(lang, dosage.hold_seconds)))
        if dosage.per_side:
            hold += " " + t(lang, "content.dosage.per_side")
        parts.append(hold)
    if dosage.repetitions:
        parts.append(_repetitions(lang, dosage))
    if dosage.duration_seconds:
        time = Safe(format_time(lang, dosage.duration_seconds))
        parts.append(t(lang, "content.dosage.duration", time=time))
    if dosage.per_side and not (dosage.hold_seconds or dosage.repetitions):
        parts.append(t(lang, "content.dosage.both_sides"))
    if dosage.times:
        parts.append(t(lang, "content.dosage.times", n=dosage.times))
    if dosage.per_day:
        parts.append(t(lang, "content.dosage.per_day", n=dosage.per_day))
    if dosage.sets:
        parts.append(t(lang, "content.dosage.sets", n=dosage.sets))
    return ", ".join(parts)


def source_label(catalogue: Catalogue, name: str, lang: str) -> str:
    """The article's short name for users (HTML-escaped)."""
    source = catalogue.sources.get(name)
    return _esc(source.label.get(lang)) if source else _esc(name)


def origin(dosage: Dosage, lang: str, catalogue: Catalogue) -> str:
    """'volgens FIT.nl' or 'KU Leuven, volgens …': every dosage names where it comes from."""
    label = Safe(source_label(catalogue, dosage.source, lang))
    if dosage.by is not None:
        return t(lang, "content.label.by_according_to", by=dosage.by.get(lang), source=label)
    return t(lang, "content.label.according_to", source=label)


def dosage_sentence(dosage: Dosage, lang: str, catalogue: Catalogue) -> str:
    """'20 seconden vasthouden, 3 keer (volgens …).' plus the source's own note."""
    text = f"{_capitalise(format_dosage(dosage, lang))} ({origin(dosage, lang, catalogue)})."
    if dosage.note:
        text += " " + _esc(dosage.note.get(lang))
    return text


def _frequency_sentence(name: str, lang: str, catalogue: Catalogue) -> str | None:
    source = catalogue.sources.get(name)
    if source is None or source.frequency is None:
        return None
    label = Safe(source_label(catalogue, name, lang))
    text = _esc(source.frequency.get(lang)).rstrip(".")
    return f"{text} ({t(lang, 'content.label.according_to', source=label)})."


def _no_dosage(exercise: Exercise, lang: str) -> str:
    if exercise.dosage_note:
        return _esc(exercise.dosage_note.get(lang))
    return _capitalise(t(lang, "content.dosage.none")) + "."


def _dosage_block(exercise: Exercise, lang: str, catalogue: Catalogue) -> list[str]:
    """Every source's dosage with its article, then each article's advice on frequency."""
    label = f"<b>{t(lang, 'content.label.dosage')}:</b>"
    sentences = [dosage_sentence(d, lang, catalogue) for d in exercise.dosage]
    note = [_esc(exercise.dosage_note.get(lang))] if exercise.dosage_note else []
    if not sentences:
        sentences, note = [_no_dosage(exercise, lang)], []
    for name in exercise.sources:
        if (frequency := _frequency_sentence(name, lang, catalogue)) is not None:
            sentences.append(frequency)
    if len(sentences) == 1:
        return [" ".join([label, *sentences, *note])]
    return [label, *(f"• {s}" for s in sentences), *note]


def _equipment_names(lang: str, items: list[str]) -> str:
    return ", ".join(t(lang, f"content.equipment.{item}") for item in items)


def _source_line(sources: list[str], lang: str, catalogue: Catalogue) -> str:
    labels = [source_label(catalogue, name, lang) for name in sources]
    return f"<i>{t(lang, 'content.label.sources')}: {'; '.join(labels)}</i>"


def _caution_lines(exercise: Exercise, lang: str, catalogue: Catalogue) -> list[str]:
    return [
        f"<b>{t(lang, 'content.label.caution')}:</b> {_esc(c.get(lang))} "
        f"<i>({source_label(catalogue, c.source, lang)})</i>"
        for c in exercise.cautions
    ]


def _steps(exercise: Exercise, lang: str) -> list[str]:
    return [f"{i}. {_esc(step.get(lang))}" for i, step in enumerate(exercise.steps, 1)]


def render_exercise(exercise: Exercise, lang: str, catalogue: Catalogue) -> str:
    """An exercise as a Telegram HTML message: title, purpose, steps, dosage, cautions."""
    lines = [
        f"<b>{_esc(exercise.name.get(lang))}</b>",
        f"<i>{_esc(exercise.purpose.get(lang))}</i>",
    ]
    if exercise.name_only:
        lines.append(f"⚠️ {t(lang, 'content.name_only')}")
    lines.append("")
    lines += _steps(exercise, lang)
    lines.append("")
    lines += _dosage_block(exercise, lang, catalogue)
    if exercise.equipment:
        lines.append(
            f"<b>{t(lang, 'content.label.equipment')}:</b> "
            f"{_equipment_names(lang, list(exercise.equipment))}"
        )
    if exercise.equipment_note:
        lines.append(_esc(exercise.equipment_note.get(lang)))
    elif exercise.optional_equipment:
        lines.append(
            f"<b>{t(lang, 'content.label.optional')}:</b> "
            f"{_equipment_names(lang, list(exercise.optional_equipment))}"
        )
    lines += _caution_lines(exercise, lang, catalogue)
    lines.append(_source_line(exercise.sources, lang, catalogue))
    return "\n".join(lines)


def exercise_caption(exercise: Exercise, lang: str, catalogue: Catalogue) -> str:
    """An animation's short caption: the name and the dosage (the steps follow as text)."""
    return "\n".join(
        [f"<b>{_esc(exercise.name.get(lang))}</b>", *_dosage_block(exercise, lang, catalogue)]
    )


def steps_caption(exercise: Exercise, lang: str) -> str:
    """The name and numbered steps: the words that go with an animation as its alt text."""
    return "\n".join([f"<b>{_esc(exercise.name.get(lang))}</b>", *_steps(exercise, lang)])


def own_label(lang: str) -> str:
    """The label that marks a number as Rekpauze's own pacing rather than an article's."""
    return t(lang, "content.pacing.own")


def own_time(lang: str, seconds: int) -> str:
    """Rekpauze's own pacing as words: 'ongeveer een halve minuut', 'ongeveer 40 seconden'."""
    if seconds == 30:
        return t(lang, "content.pacing.half_minute")
    if seconds == 60:
        return t(lang, "content.pacing.minute")
    return t(lang, "content.routine.about", time=Safe(_seconds(lang, seconds)))


def _routine_dose(item: RoutineItem, exercise: Exercise, lang: str, catalogue: Catalogue) -> str:
    dosage = item_dosage(exercise, item)
    parts = [dosage_sentence(dosage, lang, catalogue)] if dosage else []
    if not dosage or (exercise.dosage_note and item.own_seconds is not None):
        parts.append(_no_dosage(exercise, lang))  # says what the article leaves open
    if item.own_seconds is not None:
        own = Safe(own_time(lang, item.own_seconds))
        parts.append(t(lang, "content.pacing.item", time=own, own=own_label(lang)))
    return f"<i>{t(lang, 'content.label.dosage')}: {' '.join(parts)}</i>"


def _routine_duration(routine: Routine, lang: str, catalogue: Catalogue) -> str:
    low, high = routine_time(catalogue, routine)
    span = Range(min=low, max=high)
    time = Safe(format_time(lang, span))
    return t(lang, "content.routine.duration", time=time, own=own_label(lang))


def render_routine(routine: Routine, lang: str, catalogue: Catalogue) -> str:
    """A one-minute break as one message: each exercise's steps, the dosage used with its
    article, and every other number labelled as Rekpauze's own pacing."""
    lines = [
        f"<b>{t(lang, 'content.routine.title', name=routine.name.get(lang))}</b>",
        f"<i>{_routine_duration(routine, lang, catalogue)}</i>",
    ]
    for item in routine.items:
        exercise = catalogue.exercise(item.exercise)
        lines.append("")
        title = f"<b>{_esc(exercise.name.get(lang))}</b>"
        if item.position:
            title += f" ({t(lang, f'content.position.{item.position}')})"
        lines.append(title)
        lines += _steps(exercise, lang)
        lines.append(_routine_dose(item, exercise, lang, catalogue))
        lines += _caution_lines(exercise, lang, catalogue)
    lines.append("")
    rules = Safe(source_label(catalogue, FOOTER_SOURCE, lang))
    lines.append(f"<i>{t(lang, 'content.routine.footer', source=rules)}</i>")
    return "\n".join(lines)


def _safety_section(
    title: str, items: list[SafetyItem], lang: str, catalogue: Catalogue
) -> list[str]:
    lines = ["", f"<b>{title}</b>"]
    for item in items:
        labels = "; ".join(source_label(catalogue, name, lang) for name in item.sources)
        lines.append(f"• {_esc(item.get(lang))} <i>({labels})</i>")
    return lines


def render_safety(lang: str, catalogue: Catalogue) -> str:
    """The full safety note: urgent signs, red flags, before you start, when to stop,
    stretching rules and general advice, each line with its article."""
    safety = catalogue.safety
    lines = [f"<b>{t(lang, 'content.safety.title')}</b>"]
    for key, items in (
        ("urgent", safety.urgent),
        ("red_flags", safety.red_flags),
        ("before_start", safety.before_start),
        ("when_to_stop", safety.when_to_stop),
        ("stretching_rules", safety.stretching_rules),
        ("general", safety.general),
    ):
        lines += _safety_section(t(lang, f"content.safety.{key}"), items, lang, catalogue)
    lines += ["", f"<i>{t(lang, 'content.safety.disclaimer')}</i>"]
    return "\n".join(lines)


def guided_steps(
    exercise: Exercise,
    lang: str,
    catalogue: Catalogue,
    dosage_source: str | None = None,
) -> list[GuidedStep]:
    """The exercise as screens for guided mode, following one source's dosage.

    The step marked `timed` (or the last step) carries the dosage's time: a hold counts down,
    a movement (a duration) says "keep going". Rounds and sides with a hold are extra hold
    screens; rounds, sets and repetitions without a sourced time wait for "Next", since no
    article gives a tempo. For a range the countdown uses the lower bound, in line with 001's
    note that beyond ~30 seconds adds little. Every screen with a number names its article.
    """
    dosage = exercise.dosage_from(dosage_source)
    timed_index = next((i for i, s in enumerate(exercise.steps) if s.timed), None)
    if timed_index is None:
        timed_index = len(exercise.steps) - 1
    steps = [GuidedStep(_esc(step.get(lang))) for step in exercise.steps]
    if dosage is None:
        return steps
    where = Safe(origin(dosage, lang, catalogue))
    dose_line = f"\n<i>{dosage_sentence(dosage, lang, catalogue)}</i>"
    timed_text = steps[timed_index].text
    if dosage.duration_seconds:
        time = Safe(format_time(lang, dosage.duration_seconds))
        keep_going = t(lang, "content.guided.keep_going", time=time, origin=where)
        steps[timed_index] = GuidedStep(
            f"{timed_text}\n<i>{keep_going}</i>", "move", dosage.duration_seconds.min
        )
        return steps
    if dosage.hold_seconds:
        hold = dosage.hold_seconds.min
        steps[timed_index] = GuidedStep(timed_text + dose_line, "hold", hold)
        time = Safe(_seconds(lang, hold))
        for side in range(dosage.sides):
            if side:
                text = t(lang, "content.guided.other_side", time=time, origin=where)
                steps.append(GuidedStep(text, "hold", hold))
            for n in range(2, dosage.rounds + 1):
                text = t(
                    lang,
                    "content.guided.again_hold",
                    n=n,
                    total=dosage.rounds,
                    time=time,
                    origin=where,
                )
                steps.append(GuidedStep(text, "hold", hold))
        return steps
    steps[timed_index] = GuidedStep(timed_text + dose_line)
    if dosage.repetitions:
        dose = Safe(_repetitions(lang, dosage))
        total = dosage.rounds
        steps += [
            GuidedStep(
                t(lang, "content.guided.set", n=n, total=total, dose=dose, origin=where), "reps"
            )
            for n in range(1, total + 1)
        ]
    elif dosage.rounds > 1:
        total = dosage.rounds
        steps += [
            GuidedStep(t(lang, "content.guided.again", n=n, total=total, origin=where), "reps")
            for n in range(1, total + 1)
        ]
    return steps
