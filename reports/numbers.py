"""The funder report's numbers as a workbook: awards, Nachweis, payments, deadlines.

For funders and finance departments that want to compute with the figures: the same
dataset as the docx/pdf report, one sheet per table, real number and date formats,
a total row per award.
"""

from __future__ import annotations

from reports.datasets import FunderReport
from reports.xlsx import Book, Col

AWARD_COLS = (
    Col("Programm", width=34),
    Col("Fördergeber", width=18),
    Col("Förderkennzeichen", width=24),
    Col("Beginn", "date", 12),
    Col("Ende", "date", 12),
    Col("Betrag", "money", 15),
    Col("Eigenanteil", "money", 15),
    Col("Förderquote", "percent", 12),
)
BUDGET_COLS = (
    Col("Programm", width=30),
    Col("Förderkennzeichen", width=22),
    Col("Kostenart", width=22),
    Col("Plan Jahr", "money", 15),
    Col("Ist Jahr", "money", 15),
    Col("Abweichung Jahr", "money", 15),
    Col("Plan kumuliert", "money", 15),
    Col("Ist kumuliert", "money", 15),
    Col("Abweichung kumuliert", "money", 16),
)
PAYMENT_COLS = (
    Col("Programm", width=30),
    Col("Förderkennzeichen", width=22),
    Col("Mittelabruf vom", "date", 15),
    Col("Betrag", "money", 15),
    Col("eingegangen am", "date", 15),
)
DEADLINE_COLS = (
    Col("Programm", width=30),
    Col("Frist", width=44),
    Col("Art", width=18),
    Col("fällig", "date", 12),
    Col("Status", width=12),
    Col("erledigt am", "date", 12),
    Col("Grundlage", "wrap", 40),
)


def funder_xlsx(report: FunderReport, office: str) -> bytes:
    """The report's tables as an xlsx file."""
    book = Book(office, report.title, constant_memory=False, stand=report.today)
    ws = book.sheet("Bewilligungen", AWARD_COLS)
    row = 0
    for p in report.programmes:
        for a in p.awards:
            row += 1
            book.row(
                ws,
                row,
                AWARD_COLS,
                (
                    p.name,
                    a.funder,
                    a.reference,
                    a.start,
                    a.end,
                    a.amount,
                    a.own_contribution,
                    a.funding_rate,
                ),
            )
    ws.write_string(row + 1, 0, "Summe", book.fmt["total_text"])
    ws.write_number(row + 1, 5, float(report.awarded), book.fmt["total_money"])
    ws = book.sheet(f"Nachweis {report.year}", BUDGET_COLS)
    row = 0
    for p in report.programmes:
        for f in p.finance:
            for b in [*f.rows, f.total] if f.rows else []:
                row += 1
                book.row(
                    ws,
                    row,
                    BUDGET_COLS,
                    (
                        p.name,
                        f.award.reference,
                        b.category,
                        b.planned_year,
                        b.actual_year,
                        b.diff_year,
                        b.planned_total,
                        b.actual_total,
                        b.diff_total,
                    ),
                )
    if row == 0:
        ws.write_string(
            1, 0, f"Für {report.year} wurden keine Ausgaben erfasst.", book.fmt["note"]
        )
    ws = book.sheet("Mittelabrufe", PAYMENT_COLS)
    row = 0
    for p in report.programmes:
        for f in p.finance:
            for m in f.payments:
                row += 1
                book.row(
                    ws,
                    row,
                    PAYMENT_COLS,
                    (
                        p.name,
                        f.award.reference,
                        m.requested_on,
                        m.amount,
                        m.received_on,
                    ),
                )
    if row == 0:
        ws.write_string(
            1,
            0,
            f"Für {report.year} sind keine Mittelabrufe erfasst.",
            book.fmt["note"],
        )
    ws = book.sheet("Fristen", DEADLINE_COLS)
    row = 0
    for p in report.programmes:
        for o in [*p.met, *p.coming]:
            row += 1
            book.row(
                ws,
                row,
                DEADLINE_COLS,
                (p.name, o.title, o.kind, o.effective, o.status, o.done_on, o.source),
            )
    return book.close()
