"""Plan lines a re-imported Finanzen sheet no longer lists, on SQLite and PostgreSQL.

The workbook from ``portfolio export xlsx`` with one Ausgaben position and one
Einnahme of Zukunftsstadt 2017 deleted (openpyxl, as a person would): the preview
names both "nicht mehr in der Datei – bleibt gespeichert" and they stay; only with
the import's explicit ``--remove-missing`` are they deleted, and undoing the import
brings them back. A Finanzierungsplan sheet of a Bescheid (one award, positions ×
years) is treated the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa

from portfolio.domain.models import Award, BudgetLine, IncomeLine
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

ZS = "Zukunftsstadt – BMBF (DEMO-ZUKUNFTSSTADT-II)"


def _plan(db_url: str) -> set[tuple[str, int, Decimal]]:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        lines = {(b.category, b.year, b.planned) for b in award.budget_lines}
        lines |= {
            (f"Einnahme {i.kind.value}", i.year, i.planned)
            for i in session.scalars(
                sa.select(IncomeLine).where(IncomeLine.award_id == award.id)
            )
        }
    engine.dispose()
    return lines


def _drop_rows(workbook: Path, *wanted: tuple[str, int]) -> None:
    book = openpyxl.load_workbook(workbook)
    ws = book["Finanzen"]
    rows = [
        r[0].row
        for r in ws.iter_rows(min_row=2)
        if r[0].value == ZS and (r[1].value, r[2].value) in wanted
    ]
    assert len(rows) == len(wanted)
    for number in sorted(rows, reverse=True):
        ws.delete_rows(number)
    book.save(workbook)


def test_gone_plan_lines_stay_unless_removed_explicitly(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    workbook = tmp_path / "mappe.xlsx"
    assert cli("export", "xlsx", "-o", str(workbook), db=db_url).exit_code == 0
    _drop_rows(
        workbook, ("Öffentlichkeitsarbeit", 2017), ("Einnahme: Eigenanteil", 2017)
    )
    before = _plan(db_url)
    assert ("Öffentlichkeitsarbeit", 2017, Decimal("1500.00")) in before

    kept = cli("import", str(workbook), "--yes", db=db_url)
    assert kept.exit_code == 0, kept.output
    line = next(
        x for x in kept.output.splitlines() if "bleibt gespeichert" in x
    ).replace("\xa0", " ")
    assert "Nicht mehr in der Datei – bleibt gespeichert" in line
    assert "„Zukunftsstadt: Öffentlichkeitsarbeit 2017“" in line
    assert "„Zukunftsstadt: Einnahme Eigenanteil 2017“" in line
    assert "Zukunftsstadt: Personal" not in line  # still listed
    assert "wird gelöscht" not in kept.output
    assert _plan(db_url) == before

    shown = cli("import", str(workbook), "--remove-missing", "--dry-run", db=db_url)
    assert shown.exit_code == 0, shown.output
    going = [x for x in shown.output.splitlines() if "wird gelöscht (2)" in x]
    assert len(going) == 1 and "Öffentlichkeitsarbeit 2017" in going[0], shown.output
    assert _plan(db_url) == before  # a preview deletes nothing

    applied = cli("import", str(workbook), "--remove-missing", "--yes", db=db_url)
    assert applied.exit_code == 0, applied.output
    assert "Nicht mehr in der Datei – gelöscht (2)" in applied.output
    after = _plan(db_url)
    assert before - after == {
        ("Öffentlichkeitsarbeit", 2017, Decimal("1500.00")),
        next(x for x in before if x[0] == "Einnahme eigenanteil" and x[1] == 2017),
    }
    # The other years of the position stay: the sheet still lists them.
    assert any(c == "Öffentlichkeitsarbeit" and y != 2017 for c, y, _ in after)

    batch = applied.output.split("portfolio imports undo ")[1].split(")")[0]
    undone = cli("imports", "undo", batch, db=db_url)
    assert undone.exit_code == 0, undone.output
    assert _plan(db_url) == before


def test_a_year_exported_alone_leaves_the_other_years_alone(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    workbook = tmp_path / "mappe.xlsx"
    result = cli("export", "xlsx", "--year", "2017", "-o", str(workbook), db=db_url)
    assert result.exit_code == 0, result.output
    before = _plan(db_url)
    again = cli("import", str(workbook), "--remove-missing", "--yes", db=db_url)
    assert again.exit_code == 0, again.output
    assert "bleibt gespeichert" not in again.output
    assert "gelöscht" not in again.output
    assert _plan(db_url) == before
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        years = set(session.scalars(sa.select(BudgetLine.year)))
    engine.dispose()
    assert years - {2017}  # lines of other years exist and stayed


def test_a_bescheids_plan_sheet_replaces_the_plan_only_when_asked(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Finanzierungsplan"
    for row in [
        ["Finanzierungsplan zum Änderungsbescheid"],
        [],
        ["Ausgaben", "2016", "2017", "2018", "Summe"],
        ["Personal", 12000, 72000, 24000, 108000],
        ["Honorare", 6000, 50000, 14000, 70000],
        ["Einnahmen"],
        ["Zuwendung", 16200, 109800, 34200, 160200],
    ]:
        ws.append(row)
    path = tmp_path / "finanzierungsplan.xlsx"
    book.save(path)
    before = _plan(db_url)
    args = ("import", str(path), "--programme", "zukunftsstadt")
    kept = cli(*args, "--yes", db=db_url)
    assert kept.exit_code == 0, kept.output
    line = next(x for x in kept.output.splitlines() if "bleibt gespeichert" in x)
    for gone in ("Reisen 2016", "Veranstaltungen 2017", "Öffentlichkeitsarbeit 2018",
                 "Einnahme Eigenanteil 2016"):  # fmt: skip
        assert f"„Zukunftsstadt: {gone}“" in line
    assert "Personal" not in line and "Einnahme Zuwendung" not in line
    assert {(c, y) for c, y, _ in _plan(db_url)} == {(c, y) for c, y, _ in before}

    replaced = cli(*args, "--remove-missing", "--yes", db=db_url)
    assert replaced.exit_code == 0, replaced.output
    assert {(c, y) for c, y, _ in _plan(db_url)} == {
        (c, y)
        for c in ("Personal", "Honorare", "Einnahme zuwendung")
        for y in (2016, 2017, 2018)
    }
