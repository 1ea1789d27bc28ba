"""Create, change and delete funders (Fördergeber), possibly part of a larger one.

A funder belongs to at most one parent (MAIS → Land NRW) and never, through any
chain, to itself. A funder that fundings, applications or awards name cannot be
deleted (their history would lose its funder); the refusal says where it is used.
Services never commit.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.enums import FunderKind
from portfolio.domain.errors import Conflict, NotFound
from portfolio.domain.models import (
    Application,
    Award,
    Contact,
    Funder,
    Funding,
    Programme,
)
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    LongText,
    Max,
    Ref,
    ReqText,
    check,
    join_names,
    raise_if,
)
from portfolio.services.edit_undo import delete_row


class FunderIn(EditModel):
    """A funder as typed: short name, name and kind are required."""

    short_name: Annotated[
        ReqText, Field(title="Kurzname", min_length=1, max_length=120)
    ]
    name: Annotated[ReqText, Field(title="Name", min_length=1, max_length=300)]
    kind: Annotated[FunderKind, Field(title="Art")]
    parent_id: Annotated[Ref, Field(None, title="Gehört zu")]
    contact_id: Annotated[Ref, Field(None, title="Ansprechperson")]
    notes: Annotated[LongText, Field(None, title="Notizen"), Max(20000)]


def get(session: Session, funder_id: int) -> Funder:
    """One funder by id, with a German error if there is none."""
    funder = session.get(Funder, funder_id) if 0 < funder_id < 2**31 else None
    if funder is None:
        raise NotFound(f"Einen Fördergeber mit der Nummer {funder_id} gibt es nicht.")
    return funder


def as_input(funder: Funder) -> FunderIn:
    """The stored funder as input (to fill the edit form)."""
    return FunderIn.model_validate(
        {name: getattr(funder, name) for name in FunderIn.model_fields}
    )


def _check(session: Session, data: FunderIn, funder_id: int | None) -> None:
    errors: dict[str, str] = {}
    other = session.scalar(
        sa.select(Funder.id).where(Funder.short_name == data.short_name)
    )
    check(
        errors,
        "short_name",
        other is None or other == funder_id,
        f"Einen Fördergeber „{data.short_name}“ gibt es schon.",
    )
    if data.parent_id is not None:
        chain, current = set(), session.get(Funder, data.parent_id)
        check(
            errors,
            "parent_id",
            current is not None,
            "Diesen Fördergeber gibt es nicht.",
        )
        while current is not None and current.id not in chain:
            if funder_id is not None and current.id == funder_id:
                check(
                    errors,
                    "parent_id",
                    False,
                    "Ein Fördergeber kann nicht zu sich selbst gehören (auch nicht "
                    "über einen anderen).",
                )
                break
            chain.add(current.id)
            current = current.parent
    if data.contact_id is not None:
        check(
            errors,
            "contact_id",
            session.get(Contact, data.contact_id) is not None,
            "Diese Ansprechperson gibt es nicht.",
        )
    raise_if(errors, FunderIn)


def _apply(funder: Funder, data: FunderIn) -> None:
    for name in FunderIn.model_fields:
        setattr(funder, name, getattr(data, name))


def create(session: Session, data: FunderIn) -> Funder:
    """Add a funder."""
    _check(session, data, None)
    funder = Funder()
    _apply(funder, data)
    session.add(funder)
    session.flush()
    return funder


def update(session: Session, funder_id: int, data: FunderIn) -> Funder:
    """Change a funder."""
    funder = get(session, funder_id)
    _check(session, data, funder.id)
    _apply(funder, data)
    session.flush()
    return funder


def _users(session: Session, funder_id: int) -> list[str]:
    names: set[str] = set()
    for model in (Funding, Application, Award):
        names.update(
            session.scalars(
                sa.select(Programme.name)
                .join(model, model.programme_id == Programme.id)
                .where(model.funder_id == funder_id)
            )
        )
    return sorted(names)


def delete_preview(session: Session, funder_id: int) -> list[str]:
    """What deleting the funder changes elsewhere (or why it cannot be deleted)."""
    funder = get(session, funder_id)
    users = _users(session, funder.id)
    if users:
        raise Conflict(
            f"Der Fördergeber „{funder.short_name}“ wird noch verwendet von "
            f"{join_names(users)} – dort zuerst Finanzierung, Antrag oder "
            "Bewilligung ändern."
        )
    children = session.scalars(
        sa.select(Funder.short_name).where(Funder.parent_id == funder.id)
    ).all()
    if children:
        return [f"{join_names(children)} gehören danach zu keinem Fördergeber mehr."]
    return []


def delete(session: Session, funder_id: int) -> Deleted:
    """Delete a funder nobody uses."""
    consequences = delete_preview(session, funder_id)
    funder = get(session, funder_id)
    summary = f"Fördergeber „{funder.short_name}“ gelöscht."
    return Deleted(summary, consequences, delete_row(session, funder))
