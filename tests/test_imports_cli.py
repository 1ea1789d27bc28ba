"""``portfolio import`` as its users meet it: real files, the real command line.

What a QA pass found: stdout with ``--format json`` must hold one JSON document even
after the question; no terminal and no ``--yes`` is unusable input (exit 2), not an
abort; every refused file is named (missing, unknown, damaged, password protected);
``--sheet`` forgives case and blanks; a refused undo names the later import to undo
first, or who changed what by hand; the undo hint carries the real batch number; a
repeat with rejected rows says so; counts say "1 Zeile".
"""

from __future__ import annotations

import gc
import json
import re
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from process_support import last_said, run_python

DATA = Path(__file__).parent / "data" / "imports"
OVERVIEW = DATA / "uebersicht.xlsx"
DEADLINES = DATA / "fristen.xlsx"

Cli = Callable[..., Any]


@pytest.fixture
def db(db_url: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return db_url


def test_json_after_the_question_keeps_stdout_one_document(cli: Cli, db: str) -> None:
    result = cli("import", str(OVERVIEW), "--format", "json", db=db, input="j\n")
    assert result.exit_code == 1, result.output  # applied, two rows rejected
    document = json.loads(result.stdout)
    assert document["format"] == "portfolio-import-preview/1"
    assert document["totals"]["new"] == 7
    lines = result.stderr.strip().splitlines()
    sentence = "Übernommen als Import 1 (rückgängig: portfolio imports undo 1)."
    assert sentence in lines[-2]
    assert json.loads(lines[-1]) == {"applied": True, "batches": [1]}
    listed = cli("imports", db=db)
    assert "übernommen" in listed.output


def test_json_with_yes_is_the_applied_result(cli: Cli, db: str) -> None:
    result = cli("import", str(OVERVIEW), "--format", "json", "--yes", db=db)
    document = json.loads(result.stdout)
    assert document["applied"] is True
    assert document["files"][0]["batch"] == 1
    assert "portfolio imports undo 1" in result.stderr


def test_no_terminal_and_no_yes_changes_nothing_exit_2(cli: Cli, db: str) -> None:
    result = cli("import", str(OVERVIEW), db=db, input="")
    assert result.exit_code == 2, result.output
    assert "es wurde nichts geändert" in result.stderr
    assert "--yes" in result.stderr and "--dry-run" in result.stderr
    assert "Abgebrochen" not in result.output
    assert "Traceback" not in result.output
    assert cli("imports", db=db).output.strip() == "Noch keine Importe."
    as_json = cli("import", str(OVERVIEW), "--format", "json", db=db, input="")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["applied"] is False


def test_a_plain_no_is_still_a_no(cli: Cli, db: str) -> None:
    result = cli("import", str(OVERVIEW), db=db, input="\n")
    assert result.exit_code == 1  # the preview's code: rows would be rejected
    assert "Nichts geändert." in result.stderr
    assert cli("imports", db=db).output.strip() == "Noch keine Importe."


def test_the_undo_hint_has_the_real_number_once(cli: Cli, db: str) -> None:
    asked = cli("import", str(OVERVIEW), db=db, input="j\n")
    assert "Übernommen als Import 1 (rückgängig: portfolio imports undo 1)." in (
        asked.stdout
    )
    assert "undo NR" not in asked.output
    with_yes = cli("import", str(DEADLINES), "--yes", db=db)
    assert with_yes.exit_code == 1, with_yes.output
    assert with_yes.stdout.count("portfolio imports undo 2") == 1
    assert "undo NR" not in with_yes.output


def test_a_repeat_with_rejected_rows_says_they_were_rejected(cli: Cli, db: str) -> None:
    assert cli("import", str(OVERVIEW), "--yes", db=db).exit_code == 1
    again = cli("import", str(OVERVIEW), "--dry-run", db=db)
    assert again.exit_code == 1
    assert "die Datenbank enthält diesen Stand bereits" not in again.stdout
    assert (
        "Keine Änderungen: die lesbaren Zeilen stehen bereits so in der Datenbank; "
        "2 Zeilen wurden abgelehnt (oben aufgeführt)." in again.stdout
    )


def test_refused_undo_names_the_later_import(cli: Cli, db: str) -> None:
    assert cli("import", str(OVERVIEW), "--yes", db=db).exit_code == 1
    assert cli("import", str(DEADLINES), "--yes", db=db).exit_code == 1
    refused = cli("imports", "undo", "1", db=db)
    assert refused.exit_code == 2
    message = refused.stderr
    assert "Import 2 baut darauf auf" in message
    assert "erst Import 2 rückgängig machen (portfolio imports undo 2)" in message
    assert "verweist auf Programm Nr." in message
    assert cli("imports", "undo", "2", db=db).exit_code == 0
    assert cli("imports", "undo", "1", db=db).exit_code == 0


def test_refused_undo_names_who_changed_it_by_hand(cli: Cli, db: str) -> None:
    assert cli("import", str(OVERVIEW), "--yes", db=db).exit_code == 1
    assert cli("import", str(DEADLINES), "--yes", db=db).exit_code == 1
    # A fresh database: the first deadline of the list is number 1.
    assert cli("done", "1", db=db).exit_code == 0
    refused = cli("imports", "undo", "2", db=db)
    assert refused.exit_code == 2
    # Named by title and date, not by its number.
    assert re.search(
        r"Frist „[^“]+“ \(fällig \d\d\.\d\d\.\d{4}\) wurde danach geändert \(von ",
        refused.stderr,
    ), refused.stderr
    assert "Frist Nr." not in refused.stderr
    assert "baut darauf auf" not in refused.stderr


def test_counts_say_one_row(cli: Cli, db: str, tmp_path: Path) -> None:
    path = tmp_path / "eins.csv"
    path.write_text(
        "Programm;Fördergeber;Laufzeit\nKAoA;Land NRW;2016 - 2018\n", encoding="utf-8"
    )
    result = cli("import", str(path), "--dry-run", db=db)
    assert result.exit_code == 0, result.output
    assert "Gesamt: 1 Zeile: 1 neu," in result.stdout
    assert "1 Zeilen" not in result.stdout


# --- files that cannot be read: each refusal names the file ----------------------


def test_missing_file_says_it_does_not_exist(cli: Cli, db: str, tmp_path: Path) -> None:
    result = cli("import", "nichtda.xlsx", db=db)
    assert result.exit_code == 2
    assert "Die Datei nichtda.xlsx gibt es nicht" in result.stderr
    assert str(tmp_path / "nichtda.xlsx") in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x00\x01\x02binary", "unbekanntes Dateiformat"),
        (b"PK\x03\x04garbage", "beschädigt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "lässt sich nicht lesen"),
    ],
)
def test_unreadable_file_among_several_is_named(
    cli: Cli, db: str, tmp_path: Path, content: bytes, words: str
) -> None:
    bad = tmp_path / "kaputt.xlsx"
    bad.write_bytes(content)
    result = cli("import", str(OVERVIEW), str(bad), "--dry-run", db=db)
    assert result.exit_code == 2
    assert "kaputt.xlsx" in result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_zip_without_a_table_is_named(cli: Cli, db: str, tmp_path: Path) -> None:
    archive = tmp_path / "bilder.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("foto.txt", "kein Blatt")
    result = cli("import", str(archive), db=db)
    assert result.exit_code == 2
    assert "Die Datei bilder.zip ist ein ZIP-Archiv, aber keine Tabelle" in (
        result.stderr
    )


def _ole_entry(name: str, kind: int, right: int, child: int, start: int) -> bytes:
    """One 128-byte directory entry of a compound file (MS-CFB 2.6)."""
    none = 0xFFFFFFFF
    raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
    size = 4096 if kind == 2 else 0
    return (
        raw.ljust(64, b"\x00")
        + struct.pack("<HBB3I", len(raw), kind, 1, none, right, child)
        + b"\x00" * 36
        + struct.pack("<IQ", start, size)
    )


def encrypted_workbook() -> bytes:
    """What Excel writes for "Mit Kennwort verschlüsseln": an OLE2 compound file
    with the streams EncryptionInfo and EncryptedPackage (MS-OFFCRYPTO), no sheets.
    """
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    # Sector 0: the FAT; 1: the directory; 2-9 and 10-17: the two 4 KiB streams.
    fat = [fat_sector, end, *range(3, 10), end, *range(11, 18), end]
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<5H", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    directory = (
        _ole_entry("Root Entry", 5, none, 1, end)
        + _ole_entry("EncryptionInfo", 2, 2, none, 2)
        + _ole_entry("EncryptedPackage", 2, none, none, 10)
        + _ole_entry("", 0, none, none, 0)
    )
    fats = b"".join(struct.pack("<I", n) for n in fat).ljust(512, b"\xff")
    info = b"\x04\x00\x04\x00" + b"\x00" * 4092
    return header + fats + directory + info + b"\x01" * 4096


def test_password_protected_workbook_says_so(cli: Cli, db: str, tmp_path: Path) -> None:
    path = tmp_path / "geheim.xlsx"
    path.write_bytes(encrypted_workbook())
    result = cli("import", str(path), db=db)
    assert result.exit_code == 2
    assert "Die Datei geheim.xlsx ist mit einem Passwort geschützt" in result.stderr
    assert "ohne Passwort speichern" in result.stderr


def test_excel_unicode_text_is_read(cli: Cli, db: str, tmp_path: Path) -> None:
    # Excel's "Speichern unter › Unicode-Text": UTF-16 LE with BOM, tabs.
    text = "Programm\tFördergeber\tLaufzeit\r\nKAoA\tLand NRW\t2016 - 2018\r\n"
    path = tmp_path / "übersicht.txt"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    result = cli("import", str(path), "--dry-run", db=db)
    assert result.exit_code == 0, result.output
    assert "Gesamt: 1 Zeile: 1 neu," in result.stdout
    assert "Fördergeber" in result.stdout or "KAoA" in result.stdout


# --- --sheet ----------------------------------------------------------------------


def test_sheet_name_ignores_case_and_blanks(cli: Cli, db: str, tmp_path: Path) -> None:
    copy = tmp_path / "uebersicht.xlsx"
    shutil.copy(OVERVIEW, copy)
    result = cli("import", str(copy), "--sheet", " übersicht ", "--dry-run", db=db)
    assert result.exit_code == 1, result.output  # read, two rows rejected
    assert "Blatt „Übersicht“ (Programmübersicht" in result.stdout
    assert "Blatt „Listen“ nicht importiert: nicht ausgewählt" in result.stdout


def test_unknown_sheet_lists_the_sheets(cli: Cli, db: str) -> None:
    result = cli("import", str(OVERVIEW), "--sheet", "Finanzen", db=db)
    assert result.exit_code == 2
    assert "'Finanzen'" in result.stderr
    assert "'Übersicht', 'alt 2015', 'Listen'" in result.stderr


def test_several_files_name_each_batch_and_undo_newest_first(cli: Cli, db: str) -> None:
    result = cli("import", str(OVERVIEW), str(DEADLINES), db=db, input="j\n")
    assert result.exit_code == 1, result.output
    assert (
        "Übernommen: uebersicht.xlsx als Import 1, fristen.xlsx als Import 2 "
        "(rückgängig, den neuesten zuerst: portfolio imports undo 2; "
        "portfolio imports undo 1)." in result.stdout
    )


GC_AT_EXIT = """
import atexit, gc, sys
from portfolio.cli import run
atexit.register(lambda: print("collector on:", gc.isenabled(), file=sys.stderr))
sys.argv = ["portfolio", *sys.argv[1:]]
run()
"""


def test_only_an_import_in_its_own_process_switches_the_collector_off(
    cli: Cli, db: str, tmp_path: Path
) -> None:
    """A process that ends with its import skips the collector's walk over a
    million objects; the same import inside another process (tests, a script,
    the web server) leaves the collector as it was."""
    sheet = OVERVIEW
    assert cli("import", str(sheet), "--yes", db=db).exit_code in (0, 1)  # rejects some
    assert gc.isenabled()

    def collector_on(*args: str) -> bool:
        done = run_python(GC_AT_EXIT, "--db", db, *args, cwd=tmp_path)
        return last_said(done, "collector on: ") == "True"

    assert not collector_on("import", str(sheet), "--yes", "--recheck")
    assert collector_on("programmes")
