"""The Mini App's pages and JSON API, an aiohttp sub-application mounted at /app/ on the bot's
HTTP server (bot.web). It speaks HTTP the way handlers speak Telegram: it checks the launch
data (bot.webapp.auth), calls the same services the commands call, and answers plain JSON.

- ``GET /app/``: the page (static HTML, CSS and JavaScript shipped in the package);
- ``GET /app/api/settings``, ``PUT /app/api/settings``: the chat's settings, all at once;
- ``POST /app/api/preview``: the next three reminder moments for settings being edited,
  by the server's schedule rules, so page and bot never disagree;
- ``GET /app/api/exercises``, ``GET /app/api/progress``;
- ``GET``, ``POST`` and ``DELETE /app/api/calendar``: the calendar connection as /calendar
  shows it (host and last characters of the secret address, never the address), connecting
  one (read at once: "found 3 busy blocks", or the same clear error as in the chat) and
  disconnecting it, through the same service functions the command uses. The address arrives
  in the body only, is never logged and never sent back;
- ``GET /app/animations/<exercise id>.mp4``: the exercise's animation, the same cached file
  the chat sends. Public content, like the page itself (a <video> cannot send the launch
  data), so it needs none; revalidated by its ETag, not stored.

Every API call must carry ``Authorization: tma <initData>``; missing, forged or expired data
is a 401 and nothing changes. A value the settings cannot take is a 422 naming the field.
Bodies are size-limited, every answer carries a Content-Security-Policy, and the page builds
its DOM from text (nothing the user typed is inserted as HTML).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

from aiohttp import web
from babel.dates import format_datetime

from bot.calendar.fetch import CalendarFetchError
from bot.content.animation import has_animation
from bot.content.models import OFFICE_POSITIONS, Catalogue
from bot.content.render import guided_steps, render_exercise
from bot.context import BotData
from bot.i18n import LANGUAGES, catalog, language_for, t, tn
from bot.outgoing import Outgoing
from bot.scheduling import rules
from bot.scheduling.timemath import ALL_DAYS, as_utc, zone
from bot.services import calendars, guided, preferences
from bot.services.calendars import CalendarUnavailable
from bot.services.reports import load_progress
from bot.services.subscribers import Subscriber, get_subscriber
from bot.webapp.auth import AuthError, WebAppUser, from_header, verify

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
SHIM_SCRIPT = "telegram-web-app.js"  # the sandbox's stand-in for Telegram's script
STATIC = ("app.js", "app.css", SHIM_SCRIPT)
#: Labels the page needs besides its own webapp.* keys.
LABEL_PREFIXES = (
    "webapp.",
    "label.day.",
    "label.place.",
    "label.language.",
    "label.area.",
    "label.moved",
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class MiniAppConfig:
    bot_token: str
    max_age: timedelta
    shim: bool  # serve the sandbox's telegram-web-app.js instead of Telegram's


USER = web.RequestKey("user", WebAppUser)
PARTS = web.AppKey("parts", BotData)
CONFIG = web.AppKey("config", MiniAppConfig)


def csp(shim: bool) -> str:
    script = "'self'" if shim else f"'self' {TELEGRAM_SCRIPT}"
    return (
        f"default-src 'none'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        "media-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *"
    )


def _error(status: int, error: str, field: str | None = None) -> web.Response:
    body: dict[str, str] = {"error": error}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers on every answer; the launch data checked on every API call."""
    config = request.app[CONFIG]
    response: web.StreamResponse
    if not request.path.startswith("/app/api/"):
        response = await handler(request)
    else:
        try:
            request[USER] = verify(
                from_header(request.headers.get("Authorization")),
                config.bot_token,
                request.app[PARTS].clock(),
                config.max_age,
            )
        except AuthError as exc:
            response = _error(401, str(exc))
        else:
            response = await handler(request)
    response.headers["Content-Security-Policy"] = csp(config.shim)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _static(name: str) -> str:
    return resources.files("bot.webapp").joinpath("static", name).read_text(encoding="utf-8")


async def page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    html = _static("index.html").replace(
        "{{telegram_script}}", SHIM_SCRIPT if config.shim else TELEGRAM_SCRIPT
    )
    return web.Response(text=html, content_type="text/html")


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC or (name == SHIM_SCRIPT and not request.app[CONFIG].shim):
        raise web.HTTPNotFound()
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    return web.Response(text=_static(name), content_type=kind)


# --- the API ---------------------------------------------------------------------------------


def _strings(lang: str) -> dict[str, str]:
    return {
        str(m.id): t(lang, str(m.id))
        for m in catalog(lang)
        if isinstance(m.id, str) and m.id.startswith(LABEL_PREFIXES)
    }


def _moments(lang: str, coming: list[rules.Coming], tz_name: str) -> list[dict[str, Any]]:
    return [
        {
            "at": as_utc(item.at).isoformat(),
            "label": format_datetime(
                as_utc(item.at), "EEEE d MMMM HH:mm", tzinfo=zone(tz_name), locale=lang
            ),
            "moved": item.moved,
        }
        for item in coming
    ]


def _settings_json(chat: Subscriber, now: datetime, coming: list[rules.Coming]) -> dict[str, Any]:
    resume_on = None
    if chat.paused_until is not None and rules.is_paused(chat, now):
        resume_on = as_utc(chat.paused_until).astimezone(zone(chat.timezone)).date().isoformat()
    return {
        "registered": True,
        "language": chat.language,
        "timezone": chat.timezone,
        "times": list(chat.times),
        "days": [i for i in range(7) if chat.days >> i & 1],
        "place": chat.place,
        "active": chat.active,
        "resume_on": resume_on,
        "next": _moments(chat.language, coming, chat.timezone),
    }


async def get_settings(request: web.Request) -> web.Response:
    parts, user = request.app[PARTS], request[USER]
    chat = await get_subscriber(parts.db, user.id)
    lang = chat.language if chat else language_for(user.language_code)
    body: dict[str, Any] = {"strings": _strings(lang), "languages": list(LANGUAGES)}
    if chat is None:
        return web.json_response(body | {"registered": False, "language": lang})
    now = parts.clock()
    coming = await calendars.coming(parts.db, chat, now)
    return web.json_response(body | _settings_json(chat, now, coming))


class Invalid(Exception):
    """A request the settings cannot take: 422 naming `field` (404: not registered; 413: the
    body is over MAX_BODY_BYTES)."""

    def __init__(self, field: str, status: int = 422) -> None:
        super().__init__(field)
        self.field = field
        self.status = status

    def response(self) -> web.Response:
        if self.status == 404:
            return _error(404, "not registered")
        if self.status == 413:
            return _error(413, "request too large")
        return _error(422, "invalid value", self.field)


def _change(body: object, current: Subscriber) -> preferences.SettingsChange:
    """The request body as a SettingsChange; Invalid(field) for a malformed field (its value
    is checked by preferences.validate)."""
    if not isinstance(body, dict):
        raise Invalid("body")

    def field(name: str, kind: type, default: Any) -> Any:
        value = body.get(name, default)
        if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
            raise Invalid(name)
        return value

    times = field("times", list, list(current.times))
    if not all(isinstance(v, str) for v in times):
        raise Invalid("times")
    days = field("days", list, [i for i in range(7) if current.days >> i & 1])
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
        raise Invalid("days")
    resume_on = body.get("resume_on")
    if resume_on is not None:
        try:
            resume_on = date.fromisoformat(resume_on) if isinstance(resume_on, str) else None
        except ValueError:
            resume_on = None
        if resume_on is None:
            raise Invalid("resume_on")
    return preferences.SettingsChange(
        times=tuple(v.strip() for v in times),
        days=sum(1 << d for d in set(days)) & ALL_DAYS,
        timezone=field("timezone", str, current.timezone),
        place=field("place", str, current.place),
        language=field("language", str, current.language),
        resume_on=resume_on,
        active=field("active", bool, current.active),
    )


async def _read_json(request: web.Request) -> object:
    """The request body as JSON, at most MAX_BODY_BYTES; Invalid("body") otherwise."""
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES or (request.content_length or 0) > MAX_BODY_BYTES:
        raise Invalid("body", 413)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Invalid("body") from None


async def _registered(request: web.Request) -> Subscriber:
    chat = await get_subscriber(request.app[PARTS].db, request[USER].id)
    if chat is None:
        raise Invalid("chat", 404)
    return chat


async def _read_change(request: web.Request) -> tuple[Subscriber, preferences.SettingsChange]:
    parts = request.app[PARTS]
    chat = await _registered(request)
    change = _change(await _read_json(request), chat)
    today = (
        parts.clock().astimezone(zone(change.timezone)).date()
        if _valid_zone(change.timezone)
        else parts.clock().date()
    )
    try:
        preferences.validate(change, today)
    except preferences.InvalidSetting as exc:
        raise Invalid(exc.field) from None
    return chat, change


def _valid_zone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


async def preview(request: web.Request) -> web.Response:
    """The next three moments for the settings as edited, nothing stored."""
    now = request.app[PARTS].clock()
    try:
        _, change = await _read_change(request)
    except Invalid as exc:
        return exc.response()
    paused = preferences.pause_start(change)
    proposed = _Proposal(change.times, change.days, change.timezone, paused, change.active)
    return web.json_response(
        {
            "next": _moments(
                change.language,
                rules.coming(proposed, rules.next_reminder(proposed, now), now),
                change.timezone,
            )
        }
    )


@dataclass(frozen=True)
class _Proposal:
    times: tuple[str, ...]
    days: int
    timezone: str
    paused_until: datetime | None
    active: bool
    blocked: bool = False


async def put_settings(request: web.Request) -> web.Response:
    parts, user = request.app[PARTS], request[USER]
    now = parts.clock()
    try:
        _, change = await _read_change(request)
    except Invalid as exc:
        return exc.response()
    chat = await preferences.apply_settings(parts.db, user.id, change, now)
    if chat is None:
        return _error(404, "not registered")
    lang = chat.language
    coming = await calendars.coming(parts.db, chat, now)
    when = None
    if coming:
        moment = _moments(lang, coming[:1], chat.timezone)[0]["label"]
        when = calendars.next_label(lang, moment, coming[0])
    text = t(lang, "webapp.saved_chat", next=when or t(lang, "label.no_reminder"))
    outcome = await parts.outbox.deliver(Outgoing(user.id, text))
    if not outcome.sent:
        log.info("app change for chat %s saved; confirmation not sent: %s", user.id, outcome.error)
    return web.json_response(
        {"strings": _strings(lang), "languages": list(LANGUAGES)}
        | _settings_json(chat, now, coming)
    )


def _exercise_json(catalogue: Catalogue, exercise: Any, lang: str) -> dict[str, Any]:
    animated = has_animation(exercise.id)
    return {
        "id": exercise.id,
        "name": exercise.name.get(lang),
        # Relative to the page (/app/); the steps in words are the animation's alt text.
        "animation": f"animations/{exercise.id}.mp4" if animated else None,
        "animation_alt": " ".join(
            [exercise.name.get(lang) + ":"]
            + [f"{i}. {step.get(lang)}" for i, step in enumerate(exercise.steps, 1)]
        ),
        "areas": list(exercise.areas),
        "office": set(exercise.positions) <= OFFICE_POSITIONS,
        "card": render_exercise(exercise, lang, catalogue),
        "guided": [
            {"text": step.text, "kind": step.kind, "seconds": step.seconds}
            for step in (guided_steps(exercise, lang, catalogue) if exercise.offered else [])
        ],
    }


async def animation(request: web.Request) -> web.StreamResponse:
    """The exercise's MP4 from the animation cache (rendered off the event loop if missing)."""
    parts = request.app[PARTS]
    exercise_id = request.match_info["exercise"]
    if exercise_id not in {e.id for e in parts.catalogue.exercises}:
        raise web.HTTPNotFound()
    clip = await parts.animations.clip(exercise_id)
    if clip is None:
        raise web.HTTPNotFound()
    return web.FileResponse(
        clip.path, headers={"Content-Type": "video/mp4", "Cache-Control": "no-cache"}
    )


async def exercises(request: web.Request) -> web.Response:
    parts, user = request.app[PARTS], request[USER]
    chat = await get_subscriber(parts.db, user.id)
    lang = chat.language if chat else language_for(user.language_code)
    catalogue = parts.catalogue
    return web.json_response(
        {
            "place": chat.place if chat else "office",
            "rules": {"read": guided.READ_SECONDS, "prepare": guided.PREP_SECONDS},
            "exercises": [_exercise_json(catalogue, e, lang) for e in catalogue.exercises],
        }
    )


async def progress(request: web.Request) -> web.Response:
    """The numbers /stats shows, for the page to draw (a table behind the chart)."""
    parts, user = request.app[PARTS], request[USER]
    report = await load_progress(parts.db, user.id, user.id, parts.clock())
    if report is None:
        return _error(404, "not registered")
    p = report.progress
    return web.json_response(
        {
            "goal": p.goal,
            "today": p.today_count,
            "current_streak": p.current_streak,
            "best_streak": p.best_streak,
            "weeks": [
                {
                    "start": week.start.isoformat(),
                    "breaks": week.breaks,
                    "met": week.met,
                    "counted": week.counted,
                    "days": [
                        {"date": d.day.isoformat(), "count": d.count, "status": d.status.value}
                        for d in week.days
                    ],
                }
                for week in p.weeks
            ],
        }
    )


# --- the calendar (issue 19): the same service calls as /calendar ----------------------------


async def _calendar_json(parts: BotData, chat: Subscriber) -> dict[str, Any]:
    """The connection as /calendar shows it: the label (host and last characters) and the
    lines under it, Telegram HTML the page renders as such; never the address."""
    lang = chat.language
    connection = await calendars.status(parts.db, parts.settings, chat.id, parts.clock())
    if connection is None:
        return {"connected": False}
    return {
        "connected": True,
        "label": connection.label,
        "lines": [
            *calendars.connection_lines(lang, connection, chat.timezone),
            calendars.how_it_works(lang, parts.settings),
        ],
    }


async def get_calendar(request: web.Request) -> web.Response:
    try:
        chat = await _registered(request)
    except Invalid as exc:
        return exc.response()
    return web.json_response(await _calendar_json(request.app[PARTS], chat))


async def connect_calendar(request: web.Request) -> web.Response:
    """Read the pasted address once and store it only when that works, as /calendar does;
    the answer says what was found, or why it cannot be used (422, with the chat's text)."""
    from bot.calendar.ics import IcsError  # with icalendar: loaded on first use
    from bot.calendar.messages import error_text

    parts = request.app[PARTS]
    try:
        chat = await _registered(request)
        body = await _read_json(request)
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.strip():
            raise Invalid("url")
    except Invalid as exc:
        return exc.response()
    lang = chat.language
    try:
        tested = await calendars.connect(parts.db, parts.settings, chat.id, url, now=parts.clock())
    except CalendarUnavailable:
        return _calendar_error(503, "unavailable", t(lang, "calendar.unavailable"))
    except (CalendarFetchError, IcsError) as error:
        return _calendar_error(422, "calendar", error_text(lang, error))
    return web.json_response(
        await _calendar_json(parts, chat) | {"message": tn(lang, "calendar.found", tested.blocks)}
    )


def _calendar_error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


async def disconnect_calendar(request: web.Request) -> web.Response:
    parts = request.app[PARTS]
    try:
        chat = await _registered(request)
    except Invalid as exc:
        return exc.response()
    removed = await calendars.disconnect(parts.db, chat.id, parts.clock())
    key = "calendar.disconnected" if removed else "webapp.calendar.none"
    return web.json_response({"connected": False, "message": t(chat.language, key)})


def build(parts: BotData, config: MiniAppConfig) -> web.Application:
    """The sub-application; mount it with `app.add_subapp("/app/", build(...))`."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[security])
    app[PARTS] = parts
    app[CONFIG] = config
    app.router.add_get("/", page)
    app.router.add_get("/{name:[a-z.-]+}", static_file)
    app.router.add_get("/animations/{exercise:[a-z0-9-]{1,64}}.mp4", animation)
    app.router.add_get("/api/settings", get_settings)
    app.router.add_put("/api/settings", put_settings)
    app.router.add_post("/api/preview", preview)
    app.router.add_get("/api/exercises", exercises)
    app.router.add_get("/api/progress", progress)
    app.router.add_get("/api/calendar", get_calendar)
    app.router.add_post("/api/calendar", connect_calendar)
    app.router.add_delete("/api/calendar", disconnect_calendar)
    return app
