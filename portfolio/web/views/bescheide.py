"""Änderungsbescheide of an award in the browser: record one, delete one.

``/bewilligungen/{id}/bescheide/neu`` takes the new Bescheid's date, Aktenzeichen,
amount and term (typed as the office types them) and then leads to the plan form,
where the plan of the new Bescheid is edited; ``/bescheide/{id}/loeschen`` asks once
and deletes, with the undo from the change log. The list of Bescheide is on the
award's money page. Forms only parse and call ``services.edit_versions``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from portfolio.services import edit_versions
from portfolio.services.edit_awards import get as get_award
from portfolio.services.edit_base import FormErrors
from portfolio.web.context import Ctx, editing, rule_settings

router = APIRouter(include_in_schema=False)
FIELDS = ("previous_on", "issued_on", "reference", "amount", "start", "end", "note")


def _render(
    ctx: Ctx,
    award: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return ctx.render(
        "award_amendment.html",
        status_code=status,
        nav="programmes",
        a=award,
        v=values,
        errors=errors,
        labels=edit_versions.AmendmentIn.labels(),
        bescheide=edit_versions.bescheide(award),
    )


@router.get("/bewilligungen/{award_id}/bescheide/neu", response_class=HTMLResponse)
def new_amendment(award_id: int, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """The form of an Änderungsbescheid, with the current amount and term."""
    award = get_award(ctx.session, award_id)
    return _render(ctx, award, edit_versions.proposal(award).form_values(), {})


@router.post("/bewilligungen/{award_id}/bescheide/neu", response_class=HTMLResponse)
async def create_amendment(
    award_id: int, request: Request, ctx: Ctx = Depends(editing)
) -> Response:
    """Record the Änderungsbescheid, then edit its plan."""
    award = get_award(ctx.session, award_id)
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in FIELDS}
    try:
        data = edit_versions.AmendmentIn.parse(values)
        edit_versions.record(ctx.session, award.id, data, rule_settings(ctx.request))
    except FormErrors as exc:
        return _render(ctx, award, values, exc.errors, 422)
    ctx.flash(
        "Änderungsbescheid erfasst – bitte jetzt den Finanzierungsplan des neuen "
        "Bescheids prüfen."
    )
    return ctx.redirect(f"/bewilligungen/{award.id}/plan")


@router.get("/bescheide/{version_id}/loeschen", response_class=HTMLResponse)
def confirm_delete(version_id: int, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """Ask once before deleting a Bescheid."""
    version = edit_versions.get(ctx.session, version_id)
    award = version.award
    return ctx.render(
        "entity_delete.html",
        nav="programmes",
        heading="Bescheid löschen",
        crumbs=[
            (f"/programme/{award.programme.key}", award.programme.label),
            (f"/bewilligungen/{award.id}/geld", "Geld"),
        ],
        entity_name=edit_versions.delete_preview(ctx.session, version.id)[0],
        consequences=edit_versions.delete_preview(ctx.session, version.id)[1:],
        action=f"/bescheide/{version.id}/loeschen",
        archive_url=None,
        back=f"/bewilligungen/{award.id}/geld",
    )


@router.post("/bescheide/{version_id}/loeschen", response_class=HTMLResponse)
def delete_version(version_id: int, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """Delete, then offer to undo."""
    version = edit_versions.get(ctx.session, version_id)
    award_id = version.award_id
    deleted = edit_versions.delete(ctx.session, version.id)
    return ctx.render(
        "entity_deleted.html",
        nav="programmes",
        summary=deleted.summary,
        change_id=deleted.change_id,
        back=f"/bewilligungen/{award_id}/geld",
    )
