"""The report datasets written out as German text, ready for any template.

Templates (html, docx) should not format numbers: ``funder_view`` turns a
``FunderReport`` into plain dictionaries of strings (money through Babel, dates as
01.11.2016, percentages) and the sentences that stand in for empty sections, so the
Word template an office restyles holds only simple ``{{ … }}`` tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from portfolio.domain.money import format_money, format_number, format_percent
from portfolio.domain.periods import format_date
from reports.datasets import (
    AwardFinance,
    AwardLine,
    BudgetRow,
    FunderReport,
    ObligationLine,
    ProgrammeSection,
)

View = dict[str, Any]


def money(amount: Decimal | None) -> str:
    """Money the German way (``1.234,56 €``), a dash for unknown."""
    return format_money(amount)


def day(value: date | None) -> str:
    """A date as 15.03.2017, a dash for unknown."""
    return format_date(value) if value else "–"


def signed(amount: Decimal) -> str:
    """A difference with its sign (``+1.000,00 €``, ``−500,00 €``)."""
    if amount > 0:
        return "+" + format_money(amount)
    if amount < 0:
        return "−" + format_money(-amount)
    return format_money(amount)


def award_view(award: AwardLine) -> View:
    """One award as text."""
    return {
        "funder": award.funder,
        "funder_name": award.funder_name,
        "reference": award.reference,
        "kind": award.kind,
        "term": award.term,
        "amount": money(award.amount),
        "own_contribution": money(award.own_contribution),
        "funding_rate": format_percent(award.funding_rate),
        "staff_posts": format_number(award.staff_posts, 2)
        if award.staff_posts is not None
        else "–",
    }


def budget_view(row: BudgetRow) -> View:
    """One plan/actual row as text."""
    return {
        "category": row.category,
        "planned_year": money(row.planned_year),
        "actual_year": money(row.actual_year),
        "diff_year": signed(row.diff_year),
        "planned_total": money(row.planned_total),
        "actual_total": money(row.actual_total),
        "diff_total": signed(row.diff_total),
    }


def finance_view(finance: AwardFinance, year: int) -> View:
    """The zahlenmäßiger Nachweis of one award as text."""
    award = finance.award
    return {
        "award": award_view(award),
        "heading": f"{award.funder} {award.reference}",
        "has_figures": finance.has_figures,
        "empty": f"Für {year} wurden keine Ausgaben und kein Finanzierungsplan "
        "erfasst.",
        "rows": [budget_view(r) for r in finance.rows],
        "total": budget_view(finance.total),
        "payments": [
            {
                "requested_on": day(p.requested_on),
                "amount": money(p.amount),
                "received_on": day(p.received_on),
            }
            for p in finance.payments
        ],
        "payments_empty": f"Für {year} sind keine Mittelabrufe erfasst.",
        "received_year": money(finance.received_year),
        "received_total": money(finance.received_total),
    }


def obligation_view(line: ObligationLine) -> View:
    """One deadline as text."""
    return {
        "title": line.title,
        "kind": line.kind,
        "due": day(line.effective),
        "shifted": f"verschoben von {day(line.due_on)}" if line.shifted else "",
        "status": line.status,
        "done_on": day(line.done_on) if line.done_on else "",
        "responsible": line.responsible or "–",
        "source": line.source,
        "overdue": line.overdue,
    }


def programme_view(section: ProgrammeSection, year: int) -> View:
    """One programme's part of the report as text."""
    return {
        "key": section.key,
        "name": section.name,
        "label": section.label,
        "period": section.period,
        "status": section.status,
        "field_of_action": section.field_of_action,
        "awarded": money(section.awarded),
        "awards": [award_view(a) for a in section.awards],
        "awards_empty": f"Für {year} ist keine Bewilligung dieses Fördergebers "
        "erfasst.",
        "finance": [finance_view(f, year) for f in section.finance],
        "met": [obligation_view(o) for o in section.met],
        "met_empty": f"Im Jahr {year} wurden keine Fristen erledigt.",
        "coming": [obligation_view(o) for o in section.coming],
        "coming_empty": f"Bis Ende {year + 1} stehen keine offenen Fristen an.",
        "narratives": [
            {
                "title": n.title,
                "text": n.text,
                "paragraphs": [p.strip() for p in n.text.split("\n\n") if p.strip()],
                "empty": f"Für {year} ist noch kein Text zu „{n.title}“ erfasst.",
            }
            for n in section.narratives
        ],
    }


def funder_view(report: FunderReport, office: str, address: Sequence[str] = ()) -> View:
    """The whole report as text for the templates (``address``: the sender's lines)."""
    totals = report.totals
    year = report.year
    return {
        "office": office,
        "address": list(address),
        "sender": " · ".join([office, *address]),
        "title": report.title,
        "short_title": f"Jahresbericht {year} · {report.subject}",
        "scope": report.scope,
        "subject": report.subject,
        "recipient": report.recipient,
        "year": year,
        "today": day(report.today),
        "programme_count": len(report.programmes),
        "programmes": [programme_view(p, year) for p in report.programmes],
        "programmes_empty": f"Im Haushaltsjahr {year} lief kein Programm mit "
        "dieser Förderung.",
        "awarded": money(report.awarded),
        "own_contribution": money(report.own_contribution)
        if any(
            a.own_contribution is not None for p in report.programmes for a in p.awards
        )
        else "nicht erfasst",
        "totals": budget_view(totals),
        "received_year": money(report.received_year),
        "received_total": money(report.received_total),
        "has_expenses": totals.actual_year != 0 or totals.planned_year != 0,
        "expenses_empty": f"Für {year} wurden keine Ausgaben erfasst.",
    }
