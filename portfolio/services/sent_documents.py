"""What was sent, kept as a document of the deadline it answers.

``portfolio report … --send`` mails a yearly report; the PDF that went out is stored
as a document (kind ``nachweis``) of each programme it covers, attached to the
deadline it answers: a Sachbericht, Zwischen- or Verwendungsnachweis or report of
that programme whose title names the report's year, else one due in the year after
it (the Zwischennachweis 2016 is due 30.04.2017). The bytes are stored once however
many programmes the report covers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.documents import DocumentKind
from portfolio.domain.enums import ObligationKind, ObligationStatus
from portfolio.domain.models import Obligation, Programme
from portfolio.services import edit_documents
from portfolio.services.document_store import DocumentStore

ANSWERING = (
    ObligationKind.SACHBERICHT,
    ObligationKind.ZWISCHENNACHWEIS,
    ObligationKind.VERWENDUNGSNACHWEIS,
    ObligationKind.REPORT,
)


@dataclass(frozen=True, slots=True)
class Filed:
    """One stored copy: the programme, the document number, the deadline if any."""

    programme: str
    document_id: int
    deadline: str | None


def deadline_answered(
    session: Session, programme_id: int, year: int
) -> Obligation | None:
    """The deadline a report on ``year`` answers for a programme, if one fits."""
    candidates = [
        o
        for o in session.scalars(
            sa.select(Obligation).where(
                Obligation.programme_id == programme_id,
                Obligation.kind.in_(ANSWERING),
            )
        )
        if str(year) in o.title or o.due_on.year == year + 1
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda o: (
            str(year) not in o.title,
            o.status is ObligationStatus.WAIVED,
            o.due_on,
            o.id,
        ),
    )


def file_sent_report(
    session: Session,
    store: DocumentStore,
    data: bytes,
    file_name: str,
    *,
    programme_keys: list[str],
    year: int,
    title: str,
    who: str,
) -> list[Filed]:
    """Store a sent report with each programme, at the deadline it answers."""
    filed = []
    for key in programme_keys:
        programme_id = session.scalar(
            sa.select(Programme.id).where(Programme.key == key)
        )
        if programme_id is None:
            continue
        deadline = deadline_answered(session, programme_id, year)
        spec = edit_documents.make_input(
            programme=key,
            kind=DocumentKind.NACHWEIS,
            title=title,
            obligation_id=deadline.id if deadline else None,
        )
        done = edit_documents.create(session, store, data, file_name, spec, who=who)
        filed.append(Filed(key, done.document.id, deadline.title if deadline else None))
    return filed
