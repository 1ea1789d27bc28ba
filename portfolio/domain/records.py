"""Plain records an import produces, each with the place it came from.

The reading layer turns a spreadsheet into these: one ``Record`` per data row it could
read, one ``Skipped`` per row it recognised as not being data (sum rows, footnotes,
headings) and ``Problem`` objects (``portfolio.domain.errors``) for rows it rejects.
Nothing here touches a database; the import service matches records to stored rows.
They live in the domain so that the reading layer (``imports``) and the service that
applies them (``portfolio.services.import_*``) share them without the service
depending on the reader (DESIGN §2: imports point inwards only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from portfolio.domain.enums import FunderKind
from portfolio.domain.errors import Problem


class SheetKind(StrEnum):
    """What a sheet holds, recognised from its columns or forced with ``--kind``."""

    PROGRAMMES = "programmes"
    OBLIGATIONS = "obligations"
    BUDGET = "budget"
    CONTACTS = "contacts"
    DISBURSEMENTS = "disbursements"


KIND_LABELS = {
    SheetKind.PROGRAMMES: "Programmübersicht",
    SheetKind.OBLIGATIONS: "Fristenliste",
    SheetKind.BUDGET: "Finanzierungsplan",
    SheetKind.CONTACTS: "Kontaktliste",
    SheetKind.DISBURSEMENTS: "Mittelabrufe",
}


@dataclass(frozen=True, slots=True)
class Source:
    """Where a row lives: file name, sheet name and 1-based sheet row number."""

    file: str
    sheet: str
    row: int

    def __str__(self) -> str:
        """Name the place the German way."""
        return f"{self.file}, Blatt {self.sheet!r}, Zeile {self.row}"


@dataclass(slots=True)
class Record:
    """One data row read into named fields (``values``) with its cells' columns."""

    kind: SheetKind
    source: Source
    values: dict[str, Any]
    columns: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """Return one field's value."""
        return self.values.get(name, default)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row that is not data (sum, footnote, heading), with why."""

    source: Source
    reason: str
    text: str = ""


@dataclass(slots=True)
class SheetResult:
    """What one sheet yielded: its kind, header, records, skipped and rejected rows."""

    file: str
    sheet: str
    kind: SheetKind
    header_row: int
    columns: dict[str, str]
    records: list[Record] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0
    # Field → 0-based column read, and the header row's cells: the mapping the
    # preview shows and the user may correct.
    positions: dict[str, int] = field(default_factory=dict)
    header_cells: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # mappable: field → label

    @property
    def data_rows(self) -> int:
        """Rows below the header that held anything: records + skipped + rejected."""
        return len(self.records) + len(self.skipped) + self.rejected_rows

    @property
    def rejected_rows(self) -> int:
        """How many distinct rows were rejected (one row may have several problems)."""
        return len({p.row for p in self.rejected})


@dataclass(frozen=True, slots=True)
class SkippedSheet:
    """A sheet that is not imported, and why (hidden, dropdown lists, no table)."""

    sheet: str
    reason: str


@dataclass(slots=True)
class FileResult:
    """Everything read from one file."""

    file: str
    path: str
    sha256: str
    format: str
    sheets: list[SheetResult] = field(default_factory=list)
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)
    # When the workbook says it was saved (naive UTC; None for csv or unknown).
    written: datetime | None = None


@dataclass(frozen=True, slots=True)
class FunderRef:
    """A funder as named in a sheet, with its kind if known."""

    name: str
    kind: FunderKind | None = None
