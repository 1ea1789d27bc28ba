"""The yearly funder report: docx, pdf, xlsx and html show the database's figures."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
import sqlalchemy as sa
from money_support import demo_without_money
from pypdf import PdfReader

from portfolio.domain.models import Award, BudgetLine, Disbursement, Expense
from portfolio.services.narratives import set_narrative
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from reports import ReportOptions, render_report

GOLDEN = Path(__file__).parent / "data" / "reports"
OPTIONS = ReportOptions(office_name="Kreis Recklinghausen – Regionales Bildungsbüro")


@pytest.fixture
def demo_db(db_url: str, cli) -> str:
    assert cli("demo", db=db_url).exit_code == 0
    engine = open_database(db_url)
    with session_scope(engine) as session:
        award = session.scalar(
            sa.select(Award).where(Award.reference == "DEMO-KOKO-2016")
        )
        assert award is not None
        award.own_contribution = Decimal("12500.00")
        # The figures below replace the demo's example money (KoKo, Zukunftsstadt)
        # and the spending deadlines of its payments.
        demo_without_money(session)
        award.budget_lines += [
            BudgetLine(category="Personal", year=2016, planned=Decimal("70000")),
            BudgetLine(category="Personal", year=2017, planned=Decimal("180000")),
            BudgetLine(category="Sachausgaben", year=2017, planned=Decimal("12000")),
        ]
        award.expenses += [
            Expense(category="Personal", year=2016, amount=Decimal("68250.10")),
            Expense(category="Personal", year=2017, amount=Decimal("41234.56")),
            Expense(category="Sachausgaben", year=2017, amount=Decimal("1999.90")),
        ]
        award.disbursements += [
            Disbursement(
                requested_on=date(2017, 1, 20),
                amount=Decimal("45000"),
                received_on=date(2017, 2, 3),
            ),
        ]
        set_narrative(
            session,
            "kommunale-koordinierung",
            2017,
            "ziele",
            "Bildungsangebote für Neuzugewanderte koordinieren.\n\n"
            "Zweiter Absatz: <b>kein HTML</b> & Sonderzeichen.",
        )
    engine.dispose()
    return db_url


def _render(db: str, fmt: str, kind: str = "funder", subject: str = "BMBF") -> bytes:
    engine = open_database(db)
    with session_scope(engine, read_only=True) as session:
        data = render_report(session, kind, subject, 2017, fmt, OPTIONS)
    engine.dispose()
    return data


def test_docx_sections_and_totals(demo_db: str) -> None:
    document = docx.Document(io.BytesIO(_render(demo_db, "docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Jahresbericht 2017 an Bundesministerium für Bildung und Forschung" in text
    for heading in ("Zahlenmäßiger Nachweis 2017", "Erledigte Fristen 2017",
                    "Anstehende Fristen", "Sachbericht 2017", "Ziele", "Maßnahmen",
                    "Ergebnisse", "Abweichungen vom Plan"):  # fmt: skip
        assert heading in text
    assert "Bildungsangebote für Neuzugewanderte koordinieren." in text
    assert "Zweiter Absatz: <b>kein HTML</b> & Sonderzeichen." in text
    assert "Für 2017 ist noch kein Text zu „Maßnahmen“ erfasst." in text
    # Awarded and plan/actual totals as the database has them.
    assert "398.856,00 €" in cells
    assert "12.500,00 €" in cells
    assert "192.000,00 €" in cells  # plan 2017: 180.000 + 12.000
    assert "43.234,46 €" in cells  # actual 2017: 41.234,56 + 1.999,90
    assert "111.484,56 €" in cells  # actual cumulated incl. 2016
    assert "45.000,00 €" in cells
    assert not any("{{" in c or "{%" in c for c in [text, *cells])
    header = document.sections[0].header.paragraphs[0].text
    assert "Kreis Recklinghausen" in header


def test_pdf_text_and_pages(demo_db: str) -> None:
    reader = PdfReader(io.BytesIO(_render(demo_db, "pdf")))
    assert 2 <= len(reader.pages) <= 6
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Jahresbericht 2017 an Bundesministerium" in text
    assert "398.856,00 €" in text
    assert "43.234,46 €" in text
    assert f"Seite 1 von {len(reader.pages)}" in text
    assert "Kreis Recklinghausen – Regionales Bildungsbüro" in text
    assert "Zwischennachweis 2016" in text
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


def test_xlsx_numbers(demo_db: str) -> None:
    book = openpyxl.load_workbook(io.BytesIO(_render(demo_db, "xlsx")))
    assert book.sheetnames == [
        "Bewilligungen",
        "Nachweis 2017",
        "Mittelabrufe",
        "Fristen",
    ]
    nachweis = list(book["Nachweis 2017"].iter_rows(min_row=2, values_only=True))
    total = next(r for r in nachweis if r[2] == "Summe")
    assert total[3] == 192000 and total[4] == pytest.approx(43234.46)
    awards = list(book["Bewilligungen"].iter_rows(min_row=2, values_only=True))
    assert awards[-1][0] == "Summe" and awards[-1][5] == 398856
    assert book["Bewilligungen"]["F2"].number_format == '#,##0.00 "€"'


def test_html_golden(demo_db: str, golden) -> None:
    html = _render(demo_db, "html").decode("utf-8")
    assert "&lt;b&gt;kein HTML&lt;/b&gt; &amp; Sonderzeichen" in html
    golden(GOLDEN / "funder-bmbf-2017.html", html)


def test_empty_sections_say_so(db_url: str, cli) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    # The demo records money only on BMBF awards (KoKo, Zukunftsstadt).
    html = _render(db_url, "html", subject="Land NRW").decode("utf-8")
    assert "Für 2017 wurden keine Ausgaben erfasst." in html
    assert "Für 2017 sind keine Mittelabrufe erfasst." in html
    assert "<table>\n<thead><tr><th>Kostenart" not in html


def test_programme_report(demo_db: str) -> None:
    html = _render(demo_db, "html", "programme", "zukunftsstadt").decode("utf-8")
    assert "Jahresbericht 2017: Zukunftsstadt" in html
    assert "DEMO-ZUKUNFTSSTADT-II" in html


def test_template_override(demo_db: str, tmp_path: Path) -> None:
    (tmp_path / "report.css").write_text("h1 { color: red; } /* eigenes Layout */")
    engine = open_database(demo_db)
    with session_scope(engine, read_only=True) as session:
        options = ReportOptions(templates_dir=tmp_path)
        html = render_report(session, "funder", "BMBF", 2017, "html", options).decode()
    engine.dispose()
    assert "eigenes Layout" in html
