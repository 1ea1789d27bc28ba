"""Names as the office abbreviates them: initials, contractions, a part of the name.

A deadline list says ``KAoA`` for "Kein Abschluss ohne Anschluss", ``Komm. Koord.``
or ``KommKoord`` for "Kommunale Koordinierung", ``Talentschulen`` for
"Landesprogramm Talentschulen"; a funder column says ``MSB`` for "Ministerium für
Schule und Bildung"; a person column says ``Albers`` or ``A. Albers`` for "Anna
Albers". ``abbreviates`` says whether a written form fits a stored name; the
indexes (``import_match``) accept it only when exactly one stored row fits, and
name both when two do ("meinten Sie …?").
"""

from __future__ import annotations

import re
from functools import lru_cache

UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
SALUTATION_RE = re.compile(r"^(frau|herr|hr|fr|dr|prof)\b\.?\s*", re.IGNORECASE)
NOT_ALNUM_RE = re.compile(r"[^a-z0-9]+")
STOP_WORDS = {
    "und",
    "der",
    "die",
    "das",
    "fuer",
    "von",
    "mit",
    "im",
    "in",
    "des",
    "den",
    "dem",
    "zur",
    "zum",
    "the",
    "and",
    "for",
    "of",
    "programm",
    "projekt",
    "phase",
    "kreis",
    "stadt",
    "nrw",
}


@lru_cache(maxsize=1 << 16)
def fold(text: str | None) -> str:
    """Fold a name for comparison: case, umlauts, punctuation and spaces.

    Cached: an import folds the same names again and again (each row its
    programme, funder and reference, each lookup the names it compares).
    """
    if not text:
        return ""
    value = text.casefold()
    if value.isascii():
        # Most names: ASCII words between single blanks are folded already
        # (isalnum of ASCII is exactly a-z0-9 after casefold; no umlauts).
        if value.isalnum() or (
            value.replace(" ", "").isalnum()
            and "  " not in value
            and value[0] != " "
            and value[-1] != " "
        ):
            return value
    else:
        value = value.translate(UMLAUTS)
    # Runs of other characters become one blank, so only the ends need trimming.
    folded = NOT_ALNUM_RE.sub(" ", value).strip()
    # A name of only symbols ("{", "–") still has to find itself again.
    return folded or " ".join(value.split())


def person_key(name: str | None) -> str:
    """A person's name without salutation (``Frau Albers`` → ``albers``)."""
    value = (name or "").strip()
    while True:
        stripped = SALUTATION_RE.sub("", value)
        if stripped == value:
            break
        value = stripped
    return fold(value)


CAMEL_RE = re.compile(r"[A-ZÄÖÜ][a-zäöüß]+|[A-ZÄÖÜ]+(?![a-zäöüß])|[a-zäöüß]+|\d+")
MIN_PART = 4  # a leading or trailing part shorter than this says too little


def initials(words: list[str]) -> set[str]:
    """``kein abschluss ohne anschluss`` → ``kaoa`` (and ``kaa`` without fillers)."""
    every = "".join(w[0] for w in words)
    distinct = "".join(w[0] for w in words if w not in STOP_WORDS)
    return {i for i in (every, distinct) if len(i) >= 2}


def _tokens(written: str) -> tuple[list[str], bool]:
    """The parts of a contraction and whether it was marked as one (a dot, capitals).

    ``Komm. Koord.`` → (komm, koord), ``KommKoord`` → (komm, koord).
    """
    marked = "." in written
    parts: list[str] = []
    for chunk in re.split(r"[\s.\-/]+", written):
        pieces = CAMEL_RE.findall(chunk)
        if len(pieces) > 1:
            marked = True
        parts += [fold(p) for p in pieces]
    return [p for p in parts if p], marked


def _in_order(tokens: list[str], words: list[str]) -> bool:
    """Each token starts the next word (fillers may be skipped between them)."""
    position = 0
    for token in tokens:
        while position < len(words) and not words[position].startswith(token):
            if words[position] not in STOP_WORDS:
                return False  # a distinctive word left out: not this name
            position += 1
        if position == len(words):
            return False
        position += 1
    return True  # the words after it: a leading part ("Lebensw." …)


def abbreviates(written: str, name: str | None) -> bool:
    """Whether ``written`` is a short form of ``name`` (not the name itself)."""
    query, target = fold(written), fold(name)
    if not query or not target or query == target:
        return False
    words = target.split()
    compact = query.replace(" ", "")
    if " " not in query and compact in initials(words):
        return True
    part = len(query) >= MIN_PART and query not in STOP_WORDS
    if part and (target.startswith(query + " ") or target.endswith(" " + query)):
        return True
    tokens, marked = _tokens(written)
    if marked and tokens and all(len(t) >= 2 for t in tokens):
        return _in_order(tokens, words)
    return False


def person_fits(written: str, name: str | None) -> bool:
    """``Albers``, ``A. Albers``, ``Albers, Anna`` for "Anna Albers"."""
    if "," in written:
        last, _, first = written.partition(",")
        written = f"{first} {last}"
    query, target = person_key(written).split(), person_key(name).split()
    if not query or not target:
        return False
    if query == target:
        return True  # "Albers, Anna" is "Anna Albers"
    if len(query) < len(target) and query == target[-len(query) :]:
        return True
    return (
        len(query) == len(target)
        and query[-1] == target[-1]
        and all(t.startswith(q) for q, t in zip(query[:-1], target[:-1], strict=True))
    )
