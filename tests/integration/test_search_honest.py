"""Issue 16, points 1-2, tried again as a new user would: a search that says honestly what
the catalogue covers, lists a body area for the chat's place, and still finds typos."""

from __future__ import annotations

from typing import Any

import pytest

from bot.content.loader import get_catalogue
from bot.content.routines import exercises_for_place
from bot.storage.db import Database
from tests.fakes import RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, texts
from tests.integration.test_commands import subscriber
from tests.reminder_kit import get_chat

# ------------------------------------------------------------------- 1. honest search


@pytest.mark.parametrize(
    ("lang", "command"),
    [
        ("nl", "/oefening pols"),
        ("en", "/exercise wrist"),
        ("en", "/exercise arms"),
        ("en", "/exercise legs"),
        ("nl", "/oefening nek"),
        ("en", "/exercise pain in my neck"),
    ],
)
async def test_other_body_parts_get_an_honest_answer(
    app: Any, fake_request: RecordingRequest, lang: str, command: str
) -> None:
    person = Chatter(app, fake_request, 16001, "Q", lang)
    calls = await person.send(command)
    [text] = texts(calls)
    covered = {"nl": "onderrug, de heupen en de romp", "en": "lower back, hips and trunk"}
    assert covered[lang] in text
    assert ("fysiotherapeut" if lang == "nl" else "physiotherapist") in text
    names = {e.name.get(lang) for e in get_catalogue().exercises}
    assert not any(name in text for name in names)
    assert [data for _, data in all_buttons(calls)] == ["br:h"]


async def test_nonsense_says_what_the_catalogue_covers(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 16002, "Q", "en")
    [text] = texts(await person.send("/exercise xyzzy"))
    assert "no exercise" in text and "lower back, hips and trunk" in text


# ------------------------------------------------------ 2. body areas and the place


async def test_area_words_list_the_area_for_the_place_with_show_all(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16010, "en")
    assert (await get_chat(db, 16010)).place == "office"
    catalogue = get_catalogue()
    office = {e.id for e in exercises_for_place(catalogue, "office")}
    lower_back = [e for e in catalogue.exercises if "lower_back" in e.areas]
    for query in ("back", "lower back", "lowr back"):
        calls = await person.send(f"/exercise {query}")
        [text] = texts(calls)
        assert "Lower back" in text and "Only those for your place (office)" in text
        shown = [data.split(":")[2] for _, data in all_buttons(calls) if data.startswith("ex:s:")]
        assert shown and set(shown) <= office
        assert (f"Show all ({len(lower_back)})", "br:a:lower_back:0") in all_buttons(calls)
    calls = await person.press_button(calls, "Show all")
    [text] = texts(calls)
    assert f"{len(lower_back)} in total" in text and "Only those" not in text


async def test_glutes_at_the_office_says_none_fit_and_offers_all(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16011, "nl")
    calls = await person.send("/oefening billen")
    [text] = texts(calls)
    assert "Bilspieren" in text and "Geen ervan past bij je plek (kantoor)" in text
    assert not [d for _, d in all_buttons(calls) if d.startswith("ex:s:")]
    calls = await person.press_button(calls, "Toon alle")
    assert ("Bruggetje (glute bridge)", "ex:s:bruggetje") in all_buttons(calls)


async def test_onderrug_lists_as_many_as_the_browser_at_home(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16012, "nl")
    await person.send("/plek thuis")
    calls = await person.send("/oefening onderrug")
    browsed = await person.press("br:a:lower_back:0")
    total = len([e for e in get_catalogue().exercises if "lower_back" in e.areas])
    assert texts(calls)[0].split("\n")[0] == texts(browsed)[0].split("\n")[0]
    assert f"{total} in totaal" in texts(calls)[0]


async def test_a_typo_still_finds_the_exercise(app: Any, fake_request: RecordingRequest) -> None:
    person = Chatter(app, fake_request, 16013, "Q", "nl")
    text = "\n".join(texts(await person.send("/oefening bekenrek")))
    assert "Staande bekkenrek" in text
