"""The command argument parsers: examples in both languages and hypothesis properties."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.parsing import (
    MAX_SHOWN,
    WEEKEND,
    ParseError,
    ZoneChoice,
    parse_days,
    parse_language,
    parse_pause,
    parse_place,
    parse_time,
    parse_times,
    parse_timezone,
    shown,
    too_close,
)
from bot.services.zones import ABBREVIATIONS, zone_label
from bot.storage.models import ALL_DAYS, WORKDAYS

TODAY = date(2026, 11, 23)
ZONES = sorted(
    z
    for z in available_timezones()
    if not z.startswith(("posix/", "right/")) and z not in ("Factory", "localtime")
)


# ---------------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9:30", "09:30"),
        ("09.30", "09:30"),
        ("0930", "09:30"),
        ("930", "09:30"),
        ("9h30", "09:30"),
        ("9u30", "09:30"),
        ("14u", "14:00"),
        ("7", "07:00"),
        ("0:00", "00:00"),
        ("23:59", "23:59"),
    ],
)
def test_time_forms(text: str, expected: str) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("24:00", "parse.times.out_of_range"),
        ("7:60", "parse.times.out_of_range"),
        ("12345", "parse.times.bad"),
        ("9:3", "parse.times.bad"),
        ("noon", "parse.times.bad"),
        ("-1:00", "parse.times.bad"),
        ("13pm", "parse.times.out_of_range"),
        ("9:30xm", "parse.times.bad"),
    ],
)
def test_bad_times(text: str, key: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_times(text)
    assert info.value.key == key


def test_times_are_sorted_deduplicated_and_limited() -> None:
    assert parse_times("15:30, 9:00 09.00;12:00") == ["09:00", "12:00", "15:30"]
    assert len(parse_times("1 2 3 4 5 6")) == 6
    with pytest.raises(ParseError) as info:
        parse_times("1 2 3 4 5 6 7")
    assert info.value.key == "parse.times.too_many"
    assert parse_times("8 8 8 8 8 8 8 8") == ["08:00"]
    with pytest.raises(ParseError):
        parse_times("   ")


@given(
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["{h}:{m:02d}", "{h:02d}.{m:02d}", "{h:02d}{m:02d}", "{h}h{m:02d}"]),
)
def test_every_valid_time_parses_in_every_form(hour: int, minute: int, form: str) -> None:
    assert parse_time(form.format(h=hour, m=minute)) == f"{hour:02d}:{minute:02d}"


@given(st.lists(st.tuples(st.integers(0, 23), st.integers(0, 59)), min_size=1, max_size=6))
def test_parsed_times_round_trip(pairs: list[tuple[int, int]]) -> None:
    text = " ".join(f"{h}:{m:02d}" for h, m in pairs)
    result = parse_times(text)
    assert result == sorted(set(result))
    assert result == parse_times(" ".join(result))
    assert {f"{h:02d}:{m:02d}" for h, m in pairs} == set(result)


@given(st.text(max_size=300))
def test_times_parser_never_fails_otherwise(text: str) -> None:
    try:
        result = parse_times(text)
    except ParseError as error:
        assert error.key.startswith("parse.times.")
        assert all(len(str(v)) <= MAX_SHOWN for v in error.details.values())
    else:
        assert 1 <= len(result) <= 6
        assert all(len(t) == 5 and 0 <= int(t[:2]) <= 23 and 0 <= int(t[3:]) <= 59 for t in result)


# ----------------------------------------------------------------------------------- days


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("all", ALL_DAYS),
        ("alle", ALL_DAYS),
        ("Elke dag", ALL_DAYS),
        ("workdays", WORKDAYS),
        ("werkdagen", WORKDAYS),
        ("weekend", WEEKEND),
        ("ma-vr", WORKDAYS),
        ("mon-fri", WORKDAYS),
        ("mon wed fri", 0b0010101),
        ("ma,wo,vr", 0b0010101),
        ("Maandag en Donderdag", 0b0001001),
        ("fri-mon", 0b1110001),
        ("za zo", WEEKEND),
        ("ma-do vr", WORKDAYS),
    ],
)
def test_day_forms(text: str, mask: int) -> None:
    assert parse_days(text) == mask


@pytest.mark.parametrize("text", ["", "sometimes", "ma-", "mon-xyz", "ma-di-wo", "8"])
def test_bad_days(text: str) -> None:
    with pytest.raises(ParseError):
        parse_days(text)


DAY_NAMES = [
    ("mon", "ma"), ("tue", "di"), ("wed", "wo"), ("thu", "do"),
    ("fri", "vr"), ("sat", "za"), ("sun", "zo"),
]  # fmt: skip


@given(st.sets(st.integers(0, 6), min_size=1), st.booleans(), st.sampled_from([" ", ",", ", "]))
def test_any_day_set_round_trips_in_both_languages(days: set[int], dutch: bool, sep: str) -> None:
    text = sep.join(DAY_NAMES[d][int(dutch)] for d in sorted(days))
    assert parse_days(text) == sum(1 << d for d in days)


@given(st.integers(0, 6), st.integers(0, 6))
def test_ranges_cover_the_days_between(first: int, last: int) -> None:
    mask = parse_days(f"{DAY_NAMES[first][1]}-{DAY_NAMES[last][0]}")
    span = (last - first) % 7 + 1
    assert bin(mask).count("1") == span
    assert mask >> first & 1 and mask >> last & 1


@given(st.text(max_size=300))
def test_days_parser_gives_a_mask_or_a_parse_error(text: str) -> None:
    try:
        mask = parse_days(text)
    except ParseError as error:
        assert error.key.startswith("parse.days.")
    else:
        assert 0 < mask <= ALL_DAYS


# ------------------------------------------------------------------------------- timezone


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Amsterdam", "Europe/Amsterdam"),
        ("europe/brussels", "Europe/Brussels"),
        ("Amsterdam", "Europe/Amsterdam"),
        ("Brussel", "Europe/Brussels"),
        ("Brussels", "Europe/Brussels"),
        ("Antwerpen", "Europe/Brussels"),
        ("Gent", "Europe/Brussels"),
        ("Rotterdam", "Europe/Amsterdam"),
        ("Utrecht", "Europe/Amsterdam"),
        ("Den Haag", "Europe/Amsterdam"),
        ("Londen", "Europe/London"),
        ("London", "Europe/London"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("Parijs", "Europe/Paris"),
        ("Paris", "Europe/Paris"),
        ("Berlijn", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("België", "Europe/Brussels"),
        ("UTC", "UTC"),
        ("EST", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("BST", "Europe/London"),
    ],
)
def test_timezone_forms(text: str, zone: str) -> None:
    assert parse_timezone(text) == zone


def test_unknown_timezones_get_a_suggestion_or_an_example() -> None:
    with pytest.raises(ParseError) as info:
        parse_timezone("Amsterdm")
    assert info.value.key == "parse.timezone.suggest"
    assert info.value.details["suggestion"] == "Europe/Amsterdam"
    with pytest.raises(ParseError) as info:
        parse_timezone("Atlantis/Nowhere")
    assert info.value.key in ("parse.timezone.bad", "parse.timezone.suggest")
    with pytest.raises(ParseError) as info:
        parse_timezone("x" * 500)
    assert info.value.key == "parse.timezone.bad"


def _offset_like(zone: str) -> bool:
    """Abbreviations and fixed offsets among the IANA names ("EST", "CET", "Etc/GMT-1")."""
    return zone.lower() in ABBREVIATIONS or bool(re.fullmatch(r"(Etc/)?GMT[+-]\d+", zone))


@settings(max_examples=300)
@given(st.sampled_from(ZONES), st.sampled_from([str.lower, str.upper, str, str.swapcase]))
def test_every_iana_name_parses_case_insensitively(zone: str, case: object) -> None:
    try:
        parsed = parse_timezone(case(zone))  # type: ignore[operator]
    except ZoneChoice as choice:
        assert _offset_like(zone) and choice.choices
        return
    assert parsed == zone or (_offset_like(zone) and not _offset_like(parsed))


@given(st.text(max_size=100))
def test_timezone_parser_gives_a_known_zone_or_a_parse_error(text: str) -> None:
    try:
        zone = parse_timezone(text)
    except ParseError as error:
        assert error.key.startswith("parse.timezone.")
        assert all(len(str(v)) <= MAX_SHOWN for v in error.details.values())
    else:
        assert zone in available_timezones()


# ---------------------------------------------------------------------- pause, place, lang


@pytest.mark.parametrize(
    ("text", "resume_on"),
    [
        ("", TODAY + timedelta(days=1)),
        ("3 days", TODAY + timedelta(days=3)),
        ("3 dagen", TODAY + timedelta(days=3)),
        ("1 dag", TODAY + timedelta(days=1)),
        ("14", TODAY + timedelta(days=14)),
        ("until 01-12-2026", date(2026, 12, 1)),
        ("tot 1-12-2026", date(2026, 12, 1)),
        ("tot 2026-12-01", date(2026, 12, 1)),
        ("31/12/2026", date(2026, 12, 31)),
    ],
)
def test_pause_forms(text: str, resume_on: date) -> None:
    assert parse_pause(text, TODAY).resume_on == resume_on


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("0 days", "parse.pause.min"),
        ("999 dagen", "parse.pause.range"),
        ("until 23-11-2026", "parse.pause.past"),
        ("tot 31-02-2026", "parse.pause.bad_date"),
        ("until someday", "parse.pause.bad"),
        ("tot 30-2", "parse.pause.bad_date"),
        ("a while", "parse.pause.bad"),
        ("until 01-01-2099", "parse.pause.range"),
    ],
)
def test_bad_pauses(text: str, key: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_pause(text, TODAY)
    assert info.value.key == key


@given(st.text(max_size=100), st.dates(date(2000, 1, 1), date(2100, 1, 1)))
def test_pause_parser_resumes_in_the_future_or_explains(text: str, today: date) -> None:
    try:
        spec = parse_pause(text, today)
    except ParseError as error:
        assert error.key.startswith("parse.pause.")
    else:
        assert today < spec.resume_on <= today + timedelta(days=366)


def test_place_and_language() -> None:
    assert parse_place("Kantoor") == parse_place("office") == "office"
    assert parse_place("thuis") == parse_place("HOME") == "home"
    assert parse_language("NL") == parse_language("nederlands") == "nl"
    assert parse_language("english") == "en"
    for parser in (parse_place, parse_language):
        with pytest.raises(ParseError):
            parser("garden")
        with pytest.raises(ParseError):
            parser("")


def test_shown_strips_control_characters_and_caps_length() -> None:
    assert shown("a\x00b\x1b[31mc\u202e") == "a b [31mc"
    assert len(shown("x" * 1000)) == MAX_SHOWN


# Issue 14, point 9: what the user cannot see does not change what the input means.
@pytest.mark.parametrize("hidden", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\x00"])
def test_invisible_characters_and_nul_are_ignored(hidden: str) -> None:
    from bot.services.parsing import clean_input, parse_language, parse_place, parse_timezone

    assert clean_input(f"9:00{hidden}") == "9:00"
    assert parse_times(f"9:00{hidden} 12:{hidden}30") == ["09:00", "12:30"]
    assert parse_timezone(f"Amsterdam{hidden}") == "Europe/Amsterdam"
    assert parse_days(f"ma{hidden}-vr") == WORKDAYS
    assert parse_pause(f"3{hidden} days", date(2026, 1, 5)).resume_on == date(2026, 1, 8)
    assert parse_place(f"home{hidden}") == "home"
    assert parse_language(f"{hidden}nl") == "nl"


@pytest.mark.parametrize("text", ["0", "0 days", "0 dagen"])
def test_a_pause_of_zero_days_explains_the_minimum(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_pause(text, date(2026, 1, 5))
    assert caught.value.key == "parse.pause.min"


# ------------------------------------------------ issue 16, points 5-7: forms people type


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("9am 1pm 4pm", ["09:00", "13:00", "16:00"]),
        ("9:00, 13:00 and 16:00", ["09:00", "13:00", "16:00"]),
        ("9:00, 13:00 en 16:00", ["09:00", "13:00", "16:00"]),
        ("4 pm, 9 a.m.", ["09:00", "16:00"]),
        ("12am 12pm", ["00:00", "12:00"]),
        ("9:30am & 2:15pm", ["09:30", "14:15"]),
    ],
)
def test_am_pm_and_joining_words(text: str, times: list[str]) -> None:
    assert parse_times(text) == times


def test_times_too_close_are_found() -> None:
    assert too_close(["09:00", "09:05", "13:00"]) == ("09:00", "09:05")
    assert too_close(["09:00", "10:00"]) is None


@pytest.mark.parametrize(
    ("text", "resume_on"),
    [
        ("1 week", TODAY + timedelta(days=7)),
        ("2 weken", TODAY + timedelta(days=14)),
        ("een week", TODAY + timedelta(days=7)),
        ("vandaag", TODAY + timedelta(days=1)),
        ("until tomorrow", TODAY + timedelta(days=1)),
        ("until friday", date(2026, 11, 27)),  # TODAY is a Monday
        ("tot vrijdag", date(2026, 11, 27)),
        ("tot maandag", date(2026, 11, 30)),  # never today
        (
            "tot 4-12",
            date(TODAY.year if (TODAY.month, TODAY.day) < (12, 4) else TODAY.year + 1, 12, 4),
        ),
        ("until 1 january", date(TODAY.year + 1, 1, 1)),
        ("dec 31", date(TODAY.year, 12, 31)),
    ],
)
def test_pause_forms_people_type(text: str, resume_on: date) -> None:
    assert parse_pause(text, TODAY).resume_on == resume_on


@pytest.mark.parametrize(
    ("text", "lang", "first"),
    [
        ("UTC+1", "nl", ["Europe/Amsterdam", "Europe/Brussels"]),
        ("utc+1", "en", ["Europe/Amsterdam"]),
        ("CET", "nl", ["Europe/Amsterdam", "Europe/Brussels"]),
        ("GMT-5", "en", ["America/New_York"]),
        ("Etc/GMT-1", "nl", ["Europe/Amsterdam", "Europe/Brussels"]),
        ("gmt", "en", ["Europe/London", "UTC"]),
    ],
)
def test_offsets_and_ambiguous_abbreviations_are_asked_about(
    text: str, lang: str, first: list[str]
) -> None:
    with pytest.raises(ZoneChoice) as info:
        parse_timezone(text, lang)
    choices = info.value.choices
    assert choices[: len(first)] == first
    assert not any(name.startswith("Etc/") for name in choices)
    assert info.value.key == "parse.timezone.choose"


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Europe/Amsterdam", "Amsterdam (CET/CEST)"),
        ("Europe/London", "London (GMT/BST)"),
        ("America/New_York", "New York (EST/EDT)"),
        ("UTC", "UTC"),
    ],
)
def test_human_zone_names(zone: str, label: str) -> None:
    assert zone_label(zone) == label
