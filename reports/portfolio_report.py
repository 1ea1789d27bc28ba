"""The annual portfolio report for the Lenkungskreis and the Ausschuss.

The portfolio in numbers (running programmes, money by funder kind per year over the
last five years, own share, staff posts where recorded), a timeline and a
funding-mix chart (SVG in html/pdf, PNG in docx), the deadlines of the coming twelve
months and the programmes that end within a year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import FunderKind, ObligationKind, ProgrammeStatus, label
from portfolio.domain.models import Award
from portfolio.domain.money import format_money, format_number
from portfolio.domain.periods import add_months, format_date
from portfolio.services.big_picture import big_picture
from portfolio.services.money_overview import ProgrammeMoney, money_by_programme, totals
from portfolio.storage.page_queries import money_by_kind
from portfolio.storage.queries import programme_overview
from reports import charts
from reports.options import ReportOptions
from reports.templating import html_to_pdf, render_docx, render_html
from reports.workbook_data import open_deadlines, timeline_rows

YEARS_BACK = 5


@dataclass(slots=True)
class PortfolioData:
    """Everything the portfolio report shows, as text and chart pictures."""

    view: dict[str, Any]
    timeline_bars: list[charts.Bar]
    first_year: int
    last_year: int
    years: list[int]
    by_kind: dict[str, dict[int, Decimal]]
    counts: dict[str, int]


def _reference(year: int, today: date) -> date:
    """The day the report looks from: today, or the year's end for a past year."""
    return min(today, date(year, 12, 31))


def _award_sums(
    session: Session, first: date, last: date
) -> tuple[Decimal | None, Decimal | None]:
    """Own contributions and staff posts of the awards running in a span."""
    running = sa.and_(
        sa.or_(Award.start.is_(None), Award.start <= last),
        sa.or_(Award.end.is_(None), Award.end >= first),
    )
    own, posts = session.execute(
        sa.select(
            sa.func.sum(Award.own_contribution), sa.func.sum(Award.staff_posts)
        ).where(running)
    ).one()
    return own, posts


def build(session: Session, year: int, today: date, office: str) -> PortfolioData:
    """Gather the portfolio report's figures for one year.

    The figures the Übersicht shows too (running programmes, money of the year,
    applications in progress, programmes ending, open deadlines) come from the one
    function behind both, ``services.big_picture``.
    """
    ref = _reference(year, today)
    picture = big_picture(session, ref, year=year, ending_limit=None)
    horizon = picture.horizon
    first, last = date(year, 1, 1), date(year, 12, 31)
    overview = programme_overview(session)
    running = [
        r
        for r in overview
        if r.status is ProgrammeStatus.RUNNING
        and (r.period is None or r.period.overlaps(first, last))
    ]
    years = list(range(year - YEARS_BACK + 1, year + 1))
    by_kind: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for y in years:
        shares = picture.money_by_kind if y == year else money_by_kind(session, y)
        for kind, amount in shares.items():
            by_kind[kind.value][y] = amount
    counts: dict[str, int] = {}
    for kind in FunderKind:
        n = sum(1 for r in running if kind in r.funder_kinds)
        if n:
            counts[kind.value] = n
    timeline = timeline_rows(session)
    ending_ids = {e.id for e in picture.ending}
    bars = [
        charts.Bar(t.label, s, e, t.programme_id in ending_ids)
        for t in timeline
        for s, e in t.phases
        if e is None or e.year >= year - YEARS_BACK
    ]
    deadlines = [
        d
        for d in open_deadlines(session)
        if d.effective <= horizon and d.kind is not ObligationKind.AUFBEWAHRUNG
    ]
    own, posts = _award_sums(session, first, last)
    rows_by_key = {r.key: r for r in overview}
    pipeline = picture.pipeline
    view = {
        "office": office,
        "title": f"Portfolio-Bericht {year}",
        "short_title": f"Portfolio-Bericht {year}",
        "year": year,
        "today": format_date(today),
        "ref": format_date(ref),
        "horizon": format_date(horizon),
        "kpis": [
            {"label": f"laufende Programme {year}", "value": str(picture.running)},
            {
                "label": f"Fördermittel {year}",
                "value": format_money(picture.money_total),
            },
            {
                "label": f"Eigenanteil (Bewilligungen {year})",
                "value": format_money(own, "nicht erfasst"),
            },
            {
                "label": "geförderte Stellen",
                "value": format_number(posts, 1) if posts else "nicht erfasst",
            },
            {
                "label": "offene Fristen in 12 Monaten",
                "value": str(picture.deadlines.until_horizon),
            },
            {
                "label": "Programme, die in 12 Monaten enden",
                "value": str(picture.ending_count),
            },
            {"label": "Anträge in Arbeit", "value": str(pipeline.count)},
            {
                "label": "beantragt (Anträge in Arbeit)",
                "value": format_money(pipeline.requested),
            },
        ],
        "years": [str(y) for y in years],
        "money_rows": [
            {
                "kind": label(FunderKind(k)),
                "amounts": [
                    format_money(by_kind[k].get(y)) if by_kind[k].get(y) else "–"
                    for y in years
                ],
            }
            for k in (kind.value for kind in FunderKind)
            if k in by_kind
        ],
        "money_long": [
            {
                "year": str(y),
                "kind": label(FunderKind(k)),
                "amount": format_money(by_kind[k][y]),
            }
            for y in years
            for k in (kind.value for kind in FunderKind)
            if k in by_kind and by_kind[k].get(y)
        ],
        "money_empty": "Für diese Jahre sind keine Beträge erfasst.",
        **_programme_money(session, year),
        "running": [
            {
                "label": r.label,
                "funders": ", ".join(r.funders) or "–",
                "period": str(r.period) if r.period else "–",
                "amount": format_money(r.amount),
            }
            for r in running
        ],
        "running_empty": f"Im Jahr {year} lief kein Programm.",
        "deadlines": [
            {
                "due": format_date(d.effective),
                "programme": d.programme,
                "title": d.title,
                "responsible": d.responsible or "–",
                "overdue": d.effective < ref,
            }
            for d in deadlines
        ],
        "deadlines_empty": f"Bis {format_date(horizon)} stehen keine Fristen an.",
        "ending": [
            {
                "label": e.label,
                "end": format_date(e.end),
                "funders": ", ".join(rows_by_key[e.key].funders)
                if e.key in rows_by_key
                else "–",
                "hint": e.follow_up_text
                + (
                    " – Anschlussfinanzierung klären"
                    if e.open_question and e.end <= add_months(ref, 6)
                    else ""
                ),
            }
            for e in picture.ending
        ],
        "pipeline": [
            {
                "status": label(stage.status),
                "count": str(stage.count),
                "requested": format_money(stage.requested),
            }
            for stage in pipeline.stages
        ],
        "pipeline_count": str(pipeline.count),
        "pipeline_total": format_money(pipeline.requested),
        "ending_empty": f"Bis {format_date(horizon)} endet kein Programm.",
    }
    return PortfolioData(
        view=view,
        timeline_bars=bars,
        first_year=year - YEARS_BACK + 1,
        last_year=max(year + 1, horizon.year),
        years=years,
        by_kind=dict(by_kind),
        counts=counts,
    )


def _money_cells(row: ProgrammeMoney) -> dict[str, str]:
    def cell(value: Decimal) -> str:
        return format_money(value) if value else "–"

    return {
        "label": row.label,
        "awarded": cell(row.awarded),
        "planned": cell(row.planned),
        "spent": cell(row.spent),
        "called": cell(row.called),
        "balance": (
            f"{format_money(row.balance)}{' (Schätzung)' if row.estimated else ''}"
            if row.balance or row.called or row.spent
            else "–"
        ),
    }


def _programme_money(session: Session, year: int) -> dict[str, Any]:
    """The full money table of the year: one row per programme, and the sum."""
    rows = money_by_programme(session, year)
    return {
        "programme_money": [_money_cells(r) for r in rows],
        "programme_money_total": _money_cells(totals(rows)),
        "programme_money_empty": f"Für {year} ist kein Geld erfasst.",
        "programme_money_note": (
            "bewilligt: Summe der Bewilligungen, die das Jahr berühren; geplant und "
            f"ausgegeben: Finanzierungsplan und Buchungen {year}; abgerufen: "
            f"{year} eingegangene Mittelabrufe; Bestand zum 31.12.{year}: erhalten, "
            "abzüglich Rückzahlungen und des aus der Zuwendung bezahlten Teils der "
            "Ausgaben (Schätzung, wo die Förderquote fehlt: dann zählt die ganze "
            "Ausgabe)."
        ),
    }


def pictures(data: PortfolioData, today: date, fmt: str) -> dict[str, bytes]:
    """The two charts in one picture format (svg or png)."""
    labels = {k.value: label(k) for k in FunderKind}
    return {
        "timeline_chart": charts.timeline(
            data.timeline_bars, today, data.first_year, data.last_year, fmt
        ),
        "mix_chart": charts.funding_mix(
            data.years, data.by_kind, labels, data.counts, fmt
        ),
    }


def render(
    session: Session, year: int, today: date, fmt: str, options: ReportOptions
) -> bytes:
    """The portfolio report as html, pdf or docx."""
    data = build(session, year, today, options.office_name)
    if fmt == "docx":
        images = pictures(data, today, "png")
        return render_docx(
            "portfolio_report.docx", {"r": data.view}, options.templates_dir, images
        )
    svgs = pictures(data, today, "svg")
    context = {
        "r": data.view,
        "timeline_svg": _inline_svg(svgs["timeline_chart"]),
        "mix_svg": _inline_svg(svgs["mix_chart"]),
    }
    html = render_html("portfolio_report.html", context, options.templates_dir)
    return html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")


def _inline_svg(svg: bytes) -> str:
    """An SVG document as an inline element (without the XML prologue)."""
    text = svg.decode("utf-8")
    return text[text.index("<svg") :]
