"""Facts about an xlsx/xlsm package that the fast reader (calamine) does not give.

We need four things from the raw XML: the 1904 date system flag, hidden columns, and
which cells hold formulas (a ``SUM`` marks a sum row; a formula without a cached value
is a problem, not a zero). Instead of a second full parse (openpyxl costs several times
calamine's time) the sheet XML is scanned with byte searches: sheets without any
``<f`` element cost one substring test. No XML parser runs here, so no entity expansion
can happen; the package size is checked by ``readers`` before this is called. The
workbook part is found through the package relationships (``_rels/.rels``), so a
package whose parts live outside ``xl/`` is scanned too.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field

SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?>")
ATTR_RE = re.compile(rb'([\w:]+)="([^"]*)"')
REL_RE = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?>")
COL_RE = re.compile(rb"<(?:\w+:)?col\b[^>]*?>")
CELL_REF_RE = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
FORMULA_TEXT_RE = re.compile(rb"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", re.DOTALL)
FORMULA_MARKS = (b"<f", b":f>")  # a formula element, with or without a prefix
CHUNK = 1 << 16
VALUE_RE = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]+)</(?:\w+:)?v>|<(?:\w+:)?is>")


@dataclass(slots=True)
class SheetFacts:
    """What the raw XML says about one sheet (0-based rows and columns)."""

    hidden_columns: set[int] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    uncached: set[tuple[int, int]] = field(default_factory=set)


@dataclass(slots=True)
class BookFacts:
    """What the raw XML says about the workbook."""

    date1904: bool = False
    sheets: dict[str, SheetFacts] = field(default_factory=dict)


def column_index(letters: str) -> int:
    """Turn ``A`` / ``AB`` into a 0-based column index."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def column_letter(index: int) -> str:
    """Turn a 0-based column index into ``A`` / ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _attrs(tag: bytes) -> dict[str, str]:
    return {
        k.decode().split(":")[-1]: v.decode("utf-8", "replace")
        for k, v in ATTR_RE.findall(tag)
    }


OFFICE_DOCUMENT = b"/officeDocument"


def main_part(archive: zipfile.ZipFile) -> str | None:
    """The package's main part (the workbook) as ``_rels/.rels`` names it."""
    try:
        rels = archive.read("_rels/.rels")
    except KeyError:
        return None
    for tag in REL_RE.findall(rels):
        attrs = _attrs(tag)
        if attrs.get("Type", "").encode().endswith(OFFICE_DOCUMENT):
            return _resolve("", attrs.get("Target", ""))
    return None


def _resolve(folder: str, target: str) -> str:
    """A relationship target as a zip member name (absolute or relative)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))


def scan_xlsx(archive: zipfile.ZipFile, *, sheets: bool = True) -> BookFacts:
    """Read the date system, hidden columns and formula cells of every sheet.

    ``sheets=False`` reads the date system alone (a booking list needs no more,
    and scanning a sheet of 100 000 rows means unpacking it a second time).
    """
    facts = BookFacts()
    names = set(archive.namelist())
    book_name = "xl/workbook.xml"
    if book_name not in names:
        book_name = main_part(archive) or book_name
    if book_name not in names:
        return facts
    book = archive.read(book_name)
    pr = re.search(rb"<(?:\w+:)?workbookPr\b[^>]*>", book)
    if pr:
        facts.date1904 = _attrs(pr[0]).get("date1904", "") in ("1", "true")
    if not sheets:
        return facts
    targets = _relationship_targets(archive, names, book_name)
    for tag in SHEET_RE.findall(book):
        attrs = _attrs(tag)
        path = targets.get(attrs.get("id", ""))
        if path and path in names:
            facts.sheets[attrs.get("name", "")] = _scan_part(archive, path)
    return facts


def _relationship_targets(
    archive: zipfile.ZipFile, names: set[str], book_name: str
) -> dict[str, str]:
    folder, base = posixpath.split(book_name)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels_name not in names:
        return {}
    targets = {}
    for tag in REL_RE.findall(archive.read(rels_name)):
        attrs = _attrs(tag)
        targets[attrs.get("Id", "")] = _resolve(folder, attrs.get("Target", ""))
    return targets


def _scan_part(archive: zipfile.ZipFile, path: str) -> SheetFacts:
    """Scan a sheet part piece by piece: only one with formulas is held whole.

    Most sheets have none; unpacking and searching 64 KiB at a time (the piece
    still in the CPU's cache) costs less than holding 70 MB of XML for a search.
    """
    head = bytearray()  # up to ``sheetData``: the column widths and hidden flags
    end = -1
    tail = b""
    with archive.open(path) as part:
        while chunk := part.read(CHUNK):
            if end < 0:
                head += chunk
                end = head.find(b"sheetData")
            seam = tail + chunk[:2]  # a mark split between two pieces
            # rfind: CPython searches backwards about twice as fast as ``in``
            # here ('<' and 'f' are everywhere in the XML; "<f" is not).
            if any(chunk.rfind(mark) >= 0 or mark in seam for mark in FORMULA_MARKS):
                return _scan_sheet(archive.read(path))
            tail = chunk[-2:]
    facts = SheetFacts()
    _hidden_columns(bytes(head[: end if end >= 0 else 65536]), facts)
    return facts


def _hidden_columns(head: bytes, facts: SheetFacts) -> None:
    for tag in COL_RE.findall(head):
        attrs = _attrs(tag)
        if attrs.get("hidden") in ("1", "true"):
            first, last = int(attrs.get("min", "0")), int(attrs.get("max", "0"))
            facts.hidden_columns.update(range(first - 1, min(last, 16384)))


def _scan_sheet(data: bytes) -> SheetFacts:
    facts = SheetFacts()
    head_end = data.find(b"sheetData")
    _hidden_columns(data[: head_end if head_end >= 0 else 65536], facts)
    if all(mark not in data for mark in FORMULA_MARKS):
        return facts
    for match in re.finditer(rb"<(?:\w+:)?f[\s>/]", data):
        _formula_cell(data, match.start(), facts)
    return facts


def _formula_cell(data: bytes, at: int, facts: SheetFacts) -> None:
    low = max(0, at - 4096)  # a cell's opening tag is never far before its formula
    start = max(data.rfind(b"<c ", low, at), data.rfind(b":c ", low, at))
    end = data.find(b"</", at)
    end = data.find(b"c>", end) if end >= 0 else -1
    if start < 0 or end < 0:
        return
    cell = data[start : end + 2]
    ref = CELL_REF_RE.search(cell)
    if not ref:
        return
    where = (int(ref[2]) - 1, column_index(ref[1].decode()))
    text = FORMULA_TEXT_RE.search(cell)
    facts.formulas[where] = text[1].decode("utf-8", "replace") if text else ""
    if not VALUE_RE.search(cell):
        facts.uncached.add(where)
