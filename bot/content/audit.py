"""Content checks a physiotherapist would ask for, as plain functions returning problems.

Used by the content tests (tests/unit/test_content_audit.py), which also feed them fabricated
content to prove that they catch it. Each check reads user-facing text only; quotes are the
evidence it is checked against:

- claims: no promise words, in Dutch or English, in any catalogue text or translation;
- numbers: whole numbers (digits or words, minutes also as seconds) of a text must appear in
  the sentence quoted for it, and Dutch and English must hold the same numbers;
- cautions: Dutch and English name the same cautions (doctor, pain, immediately, ...), and a
  text without a quote (neutral framing) names none;
- dosages: every number of a dosage is written in the dosage's own quotes;
- rendered messages: every number a user sees sits in a sentence that names its article or is
  labelled as Rekpauze's own pacing (only step numbers and the guided countdown are exempt).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.content.models import Catalogue, Dosage, Quote, Text
from bot.i18n import catalog, t

LANGS = ("nl", "en")

_WORDS = {
    **{"twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8},
    **{"negen": 9, "tien": 10, "elf": 11, "twaalf": 12, "vijftien": 15, "twintig": 20},
    **{"dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60, "honderd": 100},
    **{"tweemaal": 2, "driemaal": 3, "viermaal": 4, "dubbel": 2},
    **{"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8},
    **{"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20},
    **{"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100},
    **{"twice": 2, "thrice": 3, "double": 2},
}
_NUMBER = r"\d+|" + "|".join(sorted(_WORDS, key=len, reverse=True))
_TOKEN = re.compile(rf"(?<![\w])({_NUMBER})(?![\w])", re.IGNORECASE)
_MINUTES = re.compile(
    rf"(?<![\w])({_NUMBER}|[eé]én|een|one|a)(?:\s*(?:-|–|tot|to)\s*({_NUMBER}))?"
    r"(?:\s+more)?[\s-]*(?:minuut|minuten|minute|minutes|min)\b",
    re.IGNORECASE,
)
_HALF_MINUTE = re.compile(r"halve minuut|half a minute|half minute", re.IGNORECASE)


def _value(token: str) -> int:
    token = token.lower().replace("eén", "één")
    if token.isdigit():
        return int(token)
    return _WORDS.get(token, 1)  # één / een / one / a (only before "minute")


def numbers(text: str) -> set[int]:
    """Whole numbers in a text: '3', 'driemaal', 'thirty'; '1 minuut' also as 60, '5-10
    minuten' also as 300 and 600, 'een halve minuut' as 30. '30' never matches '3'."""
    found = {_value(m.group(1)) for m in _TOKEN.finditer(text)}
    if _HALF_MINUTE.search(text):
        found.add(30)
        text = _HALF_MINUTE.sub(" ", text)
    for match in _MINUTES.finditer(text):
        for group in match.groups():
            if group:
                found |= {_value(group), _value(group) * 60}
    return found


#: Promise and pressure words that no user-facing text may use (matched case-insensitively).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "nl": (
        r"\bgene(es|zen|zing|est)\w*",
        r"\bgegarandeerd",
        r"\bgarantie",
        r"\bwondermiddel",
        r"\bvoorkomt\b",
        r"\bverlicht(ing)?\b",
        r"\bpijnvrij",
        r"\bzo lang mogelijk",
        r"(?<!niet )\baltijd beter",
        r"\bhoort erbij",
        r"\bpijn is goed",
        r"\bbeste medicijn",
        r"\bdirect resultaat",
        r"\bbinnen \d+ seconden",
        r"\bbewezen\b",
        r"\beffectief",
    ),
    "en": (
        r"\bcure[sd]?\b",
        r"\bheal(s|ing|ed)?\b",
        r"\bguarantee",
        r"\bmiracle",
        r"\bprevent(s|ed|ion)?\b",
        r"\brelie(f|ve|ves|ved)\b",
        r"\bpain[- ]free",
        r"\bas long as possible",
        r"(?<!not )\balways better",
        r"\bno pain,? no gain",
        r"\bpain is (good|part)",
        r"\bbest medicine",
        r"\bwithin \d+ seconds",
        r"\bproven\b",
        r"\beffective",
    ),
}

#: Caution words and their counterpart in the other language: a text and its translation name
#: the same ones.
CAUTION_TERMS: tuple[tuple[str, str, str], ...] = (
    ("doctor", r"\b(arts|dokter|huisarts)\b", r"\bdoctor"),
    ("physiotherapist", r"fysiotherapeut|kinesist", r"physiotherapist"),
    ("pain", r"pijn", r"\bpain|\bhurt"),
    ("immediately", r"onmiddellijk", r"immediately"),
    ("hernia", r"hernia", r"hernia"),
    ("surgery", r"operatie", r"surgery"),
    ("arthrosis", r"artrose", r"arthrosis"),
    ("inflammation", r"ontsteking", r"inflammation"),
    ("trauma", r"trauma", r"trauma"),
    ("neurological", r"neurologisch", r"neurological"),
    ("bouncing", r"\bveer|verend", r"bounc|springy"),
    ("stop", r"stop", r"\bstop"),
    ("breathing", r"adem", r"\bbreath"),
)


@dataclass(frozen=True)
class Field:
    """One user-facing text of the catalogue with the sentences it rests on.

    `quoted` is False for neutral framing (`quote: null`) and for labels; such a text may
    carry no number; framing may carry no caution word either.
    """

    where: str
    text: Text
    quotes: tuple[Quote, ...] = ()
    framing: bool = False


def fields(catalogue: Catalogue) -> Iterator[Field]:
    """Every user-facing text in the catalogue."""
    for name, source in catalogue.sources.items():
        yield Field(f"source {name} label", source.label)
        if source.frequency:
            quotes = (source.frequency.quote,) if source.frequency.quote else ()
            yield Field(f"source {name} frequency", source.frequency, quotes, not quotes)
    for ex in catalogue.exercises:
        where = f"exercise {ex.id}"
        yield Field(f"{where} name", ex.name)
        for label, quoted in (
            ("purpose", ex.purpose),
            *((f"step {i}", s) for i, s in enumerate(ex.steps, 1)),
            ("dosage_note", ex.dosage_note),
            ("equipment_note", ex.equipment_note),
        ):
            if quoted is not None:
                quotes = (quoted.quote,) if quoted.quote else ()
                yield Field(f"{where} {label}", quoted, quotes, framing=not quotes)
        for n, dosage in enumerate(ex.dosage):
            dq = tuple(Quote(source=dosage.source, text=q) for q in dosage.quotes)
            if dosage.note:
                yield Field(f"{where} dosage {n} note", dosage.note, dq)
            if dosage.by:
                yield Field(f"{where} dosage {n} by", dosage.by, dq)
        for n, caution in enumerate(ex.cautions):
            quote = Quote(source=caution.source, text=caution.quote)
            yield Field(f"{where} caution {n}", caution, (quote,))
    for n, item in enumerate(catalogue.safety.items()):
        yield Field(f"safety item {n} ({item.en[:30]})", item, tuple(item.quotes))
    for routine in catalogue.routines:
        yield Field(f"routine {routine.id} name", routine.name)


def _claims(lang: str, text: str) -> list[str]:
    return [p for p in FORBIDDEN[lang] if re.search(p, text, re.IGNORECASE)]


def _terms(lang: str, text: str) -> set[str]:
    index = 1 if lang == "nl" else 2
    return {term[0] for term in CAUTION_TERMS if re.search(term[index], text, re.IGNORECASE)}


def check_text(where: str, nl: str, en: str) -> list[str]:
    """Claims, and the same numbers and cautions in Dutch and English."""
    problems = [
        f"{where} [{lang}]: promise word {p!r}"
        for lang, text in (("nl", nl), ("en", en))
        for p in _claims(lang, text)
    ]
    if numbers(nl) != numbers(en):
        problems.append(
            f"{where}: numbers differ: nl {sorted(numbers(nl))}, en {sorted(numbers(en))}"
        )
    if _terms("nl", nl) != _terms("en", en):
        nl_terms, en_terms = sorted(_terms("nl", nl)), sorted(_terms("en", en))
        problems.append(f"{where}: cautions differ: nl {nl_terms}, en {en_terms}")
    return problems


def check_field(field: Field) -> list[str]:
    problems = check_text(field.where, field.text.nl, field.text.en)
    evidence = numbers(" ".join(q.text for q in field.quotes))
    missing = numbers(field.text.nl) - evidence
    if missing:
        problems.append(f"{field.where}: numbers {sorted(missing)} are not in its quote")
    if field.framing and _terms("nl", field.text.nl):
        problems.append(f"{field.where}: a caution needs a quote, not framing")
    return problems


def dosage_numbers(dosage: Dosage) -> set[int]:
    values: set[int | None] = {dosage.times, dosage.sets, dosage.per_day}
    for span in (dosage.hold_seconds, dosage.repetitions, dosage.duration_seconds):
        if span:
            values |= {span.min, span.max}
    return {v for v in values if v is not None}


def check_dosages(catalogue: Catalogue) -> list[str]:
    problems = []
    for ex in catalogue.exercises:
        for n, dosage in enumerate(ex.dosage):
            missing = dosage_numbers(dosage) - numbers(" ".join(dosage.quotes))
            if missing:
                problems.append(f"exercise {ex.id} dosage {n}: {sorted(missing)} not in its quotes")
    return problems


def check_catalogue(catalogue: Catalogue) -> list[str]:
    problems = [p for field in fields(catalogue) for p in check_field(field)]
    return problems + check_dosages(catalogue)


def translations() -> dict[str, dict[str, str]]:
    """Every translated message, per language: {key: text}."""
    return {lang: {str(m.id): str(m.string) for m in catalog(lang) if m.id} for lang in LANGS}


def check_translations(messages: dict[str, dict[str, str]]) -> list[str]:
    nl, en = messages["nl"], messages["en"]
    problems = []
    for key in sorted(nl.keys() | en.keys()):
        problems += check_text(f"translation {key}", nl.get(key, ""), en.get(key, ""))
    return problems


# ---------------------------------------------------------------- rendered messages


def _template(lang: str, key: str) -> re.Pattern[str]:
    """A regex for a translated message, its {placeholders} as wildcards."""
    raw = re.sub(r"</?\w+>", "", str(catalog(lang)[key].string))
    parts = re.split(r"(\{\w+\})", raw)
    body = "".join(
        r"(\d+)" if p == "{seconds}" else r".+?" if p.startswith("{") else re.escape(p)
        for p in parts
    )
    return re.compile(body)


def labels(catalogue: Catalogue, lang: str) -> list[str]:
    """What makes a number attributed: an article's name, or the own-pacing label."""
    return [s.label.get(lang) for s in catalogue.sources.values()] + [t(lang, "content.pacing.own")]


_ENUMERATOR = re.compile(r"^\d+\.\s", re.MULTILINE)
_SENTENCE = re.compile(r"(?<=[^.][.!?])\s+(?=[A-Z0-9À-Ý])|\n")  # not after "..."


def unattributed_numbers(text: str, lang: str, catalogue: Catalogue) -> list[str]:
    """Sentences of a rendered (plain) message with a number but no article and no
    own-pacing label. Step numbering, the guided header and its countdown lines are exempt; a
    countdown may not exceed the largest attributed number of the message."""
    names = labels(catalogue, lang)
    header = _template(lang, "guided.header")
    countdowns = [
        _template(lang, k)
        for k in ("guided.prepare", "guided.hold", "guided.prepare_move", "guided.move")
    ]
    text = _ENUMERATOR.sub("", text)
    attributed: set[int] = set()
    pending: list[tuple[str, int | None]] = []
    for sentence in filter(None, (s.strip() for s in _SENTENCE.split(text))):
        if header.search(sentence):
            sentence = header.sub("", sentence)
        countdown = next((m for c in countdowns if (m := c.search(sentence))), None)
        if countdown:
            pending.append((sentence, int(countdown.group(1))))
            continue
        found = numbers(sentence)
        if not found:
            continue
        if any(name in sentence for name in names):
            attributed |= found
        else:
            pending.append((sentence, None))
    problems = []
    for sentence, seconds in pending:
        if seconds is None or not attributed or seconds > max(attributed):
            problems.append(sentence)
    return problems


def walk(messages: Iterable[tuple[str, str, str]], catalogue: Catalogue) -> list[str]:
    """(where, lang, plain text) messages -> every unattributed number, with where it is."""
    return [
        f"{where} [{lang}]: {s!r}"
        for where, lang, text in messages
        for s in unattributed_numbers(text, lang, catalogue)
    ]
