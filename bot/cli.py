"""`rekpauze` command line: run the bot, check the set-up, upgrade the database.

Each command imports what it needs when it runs, so `rekpauze --help` and the light commands
answer at once instead of loading the whole application (Telegram, SQLAlchemy, Alembic,
pydantic) first; tests/bench/footprint.py measures it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from bot.config import Settings


class StartupError(Exception):
    """A one-line reason the bot could not start that is not a configuration mistake."""


DB_START_SECONDS = 30.0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    detail = text[0][:200] if text else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def database_failure(exc: BaseException) -> StartupError:
    """Why the database could not be opened or upgraded, in one line with the setting."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        return StartupError(
            f"the database is read-only ({_first_line(exc)}); check DATABASE_URL and the "
            "permissions of the database file and its directory"
        )
    if isinstance(exc, TimeoutError):
        return StartupError(
            f"no answer from the database within {DB_START_SECONDS:g} s; check DATABASE_URL "
            "and that the database server is reachable"
        )
    return StartupError(
        f"cannot open the database ({_first_line(exc)}); check DATABASE_URL and that the "
        "database server is running and reachable"
    )


def telegram_failure(exc: BaseException, base_url: str) -> StartupError:
    """Why the Bot API could not be reached at start-up, in one line with the setting."""
    from telegram.error import InvalidToken

    if isinstance(exc, InvalidToken):
        return StartupError("Telegram refused the bot token; check TELEGRAM_BOT_TOKEN")
    return StartupError(
        f"cannot reach the Bot API at {base_url} ({_first_line(exc)}); check the network, "
        "a proxy, or TELEGRAM_API_BASE_URL"
    )


def _settings_or_exit() -> Settings:
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        print(f"rekpauze: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


async def _serve(settings: Settings, token: str) -> None:
    import asyncio
    import logging
    import signal

    from telegram.error import TelegramError

    log = logging.getLogger("rekpauze")

    from bot.app import HANDLED_UPDATES, build_application, startup, stop_gracefully
    from bot.content import get_catalogue
    from bot.storage.db import Database
    from bot.web import WebServer

    get_catalogue()  # refuse to start on an invalid catalogue, before touching Telegram
    db = Database(settings.database_url)
    try:
        if not await asyncio.wait_for(db.is_current(), DB_START_SECONDS):
            await _migrate_in_child()
    except StartupError:
        await db.dispose()
        raise
    except Exception as exc:  # any driver or file error: one line naming the setting
        await db.dispose()
        raise database_failure(exc) from None
    app = build_application(settings, db, token=token)
    try:
        await app.initialize()  # getMe: the token and the network, before anything else
    except TelegramError as exc:
        await db.dispose()
        raise telegram_failure(exc, settings.telegram_api_base_url) from None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    web = WebServer(
        app,
        host=settings.http_host,
        port=settings.http_port,
        webhook_path=settings.webhook_path,
        webhook_secret=secret,
    )
    if settings.webapp_url:
        from bot.webapp.server import MiniAppConfig, build

        max_age = timedelta(seconds=settings.webapp_max_age_seconds)
        mini_app = build(app.bot_data, MiniAppConfig(token, max_age, shim=False))
        web.app.add_subapp("/app/", mini_app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with app:
            try:
                await startup(app)
            except TelegramError as exc:
                raise telegram_failure(exc, settings.telegram_api_base_url) from None
            try:  # listening before Telegram is told where to send updates
                await web.start()
            except OSError as exc:
                raise StartupError(
                    f"cannot listen on {settings.http_host}:{settings.http_port} "
                    f"({exc.strerror or exc}); free the port or set HTTP_PORT"
                ) from None
            me = app.bot.bot
            try:
                if settings.webhook_url:
                    await app.bot.set_webhook(
                        settings.webhook_url,
                        secret_token=secret,
                        allowed_updates=list(HANDLED_UPDATES),
                        drop_pending_updates=False,
                    )
                    log.info(
                        "webhook mode as @%s (id %s) at %s", me.username, me.id, web.webhook_path
                    )
                else:
                    await app.bot_data.poller.start()
                    log.info("polling as @%s (id %s)", me.username, me.id)
            except TelegramError as exc:
                if settings.webhook_url:
                    raise StartupError(
                        f"Telegram refused the webhook ({_first_line(exc)}); check WEBHOOK_URL"
                    ) from None
                raise telegram_failure(exc, settings.telegram_api_base_url) from None
            await app.start()  # processes what the webhook or the poller queued meanwhile
            # After start-up, not before: the bot answers at once, the files follow.
            prebuild = asyncio.create_task(_build_animations_in_child(settings.animations_dir))
            await stop.wait()
            prebuild.cancel()
            await asyncio.gather(prebuild, return_exceptions=True)  # the child is stopped
            log.info("stopping: no new updates; finishing work in flight")
            web.stop_accepting()
            await stop_gracefully(app, settings.shutdown_seconds)
    finally:
        await web.stop()
        await db.dispose()
        log.info("stopped")


async def _migrate_in_child() -> None:
    """Apply the migrations in a child process (`rekpauze db upgrade`, same environment), so
    the long-running bot never imports Alembic (~10 MB it would carry for nothing)."""
    import asyncio

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "db",
        "upgrade",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(child.communicate(), 10 * DB_START_SECONDS)
    if child.returncode != 0:
        # The child says why in one line (cmd_db_upgrade): pass it on as this start's reason.
        lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
        reason = lines[-1].removeprefix("rekpauze: ") if lines else ""
        raise StartupError(
            reason or f"database migration failed (exit {child.returncode}); check DATABASE_URL"
        )


async def _build_animations_in_child(cache_dir: Path) -> None:
    """Render the missing exercise animations in a child process (bot.content.animation),
    so the running bot never carries the renderer's numpy, Pillow and encoder; a request
    that comes before its file is built renders that one file itself."""
    import asyncio
    import logging

    from bot.content import get_catalogue
    from bot.content.animation import missing

    log = logging.getLogger("rekpauze")
    ids = [e.id for e in get_catalogue().exercises]
    try:
        if not await asyncio.to_thread(missing, ids, cache_dir):
            return
        # Its stderr is read, not inherited: the encoder (ffmpeg) writes there, and the bot's
        # own stderr carries its log, one JSON object a line in production.
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.content.animation",
            str(cache_dir),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:  # an unreadable folder: files are then built on first use
        log.warning("cannot build the exercise animations in %s: %s", cache_dir, exc)
        return
    try:
        _, err = await child.communicate()
    except asyncio.CancelledError:  # stopping: the files built so far are kept
        child.terminate()
        await child.wait()
        raise
    if child.returncode != 0:
        lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
        log.warning(
            "building the exercise animations failed (exit %s): %s",
            child.returncode,
            lines[-1][:300] if lines else "no message",
        )
    else:
        log.info("exercise animations built in %s", cache_dir)


def cmd_run(_args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from telegram.error import InvalidToken, NetworkError

    from bot.config import ConfigError
    from bot.logs import setup_logging

    settings = _settings_or_exit()
    try:
        token = settings.token()
    except ConfigError as exc:
        print(f"rekpauze: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format, secrets=settings.secrets())
    try:
        asyncio.run(_serve(settings, token))
    except StartupError as exc:
        if settings.log_format == "json":  # one JSON line, like every other line it writes
            logging.getLogger("rekpauze").critical("rekpauze: %s", exc)
        else:
            print(f"rekpauze: {exc}", file=sys.stderr)
        return 1
    except InvalidToken:
        print("rekpauze: Telegram refused the bot token; check TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return 1
    except NetworkError as exc:  # Telegram unreachable while starting up
        print(
            f"rekpauze: cannot reach Telegram at {settings.telegram_api_base_url} ({exc.message}); "
            "check the network and try again",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    import asyncio

    from bot.logs import setup_logging
    from bot.storage.db import Database

    settings = _settings_or_exit()
    setup_logging(settings.log_level, settings.log_format)

    async def upgrade() -> None:
        db = Database(settings.database_url)
        try:
            await asyncio.wait_for(db.upgrade(), 10 * DB_START_SECONDS)
        finally:
            await db.dispose()

    try:
        asyncio.run(upgrade())
    except Exception as exc:  # one line naming the cause and the setting (the run's reason)
        print(f"rekpauze: {database_failure(exc)}", file=sys.stderr)
        return 1
    print("database upgraded")
    return 0


async def _check_database(url: str) -> None:
    import asyncio

    from bot.storage.db import Database

    db = Database(url)
    try:
        await asyncio.wait_for(db.ping(), timeout=10)
    finally:
        await db.dispose()


def run_checks(settings: Settings) -> list[tuple[str, bool, str]]:
    """Each check as (name, ok, detail), so the report and the exit code come from one list."""
    import asyncio

    from bot.config import ConfigError

    results: list[tuple[str, bool, str]] = []
    try:
        settings.token()
        results.append(("configuration", True, "TELEGRAM_BOT_TOKEN is set"))
    except ConfigError as exc:
        results.append(("configuration", False, str(exc)))
    try:
        asyncio.run(_check_database(settings.database_url))
        results.append(("database", True, "reachable"))
    except Exception as exc:  # any driver error is a failed check, reported in one line
        results.append(("database", False, f"not reachable: {type(exc).__name__}: {exc}"))
    from bot.content import CatalogueError, load_catalogue, summary

    try:
        catalogue = load_catalogue()
        results.append(("content", True, summary(catalogue)))
    except (CatalogueError, OSError) as exc:
        results.append(("content", False, f"catalogue invalid:\n{exc}"))
    else:
        from bot.content.animation import animations_check

        results.append(("animations", *animations_check(catalogue)))
    return results


def cmd_check(_args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    results = run_checks(settings)
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import tempfile

    from bot.logs import setup_logging
    from bot.sandbox.terminal import run_sandbox

    # Logs go to a file, not between the chat lines; pictures and exports next to it.
    folder = Path(tempfile.mkdtemp(prefix="rekpauze-sandbox-"))
    log_file = folder / "sandbox.log"
    setup_logging("INFO", "text")
    root = logging.getLogger()
    for index, handler in enumerate(root.handlers):
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(handler.formatter)
        for log_filter in handler.filters:
            to_file.addFilter(log_filter)
        root.handlers[index] = to_file
    print(f"Logs: {log_file}\nPictures and files the bot sends: {folder}", file=sys.stderr)
    try:
        return asyncio.run(
            run_sandbox(speed=args.speed, language=args.language, name=args.name, files_dir=folder)
        )
    except KeyboardInterrupt:
        return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    import asyncio
    import json
    from datetime import UTC, datetime
    from pathlib import Path

    from bot import capacity_report

    settings = _settings_or_exit()
    rate = args.rate if args.rate is not None else settings.send_rate_per_second
    if rate <= 0:
        print("rekpauze: the send rate must be positive (--rate)", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    try:
        rows = asyncio.run(capacity_report.read_rows(settings.database_url, now))
    except Exception as exc:  # any driver error: one line, as `check` reports it
        print(f"rekpauze: database not readable: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    report = capacity_report.build(
        rows,
        now,
        rate,
        max_late=args.max_late,
        early_start_max=settings.early_start_max_seconds,
        tick_seconds=settings.tick_seconds,
    )
    if args.json:
        from bot.scheduling.capacity import late_runs, weekly_load

        found = capacity_report.summary(report)
        found["week_of"] = now.date().isoformat()
        found["weekly_load"] = [round(v) for v in weekly_load(rows, now).ravel().tolist()]
        late_after = (
            args.late_after
            if args.late_after is not None
            else settings.paid_broadcast_after_seconds
        )
        found["start"] = report.demand.start.isoformat()
        found["late_minutes"] = late_runs(report.prediction, late_after)
        print(json.dumps(found))
        return 0
    print("\n".join(capacity_report.text(report)))
    if report.demand.total > 0:
        print(f"chart: {capacity_report.draw(report, Path(args.out))}")
    return 0


def _positive(value: str) -> float:
    number = float(value)
    if not 0 < number <= 100_000:
        raise argparse.ArgumentTypeError("must be a number between 0 and 100000")
    return number


def _max_late(value: str) -> int:
    from bot.scheduling.capacity import GAP_CAP

    minutes = int(value)
    if not 1 <= minutes <= GAP_CAP // 2:
        raise argparse.ArgumentTypeError(f"must be whole minutes from 1 to {GAP_CAP // 2}")
    return minutes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rekpauze",
        description="Rekpauze: three one-minute stretch breaks a day, on Telegram.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot (long polling, or a webhook with WEBHOOK_URL); needs TELEGRAM_BOT_TOKEN",
        description="Run the bot: long polling, or a webhook when WEBHOOK_URL is set. Applies "
        "database migrations first. Serves /healthz, /readyz and /metrics on HTTP_PORT. "
        "Stops gracefully on SIGTERM or SIGINT.",
    )
    run.set_defaults(func=cmd_run)

    sandbox = sub.add_parser(
        "sandbox",
        help="chat with the bot in this terminal: no token, no network",
        description="Start a local stand-in for Telegram and the bot on a temporary database, "
        "and chat with it here. Type a number to press a button. With standard input from a "
        "pipe, one message per line; exits after the last answers.",
    )
    sandbox.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        metavar="N",
        help="run the clock N times faster, e.g. 600 shows a day's reminders in minutes",
    )
    sandbox.add_argument(
        "--language",
        choices=["nl", "en", "fr"],
        default="nl",
        help="the Telegram language of the sandbox user (default nl)",
    )
    sandbox.add_argument("--name", default="Sam", help="the sandbox user's first name")
    sandbox.set_defaults(func=cmd_sandbox)

    check = sub.add_parser(
        "check",
        help="check configuration, database and content",
        description="Check configuration, database reachability and the content catalogue. "
        "Exit status 0 when all is well, 1 otherwise.",
    )
    check.set_defaults(func=cmd_check)

    cap = sub.add_parser(
        "capacity",
        help="predict reminder lateness and skips at the send limit for DATABASE_URL",
        description="Run the capacity model on the subscribers in DATABASE_URL over the seven "
        "UTC days from today: the busiest minutes and days, predicted lateness (p50, p99, max) "
        "and skipped reminders per day, how many more subscribers fit at the current mix "
        "(p99 under 60 s, none skipped), and a PNG of the busiest day's demand against the "
        "limit.",
    )
    cap.add_argument(
        "--rate",
        type=_positive,
        default=None,
        metavar="N",
        help="send rate in messages per second (default SEND_RATE_PER_SECOND)",
    )
    cap.add_argument(
        "--json",
        action="store_true",
        help="print only a one-line JSON summary (what the running bot reads for /admin)",
    )
    cap.add_argument(
        "--late-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --json: also list the minutes predicted later than this (the paid-broadcast "
        "forecast; default PAID_BROADCAST_AFTER_SECONDS)",
    )
    cap.add_argument(
        "--max-late",
        type=_max_late,
        default=60,
        metavar="MINUTES",
        help="a reminder later than this is skipped (default 60)",
    )
    cap.add_argument(
        "--out", default="capacity.png", help="where to write the chart (default capacity.png)"
    )
    cap.set_defaults(func=cmd_capacity)

    db = sub.add_parser("db", help="database commands", description="Database commands.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_sub.add_parser(
        "upgrade",
        help="apply database migrations",
        description="Apply all database migrations to DATABASE_URL.",
    )
    upgrade.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
