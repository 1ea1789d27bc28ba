"""Create, change and delete contacts (Ansprechpersonen); the e-mail is the key.

Deleting a contact keeps the programmes and deadlines that named them (their lead
or responsible person becomes empty) and says how many that are. Services never
commit.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.errors import NotFound
from portfolio.domain.models import Contact, Funder, Obligation, Programme
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    Flag,
    Max,
    OptText,
    ReqText,
    check,
    plural,
    raise_if,
)
from portfolio.services.edit_undo import delete_row


class ContactIn(EditModel):
    """A contact as typed: name and e-mail are required."""

    name: Annotated[ReqText, Field(title="Name", min_length=1, max_length=200)]
    email: Annotated[ReqText, Field(title="E-Mail", min_length=1, max_length=254)]
    role: Annotated[OptText, Field(None, title="Funktion"), Max(200)]
    organisation: Annotated[OptText, Field(None, title="Organisation"), Max(200)]
    phone: Annotated[OptText, Field(None, title="Telefon"), Max(60)]
    is_office_lead: Annotated[Flag, Field(False, title="Leitung des Büros")]


def get(session: Session, contact_id: int) -> Contact:
    """One contact by id, with a German error if there is none."""
    contact = session.get(Contact, contact_id) if 0 < contact_id < 2**31 else None
    if contact is None:
        raise NotFound(
            f"Eine Ansprechperson mit der Nummer {contact_id} gibt es nicht."
        )
    return contact


def as_input(contact: Contact) -> ContactIn:
    """The stored contact as input (to fill the edit form)."""
    return ContactIn.model_validate(
        {name: getattr(contact, name) for name in ContactIn.model_fields}
    )


def _check(session: Session, data: ContactIn, contact_id: int | None) -> None:
    errors: dict[str, str] = {}
    email = data.email
    check(
        errors,
        "email",
        "@" in email and not any(c.isspace() for c in email) and "." in email,
        f"„{email}“ ist keine gültige E-Mail-Adresse (z. B. name@kreis-re.de).",
    )
    other = session.scalar(
        sa.select(Contact.id).where(sa.func.lower(Contact.email) == email.lower())
    )
    check(
        errors,
        "email",
        other is None or other == contact_id,
        f"Die E-Mail-Adresse {email} gehört schon zu einer anderen Ansprechperson.",
    )
    raise_if(errors, ContactIn)


def _apply(contact: Contact, data: ContactIn) -> None:
    for name in ContactIn.model_fields:
        setattr(contact, name, getattr(data, name))


def create(session: Session, data: ContactIn) -> Contact:
    """Add a contact."""
    _check(session, data, None)
    contact = Contact()
    _apply(contact, data)
    session.add(contact)
    session.flush()
    return contact


def update(session: Session, contact_id: int, data: ContactIn) -> Contact:
    """Change a contact."""
    contact = get(session, contact_id)
    _check(session, data, contact.id)
    _apply(contact, data)
    session.flush()
    return contact


def delete_preview(session: Session, contact_id: int) -> list[str]:
    """What deleting the contact changes elsewhere."""
    contact = get(session, contact_id)
    consequences = []
    for model, column, one, many in (
        (Programme, Programme.lead_id, "Programm", "Programme"),
        (Obligation, Obligation.responsible_id, "Frist", "Fristen"),
        (Funder, Funder.contact_id, "Fördergeber", "Fördergebern"),
    ):
        count = session.scalar(
            sa.select(sa.func.count()).select_from(model).where(column == contact.id)
        )
        if count:
            consequences.append(
                f"Bei {plural(int(count), one, many)} ist danach niemand eingetragen."
            )
    return consequences


def delete(session: Session, contact_id: int) -> Deleted:
    """Delete a contact; references to them become empty."""
    consequences = delete_preview(session, contact_id)
    contact = get(session, contact_id)
    summary = f"Ansprechperson „{contact.name}“ gelöscht."
    return Deleted(summary, consequences, delete_row(session, contact))
