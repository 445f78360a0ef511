from __future__ import annotations

import json
import logging

import pytest

from bot.logs import JsonFormatter, RedactingFormatter, redact, setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
URL = f"https://api.telegram.org/bot{TOKEN}/getUpdates"


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, msg, args, None)


def test_redact_hides_configured_and_token_shaped_strings() -> None:
    assert TOKEN not in redact(URL, (TOKEN,))
    assert "[token]" in redact(URL)
    assert redact("chat 12345 done") == "chat 12345 done"


def test_text_and_json_formatters_never_print_the_token() -> None:
    record = _record('HTTP Request: POST %s "HTTP/1.1 200 OK"', URL)
    assert TOKEN not in RedactingFormatter("%(message)s", (TOKEN,)).format(record)
    line = JsonFormatter(secrets=(TOKEN,)).format(record)
    assert TOKEN not in line
    assert json.loads(line)["logger"] == "httpx"


def test_exception_text_is_redacted_and_on_one_line() -> None:
    try:
        raise RuntimeError(f"failed calling {URL}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    line = RedactingFormatter("%(message)s", (TOKEN,)).format(record)
    assert TOKEN not in line
    assert "\n" not in line


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("httpx").level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("httpx").setLevel(saved[2])


@pytest.mark.usefixtures("restore_logging")
def test_setup_logging_silences_httpx_request_lines(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", "text", secrets=(TOKEN,))
    logging.getLogger("httpx").info("HTTP Request: POST %s", URL)
    logging.getLogger("telegram.ext").info("calling %s", URL)
    err = capsys.readouterr().err
    assert "HTTP Request" not in err
    assert TOKEN not in err
    assert "[token]" in err
