"""Timezones as people name them: abbreviations ("EST", "CET") and UTC offsets ("UTC+1") are
mapped to a real zone that follows summer time, or offered as a short list to choose from;
never stored as a fixed offset. And the other way round: a zone shown with a human name,
"Amsterdam (CET/CEST)". Pure: zoneinfo only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

#: Abbreviations -> the zones they are said in, most likely first. One zone: taken as is.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("est", "edt", "et", "eastern"), ("America/New_York",)),
    **dict.fromkeys(("cst", "cdt", "ct", "central"), ("America/Chicago",)),
    **dict.fromkeys(("mst", "mdt", "mt", "mountain"), ("America/Denver", "America/Phoenix")),
    **dict.fromkeys(("pst", "pdt", "pt", "pacific"), ("America/Los_Angeles",)),
    **dict.fromkeys(("akst", "akdt"), ("America/Anchorage",)),
    **dict.fromkeys(("hst",), ("Pacific/Honolulu",)),
    **dict.fromkeys(("bst",), ("Europe/London",)),
    **dict.fromkeys(("gmt",), ("Europe/London", "UTC")),
    **dict.fromkeys(("wet", "west"), ("Europe/Lisbon",)),
    **dict.fromkeys(
        ("cet", "cest", "met", "mest", "mez", "mesz"),
        ("Europe/Amsterdam", "Europe/Brussels", "Europe/Paris", "Europe/Berlin"),
    ),
    **dict.fromkeys(("eet", "eest"), ("Europe/Athens", "Europe/Helsinki", "Europe/Bucharest")),
    **dict.fromkeys(("msk",), ("Europe/Moscow",)),
    **dict.fromkeys(("ist",), ("Asia/Kolkata", "Europe/Dublin")),
    **dict.fromkeys(("jst",), ("Asia/Tokyo",)),
    **dict.fromkeys(("aest", "aedt"), ("Australia/Sydney", "Australia/Brisbane")),
}

#: Zones offered for an offset, per language first, then the world; checked against the
#: offset in winter and in summer, so "UTC+2" offers Amsterdam (summer) and Athens (winter).
CANDIDATES: dict[str, tuple[str, ...]] = {
    "nl": ("Europe/Amsterdam", "Europe/Brussels"),
    "en": ("Europe/London", "America/New_York", "Europe/Amsterdam"),
}
WORLD: tuple[str, ...] = (
    *("Europe/London", "Europe/Lisbon", "Europe/Amsterdam", "Europe/Brussels", "Europe/Paris"),
    *("Europe/Berlin", "Europe/Athens", "Europe/Helsinki", "Africa/Johannesburg"),
    *("Europe/Istanbul", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata"),
    *("Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Shanghai", "Asia/Singapore"),
    *("Asia/Tokyo", "Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland"),
    *("America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Paramaribo"),
    *("America/Halifax", "America/New_York", "America/Chicago", "America/Denver"),
    *("America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"),
    *("Atlantic/Azores", "Atlantic/Cape_Verde", "America/Noronha", "Pacific/Tongatapu"),
)
MAX_CHOICES = 4
_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$")
_WINTER, _SUMMER = datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)


def offset_minutes(text: str) -> int | None:
    """ "UTC+1", "gmt-5", "+05:30" -> minutes east of UTC; None when not an offset."""
    match = _OFFSET.match(text.strip().lower())
    if match is None:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    total = hours * 60 + minutes
    return -total if match.group(1) == "-" else total


def _offsets(name: str) -> set[int]:
    zone = ZoneInfo(name)
    return {
        int((at.astimezone(zone).utcoffset() or timedelta()).total_seconds() // 60)
        for at in (_WINTER, _SUMMER)
    }


def _winter(name: str) -> int:
    return int(
        (_WINTER.astimezone(ZoneInfo(name)).utcoffset() or timedelta()).total_seconds() // 60
    )


def zones_for_offset(minutes: int, lang: str) -> list[str]:
    """Real zones that are at this offset in winter or summer, the language's own first."""
    if minutes == 0 and lang == "en":
        return ["Europe/London", "UTC"]
    own = CANDIDATES.get(lang, ())
    seen: list[str] = []
    for name in [*own, *WORLD]:
        if name not in seen and minutes in _offsets(name):
            seen.append(name)
    # The language's own zones, then zones at this offset in winter, then in summer.
    seen.sort(key=lambda name: (name not in own, _winter(name) != minutes))
    if minutes == 0:
        seen.append("UTC")
    return seen[:MAX_CHOICES]


def zones_for_abbreviation(text: str) -> list[str] | None:
    """The zones an abbreviation is said in, or None when it is not one we know."""
    key = text.strip().lower()
    zones = ABBREVIATIONS.get(key)
    return list(zones) if zones else None


@cache
def zone_label(name: str) -> str:
    """ "Amsterdam (CET/CEST)", "New York (EST/EDT)", "Kolkata (IST)", "UTC"."""
    if name in ("UTC", "Etc/UTC"):
        return "UTC"
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    zone = ZoneInfo(name)
    names: list[str] = []
    for at in (_WINTER, _SUMMER):
        local = at.astimezone(zone)
        abbreviation = local.tzname() or ""
        if not abbreviation.isalpha():
            minutes = int((local.utcoffset() or timedelta()).total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            hours, rest = divmod(abs(minutes), 60)
            abbreviation = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
        if abbreviation not in names:
            names.append(abbreviation)
    if name.startswith("Etc/"):
        return names[0]
    return f"{city} ({'/'.join(names)})"


#: Telegram's language_code (an IETF tag, sometimes with a region) -> the likeliest zone.
LANGUAGE_ZONES = {
    "nl-be": "Europe/Brussels",
    "fr-be": "Europe/Brussels",
    "nl": "Europe/Amsterdam",
    "nl-nl": "Europe/Amsterdam",
    "en-gb": "Europe/London",
    "en-ie": "Europe/Dublin",
    "en-us": "America/New_York",
    "en-au": "Australia/Sydney",
}


def guess_timezone(language_code: str | None) -> str | None:
    """A first guess from the Telegram language (asked to confirm in one tap), or None."""
    code = (language_code or "").lower().replace("_", "-")
    return LANGUAGE_ZONES.get(code) or LANGUAGE_ZONES.get(code.split("-")[0])
