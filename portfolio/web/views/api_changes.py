"""The change log in the API: the same German sentences as the Änderungen page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from portfolio.domain.models import User
from portfolio.services.change_log import ChangeFilter, change_page
from portfolio.web.security import api_user, db

router = APIRouter(prefix="/api", tags=["API"])


class ChangeOut(BaseModel):
    """One change-log entry."""

    id: int
    at: datetime = Field(description="Zeitpunkt (UTC)")
    when: str = Field(
        description="Zeitpunkt in Ortszeit des Büros, z. B. 15.03.2017 14:05"
    )
    who: str
    entity: str = Field(description="Tabelle, z. B. obligations")
    entity_label: str = Field(description="Deutsch, z. B. Frist")
    entity_id: str
    action: str = Field(description="angelegt, geändert oder gelöscht")
    subject: str = Field(description="z. B. Frist „Zwischennachweis 2016“")
    details: list[str] = Field(description="z. B. Status offen → erledigt")
    text: str = Field(description="der ganze Satz, wie auf der Seite Änderungen")
    programme: str | None
    batch_id: int | None = Field(description="Nummer des Imports, falls einer")


class ChangePageOut(BaseModel):
    """One page of the change log, newest first."""

    total: int
    page: int
    pages: int
    items: list[ChangeOut]


@router.get("/changes", response_model=ChangePageOut, summary="Änderungen")
def list_changes(
    request: Request,
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
    who: Annotated[str, Query(max_length=120, description="Benutzername")] = "",
    since: Annotated[date | None, Query(description="ab diesem Tag (Ortszeit)")] = None,
    until: Annotated[date | None, Query(description="bis einschließlich")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ChangePageOut:
    """Das Änderungsprotokoll in lesbarer Form, nach Person und Datum filterbar."""
    timezone = str(request.app.state.settings.get("office.timezone"))
    flt = ChangeFilter(who=who, since=since, until=until)
    entries, pager = change_page(session, flt, timezone, page, size)
    items = [
        ChangeOut(
            id=e.id,
            at=e.at,
            when=e.when,
            who=e.who,
            entity=e.entity,
            entity_label=e.entity_label,
            entity_id=e.entity_id,
            action=e.action,
            subject=e.subject,
            details=list(e.details),
            text=e.text,
            programme=e.programme,
            batch_id=e.batch_id,
        )
        for e in entries
    ]
    return ChangePageOut(
        total=pager.total, page=pager.number, pages=pager.pages, items=items
    )
