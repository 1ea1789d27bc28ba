"""An import that changes an award's term moves the deadlines its rules imply.

Zukunftsstadt Phase II runs under ANBest-Gk: the Verwendungsnachweis is due a year
after the Bewilligungszeitraum. Extending the term in the office lead's workbook and
importing it must move that deadline – and undoing the import must move it back.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import sqlalchemy as sa

from portfolio.domain.models import Obligation
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def _vn_due(url: str) -> list[date]:
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        dues = list(
            session.scalars(
                sa.select(Obligation.due_on)
                .join(Obligation.programme)
                .where(
                    Obligation.origin.like("rule:%"),
                    Obligation.kind == "verwendungsnachweis",
                    Obligation.title.like("Verwendungsnachweis%"),
                    Obligation.programme.has(key="zukunftsstadt"),
                )
            )
        )
    engine.dispose()
    return dues


def test_extending_the_term_moves_the_verwendungsnachweis(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    assert _vn_due(sqlite_url) == [date(2019, 4, 30)]
    book_path = tmp_path / "mappe.xlsx"
    assert cli("export", "xlsx", "-o", str(book_path), db=sqlite_url).exit_code == 0
    book = openpyxl.load_workbook(book_path)
    sheet = book["Übersicht"]
    header = [cell.value for cell in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, header.index("_key") + 1).value == "zukunftsstadt":
            cell = sheet.cell(row, header.index("Laufzeit") + 1)
            assert cell.value == "01.11.2016 – 30.04.2018"
            cell.value = "01.11.2016 – 31.10.2018"
    book.save(book_path)

    result = cli("import", str(book_path), "--yes", db=sqlite_url)
    assert result.exit_code == 0, result.output
    assert _vn_due(sqlite_url) == [date(2019, 10, 31)]

    history = cli("imports", db=sqlite_url)
    batch = history.output.split("\n")
    assert any("mappe.xlsx" in line for line in batch)
    engine = open_database(sqlite_url)
    with session_scope(engine, read_only=True) as session:
        from portfolio.domain.models import ImportBatch

        batch_id = session.scalar(sa.select(sa.func.max(ImportBatch.id)))
    engine.dispose()
    undone = cli("imports", "undo", str(batch_id), db=sqlite_url)
    assert undone.exit_code == 0, undone.output
    assert _vn_due(sqlite_url) == [date(2019, 4, 30)]


def test_preview_names_a_new_responsible_person(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    book_path = tmp_path / "mappe.xlsx"
    assert cli("export", "xlsx", "-o", str(book_path), db=sqlite_url).exit_code == 0
    book = openpyxl.load_workbook(book_path)
    sheet = book["Fristen"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("zuständig") + 1
    sheet.cell(2, column).value = "kaoa@example.org"
    book.save(book_path)
    result = cli("import", str(book_path), "--dry-run", db=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "zuständig:" in result.output
    assert "kaoa@example.org" in result.output.split("zuständig:", 1)[1].splitlines()[0]
    assert "object at 0x" not in result.output
