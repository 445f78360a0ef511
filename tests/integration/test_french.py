"""Issue 21's "done when": a French speaker (Telegram language fr-BE) goes through onboarding,
asks /exercice bekkenrek and "étirement du dos", receives a reminder and /stats, all in
French, with dates in French."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.i18n import t
from bot.scheduling.dispatcher import Dispatcher
from bot.storage import chats
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, texts
from tests.reminder_kit import all_deliveries, run


@pytest.fixture
def app(paced_app: Any) -> Any:
    return paced_app


async def test_a_belgian_french_speaker_gets_everything_in_french(
    app: Any, db: Database, clock: FakeClock, dispatcher: Dispatcher, fake_request: RecordingRequest
) -> None:
    camille = Chatter(app, fake_request, 2101, "Camille", "fr-BE")
    calls = await camille.send("/start")
    [text] = texts(calls)
    assert "Bienvenue chez Rekpauze, Camille" in text and "Étape 1 sur 3" in text
    buttons = all_buttons(calls)
    assert ("✓ 🇫🇷 Français", "ob:l:fr") in buttons
    assert {data for _, data in buttons} == {"ob:l:nl", "ob:l:en", "ob:l:fr"}

    calls = await camille.press_button(calls, "Français")
    [text] = texts(calls)
    assert "Étape 2 sur 3" in text
    calls = await camille.press_button(calls, "Brussels (CET/CEST)")
    [text] = texts(calls)
    assert "Étape 3 sur 3" in text and "jours ouvrables" in text
    calls = await camille.press_button(calls, "C'est bon")
    done, safety = texts(calls)
    assert "C'est prêt" in done and "/securite" in safety
    async with db.session() as session:
        chat = await chats.get(session, 2101)
    assert chat is not None and chat.language == "fr" and chat.onboarded

    def shown(calls: Any) -> str:  # the card's text or the caption of its animation
        return " ".join(texts(calls)) + " ".join(str(c.params.get("caption", "")) for c in calls)

    text = shown(await camille.send("/exercice bekkenrek"))
    assert "Étirement du bassin debout" in text and "Tenez-vous droit" in text
    text = shown(await camille.send("/exercice étirement du dos"))
    assert "Étirement" in text and "bas du dos" in text

    # The first reminder, in French; skipping it names the next one with a French date.
    due = chat.next_due_at
    assert due is not None
    clock.now = due
    before = len(fake_request.delivered(2101))
    await run(dispatcher, due + timedelta(seconds=2))
    [reminder] = fake_request.delivered(2101)[before:]
    assert "Pause étirement" in reminder["text"]
    markup = reminder["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert labels[:5] == [
        "✅ Fait",
        "⏰ 10 minutes plus tard",
        "📅 En réunion",
        "🔄 Un autre exercice",
        "⏭ Passer aujourd'hui",
    ]
    skip = next(b["callback_data"] for row in markup["inline_keyboard"]
                for b in row if b["text"].startswith("⏭"))  # fmt: skip
    row = (await all_deliveries(db, 2101))[-1]
    await camille.press(skip, message_id=row.message_id)
    edited = fake_request.sent("editMessageText")[-1]["text"]
    assert "Passée" in edited
    assert any(day in edited for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi"))
    assert any(m in edited for m in ("janvier", "novembre", "décembre", "octobre", "septembre"))

    calls = await camille.send("/statistiques")
    sent = " ".join(texts(calls)) + " ".join(str(c.params.get("caption", "")) for c in calls)
    assert "Aucune pause étirement comptée" in sent  # the skipped break counts nothing
    assert "Send /start" not in sent and "Stuur" not in sent


async def test_language_menu_offers_three_languages_and_marks_the_current_one(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    lou = Chatter(app, fake_request, 2102, "Lou", "fr-CA")
    calls = await lou.send("/start")
    calls = await lou.press_button(calls, "Français")
    calls = await lou.press_button(calls, "UTC")
    await lou.press_button(calls, "C'est bon")

    calls = await lou.send("/langue")
    [text] = texts(calls)
    assert "Votre langue : <b>Français</b>" in text
    assert [label for label, _ in all_buttons(calls)] == [
        "🇳🇱 Nederlands",
        "🇬🇧 English",
        "✓ 🇫🇷 Français",
    ]
    [text] = texts(await lou.send("/langue néerlandais"))
    assert text == t("nl", "settings.language_set")
    async with db.session() as session:
        chat = await chats.get(session, 2102)
    assert chat is not None and chat.language == "nl"
    [text] = texts(await lou.send("/taal frans"))
    assert text == "C'est fait : je vous parle désormais en français."
