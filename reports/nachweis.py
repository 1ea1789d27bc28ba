"""Render a Zwischen- or Verwendungsnachweis: html, pdf, docx and xlsx.

The dataset (``reports.nachweis_data``) is written out as German text once
(``nachweis_view``: money through Babel, "nicht erfasst" for what nobody
recorded) and rendered: html from ``nachweis.html`` (the office may override it in
``paths.templates``), pdf from that html (WeasyPrint), docx with python-docx (the
same tables as the PDF; column widths from the content with a font metric and no
line breaks inside a cell) and xlsx with XlsxWriter (the Belegliste streamed in
constant-memory mode, so 20 000 bookings cost little more than writing the cells).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from portfolio.domain.enums import FinancingType, label
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from reports.nachweis_data import CONFIRMATION, Nachweis, Row, belegliste
from reports.templating import html_to_pdf, render_html

UNKNOWN = "nicht erfasst"
View = dict[str, Any]
Booking = tuple[str, date | None, str | None, str | None, str | None, Decimal]


def amount(value: Decimal | None) -> str:
    """Money, or "nicht erfasst" (never 0,00 € for what nobody recorded)."""
    return UNKNOWN if value is None else format_money(value)


def signed(value: Decimal) -> str:
    """A deviation with its sign: +1.000,00 €, −500,00 €."""
    if value > 0:
        return "+" + format_money(value)
    if value < 0:
        return "−" + format_money(-value)
    return format_money(value)


def _percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{abs(value) * 100:.1f} %".replace(".", ",")


def _row(row: Row) -> View:
    deviation = row.deviation
    return {
        "label": row.label,
        "planned": amount(row.planned),
        "actual": amount(row.actual),
        "deviation": "" if deviation is None else signed(deviation),
        "percent": _percent(row.ratio),
        "flag": row.flag,
    }


def _day(value: date | None) -> str:
    return format_date(value) if value else "–"


def _limit_note(data: Nachweis) -> str:
    """How the column "Prüfung (Nr. 1.2)" was judged: the whole plan's Ansätze."""
    if data.limit is None:
        return "Keine Prüfung nach Nr. 1.2: sie gilt für diese Bewilligung nicht."
    share = f"{(data.limit * 100).normalize():f}".replace(".", ",")
    spent = "insgesamt" if data.final else f"bis Ende {data.year}"
    return (
        f"Prüfung nach Nr. 1.2 der Nebenbestimmungen: Ausgaben je Position {spent} "
        f"gegen ihren Ansatz im gesamten Finanzierungsplan; zulässig sind bis zu "
        f"{share} % mehr, soweit Einsparungen bei anderen Ansätzen sie ausgleichen."
    )


def nachweis_view(data: Nachweis) -> View:
    """The Nachweis as strings for any template."""
    term = (
        f"{_day(data.start)} – {_day(data.end)}" if data.start or data.end else UNKNOWN
    )
    return {
        "title": data.title,
        "final": data.final,
        "year": data.year,
        "today": format_date(data.today),
        "office": data.office,
        "address": data.address,
        "recipient": f"an {data.funder_address}",
        "programme": data.programme,
        "reference": data.reference or UNKNOWN,
        "purpose": data.purpose,
        "term": term,
        "amount": amount(data.amount),
        "financing": label(FinancingType(data.financing))
        if data.financing
        else UNKNOWN,
        "scope": "gesamter Bewilligungszeitraum"
        if data.final
        else f"Haushaltsjahr {data.year}",
        "versions": [
            {"date": format_date(d), "reference": r or "–", "amount": amount(a)}
            for d, r, a in data.versions
        ],
        "income": [_row(r) for r in data.income],
        "income_total": _row(data.income_total),
        "expenses": [_row(r) for r in data.expenses],
        "expense_total": _row(data.expense_total),
        "payments": [
            {
                "kind": "Rückzahlung" if p.kind == "rueckzahlung" else "Mittelabruf",
                "requested": _day(p.requested_on),
                "amount": format_money(p.amount),
                "received": _day(p.received_on) if p.received_on else "offen",
            }
            for p in data.payments
        ],
        "received": format_money(data.received),
        "repaid": format_money(data.repaid),
        "spent_grant": format_money(data.spent_grant) if data.bookings else UNKNOWN,
        "balance": format_money(data.balance) if data.bookings else UNKNOWN,
        "confirmation": CONFIRMATION,
        "headings": list(data.headings),
        "limit_note": _limit_note(data),
        "bookings": data.bookings,
    }


def _booking_rows(rows: Iterable[Booking]) -> list[View]:
    return [
        {
            "category": c,
            "date": _day(d),
            "reference": r or "–",
            "text": t or "",
            "account": a or "",
            "amount": format_money(v),
        }
        for c, d, r, t, a, v in rows
    ]


def render_nachweis(
    session: Session,
    data: Nachweis,
    fmt: str,
    templates_dir: Path | None = None,
    *,
    with_belegliste: bool | None = None,
) -> bytes:
    """One Nachweis in one format; the Belegliste only for a final one by default."""
    view = nachweis_view(data)
    listing = data.final if with_belegliste is None else with_belegliste
    if fmt == "xlsx":
        rows = belegliste(session, data.award_id) if listing else iter(())
        return nachweis_xlsx(view, rows)
    view["belege"] = (
        _booking_rows(belegliste(session, data.award_id)) if listing else []
    )
    if fmt == "docx":
        return nachweis_docx(view)
    html = render_html("nachweis.html", {"n": view}, templates_dir)
    return html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")


# --- xlsx ----------------------------------------------------------------------


def nachweis_xlsx(view: View, bookings: Iterable[Booking]) -> bytes:
    """The Nachweis as a workbook: one sheet for the tables, one for the Belege."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    bold = book.add_format({"bold": True})
    euro = book.add_format({"num_format": '#,##0.00 "€"'})
    day_format = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet = book.add_worksheet("Nachweis")
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 4, 18)
    lines: list[list[Any]] = [
        [f"{view['title']} – {view['programme']}"],
        [f"{view['office']} {view['recipient']}"],
        ["Förderkennzeichen", view["reference"]],
        ["Bewilligungszeitraum", view["term"]],
        ["Zeitraum des Nachweises", view["scope"]],
        [],
        ["I. Einnahmen", "lt. Finanzierungsplan", "lt. Abrechnung", "Abweichung"],
        *[[r["label"], r["planned"], r["actual"], r["deviation"]]
          for r in view["income"]],
        [view["income_total"]["label"], view["income_total"]["planned"],
         view["income_total"]["actual"], view["income_total"]["deviation"]],
        [],
        ["II. Ausgaben", "lt. Finanzierungsplan", "lt. Abrechnung", "Abweichung", "%",
         "Prüfung (Nr. 1.2)"],
        *[[r["label"], r["planned"], r["actual"], r["deviation"], r["percent"],
           r["flag"]] for r in view["expenses"]],
        [view["expense_total"]["label"], view["expense_total"]["planned"],
         view["expense_total"]["actual"], view["expense_total"]["deviation"],
         view["expense_total"]["percent"]],
        [view["limit_note"]],
        [],
        ["III. Mittelabrufe", "angefordert am", "Betrag", "eingegangen am"],
        *[[p["kind"], p["requested"], p["amount"], p["received"]]
          for p in view["payments"]],
        ["erhalten", "", view["received"]],
        ["zurückgezahlt", "", view["repaid"]],
        ["aus der Zuwendung verausgabt", "", view["spent_grant"]],
        ["Bestand", "", view["balance"]],
    ]  # fmt: skip
    for number, line in enumerate(lines):
        for column, value in enumerate(line):
            cell_format = (
                bold
                if column == 0 and str(value)[:3] in ("I. ", "II.", "III")
                else None
            )
            sheet.write_string(number, column, str(value), cell_format)
    beleg = book.add_worksheet("Belegliste")
    headers = [
        "Position",
        "Datum",
        "Belegnummer",
        "Buchungstext",
        "Sachkonto",
        "Betrag",
    ]
    beleg.set_column(0, 0, 22)
    beleg.set_column(1, 2, 14)
    beleg.set_column(3, 3, 40)
    beleg.set_column(4, 5, 14)
    for column, header in enumerate(headers):
        beleg.write_string(0, column, header, bold)
    row = 0
    for row, (category, spent_on, reference, text, account, value) in enumerate(
        bookings, 1
    ):
        beleg.write_string(row, 0, category)
        if spent_on is not None:
            beleg.write_datetime(row, 1, spent_on, day_format)
        beleg.write_string(row, 2, reference or "")
        beleg.write_string(row, 3, text or "")
        beleg.write_string(row, 4, account or "")
        beleg.write_number(row, 5, float(value), euro)
    beleg.freeze_panes(1, 0)
    beleg.autofilter(0, 0, max(row, 1), 5)
    book.close()
    return out.getvalue()


# --- docx ----------------------------------------------------------------------

# Average glyph width of the body font (Calibri 9 pt) in points per character class;
# a column is as wide as its longest cell, so no amount and no word breaks.
GLYPH = {"digit": 4.6, "narrow": 2.4, "upper": 5.6, "other": 4.4}
PADDING_PT = 11.0


def text_width(text: str) -> float:
    """The printed width of a text in points (a simple per-class font metric)."""
    width = 0.0
    for char in text:
        if char.isdigit():
            width += GLYPH["digit"]
        elif char in ".,;:'|!il ":
            width += GLYPH["narrow"]
        elif char.isupper():
            width += GLYPH["upper"]
        else:
            width += GLYPH["other"]
    return width + PADDING_PT


def _table(
    document: Any, header: list[str], rows: list[list[str]], numeric: set[int]
) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    widths = [
        max(text_width(str(cell)) for cell in [header[i], *(r[i] for r in rows)])
        for i in range(len(header))
    ]
    for i, text in enumerate(header):
        table.rows[0].cells[i].text = text
    for values in rows:
        cells = table.add_row().cells
        for i, value in enumerate(values):
            cells[i].text = str(value)
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Pt(widths[i])
            properties = cell._tc.get_or_add_tcPr()
            no_wrap = OxmlElement("w:noWrap")
            properties.append(no_wrap)
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
                if i in numeric:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    grid = table._tbl.tblGrid
    for i, column in enumerate(grid.findall(qn("w:gridCol"))):
        column.set(qn("w:w"), str(int(widths[i] * 20)))
    return table


def nachweis_docx(view: View) -> bytes:
    """The Nachweis as a Word document with the same tables as the PDF."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    document = Document()
    section = document.sections[0]
    if view["belege"]:
        section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.header.paragraphs[0].text = view["office"]
    for line in [view["office"], *view["address"]]:
        document.add_paragraph(line)
    document.add_paragraph(view["recipient"])
    document.add_heading(f"{view['title']} – {view['programme']}", level=1)
    document.add_paragraph(
        f"Förderkennzeichen: {view['reference']} · Bewilligungszeitraum: "
        f"{view['term']} · bewilligt: {view['amount']} · Finanzierungsart: "
        f"{view['financing']} · Zeitraum des Nachweises: {view['scope']}"
    )
    if view["versions"]:
        _table(document, ["Bescheid vom", "Aktenzeichen", "Betrag"],
               [[v["date"], v["reference"], v["amount"]] for v in view["versions"]],
               {2})  # fmt: skip
    columns = ["lt. Finanzierungsplan", "lt. Abrechnung", "Abweichung"]
    document.add_heading("I. Einnahmen", level=2)
    _table(document, ["Einnahme", *columns],
           [[r["label"], r["planned"], r["actual"], r["deviation"]]
            for r in [*view["income"], view["income_total"]]], {1, 2, 3})  # fmt: skip
    document.add_heading("II. Ausgaben", level=2)
    _table(document, ["Position", *columns, "%", "Prüfung (Nr. 1.2)"],
           [[r["label"], r["planned"], r["actual"], r["deviation"], r["percent"],
             r["flag"]] for r in [*view["expenses"], view["expense_total"]]],
           {1, 2, 3, 4})  # fmt: skip
    document.add_paragraph(view["limit_note"])
    document.add_heading("III. Mittelabrufe und Bestand", level=2)
    _table(document, ["Art", "angefordert am", "Betrag", "eingegangen am"],
           [[p["kind"], p["requested"], p["amount"], p["received"]]
            for p in view["payments"]], {2})  # fmt: skip
    _table(document, ["", "Betrag"],
           [["erhalten", view["received"]], ["zurückgezahlt", view["repaid"]],
            ["aus der Zuwendung verausgabt", view["spent_grant"]],
            ["Bestand", view["balance"]]], {1})  # fmt: skip
    document.add_heading("IV. Sachbericht", level=2)
    for heading in view["headings"]:
        document.add_heading(heading, level=3)
        document.add_paragraph("")
    document.add_heading("V. Bestätigung", level=2)
    document.add_paragraph(view["confirmation"])
    document.add_paragraph("Ort, Datum: ______________________________")
    document.add_paragraph("Unterschrift: ______________________________")
    if view["belege"]:
        document.add_page_break()  # type: ignore[no-untyped-call]
        document.add_heading("Anlage: Belegliste", level=2)
        _table(document, ["Position", "Datum", "Belegnummer", "Buchungstext", "Betrag"],
               [[b["category"], b["date"], b["reference"], b["text"], b["amount"]]
                for b in view["belege"]], {4})  # fmt: skip
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
