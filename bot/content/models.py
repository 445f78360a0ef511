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


class Step(Text):
    """One numbered step; `hold` marks where the dosage's holding time is counted."""

    hold: bool = False


class SourcedText(Text):
    """A caution tied to the article it comes from."""

    source: SourceName


class SafetyItem(Text):
    sources: list[SourceName] = Field(min_length=1)


class Quote(_Strict):
    """A verbatim sentence from a source article, so a reviewer can trace the content."""

    source: SourceName
    text: NonEmpty


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
    """One source's dosage, exactly as that source gives it."""

    source: SourceName
    hold_seconds: Range | None = None
    times: PositiveInt | None = None
    repetitions: Range | None = None
    sets: PositiveInt | None = None
    per_side: bool = False
    duration_seconds: Range | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _sane(self) -> Dosage:
        if (
            not any(
                (self.hold_seconds, self.times, self.repetitions, self.sets, self.duration_seconds)
            )
            and not self.per_side
        ):
            raise ValueError("dosage gives no hold, times, repetitions, sets, sides or duration")
        if self.hold_seconds and self.hold_seconds.max > MAX_HOLD_SECONDS:
            raise ValueError(f"hold_seconds above {MAX_HOLD_SECONDS}")
        if self.duration_seconds and self.duration_seconds.max > MAX_DURATION_SECONDS:
            raise ValueError(f"duration_seconds above {MAX_DURATION_SECONDS}")
        if self.repetitions and self.repetitions.max > MAX_REPETITIONS:
            raise ValueError(f"repetitions above {MAX_REPETITIONS}")
        for name in ("times", "sets"):
            value = getattr(self, name)
            if value is not None and value > MAX_TIMES:
                raise ValueError(f"{name} above {MAX_TIMES}")
        if self.duration_seconds and self.hold_seconds:
            raise ValueError("give either duration_seconds or hold_seconds, not both")
        return self

    @property
    def rounds(self) -> int:
        """How many times the whole thing is done (times or sets), at least once."""
        return (self.times or 1) * (self.sets or 1)

    def min_seconds(self) -> int | None:
        """The least time this dosage takes, when the source gives enough to compute it."""
        if self.duration_seconds:
            return self.duration_seconds.min
        if self.hold_seconds:
            return self.hold_seconds.min * self.rounds * (2 if self.per_side else 1)
        return None


class Exercise(_Strict):
    id: Slug
    name: Text
    aliases: list[NonEmpty] = Field(default_factory=list)
    purpose: Text
    steps: list[Step] = Field(min_length=1)
    dosage: list[Dosage] = Field(default_factory=list)
    dosage_note: Text | None = None
    positions: list[Position] = Field(min_length=1)
    equipment: list[Equipment] = Field(default_factory=list)
    optional_equipment: list[Equipment] = Field(default_factory=list)
    equipment_note: Text | None = None
    desk_ok: bool
    areas: list[Area] = Field(min_length=1)
    kind: Kind
    estimated_seconds: PositiveInt
    cautions: list[SourcedText] = Field(default_factory=list)
    sources: list[SourceName] = Field(min_length=1)
    source_quotes: list[Quote] = Field(min_length=1)
    reviewer_note: str | None = None

    @property
    def office_ok(self) -> bool:
        """Doable at a desk: standing or seated variant, work clothes, nothing to bring."""
        return (
            self.desk_ok
            and not self.equipment
            and any(p in OFFICE_POSITIONS for p in self.positions)
        )

    def dosage_from(self, source: str | None) -> Dosage | None:
        """The dosage given by `source`, or the first one listed when source is None."""
        if source is None:
            return self.dosage[0] if self.dosage else None
        return next((d for d in self.dosage if d.source == source), None)


class RoutineItem(_Strict):
    exercise: Slug
    dosage_source: SourceName | None = None
    position: Position | None = None
    seconds: PositiveInt


class Routine(_Strict):
    id: Slug
    name: Text
    places: list[Place] = Field(min_length=1)
    items: list[RoutineItem] = Field(min_length=1)

    @property
    def total_seconds(self) -> int:
        return sum(item.seconds for item in self.items)


class Safety(_Strict):
    red_flags: list[SafetyItem] = Field(min_length=1)
    before_start: list[SafetyItem] = Field(min_length=1)
    stretching_rules: list[SafetyItem] = Field(min_length=1)
    general: list[SafetyItem] = Field(min_length=1)
    source_quotes: list[Quote] = Field(default_factory=list)


class Source(_Strict):
    title: NonEmpty
    label: Text


class Catalogue(_Strict):
    version: Literal[1]
    sources: dict[SourceName, Source]
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
