"""Turn the database's integrity errors into one German sentence.

The constraint names follow the naming convention of ``portfolio.domain.base``, so
the table and columns can be read from the name whichever database raised it.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from portfolio.domain.errors import Conflict, InputError, InvalidValue

TABLES = {  # German names of the tables, for messages
    "funders": "Fördergeber",
    "programmes": "Programm",
    "contacts": "Kontakt",
    "partners": "Partner",
    "phases": "Phase",
    "fundings": "Finanzierung",
    "awards": "Bewilligung",
    "applications": "Antrag",
    "budget_lines": "Finanzierungsplan",
    "expenses": "Ausgabe",
    "disbursements": "Mittelabruf",
    "obligations": "Frist",
    "reminders": "Erinnerung",
    "users": "Benutzer",
    "narratives": "Sachberichtsteil",
    "programme_partners": "Partner eines Programms",
}


def _table(name: str) -> str:
    for table in sorted(TABLES, key=len, reverse=True):
        if table in name:
            return TABLES[table]
    return "Eintrag"


def explain_integrity_error(exc: IntegrityError) -> InputError:
    """Name what the data broke: a duplicate key, a missing reference or a rule."""
    text = str(exc.orig)
    lowered = text.lower()
    if "unique" in lowered or "duplicate key" in lowered:
        match = re.search(r"(uq_\w+)", text) or re.search(r"failed: ([\w., ]+)", text)
        where = match.group(1) if match else ""
        return Conflict(
            f"{_table(where)}: Diesen Schlüssel gibt es schon ({where}). "
            "Jeder Schlüssel darf nur einmal vorkommen."
        )
    if "foreign key" in lowered:
        return Conflict(
            f"{_table(text)}: Der Eintrag verweist auf etwas, das es nicht "
            "(mehr) gibt, "
            "oder wird noch von anderen Einträgen verwendet."
        )
    if "check" in lowered:
        match = re.search(r"(ck_\w+)", text)
        name = match.group(1) if match else ""
        return InvalidValue(
            f"{_table(name)}: Ein Wert verletzt eine Regel ({name or text}): "
            "negative Beträge, ein Ende vor dem Beginn oder ein unbekannter Wert."
        )
    if "not null" in lowered:
        return InvalidValue(f"Ein Pflichtfeld fehlt: {text.splitlines()[0]}")
    return InvalidValue(f"Die Daten verletzen eine Regel der Datenbank: {text}")
