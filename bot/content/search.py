"""Find an exercise from what a user types, in Dutch, English or French, tolerant of typos.

Names, aliases and body areas of all three languages (French words in bot.content.words_fr)
are matched word by word with rapidfuzz, so "bekenrek", "knie borst" and "hip" all land on
the intended exercise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.content import words_fr
from bot.content.models import Catalogue, Exercise

#: Score (0-100) from which a match counts as the answer, and from which it is worth suggesting.
BEST_THRESHOLD = 75.0
CLOSE_THRESHOLD = 50.0

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


def _token_score(query: str, word: str) -> float:
    if query == word:
        return 100.0
    score = fuzz.ratio(query, word)
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


def _score(exercise: Exercise, query: str) -> tuple[float, float]:
    """(overall score, whole-phrase score) of an exercise for a query."""
    query_norm = " ".join(_tokens(query))
    phrases = [normalise(p) for p in _phrases(exercise)]
    phrase = max(fuzz.ratio(query_norm, p) for p in phrases)
    weighted: list[tuple[str, float]] = [(w, 1.0) for p in phrases for w in _tokens(p)]
    for area in exercise.areas:
        weighted += [(w, _AREA_WEIGHT) for a in AREA_WORDS.get(area, ()) for w in _tokens(a)]
        weighted += [(normalise(a), _AREA_WEIGHT) for a in AREA_WORDS.get(area, ())]
    query_tokens = query_norm.split()
    per_token = [max(_token_score(q, w) * weight for w, weight in weighted) for q in query_tokens]
    tokens = sum(per_token) / len(per_token)
    return max(tokens, phrase), phrase


def search(catalogue: Catalogue, query: str, limit: int = 3) -> SearchResult:
    """The best-matching exercise for `query` (or None) and up to `limit` close suggestions."""
    if not normalise(query):
        return SearchResult(best=None, close=[])
    scored = [
        (_score(exercise, query), index, exercise)
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
