"""Änderungen: the whole change log, readable, filtered by person and date."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from portfolio.services.change_log import ChangeFilter, change_page, people
from portfolio.web.context import Ctx, page
from portfolio.web.forms import date_field

router = APIRouter(include_in_schema=False)


@router.get("/aenderungen", response_class=HTMLResponse)
def change_log(
    ctx: Ctx = Depends(page),
    wer: str = "",
    von: str = "",
    bis: str = "",
    seite: int = 1,
) -> HTMLResponse:
    """Who changed what and when, newest first, at the office's local time."""
    errors: dict[str, str] = {}
    since = date_field(errors, "von", von)
    until = date_field(errors, "bis", bis)
    flt = ChangeFilter(who=wer.strip(), since=since, until=until)
    entries, pager = change_page(ctx.session, flt, ctx.timezone, seite)
    return ctx.render(
        "changes.html",
        nav="changes",
        entries=entries,
        pager=pager,
        flt=flt,
        people=people(ctx.session),
        von=von,
        bis=bis,
        errors=errors,
        timezone=ctx.timezone,
    )
