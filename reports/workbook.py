"""The office lead's portfolio workbook (``portfolio export xlsx``), DESIGN §8.

Sheets: Übersicht (one row per programme), Fristen (every open obligation),
Finanzen (plan vs actual per award, cost category and Haushaltsjahr, with a total
row), Mittelabrufe (every payment called, received or paid back), Zeitstrahl
(one column per month, phases filled, today's month marked, ends within six
months flagged "Anschlussfinanzierung klären"), Förderer (money by
funder and by kind per year) and Änderungen (the newest change-log entries in the
words of the page and the API, ``portfolio.services.change_log``, at the office's
local time). Übersicht, Fristen and Mittelabrufe carry hidden key columns
(``_key``, ``_id``, ``_award``, on Fristen ``_stand``: see ``imports.columns``) so
the edited workbook re-imports with exactly the user's edits; the other sheets use
headers the import does not take for a table, and a hidden sheet ``_portfolio``
marks the file.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from xlsxwriter.worksheet import Worksheet

from portfolio.domain import palette
from portfolio.domain.enums import FunderKind, ObligationKind, label
from portfolio.domain.periods import Period
from portfolio.services import clock
from portfolio.services.change_log import all_entries
from reports.workbook_data import (
    ZERO,
    FinanceRow,
    finance_rows,
    money_by_funder,
    month_index,
    open_deadlines,
    overview_rows,
    payment_rows,
    portfolio_years,
    single_awards,
    timeline_rows,
)
from reports.xlsx import Book, Col, fit_width

MARKER = "portfolio-workbook/1"
FOLLOW_UP = "Anschlussfinanzierung klären"
OVERVIEW = "Übersicht"
DEADLINES = "Fristen"
CHANGES = "Änderungen"
PAYMENTS = "Mittelabrufe"
CHANGES_LIMIT = 5000


def build_workbook(
    session: Session,
    today: date | None = None,
    year: int | None = None,
    *,
    office: str = "Regionales Bildungsbüro",
    timezone: str = "Europe/Berlin",
) -> bytes:
    """The whole workbook as xlsx bytes; ``today`` defaults to the Stichtag.

    ``timezone`` is the office's (``office.timezone``): the change log's times are
    shown in it, as on the page.
    """
    today = today or clock.today(session)
    book = Book(office, f"Portfolio {office} – Stand {today:%d.%m.%Y}", stand=today)
    _overview(book, session, today)
    _deadlines(book, session, today)
    _finance(book, session, year)
    _payments(book, session)
    _timeline(book, session, today)
    _funders(book, session, year)
    _changes(book, session, timezone)
    _marker(book, today)
    return book.close()


def _date_cf(
    book: Book,
    ws: Worksheet,
    *,
    rows: int,
    when: str,
    last: int,
    today: date,
    extra: str = "",
) -> None:
    """Mark rows whose date ``when`` (written for row 2) lies before today."""
    if rows == 0:
        return
    day = f"DATE({today.year},{today.month},{today.day})"
    test = f"AND(ISNUMBER({when}),{when}<{day}{extra})"
    ws.conditional_format(
        1,
        0,
        rows,
        last,
        {"type": "formula", "criteria": "=" + test, "format": book.fmt["overdue"]},
    )


OVERVIEW_COLS = (
    Col("Programm", width=34),
    Col("Fördergeber", width=30),
    Col("Art", width=16),
    Col("Laufzeit", width=22),
    Col("Gesamtlaufzeit", width=22),
    Col("Fördersumme (Bescheid)", "money", 15),
    Col("Eigenanteil (Bescheid)", "money", 14),
    Col("Gesamtbetrag", "money", 15),
    Col("Status", width=16),
    Col("Nächste Frist", "date", 13),
    Col("Nächste Aufgabe", width=36),
    Col("Verantwortlich", width=28),
    Col("_key", width=18, hidden=True),
    Col("_id", "int", 6, hidden=True),
    Col("_award", "int", 6, hidden=True),
)


def _editable_award(
    award: tuple[int, date | None, date | None] | None, phase: Period | None
) -> int | None:
    """The award whose amount the overview row may carry, if any.

    The import reads Fördersumme and Eigenanteil as the award of the row and the
    Laufzeit as its term, so they are written only for a programme's single award
    whose term is the phase shown; otherwise only Gesamtbetrag (not imported) shows
    the money, and an unchanged workbook changes nothing.
    """
    if award is None or phase is None:
        return None
    award_id, start, end = award
    return award_id if (start, end) == (phase.start, phase.end) else None


def _overview(book: Book, session: Session, today: date) -> None:
    rows, phases = overview_rows(session, today)
    awards = single_awards(session)
    ws = book.sheet(OVERVIEW, OVERVIEW_COLS)
    ws.set_column(0, 0, fit_width([r.name for r in rows], "Programm", 20, 50))
    for index, r in enumerate(rows, 1):
        award = _editable_award(awards.get(r.id), phases.get(r.id))
        book.row(
            ws,
            index,
            OVERVIEW_COLS,
            (
                r.name,
                ", ".join(r.funders),
                ", ".join(label(k) for k in r.funder_kinds),
                str(phases[r.id]) if r.id in phases else "",
                str(r.period) if r.period else "",
                r.amount if award else None,
                r.own_share if award else None,
                r.amount,
                label(r.status),
                r.next_due,
                r.next_title,
                r.lead,
                r.key,
                r.id,
                award,
            ),
        )
    last = len(OVERVIEW_COLS) - 1
    ws.autofilter(0, 0, len(rows), last - 3)
    _date_cf(book, ws, rows=len(rows), when="$J2", last=last - 3, today=today)
    ws.data_validation(
        1,
        8,
        max(len(rows), 1) + 200,
        8,
        {
            "validate": "list",
            "error_type": "information",
            "source": [
                "Idee",
                "in Antragstellung",
                "läuft",
                "abgeschlossen",
                "abgelehnt",
            ],
        },
    )


DEADLINE_COLS = (
    Col("Programm", width=26),
    Col("Was?", width=44),
    Col("Art", width=18),
    Col("fällig am", "date", 12),
    Col("verschoben auf (Werktag)", "date", 14),
    Col("zuständig", width=28),
    Col("erledigt", "date", 11),
    Col("Förderkennzeichen", width=22),
    Col("Quelle", "wrap", 40),
    Col("_key", width=18, hidden=True),
    Col("_id", "int", 6, hidden=True),
    Col("_award", "int", 6, hidden=True),
    Col("_stand", "int", 6, hidden=True),
)


def _deadlines(book: Book, session: Session, today: date) -> None:
    ws = book.sheet(DEADLINES, DEADLINE_COLS)
    count = 0
    for count, d in enumerate(open_deadlines(session), 1):
        shifted = d.effective if d.effective != d.due_on else None
        book.row(
            ws,
            count,
            DEADLINE_COLS,
            (
                d.programme,
                d.title,
                label(d.kind),
                d.due_on,
                shifted,
                d.responsible,
                None,
                d.reference,
                d.source,
                d.programme_key,
                d.id,
                d.award_id,
                d.stamp,
            ),
        )
    last = len(DEADLINE_COLS) - 5  # the filter ends before the hidden key columns
    ws.autofilter(0, 0, count, last)
    when = "IF(ISNUMBER($E2),$E2,$D2)"
    # A retention date ("Aufbewahrung bis") is never overdue.
    keep = label(ObligationKind.AUFBEWAHRUNG)
    extra = f',$G2="",$C2<>"{keep}"'
    _date_cf(book, ws, rows=count, when=when, extra=extra, last=last, today=today)


FINANCE_COLS = (
    Col("Förderung", width=46),
    Col("Kostenart", width=22),
    Col("Haushaltsjahr", "int", 13),
    Col("Soll (Plan)", "money", 15),
    Col("Ist", "money", 15),
    Col("Differenz", "money", 15),
    Col("Ausschöpfung", "percent", 13),
    Col("_key", width=18, hidden=True),
    Col("_award", "int", 6, hidden=True),
)


# Formats of the Finanzen sheet: the plan is the user's to edit, the Ist comes from
# the finance system (booking import) and is locked and grey.
_OPEN = {"locked": False, "valign": "top"}
_FIXED = {"bg_color": "#EDEDED", "font_color": "#555555", "valign": "top"}


def _finance(book: Book, session: Session, year: int | None) -> None:
    rows = finance_rows(session, year)
    income = finance_rows(session, year, income=True)
    ws = book.sheet("Finanzen", FINANCE_COLS)
    if not rows and not income:
        when = f" für {year}" if year else ""
        ws.write_string(
            1,
            0,
            f"Keine Finanzierungspläne und Ausgaben{when} erfasst.",
            book.fmt["note"],
        )
        return
    add = book.workbook.add_format
    text, whole = add(_OPEN), add({**_OPEN, "num_format": "0"})
    money = add({**_OPEN, "num_format": book.fmt["money"].num_format})
    fixed = add({**_FIXED, "num_format": book.fmt["money"].num_format})
    fixed_share = add({**_FIXED, "num_format": book.fmt["percent"].num_format})
    # Rows added by the user take the open formats of their columns.
    for col, fmt in ((0, text), (1, text), (2, whole), (3, money), (7, text)):
        column = FINANCE_COLS[col]
        options = {"hidden": True} if column.hidden else {}
        ws.set_column(col, col, column.width, fmt, options)
    ws.write_comment(
        0, 4, "Ist aus der Buchungsliste der Finanzbuchhaltung (portfolio import): "
        "hier nur zum Lesen, der Import liest die Spalte nicht.",
    )  # fmt: skip

    def plan_row(index: int, r: FinanceRow) -> None:
        ws.write_string(index, 0, r.label, text)
        ws.write_string(index, 1, r.category, text)
        ws.write_number(index, 2, r.year, whole)
        ws.write_number(index, 3, float(r.planned), money)
        ws.write_string(index, 7, r.programme_key, text)
        ws.write_number(index, 8, r.award_id, whole)

    for index, r in enumerate(rows, 1):
        n = index + 1
        plan_row(index, r)
        ws.write_number(index, 4, float(r.actual), fixed)
        ws.write_formula(
            index, 5, f"=E{n}-D{n}", fixed, float(r.actual - r.planned)
        )  # fmt: skip
        share = float(r.actual / r.planned) if r.planned else ""
        ws.write_formula(index, 6, f'=IF(D{n}=0,"",E{n}/D{n})', fixed_share, share)
    ws.protect(
        "",
        {
            "autofilter": True, "sort": True, "insert_rows": True,
            "delete_rows": True, "format_columns": True,
        },
    )  # fmt: skip
    total, end = len(rows) + 1, len(rows) + 1
    planned = sum((r.planned for r in rows), ZERO)
    actual = sum((r.actual for r in rows), ZERO)
    ws.write_string(total, 0, "Summe", book.fmt["total_text"])
    for col, letter, value in (
        (3, "D", planned),
        (4, "E", actual),
        (5, "F", actual - planned),
    ):
        ws.write_formula(
            total,
            col,
            f"=SUBTOTAL(9,{letter}2:{letter}{end})",
            book.fmt["total_money"],
            float(value),
        )
    # The plan's Einnahmen below the sum of the expenses, editable like the plan
    # (after it: the sheet is written row by row).
    for index, r in enumerate(income, len(rows) + 2):
        plan_row(index, r)
    ws.autofilter(0, 0, len(rows), 6)


PAYMENT_COLS = (
    Col("Programm", width=34),
    Col("Förderkennzeichen", width=24),
    Col("angefordert am", "date", 14),
    Col("Betrag", "money", 15),
    Col("eingegangen am", "date", 14),
    Col("Rückzahlung", width=12),
    Col("Bemerkung", width=40),
    Col("_key", width=18, hidden=True),
    Col("_award", "int", 6, hidden=True),
    Col("_id", "int", 6, hidden=True),
)


def _payments(book: Book, session: Session) -> None:
    """Mittelabrufe and Rückzahlungen, to edit and add rows (re-imported)."""
    ws = book.sheet(PAYMENTS, PAYMENT_COLS)
    rows = payment_rows(session)
    for index, r in enumerate(rows, 1):
        book.row(
            ws,
            index,
            PAYMENT_COLS,
            (
                r.programme, r.reference, r.requested_on, r.amount, r.received_on,
                "ja" if r.repayment else "nein", r.note, r.programme_key,
                r.award_id, r.id,
            ),
        )  # fmt: skip
    ws.data_validation(
        1, 5, max(len(rows), 1) + 500, 5,
        {"validate": "list", "source": ["ja", "nein"]},
    )  # fmt: skip
    ws.autofilter(0, 0, len(rows), 6)


def _timeline(book: Book, session: Session, today: date) -> None:
    rows = timeline_rows(session)
    years = portfolio_years(rows, today)
    months = [(y, m) for y in years for m in range(1, 13)]
    fixed = (
        Col("Programm", width=fit_width([r.label for r in rows], "Programm", 14, 36)),
        Col("Ende", "date", 11),
        Col("Hinweis", width=26),
    )
    ws = book.workbook.add_worksheet("Zeitstrahl")
    book.print_setup(ws, "Zeitstrahl")
    add = book.workbook.add_format
    phase = add({"bg_color": palette.PHASE})
    phase_now = add({"bg_color": palette.PHASE_CURRENT})
    now_col = add({"bg_color": "#FCE4B6"})
    month_head = add(
        {
            "bold": True,
            "font_size": 7,
            "rotation": 90,
            "align": "center",
            "bg_color": "#E8EEF6",
            "border": 1,
        }
    )
    month_now = add(
        {
            "bold": True,
            "font_size": 7,
            "rotation": 90,
            "align": "center",
            "bg_color": "#F0A500",
            "border": 1,
        }
    )
    for index, col in enumerate(fixed):
        ws.set_column(index, index, col.width)
    ws.set_column(len(fixed), len(fixed) + len(months) - 1, 2.4)
    ws.set_row(0, 34)
    for index, col in enumerate(fixed):
        ws.write_string(0, index, col.header, book.fmt["header"])
    current = month_index(today)
    for offset, (y, m) in enumerate(months):
        head = month_now if y * 12 + m - 1 == current else month_head
        ws.write_string(0, len(fixed) + offset, f"{m:02d}/{y % 100:02d}", head)
    ws.freeze_panes(1, len(fixed))
    first = years[0] * 12
    for index, row in enumerate(rows, 1):
        soon = row.ends_soon(today)
        ws.write_string(
            index, 0, row.label, book.fmt["soon"] if soon else book.fmt["text"]
        )
        book.cell(ws, index, 1, row.end, "date")
        if soon:
            ws.write_string(index, 2, FOLLOW_UP, book.fmt["soon"])
        span = range(first, first + len(months))
        filled: set[int] = {current}
        for start, end in row.phases:
            last = month_index(end) if end else span.stop
            filled.update(
                range(max(month_index(start), span.start), min(last + 1, span.stop))
            )
        # Only the filled months are written: rows are long, most cells stay empty.
        for month in sorted(m for m in filled if m in span):
            running = (
                any(
                    month_index(s) <= month and (e is None or month <= month_index(e))
                    for s, e in row.phases
                )
                if month == current
                else True
            )
            style = (phase_now if running else now_col) if month == current else phase
            ws.write_blank(index, len(fixed) + month - first, None, style)
    ws.autofilter(0, 0, len(rows), len(fixed) - 1)


def _funders(book: Book, session: Session, year: int | None) -> None:
    money = money_by_funder(session)
    known = sorted({y for m in money for y in m.by_year})
    years = [y for y in known if year is None or y <= year] or ([year] if year else [])
    cols = (
        Col(
            "Fördergeber",
            width=fit_width([m.short_name for m in money], "Fördergeber", 12, 28),
        ),
        Col("Langname", width=40),
        Col("Art", width=12),
        *(Col(str(y), "money", 14) for y in years),
        Col("ohne Zeitraum", "money", 15),
    )
    ws = book.sheet("Förderer", cols)
    by_kind: dict[FunderKind, dict[int, Decimal]] = defaultdict(dict)
    for index, m in enumerate(money, 1):
        values = [m.by_year.get(y) for y in years]
        book.row(
            ws,
            index,
            cols,
            (m.short_name, m.name, label(m.kind), *values, m.unplaced or None),
        )
        for y in years:
            by_kind[m.kind][y] = by_kind[m.kind].get(y, ZERO) + m.by_year.get(y, ZERO)
    ws.autofilter(0, 0, len(money), len(cols) - 1)
    row = len(money) + 2
    ws.write_string(row, 0, "Nach Art des Fördergebers", book.fmt["title"])
    for kind in FunderKind:
        if kind not in by_kind:
            continue
        row += 1
        ws.write_string(row, 0, label(kind), book.fmt["text"])
        for offset, y in enumerate(years):
            book.cell(ws, row, 3 + offset, by_kind[kind].get(y) or None, "money")
    note = (
        "Beträge je Jahr: laut Finanzierungsplan, sonst die Bewilligung "
        "tagesgenau auf den Bewilligungszeitraum verteilt."
    )
    ws.write_string(row + 2, 0, note, book.fmt["note"])


def _changes(book: Book, session: Session, timezone: str) -> None:
    """The change log in the words of the page and the API, at local time.

    The headers are words the import takes for no table ("Wann" and "Wer" would
    read as a deadline list), so the edited workbook re-imports without it.
    """
    entries = all_entries(session, timezone, limit=CHANGES_LIMIT)
    texts = [e.text for e in entries]
    ws = book.sheet(
        CHANGES,
        (
            Col("Zeitpunkt (Ortszeit)", "datetime", 17),
            Col("Person", width=fit_width([e.who for e in entries], "Person", 10, 24)),
            Col(
                "Programm",
                width=fit_width(
                    [e.programme or "" for e in entries], "Programm", 14, 30
                ),
            ),
            Col("Änderung", "wrap", fit_width(texts, "Änderung", 40, 90)),
        ),
    )
    zone = ZoneInfo(timezone)
    row = 0
    for row, entry in enumerate(entries, 1):
        moment = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
        local = moment.astimezone(zone).replace(tzinfo=None)
        ws.write_datetime(row, 0, local, book.fmt["datetime"])
        book.cell(ws, row, 1, entry.who)
        book.cell(ws, row, 2, entry.programme)
        book.cell(ws, row, 3, entry.text, "wrap")
    if entries:
        ws.autofilter(0, 0, row, 3)
    if len(entries) == CHANGES_LIMIT:
        note = (
            f"Die neuesten {CHANGES_LIMIT:,} Änderungen".replace(",", ".")
            + "; alle stehen im Browser unter Änderungen."
        )
        ws.write_string(row + 2, 0, note, book.fmt["note"])
    elif not entries:
        ws.write_string(1, 0, "Keine Änderungen protokolliert.", book.fmt["note"])


def _marker(book: Book, today: date) -> None:
    ws = book.workbook.add_worksheet("_portfolio")
    ws.write_string(0, 0, MARKER)
    ws.write_string(1, 0, "Stichtag")
    ws.write_datetime(1, 1, today, book.fmt["date"])
    ws.hide()
