"""Build the Word templates of the reports (funder and portfolio report).

The templates are ordinary Word files with docxtpl tags (``{{ r.title }}``,
``{%tr for … %}`` rows, ``{%p if … %}`` paragraphs), so an office can open them in
Word, restyle them and put the result in its ``paths.templates`` folder. This script
writes the shipped versions; run it after changing it and commit both::

    python reports/templates/make_docx_template.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table

HERE = Path(__file__).resolve().parent
Doc = Any  # python-docx's Document class is not exported as a type
BLUE = RGBColor(0x1F, 0x3B, 0x63)


def _field(paragraph: object, code: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) to a paragraph."""
    run = paragraph.add_run()  # type: ignore[attr-defined]
    for kind, text in (
        ("begin", None),
        ("instr", code),
        ("separate", None),
        ("text", "1"),
        ("end", None),
    ):
        if kind == "instr":
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = f" {text} "
        elif kind == "text":
            node = OxmlElement("w:t")
            node.text = text
        else:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        run._r.append(node)


def _base() -> Doc:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    styles = document.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10)
    for name, size in (("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        styles[name].font.size = Pt(size)
        styles[name].font.color.rgb = BLUE
    header = section.header.paragraphs[0]
    header.text = "{{ r.office }}\t\t{{ r.short_title }}"
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Stand {{ r.today }} · Seite ")
    _field(footer, "PAGE")
    footer.add_run(" von ")
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(8)
    return document


def _table(
    document: Doc,
    headers: list[str],
    loop: str,
    cells: list[str],
    total: list[str] | None = None,
) -> Table:
    """A table: header row, a ``{%tr for %}`` row, the data row, ``{%tr endfor %}``."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Light List Accent 1"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    table.add_row().cells[0].text = "{%tr " + loop + " %}"
    row = table.add_row()
    for index, (cell, text) in enumerate(zip(row.cells, cells, strict=True)):
        cell.text = text
        if index and headers[index].startswith(
            ("Betrag", "Plan", "Ist", "Abw", "Eigen", "Quote", "Förderquote")
        ):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    table.add_row().cells[0].text = "{%tr endfor %}"
    if total:
        row = table.add_row()
        for index, (cell, text) in enumerate(zip(row.cells, total, strict=True)):
            cell.text = text
            if cell.paragraphs[0].runs:
                cell.paragraphs[0].runs[0].bold = True
            if index:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return table  # type: ignore[no-any-return]


def _p(document: Doc, text: str, style: str | None = None) -> None:
    document.add_paragraph(text, style=style)


def _italic(document: Doc, text: str) -> None:
    document.add_paragraph().add_run(text).italic = True


def funder_template() -> Doc:  # noqa: PLR0915 - a template is one long sequence
    """The yearly report to a funder or about a programme."""
    d = _base()
    _p(d, "{{ r.sender }}")
    d.add_heading("{{ r.title }}", level=1)
    _p(
        d,
        "Haushaltsjahr {{ r.year }} · Empfänger: {{ r.recipient }} · "
        "Stand {{ r.today }}",
    )
    d.add_heading("Zusammenfassung", level=2)
    summary = d.add_table(rows=5, cols=2)
    summary.style = "Light List Accent 1"
    for row, (name, value) in zip(
        summary.rows,
        (
            ("Programme", "{{ r.programme_count }}"),
            ("Bewilligt", "{{ r.awarded }}"),
            ("Eigenanteil", "{{ r.own_contribution }}"),
            ("Ausgaben {{ r.year }}", "{{ r.totals.actual_year }}"),
            ("Mittel erhalten {{ r.year }}", "{{ r.received_year }}"),
        ),
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = name, value
        row.cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _p(d, "{%p if not r.has_expenses %}")
    _italic(d, "{{ r.expenses_empty }}")
    _p(d, "{%p endif %}")
    _p(d, "{%p if not r.programmes %}")
    _italic(d, "{{ r.programmes_empty }}")
    _p(d, "{%p endif %}")
    _p(d, "{%p for p in r.programmes %}")
    d.add_heading("{{ p.name }}", level=2)
    _p(d, "Laufzeit: {{ p.period }} · Status: {{ p.status }}")
    d.add_heading("Bewilligungen", level=3)
    _p(d, "{%p if p.awards %}")
    _table(
        d,
        [
            "Fördergeber",
            "Förderkennzeichen",
            "Bewilligungszeitraum",
            "Betrag",
            "Eigenanteil",
            "Förderquote",
        ],
        "for a in p.awards",
        [
            "{{ a.funder }}",
            "{{ a.reference }}",
            "{{ a.term }}",
            "{{ a.amount }}",
            "{{ a.own_contribution }}",
            "{{ a.funding_rate }}",
        ],
        ["Summe", "", "", "{{ p.awarded }}", "", ""],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ p.awards_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Zahlenmäßiger Nachweis {{ r.year }}", level=3)
    _p(d, "{%p for f in p.finance %}")
    _p(d, "{{ f.heading }}", "Heading 4")
    _p(d, "{%p if f.has_figures %}")
    _table(
        d,
        [
            "Kostenart",
            "Plan {{ r.year }}",
            "Ist {{ r.year }}",
            "Abweichung",
            "Plan kumuliert",
            "Ist kumuliert",
        ],
        "for b in f.rows",
        [
            "{{ b.category }}",
            "{{ b.planned_year }}",
            "{{ b.actual_year }}",
            "{{ b.diff_year }}",
            "{{ b.planned_total }}",
            "{{ b.actual_total }}",
        ],
        [
            "Summe",
            "{{ f.total.planned_year }}",
            "{{ f.total.actual_year }}",
            "{{ f.total.diff_year }}",
            "{{ f.total.planned_total }}",
            "{{ f.total.actual_total }}",
        ],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ f.empty }}")
    _p(d, "{%p endif %}")
    _p(d, "{%p if f.payments %}")
    _table(
        d,
        ["Mittelabruf vom", "Betrag", "eingegangen am"],
        "for m in f.payments",
        ["{{ m.requested_on }}", "{{ m.amount }}", "{{ m.received_on }}"],
    )
    _p(
        d,
        "Erhalten {{ r.year }}: {{ f.received_year }} · bis Ende {{ r.year }} "
        "insgesamt: {{ f.received_total }}",
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ f.payments_empty }}")
    _p(d, "{%p endif %}")
    _p(d, "{%p endfor %}")
    _p(d, "{%p if not p.finance %}")
    _italic(d, "{{ p.awards_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Erledigte Fristen {{ r.year }}", level=3)
    _p(d, "{%p if p.met %}")
    _table(
        d,
        ["Frist", "Art", "fällig", "Status", "erledigt am"],
        "for o in p.met",
        [
            "{{ o.title }}",
            "{{ o.kind }}",
            "{{ o.due }}",
            "{{ o.status }}",
            "{{ o.done_on }}",
        ],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ p.met_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Anstehende Fristen", level=3)
    _p(d, "{%p if p.coming %}")
    _table(
        d,
        ["Frist", "Art", "fällig", "zuständig", "Grundlage"],
        "for o in p.coming",
        [
            "{{ o.title }}",
            "{{ o.kind }}",
            "{{ o.due }}{% if o.overdue %} (überfällig){% endif %}",
            "{{ o.responsible }}",
            "{{ o.source }}",
        ],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ p.coming_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Sachbericht {{ r.year }}", level=3)
    _p(d, "{%p for n in p.narratives %}")
    _p(d, "{{ n.title }}", "Heading 4")
    _p(d, "{%p if n.paragraphs %}")
    _p(d, "{%p for para in n.paragraphs %}")
    _p(d, "{{ para }}")
    _p(d, "{%p endfor %}")
    _p(d, "{%p else %}")
    _italic(d, "{{ n.empty }}")
    _p(d, "{%p endif %}")
    _p(d, "{%p endfor %}")
    _p(d, "{%p endfor %}")
    return d


def portfolio_template() -> Doc:
    """The annual portfolio report for the Lenkungskreis and the Ausschuss."""
    d = _base()
    _p(d, "{{ r.office }}")
    d.add_heading("{{ r.title }}", level=1)
    _p(d, "Stand {{ r.today }}")
    d.add_heading("Das Portfolio in Zahlen", level=2)
    kpis = d.add_table(rows=1, cols=2)
    kpis.style = "Light List Accent 1"
    kpis.rows[0].cells[0].text = "{%tr for k in r.kpis %}"
    row = kpis.add_row()
    row.cells[0].text, row.cells[1].text = "{{ k.label }}", "{{ k.value }}"
    row.cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    kpis.add_row().cells[0].text = "{%tr endfor %}"
    d.add_heading("Mittel nach Art des Fördergebers und Jahr", level=2)
    _p(d, "{{ mix_chart }}")
    _p(d, "{%p if r.money_long %}")
    _table(
        d,
        ["Jahr", "Art des Fördergebers", "Betrag"],
        "for m in r.money_long",
        ["{{ m.year }}", "{{ m.kind }}", "{{ m.amount }}"],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ r.money_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Geld je Programm {{ r.year }}", level=2)
    _p(d, "{%p if r.programme_money %}")
    money = ["awarded", "planned", "spent", "called", "balance"]
    table = _table(
        d,
        ["Programm", "bewilligt", "geplant", "ausgegeben", "abgerufen", "Bestand"],
        "for m in r.programme_money",
        ["{{ m.label }}", *("{{ m." + f + " }}" for f in money)],
        ["{{ r.programme_money_total.label }}",
         *("{{ r.programme_money_total." + f + " }}" for f in money)],
    )  # fmt: skip
    for row in (table.rows[2], table.rows[4]):
        for cell in row.cells[1:]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _italic(d, "{{ r.programme_money_note }}")
    _p(d, "{%p else %}")
    _italic(d, "{{ r.programme_money_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Zeitstrahl", level=2)
    _p(d, "{{ timeline_chart }}")
    d.add_heading("Laufende Programme", level=2)
    _p(d, "{%p if r.running %}")
    _table(
        d,
        ["Programm", "Fördergeber", "Laufzeit", "Betrag"],
        "for p in r.running",
        ["{{ p.label }}", "{{ p.funders }}", "{{ p.period }}", "{{ p.amount }}"],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ r.running_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Fristen im kommenden Jahr", level=2)
    _p(d, "{%p if r.deadlines %}")
    _table(
        d,
        ["fällig", "Programm", "Frist", "zuständig"],
        "for o in r.deadlines",
        [
            "{{ o.due }}{% if o.overdue %} (überfällig){% endif %}",
            "{{ o.programme }}",
            "{{ o.title }}",
            "{{ o.responsible }}",
        ],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ r.deadlines_empty }}")
    _p(d, "{%p endif %}")
    d.add_heading("Programme, die innerhalb eines Jahres enden", level=2)
    _p(d, "{%p if r.ending %}")
    _table(
        d,
        ["Programm", "Ende", "Fördergeber", "Hinweis"],
        "for p in r.ending",
        ["{{ p.label }}", "{{ p.end }}", "{{ p.funders }}", "{{ p.hint }}"],
    )
    _p(d, "{%p else %}")
    _italic(d, "{{ r.ending_empty }}")
    _p(d, "{%p endif %}")
    return d


def main() -> None:
    """Write both templates next to this script."""
    funder_template().save(str(HERE / "funder_report.docx"))
    portfolio_template().save(str(HERE / "portfolio_report.docx"))


if __name__ == "__main__":
    main()
