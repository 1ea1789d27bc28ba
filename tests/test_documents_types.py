"""A document's type comes from its bytes, and its name is made safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from documents_support import make_docx, make_pdf, make_png, make_xlsx

from portfolio.domain.errors import InputError
from portfolio.services import document_types as types


def test_types_are_found_by_content_not_by_name(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf").read_bytes()
    assert types.sniff(pdf, "brief.docx").media_type == types.PDF
    assert types.sniff(make_docx(tmp_path / "b.docx").read_bytes(), "x").media_type == (
        types.DOCX
    )
    assert types.sniff(make_xlsx(tmp_path / "c.xlsx").read_bytes(), "x").media_type == (
        types.XLSX
    )
    png = types.sniff(make_png(tmp_path / "d.png").read_bytes(), "d.pdf")
    assert png.media_type == "image/png"
    assert png.inline
    mail = b"From: amt@example.org\nTo: bb@example.org\nSubject: Bescheid\n\nText"
    assert types.sniff(mail, "antwort.eml").media_type == types.EML
    assert not types.FileType(types.EML).inline


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'><script/></svg>",
        b"<?xml version='1.0'?><root/>",
        b"\x00\x01\x02binary",
    ],
)
def test_markup_and_unknown_binaries_are_refused(content: bytes) -> None:
    with pytest.raises(InputError) as refused:
        types.sniff(content, "bescheid.pdf")
    assert "„bescheid.pdf“" in refused.value.message
    assert "am Inhalt erkannt" in refused.value.message


def test_file_names_lose_folders_and_keep_a_true_suffix() -> None:
    pdf = types.FileType(types.PDF)
    assert types.safe_file_name("../../etc/passwd", pdf) == "passwd.pdf"
    assert types.safe_file_name("C:\\Akten\\Bescheid 2016.PDF", pdf) == (
        "Bescheid 2016.pdf"
    )
    assert types.safe_file_name("scan.docx", pdf) == "scan.docx.pdf"
    assert types.safe_file_name("Bericht\x00<b>.pdf", pdf) == "Bericht_b_.pdf"
    assert len(types.safe_file_name("x" * 500 + ".pdf", pdf)) == 120
    jpeg = types.FileType("image/jpeg")
    assert types.safe_file_name("Foto.JPEG", jpeg) == "Foto.jpg"
