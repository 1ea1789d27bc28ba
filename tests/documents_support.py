"""Real document files for the document tests: PDF (WeasyPrint), docx, xlsx, more."""

from __future__ import annotations

import zipfile
from pathlib import Path

BESCHEID_TEXT = (
    "Zuwendungsbescheid. Der Zwischennachweis ist jeweils zum 31.03. des "
    "Folgejahres vorzulegen, der Verwendungsnachweis bis 31.10.2018."
)
VERTRAG_TEXT = "Kooperationsvertrag über die jährliche Bildungskonferenz im Kreis."
TABELLE_TEXT = "Honorarkräfte Sprachförderung"


def make_pdf(path: Path, text: str = BESCHEID_TEXT, pages: int = 1) -> Path:
    """A PDF with a text layer, written by WeasyPrint."""
    import weasyprint

    body = "".join(
        f"<section style='page-break-after: always'><h1>Seite {n + 1}</h1>"
        f"<p>{text}</p></section>"
        for n in range(pages)
    )
    weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf(path)
    return path


def make_docx(path: Path, text: str = VERTRAG_TEXT) -> Path:
    """A Word document written by python-docx."""
    import docx

    document = docx.Document()
    document.add_heading("Vertrag", level=1)
    document.add_paragraph(text)
    document.save(str(path))
    return path


def make_xlsx(path: Path, text: str = TABELLE_TEXT) -> Path:
    """An Excel workbook written by openpyxl."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Position", "Betrag"])
    sheet.append([text, 1234.5])
    book.save(path)
    return path


def make_png(path: Path) -> Path:
    """A tiny real PNG (1×1 pixel)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return (
            struct.pack(">I", len(data))
            + body
            + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
    path.write_bytes(png + chunk(b"IEND", b""))
    return path


def make_html_as_pdf(path: Path) -> Path:
    """An HTML page with script, named .pdf."""
    path.write_text(
        "<!DOCTYPE html><html><body><script>alert('x')</script></body></html>",
        encoding="utf-8",
    )
    return path


def make_zip_bomb_docx(path: Path, megabytes: int = 60) -> Path:
    """A .docx-shaped zip whose one member unpacks to ``megabytes`` of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (megabytes * 1024 * 1024))
    return path
