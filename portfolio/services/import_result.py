"""What an import will do (or did), row by row: the preview's data.

Every data row of every imported sheet ends in exactly one bucket: new, changed (with
the fields, old → new), unchanged, skipped (with why) or rejected (with the cell, the
value, why and what to do), so the counts add up to the sheet's rows. The doors render
this as text or JSON (``import_preview``); nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum
from operator import attrgetter
from typing import Any

from portfolio.domain.base import Base
from portfolio.domain.enums import label
from portfolio.domain.errors import Problem
from portfolio.domain.models import Award, Contact, Funder, Phase, Programme
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date, format_period
from portfolio.domain.records import FileResult, SheetResult, Skipped, Source


class RowStatus(StrEnum):
    """The outcome of one data row."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


ROW_LABELS = {
    RowStatus.NEW: "neu",
    RowStatus.CHANGED: "geändert",
    RowStatus.UNCHANGED: "unverändert",
    RowStatus.REJECTED: "abgelehnt",
}


def display(value: Any) -> str:  # noqa: PLR0911 - one return per type
    """Write a stored value the German way for the preview."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, StrEnum):
        return label(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Base):
        return _entity(value)
    return str(value)


def _entity(value: Base) -> str:
    """A related row as people name it (a person, a funder, an award …)."""
    if isinstance(value, Contact):
        return (
            f"{value.name} <{value.email}>"
            if value.name != value.email
            else value.email
        )
    if isinstance(value, Funder):
        return value.short_name
    if isinstance(value, Programme):
        return value.label
    if isinstance(value, Award):
        return value.reference or f"Bewilligung Nr. {value.id}"
    if isinstance(value, Phase):
        return format_period(value.period)
    return f"{type(value).__name__} Nr. {getattr(value, 'id', '?')}"


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One field that changes: its German label, old and new value as shown."""

    label: str
    old: str
    new: str


# A preview text written only when it is shown: the function that writes it,
# with the values it is made of taken when the row was planned.
Later = Callable[[], str]


class EntityChange:
    """One stored row the import creates or changes.

    ``name`` and ``details`` (for a new row: what will be written, such as
    date, kind, person, amount) may be given as ``Later``: written on first
    read. A big overview creates 100 000 awards, and the command line shows
    but a few of them.
    """

    __slots__ = ("_details", "_name", "created", "diffs", "entity")

    def __init__(
        self,
        entity: str,
        name: str | Later,
        created: bool,
        diffs: Sequence[FieldDiff] = (),
        details: str | Later = "",
    ) -> None:
        """The entity (German), its name, whether it is new; diffs, details."""
        self.entity = entity
        self._name = name
        self.created = created
        # No list until the first diff: most changes of a big import have none.
        self.diffs = diffs
        self._details = details

    @property
    def name(self) -> str:
        """The row as the preview names it."""
        name = self._name
        if not isinstance(name, str):
            name = self._name = name()
        return name

    @name.setter
    def name(self, name: str | Later) -> None:
        self._name = name

    @property
    def details(self) -> str:
        """For a new row: what will be written."""
        details = self._details
        if not isinstance(details, str):
            details = self._details = details()
        return details

    @details.setter
    def details(self, details: str | Later) -> None:
        self._details = details

    def add(self, diff: FieldDiff) -> None:
        """Record one changed field."""
        self.diffs = [*self.diffs, diff]

    def __repr__(self) -> str:
        """As a dataclass writes it."""
        return (
            f"EntityChange(entity={self.entity!r}, name={self.name!r}, "
            f"created={self.created!r}, diffs={self.diffs!r}, "
            f"details={self.details!r})"
        )


@dataclass(slots=True)
class RowResult:
    """What one data row does."""

    source: Source
    status: RowStatus
    label: str
    changes: Sequence[EntityChange] = ()  # unchanged rows have none
    problems: Sequence[Problem] = ()  # only rejected rows have any


_STATUS = attrgetter("status")


@dataclass(slots=True)
class SheetPreview:
    """One imported sheet: its rows' outcomes plus skipped and unreadable rows."""

    sheet: SheetResult
    rows: list[RowResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Rows that would reopen a deadline done since the list's time (import_done).
    conflicts: list[str] = field(default_factory=list)
    # Stored rows a keyed workbook (``_id``) no longer lists: they stay ...
    missing: list[str] = field(default_factory=list)
    # ... or, when the user asked for it, are deleted (with what goes along).
    removed: list[str] = field(default_factory=list)
    # ``counts`` of the rows as they were: (rows, rows rejected by reading,
    # skipped rows) → counts. Rows are only ever added, each with its status.
    _counted: tuple[tuple[int, int, int], dict[str, int]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def skipped(self) -> list[Skipped]:
        """Rows that are not data."""
        return self.sheet.skipped

    def rejected(self) -> list[Problem]:
        """Every problem: unreadable cells and rows that could not be matched."""
        problems = list(self.sheet.rejected)
        if self._tally()[RowStatus.REJECTED.value]:  # only rejected rows have any
            for row in self.rows:
                problems.extend(row.problems)
        return sorted(problems, key=lambda p: (p.row or 0, p.column))

    def counts(self) -> dict[str, int]:
        """How many rows are new, changed, unchanged, skipped, rejected; and all."""
        counts = dict(self._tally())
        counts["rejected"] += self.sheet.rejected_rows
        counts["skipped"] = len(self.sheet.skipped)
        counts["rows"] = sum(counts[k] for k in (*RowStatus, "skipped"))
        return counts

    def _tally(self) -> dict[str, int]:
        """The rows by status, counted once per state (asked often, over 100 000)."""
        state = (len(self.rows), self.sheet.rejected_rows, len(self.sheet.skipped))
        if self._counted is None or self._counted[0] != state:
            tally = Counter(map(_STATUS, self.rows))
            self._counted = (state, {s.value: tally[s] for s in RowStatus})
        return self._counted[1]


@dataclass(slots=True)
class FilePreview:
    """One file: its sheets and the sheets that were not imported."""

    result: FileResult
    sheets: list[SheetPreview] = field(default_factory=list)
    batch_id: int | None = None
    notes: list[str] = field(default_factory=list)
    run_key: str = ""  # the file and what it was read with (import_repeat)
    log_before: str | None = None  # the change log when its batch opened


@dataclass(slots=True)
class ImportPreview:
    """The whole run: every file; whether it was applied."""

    files: list[FilePreview] = field(default_factory=list)
    applied: bool = False
    # The change log when planning began; None when others wrote during it.
    log_state: str | None = None

    def totals(self) -> dict[str, int]:
        """Counts over all sheets of all files."""
        totals: dict[str, int] = {}
        for file in self.files:
            for sheet in file.sheets:
                for key, value in sheet.counts().items():
                    totals[key] = totals.get(key, 0) + value
        return totals

    @property
    def has_changes(self) -> bool:
        """Whether applying would change the database."""
        totals = self.totals()
        return bool(totals.get("new") or totals.get("changed") or self.removed)

    @property
    def missing(self) -> list[str]:
        """Every stored row a file no longer lists that stays stored."""
        return [m for f in self.files for s in f.sheets for m in s.missing]

    @property
    def removed(self) -> list[str]:
        """Every stored row the run deletes because its file no longer lists it."""
        return [r for f in self.files for s in f.sheets for r in s.removed]

    @property
    def exit_code(self) -> int:
        """0 when every row was read, 1 when some were rejected (DESIGN §6)."""
        return 1 if self.totals().get("rejected") else 0

    @property
    def conflicts(self) -> list[str]:
        """Every done-stays-done conflict of the run."""
        return [c for f in self.files for s in f.sheets for c in s.conflicts]

    def fingerprint(self) -> tuple[Any, ...]:
        """What the preview promised, to check the applied run did the same."""
        rows = tuple(
            (r.source.row, r.status.value, len(r.changes))
            for f in self.files
            for s in f.sheets
            for r in s.rows
        )
        return (*rows, *self.removed) if self.removed else rows
