"""Booking lists of the finance system: read, matched by code, re-imported, undone.

The files are written by the tests in the shapes finance systems export: CSV in
cp1252 with ``;`` and title rows, signed amounts with a trailing minus; XLSX with a
title block, Soll/Haben columns and real dates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from money_support import demo_without_money
from sqlalchemy.orm import Session

from imports.bookings import read_bookings
from portfolio.domain.models import Award, Change, Expense, ImportBatch
from portfolio.services.import_bookings import COLUMNS, apply_bookings, plan_bookings
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

HEADER = (
    "Buchungsdatum;Belegnummer;Sachkonto;Kostenstelle;Kostenträger;Buchungstext;Betrag"
)
LINES = [
    "31.01.2017;B-100;501100;4711;KT-ZUK;Gehalt Januar Müller;4.100,50",
    "31.01.2017;B-100;501100;4711;KT-ZUK;Gehalt Januar Müller;4.100,50",
    "03.02.2017;R-7;543100;4711;A-KOKO;Druckerei Öffentlichkeitsarbeit;1.190,00",
    "06.02.2017;R-8;543100;4711;A-KOKO;Gutschrift Druckerei;119,00-",
    "07.02.2017;X-1;543100;4711;KT-FREMD;Fremde Buchung;50,00",
    "08.02.2017;X-2;543100;4711;KT-FREMD;Fremde Buchung;60,00",
    "09.02.2017;X-3;501100;4711;;Ohne Kostenträger;70,00",
    ";;;;;Summe;9.571,00",
]


def _csv(path: Path, lines: list[str]) -> Path:
    text = "Sachkontenauszug Fachdienst 40\r\nZeitraum: 01.01.2017 - 28.02.2017\r\n\r\n"
    text += HEADER + "\r\n" + "\r\n".join(lines) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    return path


@pytest.fixture
def money_db(cli: Callable[..., object], db_url: str) -> str:
    """The demo with codes and Sachkonto mappings on two awards."""
    result = cli("demo", db=db_url)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    engine = open_database(db_url)
    with session_scope(engine) as session:
        # The demo's example bookings aside: every booking here comes from a file.
        demo_without_money(session)
        awards = {a.reference: a for a in session.scalars(sa.select(Award))}
        zukunft = awards["DEMO-ZUKUNFTSSTADT-II"]
        zukunft.accounting_codes = ["KT-ZUK"]
        zukunft.account_categories = {"5011": "Personal", "543": "Sachausgaben"}
        koko = awards["DEMO-KOKO-2016"]
        koko.accounting_codes = ["A-KOKO"]
        koko.account_categories = {"501": "Personal", "5431": "Sachausgaben"}
    engine.dispose()
    return db_url


def _expenses(url: str) -> list[Expense]:
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        rows = list(session.scalars(sa.select(Expense).order_by(Expense.id)))
    engine.dispose()
    return rows


def test_csv_booking_list_imports_by_code_and_reimports_only_new(
    cli, money_db: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "buchungen.csv", LINES)
    result = cli("import", str(path), "--yes", db=money_db)
    assert result.exit_code == 0, result.output
    assert "4 neu" in result.output
    assert "Kostenträger KT-FREMD: 2" in result.output
    assert "Kostenstelle 4711: 1" in result.output
    expenses = _expenses(money_db)
    assert [(e.reference, e.occurrence, e.amount) for e in expenses] == [
        ("B-100", 1, Decimal("4100.50")),
        ("B-100", 2, Decimal("4100.50")),
        ("R-7", 1, Decimal("1190.00")),
        ("R-8", 1, Decimal("-119.00")),
    ]
    assert expenses[0].text == "Gehalt Januar Müller"
    assert expenses[0].category == "Personal"
    assert expenses[2].category == "Sachausgaben"
    assert expenses[0].spent_on == date(2017, 1, 31) and expenses[0].year == 2017

    # The next export overlaps: only the one new line is added.
    later = _csv(
        tmp_path / "buchungen-maerz.csv",
        [*LINES[:4], "01.03.2017;B-200;501100;4711;KT-ZUK;Gehalt Februar;4.100,50"],
    )
    again = cli("import", str(later), "--yes", db=money_db)
    assert again.exit_code == 0, again.output
    assert "1 neu, 4 schon vorhanden" in again.output
    assert len(_expenses(money_db)) == 5

    # Undo the second import as a batch: the four of the first stay.
    engine = open_database(money_db)
    with session_scope(engine, read_only=True) as session:
        batch = max(session.scalars(sa.select(ImportBatch.id)))
    engine.dispose()
    undone = cli("imports", "undo", str(batch), db=money_db)
    assert undone.exit_code == 0, undone.output
    assert [e.reference for e in _expenses(money_db)] == [
        "B-100",
        "B-100",
        "R-7",
        "R-8",
    ]


def test_unmapped_sachkonto_and_bad_cells_are_rejected_with_place(
    cli, money_db: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "buchungen.csv",
        [
            LINES[0],
            "31.01.2017;B-101;611000;4711;KT-ZUK;Miete;300,00",
            "31.01.2017;B-102;501100;4711;KT-ZUK;Gehalt;zwölf",
            "31.01.2017;;501100;4711;KT-ZUK;Gehalt;12,00",
        ],
    )
    result = cli("import", str(path), "--yes", db=money_db)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "buchungen.csv, Zeile 6, Spalte Sachkonto: Das Sachkonto 611000" in out
    assert "Position des Finanzierungsplans zugeordnet" in out
    assert "Zeile 7, Spalte Betrag (G): 'zwölf' ist kein Betrag" in out
    assert "Zeile 8, Spalte Belegnummer (B): Die Belegnummer fehlt" in out
    assert [e.reference for e in _expenses(money_db)] == ["B-100"]


def test_nothing_usable_is_exit_2_and_dry_run_writes_nothing(
    cli, money_db: str, tmp_path: Path
) -> None:
    bad = _csv(tmp_path / "b.csv", ["31.01.2017;B-101;611000;4711;KT-ZUK;Miete;300,00"])
    result = cli("import", str(bad), "--yes", db=money_db)
    assert result.exit_code == 2
    assert "Keine Zeile der Buchungsliste ist verwendbar" in result.output
    good = _csv(tmp_path / "g.csv", LINES[:1])
    dry = cli("import", str(good), "--dry-run", "--format", "json", db=money_db)
    assert dry.exit_code == 0
    assert json.loads(dry.output)["counts"]["new"] == 1
    assert _expenses(money_db) == []


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Buchungsliste"
    sheet.append(["Kreis Recklinghausen – Buchungsliste Kostenträger"])
    sheet.append(["Stand: 15.03.2017"])
    sheet.append([])
    sheet.append(
        ["Buch.-Datum", "Beleg-Nr.", "Sachkonto", "Auftrag", "Text", "Soll", "Haben"]
    )
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_soll_haben_and_title_rows(
    cli, money_db: str, tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path / "buchungsliste.xlsx",
        [
            [date(2017, 2, 1), "R-1", 543100, "A-KOKO", "Flyer", 500.0, None],
            [date(2017, 2, 2), "R-2", 543100, "A-KOKO", "Storno Flyer", None, 100.0],
            [date(2017, 2, 3), "R-3", 543100, "A-KOKO", "beides", 10.0, 10.0],
            [date(2017, 2, 4), "R-4", 543100, "A-KOKO", "negativ", -5.0, None],
        ],
    )
    result = cli("import", str(path), "--yes", db=money_db)
    assert result.exit_code == 1, result.output
    assert (
        "Zeile 7, Spalte Soll (F)/Haben (G): Soll und Haben zugleich" in result.output
    )
    assert "Zeile 8, Spalte Soll (F): In Soll und Haben stehen Beträge ohne" in (
        result.output
    )
    expenses = _expenses(money_db)
    assert [(e.reference, e.amount, e.account) for e in expenses] == [
        ("R-1", Decimal("500.00"), "543100"),
        ("R-2", Decimal("-100.00"), "543100"),
    ]
    assert sum(e.amount for e in expenses) == Decimal("400.00")


def test_signed_amount_with_soll_haben_mark(cli, money_db: str, tmp_path: Path) -> None:
    text = (
        "Buchungsdatum;Belegnummer;Sachkonto;Auftrag;Buchungstext;Betrag;S/H\r\n"
        "01.02.2017;R-1;543100;A-KOKO;Flyer;500,00;S\r\n"
        "02.02.2017;R-2;543100;A-KOKO;Gutschrift;100,00;H\r\n"
        "03.02.2017;R-3;543100;A-KOKO;falsch;-100,00;H\r\n"
        "04.02.2017;R-4;543100;A-KOKO;unklar;100,00;X\r\n"
    )
    path = tmp_path / "sh.csv"
    path.write_bytes(text.encode("cp1252"))
    result = cli("import", str(path), "--yes", db=money_db)
    assert result.exit_code == 1, result.output
    assert "Zeile 4, Spalte Betrag (F): Negativer Betrag und ein Soll/Haben" in (
        result.output
    )
    assert "Zeile 5, Spalte S/H (G): 'X' ist kein Soll/Haben-Kennzeichen" in (
        result.output
    )
    assert [e.amount for e in _expenses(money_db)] == [
        Decimal("500.00"),
        Decimal("-100.00"),
    ]


def test_office_default_mapping_applies_when_the_award_has_none(
    cli, money_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _csv(
        tmp_path / "b.csv", ["31.01.2017;B-101;611000;4711;KT-ZUK;Miete;300,00"]
    )
    monkeypatch.setenv("PORTFOLIO_ACCOUNT_CATEGORIES", "61=Miete; 5=Sonstiges")
    result = cli("import", str(path), "--yes", db=money_db)
    assert result.exit_code == 0, result.output
    assert [e.category for e in _expenses(money_db)] == ["Miete"]


def test_bulk_written_bookings_are_stored_as_the_orm_stores_them(
    money_db: str, tmp_path: Path
) -> None:
    # Expenses and their change-log rows go to the driver directly (bulk.py);
    # the same values added as ORM objects must be stored alike, byte for byte.
    long_text = "Honorar „Öffentlichkeitsarbeit“ 100 % € " * 10  # cut to 300
    path = _csv(
        tmp_path / "buchungen.csv",
        [*LINES[:4], f"28.02.2017;B-300;501100;4711;KT-ZUK;{long_text};0,10-"],
    )
    booking_file = read_bookings(path)
    assert booking_file is not None
    engine = open_database(money_db)
    with session_scope(engine, "bulk") as session:
        batch = apply_bookings(session, plan_bookings(session, booking_file))
    with session_scope(engine, "orm") as session:
        bulk = list(
            session.scalars(
                sa.select(Expense)
                .where(Expense.import_batch_id == batch)
                .order_by(Expense.id)
            )
        )
        assert [e.occurrence for e in bulk] == [1, 2, 1, 1, 1]
        assert bulk[-1].amount == Decimal("-0.10") and len(bulk[-1].text or "") == 300
        session.info["batch_id"] = batch
        orm = [Expense(**{c: getattr(e, c) for c in COLUMNS}) for e in bulk]
        session.add_all(orm)
        session.flush()
        bulk_ids, orm_ids = [e.id for e in bulk], [e.id for e in orm]
        table = Expense.__table__
        assert _stored(session, table, bulk_ids) == _stored(session, table, orm_ids)
        logged = {
            change.entity_id: change
            for change in session.scalars(
                sa.select(Change).where(Change.entity == "expenses")
            )
        }
        for by_bulk, by_orm in zip(bulk_ids, orm_ids, strict=True):
            a, b = logged[str(by_bulk)], logged[str(by_orm)]
            assert (a.action, a.before, a.batch_id) == (b.action, b.before, b.batch_id)
            assert a.after is not None and b.after is not None
            assert a.after.pop("id") == by_bulk and b.after.pop("id") == by_orm
            assert a.after == b.after
    engine.dispose()


def _stored(session: Session, table: sa.Table, ids: list[int]) -> list[tuple[Any, ...]]:
    """Every column but the key as the database holds it (and its SQLite type)."""
    columns = [c for c in table.columns if not c.primary_key]
    texts: list[Any] = [sa.cast(c, sa.Text) for c in columns]
    if session.get_bind().dialect.name == "sqlite":
        texts += [sa.func.typeof(c) for c in columns]
    query = sa.select(*texts).where(table.c.id.in_(ids)).order_by(table.c.id)
    return [tuple(row) for row in session.execute(query)]


def test_amounts_beyond_any_decimal_are_rejected_not_a_crash(
    cli, money_db: str, tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path / "gross.xlsx",
        [
            [date(2017, 2, 1), "R-1", 543100, "A-KOKO", "Flyer", 500.0, None],
            [date(2017, 2, 2), "R-2", 543100, "A-KOKO", "Tippfehler", 1e30, None],
            [date(2017, 2, 3), "R-3", 543100, "A-KOKO", "Text", "9" * 40, None],
        ],
    )
    result = cli("import", str(path), "--yes", db=money_db)
    assert result.exit_code == 1, result.output
    assert "Zeile 6, Spalte Soll (F): '1e+30' ist kein Betrag" in result.output
    assert f"Zeile 7, Spalte Soll (F): '{'9' * 40}' ist kein Betrag" in result.output
    assert [e.reference for e in _expenses(money_db)] == ["R-1"]


def test_values_beyond_the_stored_columns_are_rejected_rows(
    cli, money_db: str, tmp_path: Path
) -> None:
    """PostgreSQL refused them with a database error that stopped the import.

    (A Buchungstext is cut to its column instead: a shorter text still says it.)
    """
    long_reference = "R-" + "9" * 59  # 61 characters
    path = _xlsx(
        tmp_path / "grenzen.xlsx",
        [
            [date(2017, 2, 1), "R-1", 543100, "A-KOKO", "Flyer", 500.0, None],
            [date(2017, 2, 2), long_reference, 543100, "A-KOKO", "Flyer", 10.0, None],
            [date(2017, 2, 3), "R-3", 543100, "A-KOKO", "Text", 1e12, None],
            [
                date(2017, 2, 5),
                "R-5",
                543100,
                "A-KOKO",
                "Grenze",
                999999999999.99,
                None,
            ],
        ],
    )
    result = cli("import", str(path), "--yes", db=money_db)
    assert result.exit_code == 1, result.output
    out = result.output
    assert (
        "Zeile 6, Spalte Beleg-Nr. (B): Die Belegnummer ist zu lang "
        "(61 statt höchstens 60 Zeichen)" in out
    )
    assert (
        "Zeile 7, Spalte Soll (F): Der Betrag 1.000.000.000.000,00 € ist zu groß" in out
    )
    stored = _expenses(money_db)
    assert [(e.reference, e.amount) for e in stored] == [
        ("R-1", Decimal("500.00")),
        ("R-5", Decimal("999999999999.99")),
    ]
