"""A whole conversation at DEBUG: the log has chat ids, one JSON object per line, and never
a message text, a name or the token."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logs import setup_logging
from tests.fakes import TOKEN, RecordingRequest, message_update, user_dict

SECRET_TEXT = "my back hurts since Tuesday"
NAME = "Griselda"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], root.level = saved


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("fmt", ["json", "text"])
async def test_debug_logs_carry_ids_but_no_content(
    app: Any, fake_request: RecordingRequest, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    setup_logging("DEBUG", fmt, secrets=(TOKEN,))
    user = user_dict(5150, NAME, "en")
    for text in ("/start", SECRET_TEXT, "/help", "/nonsense " + SECRET_TEXT):
        update = message_update(app.bot, text, user=user)
        logging.getLogger("telegram.ext.Application").debug("Processing update %s", update)
        await app.process_update(update)
    logging.getLogger("telegram.Bot").debug("lone mapping %s", {"text": SECRET_TEXT})
    err = capsys.readouterr().err
    replies = fake_request.texts(5150)
    assert len(replies) == 4
    assert "Calling Bot API endpoint `sendMessage`" in err  # PTB did log at DEBUG
    assert "5150" in err  # chat ids are there
    for forbidden in (SECRET_TEXT, NAME, TOKEN, TOKEN.split(":")[1], "Welcome to Rekpauze"):
        assert forbidden not in err, forbidden
    lines = err.strip().splitlines()
    assert lines
    if fmt == "json":
        for line in lines:
            assert isinstance(json.loads(line), dict)
