"""The workbook's sheet Mittelabrufe: written by the export, re-imported, on SQLite
and PostgreSQL.

Real xlsx files from ``portfolio export xlsx``, edited with openpyxl as a person
would: an unedited workbook changes nothing; an edited amount and date change that
payment, a new row adds one (its spending deadline follows), a Rückzahlung marked
"ja" is one; wrong values are refused with sheet, row and column in German. The
Finanzen sheet's Ist stays the finance system's, whatever the sheet says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa
from web_support import prepare_db

from portfolio.domain.enums import DisbursementKind, ObligationKind
from portfolio.domain.models import Award, Disbursement, Expense, Obligation
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

ZS = "DEMO-ZUKUNFTSSTADT-II"


def _export(cli: Callable[..., Any], db_url: str, tmp_path: Path) -> Path:
    prepare_db(db_url)
    target = tmp_path / "mappe.xlsx"
    result = cli("export", "xlsx", "-o", str(target), db=db_url)
    assert result.exit_code == 0, result.output
    return target


def _payments(db_url: str) -> list[tuple[str, date | None, Decimal, date | None, str]]:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        rows = session.execute(
            sa.select(
                Award.reference, Disbursement.requested_on, Disbursement.amount,
                Disbursement.received_on, Disbursement.kind,
            ).join(Award).order_by(Disbursement.id)
        ).all()  # fmt: skip
    engine.dispose()
    return [(r, q, a, g, k.value) for r, q, a, g, k in rows]


def _rows(ws: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2)]


def test_sheet_lists_every_payment_and_reimports_unchanged(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    target = _export(cli, db_url, tmp_path)
    stored = _payments(db_url)
    assert stored  # the demo's example payments
    ws = openpyxl.load_workbook(target)["Mittelabrufe"]
    header = [c.value for c in ws[1]]
    assert header[:7] == [
        "Programm", "Förderkennzeichen", "angefordert am", "Betrag",
        "eingegangen am", "Rückzahlung", "Bemerkung",
    ]  # fmt: skip
    assert header[7:] == ["_key", "_award", "_id"]
    assert ws.column_dimensions["H"].hidden and ws.column_dimensions["I"].hidden
    rows = _rows(ws)
    assert len(rows) == len(stored)
    first = next(r for r in rows if r[1] == ZS)
    assert first[0].startswith("Zukunftsstadt – ") and isinstance(first[3], int | float)
    assert first[5] in ("ja", "nein")
    unchanged = cli("import", str(target), "--yes", db=db_url)
    assert unchanged.exit_code == 0, unchanged.output
    assert "Keine Änderungen" in unchanged.output, unchanged.output
    assert _payments(db_url) == stored


def test_edited_and_new_rows_change_and_add_payments(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    target = _export(cli, db_url, tmp_path)
    before = _payments(db_url)
    book = openpyxl.load_workbook(target)
    ws = book["Mittelabrufe"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == ZS)
    old_amount = Decimal(str(row[3].value)).quantize(Decimal("0.01"))
    row[3].value = 41234.5
    row[6].value = "Betrag lt. Kontoauszug"
    key, award_id = row[7].value, row[8].value
    # A new Mittelabruf, typed the German way, and a Rückzahlung.
    ws.append(["Zukunftsstadt", ZS, "01.03.2017", "12.500,00", "10.03.2017",
               "nein", "zweiter Abruf", key, award_id, None])  # fmt: skip
    ws.append(["Zukunftsstadt", ZS, None, 800, datetime(2017, 3, 14), "ja",
               None, key, award_id, None])  # fmt: skip
    # The Ist of the Finanzen sheet is the finance system's: an edit is not read.
    finance = book["Finanzen"]
    ist = next(r for r in finance.iter_rows(min_row=2) if r[1].value == "Personal")
    ist[4].value = 1
    book.save(target)
    result = cli("import", str(target), "--yes", db=db_url)
    assert result.exit_code == 0, result.output
    assert "Betrag: " in result.output and "41.234,50 €" in result.output
    after = _payments(db_url)
    assert len(after) == len(before) + 2
    assert (ZS, date(2017, 3, 1), Decimal("12500.00"), date(2017, 3, 10), "abruf") in (
        after
    )
    assert (ZS, None, Decimal("800.00"), date(2017, 3, 14), "rueckzahlung") in after
    amounts = [a for r, _q, a, _g, _k in after if r == ZS]
    assert Decimal("41234.50") in amounts and old_amount not in amounts
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        note = session.scalar(
            sa.select(Disbursement.note).where(Disbursement.amount == 41234.5)
        )
        spending = session.scalars(
            sa.select(Obligation.title).where(
                Obligation.award_id == award_id,
                Obligation.kind == ObligationKind.MITTELVERWENDUNG,
            )
        ).all()
        spent = session.scalar(
            sa.select(sa.func.count()).select_from(Expense).where(Expense.amount == 1)
        )
        kinds = {d.kind for d in session.scalars(sa.select(Disbursement))}
    engine.dispose()
    assert note == "Betrag lt. Kontoauszug"
    assert any("10.03.2017" in title for title in spending), spending
    assert spent == 0 and DisbursementKind.RUECKZAHLUNG in kinds
    # The same workbook again adds nothing: the new rows are now stored.
    again = cli("import", str(target), "--yes", db=db_url)
    assert again.exit_code == 0, again.output
    assert len(_payments(db_url)) == len(after)


def test_bad_values_are_refused_with_sheet_row_and_column(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    target = _export(cli, db_url, tmp_path)
    before = _payments(db_url)
    book = openpyxl.load_workbook(target)
    ws = book["Mittelabrufe"]
    count = ws.max_row
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == ZS)
    key, award_id = row[7].value, row[8].value
    ws.append(["Zukunftsstadt", ZS, "01.03.2017", "zwölf Euro", None, "nein",
               None, key, award_id, None])  # fmt: skip
    ws.append(["Zukunftsstadt", ZS, "05.03.2017", 100, "01.03.2017", "vielleicht",
               None, key, award_id, None])  # fmt: skip
    ws.append(["Zukunftsstadt", ZS, "05.03.2017", 100, "01.03.2017", "nein",
               None, key, award_id, None])  # fmt: skip
    ws.append(["Zukunftsstadt", "GIBT-ES-NICHT", "05.03.2017", 100, None, "nein",
               None, None, None, None])  # fmt: skip
    book.save(target)
    result = cli("import", str(target), "--yes", db=db_url)
    assert result.exit_code == 1, result.output
    out = " ".join(result.output.split())
    sheet = out.split("Blatt „Mittelabrufe“ (Mittelabrufe, Kopfzeile 1)")[1]
    assert f"Zeile {count + 1}, Spalte D (Betrag) abgelehnt: Das ist kein Betrag" in (
        sheet
    )
    assert (
        f"Zeile {count + 2}, Spalte F (Rückzahlung) abgelehnt: Hier wird ja oder "
        "nein erwartet"
    ) in sheet
    assert (
        f"Zeile {count + 3}, Spalte E (eingegangen am) abgelehnt: Eingang vor der "
        "Anforderung (05.03.2017)"
    ) in sheet
    assert f"Zeile {count + 4}, Spalte B (Förderkennzeichen) abgelehnt" in sheet
    assert "4 abgelehnt" in sheet
    assert _payments(db_url) == before  # nothing of the rejected rows


def test_a_payment_gone_from_the_sheet_is_deleted_only_when_asked(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    target = _export(cli, db_url, tmp_path)
    before = _payments(db_url)
    book = openpyxl.load_workbook(target)
    ws = book["Mittelabrufe"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == ZS and r[4].value)
    award_id, requested = row[8].value, row[2].value.date()
    ws.delete_rows(row[0].row)
    book.save(target)

    def spending() -> int:
        engine = open_database(db_url)
        with session_scope(engine, read_only=True) as session:
            count = session.scalar(
                sa.select(sa.func.count())
                .select_from(Obligation)
                .where(
                    Obligation.award_id == award_id,
                    Obligation.kind == ObligationKind.MITTELVERWENDUNG,
                )
            )
        engine.dispose()
        return int(count or 0)

    deadlines = spending()
    kept = cli("import", str(target), "--yes", db=db_url)
    assert kept.exit_code == 0, kept.output
    line = next(x for x in kept.output.splitlines() if "bleibt gespeichert" in x)
    assert f"Mittelabruf vom {requested:%d.%m.%Y} über " in line
    assert _payments(db_url) == before

    gone = cli("import", str(target), "--remove-missing", "--yes", db=db_url)
    assert gone.exit_code == 0, gone.output
    assert "Nicht mehr in der Datei – gelöscht (1)" in gone.output
    assert len(_payments(db_url)) == len(before) - 1
    assert spending() == deadlines - 1  # its spending deadline went with it

    batch = gone.output.split("portfolio imports undo ")[1].split(")")[0]
    undone = cli("imports", "undo", batch, db=db_url)
    assert undone.exit_code == 0, undone.output
    assert _payments(db_url) == before and spending() == deadlines
