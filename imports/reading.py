"""Read a whole file: open it, pick its sheets, find headers, produce records.

``read_file`` is the one entry point of the reading layer: it never touches a database
and returns a ``FileResult`` with, per imported sheet, the records, skipped and
rejected rows, plus the sheets it did not import and why. A file it cannot use at all
(unreadable, no table found, a named sheet missing) raises ``InputError`` (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any

from imports.filetime import written_at
from imports.headers import HEADER_SEARCH_ROWS
from imports.kinds import classify, looks_like_list_sheet
from imports.mapping import Mapping, apply_mapping, user_fields
from imports.prefetch import take
from imports.profiles import Profile, profile_for
from imports.readers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_UNPACKED,
    SheetData,
    Workbook,
    find_sheet,
    load_sheet,
    open_workbook,
)
from imports.tables import TableReader
from imports.values import clean_text
from imports.voting import SAMPLE_ROWS, vote
from portfolio.domain.errors import InputError
from portfolio.domain.records import FileResult, SheetKind, SheetResult, SkippedSheet
from portfolio.services.collector import collector_paused

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What the user asked for: a sheet, a kind, a profile, size limits."""

    sheet: str | None = None
    kind: SheetKind | None = None
    profile: Profile | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_unpacked: int = DEFAULT_MAX_UNPACKED
    # Field → column the user chose (``--map``, the browser's selects).
    mapping: Mapping = ()
    # Where saved profiles live: one whose headers match is used unasked.
    profiles: Path | None = None

    def describe(self) -> dict[str, object]:
        """What shapes the records read (not the limits): part of an import's key."""
        described: dict[str, object] = {
            "sheet": self.sheet,
            "kind": self.kind.value if self.kind else None,
            "profile": repr(self.profile) if self.profile else None,
        }
        if self.mapping:  # only when given: earlier run keys stay valid
            described["mapping"] = [list(pair) for pair in self.mapping]
        return described


def read_file(
    path: Path, options: ReadOptions | None = None, progress: Progress | None = None
) -> FileResult:
    """Read every importable sheet of a file into records and problems.

    Python's cyclic collector is paused meanwhile: the records of a big sheet all
    live until the import ends and form no cycles, and the collector would walk
    them again and again (a tenth of the reading time of 100 000 rows).
    """
    with collector_paused():
        return _read_file(path, options or ReadOptions(), progress)


def _read_file(
    path: Path, options: ReadOptions, progress: Progress | None
) -> FileResult:
    workbook = take(path, options.max_bytes, options.max_unpacked) or open_workbook(
        path, options.max_bytes, options.max_unpacked
    )
    try:
        result = FileResult(path.name, str(path), workbook.sha256, workbook.format)
        result.written = written_at(path, workbook.format)
        wanted = options.sheet or (options.profile.sheet if options.profile else None)
        if wanted:
            # ``--sheet übersicht`` means „Übersicht“ (case and blanks ignored).
            wanted = find_sheet([s.name for s in workbook.sheets], wanted) or wanted
        if wanted and wanted not in {s.name for s in workbook.sheets}:
            names = ", ".join(repr(s.name) for s in workbook.sheets)
            raise InputError(
                f"Das Blatt {wanted!r} gibt es in {path.name} nicht "
                f"(vorhanden: {names})."
            )
        for sheet in workbook.sheets:
            if wanted and sheet.name != wanted:
                result.skipped_sheets.append(
                    SkippedSheet(sheet.name, "nicht ausgewählt")
                )
                continue
            _read_sheet(
                workbook, sheet, result, options, progress, explicit=bool(wanted)
            )
    finally:
        workbook.close()
    if not result.sheets:
        reasons = "; ".join(f"{s.sheet}: {s.reason}" for s in result.skipped_sheets)
        raise InputError(
            f"In {path.name} wurde keine Tabelle mit bekannten Spalten gefunden "
            f"({reasons or 'keine Blätter'}) – prüfen Sie die Spaltenüberschriften "
            "oder wählen Sie --kind bzw. --profile."
        )
    return result


def _read_sheet(
    workbook: Workbook,
    sheet: SheetData,
    result: FileResult,
    options: ReadOptions,
    progress: Progress | None,
    *,
    explicit: bool,
) -> None:
    if sheet.kind_note:
        result.skipped_sheets.append(SkippedSheet(sheet.name, sheet.kind_note))
        return
    if not sheet.visible and not explicit:
        result.skipped_sheets.append(SkippedSheet(sheet.name, "ausgeblendetes Blatt"))
        return
    load_sheet(workbook, sheet)
    rows = sheet.iter_rows()
    # The header is among the first rows; the rows after it vote on its columns.
    head = list(islice(rows, HEADER_SEARCH_ROWS + SAMPLE_ROWS))
    grid = _grid(head)
    if not explicit and looks_like_list_sheet(sheet.name, grid):
        result.skipped_sheets.append(
            SkippedSheet(sheet.name, "Auswahllisten (Dropdown-Werte)")
        )
        return
    profile, saved = options.profile, None
    found = (
        profile_for(grid[:HEADER_SEARCH_ROWS], options.profiles)
        if profile is None and options.profiles is not None
        else None
    )
    if found is not None:
        profile, saved = found[0], found[0].name
    kind = options.kind or (profile.kind if profile else None)
    header_row = profile.header_row - 1 if profile and profile.header_row else None
    extra = profile.columns if profile else None
    header = classify(grid[: HEADER_SEARCH_ROWS + 2], kind, extra, header_row)
    if header is None:
        result.skipped_sheets.append(
            SkippedSheet(sheet.name, "keine Kopfzeile mit bekannten Spalten gefunden")
        )
        return
    cells = grid[header.row] if header.row < len(grid) else []
    fixed = set(extra.values()) if extra else set()
    fixed |= apply_mapping(header, options.mapping, cells, sheet.name)
    vote(header, grid[header.last_row + 1 :], extra, frozenset(fixed))
    labels = {c.field: header.labels[i] for i, c in header.columns.items()}
    labels.update({str(y): header.labels[i] for i, y in header.years.items()})
    sheet_result = SheetResult(
        result.file, sheet.name, header.kind, header.row + 1, labels
    )
    if saved:
        sheet_result.notes.append(
            f"Importprofil „{saved}“ verwendet (gleiche Spaltenüberschriften)."
        )
    sheet_result.notes.extend(header.notes)
    sheet_result.positions = {c.field: i for i, c in header.columns.items()}
    sheet_result.fields = user_fields(header.kind)
    sheet_result.header_cells = [clean_text(c) for c in cells]
    reader = TableReader(
        sheet_result, header, sheet.facts, sheet.merged, workbook.date1904
    )
    reader.read(_counting(chain(head, rows), progress))
    if banner := _announced(grid[: header.row]):
        sheet_result.notes.append(_count_note(banner, sheet_result.data_rows))
    result.sheets.append(sheet_result)


COUNT_RE = re.compile(
    r"(\d[\d.]*)\s+(?:Datensätze|Datensätzen|Einträge|Einträgen|Zuwendungen|"
    r"Förderungen|Zeilen|records|rows|grants|entries)\b",
    re.IGNORECASE,
)


def _announced(rows: list[list[object]]) -> tuple[int, int] | None:
    """A banner above the header that gives the record count: (row, count)."""
    for index, cells in enumerate(rows):
        for cell in cells:
            if isinstance(cell, str) and (m := COUNT_RE.search(cell)):
                return index + 1, int(m[1].replace(".", ""))
    return None


def _count_note(banner: tuple[int, int], found: int) -> str:
    """Whether the rows read are as many as the banner says (a filter hides some)."""
    row, count = banner
    if count == found:
        return f"Zeile {row} nennt {count} Datensätze: alle {found} gelesen."
    return (
        f"Zeile {row} nennt {count} Datensätze, die Tabelle hat {found} Zeilen – "
        "prüfen Sie, ob beim Speichern ein Filter Zeilen ausgeblendet hat."
    )


def _grid(head: list[tuple[int, list[object]]]) -> list[list[object]]:
    """Lay the first rows out by absolute row index (missing rows are empty)."""
    if not head:
        return []
    grid: list[list[object]] = [[] for _ in range(head[-1][0] + 1)]
    for index, cells in head:
        grid[index] = cells
    return grid


def _counting(rows: Any, progress: Progress | None) -> Any:
    if progress is None:
        yield from rows
        return
    for count, row in enumerate(rows, 1):
        if count % 2000 == 0:
            progress(2000)
        yield row
