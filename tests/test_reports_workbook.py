"""The portfolio workbook: sheets, formats, text never a formula, the round trip."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from portfolio.domain.enums import ObligationStatus
from portfolio.domain.models import Award, Obligation, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from reports import build_workbook

SHEETS = [
    "Übersicht",
    "Fristen",
    "Finanzen",
    "Mittelabrufe",
    "Zeitstrahl",
    "Förderer",
    "Änderungen",
    "_portfolio",
]


@pytest.fixture
def demo_db(db_url: str, cli) -> str:
    result = cli("demo", db=db_url)
    assert result.exit_code == 0, result.output
    return db_url


def _export(cli, db: str, tmp_path: Path, *args: str) -> openpyxl.Workbook:
    target = tmp_path / "mappe.xlsx"
    result = cli("export", "xlsx", "-o", str(target), *args, db=db)
    assert result.exit_code == 0, result.output
    assert "Arbeitsmappe geschrieben" in result.output
    return openpyxl.load_workbook(target)


def _header(ws) -> list[str]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def _rows(ws) -> list[dict[str, object]]:
    names = _header(ws)
    return [
        dict(zip(names, (c.value for c in row), strict=False))
        for row in ws.iter_rows(min_row=2)
        if any(c.value is not None for c in row)
    ]


def test_sheets_values_and_formats(demo_db: str, cli, tmp_path: Path) -> None:
    book = _export(cli, demo_db, tmp_path)
    assert book.sheetnames == SHEETS
    assert book["_portfolio"].sheet_state == "hidden"
    ws = book["Übersicht"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$1"
    rows = {r["_key"]: (r, i) for i, r in enumerate(_rows(ws), 2)}
    koko, n = rows["kommunale-koordinierung"]
    assert koko["Fördersumme (Bescheid)"] == 398856
    assert koko["Gesamtbetrag"] == 398856
    assert (
        ws.cell(n, _header(ws).index("Gesamtbetrag") + 1).number_format
        == '#,##0.00 "€"'
    )
    assert koko["Fördergeber"] == "BMBF"
    assert koko["Laufzeit"] == "01.08.2016 – 30.06.2018"
    assert koko["Nächste Frist"] == dt.datetime(2017, 5, 2)
    assert (
        ws.cell(n, _header(ws).index("Nächste Frist") + 1).number_format == "DD.MM.YYYY"
    )
    assert rows["zukunftsstadt"][0]["Gesamtlaufzeit"] == "01/2015 – 30.04.2018"
    assert rows["zukunftsstadt"][0]["Laufzeit"] == "01.11.2016 – 30.04.2018"
    hidden = {
        i
        for d in ws.column_dimensions.values()
        if d.hidden
        for i in range(d.min, d.max + 1)
    }
    keys = {_header(ws).index(name) + 1 for name in ("_key", "_id", "_award")}
    assert hidden == keys
    [rule] = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert rule.formula == ["AND(ISNUMBER($J2),$J2<DATE(2017,3,15))"]  # overdue

    deadlines = _rows(book["Fristen"])
    # every open obligation of the demo: 9 to meet, the spending deadline of
    # Zukunftsstadt's payment of 25.11.2016 (40.000 € called early, overdue since
    # 25.01.2017; KoKo's payments were spent in time), 4 retention dates
    assert len(deadlines) == 14
    spend = [d for d in deadlines if d["Art"] == "Mittelverwendung"]
    assert [(d["Programm"], d["fällig am"]) for d in spend] == [
        ("Zukunftsstadt", dt.datetime(2017, 1, 25))
    ]
    keep = [d for d in deadlines if d["Art"] == "Aufbewahrung bis"]
    assert [d["fällig am"] for d in keep] == [
        dt.datetime(2018, 8, 31),  # LVO 1: VN 31.08.2013 + 5 years
        dt.datetime(2020, 8, 31),  # LVO 2: VN 31.08.2015 + 5 years
        dt.datetime(2024, 4, 30),  # Zukunftsstadt II: VN 30.04.2019 + 5 years
        dt.datetime(2024, 6, 30),  # KoKo: VN 30.06.2019 + 5 years
    ]
    first = deadlines[1]  # the first after the overdue spending deadline
    assert first["fällig am"] == dt.datetime(2017, 4, 30)
    assert first["verschoben auf (Werktag)"] == dt.datetime(2017, 5, 2)
    [rule] = [r for cf in book["Fristen"].conditional_formatting for r in cf.rules]
    assert "DATE(2017,3,15)" in rule.formula[0] and '$G2=""' in rule.formula[0]
    assert '$C2<>"Aufbewahrung bis"' in rule.formula[0]  # never overdue
    assert [d["fällig am"] for d in deadlines] == sorted(
        d["fällig am"] for d in deadlines
    )


def test_timeline_and_funders(demo_db: str, cli, tmp_path: Path) -> None:
    book = _export(cli, demo_db, tmp_path)
    ws = book["Zeitstrahl"]
    header = _header(ws)
    assert header[:3] == ["Programm", "Ende", "Hinweis"]
    now = header.index("03/17")  # the Stichtag's month is marked in the header
    assert ws.cell(1, now + 1).fill.fgColor.rgb.endswith("F0A500")
    labels = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    koko = labels["KoKo Neuzugewanderte"]
    assert ws.cell(koko, header.index("08/16") + 1).fill.fgColor.rgb.endswith("5B8BC9")
    assert ws.cell(koko, header.index("07/16") + 1).fill.fill_type is None
    funders = _rows(book["Förderer"])
    bmbf = next(r for r in funders if r["Fördergeber"] == "BMBF")
    # The planned Zuwendung of the demo's example plans: KoKo 398.856 € (2016–2018),
    # Zukunftsstadt 198.000 € (90 % of 220.000 €; the own share is not the BMBF's).
    by_year = [Decimal(str(bmbf[str(y)] or 0)) for y in (2016, 2017, 2018)]
    assert by_year == [Decimal("106058"), Decimal("342199"), Decimal("148599")]
    assert sum(by_year) == Decimal("398856") + Decimal("198000")


def test_user_text_is_never_a_formula(sqlite_url: str, cli, tmp_path: Path) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    engine = open_database(sqlite_url)
    nasty = ['=HYPERLINK("http://x")', "+49 2361", "-5 % Kürzung", "@Leitung"]
    with session_scope(engine) as session:
        programme = session.scalar(sa.select(Programme).where(Programme.key == "kaoa"))
        assert programme is not None
        programme.name = nasty[0]
        obligation = session.scalars(
            sa.select(Obligation).where(Obligation.status == ObligationStatus.OPEN)
        ).first()
        assert obligation is not None
        obligation.title, obligation.source = nasty[1], nasty[2]
        programme.short_name = nasty[3]
    engine.dispose()
    book = _export(cli, sqlite_url, tmp_path)
    seen = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in nasty:
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    seen.add(cell.value)
    assert seen == set(nasty)


def test_finance_sheet_has_totals(sqlite_url: str, cli, tmp_path: Path) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    book = _export(cli, sqlite_url, tmp_path, "--year", "2017")
    ws = book["Finanzen"]
    rows = _rows(ws)
    # The demo's example money: KoKo's three posts, 01–02/2017 booked by the Stichtag.
    assert rows[0]["Förderung"] == "KoKo Neuzugewanderte – BMBF (DEMO-KOKO-2016)"
    assert rows[0]["Kostenart"] == "Personal"
    assert rows[0]["Soll (Plan)"] == 208099
    assert rows[0]["Ist"] == pytest.approx(34560)
    over = next(r for r in rows if r["Kostenart"] == "Öffentlichkeitsarbeit")
    assert (over["Soll (Plan)"], over["Ist"]) == (1500, 2499)
    assert rows[0]["Differenz"] == "=E2-D2"  # a formula we wrote, not user text
    # The sum of the expenses, then the plan's Einnahmen (not in the sum).
    [total] = [i for i, r in enumerate(rows) if r["Förderung"] == "Summe"]
    assert rows[total]["Soll (Plan)"] == f"=SUBTOTAL(9,D2:D{total + 1})"
    income = rows[total + 1 :]
    assert {r["Kostenart"] for r in income} == {
        "Einnahme: Zuwendung", "Einnahme: Eigenanteil",
    }  # fmt: skip
    assert income[0]["Soll (Plan)"] == 208099  # KoKo's Zuwendung 2017


def test_unchanged_workbook_reimports_without_changes(
    demo_db: str, cli, tmp_path: Path
) -> None:
    target = tmp_path / "mappe.xlsx"
    assert cli("export", "xlsx", "-o", str(target), db=demo_db).exit_code == 0
    result = cli("import", str(target), "--dry-run", db=demo_db)
    assert result.exit_code == 0, result.output
    assert "0 neu, 0 geändert" in result.output
    assert "Keine Änderungen" in result.output
    # The change-log sheet is for reading: the import takes it for no table.
    assert "Blatt „Änderungen“ nicht importiert" in result.output


MOVED = ("Zwischennachweis 2017", 2018, 5, 15)


def test_edited_workbook_applies_exactly_the_edits(
    sqlite_url: str, cli, tmp_path: Path
) -> None:
    _edit_and_import(sqlite_url, cli, tmp_path, MOVED)


def test_moving_a_shifted_deadline_past_its_old_effective_date(
    sqlite_url: str, cli, tmp_path: Path
) -> None:
    _edit_and_import(
        sqlite_url, cli, tmp_path, ("Regionale Bildungskonferenz 2017", 2017, 11, 22)
    )


def _edit_and_import(
    sqlite_url: str, cli, tmp_path: Path, moved_to: tuple[str, int, int, int]
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    target = tmp_path / "mappe.xlsx"
    assert cli("export", "xlsx", "-o", str(target), db=sqlite_url).exit_code == 0
    book = openpyxl.load_workbook(target)
    ws = book["Übersicht"]
    head = _header(ws)
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, head.index("_key") + 1).value == "kommunale-koordinierung":
            ws.cell(row, head.index("Fördersumme (Bescheid)") + 1).value = 412000
    new = ws.max_row + 1
    ws.cell(new, head.index("Programm") + 1).value = "Bildungsregion Emscher-Lippe"
    ws.cell(new, head.index("Laufzeit") + 1).value = "01.01.2018 – 31.12.2020"
    ws.cell(new, head.index("Status") + 1).value = "Idee"
    fr = book["Fristen"]
    fhead = _header(fr)
    done_id = moved_id = None
    for row in range(2, fr.max_row + 1):
        title = fr.cell(row, fhead.index("Was?") + 1).value
        if title == moved_to[0] and moved_id is None:
            fr.cell(row, fhead.index("fällig am") + 1).value = dt.datetime(
                *moved_to[1:]
            )
            moved_id = fr.cell(row, fhead.index("_id") + 1).value
        if title == "Bildungsbericht 2017 (Schwerpunkt Inklusion und Integration)":
            fr.cell(row, fhead.index("erledigt") + 1).value = dt.datetime(2017, 3, 10)
            done_id = fr.cell(row, fhead.index("_id") + 1).value
    book.save(target)

    result = cli("import", str(target), "--yes", db=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "1 neu" in result.output
    engine = open_database(sqlite_url)
    with session_scope(engine, read_only=True) as session:
        award = session.scalar(
            sa.select(Award).where(Award.reference == "DEMO-KOKO-2016")
        )
        assert award is not None and award.amount == Decimal("412000.00")
        moved = session.get(Obligation, moved_id)
        assert moved is not None and moved.due_on == dt.date(*moved_to[1:])
        done = session.get(Obligation, done_id)
        assert done is not None and done.status is not ObligationStatus.OPEN
        assert done.done_on == dt.date(2017, 3, 10)
        added = session.scalar(
            sa.select(Programme).where(Programme.name == "Bildungsregion Emscher-Lippe")
        )
        assert added is not None
        assert session.scalar(sa.select(sa.func.count()).select_from(Programme)) == 11
    engine.dispose()
    # Exported again and imported unchanged: nothing more changes.
    again = tmp_path / "wieder.xlsx"
    assert cli("export", "xlsx", "-o", str(again), db=sqlite_url).exit_code == 0
    result = cli("import", str(again), "--dry-run", db=sqlite_url)
    assert "Keine Änderungen" in result.output, result.output


def test_build_workbook_api_returns_bytes(demo_db: str) -> None:
    engine = open_database(demo_db)
    with session_scope(engine, read_only=True) as session:
        data = build_workbook(session, dt.date(2017, 3, 15), 2017)
    engine.dispose()
    assert data[:2] == b"PK"


def test_programmes_with_several_awards_reimport_unchanged(
    sqlite_url: str, cli, tmp_path: Path
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    engine = open_database(sqlite_url)
    with session_scope(engine) as session:
        for reference, amount in (("DEMO-LVO-1", "1000000"), ("DEMO-LVO-2", "600000")):
            award = session.scalar(sa.select(Award).where(Award.reference == reference))
            assert award is not None
            award.amount = Decimal(amount)
    engine.dispose()
    book = _export(cli, sqlite_url, tmp_path)
    lvo = next(r for r in _rows(book["Übersicht"]) if r["_key"] == "lernen-vor-ort")
    assert lvo["Gesamtbetrag"] == 1600000
    assert lvo["Fördersumme (Bescheid)"] is None  # which award? the import cannot know
    result = cli("import", str(tmp_path / "mappe.xlsx"), "--dry-run", db=sqlite_url)
    assert "Keine Änderungen" in result.output, result.output
