"""Importing the same file again: recognised at once, never hiding a difference.

The office lead re-imports the workbook she keeps editing. When the file and what it
is read with are the same and nothing in the database changed since the file last
matched it, ``portfolio import`` says so without reading the file; any change in the
database, other options, ``--recheck`` or an undo mean a row-by-row comparison again.
Real SQLite and PostgreSQL, real xlsx files, the real CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from web_support import logged_in, prepare_db

from portfolio.domain.models import Award, Contact, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

RECOGNISED = "unverändert seit Import"

Cli = Callable[..., Any]


def overview(path: Path, amount: str = "120.000,00 €") -> Path:
    """A small programme overview that imports without a rejected row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Übersicht"
    sheet.append(["Programmübersicht Bildungsbüro"])
    sheet.append([])
    sheet.append(["Programm", "Kurzname", "Fördergeber", "Laufzeit", "Fördersumme"])
    sheet.append(["Kein Abschluss ohne Anschluss", "KAoA", "MAGS NRW",
                  "01.08.2016 - 31.07.2019", amount])  # fmt: skip
    sheet.append(["Zukunftsstadt Phase II", "ZS2", "BMBF",
                  "1.11.2016–30.4.2018", "95.000,00 €"])  # fmt: skip
    sheet.append(["* Beträge ohne Gewähr"])
    book.save(path)
    return path


def change_award(db: str, name: str, amount: Decimal) -> None:
    engine = open_database(db)
    with session_scope(engine, "test") as session:
        award = session.scalars(
            sa.select(Award).join(Programme).where(Programme.name == name)
        ).one()
        award.amount = amount
    engine.dispose()


def add_contact(db: str) -> None:
    engine = open_database(db)
    with session_scope(engine, "test") as session:
        session.add(Contact(name="Frau Albers", email="albers@kreis-re.de"))
    engine.dispose()


def test_same_file_is_recognised_and_a_database_change_is_not_hidden(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    path = overview(tmp_path / "uebersicht.xlsx")
    first = cli("import", str(path), "--yes", db=db_url)
    assert first.exit_code == 0, first.output
    assert "2 neu" in first.output

    again = cli("import", str(path), "--dry-run", db=db_url)
    assert again.exit_code == 0
    assert f"{RECOGNISED} 1" in again.output
    assert "3 Zeilen: 0 neu, 0 geändert, 2 unverändert, 1 übersprungen" in again.output

    # Someone corrects an amount in the database: the file differs again, and
    # the import must show it, not claim "unchanged".
    change_award(db_url, "Zukunftsstadt Phase II", Decimal("99000"))
    after_edit = cli("import", str(path), "--dry-run", db=db_url)
    assert RECOGNISED not in after_edit.output
    assert "1 geändert" in after_edit.output
    assert "99.000,00 € → 95.000,00 €" in after_edit.output


def test_a_full_comparison_that_finds_nothing_vouches_for_the_next_import(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    path = overview(tmp_path / "uebersicht.xlsx")
    assert cli("import", str(path), "--yes", db=db_url).exit_code == 0
    add_contact(db_url)  # a change elsewhere: the file must be compared once more

    # A dry run writes nothing, not even this bookkeeping.
    dry = cli("import", str(path), "--dry-run", db=db_url)
    assert RECOGNISED not in dry.output
    compared = cli("import", str(path), db=db_url)
    assert RECOGNISED not in compared.output
    assert "Keine Änderungen – die Datenbank enthält diesen Stand bereits." in (
        compared.output
    )
    recognised = cli("import", str(path), db=db_url)
    assert f"{RECOGNISED} 1" in recognised.output


def test_recheck_other_options_an_edited_file_and_undo_compare_row_by_row(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    path = overview(tmp_path / "uebersicht.xlsx")
    assert cli("import", str(path), "--yes", db=db_url).exit_code == 0

    rechecked = cli("import", str(path), "--recheck", db=db_url)
    assert RECOGNISED not in rechecked.output
    assert "2 unverändert" in rechecked.output

    other_sheet = cli("import", str(path), "--sheet", "Übersicht", db=db_url)
    assert RECOGNISED not in other_sheet.output

    overview(path, amount="130.000,00 €")  # one cell edited: another file
    edited = cli("import", str(path), "--yes", db=db_url)
    assert RECOGNISED not in edited.output
    assert "1 geändert" in edited.output
    assert f"{RECOGNISED} 2" in cli("import", str(path), db=db_url).output

    assert cli("imports", "undo", "2", db=db_url).exit_code == 0
    after_undo = cli("import", str(path), "--dry-run", db=db_url)
    assert RECOGNISED not in after_undo.output
    assert "1 geändert" in after_undo.output


def test_a_file_with_rejected_rows_is_always_compared(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    path = overview(tmp_path / "uebersicht.xlsx")
    book_path = tmp_path / "mit_fehler.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Programm", "Kurzname", "Fördergeber", "Laufzeit", "Fördersumme"])
    sheet.append(["Zukunftsstadt Phase II", "ZS2", "BMBF", "1.11.2016–30.4.2018",
                  "95.000,00 €"])  # fmt: skip
    sheet.append(["RAG-Projekt", "RAG", "RAG-Stiftung", "2016", "viel Geld"])
    book.save(book_path)
    assert cli("import", str(path), "--yes", db=db_url).exit_code == 0
    for _ in range(2):
        result = cli("import", str(book_path), "--yes", db=db_url)
        assert result.exit_code == 1
        assert RECOGNISED not in result.output
        assert "viel Geld" in result.output  # the rejected cell is shown each time


def test_yes_plans_once_and_json_gives_one_document(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    path = overview(tmp_path / "uebersicht.xlsx")
    applied = cli("import", str(path), "--yes", "--format", "json", db=db_url)
    assert applied.exit_code == 0
    document = json.loads(applied.stdout)
    assert document["applied"] is True
    assert document["totals"]["new"] == 2
    assert document["files"][0]["batch"] == 1

    repeated = cli("import", str(path), "--format", "json", db=db_url)
    document = json.loads(repeated.stdout)
    assert document["files"][0]["unchanged_since_batch"] == 1
    assert document["totals"] == {"new": 0, "changed": 0, "unchanged": 2,
                                  "rejected": 0, "skipped": 1, "rows": 3}  # fmt: skip


def test_a_file_imported_in_the_browser_is_recognised_on_the_command_line(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    prepare_db(db_url, demo=False)
    path = overview(tmp_path / "uebersicht.xlsx")
    http, token = logged_in(db_url, "editor")
    preview = http.post(
        "/import",
        data={"csrf_token": token},
        files={"datei": (path.name, path.read_bytes(), "application/octet-stream")},
    )
    assert preview.status_code == 200, preview.text
    applied = http.post("/import/uebernehmen", data={"csrf_token": token})
    assert applied.status_code == 200, applied.text

    again = cli("import", str(path), "--dry-run", db=db_url)
    assert f"{RECOGNISED} 1" in again.output
