"""Content checks a physiotherapist would ask for, as plain functions returning problems.

Used by the content tests (tests/unit/test_content_audit.py), which also feed them fabricated
content to prove that they catch it. Each check reads user-facing text only; quotes are the
evidence it is checked against:

- claims: no promise words, in Dutch, English or French, in any catalogue text or translation;
- numbers: whole numbers (digits or words, minutes also as seconds) of a text must appear in
  the sentence quoted for it, and English and French must hold the same numbers as Dutch;
- cautions: English and French name the same cautions as Dutch (doctor, pain, immediately,
  ...), and a text without a quote (neutral framing) names none;
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

LANGS = ("nl", "en", "fr")

_WORDS = {
    **{"twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8},
    **{"negen": 9, "tien": 10, "elf": 11, "twaalf": 12, "vijftien": 15, "twintig": 20},
    **{"dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60, "honderd": 100},
    **{"tweemaal": 2, "driemaal": 3, "viermaal": 4, "dubbel": 2},
    **{"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8},
    **{"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20},
    **{"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100},
    **{"twice": 2, "thrice": 3, "double": 2},
    # French; "onze" (Dutch "our") and "neuf" (French "new") are left out as ambiguous.
    **{"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "dix": 10},
    **{"douze": 12, "quinze": 15, "vingt": 20, "trente": 30, "quarante": 40},
    **{"cinquante": 50, "soixante": 60, "cent": 100},
}
_NUMBER = r"\d+|" + "|".join(sorted(_WORDS, key=len, reverse=True))
_TOKEN = re.compile(rf"(?<![\w])({_NUMBER})(?![\w])", re.IGNORECASE)
_MINUTES = re.compile(
    rf"(?<![\w])({_NUMBER}|[eé]én|een|one|a|une?)(?:\s*(?:-|–|tot|to|à)\s*({_NUMBER}))?"
    r"(?:\s+more)?[\s-]*(?:minuut|minuten|minute|minutes|min)\b",
    re.IGNORECASE,
)
#: French idioms that hold a number word but no count: "les deux mains" (both hands, Dutch
#: "beide"), "à quatre pattes" (on hands and knees).
_IDIOMS = re.compile(r"\b(?:les|des|aux) deux\b|\bquatre pattes\b", re.IGNORECASE)
_HALF_MINUTE = re.compile(
    r"halve minuut|half a minute|half minute|demi-minute|demie minute", re.IGNORECASE
)


def _value(token: str) -> int:
    token = token.lower().replace("eén", "één")
    if token.isdigit():
        return int(token)
    return _WORDS.get(token, 1)  # één / een / one / a / un / une (only before "minute")


def numbers(text: str) -> set[int]:
    """Whole numbers in a text: '3', 'driemaal', 'thirty'; '1 minuut' also as 60, '5-10
    minuten' also as 300 and 600, 'een halve minuut' as 30. '30' never matches '3'."""
    text = _IDIOMS.sub(" ", text)
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
    "fr": (
        r"\bguéri(r|t|s|son|ssez|ssent)?\b",
        r"\bgaranti",
        r"\bmiracle",
        r"\bprév(enir|ient|ention|enu)",
        r"\bsoulag",
        r"\bsans douleur",
        r"\baussi longtemps que possible",
        r"(?<!pas )\btoujours mieux",
        r"\bpas de douleur,? pas de",
        r"\bla douleur est (bonne|normale|utile)",
        r"\bmeilleur médicament",
        r"\ben (moins de )?\d+ secondes",
        r"\bprouvé",
        r"\befficac",
    ),
}

#: Caution words and their counterparts (Dutch, English, French): a text and its translations
#: name the same ones.
CAUTION_TERMS: tuple[tuple[str, str, str, str], ...] = (
    ("doctor", r"\b(arts|dokter|huisarts)\b", r"\bdoctor", r"\bmédecin"),
    ("physiotherapist", r"fysiotherapeut|kinesist", r"physiotherapist", r"kinésithérapeute"),
    ("pain", r"pijn", r"\bpain|\bhurt", r"douleur|douloureu|\bmal\b"),
    ("immediately", r"onmiddellijk", r"immediately", r"immédiatement"),
    ("hernia", r"hernia", r"hernia", r"hernie"),
    ("surgery", r"operatie", r"surgery", r"opération|chirurgi"),
    ("arthrosis", r"artrose", r"arthrosis", r"arthrose"),
    ("inflammation", r"ontsteking", r"inflammation", r"inflammation"),
    ("trauma", r"trauma", r"trauma", r"traumatisme"),
    ("neurological", r"neurologisch", r"neurological", r"neurologique"),
    ("bouncing", r"\bveer|verend", r"bounc|springy", r"rebond|ressort"),
    ("stop", r"stop", r"\bstop", r"\bstop|arr[êe]t"),
    ("breathing", r"adem", r"\bbreath", r"respir|\b(expir|inspir)(ez|er|ant|ation)"),
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
    index = 1 + LANGS.index(lang)
    return {term[0] for term in CAUTION_TERMS if re.search(term[index], text, re.IGNORECASE)}


def check_text(where: str, nl: str, en: str, fr: str | None = None) -> list[str]:
    """Claims, and the same numbers and cautions in English (and French, when given) as in
    Dutch, the language of the sources."""
    texts = [("nl", nl), ("en", en)] + ([("fr", fr)] if fr is not None else [])
    problems = [
        f"{where} [{lang}]: promise word {p!r}" for lang, text in texts for p in _claims(lang, text)
    ]
    for lang, text in texts[1:]:
        if not text.strip():
            problems.append(f"{where}: missing in {lang}")
            continue
        if numbers(nl) != numbers(text):
            problems.append(
                f"{where}: numbers differ: nl {sorted(numbers(nl))}, {lang} {sorted(numbers(text))}"
            )
        if _terms("nl", nl) != _terms(lang, text):
            nl_terms, terms = sorted(_terms("nl", nl)), sorted(_terms(lang, text))
            problems.append(f"{where}: cautions differ: nl {nl_terms}, {lang} {terms}")
    return problems


def check_field(field: Field) -> list[str]:
    problems = check_text(field.where, field.text.nl, field.text.en, field.text.fr)
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
    nl, en, fr = messages["nl"], messages["en"], messages.get("fr")
    problems = []
    for key in sorted(nl.keys() | en.keys() | (fr.keys() if fr is not None else set())):
        french = fr.get(key, "") if fr is not None else None
        problems += check_text(f"translation {key}", nl.get(key, ""), en.get(key, ""), french)
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
