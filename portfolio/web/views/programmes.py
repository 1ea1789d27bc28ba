"""Programme list (search, filters, pages), detail and Sachbericht texts.

The create, edit and delete forms of programmes live in ``entities``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from portfolio.domain.enums import FunderKind, ObligationKind, ProgrammeStatus
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Award, Programme
from portfolio.domain.regimes import load_regimes
from portfolio.services.change_log import readable
from portfolio.services.manual_obligations import add_obligation
from portfolio.services.narratives import SECTIONS, set_narrative
from portfolio.services.obligations import award_notes
from portfolio.storage.page_queries import (
    ProgrammeFilter,
    narratives_of,
    programme_history,
    programme_page,
    reminders_of,
)
from portfolio.storage.queries import programme_by_key
from portfolio.web.context import Ctx, editing, page
from portfolio.web.forms import (
    Errors,
    date_field,
    enum_field,
    parse_enum,
    text_field,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/programme", response_class=HTMLResponse)
def programme_list(
    ctx: Ctx = Depends(page),
    q: str = "",
    status: str = "",
    art: str = "",
    seite: int = 1,
) -> HTMLResponse:
    """All programmes, searchable and filterable, 50 per page."""
    flt = ProgrammeFilter(
        search=q.strip()[:100],
        status=parse_enum(ProgrammeStatus, status),
        kind=parse_enum(FunderKind, art),
    )
    rows, pager = programme_page(ctx.session, flt, seite, PAGE_SIZE)
    return ctx.render(
        "programmes.html",
        nav="programmes",
        rows=rows,
        pager=pager,
        flt=flt,
        kinds=list(FunderKind),
        statuses=list(ProgrammeStatus),
    )


def _load(ctx: Ctx, key: str) -> Programme:
    programme = programme_by_key(ctx.session, key)
    if programme is None:
        raise NotFound(f"Ein Programm mit dem Schlüssel {key!r} gibt es nicht.")
    return programme


def budget_table(award: Award) -> list[tuple[str, int, Decimal, Decimal]]:
    """Plan and actual per cost category and year of one award."""
    planned: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    spent: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for line in award.budget_lines:
        planned[(line.category, line.year)] += line.planned
    for expense in award.expenses:
        spent[(expense.category, expense.year)] += expense.amount
    keys = sorted(set(planned) | set(spent), key=lambda k: (k[1], k[0]))
    return [(c, y, planned[(c, y)], spent[(c, y)]) for c, y in keys]


@router.get("/programme/{key}", response_class=HTMLResponse)
def programme_detail(
    key: str, ctx: Ctx = Depends(page), frist: int = 0
) -> HTMLResponse:
    """One programme: phases, funders, awards, money, deadlines, texts, history."""
    from portfolio.services.documents import series_of_programme
    from portfolio.web.views.documents import template_values

    programme = _load(ctx, key)
    obligations = sorted(programme.obligations, key=lambda o: (o.effective, o.id))
    return ctx.render(
        "programme.html",
        nav="programmes",
        p=programme,
        period=programme.period(),
        obligations=obligations,
        reminders=reminders_of(ctx.session, [o.id for o in obligations]),
        budgets={a.id: budget_table(a) for a in programme.awards},
        narratives=narratives_of(ctx.session, programme.id),
        sections=SECTIONS,
        obligation_kinds=list(ObligationKind),
        history=readable(
            ctx.session, programme_history(ctx.session, programme), ctx.timezone
        ),
        awarded={a.application_id for a in programme.awards if a.application_id},
        doc_series=series_of_programme(ctx.session, programme),
        preselect_deadline=frist,
        **template_values(),
        award_notes=_award_notes(ctx, programme),
        money_warnings=_money_warnings(ctx, programme),
    )


def _money_warnings(ctx: Ctx, programme: Programme) -> dict[int, list[Any]]:
    """The money checks of each award today (``portfolio check``), by award id."""
    from portfolio.services.money_checks import money_warnings

    regimes = ctx.request.app.state.settings.get("paths.regimes")
    found: dict[int, list[Any]] = defaultdict(list)
    for warning in money_warnings(ctx.session, ctx.today, regimes, programme.key):
        found[warning.award_id].append(warning)
    return found


def _award_notes(ctx: Ctx, programme: Programme) -> dict[int, list[str]]:
    """Why an award's rules give no dates ("Keine Fristen: …"), by award id."""
    regimes = load_regimes(ctx.request.app.state.settings.get("paths.regimes"))
    return {a.id: award_notes(a, regimes, ctx.today) for a in programme.awards}


@router.post("/programme/{key}/sachbericht")
def save_narrative(
    key: str,
    request: Request,  # noqa: ARG001
    ctx: Ctx = Depends(editing),
    jahr: int = Form(...),
    abschnitt: str = Form(...),
    text: str = Form(""),
) -> Response:
    """Store one Sachbericht section for a year."""
    result = set_narrative(ctx.session, key, jahr, abschnitt, text)
    ctx.flash(f"Sachbericht {SECTIONS[result.section]} {result.year}: {result.action}.")
    return ctx.redirect(f"/programme/{key}#sachbericht")


@router.post("/programme/{key}/fristen", response_class=HTMLResponse)
def add_deadline(
    key: str,
    ctx: Ctx = Depends(editing),
    titel: str = Form(""),
    art: str = Form("other"),
    datum: str = Form(""),
) -> Response:
    """Add a manual deadline; German messages for a missing title or date."""
    programme = _load(ctx, key)
    errors: Errors = {}
    title = text_field(errors, "titel", titel, required=True)
    kind = enum_field(errors, "art", ObligationKind, art)
    due = date_field(errors, "datum", datum, required=True)
    if errors or title is None or kind is None or due is None:
        ctx.flash("Frist nicht angelegt: " + " ".join(errors.values()), "error")
        return ctx.redirect(f"/programme/{key}#neue-frist")
    add_obligation(ctx.session, programme, title=title, kind=kind, due_on=due)
    ctx.flash(f"Frist „{title}“ am {due:%d.%m.%Y} angelegt.")
    return ctx.redirect(f"/programme/{key}#fristen")
