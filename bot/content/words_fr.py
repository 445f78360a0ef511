"""French words for the exercise search, kept as data so the search's rules stay in one place.

Typed text is normalised before matching (lower case, accents off, apostrophes dropped, so
"l'exercice" reads "lexercice"), so every word here is written that way."""

from __future__ import annotations

#: Words that say nothing about which exercise is meant.
STOPWORDS: frozenset[str] = frozenset(
    {
        *("le", "la", "les", "l", "un", "une", "du", "des", "d", "au", "aux", "a", "pour"),
        *("mon", "ma", "mes", "votre", "vos", "ton", "ta", "tes", "sur", "et", "avec", "en"),
        *("exercice", "exercices", "lexercice", "lexercices"),
    }
)

#: French words per body area of the catalogue.
AREA_WORDS: dict[str, tuple[str, ...]] = {
    "lower_back": ("bas du dos", "dos", "lombaires", "lombaire", "region lombaire"),
    "spine": ("colonne", "colonne vertebrale", "dos"),
    "pelvis": ("bassin",),
    "hips": ("hanche", "hanches"),
    "glutes": ("fesses", "fessiers", "fessier"),
    "abdomen": ("ventre", "abdominaux", "abdos", "tronc", "gainage"),
    "flank": ("cote", "flanc", "flancs"),
}

#: Body parts the articles do not cover: named on their own, they deserve an honest "not
#: covered here" rather than a guess (the honest search reads this set).
OTHER_BODY_PARTS: frozenset[str] = frozenset(
    {
        *("nuque", "cou", "epaule", "epaules", "poignet", "poignets", "bras", "coude"),
        *("main", "mains", "doigt", "doigts", "jambe", "jambes", "genou", "genoux"),
        *("cheville", "chevilles", "pied", "pieds", "mollet", "mollets", "cuisse", "cuisses"),
        *("tete", "mal de tete", "machoire", "haut du dos", "poitrine", "yeux", "orteils"),
        *("ischio", "ischios", "ischio jambiers"),
    }
)

#: Words around a body part that do not change what is asked ("mal à la nuque").
FILLER: frozenset[str] = frozenset(
    {"mal", "douleur", "douleurs", "raide", "raideur", "j", "ai", "jai", "me", "fait", "a"}
)

#: A French body-area word typed on its own -> the area whose list it asks for; "dos" means the
#: lower back, the area the articles are about (as "rug" and "back" do).
AREA_QUERIES: dict[str, str] = {
    **{w: "lower_back" for w in ("bas du dos", "dos", "lombaires", "lombaire", "lombalgie")},
    **{w: "spine" for w in ("colonne", "colonne vertebrale")},
    "bassin": "pelvis",
    **{w: "hips" for w in ("hanche", "hanches")},
    **{w: "glutes" for w in ("fesses", "fessiers", "fessier")},
    **{w: "abdomen" for w in ("ventre", "abdominaux", "abdos", "tronc")},
    **{w: "flank" for w in ("cote", "flanc", "flancs")},
}
