"""The JSON API under /api: programmes, obligations, funders; obligation status.

Read endpoints for any valid token, the status change for editors and admins.
Money is a decimal string and dates are ISO, as in the ``portfolio/1`` export.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from portfolio.domain.enums import FunderKind, ObligationStatus, ProgrammeStatus
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Funder, User
from portfolio.services import clock
from portfolio.services import obligations as obligation_service
from portfolio.storage.page_queries import (
    ProgrammeFilter,
    deadline_page,
    programme_page,
)
from portfolio.storage.queries import programme_by_key
from portfolio.web.security import api_editor, api_user, db

router = APIRouter(prefix="/api", tags=["API"])


class ProgrammeOut(BaseModel):
    """A programme in the list."""

    key: str
    name: str
    label: str
    status: ProgrammeStatus
    funders: list[str]
    funder_kinds: list[FunderKind]
    start: date | None
    end: date | None
    period: str | None = Field(description="Laufzeit, wie das Büro sie schreibt")
    amount: str | None = Field(description="Summe der Bewilligungen (Dezimalzahl)")
    next_due: date | None
    next_title: str | None


class ProgrammePageOut(BaseModel):
    """One page of programmes."""

    total: int
    page: int
    pages: int
    items: list[ProgrammeOut]


class PhaseOut(BaseModel):
    """A phase of a programme."""

    name: str
    start: date
    end: date | None
    period: str


class AwardOut(BaseModel):
    """An award (Bescheid / Vertrag)."""

    funder: str
    reference: str | None
    start: date | None
    end: date | None
    amount: str | None
    regime: str | None


class ObligationOut(BaseModel):
    """A deadline."""

    id: int
    programme: str
    title: str
    kind: str
    due: date
    due_effective: date
    status: ObligationStatus
    source: str | None


class ProgrammeDetailOut(BaseModel):
    """One programme with phases, awards and deadlines."""

    key: str
    name: str
    status: ProgrammeStatus
    description: str | None
    phases: list[PhaseOut]
    awards: list[AwardOut]
    obligations: list[ObligationOut]


class ObligationPageOut(BaseModel):
    """One page of deadlines."""

    total: int
    page: int
    pages: int
    items: list[ObligationOut]


class FunderOut(BaseModel):
    """A funder."""

    short_name: str
    name: str
    kind: FunderKind


class StatusIn(BaseModel):
    """A new status for a deadline."""

    status: ObligationStatus
    on: date | None = Field(None, description="Datum (Standard: heute bzw. Stichtag)")


def _money(value: object) -> str | None:
    return None if value is None else str(value)


Page = Annotated[int, Query(ge=1, le=100_000, description="Seite (ab 1)")]
Size = Annotated[int, Query(ge=1, le=500, description="Einträge je Seite")]


@router.get("/programmes", response_model=ProgrammePageOut, summary="Programme")
def list_programmes(
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
    q: Annotated[str, Query(max_length=100)] = "",
    status: ProgrammeStatus | None = None,
    kind: FunderKind | None = None,
    page: Page = 1,
    size: Size = 100,
) -> ProgrammePageOut:
    """Programme mit Fördergebern, Laufzeit, Betrag und nächster Frist."""
    rows, pager = programme_page(session, ProgrammeFilter(q, status, kind), page, size)
    items = [
        ProgrammeOut(
            key=r.key,
            name=r.name,
            label=r.label,
            status=r.status,
            funders=list(r.funders),
            funder_kinds=list(r.funder_kinds),
            start=r.period.start if r.period else None,
            end=r.period.end if r.period else None,
            period=str(r.period) if r.period else None,
            amount=_money(r.amount),
            next_due=r.next_due,
            next_title=r.next_title,
        )
        for r in rows
    ]
    return ProgrammePageOut(
        total=pager.total, page=pager.number, pages=pager.pages, items=items
    )


def _obligation(o: object, key: str) -> ObligationOut:
    from portfolio.domain.models import Obligation

    assert isinstance(o, Obligation)
    return ObligationOut(
        id=o.id,
        programme=key,
        title=o.title,
        kind=o.kind.value,
        due=o.due_on,
        due_effective=o.effective,
        status=o.status,
        source=o.source,
    )


@router.get(
    "/programmes/{key}", response_model=ProgrammeDetailOut, summary="Ein Programm"
)
def get_programme(
    key: str,
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
) -> ProgrammeDetailOut:
    """Ein Programm mit Phasen, Bewilligungen und Fristen."""
    p = programme_by_key(session, key)
    if p is None:
        raise NotFound(f"Ein Programm mit dem Schlüssel {key!r} gibt es nicht.")
    return ProgrammeDetailOut(
        key=p.key,
        name=p.name,
        status=p.status,
        description=p.description,
        phases=[
            PhaseOut(name=ph.name, start=ph.start, end=ph.end, period=str(ph.period))
            for ph in p.phases
        ],
        awards=[
            AwardOut(
                funder=a.funder.short_name,
                reference=a.reference,
                start=a.start,
                end=a.end,
                amount=_money(a.amount),
                regime=a.regime,
            )
            for a in p.awards
        ],
        obligations=[
            _obligation(o, p.key)
            for o in sorted(p.obligations, key=lambda o: (o.effective, o.id))
        ],
    )


@router.get("/obligations", response_model=ObligationPageOut, summary="Fristen")
def list_obligations(
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
    status: ObligationStatus | None = None,
    programme: Annotated[str | None, Query(max_length=80)] = None,
    page: Page = 1,
    size: Size = 100,
) -> ObligationPageOut:
    """Fristen nach Datum, optional nach Status und Programm gefiltert."""
    rows, pager = deadline_page(session, status, page, size, programme=programme)
    items = [
        ObligationOut(
            id=r.id,
            programme=r.programme_key,
            title=r.title,
            kind=r.kind,
            due=r.due_on,
            due_effective=r.effective,
            status=r.status,
            source=r.source,
        )
        for r in rows
    ]
    return ObligationPageOut(
        total=pager.total, page=pager.number, pages=pager.pages, items=items
    )


@router.post(
    "/obligations/{obligation_id}/status",
    response_model=ObligationOut,
    summary="Status einer Frist setzen",
)
def set_obligation_status(
    obligation_id: int,
    body: StatusIn,
    _: Annotated[User, Depends(api_editor)],
    session: Annotated[Session, Depends(db, scope="function")],
) -> ObligationOut:
    """Eine Frist als erledigt, eingereicht, entfallen oder wieder offen markieren."""
    if obligation_id < 1 or obligation_id > 2**31:
        raise NotFound(f"Eine Frist mit der Nummer {obligation_id} gibt es nicht.")
    item = obligation_service.mark(
        session, obligation_id, body.status, body.on or clock.today(session)
    )
    return _obligation(item, item.programme.key)


@router.get("/funders", response_model=list[FunderOut], summary="Fördergeber")
def list_funders(
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
) -> list[FunderOut]:
    """Alle Fördergeber mit Art (EU, Bund, Land, Kommune, Stiftung, Sonstige)."""
    funders = session.scalars(sa.select(Funder).order_by(Funder.short_name))
    return [
        FunderOut(short_name=f.short_name, name=f.name, kind=f.kind) for f in funders
    ]
