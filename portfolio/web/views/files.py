"""Import (upload → preview → confirm → result, undo) and Berichte (downloads).

Both pages call the import and report packages when they are installed; until then
they say which command does the same on the command line.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from portfolio.web.context import Ctx, page

router = APIRouter(include_in_schema=False)


@router.get("/import", response_class=HTMLResponse)
def import_page(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """The upload form and the list of past imports."""
    return ctx.render("import.html", nav="import", available=False, batches=[])


@router.get("/berichte", response_class=HTMLResponse)
def reports_page(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """The downloads: portfolio workbook and yearly reports."""
    return ctx.render("reports.html", nav="reports", available=False)
