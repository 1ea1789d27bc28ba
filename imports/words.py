"""Parsers for words people type: status, done marks, funders, kinds, e-mail.

Status words as offices write them (``Antrag in Vorbereitung``, ``Antrag
eingereicht``, ``Bewilligt``, ``Laufend``, ``Verwendungsnachweis offen``,
``Abgeschlossen``, ``Abgelehnt``, ``zurückgezogen``, ``ruht``, ``verlängert`` and
variants; an unknown word is kept, never refused) and done marks (``x``, ``ja``,
``erledigt`` or a date) map to the enums of DESIGN §3. ``MAIS NRW / RAG-Stiftung``
is two funders; a kind column such as ``Land / Stiftung`` types them, otherwise a
table of known funder names does (BMBF → bund, MSB → land, ESF → eu, … Stiftung →
stiftung, Kreis/Stadt → kommune).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from imports.values import Raw, ValueProblem, clean_text, parse_date
from portfolio.domain.enums import (
    ApplicationStatus,
    FunderKind,
    ObligationKind,
    ObligationStatus,
    ProgrammeStatus,
)
from portfolio.domain.records import FunderRef

# --- words -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusWord:
    """What a status cell says, as far as portfolio has statuses for it.

    The programme's status; for an application (Antrag) its status; whether a
    Verwendungsnachweis is still open; and the word itself when portfolio has no
    status for it (kept in the row's note). ``programme`` is None for a word
    nobody taught portfolio: the row is still taken, the word goes to the note
    and the preview counts it.
    """

    programme: ProgrammeStatus | None
    application: ApplicationStatus | None = None
    report_open: bool = False
    word: str = ""  # the cell as written, when it belongs in the note


P, A = ProgrammeStatus, ApplicationStatus
_RUNNING = StatusWord(P.RUNNING)
_ENDED = StatusWord(P.ENDED)
_DRAFT = StatusWord(P.APPLYING, A.DRAFT)
_SUBMITTED = StatusWord(P.APPLYING, A.SUBMITTED)
_REJECTED = StatusWord(P.REJECTED, A.REJECTED)
_WITHDRAWN = StatusWord(P.REJECTED, A.WITHDRAWN)
_IDEA = StatusWord(P.IDEA, A.DRAFT)
_REPORT_OPEN = StatusWord(P.ENDED, report_open=True)
# Folded (lower case, umlauts as ae/oe/ue, punctuation as blanks) → meaning. Longer
# phrases are tried first, so "nicht bewilligt" is not read as "bewilligt".
STATUS_WORDS: dict[str, StatusWord] = {
    # running (granted, extended, paused)
    "laeuft": _RUNNING,
    "laufend": _RUNNING,
    "lfd": _RUNNING,
    "aktiv": _RUNNING,
    "bewilligt": _RUNNING,
    "zugesagt": _RUNNING,
    "genehmigt": _RUNNING,
    "zuwendung bewilligt": _RUNNING,
    "bescheid erhalten": _RUNNING,
    "in umsetzung": _RUNNING,
    "in durchfuehrung": _RUNNING,
    "verlaengert": _RUNNING,
    "laufzeit verlaengert": _RUNNING,
    "kostenneutral verlaengert": _RUNNING,
    "running": _RUNNING,
    "active": _RUNNING,
    "ongoing": _RUNNING,
    "approved": _RUNNING,
    "awarded": _RUNNING,
    "extended": _RUNNING,
    # paused: running, but the word stays in the note (no status says "ruht")
    "ruht": StatusWord(P.RUNNING, word="ruht"),
    "ruhend": StatusWord(P.RUNNING, word="ruht"),
    "pausiert": StatusWord(P.RUNNING, word="pausiert"),
    "unterbrochen": StatusWord(P.RUNNING, word="unterbrochen"),
    "on hold": StatusWord(P.RUNNING, word="on hold"),
    # term over, Verwendungsnachweis still to come
    "verwendungsnachweis offen": _REPORT_OPEN,
    "verwendungsnachweis ausstehend": _REPORT_OPEN,
    "verwendungsnachweis faellig": _REPORT_OPEN,
    "verwendungsnachweis in arbeit": _REPORT_OPEN,
    "vn offen": _REPORT_OPEN,
    "vwn offen": _REPORT_OPEN,
    "nachweis offen": _REPORT_OPEN,
    "abrechnung offen": _REPORT_OPEN,
    "in abrechnung": _REPORT_OPEN,
    "schlussabrechnung offen": _REPORT_OPEN,
    # ended
    "abgeschlossen": _ENDED,
    "beendet": _ENDED,
    "ausgelaufen": _ENDED,
    "abgerechnet": _ENDED,
    "verwendungsnachweis eingereicht": _ENDED,
    "verwendungsnachweis geprueft": _ENDED,
    "vn eingereicht": _ENDED,
    "vwn eingereicht": _ENDED,
    "nachweis eingereicht": _ENDED,
    "schlussbericht eingereicht": _ENDED,
    "ended": _ENDED,
    "closed": _ENDED,
    "completed": _ENDED,
    "finished": _ENDED,
    # applications
    "antrag in vorbereitung": _DRAFT,
    "in vorbereitung": _DRAFT,
    "antragsvorbereitung": _DRAFT,
    "antrag in arbeit": _DRAFT,
    "antrag wird vorbereitet": _DRAFT,
    "antrag geplant": _DRAFT,
    "skizze in vorbereitung": _DRAFT,
    "in antragstellung": _DRAFT,
    "beantragt": _SUBMITTED,
    "antrag eingereicht": _SUBMITTED,
    "antrag gestellt": _SUBMITTED,
    "eingereicht": _SUBMITTED,
    "skizze eingereicht": _SUBMITTED,
    "in pruefung": _SUBMITTED,
    "antrag in pruefung": _SUBMITTED,
    "applying": _SUBMITTED,
    "applied": _SUBMITTED,
    "submitted": _SUBMITTED,
    "abgelehnt": _REJECTED,
    "antrag abgelehnt": _REJECTED,
    "nicht bewilligt": _REJECTED,
    "absage": _REJECTED,
    "rejected": _REJECTED,
    "declined": _REJECTED,
    "zurueckgezogen": _WITHDRAWN,
    "antrag zurueckgezogen": _WITHDRAWN,
    "withdrawn": _WITHDRAWN,
    "idee": _IDEA,
    "geplant": _IDEA,
    "in planung": _IDEA,
    "idea": _IDEA,
    "planned": _IDEA,
}
STATUS_PHRASES = sorted(STATUS_WORDS, key=len, reverse=True)
STATUS_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
NOT_WORD_RE = re.compile(r"[^a-z0-9]+")

DONE_WORDS: dict[str, ObligationStatus] = {
    "x": ObligationStatus.DONE,
    "ja": ObligationStatus.DONE,
    "j": ObligationStatus.DONE,
    "erledigt": ObligationStatus.DONE,
    "erl": ObligationStatus.DONE,
    "done": ObligationStatus.DONE,
    "yes": ObligationStatus.DONE,
    "✓": ObligationStatus.DONE,
    "✔": ObligationStatus.DONE,
    "ok": ObligationStatus.DONE,
    "1": ObligationStatus.DONE,
    "true": ObligationStatus.DONE,
    "wahr": ObligationStatus.DONE,
    "abgeschlossen": ObligationStatus.DONE,
    "nein": ObligationStatus.OPEN,
    "n": ObligationStatus.OPEN,
    "offen": ObligationStatus.OPEN,
    "no": ObligationStatus.OPEN,
    "open": ObligationStatus.OPEN,
    "0": ObligationStatus.OPEN,
    "false": ObligationStatus.OPEN,
    "falsch": ObligationStatus.OPEN,
    "-": ObligationStatus.OPEN,
    "eingereicht": ObligationStatus.SUBMITTED,
    "versandt": ObligationStatus.SUBMITTED,
    "verschickt": ObligationStatus.SUBMITTED,
    "submitted": ObligationStatus.SUBMITTED,
    "entfällt": ObligationStatus.WAIVED,
    "entfallen": ObligationStatus.WAIVED,
    "waived": ObligationStatus.WAIVED,
    "n/a": ObligationStatus.WAIVED,
}


def _word(raw: Raw) -> str:
    return clean_text(raw).lower().rstrip(".!").strip()


def fold_status(raw: Raw) -> str:
    """A status cell folded: ``Antrag  eingereicht.`` → ``antrag eingereicht``."""
    text = clean_text(raw).lower().translate(STATUS_FOLD)
    return " ".join(NOT_WORD_RE.sub(" ", text).split())


def parse_status(raw: Raw) -> StatusWord:
    """Read a status cell as offices write it; an unknown word is kept, not refused.

    ``Antrag eingereicht am 12.03.2017`` is submitted (the phrase leads),
    ``Status: bewilligt`` is running (the phrase stands as whole words).
    """
    word = fold_status(raw)
    if not word:
        raise ValueProblem("Der Status fehlt.")
    if (known := STATUS_WORDS.get(word)) is not None:
        return known
    padded = f" {word} "
    for phrase in STATUS_PHRASES:
        if word.startswith(phrase + " "):
            return STATUS_WORDS[phrase]
    for phrase in STATUS_PHRASES:
        if f" {phrase} " in padded and f" nicht {phrase} " not in padded:
            return STATUS_WORDS[phrase]
    return StatusWord(None, word=clean_text(raw)[:80])


def parse_done(
    raw: Raw, date1904: bool = False
) -> tuple[ObligationStatus, date | None]:
    """Read a done column: x/ja/erledigt, or the date it was done on."""
    if isinstance(raw, bool):
        return (ObligationStatus.DONE if raw else ObligationStatus.OPEN), None
    word = _word(raw)
    if word in DONE_WORDS:
        return DONE_WORDS[word], None
    for prefix in ("erledigt am", "erl. am", "erledigt", "am"):
        if word.startswith(prefix + " "):
            word = word[len(prefix) + 1 :]
            raw = word
            break
    try:
        return ObligationStatus.DONE, parse_date(raw, date1904)
    except ValueProblem:
        raise ValueProblem(
            "Ist das erledigt?",
            "Schreiben Sie x, ja, erledigt oder das Datum der Erledigung.",
        ) from None


# --- funders ---------------------------------------------------------------

MAX_FUNDER_NAME = 300
MAX_EMAIL = 254
FUNDER_SPLIT = re.compile(r"\s*(?:/|\+|;|,|&|\bund\b|\bu\.\s|\bsowie\b)\s*")
KNOWN_FUNDERS: tuple[tuple[re.Pattern[str], FunderKind], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"\b(esf|efre|eler|eu|europ\w*|erasmus\+?|interreg)\b", FunderKind.EU),
        (r"stiftung|foundation", FunderKind.STIFTUNG),
        (
            r"\b(bmbf|bmfsfj|bmas|bmz|bmi|bmwi|bmwk|bmel|bkm|bamf|bafa|bund"
            r"|bundes\w*|dlr)\b",
            FunderKind.BUND,
        ),
        (
            r"\b(msw|msb|mais|mags|mkffi|mkjfgfi|mfkjks|mkw|mwide|mhkbg|land|landes\w*"
            r"|nrw|bezirksregierung|ministerium\w*|lvr|lwl|\w*behörde)\b",
            FunderKind.LAND,
        ),
        (
            r"\b(kreis|stadt|gemeinde|kommune|kommunal\w*|landkreis|bezirksamt)\b",
            FunderKind.KOMMUNE,
        ),
    )
)
KIND_WORDS: dict[str, FunderKind] = {
    "eu": FunderKind.EU,
    "europa": FunderKind.EU,
    "esf": FunderKind.EU,
    "bund": FunderKind.BUND,
    "bundesmittel": FunderKind.BUND,
    "federal": FunderKind.BUND,
    "land": FunderKind.LAND,
    "landesmittel": FunderKind.LAND,
    "state": FunderKind.LAND,
    "kommune": FunderKind.KOMMUNE,
    "kommunal": FunderKind.KOMMUNE,
    "kreis": FunderKind.KOMMUNE,
    "stadt": FunderKind.KOMMUNE,
    "stiftung": FunderKind.STIFTUNG,
    "stiftungen": FunderKind.STIFTUNG,
    "foundation": FunderKind.STIFTUNG,
    "sonstige": FunderKind.OTHER,
    "sonstiges": FunderKind.OTHER,
    "privat": FunderKind.OTHER,
    "other": FunderKind.OTHER,
}


def known_funder_kind(name: str) -> FunderKind | None:
    """Guess a funder's kind from the usual names (BMBF → bund, MSB → land …)."""
    for pattern, kind in KNOWN_FUNDERS:
        if pattern.search(name):
            return kind
    return None


def parse_funder_kinds(raw: Raw) -> list[FunderKind]:
    """Read a kind column such as ``Land / Stiftung``."""
    kinds = []
    for part in FUNDER_SPLIT.split(clean_text(raw)):
        word = part.strip().lower()
        if not word:
            continue
        if word not in KIND_WORDS:
            raise ValueProblem(
                "Diese Förderart ist unbekannt.",
                "Erlaubt sind: EU, Bund, Land, Kommune, Stiftung, Sonstige.",
            )
        kinds.append(KIND_WORDS[word])
    return kinds


def parse_funders(
    raw: Raw, kinds: Sequence[FunderKind] | None = None
) -> list[FunderRef]:
    """Split ``MAIS NRW / RAG-Stiftung`` into funders, typed by kind column or name."""
    names = [p.strip(" .") for p in FUNDER_SPLIT.split(clean_text(raw))]
    names = [n for n in names if n]
    if not names:
        raise ValueProblem("Der Fördergeber fehlt.")
    if any(len(n) > MAX_FUNDER_NAME for n in names):
        raise ValueProblem(
            f"Ein Fördergeber-Name ist länger als {MAX_FUNDER_NAME} Zeichen.",
            "Kürzen Sie den Namen; Details gehören in die Bemerkungen.",
        )
    kinds = kinds or []
    refs = []
    for index, name in enumerate(names):
        if len(kinds) == len(names):
            kind: FunderKind | None = kinds[index]
        elif len(kinds) == 1:
            kind = kinds[0]
        else:
            kind = known_funder_kind(name)
        refs.append(FunderRef(name, kind))
    return refs


OBLIGATION_KIND_WORDS: tuple[tuple[str, ObligationKind], ...] = (
    ("zwischennachweis", ObligationKind.ZWISCHENNACHWEIS),
    ("verwendungsnachweis", ObligationKind.VERWENDUNGSNACHWEIS),
    ("sachbericht", ObligationKind.SACHBERICHT),
    ("mittelabruf", ObligationKind.MITTELABRUF),
    ("mittelanforderung", ObligationKind.MITTELABRUF),
    ("antrag", ObligationKind.APPLICATION),
    ("bericht", ObligationKind.REPORT),
    ("report", ObligationKind.REPORT),
    ("konferenz", ObligationKind.EVENT),
    ("veranstaltung", ObligationKind.EVENT),
    ("tagung", ObligationKind.EVENT),
    ("sitzung", ObligationKind.EVENT),
)


def obligation_kind(text: str) -> ObligationKind:
    """Guess an obligation's kind from its title or kind column."""
    lowered = text.lower()
    for word, kind in OBLIGATION_KIND_WORDS:
        if word in lowered:
            return kind
    return ObligationKind.OTHER


# Legal forms end names in brackets too, but are no programme's short name.
LEGAL_FORMS = frozenset(
    {"e.v", "ev", "gmbh", "ggmbh", "ag", "kg", "ug", "eg", "mbh", "gbr", "ohg", "se"}
)
ABBREVIATION_RE = re.compile(r"^(.*\S)\s*\(([^()\s]{2,15})\)$")


def split_abbreviation(name: str) -> tuple[str, str | None]:
    """Split ``Kein Abschluss ohne Anschluss (KAoA)`` into name and short name."""
    m = ABBREVIATION_RE.match(name)
    legal = m is not None and m[2].casefold().strip(".") in LEGAL_FORMS
    if m and any(c.isupper() for c in m[2]) and not m[2].isdigit() and not legal:
        return m[1].strip(" -–"), m[2]
    return name, None


EMAIL_RE = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[a-z]{2,}", re.IGNORECASE)


def parse_email(raw: Raw) -> str:
    """Read an e-mail address (also from ``Name <a@b.de>`` or ``mailto:``)."""
    m = EMAIL_RE.search(clean_text(raw))
    if not m:
        raise ValueProblem(
            "Das ist keine E-Mail-Adresse.", "Schreiben Sie z. B. name@kreis-re.de."
        )
    address = m[0].removeprefix("mailto:").lower()
    if len(address) > MAX_EMAIL:
        raise ValueProblem("Die E-Mail-Adresse ist zu lang.", "Prüfen Sie die Adresse.")
    return address
