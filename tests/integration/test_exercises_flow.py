"""/exercise, /exercises and guided mode, driven through the real Application."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.content.animation import has_animation
from bot.content.loader import get_catalogue
from bot.content.routines import exercises_for_place
from bot.handlers.exercises import job_name
from bot.services.guided import PREP_SECONDS
from bot.storage.db import Database
from bot.storage.models import Completion
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest
from tests.integration.chatter import (
    Chatter,
    all_buttons,
    animations,
    answers,
    buttons,
    texts,
)
from tests.integration.test_commands import subscriber

OFFICE_NAMES = {
    lang: {e.name.get(lang) for e in exercises_for_place(get_catalogue(), "office")}
    for lang in ("nl", "en", "fr")
}


async def _completions(db: Database, chat_id: int) -> list[Completion]:
    async with db.session() as session:
        rows = await session.scalars(select(Completion).where(Completion.chat_id == chat_id))
        return list(rows)


@pytest.mark.parametrize(("lang", "command"), [("nl", "/oefening"), ("en", "/exercise")])
async def test_random_exercise_fits_the_office(
    app: Any, fake_request: RecordingRequest, lang: str, command: str
) -> None:
    person = await subscriber(app, fake_request, 4001 + (lang == "en"), lang)
    for _ in range(5):
        calls = await person.send(command)
        assert any(name in texts(calls)[0] for name in OFFICE_NAMES[lang])
        # The card's keyboard sits on its last message (the text after an animation).
        assert [bool(buttons(c.params)) for c in calls] == [False] * (len(calls) - 1) + [True]
        data = [d for _, d in all_buttons(calls)]
        assert [d.split(":")[:2] for d in data] == [
            ["gd", "s"],
            ["ex", "r"],
            ["ex", "d"],
            ["sf", "s"],
        ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bekkenrek", "staande-bekkenrek"),
        ("bekenrek", "staande-bekkenrek"),
        ("knie borst", "knie-naar-borst"),
        ("superman", "superman-buiklig"),
        ("heupbuiger", "heupbuigerstretch"),
        ("hip flexor", "heupbuigerstretch"),
    ],
)
async def test_search_finds_the_best_match(
    app: Any, fake_request: RecordingRequest, query: str, expected: str
) -> None:
    person = Chatter(app, fake_request, 4010, "Q", "en")
    calls = await person.send(f"/exercise {query}")
    exercise = get_catalogue().exercise(expected)
    assert exercise.name.en in texts(calls)[0]


async def test_no_match_says_so_and_offers_close_ones(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 4011, "Q", "nl")
    calls = await person.send("/oefening zzzqqq")
    [text] = texts(calls)
    assert "Ik vond geen oefening" in text and "onderrug, de heupen en de romp" in text
    assert "fysiotherapeut" in text and ("📚 Oefeningen bekijken", "br:h") in all_buttons(calls)
    calls = await person.send("/oefening plnk")
    assert "Bedoel je" in texts(calls)[0] or "Buikplank" in texts(calls)[0]
    [text] = texts(await person.send("/oefening <b>&" + "x" * 3000))
    assert "&lt;b&gt;&amp;" in text and len(text) < 1000


async def test_another_and_done_record_a_completion_once(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 4020, "nl")
    calls = await person.send("/oefening bekkenrek")
    calls = await person.press_button(calls, "Een andere")
    # Every office exercise but this one has an animation: it comes as a new card.
    other = texts(calls)[0]
    assert "Staande bekkenrek" not in other.split("\n")[0] and animations(calls)
    calls = await person.press("ex:d:staande-bekkenrek")
    assert "Genoteerd" in answers(calls)[0]
    assert [c.method for c in calls if c.method.startswith("edit")] == ["editMessageReplyMarkup"]
    calls = await person.press("ex:d:staande-bekkenrek")  # a double tap
    assert "al genoteerd" in answers(calls)[0]
    [row] = await _completions(db, 4020)
    assert (row.source, row.exercise_id, row.user_id) == ("exercise", "staande-bekkenrek", 4020)


async def test_done_before_start_keeps_nothing_and_says_why(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 4021, "Q", "en")
    calls = await person.press("ex:d:staande-bekkenrek")
    assert "/start" in answers(calls)[0]
    assert await _completions(db, 4021) == []


async def test_browse_by_area_and_kind_with_pages(app: Any, fake_request: RecordingRequest) -> None:
    person = Chatter(app, fake_request, 4030, "B", "nl")
    calls = await person.send("/oefeningen")
    assert "Kies een lichaamsdeel" in texts(calls)[0]
    data = [d for _, d in all_buttons(calls)]
    assert "br:a:lower_back:0" in data and "br:k:strength:0" in data
    calls = await person.press("br:a:lower_back:0")
    [page] = texts(calls)
    assert "Onderrug" in page and "pagina 1/3" in page
    assert "br:a:lower_back:1" in [d for _, d in all_buttons(calls)]
    calls = await person.press("br:a:lower_back:2")
    assert "pagina 3/3" in texts(calls)[0]
    assert "br:a:lower_back:3" not in [d for _, d in all_buttons(calls)]
    exercise_buttons = [d for _, d in all_buttons(calls) if d.startswith("ex:s:")]
    calls = await person.press(exercise_buttons[0])
    sends = [c.method for c in calls if c.method.startswith("send")]
    animated = has_animation(exercise_buttons[0].split(":")[2])
    assert sends[0] == ("sendAnimation" if animated else "sendMessage") and len(sends) <= 2
    calls = await person.press("br:h")
    assert "Kies een lichaamsdeel" in texts(calls)[0]


async def test_guided_mode_counts_down_in_one_edited_message(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 4040, "nl")
    calls = await person.press("gd:s:staande-bekkenrek")
    [sent] = [c for c in calls if c.method == "sendMessage"]
    assert "stap 1 van" in sent.params["text"]
    [job] = app.job_queue.get_jobs_by_name(job_name(4040))

    seen: list[str] = []
    for _ in range(200):
        clock.advance(seconds=5)
        before = len(fake_request.calls)
        await job.run(app)
        new = fake_request.calls[before:]
        assert all(c.method == "editMessageText" for c in new)
        assert len(new) <= 1  # at most one edit per tick
        seen += texts(new)
        if seen and "klaar" in seen[-1]:
            break
    assert any("Houd vast... 20 s" in text for text in seen)
    assert any("Houd vast... 15 s" in text for text in seen)
    assert "Tik op Gedaan" in seen[-1]
    assert all(
        int(c.params["chat_id"]) == 4040
        for c in fake_request.calls
        if c.method == "editMessageText"
    )

    calls = await person.press("gd:d:staande-bekkenrek")
    assert "Genoteerd" in answers(calls)[0]
    [row] = await _completions(db, 4040)
    assert row.source == "guided"
    # The finish line no longer asks for the tap that was just made (issue 16, point 8).
    [finished] = texts(calls)
    assert "klaar" in finished and "Meegeteld" in finished and "Tik op Gedaan" not in finished
    [markup] = [c.params["reply_markup"] for c in calls if c.method == "editMessageText"]
    assert "gd:d:" not in str(markup)


async def test_guided_done_without_registration_says_it_was_not_counted(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 4042, "G", "en")
    calls = await person.press("gd:d:staande-bekkenrek")
    [finished] = texts(calls)
    assert "finished" in finished and "Send /start" in finished and "Tap Done" not in finished


async def test_guided_next_and_stop_work_after_a_restart_of_the_job(
    app: Any, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 4041, "G", "en")
    await person.press("gd:s:staande-bekkenrek")
    # The job is gone (as after a restart); "Next" carries the step and starts it again.
    for job in app.job_queue.get_jobs_by_name(job_name(4041)):
        job.schedule_removal()
    calls = await person.press("gd:n:staande-bekkenrek:3")
    [text] = texts(calls)
    assert "step 4 of" in text and "then hold for 20 s" in text
    [job] = app.job_queue.get_jobs_by_name(job_name(4041))
    clock.advance(seconds=PREP_SECONDS + 5)
    before = len(fake_request.calls)
    await job.run(app)
    assert "Hold... 15 s" in texts(fake_request.calls[before:])[0]
    calls = await person.press("gd:x:staande-bekkenrek")
    assert "stopped" in texts(calls)[0]
    assert app.job_queue.get_jobs_by_name(job_name(4041)) == ()


@pytest.mark.parametrize(("lang", "title"), [("nl", "Veilig oefenen"), ("en", "Exercising safely")])
async def test_safety_is_one_tap_from_an_exercise_card(
    app: Any, fake_request: RecordingRequest, lang: str, title: str
) -> None:
    person = Chatter(app, fake_request, 4050 + (lang == "en"), "S", lang)
    calls = await person.send("/exercise bekkenrek")
    assert "sf:s" in [d for _, d in all_buttons(calls)]
    calls = await person.press("sf:s")
    [sent] = [c for c in calls if c.method == "sendMessage"]
    assert sent.params["text"].startswith(f"<b>{title}</b>")
    assert "onmiddellijk" in sent.params["text"] or "immediately" in sent.params["text"]
    assert not [c for c in calls if c.method.startswith("edit")]  # the card stays as it was
    calls = await person.press("sf:zz")
    assert not [c for c in calls if c.method == "sendMessage"]


async def test_a_name_only_exercise_is_shown_but_never_guided(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 4052, "P", "nl")
    calls = await person.send("/oefening buikplank")
    assert "alleen bij naam" in texts(calls)[0]
    assert not [d for _, d in all_buttons(calls) if d.startswith("gd:")]
    calls = await person.press("gd:s:buikplank")  # an old or forged button
    assert not [c for c in calls if c.method == "sendMessage"]
    assert app.job_queue.get_jobs_by_name(job_name(4052)) == ()


async def test_guided_sets_wait_for_next(
    app: Any, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    """Superman on hands and knees: 3 sets of 20 per side; no clock ends a set."""
    person = Chatter(app, fake_request, 4053, "R", "en")
    await person.press("gd:s:superman-handen-knieen")
    [job] = app.job_queue.get_jobs_by_name(job_name(4053))
    seen: list[str] = []
    for _ in range(30):
        clock.advance(seconds=5)
        before = len(fake_request.calls)
        await job.run(app)
        seen += texts(fake_request.calls[before:])
    assert "Set 1 of 3: 20 repetitions per side (according to FIT.nl)." in seen[-1]
    assert "Tap Next when you are done." in seen[-1]
    assert app.job_queue.get_jobs_by_name(job_name(4053)) == ()  # waiting, not ticking
    clock.advance(seconds=3600)
    calls = await person.press("gd:n:superman-handen-knieen:6")
    assert "Set 2 of 3" in texts(calls)[0]
    calls = await person.press("gd:n:superman-handen-knieen:8")
    assert "finished" in texts(calls)[0]
