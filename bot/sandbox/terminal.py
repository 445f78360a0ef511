"""`rekpauze sandbox`: chat with the bot in a terminal, with no token and no network.

Typed lines go to the bot as messages; a number presses that button of the bot's latest
message with buttons; `:location LAT LON` shares a location. An animation is shown as one
line with the path of its local file. When standard input is not a
terminal, each line is sent after the bot has answered the previous one, and the sandbox
exits once the last answers have arrived, so it can be scripted.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.sandbox.clock import ScaledClock
from bot.sandbox.runner import LiveBot, live_bot
from bot.sandbox.server import BotEvent
from bot.sandbox.state import StoredMessage

BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"
HELP = (
    "Type a message or a command (try /start). Type a number to press that button, "
    "':location 52.37 4.90' to share a location, ':app' for a link to the Mini App, "
    "':quit' to leave."
)


def _utf16_slices(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Entity offsets count UTF-16 units; map them to Python string indexes."""
    units: list[int] = []
    for index, char in enumerate(text):
        units.extend([index] * (2 if ord(char) > 0xFFFF else 1))
    units.append(len(text))
    return [(units[min(o, len(units) - 1)], units[min(o + n, len(units) - 1)]) for o, n in spans]


def styled(message: StoredMessage, *, color: bool) -> str:
    """The message's plain text, with bold and italic shown when the terminal supports it."""
    text = message.content
    if not color or not text:
        return text
    entities = message.entities if message.text is not None else message.caption_entities
    marks: list[tuple[int, str]] = []
    spans = [(e.offset, e.length) for e in entities]
    for entity, (start, end) in zip(entities, _utf16_slices(text, spans), strict=True):
        if entity.type in ("bold", "italic", "underline"):
            marks.append((start, BOLD if entity.type == "bold" else DIM))
            marks.append((end, RESET))
    out, last = [], 0
    for position, code in sorted(marks, key=lambda m: (m[0], m[1] != RESET)):
        out.append(text[last:position])
        out.append(code)
        last = position
    out.append(text[last:])
    return "".join(out)


class Terminal:
    """Prints what the bot does and keeps the numbered buttons of its latest keyboard."""

    def __init__(
        self,
        out: TextIO,
        *,
        color: bool,
        now: Callable[[], datetime],
        files_dir: Path | None = None,
        file_content: Callable[[str], bytes | None] | None = None,
        animations: Path | None = None,
    ) -> None:
        self.out = out
        self.color = color
        self.now = now
        self.animations = animations  # where the bot keeps the files it uploads
        self.buttons: list[tuple[StoredMessage, str]] = []
        self.closed = False
        # Where pictures and files the bot sends are written, so they can be opened.
        self.files_dir = files_dir
        self.file_content = file_content

    def _save(self, file_id: str, name: str) -> str:
        """ " saved to <path>" when the file could be written, else ""."""
        if self.files_dir is None or self.file_content is None:
            return ""
        content = self.file_content(file_id)
        if content is None:
            return ""
        path = self.files_dir / Path(name).name
        path.write_bytes(content)
        return f" saved to {path}"

    def _line(self, text: str = "") -> None:
        if self.closed:
            return
        try:
            self.out.write(text + "\n")
            self.out.flush()
        except (BrokenPipeError, ValueError):  # the reader went away (`| head`)
            self.closed = True

    def animation_file(self, name: str | None) -> str:
        """The local file a newcomer can open (the bot uploads its cached file by name)."""
        if name and self.animations is not None and (self.animations / name).exists():
            return str(self.animations / name)
        return name or "animation"

    def show(self, event: BotEvent) -> None:
        message = event.message
        if event.kind == "callback_answer":
            # event.detail is the CallbackQueryRecord: the toast's text is its answer_text.
            answer = getattr(event.detail, "answer_text", None)
            if answer:
                kind = "alert" if getattr(event.detail, "show_alert", False) else "toast"
                self._line(f"  [{kind}] {answer}")
            return
        if message is None or event.kind not in ("message", "edit"):
            return
        stamp = self.now().astimezone().strftime("%a %H:%M %Z")
        title = "Rekpauze" if event.kind == "message" else "Rekpauze (edited)"
        self._line(f"{BOLD if self.color else ''}[{stamp}] {title}:{RESET if self.color else ''}")
        if message.photo:
            biggest = message.photo[-1]
            saved = self._save(biggest.file_id, f"image-{message.message_id}.png")
            self._line(f"  [image {biggest.width}x{biggest.height}]{saved}")
        if message.animation:
            self._line(f"  [animation {self.animation_file(message.animation.file_name)}]")
        elif message.document:
            name = message.document.file_name or f"file-{message.message_id}"
            saved = self._save(message.document.file_id, name)
            self._line(f"  [file {name}]{saved}")
        for line in styled(message, color=self.color).splitlines() or [""]:
            self._line(f"  {line}")
        labels = message.button_labels
        if labels:
            self.buttons = [(message, label) for label in labels]
            numbered = "  ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1))
            self._line(f"  {numbered}")
        self._line()


def _identity(user: Any) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "first_name": user.first_name,
        "language": user.language_code or "en",
    }


async def _handle_line(line: str, bot: LiveBot, user: object, terminal: Terminal) -> bool:
    """Send one typed line; False when the user asked to quit."""
    text = line.strip()
    if not text:
        return True
    if text in (":quit", ":q", ":exit"):
        return False
    if text in (":help", ":h"):
        terminal._line(HELP)
        return True
    server = bot.server
    if text == ":app":
        terminal._line(f"  Mini App (open in a browser): {bot.app_link(**_identity(user))}")
        return True
    if text.startswith(":location"):
        try:
            _, lat, lon = text.split()
            await server.send_location(user, float(lat), float(lon))  # type: ignore[arg-type]
        except ValueError:
            terminal._line("  usage: :location 52.37 4.90")
        return True
    if text.isdigit() and 1 <= int(text) <= len(terminal.buttons):
        message, label = terminal.buttons[int(text) - 1]
        try:
            await server.press_button(user, message, label)  # type: ignore[arg-type]
        except (LookupError, ValueError) as exc:
            terminal._line(f"  (that button is gone: {exc})")
        return True
    await server.send_text(user, text)  # type: ignore[arg-type]
    return True


def _read_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str]:
    """Lines from stdin on a daemon thread ("" at the end), so Ctrl-C never waits on it."""
    queue: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        while True:
            line = stdin.readline()
            loop.call_soon_threadsafe(queue.put_nowait, line)
            if not line:
                return

    threading.Thread(target=pump, name="sandbox-stdin", daemon=True).start()
    return queue


async def run_sandbox(
    *,
    speed: float = 1.0,
    language: str = "nl",
    name: str = "Sam",
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    database_url: str | None = None,
    files_dir: Path | None = None,
) -> int:
    interactive = stdin.isatty()
    # Every job, the reminder tick included, runs on this clock (bot.jobs.every).
    unix_clock = ScaledClock(speed)
    terminal = Terminal(
        stdout,
        color=interactive and stdout.isatty(),
        now=lambda: datetime.fromtimestamp(unix_clock(), UTC),
        files_dir=files_dir,
    )
    async with live_bot(
        unix_clock=unix_clock,
        database_url=database_url,
        mini_app=True,
    ) as bot:
        terminal.animations = bot.settings.animations_dir
        user = bot.server.add_user(first_name=name, language_code=language)
        terminal.file_content = bot.server.file_content
        bot.server.add_listener(terminal.show)
        if interactive:
            terminal._line(f"Rekpauze sandbox (clock x{speed:g}). {HELP}")
            terminal._line(f"Mini App (open in a browser): {bot.app_link(**_identity(user))}")
        lines = _read_lines(stdin, asyncio.get_running_loop())
        while True:
            line = await lines.get()
            if not line:  # end of input
                break
            if not await _handle_line(line, bot, user, terminal):
                break
            if not interactive:
                await bot.settle()
        if not interactive:
            await bot.settle(first_timeout=0.5)
    return 0
