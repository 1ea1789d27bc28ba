"""Parsers for words people type: status, done marks, funders, kinds, e-mail.

Status words (``läuft``, ``abgeschlossen``, ``beantragt``, ``bewilligt``,
``abgelehnt``) and done marks (``x``, ``ja``, ``erledigt`` or a date) map to the enums
of DESIGN §3. ``MAIS NRW / RAG-Stiftung`` is two funders; a kind column such as ``Land
/ Stiftung`` types them, otherwise a table of known funder names does (BMBF → bund,
MSB → land, ESF → eu, … Stiftung → stiftung, Kreis/Stadt → kommune).
"""

from __future__ import annotations

import re
from datetime import date

from imports.values import Raw, ValueProblem, clean_text, parse_date
from portfolio.domain.enums import (
    FunderKind,
    ObligationKind,
    ObligationStatus,
    ProgrammeStatus,
)
from portfolio.domain.records import FunderRef

# --- words -----------------------------------------------------------------

STATUS_WORDS: dict[str, ProgrammeStatus] = {
    "läuft": ProgrammeStatus.RUNNING,
    "laufend": ProgrammeStatus.RUNNING,
    "aktiv": ProgrammeStatus.RUNNING,
    "bewilligt": ProgrammeStatus.RUNNING,
    "in umsetzung": ProgrammeStatus.RUNNING,
    "running": ProgrammeStatus.RUNNING,
    "active": ProgrammeStatus.RUNNING,
    "ongoing": ProgrammeStatus.RUNNING,
    "abgeschlossen": ProgrammeStatus.ENDED,
    "beendet": ProgrammeStatus.ENDED,
    "ausgelaufen": ProgrammeStatus.ENDED,
    "ended": ProgrammeStatus.ENDED,
    "closed": ProgrammeStatus.ENDED,
    "completed": ProgrammeStatus.ENDED,
    "beantragt": ProgrammeStatus.APPLYING,
    "in antragstellung": ProgrammeStatus.APPLYING,
    "antrag gestellt": ProgrammeStatus.APPLYING,
    "eingereicht": ProgrammeStatus.APPLYING,
    "applying": ProgrammeStatus.APPLYING,
    "applied": ProgrammeStatus.APPLYING,
    "abgelehnt": ProgrammeStatus.REJECTED,
    "rejected": ProgrammeStatus.REJECTED,
    "idee": ProgrammeStatus.IDEA,
    "geplant": ProgrammeStatus.IDEA,
    "in planung": ProgrammeStatus.IDEA,
    "idea": ProgrammeStatus.IDEA,
    "planned": ProgrammeStatus.IDEA,
}

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


def parse_status(raw: Raw) -> ProgrammeStatus:
    """Map a status word (läuft, abgeschlossen, beantragt …) to a programme status."""
    word = _word(raw)
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    for key, status in STATUS_WORDS.items():
        if word.startswith(key):
            return status
    raise ValueProblem(
        "Dieser Status ist unbekannt.",
        "Erlaubt sind: läuft, abgeschlossen, beantragt, bewilligt, abgelehnt, geplant.",
    )


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
            r"|nrw|bezirksregierung|ministerium\w*|lvr|lwl)\b",
            FunderKind.LAND,
        ),
        (
            r"\b(kreis|stadt|gemeinde|kommune|kommunal\w*|landkreis)\b",
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


def parse_funders(raw: Raw, kinds: list[FunderKind] | None = None) -> list[FunderRef]:
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


ABBREVIATION_RE = re.compile(r"^(.*\S)\s*\(([^()\s]{2,15})\)$")


def split_abbreviation(name: str) -> tuple[str, str | None]:
    """Split ``Kein Abschluss ohne Anschluss (KAoA)`` into name and short name."""
    m = ABBREVIATION_RE.match(name)
    if m and any(c.isupper() for c in m[2]) and not m[2].isdigit():
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
