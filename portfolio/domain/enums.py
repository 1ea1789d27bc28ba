"""The closed vocabularies of the data model (DESIGN §3) and their German labels.

Each enum stores its English value in the database and the JSON export; the German
label is what users read in tables, reports and the web UI.
"""

from __future__ import annotations

from enum import StrEnum


class FunderKind(StrEnum):
    """Which level of government (or other) a funder belongs to."""

    EU = "eu"
    BUND = "bund"
    LAND = "land"
    KOMMUNE = "kommune"
    STIFTUNG = "stiftung"
    OTHER = "other"


class ProgrammeStatus(StrEnum):
    """Where a programme stands in its life."""

    IDEA = "idea"
    APPLYING = "applying"
    RUNNING = "running"
    ENDED = "ended"
    REJECTED = "rejected"


class ApplicationStatus(StrEnum):
    """Where an application (Antrag) stands in the pipeline, from the idea on."""

    IDEA = "idea"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class AwardKind(StrEnum):
    """The legal form of an award."""

    BESCHEID = "bescheid"
    KOOPERATIONSVERTRAG = "kooperationsvertrag"
    WEITERLEITUNGSVERTRAG = "weiterleitungsvertrag"
    STIFTUNGSVERTRAG = "stiftungsvertrag"
    OTHER = "other"


class ObligationKind(StrEnum):
    """What kind of deadline or deliverable an obligation is."""

    ZWISCHENNACHWEIS = "zwischennachweis"
    VERWENDUNGSNACHWEIS = "verwendungsnachweis"
    SACHBERICHT = "sachbericht"
    APPLICATION = "application"
    MITTELABRUF = "mittelabruf"
    # By when a payment received must be spent (ANBest-P Nr. 1.4 and its kin).
    MITTELVERWENDUNG = "mittelverwendung"
    # From when the files may be destroyed (ANBest-P Nr. 6.5 and kin): listed only,
    # never reminded of, never overdue.
    AUFBEWAHRUNG = "aufbewahrung"
    REPORT = "report"
    EVENT = "event"
    OTHER = "other"


class FinancingType(StrEnum):
    """The Finanzierungsart of an award: it decides which money checks apply."""

    ANTEIL = "anteil"
    FEHLBEDARF = "fehlbedarf"
    VOLL = "voll"
    FESTBETRAG = "festbetrag"


class IncomeKind(StrEnum):
    """A line of the Finanzierungsplan's Einnahmen."""

    ZUWENDUNG = "zuwendung"
    EIGENANTEIL = "eigenanteil"
    DRITTE = "dritte"


class DisbursementKind(StrEnum):
    """Whether money came from the funder (Mittelabruf) or went back to it."""

    ABRUF = "abruf"
    RUECKZAHLUNG = "rueckzahlung"


class ObligationStatus(StrEnum):
    """Whether an obligation is still to be met."""

    OPEN = "open"
    SUBMITTED = "submitted"
    DONE = "done"
    WAIVED = "waived"


class ReminderStatus(StrEnum):
    """The life of one reminder in the outbox (DESIGN §5)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class UserRole(StrEnum):
    """What a web user may do."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class Precision(StrEnum):
    """How exactly a date of a period is known: to the day, month or year."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class ImportStatus(StrEnum):
    """Whether an import batch is in force or was undone."""

    APPLIED = "applied"
    UNDONE = "undone"


class ChangeAction(StrEnum):
    """What happened to a row, as recorded in the change log."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


LABELS: dict[StrEnum, str] = {
    FunderKind.EU: "EU",
    FunderKind.BUND: "Bund",
    FunderKind.LAND: "Land",
    FunderKind.KOMMUNE: "Kommune",
    FunderKind.STIFTUNG: "Stiftung",
    FunderKind.OTHER: "Sonstige",
    ProgrammeStatus.IDEA: "Idee",
    ProgrammeStatus.APPLYING: "in Antragstellung",
    ProgrammeStatus.RUNNING: "läuft",
    ProgrammeStatus.ENDED: "abgeschlossen",
    ProgrammeStatus.REJECTED: "abgelehnt",
    ApplicationStatus.IDEA: "Idee",
    ApplicationStatus.DRAFT: "in Vorbereitung",
    ApplicationStatus.SUBMITTED: "eingereicht",
    ApplicationStatus.APPROVED: "bewilligt",
    ApplicationStatus.PARTLY_APPROVED: "teilweise bewilligt",
    ApplicationStatus.REJECTED: "abgelehnt",
    ApplicationStatus.WITHDRAWN: "zurückgezogen",
    AwardKind.BESCHEID: "Zuwendungsbescheid",
    AwardKind.KOOPERATIONSVERTRAG: "Kooperationsvertrag",
    AwardKind.WEITERLEITUNGSVERTRAG: "Weiterleitungsvertrag",
    AwardKind.STIFTUNGSVERTRAG: "Stiftungsvertrag",
    AwardKind.OTHER: "Sonstige",
    ObligationKind.ZWISCHENNACHWEIS: "Zwischennachweis",
    ObligationKind.VERWENDUNGSNACHWEIS: "Verwendungsnachweis",
    ObligationKind.SACHBERICHT: "Sachbericht",
    ObligationKind.APPLICATION: "Antrag",
    ObligationKind.MITTELABRUF: "Mittelabruf",
    ObligationKind.MITTELVERWENDUNG: "Mittelverwendung",
    ObligationKind.AUFBEWAHRUNG: "Aufbewahrung bis",
    FinancingType.ANTEIL: "Anteilfinanzierung",
    FinancingType.FEHLBEDARF: "Fehlbedarfsfinanzierung",
    FinancingType.VOLL: "Vollfinanzierung",
    FinancingType.FESTBETRAG: "Festbetragsfinanzierung",
    IncomeKind.ZUWENDUNG: "Zuwendung",
    IncomeKind.EIGENANTEIL: "Eigenanteil",
    IncomeKind.DRITTE: "Leistungen Dritter",
    DisbursementKind.ABRUF: "Mittelabruf",
    DisbursementKind.RUECKZAHLUNG: "Rückzahlung",
    ObligationKind.REPORT: "Bericht",
    ObligationKind.EVENT: "Veranstaltung",
    ObligationKind.OTHER: "Sonstige",
    ObligationStatus.OPEN: "offen",
    ObligationStatus.SUBMITTED: "eingereicht",
    ObligationStatus.DONE: "erledigt",
    ObligationStatus.WAIVED: "entfallen",
    ReminderStatus.PENDING: "geplant",
    ReminderStatus.SENDING: "wird gesendet",
    ReminderStatus.SENT: "gesendet",
    ReminderStatus.FAILED: "fehlgeschlagen",
    ReminderStatus.CANCELLED: "storniert",
    UserRole.ADMIN: "Verwaltung",
    UserRole.EDITOR: "Bearbeitung",
    UserRole.VIEWER: "Lesen",
}


def label(value: StrEnum) -> str:
    """Return the German label of an enum value (its value if none is defined)."""
    return LABELS.get(value, str(value))
