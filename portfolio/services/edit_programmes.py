"""Create, change and delete programmes: all main fields, partners and tags.

The key (``zukunftsstadt``) is the programme's address; when none is typed it is made
from the name. Deleting a programme takes its phases, fundings, applications, awards
and deadlines with it – the delete says how many, and the change log can bring them
back; a programme whose history must stay is set to „abgeschlossen“ instead.
Services never commit.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.enums import ProgrammeStatus
from portfolio.domain.errors import NotFound
from portfolio.domain.models import (
    Contact,
    Partner,
    Programme,
    ProgrammePartner,
)
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    LongText,
    Max,
    OptText,
    Ref,
    Refs,
    ReqText,
    Words,
    check,
    plural,
    raise_if,
)
from portfolio.services.edit_undo import delete_row

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ProgrammeIn(EditModel):
    """A programme as typed: the name is required, the key is made if empty."""

    name: Annotated[ReqText, Field(title="Name", min_length=1, max_length=300)]
    key: Annotated[
        OptText,
        Field(
            None,
            title="Schlüssel",
            description="Kurze Adresse, z. B. zukunftsstadt (leer: aus dem Namen)",
        ),
        Max(80),
    ]
    short_name: Annotated[OptText, Field(None, title="Kurzname"), Max(120)]
    status: Annotated[ProgrammeStatus, Field(ProgrammeStatus.RUNNING, title="Status")]
    field_of_action: Annotated[OptText, Field(None, title="Handlungsfeld"), Max(200)]
    lead_id: Annotated[Ref, Field(None, title="Verantwortlich")]
    parent_id: Annotated[Ref, Field(None, title="Teil von (Programm)")]
    partner_ids: Annotated[Refs, Field(default_factory=list, title="Partner")]
    tags: Annotated[Words, Field(default_factory=list, title="Schlagworte")]
    description: Annotated[LongText, Field(None, title="Beschreibung"), Max(20000)]
    notes: Annotated[LongText, Field(None, title="Notizen"), Max(20000)]


def get(session: Session, key: str) -> Programme:
    """One programme by key, with a German error if there is none."""
    # A plain select: a save needs the row, not everything its page shows.
    programme = session.scalar(sa.select(Programme).where(Programme.key == key))
    if programme is None:
        raise NotFound(f"Ein Programm mit dem Schlüssel {key!r} gibt es nicht.")
    return programme


def as_input(programme: Programme) -> ProgrammeIn:
    """The stored programme as input (to fill the edit form)."""
    values = {
        name: getattr(programme, name)
        for name in ProgrammeIn.model_fields
        if name != "partner_ids"
    }
    values["partner_ids"] = [link.partner_id for link in programme.partner_links]
    return ProgrammeIn.model_validate(values)


def make_key(name: str) -> str:
    """A key from a name: „Übergänge gestalten“ → uebergaenge-gestalten."""
    text = name.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60] or "programm"


def _free_key(session: Session, wanted: str) -> str:
    key, number = wanted, 2
    while session.scalar(sa.select(Programme.id).where(Programme.key == key)):
        key, number = f"{wanted}-{number}", number + 1
    return key


def _check(session: Session, data: ProgrammeIn, programme: Programme | None) -> str:
    """Check references and the key; return the key to store."""
    errors: dict[str, str] = {}
    key = data.key or (programme.key if programme else None)
    if key is None:
        key = _free_key(session, make_key(data.name))
    check(
        errors,
        "key",
        bool(KEY.match(key)),
        "Nur Kleinbuchstaben, Ziffern und Bindestriche, z. B. zukunftsstadt.",
    )
    other = session.scalar(sa.select(Programme.id).where(Programme.key == key))
    check(
        errors,
        "key",
        other is None or (programme is not None and other == programme.id),
        f"Den Schlüssel „{key}“ hat schon ein anderes Programm.",
    )
    if data.lead_id is not None:
        check(
            errors,
            "lead_id",
            session.get(Contact, data.lead_id) is not None,
            "Diese Ansprechperson gibt es nicht.",
        )
    if data.parent_id is not None:
        parent = session.get(Programme, data.parent_id)
        check(errors, "parent_id", parent is not None, "Dieses Programm gibt es nicht.")
        seen: set[int] = set()
        while parent is not None and parent.id not in seen:
            if programme is not None and parent.id == programme.id:
                check(
                    errors,
                    "parent_id",
                    False,
                    "Ein Programm kann nicht Teil von sich selbst sein.",
                )
                break
            seen.add(parent.id)
            parent = parent.parent
    known = set(
        session.scalars(sa.select(Partner.id).where(Partner.id.in_(data.partner_ids)))
    )
    check(
        errors,
        "partner_ids",
        known == set(data.partner_ids),
        "Einen der gewählten Partner gibt es nicht.",
    )
    raise_if(errors, ProgrammeIn)
    return key


def _apply(programme: Programme, data: ProgrammeIn, key: str) -> None:
    programme.key = key
    for name in ProgrammeIn.model_fields:
        if name not in ("key", "partner_ids"):
            setattr(programme, name, getattr(data, name))
    wanted = list(dict.fromkeys(data.partner_ids))
    kept = [link for link in programme.partner_links if link.partner_id in wanted]
    have = {link.partner_id for link in kept}
    programme.partner_links = kept + [
        ProgrammePartner(partner_id=pid) for pid in wanted if pid not in have
    ]


def create(session: Session, data: ProgrammeIn) -> Programme:
    """Add a programme."""
    key = _check(session, data, None)
    programme = Programme(tags=[])
    _apply(programme, data, key)
    session.add(programme)
    session.flush()
    return programme


def update(session: Session, key: str, data: ProgrammeIn) -> Programme:
    """Change a programme (its key too, if a new free one is typed)."""
    programme = get(session, key)
    new_key = _check(session, data, programme)
    _apply(programme, data, new_key)
    session.flush()
    return programme


def delete_preview(session: Session, key: str) -> list[str]:
    """What goes with the programme when it is deleted."""
    programme = get(session, key)
    parts = [
        plural(len(programme.phases), "Phase", "Phasen"),
        plural(len(programme.fundings), "Finanzierung", "Finanzierungen"),
        plural(len(programme.applications), "Antrag", "Anträge"),
        plural(len(programme.awards), "Bewilligung", "Bewilligungen"),
        plural(len(programme.obligations), "Frist", "Fristen"),
    ]
    consequences = [f"Mit dem Programm werden gelöscht: {', '.join(parts)}."]
    children = session.scalars(
        sa.select(Programme.name).where(Programme.parent_id == programme.id)
    ).all()
    if children:
        consequences.append(
            f"{plural(len(children), 'Teilprogramm gehört', 'Teilprogramme gehören')} "
            "danach zu keinem Programm mehr."
        )
    if programme.awards:
        consequences.append(
            "Soll die Geschichte bleiben, setzen Sie den Status stattdessen auf "
            "„abgeschlossen“."
        )
    return consequences


def delete(session: Session, key: str) -> Deleted:
    """Delete a programme with everything that belongs to it."""
    consequences = delete_preview(session, key)
    programme = get(session, key)
    summary = f"Programm „{programme.name}“ gelöscht."
    return Deleted(summary, consequences, delete_row(session, programme))


def archive(session: Session, key: str) -> Programme:
    """Keep a programme with its whole history, marked „abgeschlossen“."""
    programme = get(session, key)
    programme.status = ProgrammeStatus.ENDED
    session.flush()
    return programme
