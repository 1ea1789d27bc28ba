"""Berichte (downloads of the workbook and the yearly reports) and the Import page.

Reports are read-only: GET links that answer with the file (Content-Disposition), so
a browser saves them. The import page lives in ``imports_page`` once the import
service is installed.
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from portfolio.domain.models import Funder, Programme
from portfolio.web.context import Ctx, page

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_LABELS = {
    "funder": "an einen Fördergeber",
    "programme": "zu einem Programm",
    "portfolio": "Portfolio (alle Programme)",
}


def download(data: bytes, filename: str, media_type: str) -> Response:
    """Answer with a file the browser saves under its German name."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": disposition}
    )


@router.get("/berichte", response_class=HTMLResponse)
def reports_page(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """The workbook download and the report form."""
    try:
        import reports
    except ImportError:
        return ctx.render("reports.html", nav="reports", available=False)
    funders = ctx.session.execute(
        sa.select(Funder.short_name, Funder.name).order_by(Funder.short_name)
    ).all()
    programmes = ctx.session.execute(
        sa.select(Programme.key, sa.func.coalesce(Programme.short_name, Programme.name))
        .order_by(Programme.key)
        .limit(2000)
    ).all()
    return ctx.render(
        "reports.html",
        nav="reports",
        available=True,
        funders=funders,
        programmes=programmes,
        formats=reports.FORMATS,
        kinds=KIND_LABELS,
        year=ctx.today.year,
    )


@router.get("/berichte/arbeitsmappe.xlsx")
def workbook(ctx: Ctx = Depends(page)) -> Response:
    """The portfolio workbook for the office lead (xlsx)."""
    from reports import build_workbook

    office = str(ctx.office_settings.get("office.name"))
    data = build_workbook(ctx.session, ctx.today, office=office, timezone=ctx.timezone)
    return download(data, f"portfolio-{ctx.today:%Y-%m-%d}.xlsx", XLSX)


@router.get("/berichte/bericht")
def report_file(
    ctx: Ctx = Depends(page),
    art: str = "portfolio",
    subjekt: str = "",
    jahr: int = 0,
    format: str = "pdf",
) -> Response:
    """One yearly report in one format."""
    from reports import ReportOptions, render_report, report_filename
    from reports.render import MEDIA_TYPES

    year = jahr or ctx.today.year
    subject = subjekt.strip() or None
    options = ReportOptions.from_settings(ctx.office_settings)
    data = render_report(
        ctx.session, art, subject, year, format, options, today=ctx.today
    )
    name = report_filename(art, subject, year, format)
    return download(data, name, MEDIA_TYPES.get(format, "application/octet-stream"))
