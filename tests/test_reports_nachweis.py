"""The Zwischen- and Verwendungsnachweis of an award: golden docx/PDF/xlsx, queries.

The KoKo award of the demo gets a plan, Einnahmen, bookings and Mittelabrufe
through the services; the reports are compared with golden files
(``pytest --update-golden`` rewrites them) and the number of queries must not grow
with the number of bookings.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
import sqlalchemy as sa
from docx.table import Table as DocxTable
from money_support import without_money
from pypdf import PdfReader

from portfolio.domain.models import Expense
from portfolio.services import edit_disbursements, edit_plan
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from reports.nachweis import render_nachweis, text_width
from reports.nachweis_data import build_nachweis, find_award, with_article

GOLDEN = Path(__file__).parent / "data" / "reports"
OFFICE = "Kreis Recklinghausen – Regionales Bildungsbüro"
ADDRESS = ["Kurt-Schumacher-Allee 1", "45657 Recklinghausen"]


def _fill(url: str, bookings: int = 6) -> None:
    engine = open_database(url)
    with session_scope(engine, "test") as session:
        # The test's own figures instead of the demo's example money.
        award = without_money(session, "DEMO-KOKO-2016")
        edit_plan.save(
            session,
            award.id,
            edit_plan.PlanIn.parse(
                {
                    "financing_type": "voll",
                    "budget_lines": [
                        {"category": "Personal", "year": 2017, "planned": "180.000"},
                        {"category": "Reisen", "year": 2017, "planned": "2.000"},
                        {"category": "Personal", "year": 2016, "planned": "70.000"},
                    ],
                    "income": [
                        {"kind": "zuwendung", "year": 2017, "planned": "182.000"}
                    ],
                }
            ),
        )
        edit_disbursements.create(
            session,
            award.id,
            edit_disbursements.DisbursementIn.parse(
                {
                    "requested_on": "10.01.2017",
                    "amount": "30.000",
                    "received_on": "20.01.2017",
                }
            ),
        )
        edit_disbursements.create(
            session,
            award.id,
            edit_disbursements.DisbursementIn.parse(
                {"requested_on": "01.03.2017", "amount": "15.000"}
            ),
        )
        start = date(2017, 1, 31)
        for number in range(bookings):
            category = "Reisen" if number % 3 == 2 else "Personal"
            amount = Decimal("820.40") if category == "Reisen" else Decimal("4100.50")
            session.add(
                Expense(
                    award_id=award.id, category=category, year=2017,
                    spent_on=start + timedelta(days=number % 300), amount=amount,
                    reference=f"B-{number:05d}", text=f"{category} Beleg {number}",
                    account="501100" if category == "Personal" else "542100",
                    code="A-KOKO",
                )
            )  # fmt: skip
    engine.dispose()


@pytest.fixture
def koko_db(db_url: str, cli) -> str:
    assert cli("demo", db=db_url).exit_code == 0
    _fill(db_url)
    return db_url


def _render(url: str, fmt: str, year: int | None, **kwargs: object) -> bytes:
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        award = find_award(session, "kommunale-koordinierung", "DEMO-KOKO-2016")
        data = build_nachweis(
            session, award, year=year, today=date(2017, 3, 15), office=OFFICE,
            address=ADDRESS,
        )  # fmt: skip
        content = render_nachweis(session, data, fmt, **kwargs)  # type: ignore[arg-type]
    engine.dispose()
    return content


def _docx_text(content: bytes) -> str:
    """Paragraphs and table rows in document order."""
    document = docx.Document(io.BytesIO(content))
    lines = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxTable):
            lines.extend(" | ".join(c.text for c in row.cells) for row in block.rows)
        else:
            lines.append(block.text)
    return "\n".join(lines) + "\n"


def test_zwischennachweis_docx_golden(koko_db: str, golden) -> None:
    text = _docx_text(_render(koko_db, "docx", 2017))
    golden(GOLDEN / "nachweis-koko-2017.docx.txt", text)
    assert "an das Bundesministerium für Bildung und Forschung" in text
    assert "Kurt-Schumacher-Allee 1" in text
    assert "Belegliste" not in text  # not for a Zwischennachweis
    assert "Leistungen Dritter (ohne öffentliche Förderung) | nicht erfasst" in text


def test_verwendungsnachweis_pdf_golden(koko_db: str, golden) -> None:
    reader = PdfReader(io.BytesIO(_render(koko_db, "pdf", None)))
    text = "\n".join(page.extract_text() for page in reader.pages) + "\n"
    golden(GOLDEN / "nachweis-koko-final.pdf.txt", text)
    assert "Anlage: Belegliste" in text
    assert "B-00005" in text


def test_verwendungsnachweis_xlsx_golden(koko_db: str, golden) -> None:
    book = openpyxl.load_workbook(io.BytesIO(_render(koko_db, "xlsx", None)))
    assert book.sheetnames == ["Nachweis", "Belegliste"]
    lines = []
    for sheet in book.worksheets:
        lines.append(f"[{sheet.title}]")
        for row in sheet.iter_rows(values_only=True):
            lines.append(" | ".join("" if v is None else str(v) for v in row))
    golden(GOLDEN / "nachweis-koko-final.xlsx.txt", "\n".join(lines) + "\n")
    belege = list(book["Belegliste"].iter_rows(min_row=2, values_only=True))
    assert len(belege) == 6 and belege[0][5] == pytest.approx(4100.50)


def test_html_says_nicht_erfasst_and_flags_overrun(koko_db: str) -> None:
    html = _render(koko_db, "html", 2017).decode()
    assert "nicht erfasst" in html
    assert '0,00 €</td><td class="num">nicht erfasst' not in html
    assert "Zwischennachweis 2017" in html


def test_cli_writes_the_file(koko_db: str, cli, tmp_path: Path) -> None:
    target = tmp_path / "vn.docx"
    result = cli(
        "report", "nachweis", "kommunale-koordinierung", "--award", "DEMO-KOKO-2016",
        "--final", "--format", "docx", "-o", str(target), db=koko_db,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Verwendungsnachweis" in _docx_text(target.read_bytes())
    both = cli(
        "report", "nachweis", "kommunale-koordinierung", "--award", "DEMO-KOKO-2016",
        "--final", "--year", "2017", db=koko_db,
    )  # fmt: skip
    assert both.exit_code == 2 and "genau eines" in both.output
    wrong = cli(
        "report", "nachweis", "kommunale-koordinierung", "--award", "X", "--year",
        "2017", db=koko_db,
    )  # fmt: skip
    assert wrong.exit_code != 0 and "DEMO-KOKO-2016" in wrong.output


def test_query_count_does_not_grow_with_bookings(tmp_path: Path, cli) -> None:
    counts = []
    for bookings in (20, 400):
        url = f"sqlite:///{tmp_path / f'q{bookings}.db'}"
        assert cli("demo", db=url).exit_code == 0
        _fill(url, bookings)
        engine = open_database(url)
        statements: list[str] = []

        def record(*args: object, seen: list[str] = statements) -> None:
            seen.append(str(args[2]))

        sa.event.listen(engine, "before_cursor_execute", record)
        with session_scope(engine, read_only=True) as session:
            award = find_award(session, "kommunale-koordinierung", "DEMO-KOKO-2016")
            data = build_nachweis(
                session, award, year=None, today=date(2017, 3, 15), office=OFFICE,
                address=ADDRESS,
            )  # fmt: skip
            render_nachweis(session, data, "html", with_belegliste=False)
        engine.dispose()
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_articles_and_font_metric() -> None:
    assert with_article("Bundesministerium für Bildung und Forschung").startswith(
        "das "
    )
    assert with_article("RAG-Stiftung") == "die RAG-Stiftung"
    assert with_article("Land NRW") == "das Land NRW"
    # An amount is wider than its digits alone and a long text wider than a short.
    assert text_width("123.456,78 €") > text_width("1,00 €")
