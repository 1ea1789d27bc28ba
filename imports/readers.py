"""Open a spreadsheet file of any supported format and hand out its sheets' rows.

The format is sniffed from the first bytes, never trusted from the name: a zip holding
``xl/workbook.xml`` is xlsx/xlsm, one holding ``content.xml`` of the spreadsheet type is
ods, an OLE2 container is xls, and anything that decodes as text is csv (delimiter and
encoding sniffed: German Excel writes ``;`` and cp1252; Excel's "Unicode-Text" is
UTF-16 with a byte-order mark and tabs). A workbook whose parts live outside ``xl/``
is found through its package relationships (``_rels/.rels``); a flat OpenDocument
spreadsheet (.fods, one XML file) is read as the .ods it would be zipped; an .xls
with a FILEPASS record (XOR or RC4 obfuscation) is named password-protected; a text
file whose lines are program source (``HEAD = ["Programm", …]``) is refused, not read
as a CSV of code lines. python-calamine reads the
cells; for xlsx the raw XML is scanned for what calamine does not report (hidden
columns, formulas, the 1904 date system; see ``xmlscan``). Untrusted input is capped:
a file larger than ``max_bytes`` or an archive whose unpacked size is unreasonable (a
zip bomb) is refused with an ``InputError`` before anything is parsed. Every refusal
names the file: several files are read in one run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import struct
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from imports.xmlscan import BookFacts, SheetFacts, main_part, scan_xlsx
from portfolio.domain.errors import InputError
from portfolio.services.zip_guard import refuse_zip_bomb

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_UNPACKED = 1024 * 1024 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# The streams of an OLE2 container that holds an encrypted xlsx (MS-OFFCRYPTO).
ENCRYPTED_STREAMS = (
    "EncryptionInfo".encode("utf-16-le"),
    "EncryptedPackage".encode("utf-16-le"),
)
CSV_DELIMITERS = ";,\t|"
# A flat OpenDocument spreadsheet: root office:document of the spreadsheet type.
FODS_RE = re.compile(rb"<(?:\w+:)?document\b[^>]*opendocument\.spreadsheet", re.DOTALL)
FODS_ROOT_RE = re.compile(rb"<(\w+:)?document(\s)")
FODS_END_RE = re.compile(rb"</(\w+:)?document>")
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type='
    f'"{ODS_MIMETYPE}"/><manifest:file-entry manifest:full-path="content.xml" '
    'manifest:media-type="text/xml"/></manifest:manifest>'
)
# The BOF record of BIFF8 (16 bytes) or BIFF5 (8 bytes) workbook globals.
BOF_RE = re.compile(rb"\x09\x08(?:\x10|\x08)\x00(?:\x00\x06|\x00\x05)\x05\x00")
# Lines of program source: definitions, imports, assignments of lists or calls.
CODE_LINE_RE = re.compile(
    r"\s*(?:"
    r"(?:def|class)\s+\w+\s*[(:]"
    r"|import\s+[\w.]+|from\s+[\w.]+\s+import\s"
    r"|(?:const|let|var)\s+\w+\s*="
    r"|function\s+\w+\s*\("
    r"|#!|#\s*-\*-|if\s+__name__\s*=="
    r"|[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*[+\-*/]?=\s*[\[{(\"'\w]"
    r"|(?:return|print|raise|yield|for|while|with|elif|else|try|except)\b.*[:)]\s*$"
    r")"
)

Row = list[Any]


@dataclass(slots=True)
class SheetData:
    """One sheet: its name, visibility, merged areas, formula facts and rows."""

    name: str
    visible: bool
    rows: list[Row] | None = None
    calamine: Any = None
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    facts: SheetFacts = field(default_factory=SheetFacts)
    kind_note: str = ""

    def iter_rows(self) -> Iterator[tuple[int, Row]]:
        """Yield (0-based absolute row index, cells from column A) for every row."""
        if self.rows is not None:
            yield from enumerate(self.rows)
            return
        sheet = self.calamine
        start = sheet.start
        if start is None:
            return
        first_row, first_col = start
        pad = [""] * first_col
        for index, cells in enumerate(sheet.iter_rows()):
            yield first_row + index, (pad + cells if first_col else cells)


@dataclass(slots=True)
class Workbook:
    """An opened file: its format, hash, date system and sheets."""

    path: Path
    format: str
    sha256: str
    date1904: bool = False
    sheets: list[SheetData] = field(default_factory=list)
    handle: Any = None

    def close(self) -> None:
        """Release the file."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def sha256_of(data: bytes) -> str:
    """Hash a file's content (the import batch remembers it)."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """Hash a file without reading it as a table; None if it cannot be read."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def sniff_format(
    head: bytes,
    archive_names: list[str] | None = None,
    name: str = "Die Datei",
    main: str | None = None,
) -> str:
    """Name the format from the first bytes (and a zip's member names).

    ``name`` is how refusals name the file (``Die Datei fristen.xlsx``); ``main`` is
    the package's main part named by ``_rels/.rels``, if any.
    """
    if head.startswith(OLE2):
        return "xls"
    if head.startswith(ZIP):
        names = set(archive_names or [])
        if "xl/workbook.xml" in names or (main or "").endswith("workbook.xml"):
            return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        if "content.xml" in names:
            return "ods"
        raise InputError(
            f"{name} ist ein ZIP-Archiv, aber keine Tabelle (xlsx, xlsm, ods) – "
            "bitte die Tabelle in Excel oder LibreOffice als .xlsx speichern."
        )
    return _sniff_text(head, name)


def _sniff_text(head: bytes, name: str) -> str:
    """A file that is no container: CSV text, a flat ODS, or refused."""
    if head.startswith(UTF16_BOMS):
        return "csv"  # Excel's "Unicode-Text": UTF-16, tab separated
    if b"\x00" in head[:4096]:
        raise InputError(
            f"{name} hat ein unbekanntes Dateiformat – lesbar sind .xlsx, .xlsm, "
            ".xls, .ods, .fods und .csv (auch „Unicode-Text“)."
        )
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"<") and FODS_RE.search(head):
        return "fods"
    if stripped.startswith((b"<", b"{", b"[")):
        raise InputError(
            f"{name} ist eine HTML-, XML- oder JSON-Datei, keine Tabelle – bitte "
            "in Excel öffnen und als .xlsx speichern."
        )
    return "csv"


def open_workbook(
    path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_unpacked: int = DEFAULT_MAX_UNPACKED,
    *,
    sheet_facts: bool = True,
) -> Workbook:
    """Open a file, refusing what is too large, a zip bomb or not a table.

    ``sheet_facts=False`` leaves out the xlsx sheets' hidden columns and formula
    cells (see ``xmlscan``) for readers that use neither; the date system is read.
    """
    file = _checked_file(path, max_bytes, max_unpacked)
    if (text := _open_text(path, file)) is not None:
        return text
    facts = book_facts(file, path.name, sheet_facts=sheet_facts)
    workbook = _open_calamine(path, file.data, file.format, file.digest)
    return with_book_facts(workbook, facts)


def check_file(path: Path) -> CheckedFile:
    """Read a file and refuse it as ``open_workbook`` does (the default limits).

    With ``parse_checked``, ``book_facts`` and ``with_book_facts`` the steps of
    ``open_workbook`` for a second thread (``prefetch``): calamine parses without
    Python's lock, so that thread parses while the xlsx scan runs on the one that
    wants the file.
    Where a file is refused, the reason may differ from ``open_workbook``'s; the
    caller then opens it again.
    """
    return _checked_file(path, DEFAULT_MAX_BYTES, DEFAULT_MAX_UNPACKED)


def parse_checked(path: Path, file: CheckedFile) -> Workbook:
    """The checked file opened, every sheet a reading parses parsed; no facts yet."""
    workbook = _open_text(path, file) or _open_calamine(
        path, file.data, file.format, file.digest
    )
    for sheet in workbook.sheets:
        if sheet.visible and not sheet.kind_note:
            load_sheet(workbook, sheet)
    return workbook


def _open_text(path: Path, file: CheckedFile) -> Workbook | None:
    """A CSV or flat OpenDocument file opened; None for a container format."""
    if file.format == "csv":
        sheet = _read_csv(file.data, path.stem, path.name)
        return Workbook(path, "csv", file.digest, sheets=[sheet])
    if file.format == "fods":
        workbook = _open_calamine(path, _fods_as_ods(file.data), "ods", file.digest)
        workbook.format = "fods"
        return workbook
    return None


@dataclass(slots=True)
class CheckedFile:
    """A file's bytes, checked: within the limits, its format known."""

    data: bytes
    digest: str
    format: str
    archive: zipfile.ZipFile | None


def _checked_file(path: Path, max_bytes: int, max_unpacked: int) -> CheckedFile:
    """Read a file, refusing what is too large, a zip bomb or not a table."""
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(
            f"Die Datei {name} gibt es nicht ({_where(path)}) – bitte Namen und "
            "Ordner prüfen."
        ) from None
    except OSError as exc:
        raise InputError(
            f"Die Datei {name} lässt sich nicht öffnen ({_where(path)}: "
            f"{exc.strerror or type(exc).__name__})."
        ) from None
    if size > max_bytes:
        raise InputError(
            f"Die Datei {name} ist mit {_megabytes(size)} größer als erlaubt "
            f"({_megabytes(max_bytes)}) – teilen Sie sie auf oder erhöhen Sie "
            "imports.max_file_mb."
        )
    if size == 0:
        raise InputError(f"Die Datei {name} ist leer.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"Die Datei {name} lässt sich nicht öffnen ({_where(path)}: "
            f"{exc.strerror or type(exc).__name__})."
        ) from None
    digest = sha256_of(data)
    names: list[str] | None = None
    archive = None
    main = None
    if data.startswith(ZIP):
        archive = _open_zip(data, name, max_unpacked)
        names = archive.namelist()
        main = main_part(archive)
    fmt = sniff_format(data[:8192], names, f"Die Datei {name}", main)
    if fmt == "xls" and _xls_filepass(data):
        raise InputError(_protected(f"Die Datei {name}"))
    return CheckedFile(data, digest, fmt, archive)


def book_facts(file: CheckedFile, name: str, *, sheet_facts: bool = True) -> BookFacts:
    """What calamine does not report of an xlsx (see ``xmlscan``); none elsewhere."""
    if file.archive is None or file.format not in ("xlsx", "xlsm"):
        return BookFacts()
    try:
        return scan_xlsx(file.archive, sheets=sheet_facts)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError(
            f"Die Datei {name} ist beschädigt – bitte in Excel öffnen und neu "
            "speichern."
        ) from None


def with_book_facts(workbook: Workbook, facts: BookFacts) -> Workbook:
    """The workbook with the date system and each sheet's facts set."""
    if not facts.date1904 and not facts.sheets:
        return workbook  # what a workbook has without facts (csv, ods, xls)
    workbook.date1904 = facts.date1904
    for sheet in workbook.sheets:
        sheet.facts = facts.sheets.get(sheet.name, SheetFacts())
    return workbook


def _open_zip(data: bytes, name: str, max_unpacked: int) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(
            f"Die Datei {name} ist beschädigt (kein gültiges ZIP-Archiv) – bitte "
            "neu speichern."
        ) from None
    refuse_zip_bomb(infos, name, max_unpacked)  # the check documents use too
    return archive


def _open_calamine(path: Path, data: bytes, fmt: str, digest: str) -> Workbook:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = book.sheets_metadata
    except Exception as exc:
        if _encrypted(data):
            raise InputError(_protected(f"Die Datei {path.name}")) from None
        raise InputError(_unreadable(f"Die Datei {path.name}", exc)) from None
    workbook = Workbook(path, fmt, digest, handle=book)
    for meta in metadata:
        visible = meta.visible == SheetVisibleEnum.Visible
        sheet = SheetData(meta.name, visible)
        if meta.typ != SheetTypeEnum.WorkSheet:
            sheet.kind_note = "kein Tabellenblatt (Diagramm oder Makro)"
        workbook.sheets.append(sheet)
    return workbook


def load_sheet(workbook: Workbook, sheet: SheetData) -> None:
    """Let calamine parse one sheet (lazily: hidden sheets are never parsed)."""
    if sheet.rows is not None or sheet.calamine is not None:
        return
    try:
        sheet.calamine = workbook.handle.get_sheet_by_name(sheet.name)
        sheet.merged = list(sheet.calamine.merged_cell_ranges or [])
    except Exception as exc:
        raise InputError(
            _unreadable(f"Die Datei {workbook.path.name}, Blatt {sheet.name!r},", exc)
        ) from None


def _encrypted(data: bytes) -> bool:
    """An OLE2 container holding an encrypted xlsx (what Excel saves with a password).

    Asked only after calamine failed, so a readable .xls that happens to contain
    these words is never refused.
    """
    return data.startswith(OLE2) and all(s in data for s in ENCRYPTED_STREAMS)


def _xls_filepass(data: bytes) -> bool:
    """An .xls whose workbook stream is encrypted or XOR-obfuscated (FILEPASS).

    FILEPASS (record 0x002F) follows the workbook globals' BOF within its first
    few records; calamine then fails with a generic error, or reads scrambled cells.
    """
    for match in BOF_RE.finditer(data, 0, min(len(data), 1 << 20)):
        at = match.start()
        for _ in range(6):
            if at + 4 > len(data):
                break
            kind, size = struct.unpack_from("<HH", data, at)
            if kind == 0x002F:
                return True
            at += 4 + size
    return False


def _fods_as_ods(data: bytes) -> bytes:
    """A flat OpenDocument spreadsheet (one XML file) as the .ods zip it stands for.

    The flat root ``office:document`` holds the same body as ``content.xml``'s
    ``office:document-content``: renamed and zipped, calamine reads it as an .ods.
    """
    content = FODS_ROOT_RE.sub(rb"<\1document-content\2", data, count=1)
    content = FODS_END_RE.sub(rb"</\1document-content>", content, count=1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
    return buffer.getvalue()


def _program_source(text: str) -> tuple[int, str] | None:
    """The first code line, if the text is program source rather than a table."""
    lines = [
        (number, line)
        for number, line in enumerate(first_lines(text, 300), start=1)
        if line.strip()
    ]
    code = [(n, line) for n, line in lines if CODE_LINE_RE.match(line)]
    if len(code) >= 3 and len(code) * 3 >= len(lines):
        return code[0]
    return None


def find_sheet(names: list[str], wanted: str) -> str | None:
    """The sheet ``wanted`` means: exact, else the one equal ignoring case and blanks.

    People type ``übersicht`` for „Übersicht “; None if no sheet (or more than one
    sheet) matches that way, so the caller lists the names.
    """
    if wanted in names:
        return wanted
    folded = [n for n in names if _fold(n) == _fold(wanted)]
    return folded[0] if len(folded) == 1 else None


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


def _where(path: Path) -> str:
    """The path as the user can find it: absolute (the name alone may mislead)."""
    return str(path.absolute())


def _protected(name: str) -> str:
    return (
        f"{name} ist mit einem Passwort geschützt – bitte in Excel öffnen und ohne "
        "Passwort speichern (Datei › Informationen › Arbeitsmappe schützen › Mit "
        "Kennwort verschlüsseln: das Kennwort löschen)."
    )


def _unreadable(name: str, exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text or "protect" in text:
        return _protected(name)
    return (
        f"{name} lässt sich nicht lesen (beschädigt oder kein unterstütztes Format) "
        "– bitte in Excel öffnen und als .xlsx speichern."
    )


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-16 with BOM, UTF-8 (with or without BOM), else cp1252.

    Latin-1 is the last resort (it decodes anything).
    """
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass  # an odd byte count: a cut-off file; cp1252 shows what is there
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def first_lines(text: str, count: int) -> list[str]:
    """``text.splitlines()[:count]`` without splitting all of a long file."""
    lines = text[: count * 400].splitlines()
    if len(lines) > count:  # the last piece may be cut off; the first are whole
        return lines[:count]
    return text.splitlines()[:count] if len(text) > count * 400 else lines


def sniff_delimiter(text: str) -> str:
    """Find the delimiter: Excel's ``sep=`` line, csv.Sniffer, or the commonest."""
    first = text.split("\n", 1)[0].strip()
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4]
    sample = "\n".join(first_lines(text, 50))
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in CSV_DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ";"


def _read_csv(data: bytes, name: str, file_name: str) -> SheetData:
    text = decode_text(data)
    source = _program_source(text)
    if source is not None:
        number, line = source
        shown = line.strip()
        shown = shown if len(shown) <= 60 else shown[:57] + "…"
        raise InputError(
            f"Die Datei {file_name} ist Programmtext, keine Tabelle (Zeile {number}: "
            f"„{shown}“) – bitte die Tabelle selbst als .xlsx oder .csv wählen."
        )
    delimiter = sniff_delimiter(text)
    if text.split("\n", 1)[0].strip().lower().startswith("sep="):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise InputError(
            f"Die CSV-Datei {file_name} ist nicht lesbar – bitte in Excel öffnen und "
            "als .xlsx speichern."
        ) from None
    return SheetData(name, True, rows=rows)  # the reader's rows are lists


def _megabytes(size: int) -> str:
    """A file size for messages: "0,4 MB", "12,0 MB"."""
    return f"{size / 1_048_576:.1f} MB".replace(".", ",")
