"""Typed, strict models of the exercise catalogue (data/exercises.yaml).

Strict (`extra="forbid"`) so that a misspelt field in the YAML is an error, not silently ignored
content. Cross-references (routine -> exercise, cited sources) are checked by the loader, which
collects every problem into one report.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    model_validator,
)

Lang = Literal["nl", "en"]
Position = Literal[
    "standing", "seated", "lying_back", "prone", "side", "hands_and_knees", "kneeling"
]
Equipment = Literal["wall", "chair", "foam_roller", "medicine_ball", "small_object"]
Area = Literal["lower_back", "spine", "pelvis", "hips", "glutes", "abdomen", "flank"]
Kind = Literal["mobility", "stretch", "strength", "self_massage"]
Place = Literal["office", "home"]

#: Positions that fit an office: no floor, no mat.
OFFICE_POSITIONS: frozenset[str] = frozenset({"standing", "seated"})

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
SourceName = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}_[0-9a-f]+\.txt$")]

# Sanity bounds for dosages: anything beyond these is a typo, not an instruction.
MAX_HOLD_SECONDS = 600
MAX_DURATION_SECONDS = 3600
MAX_REPETITIONS = 100
MAX_TIMES = 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in both languages; both are required and non-empty."""

    nl: NonEmpty
    en: NonEmpty

    def get(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


class Quote(_Strict):
    """A verbatim sentence from a source article, so a reviewer can trace the content."""

    source: SourceName
    text: NonEmpty


class Quoted(Text):
    """A text with the article sentence it rests on; `quote: null` only for neutral framing
    (the audit then allows no number and no caution word in it)."""

    quote: Quote | None = None


class Step(Quoted):
    """One numbered step; `timed` marks where the dosage's time (hold or duration) is counted."""

    timed: bool = False


class Caution(Text):
    """A caution tied to the article and the sentence it comes from."""

    source: SourceName
    quote: NonEmpty


class SafetyItem(Text):
    """One line of the safety note with the sentences (and so the articles) it rests on."""

    quotes: list[Quote] = Field(min_length=1)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(q.source for q in self.quotes))


class Range(_Strict):
    """A positive number or an ordered range (``20`` or ``{min: 30, max: 60}``)."""

    min: PositiveInt
    max: PositiveInt

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"min": value, "max": value}
        if isinstance(value, dict) and "max" not in value and "min" in value:
            return {**value, "max": value["min"]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.max < self.min:
            raise ValueError(f"range is not ordered: min {self.min} > max {self.max}")
        return self

    @property
    def is_single(self) -> bool:
        return self.min == self.max


class Dosage(_Strict):
    """One source's dosage, exactly as that source gives it, with the sentence that gives it.

    `by` names who the article attributes a differing dosage to (000's table: "KU Leuven"),
    so that one article can carry more than one dosage, each shown with its origin.
    """

    source: SourceName
    quotes: list[NonEmpty] = Field(min_length=1)
    by: Text | None = None
    hold_seconds: Range | None = None
    times: PositiveInt | None = None
    per_day: PositiveInt | None = None
    repetitions: Range | None = None
    sets: PositiveInt | None = None
    per_side: bool = False
    duration_seconds: Range | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _sane(self) -> Dosage:
        given = (
            self.hold_seconds,
            self.times,
            self.per_day,
            self.repetitions,
            self.sets,
            self.duration_seconds,
        )
        if not any(given) and not self.per_side:
            raise ValueError("dosage gives no hold, times, repetitions, sets, sides or duration")
        if self.hold_seconds and self.hold_seconds.max > MAX_HOLD_SECONDS:
            raise ValueError(f"hold_seconds above {MAX_HOLD_SECONDS}")
        if self.duration_seconds and self.duration_seconds.max > MAX_DURATION_SECONDS:
            raise ValueError(f"duration_seconds above {MAX_DURATION_SECONDS}")
        if self.repetitions and self.repetitions.max > MAX_REPETITIONS:
            raise ValueError(f"repetitions above {MAX_REPETITIONS}")
        for name in ("times", "sets", "per_day"):
            value = getattr(self, name)
            if value is not None and value > MAX_TIMES:
                raise ValueError(f"{name} above {MAX_TIMES}")
        if self.duration_seconds and self.hold_seconds:
            raise ValueError("give either duration_seconds or hold_seconds, not both")
        return self

    @property
    def rounds(self) -> int:
        """How many times the whole thing is done in one session (times or sets), at least 1."""
        return (self.times or 1) * (self.sets or 1)

    @property
    def sides(self) -> int:
        return 2 if self.per_side else 1

    def timed_seconds(self) -> Range | None:
        """The time the source's dosage takes in one session (holds or movement only, no
        getting into position), or None when the source gives no time."""
        if self.duration_seconds:
            return self.duration_seconds
        if self.hold_seconds:
            n = self.rounds * self.sides
            return Range(min=self.hold_seconds.min * n, max=self.hold_seconds.max * n)
        return None


class Exercise(_Strict):
    id: Slug
    name: Text
    aliases: list[NonEmpty] = Field(default_factory=list)
    purpose: Quoted
    steps: list[Step] = Field(min_length=1)
    #: True when the article names the exercise without describing how to do it: shown with a
    #: note, never picked at random, never guided.
    name_only: bool = False
    dosage: list[Dosage] = Field(default_factory=list)
    dosage_note: Quoted | None = None
    positions: list[Position] = Field(min_length=1)
    equipment: list[Equipment] = Field(default_factory=list)
    optional_equipment: list[Equipment] = Field(default_factory=list)
    equipment_note: Quoted | None = None
    desk_ok: bool
    areas: list[Area] = Field(min_length=1)
    kind: Kind
    estimated_seconds: PositiveInt
    cautions: list[Caution] = Field(default_factory=list)
    sources: list[SourceName] = Field(min_length=1)
    reviewer_note: str | None = None

    @property
    def office_ok(self) -> bool:
        """Doable at a desk: standing or seated variant, work clothes, nothing to bring."""
        return (
            self.desk_ok
            and not self.equipment
            and any(p in OFFICE_POSITIONS for p in self.positions)
        )

    @property
    def offered(self) -> bool:
        """May be picked at random or guided: its steps are traceable to an article."""
        return not self.name_only

    def dosage_from(self, source: str | None) -> Dosage | None:
        """The (unattributed, if any) dosage given by `source`, or the first one listed when
        source is None."""
        if source is None:
            return self.dosage[0] if self.dosage else None
        mine = [d for d in self.dosage if d.source == source]
        return next((d for d in mine if d.by is None), mine[0] if mine else None)

    def quotes(self) -> list[Quote]:
        """Every article sentence this exercise rests on (for the source checks)."""
        found: list[Quote] = []
        for text in (self.purpose, *self.steps, self.dosage_note, self.equipment_note):
            if text is not None and text.quote is not None:
                found.append(text.quote)
        found += [Quote(source=d.source, text=q) for d in self.dosage for q in d.quotes]
        found += [Quote(source=c.source, text=c.quote) for c in self.cautions]
        return found


class RoutineItem(_Strict):
    """One exercise of a routine; `own_seconds` is the bot's own pacing, allowed (and
    required) only when the chosen dosage gives no time."""

    exercise: Slug
    dosage_source: SourceName | None = None
    position: Position | None = None
    own_seconds: PositiveInt | None = None


class Routine(_Strict):
    id: Slug
    name: Text
    places: list[Place] = Field(min_length=1)
    items: list[RoutineItem] = Field(min_length=1)


class Safety(_Strict):
    urgent: list[SafetyItem] = Field(min_length=1)
    red_flags: list[SafetyItem] = Field(min_length=1)
    before_start: list[SafetyItem] = Field(min_length=1)
    when_to_stop: list[SafetyItem] = Field(min_length=1)
    stretching_rules: list[SafetyItem] = Field(min_length=1)
    general: list[SafetyItem] = Field(min_length=1)

    def items(self) -> list[SafetyItem]:
        return [
            *self.urgent,
            *self.red_flags,
            *self.before_start,
            *self.when_to_stop,
            *self.stretching_rules,
            *self.general,
        ]


class Source(_Strict):
    """An article; `frequency` is its advice on how often to train, shown on every exercise
    that cites it."""

    title: NonEmpty
    label: Text
    frequency: Quoted | None = None


class Catalogue(_Strict):
    version: Literal[1]
    sources: dict[SourceName, Source]
    #: Cautions written once and attached to several exercises with YAML anchors.
    shared_cautions: list[Caution] = Field(default_factory=list)
    exercises: list[Exercise] = Field(min_length=1)
    routines: list[Routine] = Field(default_factory=list)
    safety: Safety

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id; KeyError if there is none."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def routine(self, routine_id: str) -> Routine:
        for routine in self.routines:
            if routine.id == routine_id:
                return routine
        raise KeyError(routine_id)

    def routines_for(self, place: str) -> list[Routine]:
        return [r for r in self.routines if place in r.places]
