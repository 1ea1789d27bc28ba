"""Declarative column descriptors: which header words name which field, per sheet kind.

A ``Column`` names a record field, the German and English header words that mean it
(compared after ``headers.normalize``: case, umlauts, line breaks and bracketed units
do not matter) and the parser for its cells. The same word can mean different fields
in different kinds of sheet (``Programm`` is the name in an overview but the link to a
programme in a deadline list), so each kind has its own table.

Key columns: a workbook written by ``portfolio export xlsx`` carries hidden columns
``_key`` (the programme key), ``_id`` (the database id of the row's own entity:
programme, obligation or contact) and ``_award`` (an award's id). When present they
identify the stored row exactly, so an exported workbook re-imports with exactly the
user's edits; when absent, rows are matched by name and reference. ``_stand`` (on
deadlines) is the row's state in the change log at export: a row changed in the
database since then is not overwritten from a stale workbook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imports import values as v
from imports import words as w
from portfolio.domain.records import SheetKind

Parser = Callable[[Any, bool], Any]


def text(raw: Any, date1904: bool = False) -> str:  # noqa: ARG001 - uniform signature
    """Read a free-text cell."""
    return v.clean_text(raw)


def integer(raw: Any, date1904: bool = False) -> int:  # noqa: ARG001 - uniform signature
    """Read an id cell (``17`` or ``17.0``)."""
    try:
        return int(float(v.clean_text(raw)))
    except ValueError:
        raise v.ValueProblem(
            "Die Kennung ist keine Zahl.", "Ändern Sie die Spalte _id nicht."
        ) from None


def due(raw: Any, date1904: bool = False) -> Any:
    """Read a due date (a month alone means its last day)."""
    return v.parse_due(raw, date1904)


def money(raw: Any, date1904: bool = False) -> Any:  # noqa: ARG001 - uniform signature
    """Read money."""
    return v.parse_money(raw)


def day(raw: Any, date1904: bool = False) -> Any:
    """Read a date to the day."""
    return v.parse_date(raw, date1904)


def yes_no(raw: Any, date1904: bool = False) -> bool:  # noqa: ARG001 - uniform signature
    """Read a yes/no cell: ja, x, 1 or nein, 0 (a Rückzahlung or a Mittelabruf)."""
    if isinstance(raw, bool):
        return raw
    word = v.clean_text(raw).casefold()
    if word in ("ja", "j", "x", "1", "yes", "wahr", "true"):
        return True
    if word in ("nein", "n", "0", "no", "falsch", "false", "-", "–"):
        return False
    raise v.ValueProblem(
        "Hier wird ja oder nein erwartet.", "Schreiben Sie ja oder nein."
    )


def status(raw: Any, date1904: bool = False) -> Any:  # noqa: ARG001 - uniform signature
    """Read a programme status."""
    return w.parse_status(raw)


def funder_kinds(raw: Any, date1904: bool = False) -> Any:  # noqa: ARG001
    """Read a funder kind column (a tuple: the reader remembers it per cell text)."""
    return tuple(w.parse_funder_kinds(raw))


def email(raw: Any, date1904: bool = False) -> Any:  # noqa: ARG001 - uniform signature
    """Read an e-mail address."""
    return w.parse_email(raw)


@dataclass(frozen=True, slots=True)
class Column:
    """One field of a record: the header words that name it and how to read it."""

    field: str
    label: str
    aliases: tuple[str, ...]
    parse: Parser = text


NAME = (
    "Programm",
    "Projekt",
    "Programm / Projekt",
    "Projekt / Programm",
    "Maßnahme",
    "Vorhaben",
    "Programmname",
    "Projektname",
    "Projekttitel",
    "Bezeichnung",
    "Titel",
    "Name",
    "Programme",
    "Project",
    "Project name",
    "Programme name",
    "Förderprogramm",
    "Initiative",
)
CONTACT = (
    "Ansprechpartner",
    "Ansprechpartnerin",
    "Ansprechpartner/in",
    "Ansprechperson",
    "zuständig",
    "Zuständigkeit",
    "verantwortlich",
    "Verantwortlich",
    "Kontakt",
    "Projektleitung",
    "Contact",
    "Responsible",
    "wer",
    "Bearbeiter",
    "Sachbearbeitung",
)
EMAIL = ("E-Mail", "Email", "Mail", "E-Mail-Adresse", "Mailadresse", "e-mail address")
NOTES = (
    "Bemerkungen",
    "Bemerkung",
    "Anmerkungen",
    "Anmerkung",
    "Notizen",
    "Notiz",
    "Kommentar",
    "Kommentare",
    "Hinweise",
    "Hinweis",
    "Notes",
    "Comments",
    "Remarks",
    "Info",
)
KEY = ("_key", "Schlüssel", "Key", "Programmschlüssel")
ID = ("_id",)
AWARD = ("_award",)
STAMP = ("_stand",)
REFERENCE = (
    "Förderkennzeichen",
    "Aktenzeichen",
    "FKZ",
    "Az",
    "Geschäftszeichen",
    "Zeichen",
    "Bescheid-Nr",
    "Bescheidnummer",
    "Vertragsnummer",
    "Reference",
    "Grant number",
    "Kennzeichen",
    "Förder-Nr",
    "Fördernummer",
)
NUMBER = (
    "Nr",
    "Nummer",
    "ID",
    "lfd Nr",
    "laufende Nummer",
    "Projektnummer",
    "No",
    "Number",
    "Pos",
    "Projekt-Nr",
)

PROGRAMME_COLUMNS = (
    Column("name", "Programm", NAME),
    Column(
        "short_name",
        "Kurzname",
        ("Kurzname", "Kürzel", "Abkürzung", "Kurztitel", "Short name", "Acronym"),
    ),
    Column("key", "Schlüssel", KEY),
    Column("id", "Kennung", ID, integer),
    Column("award_id", "Bescheid-Kennung", AWARD, integer),
    Column(
        "funders",
        "Fördergeber",
        (
            "Fördergeber",
            "Mittelgeber",
            "Zuwendungsgeber",
            "Geldgeber",
            "Förderer",
            "Fördermittelgeber",
            "Finanzierung",
            "Funder",
            "Funders",
            "Funding body",
            "Donor",
            "Behörde",
            "Bewilligungsbehörde",
            "Bewilligungsstelle",
            "bewilligende Stelle",
            "Ressort",
            "Authority",
            "Funding Org:Name",
            "Funding organisation",
            "Funding organization",
        ),
    ),
    # A public list of grants, one per row: who receives it and what for. A
    # programme named by them, not by a budget code.
    Column(
        "recipient",
        "Zuwendungsempfänger",
        (
            "Zuwendungsempfänger",
            "Empfänger",
            "Fördermittelempfänger",
            "Begünstigter",
            "Begünstigte",
            "Fördernehmer",
            "Zuwendungsnehmer",
            "Name des Begünstigten",
            "Recipient",
            "Recipient Org:Name",
            "Recipient name",
            "Beneficiary",
            "Beneficiary name",
            "Grantee",
        ),
    ),
    Column(
        "purpose",
        "Zweck",
        (
            "Zuwendung für",
            "Zweck",
            "Zuwendungszweck",
            "Verwendungszweck",
            "Förderzweck",
            "Gegenstand der Förderung",
            "Bezeichnung des Vorhabens",
            "Purpose",
            "Grant purpose",
            "Operation name",
        ),
    ),
    Column(
        "funder_kinds",
        "Art",
        (
            "Art",
            "Förderart",
            "Fördergeberart",
            "Ebene",
            "Typ",
            "Mittelherkunft",
            "Funder type",
            "Kind",
        ),
        funder_kinds,
    ),
    Column(
        "period",
        "Laufzeit",
        (
            "Laufzeit",
            "Förderzeitraum",
            "Bewilligungszeitraum",
            "Zeitraum",
            "Projektlaufzeit",
            "Förderdauer",
            "Dauer",
            "Period",
            "Duration",
            "Term",
        ),
        v.parse_period,
    ),
    Column(
        "start",
        "Beginn",
        (
            "Beginn",
            "Start",
            "Laufzeitbeginn",
            "Projektbeginn",
            "von",
            "ab",
            "Start date",
            "Begin",
            "From",
        ),
        v.parse_start,
    ),
    Column(
        "end",
        "Ende",
        (
            "Ende",
            "Laufzeitende",
            "Projektende",
            "bis",
            "End",
            "End date",
            "To",
            "Until",
        ),
        v.parse_end,
    ),
    Column(
        "amount",
        "Fördersumme",
        (
            "Fördersumme",
            "Zuwendung",
            "Bewilligung",
            "Fördervolumen",
            "Bewilligungssumme",
            "Zuwendungsbetrag",
            "Fördermittel",
            "Betrag",
            "Volumen",
            "Budget",
            "Summe",
            "Amount",
            "Grant",
            "Grant amount",
            "Funding",
            "Gesamtzuwendung",
            "Zuwendungshöhe",
            "Höhe der Zuwendung",
            "Förderbetrag",
            "Fördersumme in Euro",
            "Amount awarded",
            "Amount granted",
        ),
        money,
    ),
    Column(
        "own_contribution",
        "Eigenanteil",
        (
            "Eigenanteil",
            "Eigenmittel",
            "Eigenleistung",
            "Eigenbeteiligung",
            "Own contribution",
            "Co-funding",
            "Match funding",
        ),
        money,
    ),
    Column("reference", "Förderkennzeichen", REFERENCE),
    Column("number", "Nr.", NUMBER),
    Column("contact", "Ansprechpartner", CONTACT),
    Column("email", "E-Mail", EMAIL, email),
    Column("status", "Status", ("Status", "Zustand", "Projektstatus", "State"), status),
    Column("notes", "Bemerkungen", NOTES),
    Column(
        "field_of_action",
        "Handlungsfeld",
        (
            "Handlungsfeld",
            "Themenfeld",
            "Bereich",
            "Themenbereich",
            "Field",
            "Field of action",
        ),
    ),
    Column("phase", "Phase", ("Phase", "Förderphase")),
    Column(
        "description",
        "Beschreibung",
        ("Beschreibung", "Inhalt", "Ziele", "Kurzbeschreibung", "Description"),
    ),
)

OBLIGATION_COLUMNS = (
    Column("programme", "Programm", NAME),
    Column("key", "Schlüssel", KEY),
    Column("id", "Kennung", ID, integer),
    Column("award_id", "Bescheid-Kennung", AWARD, integer),
    Column("stamp", "Stand", STAMP, integer),
    Column(
        "title",
        "Was?",
        (
            "Was",
            "Was?",
            "Aufgabe",
            "Gegenstand",
            "Nachweis",
            "Frist / Nachweis",
            "Beschreibung",
            "Vorgang",
            "Task",
            "What",
            "Deliverable",
            "Pflicht",
            "Thema",
            "Titel der Frist",
        ),
    ),
    Column(
        "due",
        "fällig am",
        (
            "fällig am",
            "fällig",
            "Frist",
            "Termin",
            "Fälligkeit",
            "Datum",
            "Abgabe",
            "Abgabetermin",
            "Einreichungsfrist",
            "bis wann",
            "Due",
            "Due date",
            "Deadline",
            "Wann",
        ),
        due,
    ),
    Column("responsible", "zuständig", CONTACT),
    Column("email", "E-Mail", EMAIL, email),
    Column(
        "done",
        "erledigt",
        (
            "erledigt",
            "erl",
            "erledigt am",
            "Erledigung",
            "Done",
            "Completed",
            "abgeschlossen",
        ),
        w.parse_done,
    ),
    Column(
        "obligation_kind",
        "Art",
        ("Art", "Typ", "Kategorie", "Fristart", "Kind", "Type"),
    ),
    Column("reference", "Förderkennzeichen", REFERENCE),
    Column("notes", "Bemerkungen", NOTES),
)

CONTACT_COLUMNS = (
    Column(
        "name",
        "Name",
        (
            "Name",
            "Ansprechpartner",
            "Ansprechpartnerin",
            "Ansprechpartner/in",
            "Ansprechperson",
            "Person",
            "Kontakt",
            "Vor- und Nachname",
            "Mitarbeiter",
            "Mitarbeiterin",
            "Contact",
            "Full name",
        ),
    ),
    Column("id", "Kennung", ID, integer),
    Column("email", "E-Mail", EMAIL, email),
    Column(
        "role",
        "Funktion",
        (
            "Funktion",
            "Rolle",
            "Aufgabe",
            "Position",
            "Role",
            "Job title",
            "Zuständigkeit",
        ),
    ),
    Column(
        "organisation",
        "Organisation",
        (
            "Organisation",
            "Institution",
            "Einrichtung",
            "Behörde",
            "Amt",
            "Dienststelle",
            "Stelle",
            "Träger",
            "Organization",
            "Organisation name",
            "Firma",
        ),
    ),
    Column("notes", "Bemerkungen", NOTES),
)

BUDGET_COLUMNS = (
    Column(
        "category",
        "Position",
        (
            "Position",
            "Kostenart",
            "Kostenposition",
            "Kategorie",
            "Ausgabenart",
            "Ausgabeposition",
            "Kostenkategorie",
            "Category",
            "Cost category",
            "Budget line",
            "Ausgaben",
        ),
    ),
    Column("programme", "Programm", NAME),
    Column("key", "Schlüssel", KEY),
    Column("award_id", "Bescheid-Kennung", AWARD, integer),
    Column("reference", "Förderkennzeichen", REFERENCE),
    # The long layout (one row per category and year), as the workbook writes it.
    Column("year", "Haushaltsjahr", ("Haushaltsjahr", "Jahr", "HJ", "Year"), integer),
    Column(
        "planned",
        "Soll (Plan)",
        ("Soll", "Soll (Plan)", "Plan", "Planansatz", "Planned", "Budget"),
        money,
    ),
    Column(
        "total",
        "Summe",
        ("Summe", "Gesamt", "Insgesamt", "Total", "Gesamtsumme"),
        money,
    ),
)

# Mittelabrufe and Rückzahlungen, as the workbook's sheet "Mittelabrufe" writes them.
DISBURSEMENT_COLUMNS = (
    Column("programme", "Programm", NAME),
    Column("key", "Schlüssel", KEY),
    Column("award_id", "Bescheid-Kennung", AWARD, integer),
    Column("id", "Kennung", ID, integer),
    Column("reference", "Förderkennzeichen", REFERENCE),
    Column(
        "requested_on",
        "angefordert am",
        (
            "angefordert am",
            "angefordert",
            "abgerufen am",
            "Abruf vom",
            "Mittelabruf vom",
            "Anforderung vom",
            "Datum des Abrufs",
        ),
        day,
    ),
    Column(
        "amount",
        "Betrag",
        ("Betrag", "Abrufbetrag", "Betrag (EUR)", "Betrag in EUR", "Amount"),
        money,
    ),
    Column(
        "received_on",
        "eingegangen am",
        (
            "eingegangen am",
            "eingegangen",
            "Eingang",
            "Zahlungseingang",
            "Geldeingang",
            "erhalten am",
            "gutgeschrieben am",
        ),
        day,
    ),
    Column("repayment", "Rückzahlung", ("Rückzahlung", "Rückzahlung?"), yes_no),
    Column("note", "Bemerkung", NOTES),
)

COLUMNS: dict[SheetKind, tuple[Column, ...]] = {
    SheetKind.PROGRAMMES: PROGRAMME_COLUMNS,
    SheetKind.OBLIGATIONS: OBLIGATION_COLUMNS,
    SheetKind.CONTACTS: CONTACT_COLUMNS,
    SheetKind.BUDGET: BUDGET_COLUMNS,
    SheetKind.DISBURSEMENTS: DISBURSEMENT_COLUMNS,
}

REQUIRED: dict[SheetKind, tuple[str, ...]] = {
    SheetKind.PROGRAMMES: ("name",),
    SheetKind.OBLIGATIONS: ("due",),
    SheetKind.CONTACTS: ("name",),
    SheetKind.BUDGET: ("category",),
    SheetKind.DISBURSEMENTS: ("amount",),
}

# Longest text the database keeps per field (the model's column lengths).
MAX_LENGTH = {
    "name": 300,
    "programme": 300,
    "title": 300,
    "short_name": 120,
    "reference": 120,
    "number": 120,
    "category": 120,
    "phase": 120,
    "key": 80,
    "contact": 200,
    "recipient": 300,
    "purpose": 1000,
    "responsible": 200,
    "role": 200,
    "organisation": 200,
    "field_of_action": 200,
    "funders": 1000,
}

FIELDS: dict[SheetKind, dict[str, Column]] = {
    kind: {c.field: c for c in columns} for kind, columns in COLUMNS.items()
}
