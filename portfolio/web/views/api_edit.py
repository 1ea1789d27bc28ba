"""The JSON API's writes: create, update and delete every entity, as the forms do.

Each entity gets the twin of its browser form: ``POST`` to create, ``PUT`` to change,
``DELETE`` to delete, with the entity service's input model as the documented body
(dates and amounts as ISO/decimal or as the office types them: ``1.4.17``,
``120 TEUR``), the same validation and the same change log. Editors and admins only;
viewers get 403. A wrong field answers 422 with ``errors`` naming each field.
"""

# No ``from __future__ import annotations`` here: the routes are made in a loop and
# FastAPI reads each endpoint's body model from its (evaluated) annotations.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from portfolio.domain.models import User
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
from portfolio.services.edit_base import EditModel
from portfolio.services.edit_undo import undo_delete
from portfolio.services.import_apply import RuleSettings
from portfolio.web.context import rule_settings
from portfolio.web.security import api_editor, db

router = APIRouter(prefix="/api", tags=["API: Ändern"])

Editor = Annotated[User, Depends(api_editor)]
Db = Annotated[Session, Depends(db, scope="function")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1, description="Nummer")]
Key = Annotated[str, Path(max_length=80, description="Schlüssel des Programms")]


class EntityOut(BaseModel):
    """A saved entity: its number (or key) and its values as stored."""

    id: int
    key: str | None = Field(None, description="Schlüssel (nur Programme)")
    label: str
    values: dict[str, Any]


class DeletedOut(BaseModel):
    """What a delete did, and the change-log entry that undoes it."""

    summary: str
    consequences: list[str]
    change_id: int | None = Field(
        None, description="POST /api/changes/{change_id}/undo macht es rückgängig"
    )


class ConsequencesOut(BaseModel):
    """What saving an award would do to its deadlines and reminders."""

    lines: list[str]
    moved: list[str]
    added: list[str]
    removed: list[str]
    kept: list[str]
    reminders: list[str]


class MessageOut(BaseModel):
    """One German sentence."""

    message: str


@dataclass(frozen=True)
class ApiSpec:
    """One entity's API: its service, model, path and how it is named."""

    path: str
    service: Any
    model: type[EditModel]
    one: str
    label: Callable[[Any], str]


TOP = (
    ApiSpec("funders", edit_funders, edit_funders.FunderIn, "Fördergeber",
            lambda f: f.short_name),
    ApiSpec("contacts", edit_contacts, edit_contacts.ContactIn, "Ansprechperson",
            lambda c: c.name),
    ApiSpec("partners", edit_partners, edit_partners.PartnerIn, "Partner",
            lambda p: p.name),
)  # fmt: skip
IN_PROGRAMME = (
    ApiSpec("phases", edit_phases, edit_phases.PhaseIn, "Phase",
            lambda p: p.name or str(p.period)),
    ApiSpec("fundings", edit_fundings, edit_fundings.FundingIn, "Finanzierung",
            lambda f: f.funder.short_name),
    ApiSpec("applications", edit_applications, edit_applications.ApplicationIn,
            "Antrag", lambda a: a.reference or f"Antrag {a.id}"),
    ApiSpec("awards", edit_awards, edit_awards.AwardIn, "Bewilligung",
            lambda a: a.reference or a.funder.short_name),
)  # fmt: skip


Rules = Annotated[RuleSettings, Depends(rule_settings)]


def _out(spec: ApiSpec, obj: Any) -> EntityOut:
    values = spec.service.as_input(obj).model_dump(mode="json")
    return EntityOut(
        id=obj.id, key=getattr(obj, "key", None), label=spec.label(obj), values=values
    )


def _deleted(result: Any) -> DeletedOut:
    return DeletedOut(
        summary=result.summary,
        consequences=result.consequences,
        change_id=result.change_id,
    )


def _extra(spec: ApiSpec, rules: RuleSettings) -> tuple[Any, ...]:
    return (rules,) if spec.path == "awards" else ()


def _top_routes(spec: ApiSpec) -> None:
    model = spec.model

    def create(body: Annotated[model, Body()], _: Editor, session: Db) -> EntityOut:  # type: ignore[valid-type]
        return _out(spec, spec.service.create(session, body))

    def update(
        item_id: Id,
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        _: Editor,
        session: Db,
    ) -> EntityOut:
        return _out(spec, spec.service.update(session, item_id, body))

    def delete(item_id: Id, _: Editor, session: Db) -> DeletedOut:
        return _deleted(spec.service.delete(session, item_id))

    _add(spec, create, update, delete, f"/{spec.path}")


def _programme_routes(spec: ApiSpec) -> None:
    model = spec.model

    def create(
        key: Key,
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        _: Editor,
        session: Db,
        rules: Rules,
    ) -> EntityOut:
        return _out(spec, spec.service.create(session, key, body, *_extra(spec, rules)))

    def update(
        item_id: Id,
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        _: Editor,
        session: Db,
        rules: Rules,
    ) -> EntityOut:
        return _out(
            spec, spec.service.update(session, item_id, body, *_extra(spec, rules))
        )

    def delete(item_id: Id, _: Editor, session: Db) -> DeletedOut:
        return _deleted(spec.service.delete(session, item_id))

    _add(spec, create, update, delete, f"/programmes/{{key}}/{spec.path}")


def _add(
    spec: ApiSpec,
    create: Callable[..., EntityOut],
    update: Callable[..., EntityOut],
    delete: Callable[..., DeletedOut],
    create_path: str,
) -> None:
    router.add_api_route(
        create_path,
        create,
        methods=["POST"],
        status_code=201,
        response_model=EntityOut,
        summary=f"{spec.one} anlegen",
        operation_id=f"create_{spec.path}",
    )
    router.add_api_route(
        f"/{spec.path}/{{item_id}}",
        update,
        methods=["PUT"],
        response_model=EntityOut,
        summary=f"{spec.one} ändern",
        operation_id=f"update_{spec.path}",
    )
    router.add_api_route(
        f"/{spec.path}/{{item_id}}", delete, methods=["DELETE"],
        response_model=DeletedOut, summary=f"{spec.one} löschen",
        operation_id=f"delete_{spec.path}",
    )  # fmt: skip


PROGRAMME = ApiSpec(
    "programmes", edit_programmes, edit_programmes.ProgrammeIn, "Programm",
    lambda p: p.name,
)  # fmt: skip


@router.post(
    "/programmes", response_model=EntityOut, status_code=201, summary="Programm anlegen"
)
def create_programme(
    body: edit_programmes.ProgrammeIn, _: Editor, session: Db
) -> EntityOut:
    """Ein Programm anlegen (Schlüssel leer: aus dem Namen gebildet)."""
    return _out(PROGRAMME, edit_programmes.create(session, body))


@router.put("/programmes/{key}", response_model=EntityOut, summary="Programm ändern")
def update_programme(
    key: Key, body: edit_programmes.ProgrammeIn, _: Editor, session: Db
) -> EntityOut:
    """Ein Programm ändern: alle Felder, Partner und Schlagworte."""
    return _out(PROGRAMME, edit_programmes.update(session, key, body))


@router.delete(
    "/programmes/{key}", response_model=DeletedOut, summary="Programm löschen"
)
def delete_programme(key: Key, _: Editor, session: Db) -> DeletedOut:
    """Ein Programm mit Phasen, Bewilligungen und Fristen löschen (umkehrbar)."""
    return _deleted(edit_programmes.delete(session, key))


for _spec in TOP:
    _top_routes(_spec)
for _spec in IN_PROGRAMME:
    _programme_routes(_spec)


def _consequences(found: edit_awards.Consequences) -> ConsequencesOut:
    return ConsequencesOut(
        lines=found.lines,
        moved=found.moved,
        added=found.added,
        removed=found.removed,
        kept=found.kept,
        reminders=found.reminders,
    )


@router.post(
    "/awards/{item_id}/preview",
    response_model=ConsequencesOut,
    summary="Folgen einer Änderung der Bewilligung",
)
def preview_award(
    item_id: Id, body: edit_awards.AwardIn, _: Editor, session: Db, rules: Rules
) -> ConsequencesOut:
    """Welche Fristen sich verschieben, kommen oder entfallen (nichts gespeichert)."""
    return _consequences(edit_awards.preview(session, item_id, body, rules))


@router.post(
    "/applications/{item_id}/award",
    response_model=EntityOut,
    status_code=201,
    summary="Bewilligung aus bewilligtem Antrag",
)
def award_from_application(
    item_id: Id, _: Editor, session: Db, rules: Rules
) -> EntityOut:
    """Aus einem bewilligten Antrag in einem Schritt eine Bewilligung machen."""
    award = edit_awards.from_application(session, item_id, rules)
    return _out(IN_PROGRAMME[3], award)


@router.post(
    "/changes/{item_id}/undo",
    response_model=MessageOut,
    summary="Löschung rückgängig machen",
)
def undo(item_id: Id, _: Editor, session: Db) -> MessageOut:
    """Eine Löschung aus dem Änderungsprotokoll zurückholen."""
    return MessageOut(message=undo_delete(session, item_id))
