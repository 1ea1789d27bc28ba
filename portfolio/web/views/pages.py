"""Übersicht (dashboard) and Zeitstrahl (timeline)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from portfolio.domain.enums import FunderKind, ProgrammeStatus, UserRole
from portfolio.services import mail_outage
from portfolio.services.big_picture import big_picture
from portfolio.storage.page_queries import (
    AHEAD_DAYS,
    ProgrammeFilter,
    dashboard,
    timeline_page,
)
from portfolio.web import timeline as layout
from portfolio.web.context import Ctx, page
from portfolio.web.forms import parse_enum

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """KPIs, money by funder kind, pipeline, endings, overdue and the next 90 days.

    The figures come from ``big_picture``, as the portfolio report's do.
    """
    picture = big_picture(ctx.session, ctx.today)
    board = dashboard(ctx.session, ctx.today)
    biggest = max(picture.money_by_kind.values(), default=Decimal(0))
    bars = [
        (kind, amount, float(amount / biggest * 100) if biggest else 0.0)
        for kind, amount in picture.money_by_kind.items()
    ]
    return ctx.render(
        "overview.html",
        nav="overview",
        pic=picture,
        board=board,
        money_bars=bars,
        colours=layout.KIND_COLOURS,
        soon_until=ctx.today + timedelta(days=30),
        ahead_until=ctx.today + timedelta(days=AHEAD_DAYS),
        mail_outage=_outage_text(ctx),
        **_money_panel(ctx),
    )


def _money_panel(ctx: Ctx) -> dict[str, Any]:
    """Money of the year, the programmes with the largest gaps, the money checks."""
    from portfolio.services.money_checks import money_warnings
    from portfolio.services.money_overview import money_by_programme, totals

    # Programmes without any money records add nothing to these sums.
    rows = money_by_programme(ctx.session, ctx.today.year, with_records_only=True)
    gaps = sorted((r for r in rows if r.gap > 0), key=lambda r: r.gap, reverse=True)
    regimes = ctx.request.app.state.settings.get("paths.regimes")
    return {
        "money_year": totals(rows),
        "money_gaps": gaps[:5],
        "money_warnings": money_warnings(ctx.session, ctx.today, regimes),
    }


def _outage_text(ctx: Ctx) -> str | None:
    """The mail server's outage, for admins (they can act on it)."""
    if ctx.user.role is not UserRole.ADMIN:
        return None
    outage = mail_outage.current(ctx.session)
    timezone = ctx.request.app.state.settings.get("office.timezone")
    return outage.text(str(timezone)) if outage else None


@router.get("/zeitstrahl", response_class=HTMLResponse)
def timeline(
    ctx: Ctx = Depends(page), art: str = "", status: str = "", seite: int = 1
) -> HTMLResponse:
    """All programmes across the years as an SVG timeline, filterable."""
    flt = ProgrammeFilter(
        status=parse_enum(ProgrammeStatus, status), kind=parse_enum(FunderKind, art)
    )
    items, pager = timeline_page(ctx.session, flt, seite)
    picture = layout.build(items, ctx.today, ctx.stichtag is not None)
    return ctx.render(
        "timeline.html",
        nav="timeline",
        tl=picture,
        pager=pager,
        flt=flt,
        kinds=list(FunderKind),
        statuses=list(ProgrammeStatus),
    )
