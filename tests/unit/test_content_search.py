"""Search by name, alias or body area in Dutch or English, with typos."""

from __future__ import annotations

import pytest

from bot.content import Catalogue, load_catalogue, search


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bekken", {"staande-bekkenrek", "bekkenkanteling"}),
        ("hip", {"heupbuigerstretch"}),
        ("heup", {"heupbuigerstretch"}),
        ("knie borst", {"knie-naar-borst"}),
        ("one knee to chest", {"knie-naar-borst"}),
        ("Knieën naar borst", {"knieen-naar-borst"}),
        ("knees to chest", {"knieen-naar-borst"}),
        ("kat", {"kattenrug-holrug"}),
        ("hol bol", {"kattenrug-holrug"}),
        ("cat cow", {"kattenrug-holrug"}),
        ("plank", {"buikplank"}),
        ("side plank", {"zijplank"}),
        ("child", {"childs-pose"}),
        ("kindhouding", {"childs-pose"}),
        ("brug", {"bruggetje"}),
        ("glute bridge", {"bruggetje"}),
        ("bekenrek", {"staande-bekkenrek"}),
        ("superm", {"superman-buiklig", "superman-handen-knieen"}),
        ("bird dog", {"superman-handen-knieen"}),
        ("pelvic tilt", {"bekkenkanteling"}),
        ("bekkenkantelnig", {"bekkenkanteling"}),
        ("lumbar rotation", {"lumbale-rotatie"}),
        ("zijwaartse rek", {"zijwaartse-rek"}),
        ("side stretch", {"zijwaartse-rek"}),
        ("buikspieren", {"transversus-aanspannen"}),
        ("foam roller", {"foam-roller-onderrug"}),
    ],
)
def test_finds(catalogue: Catalogue, query: str, expected: set[str]) -> None:
    result = search(catalogue, query)
    assert result.best is not None, query
    assert result.best.id in expected, (query, result.best.id)


@pytest.mark.parametrize("query", ["rug", "onderrug", "back", "lower back"])
def test_area_finds_a_back_exercise(catalogue: Catalogue, query: str) -> None:
    result = search(catalogue, query)
    assert result.best is not None
    assert {"lower_back", "spine"} & set(result.best.areas)


def test_nonsense_gives_no_best(catalogue: Catalogue) -> None:
    result = search(catalogue, "xyzzy qqq")
    assert result.best is None
    assert len(result.close) <= 3


def test_empty_query(catalogue: Catalogue) -> None:
    assert search(catalogue, "  ?! ").best is None


def test_close_suggestions_exclude_best_and_respect_limit(catalogue: Catalogue) -> None:
    result = search(catalogue, "bekken", limit=2)
    assert result.best is not None
    assert result.best not in result.close
    assert len(result.close) <= 2
    assert {e.id for e in result.close} & {"bekkenkanteling", "staande-bekkenrek"}
