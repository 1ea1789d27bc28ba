"""The text inside a document, for the full-text search: no network, no OCR.

PDF pages through pypdf's text layer (a scan without one has no text), docx
paragraphs and table cells through python-docx, xlsx cell values through openpyxl
(read-only), odt/ods/odp through odfpy, e-mails through the standard library (the
plain-text parts, else the HTML parts without tags), plain text as is. A file that
cannot be read gives no text rather than an error: it is still stored and can be
found by its title; ``warning`` says why.
"""

from __future__ import annotations

import email
import email.policy
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from portfolio.services import document_types as types

LOG = logging.getLogger(__name__)
# Enough for any Bescheid; a 2,000-page annex is searched by its first part.
MAX_CHARS = 2_000_000


@dataclass(frozen=True, slots=True)
class Extracted:
    """The text found, and why there is none if so."""

    text: str
    warning: str = ""


def extract(data: bytes, media_type: str) -> Extracted:
    """Extract the searchable text of a file of a known media type."""
    reader = _READERS.get(media_type)
    if reader is None:
        return Extracted("")
    try:
        text = reader(data)
    except Exception as exc:  # a damaged file is still kept
        LOG.info("no text from %s: %s", media_type, exc)
        return Extracted("", f"Text nicht lesbar ({type(exc).__name__})")
    text = re.sub(r"[ \t\r\f\v]+", " ", text.replace("\x00", ""))
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    return Extracted(text[:MAX_CHARS])


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts: list[str] = []
    size = 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > MAX_CHARS:
            break
    return "\n\n".join(parts)


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _xlsx(data: bytes) -> str:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    parts: list[str] = []
    try:
        for sheet in book.worksheets:
            parts.append(str(sheet.title))
            for row in sheet.iter_rows(values_only=True):
                cells = [_cell(v) for v in row if v is not None]
                if cells:
                    parts.append(" ".join(cells))
    finally:
        book.close()
    return "\n".join(parts)


def _cell(value: object) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")  # type: ignore[no-any-return]
    return str(value)


def _odf(data: bytes) -> str:
    from odf import teletype
    from odf.opendocument import load
    from odf.text import P

    document = load(io.BytesIO(data))
    return "\n".join(teletype.extractText(p) for p in document.getElementsByType(P))


def _eml(data: bytes) -> str:
    message = email.message_from_bytes(data, policy=email.policy.default)
    parts = [f"{k}: {message.get(k, '')}" for k in ("From", "To", "Date", "Subject")]
    html: list[str] = []
    for part in message.walk():
        if part.get_content_maintype() == "multipart" or part.is_attachment():
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            parts.append(str(part.get_content()))
        elif kind == "text/html":
            html.append(re.sub(r"<[^>]+>", " ", str(part.get_content())))
    if len(parts) == 4:
        parts.extend(html)
    return "\n".join(parts)


def _plain(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_READERS: dict[str, Callable[[bytes], str]] = {
    types.PDF: _pdf,
    types.DOCX: _docx,
    types.XLSX: _xlsx,
    types.ODT: _odf,
    types.ODS: _odf,
    types.ODP: _odf,
    types.EML: _eml,
    types.TEXT: _plain,
}
