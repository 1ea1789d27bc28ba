"""Create, change and delete partner organisations (the name is the key).

A partner's role in each of its programmes (``programme_partners.role``) is edited
here too, one „Programm = Rolle“ per line; which programmes a partner belongs to is
the programme form's business (its Partner field), so a line naming a programme the
partner is not in is an error, and a missing line clears that role. Through the API
``roles`` may be left out to keep every role as it is. Deleting a partner removes
its role in every programme and says in which. Services never commit.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session

from portfolio.domain.errors import NotFound
from portfolio.domain.models import Partner, Programme, ProgrammePartner
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    Kind,
    Max,
    OptText,
    ReqText,
    check,
    german_error,
    join_names,
    raise_if,
)
from portfolio.services.edit_undo import delete_row

ROLE_LENGTH = 200


def parse_roles(raw: object) -> dict[str, str] | None:
    """Roles typed one per line (``Zukunftsstadt = Schulträger``) or as a mapping."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        return {
            str(k).strip(): "" if v is None else str(v).strip() for k, v in raw.items()
        }
    roles: dict[str, str] = {}
    for number, line in enumerate(str(raw).splitlines(), 1):
        if not line.strip():
            continue
        if "=" not in line:
            raise german_error(
                f"Zeile {number}: bitte „Programm = Rolle“ schreiben, z. B. "
                "Zukunftsstadt = Schulträger."
            )
        programme, role = (part.strip() for part in line.split("=", 1))
        roles[programme] = role
    return roles


Roles = Annotated[dict[str, str] | None, BeforeValidator(parse_roles), Kind.MAPPING]


class PartnerIn(EditModel):
    """A partner organisation as typed, with its role in each of its programmes."""

    name: Annotated[ReqText, Field(title="Name", min_length=1, max_length=200)]
    kind: Annotated[OptText, Field(None, title="Art (z. B. Stadt, Schule)"), Max(60)]
    roles: Annotated[
        Roles,
        Field(
            None,
            title="Rolle je Programm",
            description=(
                "Eine je Zeile: Programm = Rolle, z. B. Zukunftsstadt = Schulträger. "
                "Zu einem Programm hinzufügen: im Programm unter Partner."
            ),
        ),
    ]

    def form_values(self) -> dict[str, Any]:
        """The values as the form shows them; roles one per line."""
        values = super().form_values()
        values["roles"] = "\n".join(
            f"{k} = {v}".rstrip() for k, v in (self.roles or {}).items()
        )
        return values


def get(session: Session, partner_id: int) -> Partner:
    """One partner by id, with a German error if there is none."""
    partner = session.get(Partner, partner_id) if 0 < partner_id < 2**31 else None
    if partner is None:
        raise NotFound(f"Einen Partner mit der Nummer {partner_id} gibt es nicht.")
    return partner


def _links(
    session: Session, partner_id: int | None
) -> list[tuple[ProgrammePartner, Programme]]:
    if partner_id is None:
        return []
    rows = session.execute(
        sa.select(ProgrammePartner, Programme)
        .join(Programme, ProgrammePartner.programme_id == Programme.id)
        .where(ProgrammePartner.partner_id == partner_id)
        .order_by(Programme.name)
    )
    return [(link, programme) for link, programme in rows]


def as_input(partner: Partner) -> PartnerIn:
    """The stored partner as input (to fill the edit form)."""
    session = Session.object_session(partner)
    links = _links(session, partner.id) if session is not None else []
    return PartnerIn(
        name=partner.name,
        kind=partner.kind,
        roles={programme.label: link.role or "" for link, programme in links},
    )


def _match(
    links: list[tuple[ProgrammePartner, Programme]], typed: str
) -> ProgrammePartner | None:
    wanted = typed.casefold()
    for link, programme in links:
        names = (programme.key, programme.name, programme.short_name or "")
        if wanted in {n.casefold() for n in names if n}:
            return link
    return None


def _roles(
    session: Session, data: PartnerIn, partner_id: int | None, errors: dict[str, str]
) -> dict[int, str | None] | None:
    """The role per programme id, or None to keep them (nothing typed, API)."""
    if data.roles is None:
        return None
    links = _links(session, partner_id)
    roles: dict[int, str | None] = {link.programme_id: None for link, _ in links}
    for typed, role in data.roles.items():
        link = _match(links, typed)
        if link is None:
            errors["roles"] = (
                f"Der Partner gehört nicht zum Programm „{typed}“. Partner fügen Sie "
                "im Programm hinzu (Feld Partner), danach hier die Rolle."
            )
            return None
        if len(role) > ROLE_LENGTH:
            errors["roles"] = (
                f"Die Rolle in „{typed}“ ist zu lang (höchstens {ROLE_LENGTH} Zeichen)."
            )
            return None
        roles[link.programme_id] = role or None
    return roles


def _check(
    session: Session, data: PartnerIn, partner_id: int | None
) -> dict[int, str | None] | None:
    errors: dict[str, str] = {}
    other = session.scalar(sa.select(Partner.id).where(Partner.name == data.name))
    check(
        errors,
        "name",
        other is None or other == partner_id,
        f"Einen Partner „{data.name}“ gibt es schon.",
    )
    roles = _roles(session, data, partner_id, errors)
    raise_if(errors, PartnerIn)
    return roles


def _set_roles(
    session: Session, partner_id: int, roles: dict[int, str | None] | None
) -> None:
    if roles is None:
        return
    for link, _ in _links(session, partner_id):
        link.role = roles.get(link.programme_id)


def create(session: Session, data: PartnerIn) -> Partner:
    """Add a partner (it joins programmes through the programme form)."""
    _check(session, data, None)
    partner = Partner(name=data.name, kind=data.kind)
    session.add(partner)
    session.flush()
    return partner


def update(session: Session, partner_id: int, data: PartnerIn) -> Partner:
    """Change a partner."""
    partner = get(session, partner_id)
    roles = _check(session, data, partner.id)
    partner.name, partner.kind = data.name, data.kind
    _set_roles(session, partner.id, roles)
    session.flush()
    return partner


def delete_preview(session: Session, partner_id: int) -> list[str]:
    """What deleting the partner changes elsewhere."""
    partner = get(session, partner_id)
    names = session.scalars(
        sa.select(Programme.name)
        .join(ProgrammePartner, ProgrammePartner.programme_id == Programme.id)
        .where(ProgrammePartner.partner_id == partner.id)
        .order_by(Programme.name)
    ).all()
    if not names:
        return []
    return [f"Der Partner fällt aus {join_names(names)} heraus."]


def delete(session: Session, partner_id: int) -> Deleted:
    """Delete a partner with its programme roles."""
    consequences = delete_preview(session, partner_id)
    partner = get(session, partner_id)
    summary = f"Partner „{partner.name}“ gelöscht."
    return Deleted(summary, consequences, delete_row(session, partner))
