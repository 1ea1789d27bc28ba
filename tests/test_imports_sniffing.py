"""Content sniffing of odd files (issue 15), each file made by the test or real.

Program source is refused, not read as a CSV of code lines; a flat OpenDocument
spreadsheet (.fods) is read; an XOR-obfuscated or RC4-encrypted legacy .xls is
named password-protected; a workbook whose parts live outside ``xl/`` is read
through its package relationships.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from imports.reading import read_file
from portfolio.domain.errors import InputError
from portfolio.domain.records import SheetKind

ROWS = [
    ["Programm", "Was?", "fällig am", "zuständig"],
    ["KAoA", "Zwischennachweis", "30.04.2017", "Frau Albers"],
]
SOURCE = '''"""Build the list of programmes."""
import csv

HEAD = ["Programm", "Laufzeit", "Fördergeber", "Betrag"]
ROWS = [["KAoA", "2017-2019", "Land NRW", "1000"]]


def main():
    with open("liste.csv", "w") as handle:
        csv.writer(handle).writerows([HEAD, *ROWS])


if __name__ == "__main__":
    main()
'''


def test_program_source_is_refused_not_imported(tmp_path: Path) -> None:
    for name in ("liste.py", "liste.csv"):  # by content, whatever the name
        path = tmp_path / name
        path.write_text(SOURCE, encoding="utf-8")
        with pytest.raises(InputError) as refused:
            read_file(path)
        assert f"Die Datei {name} ist Programmtext, keine Tabelle" in str(refused.value)
        assert "Zeile 2: „import csv“" in str(refused.value)


def test_a_table_with_an_equals_sign_is_still_a_table(tmp_path: Path) -> None:
    path = tmp_path / "fristen.csv"
    lines = [";".join(row) for row in ROWS]
    lines.append("Summe = 1;x;01.05.2017;Frau Albers")
    path.write_text("\n".join(lines), encoding="utf-8")
    assert read_file(path).sheets[0].kind is SheetKind.OBLIGATIONS


def _fods(rows: list[list[str]]) -> str:
    body = "".join(
        "<table:table-row>"
        + "".join(
            '<table:table-cell office:value-type="string">'
            f"<text:p>{escape(cell)}</text:p></table:table-cell>"
            for cell in row
        )
        + "</table:table-row>"
        for row in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'office:version="1.3" '
        'office:mimetype="application/vnd.oasis.opendocument.spreadsheet">'
        "<office:body><office:spreadsheet>"
        f'<table:table table:name="Fristen">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document>\n"
    )


def test_flat_ods_is_read(tmp_path: Path) -> None:
    path = tmp_path / "fristen.fods"
    path.write_text(_fods(ROWS), encoding="utf-8")
    result = read_file(path)
    assert result.format == "fods"
    [sheet] = result.sheets
    assert sheet.kind is SheetKind.OBLIGATIONS
    assert sheet.columns["due"] == "fällig am"


def _inline_row(number: int, row: list[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for i, v in enumerate(row)
    )
    return f'<row r="{number}">{cells}</row>'


def test_workbook_with_parts_outside_xl_is_read(tmp_path: Path) -> None:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    rows = "".join(_inline_row(n, row) for n, row in enumerate(ROWS, start=1))
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
            '"http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/book/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/book/fristen.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="book/workbook.xml"/></Relationships>'
        ),
        "book/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" '
            f'xmlns:r="{rel}"><sheets><sheet name="Fristen" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
        "book/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="fristen.xml"/>'
            "</Relationships>"
        ),
        "book/fristen.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
            f'<cols><col min="4" max="4" hidden="1"/></cols><sheetData>{rows}'
            "</sheetData></worksheet>"
        ),
    }
    path = tmp_path / "fristen.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    result = read_file(path)
    assert result.format == "xlsx"
    [sheet] = result.sheets
    assert sheet.kind is SheetKind.OBLIGATIONS
    assert sheet.records[0].values["title"] == "Zwischennachweis"


@pytest.mark.parametrize(
    "name",
    ["apache-poi/xor-encryption-abc.xls", "sheetjs/password_2002_128_strong.xls"],
)
def test_obfuscated_legacy_xls_is_named_password_protected(
    corpus_dir: Path, name: str
) -> None:
    path = corpus_dir / name
    if not path.exists():
        pytest.skip(f"{name} fehlt im Korpus")
    with pytest.raises(InputError) as refused:
        read_file(path)
    assert "mit einem Passwort geschützt" in str(refused.value)


def test_xls_with_a_filepass_record_is_named_password_protected(
    tmp_path: Path,
) -> None:
    # An OLE2 container whose workbook stream starts BOF, FILEPASS (XOR: type 0,
    # key, verifier), as Excel writes a file "protected" with a password to open.
    import struct

    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CD, 0, 6)
    filepass = struct.pack("<HHHHH", 0x002F, 6, 0x0000, 0xA1B2, 0xC3D4)
    eof = struct.pack("<HH", 0x000A, 0)
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    path = tmp_path / "geschuetzt.xls"
    path.write_bytes(header + bof + filepass + eof + bytes(512 - 30))
    with pytest.raises(InputError) as refused:
        read_file(path)
    assert "Die Datei geschuetzt.xls ist mit einem Passwort geschützt" in str(
        refused.value
    )
