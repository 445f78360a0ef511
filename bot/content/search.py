"""Find an exercise from what a user types, in Dutch, English or French, tolerant of typos.

Names, aliases and body areas of all three languages (French words in bot.content.words_fr)
are matched word by word with rapidfuzz, so "bekenrek", "knie borst" and "hip" all land on
the intended exercise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.content import words_fr
from bot.content.models import Catalogue, Exercise
from bot.content.routines import exercises_for_place

#: Score (0-100) from which a match counts as the answer, and from which it is worth suggesting.
BEST_THRESHOLD = 82.0
CLOSE_THRESHOLD = 65.0

# Area matches count a little less than names and aliases, so that a name wins over an area.
_AREA_WEIGHT = 0.9
_PREFIX_SCORE = 88.0  # "superm" -> "superman"
_INFIX_SCORE = 80.0  # "rek" inside "bekkenrek"

_STOPWORDS = frozenset(
    {
        *("de", "het", "een", "naar", "op", "en", "met", "van", "je", "jouw", "in"),
        *("oefening", "oefeningen"),
        *("the", "a", "an", "to", "on", "and", "with", "of", "your", "exercise", "exercises"),
        *words_fr.STOPWORDS,
    }
)

AREA_WORDS: dict[str, tuple[str, ...]] = {
    "lower_back": ("onderrug", "rug", "lage rug", "lower back", "back", "lumbar"),
    "spine": ("wervelkolom", "rug", "spine", "back"),
    "pelvis": ("bekken", "pelvis"),
    "hips": ("heup", "heupen", "hip", "hips"),
    "glutes": ("billen", "bil", "glutes", "buttocks"),
    "abdomen": ("buik", "buikspieren", "core", "belly", "abdomen", "abs"),
    "flank": ("zij", "flank", "side"),
}
for _area, _words in words_fr.AREA_WORDS.items():
    AREA_WORDS[_area] += _words


@dataclass(frozen=True)
class SearchResult:
    """`best` is the match to show, or None; `close` are other suggestions, best first."""

    best: Exercise | None
    close: list[Exercise] = field(default_factory=list)


def normalise(text: str) -> str:
    """Lower case, accents off ("knieën" -> "knieen"), punctuation to spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _tokens(text: str) -> list[str]:
    words = normalise(text).split()
    meaningful = [w for w in words if w not in _STOPWORDS]
    return meaningful or words


Ratio = Callable[[str, str], float]


def _ratio() -> Ratio:
    """rapidfuzz's similarity (0-100), imported with the first search rather than at start-up:
    its C++ matchers are ~4 MB resident that a bot nobody types to would carry for nothing."""
    from rapidfuzz import fuzz

    return fuzz.ratio


def _token_score(query: str, word: str, ratio: Ratio) -> float:
    if query == word:
        return 100.0
    score = ratio(query, word)
    if len(query) >= 3 and word.startswith(query):
        score = max(score, _PREFIX_SCORE)
    elif len(query) >= 3 and query in word:
        score = max(score, _INFIX_SCORE)
    return score


def _phrases(exercise: Exercise) -> list[str]:
    return [
        exercise.name.nl,
        exercise.name.en,
        exercise.name.fr,
        exercise.id.replace("-", " "),
        *exercise.aliases,
    ]


def _score(exercise: Exercise, query: str, ratio: Ratio) -> tuple[float, float]:
    """(overall score, whole-phrase score) of an exercise for a query."""
    query_norm = " ".join(_tokens(query))
    phrases = [normalise(p) for p in _phrases(exercise)]
    phrase = max(ratio(query_norm, p) for p in phrases)
    weighted: list[tuple[str, float]] = [(w, 1.0) for p in phrases for w in _tokens(p)]
    for area in exercise.areas:
        weighted += [(w, _AREA_WEIGHT) for a in AREA_WORDS.get(area, ()) for w in _tokens(a)]
        weighted += [(normalise(a), _AREA_WEIGHT) for a in AREA_WORDS.get(area, ())]
    query_tokens = query_norm.split()
    per_token = [
        max(_token_score(q, w, ratio) * weight for w, weight in weighted) for q in query_tokens
    ]
    tokens = sum(per_token) / len(per_token)
    return max(tokens, phrase), phrase


def search(catalogue: Catalogue, query: str, limit: int = 3) -> SearchResult:
    """The best-matching exercise for `query` (or None) and up to `limit` close suggestions."""
    if not normalise(query):
        return SearchResult(best=None, close=[])
    ratio = _ratio()
    scored = [
        (_score(exercise, query, ratio), index, exercise)
        for index, exercise in enumerate(catalogue.exercises)
    ]
    # Highest score first; whole-phrase similarity breaks ties, then catalogue order.
    scored.sort(key=lambda item: (-item[0][0], -item[0][1], item[1]))
    best = scored[0][2] if scored[0][0][0] >= BEST_THRESHOLD else None
    close = [
        exercise
        for (score, _), _, exercise in scored
        if exercise is not best and score >= CLOSE_THRESHOLD
    ][:limit]
    return SearchResult(best=best, close=close)


# ------------------------------------------------------------------ honest lookup for people

#: A body-area word typed on its own -> the area whose list it asks for. "rug"/"back" mean the
#: lower back, the area the articles are about.
AREA_QUERIES: dict[str, str] = {
    **{w: "lower_back" for w in ("onderrug", "lage rug", "rug", "lower back", "back", "lumbar")},
    **{w: "lower_back" for w in ("rugpijn", "back pain", "low back", "onderrugpijn")},
    **{w: "spine" for w in ("wervelkolom", "spine")},
    **{w: "pelvis" for w in ("bekken", "pelvis")},
    **{w: "hips" for w in ("heup", "heupen", "hip", "hips")},
    **{w: "glutes" for w in ("billen", "bil", "glutes", "buttocks", "bilspieren")},
    **{w: "abdomen" for w in ("buik", "buikspieren", "core", "belly", "abdomen", "abs")},
    **{w: "flank" for w in ("zij", "flank", "zijkant", "side")},
    **words_fr.AREA_QUERIES,
}

#: Body parts the articles do not cover: named on their own they get an honest "not here".
OTHER_BODY_PARTS: frozenset[str] = frozenset(
    {
        *("nek", "neck", "schouder", "schouders", "shoulder", "shoulders"),
        *("pols", "polsen", "wrist", "wrists", "arm", "armen", "arms", "elleboog", "elbow"),
        *("hand", "handen", "hands", "vinger", "vingers", "finger", "fingers"),
        *("been", "benen", "leg", "legs", "knie", "knieen", "knee", "knees"),
        *("enkel", "enkels", "ankle", "ankles", "voet", "voeten", "foot", "feet"),
        *("kuit", "kuiten", "calf", "calves", "dij", "dijen", "thigh", "thighs"),
        *("hoofd", "head", "hoofdpijn", "headache", "kaak", "jaw", "bovenrug", "upper back"),
        *("borst", "chest", "ogen", "eyes", "tenen", "toes", "hamstring", "hamstrings"),
        *words_fr.OTHER_BODY_PARTS,
    }
)

# Words around a body part that do not change what is asked ("pain in my neck").
_FILLER = frozenset(
    {
        *("pijn", "pijnlijke", "last", "klachten", "stijve", "stijf", "mijn", "m n", "voor", "aan"),
        *("pain", "sore", "stiff", "ache", "aching", "my", "for", "hurts", "hurt", "ik", "heb"),
        *("i", "have", "a", "mn"),
        *words_fr.FILLER,
    }
)
_AREA_FUZZ = 88.0


@dataclass(frozen=True)
class Lookup:
    """What a typed query found, honestly.

    `kind` is "exercise" (`exercise` is the one), "area" (the exercises of `area` that fit the
    place, `hidden` more that need the floor or equipment), "close" (no close match, `close`
    are worth asking about), "elsewhere" (a body part the catalogue does not cover) or
    "none"."""

    kind: str
    exercise: Exercise | None = None
    area: str | None = None
    items: list[Exercise] = field(default_factory=list)
    hidden: int = 0
    close: list[Exercise] = field(default_factory=list)


def _meaningful(query: str) -> str:
    words = [w for w in normalise(query).split() if w not in _STOPWORDS and w not in _FILLER]
    return " ".join(words)


def area_for(query: str) -> str | None:
    """The body area a query names on its own ("onderrug", "lower back", "onderug")."""
    key = _meaningful(query)
    if not key:
        return None
    if key in AREA_QUERIES:
        return AREA_QUERIES[key]
    if len(key) >= 5:
        ratio = _ratio()
        match = max(AREA_QUERIES, key=lambda word: ratio(key, word))
        if ratio(key, match) >= _AREA_FUZZ:
            return AREA_QUERIES[match]
    return None


def names_other_body_part(query: str) -> bool:
    """True when the query is about a body part the catalogue does not cover ("pols",
    "pain in my neck"), and names none it does."""
    key = _meaningful(query)
    words = key.split()
    if not words or any(w in AREA_QUERIES for w in words):
        return False
    pairs = [" ".join(words[i : i + 2]) for i in range(len(words) - 1)]
    return any(w in OTHER_BODY_PARTS for w in words + pairs)


def area_exercises(
    catalogue: Catalogue, area: str, place: str | None
) -> tuple[list[Exercise], int]:
    """The area's exercises that fit `place` (all when None), and how many were left out."""
    every = [e for e in catalogue.exercises if area in e.areas]
    if place is None:
        return every, 0
    fitting = set(e.id for e in exercises_for_place(catalogue, place))
    shown = [e for e in every if e.id in fitting]
    return shown, len(every) - len(shown)


def _exact(catalogue: Catalogue, query: str) -> Exercise | None:
    """An exercise whose name, id or alias is exactly what was typed."""
    key = normalise(query)
    for exercise in catalogue.exercises:
        if key in {normalise(p) for p in _phrases(exercise)}:
            return exercise
    return None


def lookup(catalogue: Catalogue, query: str, place: str | None = None) -> Lookup:
    """Answer a typed query the way a person would: an exercise asked for by name, a body
    area's list (fitting the place), an honest "not covered" for other body parts, a few
    names worth asking about, or nothing."""
    if not normalise(query):
        return Lookup("none")
    area = area_for(query)
    if area is not None and any(area in e.areas for e in catalogue.exercises):
        items, hidden = area_exercises(catalogue, area, place)
        return Lookup("area", area=area, items=items, hidden=hidden)
    exact = _exact(catalogue, query)
    if exact is not None:
        return Lookup("exercise", exercise=exact)
    if names_other_body_part(query):
        return Lookup("elsewhere")
    result = search(catalogue, query)
    if result.best is not None:
        return Lookup("exercise", exercise=result.best, close=result.close)
    if result.close:
        return Lookup("close", close=result.close)
    return Lookup("none")
