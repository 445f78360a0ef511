"""Pure parsers for what subscribers type after a command, in Dutch or English.

Each parser returns a normalised value or raises ParseError whose `key` names the translated
explanation (with an example of the right form) and whose `details` fill its placeholders.
Nothing here touches Telegram, the database or a clock: "today" is passed in.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from zoneinfo import available_timezones

from bot.services.zones import (
    CANDIDATES,
    MAX_CHOICES,
    offset_minutes,
    zones_for_abbreviation,
    zones_for_offset,
)
from bot.storage.models import ALL_DAYS, WORKDAYS

MAX_TIMES = 6
MAX_PAUSE_DAYS = 366
#: How much of a user's bad input we quote back to them.
MAX_SHOWN = 40

WEEKEND = 0b1100000


class ParseError(ValueError):
    """Input that does not parse; `key` is an i18n key in settings.po, `details` its values."""

    def __init__(self, key: str, **details: object) -> None:
        super().__init__(key)
        self.key = key
        self.details = details


def clean_input(text: str) -> str:
    """User input without the characters nobody sees: format characters (zero-width space
    and joiners, word joiner, BOM, soft hyphen, direction marks) and controls other than
    whitespace (NUL). A pasted "09:00\u200b" looks like 09:00 and must parse as 09:00."""
    return "".join(
        ch
        for ch in text
        if not (
            unicodedata.category(ch) == "Cf"
            or (unicodedata.category(ch) == "Cc" and not ch.isspace())
        )
    )


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """User input made fit to quote in a reply: control characters out, length capped.

    The result is still plain text; the i18n layer escapes it for HTML.
    """
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _plain(text: str) -> str:
    """Lower case without accents, separators collapsed to one space."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\s_]+", " ", plain).split())


# ----------------------------------------------------------------------------------- times

_TIME_RE = re.compile(
    r"^(?:(?P<h1>\d{1,2})(?:[:.hu](?P<m1>\d{2})?)?|(?P<h2>\d{1,2})(?P<m2>\d{2}))$"
)
_AMPM_RE = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?P<half>am|pm)$")
_TIME_SPLIT = re.compile(r"[\s,;]+")
#: Words between times that only join them: "9:00, 13:00 and 16:00", "9 en 13 uur".
_TIME_JOINERS = frozenset({"and", "en", "&", "+", "uur", "h", "o'clock", "oclock"})


def parse_time(token: str) -> str:
    """One local time as "HH:MM": 9:30, 09.30, 0930, 930, 9h30, 9u30, 9, 9u, 9am, 1:30pm."""
    token = clean_input(token)
    plain = token.strip().lower()
    ampm = _AMPM_RE.match(plain)
    if ampm:
        hour, minute = int(ampm.group("h")), int(ampm.group("m") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise ParseError("parse.times.out_of_range", value=shown(token))
        hour = hour % 12 + (12 if ampm.group("half") == "pm" else 0)
        return f"{hour:02d}:{minute:02d}"
    match = _TIME_RE.match(plain)
    if match is None:
        raise ParseError("parse.times.bad", value=shown(token))
    hour = int(match.group("h1") or match.group("h2"))
    minute = int(match.group("m1") or match.group("m2") or 0)
    if hour > 23 or minute > 59:
        raise ParseError("parse.times.out_of_range", value=shown(token))
    return f"{hour:02d}:{minute:02d}"


def _time_tokens(text: str) -> list[str]:
    """Split on spaces and commas, drop joining words, glue "4 pm" into "4pm"."""
    plain = text.strip().lower().replace("a.m.", "am").replace("p.m.", "pm")
    tokens: list[str] = []
    for token in _TIME_SPLIT.split(plain):
        if not token or token in _TIME_JOINERS:
            continue
        if token in ("am", "pm") and tokens and tokens[-1][-2:] not in ("am", "pm"):
            tokens[-1] += token
            continue
        tokens.append(token)
    return tokens


def parse_times(text: str) -> list[str]:
    """1 to 6 local times, sorted, duplicates collapsed: 24-hour or am/pm, separated by
    spaces, commas, "and", "en" or "et"."""
    tokens = _time_tokens(clean_input(text))
    if not tokens:
        raise ParseError("parse.times.empty")
    if len(tokens) > 4 * MAX_TIMES:  # don't parse a novel
        raise ParseError("parse.times.too_many", max=MAX_TIMES)
    times = sorted({parse_time(tok) for tok in tokens})
    if len(times) > MAX_TIMES:
        raise ParseError("parse.times.too_many", max=MAX_TIMES)
    return times


def too_close(times: Sequence[str], minutes: int = 30) -> tuple[str, str] | None:
    """The first two (sorted) times less than `minutes` apart, worth a word to the user."""
    for first, second in itertools.pairwise(times):
        gap = (int(second[:2]) - int(first[:2])) * 60 + int(second[3:]) - int(first[3:])
        if gap < minutes:
            return first, second
    return None


# ------------------------------------------------------------------------------------ days

#: Day words -> weekday index (0 = Monday), English, Dutch and French, short and long.
DAY_WORDS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("mon", "monday", "ma", "maandag", "lun", "lundi"),
        ("tue", "tues", "tuesday", "di", "dinsdag", "mar", "mardi"),
        ("wed", "wednesday", "wo", "woensdag", "mer", "mercredi"),
        ("thu", "thur", "thurs", "thursday", "do", "donderdag", "jeu", "jeudi"),
        ("fri", "friday", "vr", "vrij", "vrijdag", "ven", "vendredi"),
        ("sat", "saturday", "za", "zaterdag", "sam", "samedi"),
        ("sun", "sunday", "zo", "zondag", "dim", "dimanche"),
    )
):
    for _name in _names:
        DAY_WORDS[_name] = _index

DAY_SETS: dict[str, int] = {
    "all": ALL_DAYS,
    "alle": ALL_DAYS,
    "every day": ALL_DAYS,
    "everyday": ALL_DAYS,
    "daily": ALL_DAYS,
    "elke dag": ALL_DAYS,
    "iedere dag": ALL_DAYS,
    "dagelijks": ALL_DAYS,
    "workdays": WORKDAYS,
    "workday": WORKDAYS,
    "weekdays": WORKDAYS,
    "werkdagen": WORKDAYS,
    "weekdagen": WORKDAYS,
    "weekend": WEEKEND,
    "weekends": WEEKEND,
    # French
    **{w: ALL_DAYS for w in ("tous", "tous les jours", "chaque jour", "quotidien")},
    **{w: WORKDAYS for w in ("semaine", "ouvrables", "jours ouvrables", "en semaine")},
    **{w: WEEKEND for w in ("week-end", "week end", "le week-end")},
}


def _day(word: str, original: str) -> int:
    if word not in DAY_WORDS:
        raise ParseError("parse.days.bad", value=shown(original))
    return DAY_WORDS[word]


def parse_days(text: str) -> int:
    """A weekday bit mask (bit 0 = Monday) from `all`, `workdays`, `weekend` or a list.

    Lists take English or Dutch names ("mon wed fri", "ma,wo,vr") and ranges ("ma-vr",
    "fri-mon" wraps over the weekend).
    """
    text = clean_input(text)
    plain = _plain(text)
    if not plain:
        raise ParseError("parse.days.empty")
    if len(plain) > 200:
        raise ParseError("parse.days.bad", value=shown(text))
    if plain in DAY_SETS:
        return DAY_SETS[plain]
    mask = 0
    for token in re.split(r"[\s,;/+&]+", plain):
        if not token or token in ("en", "and", "et"):
            continue
        if token in DAY_SETS:
            mask |= DAY_SETS[token]
            continue
        parts = re.split(r"[-–]|\.\.", token)
        if len(parts) == 1:
            mask |= 1 << _day(token, token)
        elif len(parts) == 2:
            first, last = _day(parts[0], token), _day(parts[1], token)
            day = first
            while True:
                mask |= 1 << day
                if day == last:
                    break
                day = (day + 1) % 7
        else:
            raise ParseError("parse.days.bad", value=shown(token))
    if not mask:
        raise ParseError("parse.days.empty")
    return mask


def day_indexes(mask: int) -> list[int]:
    return [i for i in range(7) if mask >> i & 1]


# -------------------------------------------------------------------------------- timezone

#: Cities and countries in Dutch and English whose IANA name is not simply the city's name.
PLACES: dict[str, str] = {
    # Netherlands
    "nederland": "Europe/Amsterdam",
    "netherlands": "Europe/Amsterdam",
    "the netherlands": "Europe/Amsterdam",
    "holland": "Europe/Amsterdam",
    "rotterdam": "Europe/Amsterdam",
    "utrecht": "Europe/Amsterdam",
    "den haag": "Europe/Amsterdam",
    "the hague": "Europe/Amsterdam",
    "s gravenhage": "Europe/Amsterdam",
    "eindhoven": "Europe/Amsterdam",
    "groningen": "Europe/Amsterdam",
    "tilburg": "Europe/Amsterdam",
    "almere": "Europe/Amsterdam",
    "breda": "Europe/Amsterdam",
    "nijmegen": "Europe/Amsterdam",
    "arnhem": "Europe/Amsterdam",
    "haarlem": "Europe/Amsterdam",
    "leiden": "Europe/Amsterdam",
    "maastricht": "Europe/Amsterdam",
    "zwolle": "Europe/Amsterdam",
    "enschede": "Europe/Amsterdam",
    "delft": "Europe/Amsterdam",
    "amersfoort": "Europe/Amsterdam",
    "apeldoorn": "Europe/Amsterdam",
    "den bosch": "Europe/Amsterdam",
    "s hertogenbosch": "Europe/Amsterdam",
    # Belgium
    "belgie": "Europe/Brussels",
    "belgium": "Europe/Brussels",
    "vlaanderen": "Europe/Brussels",
    "flanders": "Europe/Brussels",
    "brussel": "Europe/Brussels",
    "bruxelles": "Europe/Brussels",
    "antwerpen": "Europe/Brussels",
    "antwerp": "Europe/Brussels",
    "anvers": "Europe/Brussels",
    "gent": "Europe/Brussels",
    "ghent": "Europe/Brussels",
    "brugge": "Europe/Brussels",
    "bruges": "Europe/Brussels",
    "leuven": "Europe/Brussels",
    "mechelen": "Europe/Brussels",
    "hasselt": "Europe/Brussels",
    "kortrijk": "Europe/Brussels",
    "oostende": "Europe/Brussels",
    "ostend": "Europe/Brussels",
    "genk": "Europe/Brussels",
    "aalst": "Europe/Brussels",
    "sint niklaas": "Europe/Brussels",
    "luik": "Europe/Brussels",
    "liege": "Europe/Brussels",
    "gand": "Europe/Brussels",
    "pays-bas": "Europe/Amsterdam",
    "belgique": "Europe/Brussels",
    "namen": "Europe/Brussels",
    "namur": "Europe/Brussels",
    "charleroi": "Europe/Brussels",
    # Dutch exonyms and other common places
    "londen": "Europe/London",
    "england": "Europe/London",
    "engeland": "Europe/London",
    "uk": "Europe/London",
    "united kingdom": "Europe/London",
    "verenigd koninkrijk": "Europe/London",
    "manchester": "Europe/London",
    "edinburgh": "Europe/London",
    "parijs": "Europe/Paris",
    "frankrijk": "Europe/Paris",
    "france": "Europe/Paris",
    "lyon": "Europe/Paris",
    "berlijn": "Europe/Berlin",
    "duitsland": "Europe/Berlin",
    "germany": "Europe/Berlin",
    "keulen": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "koln": "Europe/Berlin",
    "dusseldorf": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "munchen": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "aken": "Europe/Berlin",
    "aachen": "Europe/Berlin",
    "luxemburg": "Europe/Luxembourg",
    "rome": "Europe/Rome",
    "italie": "Europe/Rome",
    "italy": "Europe/Rome",
    "milaan": "Europe/Rome",
    "milan": "Europe/Rome",
    "spanje": "Europe/Madrid",
    "spain": "Europe/Madrid",
    "barcelona": "Europe/Madrid",
    "lissabon": "Europe/Lisbon",
    "portugal": "Europe/Lisbon",
    "wenen": "Europe/Vienna",
    "oostenrijk": "Europe/Vienna",
    "austria": "Europe/Vienna",
    "praag": "Europe/Prague",
    "kopenhagen": "Europe/Copenhagen",
    "denemarken": "Europe/Copenhagen",
    "denmark": "Europe/Copenhagen",
    "zweden": "Europe/Stockholm",
    "sweden": "Europe/Stockholm",
    "noorwegen": "Europe/Oslo",
    "norway": "Europe/Oslo",
    "finland": "Europe/Helsinki",
    "athene": "Europe/Athens",
    "griekenland": "Europe/Athens",
    "greece": "Europe/Athens",
    "warschau": "Europe/Warsaw",
    "polen": "Europe/Warsaw",
    "poland": "Europe/Warsaw",
    "boedapest": "Europe/Budapest",
    "moskou": "Europe/Moscow",
    "ierland": "Europe/Dublin",
    "ireland": "Europe/Dublin",
    "zwitserland": "Europe/Zurich",
    "switzerland": "Europe/Zurich",
    "geneve": "Europe/Zurich",
    "geneva": "Europe/Zurich",
    "bern": "Europe/Zurich",
    "turkije": "Europe/Istanbul",
    "turkey": "Europe/Istanbul",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "montreal": "America/Toronto",
    "tokio": "Asia/Tokyo",
    "japan": "Asia/Tokyo",
    "peking": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "hongkong": "Asia/Hong_Kong",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "india": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "kaapstad": "Africa/Johannesburg",
    "cape town": "Africa/Johannesburg",
    "zuid afrika": "Africa/Johannesburg",
    "south africa": "Africa/Johannesburg",
    "suriname": "America/Paramaribo",
    "curacao": "America/Curacao",
    "aruba": "America/Aruba",
    "bonaire": "America/Kralendijk",
    "canberra": "Australia/Sydney",
}


@cache
def _zone_names() -> dict[str, str]:
    """Lower-case lookup keys -> canonical IANA name: full names and unambiguous city parts."""
    names: dict[str, str] = {}
    cities: dict[str, set[str]] = {}
    for name in available_timezones():
        if name.startswith(("posix/", "right/")) or name in ("Factory", "localtime"):
            continue
        names[_plain(name)] = name
        city = _plain(name.rsplit("/", 1)[-1])
        if "/" in name and not name.startswith("Etc/"):
            cities.setdefault(city, set()).add(name)
    for city, zones in cities.items():
        if len(zones) == 1 and city not in names:
            names[city] = next(iter(zones))
    for place, zone_name in PLACES.items():
        names.setdefault(_plain(place), zone_name)
    return names


def _key(text: str) -> str:
    return _plain(text).replace("-", " ")


class ZoneChoice(ParseError):
    """An abbreviation or UTC offset that fits several real zones: `choices` to offer."""

    def __init__(self, value: str, choices: list[str]) -> None:
        super().__init__("parse.timezone.choose", value=value)
        self.choices = choices


def _offset_choice(raw: str, minutes: int, lang: str) -> str:
    """An offset is never stored as such (it would miss summer time): offer real zones."""
    if minutes == 0 and _plain(raw) in ("utc", "utc 0", "utc+0", "utc+00:00", "z", "zulu"):
        return "UTC"
    raise ZoneChoice(shown(raw), zones_for_offset(minutes, lang) or ["UTC"])


def parse_timezone(text: str, lang: str = "en") -> str:
    """An IANA timezone name (case-insensitive), a common city or country name in Dutch or
    English, an abbreviation ("EST", "CET") or an offset ("UTC+1"). Abbreviations and offsets
    become a real zone that follows summer time, or a ZoneChoice when several fit (the
    language's own zones first). Offline: a table and the system's zoneinfo only."""
    text = clean_input(text)
    raw = text.strip()
    if not raw:
        raise ParseError("parse.timezone.empty")
    if len(raw) > 64:
        raise ParseError("parse.timezone.bad", value=shown(raw))
    plain = _plain(raw)
    if plain == "utc":
        return "UTC"
    abbreviated = zones_for_abbreviation(plain)
    if abbreviated is not None:
        if len(abbreviated) == 1:
            return abbreviated[0]
        ordered = sorted(abbreviated, key=lambda z: z not in CANDIDATES.get(lang, ()))
        raise ZoneChoice(shown(raw), ordered[:MAX_CHOICES])
    minutes = offset_minutes(plain)
    if minutes is not None:
        return _offset_choice(raw, minutes, lang)
    names = _zone_names()
    key = _key(raw)
    compact = re.sub(r"\s*/\s*", "/", key)
    for candidate in (plain, key, compact):
        if candidate in names:
            found = names[candidate]
            fixed = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", found)
            if fixed:  # POSIX signs: Etc/GMT-1 is UTC+1
                hours = int(fixed.group(2))
                return _offset_choice(
                    raw, -hours * 60 if fixed.group(1) == "+" else hours * 60, lang
                )
            return found
    suggestion = suggest_timezone(raw)
    if suggestion:
        raise ParseError("parse.timezone.suggest", value=shown(raw), suggestion=suggestion)
    raise ParseError("parse.timezone.bad", value=shown(raw))


def suggest_timezone(text: str) -> str | None:
    """The IANA name of the closest known place or zone, for "did you mean ...?" replies."""
    text = clean_input(text)
    key = _key(text)
    if len(key) < 3:
        return None
    from rapidfuzz import fuzz, process  # ~4 MB resident: loaded by the first fuzzy match

    match = process.extractOne(key, list(_zone_names()), scorer=fuzz.ratio, score_cutoff=80)
    return _zone_names()[match[0]] if match else None


# ----------------------------------------------------------------------------------- pause

_DATE_FORMATS = (
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)
_YEARLESS = re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})\.?$")
_DAY_MONTH = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th|e|ste|de)?\s+(?P<month>[a-z]+)\.?$")
_MONTH_DAY = re.compile(r"^(?P<month>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?$")
_DAYS_RE = re.compile(
    r"^(?P<n>\d{1,4}|een|a|one|un|une)\s*"
    r"(?P<unit>d|day|days|dag|dagen|j|jour|jours|w|wk|week|weeks|weken|sem|semaine|semaines)?$"
)
WEEK_UNITS = frozenset({"w", "wk", "week", "weeks", "weken", "sem", "semaine", "semaines"})
_UNTIL_RE = re.compile(
    r"^(?:until|till|til|tot|tot en met|t/m|to|jusqu ?'?au|jusqu ?'?a|jusqu ?’au)\s+(?P<date>.+)$"
)
MONTHS: dict[str, int] = {}
for _number, _month_names in enumerate(
    (
        ("jan", "januari", "january"),
        ("feb", "februari", "february"),
        ("mrt", "maa", "maart", "mar", "march"),
        ("apr", "april"),
        ("mei", "may"),
        ("jun", "juni", "june"),
        ("jul", "juli", "july"),
        ("aug", "augustus", "august"),
        ("sep", "sept", "september"),
        ("okt", "oktober", "oct", "october"),
        ("nov", "november"),
        ("dec", "december"),
    ),
    start=1,
):
    for _month_name in _month_names:
        MONTHS[_month_name] = _number
_TODAY_WORDS = frozenset({"today", "vandaag", "tomorrow", "morgen"})


@dataclass(frozen=True)
class PauseSpec:
    """Reminders resume on local date `resume_on` (the pause ends at its midnight)."""

    resume_on: date


def parse_date(text: str, today: date | None = None) -> date:
    """DD-MM-YYYY (also with / or .), YYYY-MM-DD, or, given `today`, a date without a year
    ("4-12", "4 december", "Dec 4": the next such date) or a weekday ("friday": the next one,
    never today)."""
    plain = clean_input(text).strip().lower()
    for pattern in _DATE_FORMATS:
        match = pattern.match(plain)
        if match:
            try:
                return date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
            except ValueError:
                break
    else:
        if today is not None:
            found = _yearless(plain, today)
            if found is not None:
                return found
    raise ParseError("parse.pause.bad_date", value=shown(text))


def _yearless(plain: str, today: date) -> date | None:
    if plain in DAY_WORDS:
        ahead = (DAY_WORDS[plain] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    day = month = None
    for pattern in (_YEARLESS, _DAY_MONTH, _MONTH_DAY):
        match = pattern.match(plain)
        if match:
            day = int(match.group("d"))
            groups = match.groupdict()
            month = int(groups["m"]) if groups.get("m") else MONTHS.get(groups.get("month") or "")
            break
    if day is None or month is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate > today:
            return candidate
    return None


def parse_pause(text: str, today: date) -> PauseSpec:
    """`` or `today` (rest of today), `N days`/`N dagen`, `N weeks`/`1 week`, or a date:
    `until DATE`/`tot DATE`, where DATE may be "31-12-2026", "4-12", "4 december" or a
    weekday ("until Friday", "tot vrijdag").

    "N days" pauses today and the N-1 days after it; "until DATE" pauses up to DATE, and
    reminders come back on DATE itself.
    """
    text = clean_input(text)
    plain = _plain(text)
    if not plain or plain in _TODAY_WORDS or plain in ("until tomorrow", "tot morgen"):
        return PauseSpec(today + timedelta(days=1))
    days = _DAYS_RE.match(plain)
    if days:
        count = days.group("n")
        n = int(count) if count.isdigit() else 1
        if days.group("unit") in WEEK_UNITS:
            n *= 7
        elif not count.isdigit() and days.group("unit") is None:
            raise ParseError("parse.pause.bad", value=shown(text))
        if n < 1:
            raise ParseError("parse.pause.min")
        if n > MAX_PAUSE_DAYS:
            raise ParseError("parse.pause.range", max=MAX_PAUSE_DAYS)
        return PauseSpec(today + timedelta(days=n))
    until = _UNTIL_RE.match(plain)
    candidate = until.group("date") if until else plain
    if len(candidate) > 20 or not (re.match(r"^\d", candidate) or _yearless(candidate, today)):
        raise ParseError("parse.pause.bad", value=shown(text))
    resume_on = parse_date(candidate, today)
    if resume_on <= today:
        raise ParseError("parse.pause.past", value=shown(candidate))
    if resume_on > today + timedelta(days=MAX_PAUSE_DAYS):
        raise ParseError("parse.pause.range", max=MAX_PAUSE_DAYS)
    return PauseSpec(resume_on)


# ------------------------------------------------------------------------ place, language

PLACE_WORDS = {
    "office": "office",
    "kantoor": "office",
    "work": "office",
    "werk": "office",
    "op kantoor": "office",
    "home": "home",
    "thuis": "home",
    "at home": "home",
    "bureau": "office",
    "au bureau": "office",
    "travail": "office",
    "maison": "home",
    "a la maison": "home",
    "domicile": "home",
}
LANGUAGE_WORDS = {
    "nl": "nl",
    "nederlands": "nl",
    "dutch": "nl",
    "vlaams": "nl",
    "en": "en",
    "english": "en",
    "engels": "en",
    "anglais": "en",
    "neerlandais": "nl",
    "fr": "fr",
    "francais": "fr",
    "frans": "fr",
    "french": "fr",
}


def parse_place(text: str) -> str:
    text = clean_input(text)
    plain = _plain(text)
    if not plain:
        raise ParseError("parse.place.empty")
    if plain not in PLACE_WORDS:
        raise ParseError("parse.place.bad", value=shown(text))
    return PLACE_WORDS[plain]


def parse_language(text: str) -> str:
    text = clean_input(text)
    plain = _plain(text)
    if not plain:
        raise ParseError("parse.language.empty")
    if plain not in LANGUAGE_WORDS:
        raise ParseError("parse.language.bad", value=shown(text))
    return LANGUAGE_WORDS[plain]
