"""Money pages over HTTP: /geld per programme and year, dashboard panel, rights."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from money_support import zukunftsstadt_small_money
from web_support import logged_in, prepare_db

from portfolio.domain.models import Award, Expense
from portfolio.services import edit_plan
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def test_money_pages_show_plan_spending_and_warnings(db_url: str) -> None:
    prepare_db(db_url)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        award_id = zukunftsstadt_small_money(session).id
    engine.dispose()
    http, _ = logged_in(db_url, "viewer")
    overview = http.get("/geld?jahr=2017").text
    assert "Zukunftsstadt" in overview
    assert "10.000,00 €" in overview and "1.000,00 €" in overview
    assert "3.000,00 €" in overview  # Bestand: 4.000 received − 1.000 spent
    dashboard = http.get("/").text
    assert "Geld 2017" in dashboard
    # Received 02.01., two months to spend: unspent on the Stichtag 15.03.2017.
    assert 'data-rule="NICHT_VERWENDET"' in dashboard
    assert "9.000,00 € geplant, aber nicht ausgegeben" in dashboard
    programme = http.get("/programme/zukunftsstadt").text
    assert 'data-rule="NICHT_VERWENDET"' in programme
    money = http.get(f"/bewilligungen/{award_id}/geld").text
    assert "Mittelabfluss" in money and "polyline" in money
    assert http.get(f"/bewilligungen/{award_id}/plan").status_code == 403
    http.app.state.engine.dispose()  # type: ignore[attr-defined]


def test_the_demo_shows_its_example_money(db_url: str) -> None:
    prepare_db(db_url)
    http, _ = logged_in(db_url, "viewer")
    overview = http.get("/geld?jahr=2017").text
    # Planned 2017: KoKo's three posts and Zukunftsstadt's five positions.
    assert "208.099,00 €" in overview and "149.000,00 €" in overview
    dashboard = http.get("/").text
    # Both checks that can apply on the Stichtag 15.03.2017 warn on Zukunftsstadt:
    # Öffentlichkeitsarbeit 3.927 € against 3.000 € planned, and 11.852,23 € of
    # the payment of 25.11.2016 not spent within two months.
    assert 'data-rule="UEBERSCHREITUNG"' in dashboard
    assert 'data-rule="NICHT_VERWENDET"' in dashboard
    assert "11.852,23 €" in dashboard
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        koko = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-KOKO-2016")
        ).one()
        koko_id = koko.id
    engine.dispose()
    money = http.get(f"/bewilligungen/{koko_id}/geld").text
    assert "Mittelabfluss" in money and "polyline" in money
    assert "97.920,00 €" in money  # booked by the Stichtag, Storno netted out
    assert "17.280,00 €" in money  # the open Mittelabruf of 06.03.2017
    http.app.state.engine.dispose()  # type: ignore[attr-defined]


def test_workbook_round_trip_keeps_plan_and_leaves_ist_alone(
    cli, sqlite_url: str, tmp_path
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    engine = open_database(sqlite_url)
    with session_scope(engine, "test") as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        edit_plan.save(
            session,
            award.id,
            edit_plan.PlanIn.parse(
                {
                    "budget_lines": [
                        {"category": "Honorare", "year": 2017, "planned": "10000"}
                    ]
                }
            ),
        )
        # Spent on a position the plan does not name: Ist only, plan 0 in the sheet.
        session.add(
            Expense(award_id=award.id, category="Öffentlichkeitsarbeit", year=2017,
                    spent_on=date(2017, 2, 10), amount=Decimal("1190"))
        )  # fmt: skip
    engine.dispose()
    target = tmp_path / "mappe.xlsx"
    assert cli("export", "xlsx", "-o", str(target), db=sqlite_url).exit_code == 0
    result = cli("import", str(target), "--dry-run", db=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "Keine Änderungen" in result.output


def test_workbook_ist_is_locked_and_einnahmen_round_trip(
    cli, sqlite_url: str, tmp_path
) -> None:
    import openpyxl

    from portfolio.domain.models import IncomeLine

    assert cli("demo", db=sqlite_url).exit_code == 0
    target = tmp_path / "mappe.xlsx"
    assert cli("export", "xlsx", "-o", str(target), db=sqlite_url).exit_code == 0
    book = openpyxl.load_workbook(target)
    ws = book["Finanzen"]
    assert ws.protection.sheet  # the Ist is the finance system's, not the sheet's
    rows = {
        (r[0].value, r[1].value, r[2].value): r
        for r in ws.iter_rows(min_row=2)
        if r[1].value
    }
    zs = "Zukunftsstadt – BMBF (DEMO-ZUKUNFTSSTADT-II)"
    personal = rows[(zs, "Personal", 2017)]
    assert (personal[3].value, personal[4].value) == (72000, 7360)
    assert personal[4].protection.locked and not personal[3].protection.locked
    assert personal[4].fill.fgColor.rgb.endswith("EDEDED")  # greyed
    grant = rows[(zs, "Einnahme: Zuwendung", 2017)]
    assert grant[3].value == 134100 and not grant[3].protection.locked
    assert rows[(zs, "Einnahme: Eigenanteil", 2017)][3].value == 14900
    # Unchanged, it re-imports without a change.
    unchanged = cli("import", str(target), "--dry-run", db=sqlite_url)
    assert "Keine Änderungen" in unchanged.output, unchanged.output
    # An edited Ist is not read; an edited Einnahme and a new one are.
    personal[4].value = 99999
    grant[3].value = 140000
    ws.append([zs, "Einnahme: Leistungen Dritter", 2017, 5000, None, None, None,
               "zukunftsstadt", personal[8].value])  # fmt: skip
    book.save(target)
    result = cli("import", str(target), "--yes", db=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "Plan 2017: 134.100,00 € → 140.000,00 €" in result.output
    engine = open_database(sqlite_url)
    with session_scope(engine, read_only=True) as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        income = {
            (line.kind.value, line.planned)
            for line in session.scalars(
                sa.select(IncomeLine).where(
                    IncomeLine.award_id == award.id, IncomeLine.year == 2017
                )
            )
        }
        spent = session.scalar(
            sa.select(sa.func.sum(Expense.amount)).where(
                Expense.award_id == award.id,
                Expense.year == 2017,
                Expense.category == "Personal",
            )
        )
    engine.dispose()
    assert income == {
        ("zuwendung", Decimal("140000")),
        ("eigenanteil", Decimal("14900")),
        ("dritte", Decimal("5000")),
    }
    assert spent == Decimal("7360")  # the bookings, whatever the sheet said


def test_finanzierungsplan_sheet_of_a_bescheid_imports_costs_and_einnahmen(
    cli, sqlite_url: str, tmp_path
) -> None:
    import openpyxl

    from portfolio.domain.models import BudgetLine, IncomeLine

    assert cli("demo", db=sqlite_url).exit_code == 0
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Finanzierungsplan"
    for row in [
        ["Finanzierungsplan zum Zuwendungsbescheid vom 20.10.2016"],
        [],
        ["Ausgaben", "2016", "2017", "2018", "Summe"],
        ["Personal", 12000, 72000, 24000, 108000],
        ["Fahrtkosten", 500, 5500, 2000, 8000],
        ["Summe Ausgaben", 12500, 77500, 26000, 116000],
        ["Einnahmen"],
        ["Zuwendung", 11250, 69750, 23400, 104400],
        ["Eigenmittel", 1250, 7750, 2600, 11600],
        ["Spende", 0, 10, 0, 10],
        ["Summe Einnahmen", 12500, 77510, 26000, 116010],
    ]:
        ws.append(row)
    path = tmp_path / "finanzierungsplan.xlsx"
    book.save(path)
    result = cli(
        "import", str(path), "--programme", "zukunftsstadt", "--yes", db=sqlite_url
    )
    # The unknown Einnahme is rejected with its place; the rest is applied.
    assert result.exit_code == 1, result.output
    assert "Zeile 10" in result.output and "Einnahme „Spende“ ist unbekannt" in (
        result.output
    )
    engine = open_database(sqlite_url)
    with session_scope(engine, read_only=True) as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        plan = {
            (b.category, b.year): b.planned
            for b in session.scalars(
                sa.select(BudgetLine).where(BudgetLine.award_id == award.id)
            )
        }
        income = {
            (i.kind.value, i.year): i.planned
            for i in session.scalars(
                sa.select(IncomeLine).where(IncomeLine.award_id == award.id)
            )
        }
    engine.dispose()
    assert plan[("Fahrtkosten", 2017)] == Decimal("5500")
    assert not {c for c, _ in plan} & {"Einnahmen", "Zuwendung", "Eigenmittel"}
    assert income[("zuwendung", 2017)] == Decimal("69750")
    assert income[("eigenanteil", 2018)] == Decimal("2600")


def test_mittelabfluss_plan_starts_with_the_term() -> None:
    from types import SimpleNamespace

    from portfolio.services.money import AwardMoney
    from portfolio.web.views.money import chart

    money = AwardMoney(1, planned={("Personal", 2016): Decimal("2000")})
    award = SimpleNamespace(start=date(2016, 11, 1), end=date(2017, 4, 30))
    drawn = chart(money, award)
    assert drawn is not None
    # 24 months 01/2016–12/2017: flat until October 2016, all spent by December.
    heights = [float(p.split(",")[1]) for p in drawn["plan"].split()]
    assert heights[:10] == [200.0] * 10
    assert heights[10] == 100.0 and heights[11] == 0.0
