"""The Sachbericht texts: one text per programme, Haushaltsjahr and section.

The yearly funder report prints the sections Ziele, Maßnahmen, Ergebnisse and
Abweichungen vom Plan from these texts; the CLI (``portfolio narrative``) and the web
edit them through ``set_narrative``. Like every service this takes a session and
never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.errors import InputError, NotFound
from portfolio.domain.models import Narrative, Programme
from portfolio.storage.queries import suggest_keys

SECTIONS: dict[str, str] = {
    "ziele": "Ziele",
    "massnahmen": "Maßnahmen",
    "ergebnisse": "Ergebnisse",
    "abweichungen": "Abweichungen vom Plan",
}
# What people type for a section, folded to the stored key.
ALIASES: dict[str, str] = {
    "ziel": "ziele",
    "maßnahmen": "massnahmen",
    "massnahme": "massnahmen",
    "maßnahme": "massnahmen",
    "aktivitaeten": "massnahmen",
    "aktivitäten": "massnahmen",
    "ergebnis": "ergebnisse",
    "abweichung": "abweichungen",
    "abweichungen vom plan": "abweichungen",
}
MAX_TEXT = 100_000


@dataclass(frozen=True, slots=True)
class NarrativeResult:
    """What ``set_narrative`` did: created, changed or left the text as it was."""

    programme: str
    year: int
    section: str
    action: str  # "neu", "geändert", "unverändert", "gelöscht"


def section_key(text: str) -> str:
    """The stored key of a section name (``Maßnahmen`` → ``massnahmen``)."""
    folded = text.strip().lower()
    key = ALIASES.get(folded, folded)
    if key not in SECTIONS:
        known = ", ".join(SECTIONS)
        raise InputError(f"Unbekannter Abschnitt {text!r}: erlaubt sind {known}.")
    return key


def check_year(year: int) -> int:
    """A Haushaltsjahr the reports can use."""
    if not 1990 <= year <= 2100:
        raise InputError(f"Das Jahr {year} liegt außerhalb von 1990 bis 2100.")
    return year


def find_programme(session: Session, key: str) -> Programme:
    """The programme with a key, or NotFound with suggestions."""
    programme = session.scalar(sa.select(Programme).where(Programme.key == key))
    if programme is None:
        hints = suggest_keys(session, key)
        hint = f" Meinten Sie {', '.join(hints)}?" if hints else ""
        raise NotFound(
            f"Kein Programm mit dem Schlüssel {key!r}.{hint} "
            "`portfolio programmes` listet alle Schlüssel."
        )
    return programme


def set_narrative(
    session: Session, key: str, year: int, section: str, text: str
) -> NarrativeResult:
    """Store the text of one section (an empty text deletes it)."""
    programme = find_programme(session, key)
    name = section_key(section)
    check_year(year)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InputError(
            f"Der Text ist mit {len(text)} Zeichen zu lang (höchstens {MAX_TEXT})."
        )
    row = session.scalar(
        sa.select(Narrative).where(
            Narrative.programme_id == programme.id,
            Narrative.year == year,
            Narrative.section == name,
        )
    )
    if row is None:
        if not text:
            return NarrativeResult(key, year, name, "unverändert")
        session.add(
            Narrative(programme_id=programme.id, year=year, section=name, text=text)
        )
        session.flush()
        return NarrativeResult(key, year, name, "neu")
    if not text:
        session.delete(row)
        session.flush()
        return NarrativeResult(key, year, name, "gelöscht")
    if row.text == text:
        return NarrativeResult(key, year, name, "unverändert")
    row.text = text
    session.flush()
    return NarrativeResult(key, year, name, "geändert")


def narratives_for(
    session: Session, programme_ids: list[int], year: int
) -> dict[int, dict[str, str]]:
    """The texts of some programmes for one year: programme id → section → text."""
    if not programme_ids:
        return {}
    rows = session.execute(
        sa.select(Narrative.programme_id, Narrative.section, Narrative.text).where(
            Narrative.programme_id.in_(programme_ids), Narrative.year == year
        )
    )
    found: dict[int, dict[str, str]] = {}
    for pid, section, text in rows:
        found.setdefault(pid, {})[section] = text
    return found
