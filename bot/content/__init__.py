"""The exercise library: catalogue models, loader, renderer, routine choice and search."""

from bot.content.loader import CatalogueError, get_catalogue, load_catalogue, summary
from bot.content.models import Catalogue, Dosage, Exercise, Routine, RoutineItem, Safety
from bot.content.render import (
    GuidedStep,
    format_dosage,
    guided_steps,
    render_exercise,
    render_routine,
    render_safety,
)
from bot.content.routines import exercises_for_place, pick_routine
from bot.content.search import SearchResult, search

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Dosage",
    "Exercise",
    "GuidedStep",
    "Routine",
    "RoutineItem",
    "Safety",
    "SearchResult",
    "exercises_for_place",
    "format_dosage",
    "get_catalogue",
    "guided_steps",
    "load_catalogue",
    "pick_routine",
    "render_exercise",
    "render_routine",
    "render_safety",
    "search",
    "summary",
]
