"""Create, edit and delete forms for every entity, thin over the entity services.

One spec per entity names its service, its address and the choices of its select
fields; one generic form parses what was typed with the service's input model and
either saves (redirect) or shows the form again with every typed value and a German
message next to each wrong field (422). An award form previews the consequences of a
changed term or regime (htmx, or the „Folgen anzeigen“ button without JavaScript).
Deleting asks once, names what goes with it, and can be undone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from portfolio.domain.enums import label
from portfolio.domain.models import (
    Change,
    Contact,
    Funder,
    Partner,
    Phase,
    Programme,
    ProgrammePartner,
)
from portfolio.domain.regimes import load_regimes
from portfolio.services import (
    edit_applications,
    edit_awards,
    edit_contacts,
    edit_funders,
    edit_fundings,
    edit_partners,
    edit_phases,
    edit_programmes,
)
from portfolio.services.edit_base import EditModel, FormErrors, Kind
from portfolio.services.edit_undo import undo_delete
from portfolio.web.context import Ctx, editing, page, rule_settings

router = APIRouter(include_in_schema=False)
Choices = list[tuple[str, str]]


@dataclass(frozen=True)
class Spec:
    """One entity's form: its service, address, names and how to find its owner."""

    slug: str
    one: str
    service: ModuleType
    model: type[EditModel]
    in_programme: bool
    name_of: Callable[[Any], str]
    programme_of: Callable[[Any], Programme | None]


def _none(_: Any) -> Programme | None:
    return None


SPECS = {
    spec.slug: spec
    for spec in (
        Spec("programme", "Programm", edit_programmes, edit_programmes.ProgrammeIn,
             False, lambda p: p.name, _none),
        Spec("foerdergeber", "Fördergeber", edit_funders, edit_funders.FunderIn,
             False, lambda f: f.short_name, _none),
        Spec("kontakte", "Ansprechperson", edit_contacts, edit_contacts.ContactIn,
             False, lambda c: c.name, _none),
        Spec("partner", "Partner", edit_partners, edit_partners.PartnerIn,
             False, lambda p: p.name, _none),
        Spec("phasen", "Phase", edit_phases, edit_phases.PhaseIn, True,
             lambda p: p.name or str(p.period), lambda p: p.programme),
        Spec("finanzierungen", "Finanzierung", edit_fundings, edit_fundings.FundingIn,
             True, lambda f: f.funder.short_name, lambda f: f.programme),
        Spec("antraege", "Antrag", edit_applications,
             edit_applications.ApplicationIn, True,
             lambda a: a.reference or f"Antrag {a.id}", lambda a: a.programme),
        Spec("bewilligungen", "Bewilligung", edit_awards, edit_awards.AwardIn, True,
             lambda a: a.reference or a.funder.short_name, lambda a: a.programme),
    )
}  # fmt: skip


@dataclass(frozen=True)
class FieldView:
    """What the form template needs of one field."""

    name: str
    label: str
    kind: str
    required: bool
    hint: str
    choices: Choices | None


def _choices(
    ctx: Ctx, spec: Spec, name: str, programme_id: int | None
) -> Choices | None:
    session: Session = ctx.session
    if name in ("lead_id", "contact_id"):
        rows = session.execute(
            sa.select(Contact.id, Contact.name).order_by(Contact.name)
        )
    elif name == "funder_id" or (name == "parent_id" and spec.slug == "foerdergeber"):
        rows = session.execute(
            sa.select(Funder.id, Funder.short_name).order_by(Funder.short_name)
        )
    elif name == "parent_id":
        rows = session.execute(
            sa.select(Programme.id, Programme.name).order_by(Programme.name)
        )
    elif name == "partner_ids":
        rows = session.execute(
            sa.select(Partner.id, Partner.name).order_by(Partner.name)
        )
    elif name == "phase_id":
        phases = session.scalars(
            sa.select(Phase)
            .where(Phase.programme_id == programme_id)
            .order_by(Phase.start)
        )
        return [(str(p.id), f"{p.name or 'Phase'} · {p.period}") for p in phases]
    elif name == "regime":
        regimes = load_regimes(rule_settings(ctx.request).regimes_dir)
        return [
            (r.id, f"{r.name} ({r.id})")
            for r in sorted(regimes.values(), key=lambda r: r.name)
        ]
    else:
        annotation = spec.model.model_fields[name].annotation
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if isinstance(candidate, type) and issubclass(candidate, StrEnum):
                return [(m.value, label(m)) for m in candidate]
        return None
    return [(str(i), str(text)) for i, text in rows]


def _fields(ctx: Ctx, spec: Spec, programme_id: int | None) -> list[FieldView]:
    views = []
    for name, info in spec.model.model_fields.items():
        kind = spec.model.kind_of(name)
        views.append(
            FieldView(
                name=name,
                label=info.title or name,
                kind=kind.value,
                required=info.is_required(),
                hint=info.description or "",
                choices=_choices(ctx, spec, name, programme_id),
            )
        )
    return views


def _typed(spec: Spec, form: FormData) -> dict[str, Any]:
    """What was typed, per field (lists for multiple choices, absent boxes off)."""
    values: dict[str, Any] = {}
    for name in spec.model.model_fields:
        kind = spec.model.kind_of(name)
        if kind is Kind.MULTI:
            values[name] = [str(v) for v in form.getlist(name)]
        elif kind is Kind.FLAG:
            values[name] = bool(form.get(name))
        else:
            value = form.get(name)
            values[name] = value if isinstance(value, str) else ""
    return values


def _render(
    ctx: Ctx,
    spec: Spec,
    *,
    action: str,
    programme: Programme | None,
    values: dict[str, Any],
    errors: dict[str, str],
    obj: Any = None,
    lines: list[str] | None = None,
) -> HTMLResponse:
    crumbs = [("/programme", "Programme")]
    if programme is not None:
        crumbs.append((f"/programme/{programme.key}", programme.label))
    elif spec.slug != "programme":
        crumbs = [("/stammdaten", "Stammdaten")]
    back = f"/programme/{programme.key}" if programme else crumbs[-1][0]
    heading = (
        f"{spec.one} bearbeiten: {spec.name_of(obj)}"
        if obj is not None
        else f"{spec.one} anlegen"
    )
    preview_url = None
    if spec.slug == "bewilligungen":
        preview_url = (
            f"/bewilligungen/{obj.id}/folgen"
            if obj is not None
            else f"/programme/{programme.key if programme else ''}/bewilligungen/folgen"
        )
    return ctx.render(
        "entity_form.html",
        nav="programmes",
        heading=heading,
        crumbs=crumbs,
        action=action,
        back=back,
        fields=_fields(ctx, spec, programme.id if programme else None),
        values=values,
        errors=errors,
        preview_url=preview_url,
        amend_url=f"/bewilligungen/{obj.id}/bescheide/neu"
        if spec.slug == "bewilligungen" and obj is not None
        else None,
        lines=lines,
        delete_url=f"/{spec.slug}/{_ident(spec, obj)}/loeschen"
        if obj is not None
        else None,
        status_code=422 if errors else 200,
    )


def _ident(spec: Spec, obj: Any) -> str:
    return str(obj.key if spec.slug == "programme" else obj.id)


def _spec(slug: str) -> Spec:
    from portfolio.domain.errors import NotFound

    if slug not in SPECS:
        raise NotFound(
            "Diese Seite gibt es nicht. Über das Menü finden Sie alle Bereiche."
        )
    return SPECS[slug]


def _get(spec: Spec, ctx: Ctx, ident: str) -> Any:
    if spec.slug == "programme":
        return spec.service.get(ctx.session, ident)
    from portfolio.domain.errors import NotFound

    if not ident.isdigit() or len(ident) > 9:
        raise NotFound(f"{spec.one} Nr. {ident} gibt es nicht.")
    return spec.service.get(ctx.session, int(ident))


def _url_after(spec: Spec, obj: Any) -> str:
    programme = obj if spec.slug == "programme" else spec.programme_of(obj)
    if programme is not None:
        return f"/programme/{programme.key}"
    return "/stammdaten"


def _save(
    ctx: Ctx, spec: Spec, data: EditModel, obj: Any, programme: Programme | None
) -> Any:
    service, session = spec.service, ctx.session
    extra: tuple[Any, ...] = (
        (rule_settings(ctx.request),) if spec.slug == "bewilligungen" else ()
    )
    if obj is None:
        if spec.in_programme:
            assert programme is not None
            return service.create(session, programme.key, data, *extra)
        return service.create(session, data)
    ident = obj.key if spec.slug == "programme" else obj.id
    return service.update(session, ident, data, *extra)


async def _submit(
    request: Request, ctx: Ctx, spec: Spec, obj: Any, programme: Programme | None
) -> Response:
    form = await request.form()
    values = _typed(spec, form)
    action = str(request.url.path)
    try:
        data = spec.model.parse(values)
        lines = None
        if spec.slug == "bewilligungen":
            assert isinstance(data, edit_awards.AwardIn)
            found = edit_awards.preview(
                ctx.session,
                obj.id if obj is not None else None,
                data,
                rule_settings(ctx.request),
                programme.key if programme else None,
            ).lines
            if form.get("aktion") == "vorschau":
                return _render(
                    ctx,
                    spec,
                    action=action,
                    programme=programme,
                    values=values,
                    errors={},
                    obj=obj,
                    lines=found,
                )
            lines = found
        saved = _save(ctx, spec, data, obj, programme)
    except FormErrors as exc:
        ctx.session.rollback()
        return _render(
            ctx,
            spec,
            action=action,
            programme=programme,
            values=values,
            errors=exc.errors,
            obj=obj,
        )
    ctx.flash(f"{spec.one} „{spec.name_of(saved)}“ gespeichert.")
    for line in lines or []:
        ctx.flash(line)
    return ctx.redirect(_url_after(spec, saved))


@router.get("/stammdaten", response_class=HTMLResponse)
def master_data(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """Funders, contacts and partners, with links to change them."""
    session = ctx.session
    return ctx.render(
        "stammdaten.html",
        nav="masterdata",
        funders=session.scalars(sa.select(Funder).order_by(Funder.short_name)).all(),
        contacts=session.scalars(sa.select(Contact).order_by(Contact.name)).all(),
        partners=session.scalars(sa.select(Partner).order_by(Partner.name)).all(),
        partner_roles=_partner_roles(session),
    )


def _partner_roles(session: Session) -> dict[int, list[tuple[str, str, str | None]]]:
    """Each partner's programmes (key, label, role), in one statement."""
    rows = session.execute(
        sa.select(
            ProgrammePartner.partner_id,
            Programme.key,
            Programme.short_name,
            Programme.name,
            ProgrammePartner.role,
        ).join(Programme, ProgrammePartner.programme_id == Programme.id)
    ).all()
    roles: dict[int, list[tuple[str, str, str | None]]] = {}
    for partner_id, key, short_name, name, role in rows:
        roles.setdefault(partner_id, []).append((key, short_name or name, role))
    for programmes in roles.values():
        programmes.sort(key=lambda item: item[1].casefold())
    return roles


@router.get("/programme/neu", response_class=HTMLResponse)
def new_programme(ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """The form for a new programme."""
    return _new(ctx, SPECS["programme"], None)


@router.post("/programme/neu", response_class=HTMLResponse)
async def create_programme(request: Request, ctx: Ctx = Depends(editing)) -> Response:
    """Save a new programme."""
    return await _submit(request, ctx, SPECS["programme"], None, None)


def _new(ctx: Ctx, spec: Spec, programme: Programme | None) -> HTMLResponse:
    defaults = {
        name: info.get_default(call_default_factory=True)
        for name, info in spec.model.model_fields.items()
        if not info.is_required()
    }
    values = {
        name: ""
        if value is None
        else (value.value if isinstance(value, StrEnum) else value)
        for name, value in defaults.items()
    }
    for name, value in values.items():
        if isinstance(value, list):
            values[name] = (
                ", ".join(value) if spec.model.kind_of(name) is Kind.LIST else []
            )
        elif isinstance(value, dict):
            values[name] = ""
    path = (
        f"/programme/{programme.key}/{spec.slug}/neu"
        if programme
        else f"/{spec.slug}/neu"
    )
    return _render(
        ctx, spec, action=path, programme=programme, values=values, errors={}
    )


@router.get("/programme/{key}/{slug}/neu", response_class=HTMLResponse)
def new_in_programme(key: str, slug: str, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """The form for a new phase, funding, application or award of a programme."""
    spec = _spec(slug)
    programme = edit_programmes.get(ctx.session, key)
    if not spec.in_programme:
        return _new(ctx, spec, None)
    return _new(ctx, spec, programme)


@router.post("/programme/{key}/{slug}/neu", response_class=HTMLResponse)
async def create_in_programme(
    key: str, slug: str, request: Request, ctx: Ctx = Depends(editing)
) -> Response:
    """Save a new phase, funding, application or award of a programme."""
    spec = _spec(slug)
    programme = edit_programmes.get(ctx.session, key)
    return await _submit(request, ctx, spec, None, programme)


@router.post("/programme/{key}/bewilligungen/folgen", response_class=HTMLResponse)
async def preview_new_award(
    key: str, request: Request, ctx: Ctx = Depends(editing)
) -> HTMLResponse:
    """The consequences of a new award (htmx fragment)."""
    return await _preview(request, ctx, None, key)


@router.post("/bewilligungen/{award_id}/folgen", response_class=HTMLResponse)
async def preview_award(
    award_id: int, request: Request, ctx: Ctx = Depends(editing)
) -> HTMLResponse:
    """The consequences of the typed award values (htmx fragment)."""
    return await _preview(request, ctx, award_id, None)


async def _preview(
    request: Request, ctx: Ctx, award_id: int | None, key: str | None
) -> HTMLResponse:
    form = await request.form()
    spec = SPECS["bewilligungen"]
    try:
        data = edit_awards.AwardIn.parse(_typed(spec, form))
        lines = edit_awards.preview(
            ctx.session, award_id, data, rule_settings(ctx.request), key
        ).lines
    except FormErrors as exc:
        lines = [f"Noch nicht zu berechnen – {exc.message}"]
    return ctx.render("_consequences.html", lines=lines)


def new_entity(request: Request, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """The form for a new funder, contact or partner."""
    return _new(ctx, _spec(_slug(request)), None)


async def create_entity(request: Request, ctx: Ctx = Depends(editing)) -> Response:
    """Save a new funder, contact or partner."""
    return await _submit(request, ctx, _spec(_slug(request)), None, None)


def edit_entity(
    ident: str, request: Request, ctx: Ctx = Depends(editing)
) -> HTMLResponse:
    """The edit form of any entity, filled with its stored values."""
    slug = _slug(request)
    spec = _spec(slug)
    obj = _get(spec, ctx, ident)
    values = spec.service.as_input(obj).form_values()
    programme = spec.programme_of(obj)
    return _render(
        ctx,
        spec,
        action=f"/{slug}/{ident}/bearbeiten",
        programme=programme,
        values=values,
        errors={},
        obj=obj,
    )


async def save_entity(
    ident: str, request: Request, ctx: Ctx = Depends(editing)
) -> Response:
    """Check and save the edit form; German messages next to wrong fields."""
    spec = _spec(_slug(request))
    obj = _get(spec, ctx, ident)
    return await _submit(request, ctx, spec, obj, spec.programme_of(obj))


def confirm_delete(
    ident: str, request: Request, ctx: Ctx = Depends(editing)
) -> HTMLResponse:
    """Ask once, naming what goes with it."""
    slug = _slug(request)
    spec = _spec(slug)
    obj = _get(spec, ctx, ident)
    consequences = spec.service.delete_preview(ctx.session, _key(spec, obj))
    programme = spec.programme_of(obj)
    return ctx.render(
        "entity_delete.html",
        nav="programmes",
        heading=f"{spec.one} löschen",
        crumbs=[("/programme", "Programme")],
        entity_name=spec.name_of(obj),
        consequences=consequences,
        action=f"/{slug}/{ident}/loeschen",
        archive_url=f"/programme/{ident}/archivieren" if slug == "programme" else None,
        back=f"/programme/{programme.key}"
        if programme
        else f"/{slug}/{ident}/bearbeiten",
    )


def _key(spec: Spec, obj: Any) -> Any:
    return obj.key if spec.slug == "programme" else obj.id


def delete_entity(
    ident: str, request: Request, ctx: Ctx = Depends(editing)
) -> HTMLResponse:
    """Delete, then offer to undo."""
    spec = _spec(_slug(request))
    obj = _get(spec, ctx, ident)
    programme = spec.programme_of(obj)
    back = f"/programme/{programme.key}" if programme else "/programme"
    deleted = spec.service.delete(ctx.session, _key(spec, obj))
    summary = " ".join([deleted.summary, *deleted.consequences])
    return ctx.render(
        "entity_deleted.html",
        nav="programmes",
        summary=summary,
        change_id=deleted.change_id,
        back=back,
    )


@router.post("/programme/{key}/archivieren")
def archive_programme(key: str, ctx: Ctx = Depends(editing)) -> Response:
    """Instead of deleting: keep everything, set the status to „abgeschlossen“."""
    programme = edit_programmes.archive(ctx.session, key)
    ctx.flash(f"Programm „{programme.name}“ archiviert (Status abgeschlossen).")
    return ctx.redirect(f"/programme/{programme.key}")


@router.post("/antraege/{application_id}/bewilligung")
def award_from_application(
    application_id: int, ctx: Ctx = Depends(editing)
) -> Response:
    """An approved application becomes an award in one step, keeping its link."""
    award = edit_awards.from_application(
        ctx.session, application_id, rule_settings(ctx.request)
    )
    ctx.flash(
        "Bewilligung aus dem Antrag angelegt – bitte Zeitraum und Regelwerk prüfen."
    )
    return ctx.redirect(f"/bewilligungen/{award.id}/bearbeiten")


@router.post("/aenderungen/{change_id}/wiederherstellen")
def restore(change_id: int, ctx: Ctx = Depends(editing)) -> Response:
    """Undo a delete from the change log."""
    ctx.flash(undo_delete(ctx.session, change_id))
    return ctx.redirect(restored_page(ctx.session, change_id))


def restored_page(session: Session, change_id: int) -> str:
    """Where the restored row is shown: its programme's page, else the lists."""
    change = session.get(Change, change_id)
    before = (change.before if change else None) or {}
    if change is not None and change.entity == "programmes":
        return f"/programme/{before.get('key')}"
    if change is not None and change.entity == "award_versions":
        return f"/bewilligungen/{before.get('award_id')}/geld"
    programme = session.get(Programme, before.get("programme_id") or 0)
    if programme is not None:
        return f"/programme/{programme.key}"
    return "/stammdaten"


def _slug(request: Request) -> str:
    return request.url.path.split("/")[1]


# One set of addresses per entity (no catch-all ``/{slug}/…`` that could shadow
# other pages).
for _slug_name, _spec_item in SPECS.items():
    if not _spec_item.in_programme and _slug_name != "programme":
        router.add_api_route(f"/{_slug_name}/neu", new_entity, methods=["GET"])
        router.add_api_route(f"/{_slug_name}/neu", create_entity, methods=["POST"])
    for _verb, _get_view, _post_view in (
        ("bearbeiten", edit_entity, save_entity),
        ("loeschen", confirm_delete, delete_entity),
    ):
        router.add_api_route(
            f"/{_slug_name}/{{ident}}/{_verb}",
            _get_view,
            methods=["GET"],
            response_class=HTMLResponse,
        )
        router.add_api_route(
            f"/{_slug_name}/{{ident}}/{_verb}",
            _post_view,
            methods=["POST"],
            response_class=HTMLResponse,
        )
