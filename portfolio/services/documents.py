"""Reading the documents: per programme, by full text, their files' state, retention.

Listing groups versions into series (the newest version first, its earlier ones
under it). The search goes through the database's own full-text index
(``portfolio.storage.fulltext``) and names each hit's programme, award and deadline
with a snippet. ``check`` hashes every stored file and reports the missing and the
altered. Retention (CONTRACTS §9): the rules record, per award, an obligation of kind
``aufbewahrung`` whose date is the day from which the award's files may be destroyed;
the award's documents show it and ``due_for_deletion`` lists those whose day has come.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.documents import Document
from portfolio.domain.enums import ObligationKind
from portfolio.domain.models import Award, Funder, Obligation, Programme
from portfolio.services.document_store import DocumentStore
from portfolio.services.edit_documents import find_programme
from portfolio.storage import fulltext

RETENTION_KIND = ObligationKind.AUFBEWAHRUNG


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """A document as lists show it: with its award, deadline and retention date."""

    document: Document
    programme_key: str
    programme_name: str
    award: str | None = None
    deadline: str | None = None
    keep_until: date | None = None


@dataclass(slots=True)
class Series:
    """The versions of one document, newest first."""

    versions: list[DocumentRow] = field(default_factory=list)

    @property
    def latest(self) -> DocumentRow:
        """The newest version."""
        return self.versions[0]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A document found by its text."""

    row: DocumentRow
    snippet: str


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A stored file that is missing or altered, with the documents using it."""

    sha256: str
    state: str  # "missing" | "altered"
    documents: list[Document]


def retention_dates(session: Session, award_ids: Iterable[int]) -> dict[int, date]:
    """The day from which each award's files may be destroyed (if recorded)."""
    ids = sorted({i for i in award_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Obligation.award_id, sa.func.max(Obligation.due_on))
        .where(Obligation.award_id.in_(ids), Obligation.kind == RETENTION_KIND)
        .group_by(Obligation.award_id)
    ).all()
    return {int(award_id): due for award_id, due in rows if award_id is not None}


def _rows(session: Session, documents: list[Document]) -> list[DocumentRow]:
    if not documents:  # no statements for a programme without documents
        return []
    programme_ids = {d.programme_id for d in documents}
    award_ids = {d.award_id for d in documents if d.award_id}
    obligation_ids = {d.obligation_id for d in documents if d.obligation_id}
    programmes = {
        p.id: (p.key, p.short_name or p.name)
        for p in session.execute(
            sa.select(
                Programme.id, Programme.key, Programme.short_name, Programme.name
            ).where(Programme.id.in_(programme_ids))
        )
    }
    awards = {
        a.id: " ".join(x for x in (a.short_name, a.reference) if x)
        for a in session.execute(
            sa.select(Award.id, Award.reference, Funder.short_name)
            .join(Funder, Funder.id == Award.funder_id)
            .where(Award.id.in_(award_ids))
        )
    }
    deadlines = {
        o.id: o.title
        for o in session.execute(
            sa.select(Obligation.id, Obligation.title).where(
                Obligation.id.in_(obligation_ids)
            )
        )
    }
    keep = retention_dates(session, award_ids)
    rows = []
    for d in documents:
        key, name = programmes[d.programme_id]
        rows.append(
            DocumentRow(
                d,
                key,
                name,
                awards.get(d.award_id) if d.award_id else None,
                deadlines.get(d.obligation_id) if d.obligation_id else None,
                keep.get(d.award_id) if d.award_id else None,
            )
        )
    return rows


def series_of_programme(session: Session, key: str | Programme) -> list[Series]:
    """A programme's documents as series of versions (newest document first).

    Takes the key, or the programme when the caller has loaded it already.
    """
    programme = key if isinstance(key, Programme) else find_programme(session, key)
    documents = list(
        session.scalars(
            sa.select(Document)
            .where(Document.programme_id == programme.id)
            .order_by(Document.id.desc())
        )
    )
    return group_series(_rows(session, documents))


def series_of(
    session: Session,
    *,
    award_id: int | None = None,
    obligation_id: int | None = None,
) -> list[Series]:
    """The documents of one award or one deadline, as series."""
    query = sa.select(Document).order_by(Document.id.desc())
    if award_id is not None:
        query = query.where(Document.award_id == award_id)
    if obligation_id is not None:
        query = query.where(Document.obligation_id == obligation_id)
    return group_series(_rows(session, list(session.scalars(query))))


def group_series(rows: list[DocumentRow]) -> list[Series]:
    """Group rows (newest first) by series; series ordered by their newest version."""
    groups: dict[int, Series] = {}
    for row in rows:
        groups.setdefault(row.document.series_id, Series()).versions.append(row)
    return list(groups.values())


def search(
    session: Session, text: str, limit: int = 50, offset: int = 0
) -> list[SearchHit]:
    """Documents whose text contains every word searched for, best first."""
    hits = fulltext.search(session, text, limit, offset)
    if not hits:
        return []
    documents = {
        d.id: d
        for d in session.scalars(
            sa.select(Document).where(Document.id.in_([h.document_id for h in hits]))
        )
    }
    found = [documents[h.document_id] for h in hits if h.document_id in documents]
    rows = {r.document.id: r for r in _rows(session, found)}
    return [
        SearchHit(rows[h.document_id], h.snippet) for h in hits if h.document_id in rows
    ]


def check(session: Session, store: DocumentStore) -> list[FileProblem]:
    """Every stored file hashed: the missing and altered ones with their documents."""
    by_hash: dict[str, list[Document]] = {}
    for document in session.scalars(sa.select(Document).order_by(Document.id)):
        by_hash.setdefault(document.sha256, []).append(document)
    problems = []
    for sha, documents in by_hash.items():
        state = store.state(sha)
        if state != "ok":
            problems.append(FileProblem(sha, state, documents))
    return problems


def unused_files(session: Session, store: DocumentStore) -> list[str]:
    """Hashes of files in the folder no document uses (left by a deleted programme)."""
    used = set(session.scalars(sa.select(Document.sha256).distinct()))
    return sorted(h for h in store.hashes() if h not in used)


def due_for_deletion(session: Session, today: date) -> list[DocumentRow]:
    """Documents of awards whose retention period ended on or before ``today``."""
    ended = (
        sa.select(Obligation.award_id)
        .where(Obligation.kind == RETENTION_KIND, Obligation.award_id.is_not(None))
        .group_by(Obligation.award_id)
        .having(sa.func.max(Obligation.due_on) <= today)
    )
    documents = list(
        session.scalars(
            sa.select(Document)
            .where(Document.award_id.in_(ended))
            .order_by(Document.programme_id, Document.id)
        )
    )
    return _rows(session, documents)


def programme_key_of(session: Session, document: Document) -> str:
    """The key of the programme a document belongs to."""
    return str(
        session.scalar(
            sa.select(Programme.key).where(Programme.id == document.programme_id)
        )
    )


def rows_of(session: Session, ids: list[int]) -> list[DocumentRow]:
    """Documents by number, in that order."""
    found = {
        d.id: d
        for d in session.scalars(sa.select(Document).where(Document.id.in_(ids)))
    }
    return _rows(session, [found[i] for i in ids if i in found])


def recent(session: Session, limit: int = 50) -> list[DocumentRow]:
    """The documents added last, newest first."""
    documents = list(
        session.scalars(sa.select(Document).order_by(Document.id.desc()).limit(limit))
    )
    return _rows(session, documents)


def count(session: Session) -> int:
    """How many documents are stored."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(Document)) or 0)
