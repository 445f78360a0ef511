"""The one place that turns catalogue content into Telegram HTML, in Dutch or English.

Every piece of catalogue text goes through `html.escape`, so the YAML can never inject tags;
labels come from data/locale/*/content.po via `bot.i18n.t`. All functions return HTML that
`bot.telegram_html.check_message` accepts (the loader checks this for the whole catalogue).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.content.models import Catalogue, Dosage, Exercise, Range, Routine, SafetyItem
from bot.i18n import Safe, t


@dataclass(frozen=True)
class GuidedStep:
    """One screen of guided mode: the step (Telegram HTML) and an optional countdown."""

    text: str
    hold_seconds: int | None = None


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _default_catalogue(catalogue: Catalogue | None) -> Catalogue:
    if catalogue is not None:
        return catalogue
    from bot.content.loader import get_catalogue  # late: the loader imports this module

    return get_catalogue()


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
    if dosage.sets:
        parts.append(t(lang, "content.dosage.sets", n=dosage.sets))
    return ", ".join(parts)


def _dosage_sentence(dosage: Dosage, lang: str, source_label: str | None) -> str:
    text = _capitalise(format_dosage(dosage, lang))
    if source_label:
        text += " (" + t(lang, "content.label.according_to", source=source_label) + ")"
    text += "."
    if dosage.note:
        text += " " + _esc(dosage.note.get(lang))
    return text


def _no_dosage(exercise: Exercise, lang: str) -> str:
    if exercise.dosage_note:
        return _esc(exercise.dosage_note.get(lang))
    return _capitalise(t(lang, "content.dosage.none")) + "."


def _dosage_block(exercise: Exercise, lang: str, catalogue: Catalogue) -> list[str]:
    label = f"<b>{t(lang, 'content.label.dosage')}:</b>"
    if not exercise.dosage:
        return [f"{label} {_no_dosage(exercise, lang)}"]
    note = f" {_esc(exercise.dosage_note.get(lang))}" if exercise.dosage_note else ""
    if len(exercise.dosage) == 1:
        return [f"{label} {_dosage_sentence(exercise.dosage[0], lang, None)}{note}"]
    lines = [label]
    for dosage in exercise.dosage:
        source = catalogue.sources.get(dosage.source)
        source_label = source.label.get(lang) if source else dosage.source
        lines.append("• " + _dosage_sentence(dosage, lang, source_label))
    if note:
        lines.append(note.strip())
    return lines


def _equipment_names(lang: str, items: list[str]) -> str:
    return ", ".join(t(lang, f"content.equipment.{item}") for item in items)


def _source_line(sources: list[str], lang: str, catalogue: Catalogue) -> str:
    labels = []
    for name in sources:
        source = catalogue.sources.get(name)
        labels.append(_esc(source.label.get(lang)) if source else _esc(name))
    return f"<i>{t(lang, 'content.label.sources')}: {'; '.join(labels)}</i>"


def render_exercise(exercise: Exercise, lang: str, catalogue: Catalogue | None = None) -> str:
    """An exercise as a Telegram HTML message: title, purpose, steps, dosage, cautions."""
    catalogue = _default_catalogue(catalogue)
    lines = [
        f"<b>{_esc(exercise.name.get(lang))}</b>",
        f"<i>{_esc(exercise.purpose.get(lang))}</i>",
    ]
    lines.append("")
    lines += [f"{i}. {_esc(step.get(lang))}" for i, step in enumerate(exercise.steps, 1)]
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
    for caution in exercise.cautions:
        lines.append(f"<b>{t(lang, 'content.label.caution')}:</b> {_esc(caution.get(lang))}")
    lines.append(_source_line(exercise.sources, lang, catalogue))
    return "\n".join(lines)


def render_routine(routine: Routine, lang: str, catalogue: Catalogue | None = None) -> str:
    """A one-minute break as one message: each exercise's steps and the dose used."""
    catalogue = _default_catalogue(catalogue)
    duration = t(lang, "content.routine.duration", time=Safe(_seconds(lang, routine.total_seconds)))
    lines = [
        f"<b>{t(lang, 'content.routine.title', name=routine.name.get(lang))}</b>",
        f"<i>{_capitalise(duration)}</i>",
    ]
    for item in routine.items:
        exercise = catalogue.exercise(item.exercise)
        lines.append("")
        title = f"<b>{_esc(exercise.name.get(lang))}</b>"
        if item.position:
            title += f" ({t(lang, f'content.position.{item.position}')})"
        time = Safe(_seconds(lang, item.seconds))
        title += " · " + t(lang, "content.routine.duration", time=time)
        lines.append(title)
        lines += [f"{i}. {_esc(step.get(lang))}" for i, step in enumerate(exercise.steps, 1)]
        dosage = exercise.dosage_from(item.dosage_source) if item.dosage_source else None
        dose = _dosage_sentence(dosage, lang, None) if dosage else _no_dosage(exercise, lang)
        lines.append(f"<i>{t(lang, 'content.label.dosage')}: {dose}</i>")
    lines.append("")
    lines.append(f"<i>{t(lang, 'content.routine.footer')}</i>")
    return "\n".join(lines)


def _safety_section(title: str, items: list[SafetyItem], lang: str) -> list[str]:
    return ["", f"<b>{title}</b>", *(f"• {_esc(item.get(lang))}" for item in items)]


def render_safety(lang: str, catalogue: Catalogue | None = None) -> str:
    """The full safety note: red flags, before you start, stretching rules, general advice."""
    safety = _default_catalogue(catalogue).safety
    lines = [f"<b>{t(lang, 'content.safety.title')}</b>"]
    lines += _safety_section(t(lang, "content.safety.red_flags"), safety.red_flags, lang)
    lines += _safety_section(t(lang, "content.safety.before_start"), safety.before_start, lang)
    lines += _safety_section(
        t(lang, "content.safety.stretching_rules"), safety.stretching_rules, lang
    )
    lines += _safety_section(t(lang, "content.safety.general"), safety.general, lang)
    lines += ["", f"<i>{t(lang, 'content.safety.disclaimer')}</i>"]
    return "\n".join(lines)


def guided_steps(
    exercise: Exercise, lang: str, dosage_source: str | None = None
) -> list[GuidedStep]:
    """The exercise as timed screens for guided mode, following one source's dosage.

    The step marked `hold` (or the last step) carries the holding time; repeats, sets and the
    other side are added as extra screens. For a range ("30 seconds to 1 minute") the countdown
    uses the lower bound, in line with 001's note that beyond ~30 seconds adds little.
    """
    dosage = exercise.dosage_from(dosage_source)
    hold: int | None = None
    if dosage and dosage.hold_seconds:
        hold = dosage.hold_seconds.min
    elif dosage and dosage.duration_seconds:
        hold = dosage.duration_seconds.min
    hold_index = next((i for i, s in enumerate(exercise.steps) if s.hold), None)
    if hold_index is None:
        hold_index = len(exercise.steps) - 1
    steps = [
        GuidedStep(_esc(step.get(lang)), hold if i == hold_index else None)
        for i, step in enumerate(exercise.steps)
    ]
    if dosage is None:
        return steps
    rounds = dosage.rounds
    if dosage.repetitions:
        dose = Safe(_repetitions(lang, dosage))
        steps += [
            GuidedStep(t(lang, "content.guided.set", n=n, total=rounds, dose=dose))
            for n in range(1, rounds + 1)
        ]
        return steps
    sides = 2 if dosage.per_side else 1
    for side in range(sides):
        if side and hold is not None:  # without a hold the steps already say "other side"
            steps.append(GuidedStep(t(lang, "content.guided.other_side"), hold))
        for n in range(2, rounds + 1):
            if hold is not None:
                time = Safe(_seconds(lang, hold))
                text = t(lang, "content.guided.again_hold", n=n, total=rounds, time=time)
            else:
                text = t(lang, "content.guided.again", n=n, total=rounds)
            steps.append(GuidedStep(text, hold))
    return steps
