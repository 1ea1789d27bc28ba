"""Write an import preview for people (German text) and for machines (JSON).

The text lists per file and sheet the counts (which add up to the sheet's rows), every
new and changed row with its fields (old → new), skipped rows with why and rejected
cells with file, sheet, row, column, value, why and what to do. The JSON carries the
same facts with stable English keys.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from portfolio.domain.periods import format_date
from portfolio.domain.records import KIND_LABELS, SheetResult
from portfolio.services.import_repeat import Repeat
from portfolio.services.import_result import (
    ROW_LABELS,
    ImportPreview,
    RowStatus,
    SheetPreview,
)

LIMIT = 500  # rows listed per sheet in the text preview; JSON lists all
MISSING_NAMED = 10  # stored rows named that a keyed workbook no longer lists


def counts_line(counts: dict[str, int]) -> str:
    """``12 Zeilen: 3 neu, 1 geändert, 7 unverändert, 1 übersprungen, 0 abgelehnt``."""
    get = counts.get
    return (
        f"{rows_word(get('rows', 0))}: {get('new', 0)} neu, "
        f"{get('changed', 0)} geändert, {get('unchanged', 0)} unverändert, "
        f"{get('skipped', 0)} übersprungen, {get('rejected', 0)} abgelehnt"
    )


def rows_word(count: int) -> str:
    """``1 Zeile``, ``2 Zeilen``, ``0 Zeilen``."""
    return f"{count} Zeile" if count == 1 else f"{count} Zeilen"


def preview_text(preview: ImportPreview, *, verbose: bool = True) -> str:
    """The preview as German text."""
    lines: list[str] = []
    for file in preview.files:
        result = file.result
        lines.append(
            f"Datei {result.file} ({result.format}, sha256 {result.sha256[:12]}…)"
        )
        lines += [f"  Hinweis: {note}" for note in file.notes]
        for skipped in result.skipped_sheets:
            lines.append(
                f"  Blatt „{skipped.sheet}“ nicht importiert: {skipped.reason}"
            )
        for sheet in file.sheets:
            lines += _sheet_lines(sheet, verbose=verbose, applied=preview.applied)
        if file.batch_id is not None:
            lines.append(
                f"  Übernommen als Import {file.batch_id} "
                f"(rückgängig: portfolio imports undo {file.batch_id})."
            )
    totals = preview.totals()
    lines.append("")
    lines.append("Gesamt: " + counts_line(totals))
    rejected = totals.get("rejected", 0)
    if not preview.has_changes and totals.get("unchanged") and rejected:
        lines.append(
            "Keine Änderungen: die lesbaren Zeilen stehen bereits so in der "
            f"Datenbank; {rows_word(rejected)} "
            f"{'wurde' if rejected == 1 else 'wurden'} abgelehnt (oben aufgeführt)."
        )
    elif not preview.has_changes and totals.get("unchanged"):
        lines.append("Keine Änderungen – die Datenbank enthält diesen Stand bereits.")
    elif not preview.has_changes:
        lines.append("Nichts zu übernehmen: keine Zeile kann übernommen werden.")
    return "\n".join(lines) + "\n"


def letter(index: int) -> str:
    """A 0-based column index as its letter (``A``, ``AB``)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def mapping_line(info: SheetResult) -> str:
    """Which column each field is read from, as the CLI shows it."""
    parts = []
    for field_name, index in sorted(info.positions.items(), key=lambda p: p[1]):
        label = info.fields.get(field_name)
        if label is None:
            continue  # hidden key columns of an exported workbook
        header = info.header_cells[index] if index < len(info.header_cells) else ""
        parts.append(f"{label} = {letter(index)}" + (f" ({header})" if header else ""))
    return "; ".join(parts) + " – ändern mit --map FELD=SPALTE"


def _sheet_lines(
    sheet: SheetPreview, *, verbose: bool, applied: bool = False, limit: int = LIMIT
) -> list[str]:
    info = sheet.sheet
    lines = [
        f"  Blatt „{info.sheet}“ ({KIND_LABELS[info.kind]}, "
        f"Kopfzeile {info.header_row}): {counts_line(sheet.counts())}"
    ]
    lines += [f"    Hinweis: {note}" for note in [*info.notes, *sheet.notes]]
    if info.positions:
        lines.append("    Zuordnung: " + mapping_line(info))
    lines += [f"    Konflikt: {text}" for text in sheet.conflicts]
    if sheet.missing:
        names = ", ".join(f"„{n}“" for n in sheet.missing[:MISSING_NAMED])
        more = " …" if len(sheet.missing) > MISSING_NAMED else ""
        lines.append(f"    Nicht mehr in der Datei – bleibt gespeichert: {names}{more}")
    if sheet.removed:
        names = ", ".join(f"„{n}“" for n in sheet.removed[:MISSING_NAMED])
        more = " …" if len(sheet.removed) > MISSING_NAMED else ""
        done = "gelöscht" if applied else "wird gelöscht"
        lines.append(
            f"    Nicht mehr in der Datei – {done} ({len(sheet.removed)}): "
            f"{names}{more}"
        )
    if not verbose:
        return lines
    counts = sheet.counts()
    listed = counts[RowStatus.NEW.value] + counts[RowStatus.CHANGED.value]
    shown = (r for r in sheet.rows if r.status in (RowStatus.NEW, RowStatus.CHANGED))
    for row in islice(shown, limit):
        lines.append(
            f"    Zeile {row.source.row} {ROW_LABELS[row.status]}: {row.label}"
        )
        for change in row.changes:
            if change.created:
                more = f" ({change.details})" if change.details else ""
                lines.append(f"      + {change.entity} „{change.name}“{more}")
            for diff in change.diffs:
                lines.append(
                    f"      ~ {change.entity} „{change.name}“: {diff.label}: "
                    f"{diff.old} → {diff.new}"
                )
    if listed > limit:
        lines.append(
            f"    … und {listed - limit} weitere neue oder geänderte Zeilen "
            "(alle mit --format json)."
        )
    for skipped in sheet.skipped:
        text = f" („{skipped.text[:60]}“)" if skipped.text else ""
        lines.append(
            f"    Zeile {skipped.source.row} übersprungen: {skipped.reason}{text}"
        )
    for problem in sheet.rejected():
        where = f"Zeile {problem.row}" + (
            f", Spalte {problem.column}" if problem.column else ""
        )
        value = f" (Wert: „{problem.value}“)" if problem.value else ""
        hint = f" – {problem.hint}" if problem.hint else ""
        lines.append(f"    {where} abgelehnt: {problem.message}{value}{hint}")
    return lines


def preview_json(preview: ImportPreview) -> dict[str, Any]:
    """The preview as a JSON-ready document."""
    return {
        "format": "portfolio-import-preview/1",
        "applied": preview.applied,
        "totals": preview.totals(),
        "files": [
            {
                "file": f.result.file,
                "format": f.result.format,
                "sha256": f.result.sha256,
                "batch": f.batch_id,
                "notes": f.notes,
                "skipped_sheets": [
                    {"sheet": s.sheet, "reason": s.reason}
                    for s in f.result.skipped_sheets
                ],
                "sheets": [_sheet_json(s) for s in f.sheets],
            }
            for f in preview.files
        ],
    }


def _sheet_json(sheet: SheetPreview) -> dict[str, Any]:
    info = sheet.sheet
    return {
        "sheet": info.sheet,
        "kind": info.kind.value,
        "header_row": info.header_row,
        "columns": info.columns,
        "counts": sheet.counts(),
        "notes": [*info.notes, *sheet.notes],
        "conflicts": sheet.conflicts,
        "missing": sheet.missing,
        "removed": sheet.removed,
        "rows": [
            {
                "row": r.source.row,
                "status": r.status.value,
                "label": r.label,
                "changes": [
                    {
                        "entity": c.entity,
                        "name": c.name,
                        "created": c.created,
                        "fields": [
                            {"field": d.label, "old": d.old, "new": d.new}
                            for d in c.diffs
                        ],
                    }
                    for c in r.changes
                ],
            }
            for r in sheet.rows
            if r.status is not RowStatus.REJECTED
        ],
        "skipped": [
            {"row": s.source.row, "reason": s.reason, "text": s.text}
            for s in sheet.skipped
        ],
        "rejected": [
            {
                "row": p.row,
                "column": p.column,
                "value": p.value,
                "reason": p.message,
                "hint": p.hint,
            }
            for p in sheet.rejected()
        ],
    }


def repeat_text(repeats: list[Repeat]) -> str:
    """German text for files the database already matches (nothing read)."""
    lines = []
    totals: dict[str, int] = {}
    for repeat in repeats:
        counts = repeat.unchanged_counts()
        lines.append(
            f"Datei {repeat.file}: unverändert seit Import {repeat.batch_id} vom "
            f"{format_date(repeat.imported_on)} – {counts_line(counts)}"
        )
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    lines += [
        "",
        "Gesamt: " + counts_line(totals),
        "Keine Änderungen – die Datenbank enthält diesen Stand bereits: dieselbe "
        "Datei, und seitdem wurde nichts geändert. Jede Zeile neu vergleichen: "
        "--recheck.",
    ]
    return "\n".join(lines) + "\n"


def repeat_json(repeats: list[Repeat]) -> dict[str, Any]:
    """The same for machines: the shape of a preview without rows."""
    totals: dict[str, int] = {}
    for repeat in repeats:
        for key, value in repeat.unchanged_counts().items():
            totals[key] = totals.get(key, 0) + value
    return {
        "format": "portfolio-import-preview/1",
        "applied": False,
        "totals": totals,
        "files": [
            {
                "file": r.file,
                "unchanged_since_batch": r.batch_id,
                "counts": r.unchanged_counts(),
                "sheets": [],
            }
            for r in repeats
        ],
    }
