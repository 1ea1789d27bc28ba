"""Files are recognised by content, decoded right, and hostile files are refused."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from imports.readers import decode_text, open_workbook, sniff_delimiter
from imports.reading import ReadOptions, read_file
from portfolio.domain.errors import InputError
from portfolio.domain.records import SheetKind

DATA = Path(__file__).parent / "data" / "imports"
DEADLINES = (
    "Programm;Was?;fällig am;zuständig\nKAoA;Zwischennachweis;30.04.2017;Frau Albers\n"
)


def test_format_is_sniffed_from_content_not_name(tmp_path: Path) -> None:
    disguised = tmp_path / "fristen.csv"
    shutil.copy(DATA / "fristen.xlsx", disguised)
    result = read_file(disguised)
    assert result.format == "xlsx"
    assert result.sheets[0].kind is SheetKind.OBLIGATIONS


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("cp1252", b""), ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf")],
)
def test_csv_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "fristen.txt"
    path.write_bytes(prefix + DEADLINES.encode(encoding))
    result = read_file(path)
    record = result.sheets[0].records[0]
    assert result.sheets[0].columns["due"] == "fällig am"
    assert record.values["responsible"] == "Frau Albers"


def test_csv_delimiters() -> None:
    assert sniff_delimiter("a;b;c\n1;2;3\n") == ";"
    assert sniff_delimiter("a,b,c\n1,2,3\n") == ","
    assert sniff_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"
    assert sniff_delimiter("sep=|\na|b\n") == "|"
    assert decode_text("Fördergeber".encode("cp1252")) == "Fördergeber"


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 60_000_000 + b"/>")
    with pytest.raises(InputError, match="ZIP-Bombe"):
        open_workbook(bomb)


def test_file_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "gross.csv"
    path.write_text(DEADLINES * 100, encoding="utf-8")
    with pytest.raises(InputError, match="größer als erlaubt"):
        read_file(path, ReadOptions(max_bytes=1000))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "leer"),
        (b"<html><table><tr><td>x</td></tr></table></html>", "HTML"),
        (b"PK\x03\x04garbage", "beschädigt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "lässt sich nicht lesen"),
        (b"\x00\x01\x02binary", "unbekannt"),
    ],
)
def test_unusable_files_are_refused_with_a_sentence(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "datei.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_file(path)


def test_sheet_without_known_columns(tmp_path: Path) -> None:
    path = tmp_path / "kram.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match="keine Tabelle mit bekannten Spalten"):
        read_file(path)


def test_hidden_columns_formulas_and_merged_headings(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Programm", "Fördergeber", "Fördersumme", "geheim"])
    sheet.append(["KAoA", "MAIS NRW", "=1+1", "x"])
    sheet.append(["Zukunftsstadt", "BMBF", 1000, "y"])
    sheet.append(["Summe", None, "=SUM(C2:C3)"])
    sheet.column_dimensions["D"].hidden = True
    path = tmp_path / "formeln.xlsx"
    book.save(path)
    result = read_file(path).sheets[0]
    assert [r.values["name"] for r in result.records] == ["Zukunftsstadt"]
    assert "Formel hat keinen gespeicherten Wert" in result.rejected[0].message
    assert result.rejected[0].column == "C (Fördersumme)"
    assert [s.reason for s in result.skipped] == ["Summenzeile"]


def test_forced_kind_and_named_sheet(tmp_path: Path) -> None:
    result = read_file(DATA / "uebersicht.xlsx", ReadOptions(sheet="alt 2015"))
    assert [s.sheet for s in result.sheets] == ["alt 2015"]
    with pytest.raises(InputError, match="gibt es in"):
        read_file(DATA / "uebersicht.xlsx", ReadOptions(sheet="Nicht da"))
    forced = read_file(DATA / "kontakte.ods", ReadOptions(kind=SheetKind.CONTACTS))
    assert forced.sheets[0].kind is SheetKind.CONTACTS
