"""What a document file is, found from its bytes, and how it may be served.

The name is never trusted: PDF, PNG, JPEG, GIF, TIFF and WebP are known by their
first bytes; a zip is docx, xlsx, pptx, odt, ods or odp by its members (and refused
when it would unpack to a zip bomb, the import's check); an OLE2 container is an
Outlook message (.msg), a Word or Excel 97 file, told apart by the name's suffix since
the container looks the same; an e-mail (.eml) by its header lines. Anything that
starts like markup (HTML, SVG, XML) is refused, whatever its name says: served back it
could run script in the portfolio's pages. The original name is kept sanitised: no
folders, no control characters, at most 120 characters, and the suffix of the type
found.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from portfolio.domain.errors import InputError
from portfolio.services.zip_guard import DEFAULT_MAX_UNPACKED, refuse_zip_bomb

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
MSG = "application/vnd.ms-outlook"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
EML = "message/rfc822"
TEXT = "text/plain"

# Served inline (shown in the browser); everything else is a download.
INLINE = frozenset({PDF, "image/png", "image/jpeg", "image/gif", "image/webp"})
SUFFIXES = {
    PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx", PPTX: ".pptx", ODT: ".odt",
    ODS: ".ods", ODP: ".odp", MSG: ".msg", DOC: ".doc", XLS: ".xls", EML: ".eml",
    TEXT: ".txt", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
    "image/tiff": ".tif", "image/webp": ".webp",
}  # fmt: skip
ALLOWED_TEXT = (
    "PDF, Word (.docx, .doc), Excel (.xlsx, .xls), PowerPoint (.pptx), "
    "LibreOffice (.odt, .ods, .odp), E-Mails (.eml, .msg), Bilder (PNG, JPEG, GIF, "
    "TIFF, WebP) und Text (.txt)"
)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MEMBERS = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
    ("ppt/presentation.xml", PPTX),
)
ODF_TYPES = {ODT.encode(), ODS.encode(), ODP.encode()}
HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]")
MAIL_HEADERS = (b"from:", b"date:", b"subject:", b"message-id:", b"received:")


@dataclass(frozen=True, slots=True)
class FileType:
    """A recognised file: its media type and the suffix that belongs to it."""

    media_type: str

    @property
    def suffix(self) -> str:
        """The file name suffix of this type (``.pdf``)."""
        return SUFFIXES.get(self.media_type, "")

    @property
    def inline(self) -> bool:
        """Whether the browser may show it in place (PDF and raster images)."""
        return self.media_type in INLINE


def _refuse(name: str, what: str) -> InputError:
    return InputError(
        f"„{name}“ {what} – erlaubt sind {ALLOWED_TEXT}. Die Art wird am Inhalt "
        "erkannt, nicht am Dateinamen."
    )


def sniff(data: bytes, name: str, max_unpacked: int = DEFAULT_MAX_UNPACKED) -> FileType:
    """The type of a file from its content, or an ``InputError`` naming the file."""
    if not data:
        raise InputError(f"„{name}“ ist leer.")
    head = data[:4096]
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return FileType(media_type)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileType("image/webp")
    if head.startswith(b"PK\x03\x04"):
        return FileType(_zip_type(data, name, max_unpacked))
    if head.startswith(OLE2):
        suffix = PurePosixPath(name.lower()).suffix
        ole_type = {".msg": MSG, ".doc": DOC, ".xls": XLS}.get(suffix)
        if ole_type is None:
            raise _refuse(name, "ist eine alte Office-Datei unbekannter Art")
        return FileType(ole_type)
    return FileType(_text_type(head, name))


_MAGIC = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def _zip_type(data: bytes, name: str, max_unpacked: int) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(
            f"„{name}“ ist beschädigt (kein gültiges ZIP-Archiv) – bitte neu speichern."
        ) from None
    refuse_zip_bomb(infos, f"„{name}“", max_unpacked)
    members = {info.filename for info in infos}
    for member, media_type in ZIP_MEMBERS:
        if member in members:
            return media_type
    if "mimetype" in members:
        try:
            declared = archive.read("mimetype")[:100].strip()
        except (zipfile.BadZipFile, OSError, ValueError, KeyError):
            declared = b""
        if declared in ODF_TYPES:
            return declared.decode()
    raise _refuse(name, "ist ein ZIP-Archiv, aber kein Office-Dokument")


def _text_type(head: bytes, name: str) -> str:
    if b"\x00" in head:
        raise _refuse(name, "hat ein unbekanntes Dateiformat")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<", b"{\\rtf")) or b"<html" in stripped[:1024]:
        raise _refuse(
            name, "ist eine HTML-, SVG- oder XML-Datei (oder RTF), kein Dokument"
        )
    lines = stripped.splitlines()[:30]
    headers = [line for line in lines if HEADER_LINE.match(line)]
    if len(headers) >= 2 and any(line.startswith(MAIL_HEADERS) for line in headers):
        return EML
    return TEXT


ALIASES = {".jpeg": ".jpg", ".tiff": ".tif"}


def safe_file_name(name: str, file_type: FileType) -> str:
    """The original name without folders or control characters, with a true suffix.

    ``Bescheid.PDF`` stays ``Bescheid.pdf``; a name whose suffix does not fit the
    content (``scan.docx`` holding a PDF) keeps its name and gets the true suffix
    (``scan.docx.pdf``), so nobody opens it with the wrong program.
    """
    base = unicodedata.normalize("NFC", PurePosixPath(name.replace("\\", "/")).name)
    cleaned = "".join(c if (c.isalnum() or c in " ._-()+,&") else "_" for c in base)
    cleaned = re.sub(r"_+", "_", cleaned).strip(" ._") or "dokument"
    wanted = file_type.suffix
    path = PurePosixPath(cleaned)
    suffix = path.suffix.lower()
    fits = wanted and ALIASES.get(suffix, suffix) == wanted
    stem = path.stem if fits else cleaned
    return f"{stem[: 120 - len(wanted)]}{wanted}"
