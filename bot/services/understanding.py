"""What a free-text message is about, in Dutch or English: a red flag, pain, a greeting,
thanks, a request for help, or something else (tried as a search next). Pure: no Telegram,
no database; the safety lines come from the catalogue's reviewed safety section."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.content.models import Catalogue, SafetyItem
from bot.content.search import normalise


class Intent(StrEnum):
    RED_FLAG = "red_flag"
    PAIN = "pain"
    GREETING = "greeting"
    THANKS = "thanks"
    HELP = "help"
    OTHER = "other"


#: Words and phrases that point at the catalogue's red flags (hernia, radiating pain, surgery,
#: trauma, neurological symptoms, fractures, inflammation, serious conditions).
RED_FLAG_WORDS: tuple[str, ...] = (
    # Dutch
    *("hernia", "uitstraling", "uitstraalt", "uitstralende", "uitstralen", "ischias"),
    *("operatie", "geopereerd", "artrose", "ontsteking", "ontstoken", "trauma", "letsel"),
    *("ongeluk", "ongeval", "gevallen", "val", "gebroken", "breuk", "reuma", "tumor"),
    *("kanker", "tintelingen", "tinteling", "tintelt", "doof", "gevoelloos", "verlamd"),
    *("krachtverlies", "koorts", "incontinent", "in mijn been", "naar mijn been"),
    # English
    *("herniated", "slipped disc", "sciatica", "radiating", "radiates", "shooting pain"),
    *("down my leg", "into my leg", "surgery", "operation", "operated", "arthrosis"),
    *("inflammation", "inflamed", "injury", "injured", "accident", "fracture", "broken"),
    *("rheumatism", "tumour", "tumor", "cancer", "numb", "numbness", "tingling"),
    *("pins and needles", "weakness", "paralysed", "paralyzed", "fever"),
)
PAIN_WORDS: tuple[str, ...] = (
    *("pijn", "pijnlijk", "pijnlijke", "zeer", "last van", "klachten", "stijf", "stijve"),
    *("rugpijn", "au", "auw", "pain", "painful", "hurts", "hurt", "ache", "aches", "aching"),
    *("backache", "sore", "stiff"),
)
GREETING_WORDS = frozenset(
    {
        *("hallo", "hoi", "hey", "hee", "hi", "hello", "dag", "goedemorgen", "goedemiddag"),
        *("goedenavond", "morgen", "middag", "good morning", "good afternoon", "good evening"),
        *("yo", "heey", "hai", "hiya", "daar", "there", "bot", "rekpauze"),
    }
)
THANKS_WORDS = frozenset(
    {
        *("bedankt", "dank", "dankje", "dankjewel", "dank je", "dank je wel", "dank u", "merci"),
        *("thanks", "thank you", "thank", "thx", "ty", "cheers", "top", "super", "mooi", "fijn"),
        *("ok", "oke", "okay", "okido", "prima", "great", "nice", "cool", "perfect", "you"),
        *("je", "wel", "u", "veel", "a lot", "lot", "very", "much", "so"),
    }
)
THANKS_EMOJI = ("👍", "🙏", "❤", "😊", "🙂", "👌", "💪", "😀", "😄", "🥰", "✅")
HELP_WORDS = frozenset(
    {
        *("help", "hulp", "menu", "commands", "opdrachten", "commando", "commandos", "start"),
        *("wat kan je", "wat kun je", "what can you do", "how does this work", "hoe werkt dit"),
        *("info", "uitleg", "?"),
    }
)


def _has(plain: str, phrases: tuple[str, ...]) -> bool:
    """True when one of the phrases occurs as whole words (so "val" is not "interval")."""
    padded = f" {plain} "
    return any(f" {phrase} " in padded for phrase in phrases)


def _only(plain: str, words: frozenset[str]) -> bool:
    tokens = plain.split()
    return bool(tokens) and len(tokens) <= 6 and all(w in words for w in tokens)


def classify(text: str) -> Intent:
    """The intent of a message; red flags and pain come first, whatever else it says."""
    plain = normalise(text)
    if _has(plain, RED_FLAG_WORDS):
        return Intent.RED_FLAG
    if _has(plain, PAIN_WORDS):
        return Intent.PAIN
    stripped = text.strip()
    if not plain:
        if stripped and any(e in stripped for e in THANKS_EMOJI):
            return Intent.THANKS
        return Intent.HELP if stripped == "?" else Intent.OTHER
    if _only(plain, GREETING_WORDS) and not _only(plain, THANKS_WORDS - GREETING_WORDS):
        return Intent.GREETING
    if _only(plain, THANKS_WORDS | GREETING_WORDS) and not _only(plain, frozenset({"you"})):
        return Intent.THANKS
    if plain in HELP_WORDS or _only(plain, frozenset(w for w in HELP_WORDS if " " not in w)):
        return Intent.HELP
    if _has(plain, tuple(w for w in HELP_WORDS if " " in w)):
        return Intent.HELP
    return Intent.OTHER


_PAIN_RULE = re.compile(r"\b(pain|pijn)\b", re.IGNORECASE)
_PROFESSIONAL = re.compile(r"\b(doctor|physiotherapist|arts|fysiotherapeut)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SafetyAnswer:
    """Lines of the reviewed safety note (HTML-escaped): `flags` to list, `advice` to say."""

    flags: list[str]
    advice: list[str]


def safety_answer(catalogue: Catalogue, lang: str, intent: Intent) -> SafetyAnswer:
    """The lines of the safety note that answer a message: for a red flag the red flags and
    the advice to see a professional first; for pain the rule that stretching should not
    hurt and when to see a doctor or physiotherapist."""
    safety = catalogue.safety

    def esc(items: list[SafetyItem]) -> list[str]:
        return [html.escape(item.get(lang), quote=False) for item in items]

    if intent is Intent.RED_FLAG:
        return SafetyAnswer(esc(safety.red_flags), esc(safety.before_start))
    advice = [
        *(i for i in safety.stretching_rules if _PAIN_RULE.search(i.get(lang))),
        *(i for i in safety.general if _PROFESSIONAL.search(i.get(lang))),
        *[i for i in safety.before_start if _PROFESSIONAL.search(i.get(lang))][-1:],
    ]
    return SafetyAnswer([], esc(advice))
