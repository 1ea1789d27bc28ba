"""Attach, describe and delete documents: one service for CLI, browser and API.

``DocumentInput`` holds the validation once (CONTRACTS §5): the programme by key, the
kind, title and date, and what the document belongs to (application, award, deadline
of that programme; the earlier version it replaces). ``create`` checks the file
(size limit, type by content, zip bombs), stores its bytes once per content, extracts
its text for the search and records who added it; ``preview`` does the checks without
storing; ``update`` changes the description; ``delete`` removes a document (the
doors allow it to admins only), leaves its line in the change log and removes the
file when no other document uses the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from portfolio.domain.documents import DOCUMENT_KIND_LABELS, Document, DocumentKind
from portfolio.domain.errors import InputError, InvalidValue, NotFound
from portfolio.domain.models import (
    Application,
    Award,
    DocumentText,
    Obligation,
    Programme,
)
from portfolio.domain.periods import format_date
from portfolio.services import document_text, document_types
from portfolio.services.document_store import DocumentStore, sha256_hex
from portfolio.services.zip_guard import DEFAULT_MAX_UNPACKED
from portfolio.storage.queries import suggest_keys

KIND_WORDS = ", ".join(k.value for k in DocumentKind)


class DocumentInput(BaseModel):
    """What a person says about a document they attach (all but the key optional)."""

    model_config = ConfigDict(frozen=True)

    programme: str = Field(min_length=1)
    kind: DocumentKind | None = None
    title: str | None = Field(default=None, max_length=300)
    doc_date: date | None = None
    application_id: int | None = None
    award_id: int | None = None
    award_reference: str | None = None  # the Förderkennzeichen, instead of the id
    obligation_id: int | None = None
    version_of: int | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip().lower()
            if not text:
                return None
            if text not in {k.value for k in DocumentKind}:
                raise ValueError(f"Art {value!r} gibt es nicht (erlaubt: {KIND_WORDS})")
            return text
        return value

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> object:
        return value.strip() or None if isinstance(value, str) else value


def make_input(**values: object) -> DocumentInput:
    """Build the input, turning pydantic's complaints into one German message."""
    from pydantic import ValidationError

    try:
        return DocumentInput.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        raise InvalidValue(f"Dokument: {field}: {message}.") from None


@dataclass(frozen=True, slots=True)
class Limits:
    """How large an upload may be, packed and unpacked."""

    max_bytes: int = 50 * 1024 * 1024
    max_unpacked: int = DEFAULT_MAX_UNPACKED


@dataclass(frozen=True, slots=True)
class Checked:
    """A file that passed the checks: its type, safe name, size and hash."""

    file_name: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Attached:
    """The result of attaching one file."""

    document: Document
    stored_before: bool  # the same bytes were already in the folder
    same_as: int | None  # an identical document of the same place (nothing added)
    warning: str = ""


def preview(data: bytes, file_name: str, limits: Limits) -> Checked:
    """Check a file as ``create`` would, without storing anything."""
    shown = PurePosixPath(file_name.replace("\\", "/")).name or "Datei"
    if len(data) > limits.max_bytes:
        raise InputError(
            f"„{shown}“ ist mit {len(data) / 2**20:.1f} MB größer als erlaubt "
            f"({limits.max_bytes // 2**20} MB, Einstellung documents.max_file_mb)."
        )
    found = document_types.sniff(data, shown, limits.max_unpacked)
    return Checked(
        document_types.safe_file_name(shown, found),
        found.media_type,
        len(data),
        sha256_hex(data),
    )


def create(
    session: Session,
    store: DocumentStore,
    data: bytes,
    file_name: str,
    spec: DocumentInput,
    *,
    who: str,
    limits: Limits | None = None,
) -> Attached:
    """Attach one file to a programme (and its application, award or deadline)."""
    checked = preview(data, file_name, limits or Limits())
    programme = find_programme(session, spec.programme)
    earlier = _earlier_version(session, spec, programme.id)
    award_id, application_id, obligation_id = _targets(session, spec, programme.id)
    if earlier is not None and not (award_id or application_id or obligation_id):
        award_id, application_id = earlier.award_id, earlier.application_id
        obligation_id = earlier.obligation_id
    same = session.scalar(
        sa.select(Document.id).where(
            Document.sha256 == checked.sha256,
            Document.programme_id == programme.id,
            Document.award_id.is_(None)
            if award_id is None
            else Document.award_id == award_id,
            Document.obligation_id.is_(None)
            if obligation_id is None
            else Document.obligation_id == obligation_id,
        )
    )
    stored_before = store.path(checked.sha256).is_file()
    if same is not None:
        document = session.get_one(Document, same)
        return Attached(document, stored_before, same)
    store.put(data, checked.sha256)
    extracted = document_text.extract(data, checked.media_type)
    kind = spec.kind or (earlier.kind if earlier else DocumentKind.SONSTIGES)
    title = spec.title or (earlier.title if earlier else _title(checked.file_name))
    document = Document(
        kind=kind,
        title=title,
        doc_date=spec.doc_date,
        file_name=checked.file_name,
        media_type=checked.media_type,
        size=checked.size,
        sha256=checked.sha256,
        programme_id=programme.id,
        application_id=application_id,
        award_id=award_id,
        obligation_id=obligation_id,
        version_of_id=earlier.series_id if earlier else None,
        added_by=who,
    )
    document.text = DocumentText(text=extracted.text)
    session.add(document)
    session.flush()
    return Attached(document, stored_before, None, extracted.warning)


def find_programme(session: Session, key: str) -> Programme:
    """A programme by key, or ``NotFound`` with the keys that look alike."""
    query = sa.select(Programme).where(Programme.key == key)
    programme = session.scalars(query).first()
    if programme is None:
        close = suggest_keys(session, key)
        hint = f" – meinten Sie {', '.join(close)}?" if close else ""
        raise NotFound(
            f"Ein Programm {key!r} gibt es nicht{hint} (`portfolio programmes` "
            "zeigt alle Schlüssel)."
        )
    return programme


def _title(file_name: str) -> str:
    return PurePosixPath(file_name).stem.replace("_", " ").strip() or file_name


def _earlier_version(
    session: Session, spec: DocumentInput, programme_id: int
) -> Document | None:
    if spec.version_of is None:
        return None
    earlier = session.get(Document, spec.version_of)
    if earlier is None or earlier.programme_id != programme_id:
        raise NotFound(
            f"Ein Dokument Nr. {spec.version_of} gibt es bei {spec.programme!r} nicht "
            f"(`portfolio documents list {spec.programme}` zeigt die Nummern)."
        )
    return earlier


def _targets(
    session: Session, spec: DocumentInput, programme_id: int
) -> tuple[int | None, int | None, int | None]:
    """Award, application and deadline, each checked to belong to the programme."""
    award_id = spec.award_id
    if award_id is None and spec.award_reference:
        award_id = _award_by_reference(session, spec, programme_id)
    application_id = spec.application_id
    obligation_id = spec.obligation_id
    for model, ident, word in (
        (Award, award_id, "eine Bewilligung"),
        (Application, application_id, "einen Antrag"),
        (Obligation, obligation_id, "eine Frist"),
    ):
        if ident is None:
            continue
        owner = session.scalar(sa.select(model.programme_id).where(model.id == ident))
        if owner != programme_id:
            raise NotFound(
                f"{word[0].upper()}{word[1:]} Nr. {ident} gibt es beim Programm "
                f"{spec.programme!r} nicht."
            )
    if obligation_id is not None and award_id is None:
        # A deadline of an award: the document belongs to that award too.
        award_id = session.get_one(Obligation, obligation_id).award_id
    return award_id, application_id, obligation_id


def _award_by_reference(
    session: Session, spec: DocumentInput, programme_id: int
) -> int:
    references = dict(
        session.execute(
            sa.select(Award.reference, Award.id).where(
                Award.programme_id == programme_id, Award.reference.is_not(None)
            )
        ).all()
    )
    wanted = (spec.award_reference or "").strip().casefold()
    for reference, ident in references.items():
        if str(reference).casefold() == wanted:
            return int(ident)
    known = ", ".join(sorted(str(r) for r in references)) or "keine"
    raise NotFound(
        f"Eine Bewilligung {spec.award_reference!r} gibt es beim Programm "
        f"{spec.programme!r} nicht (Zeichen dort: {known})."
    )


def update(
    session: Session,
    document_id: int,
    *,
    kind: DocumentKind | None = None,
    title: str | None = None,
    doc_date: date | None = None,
) -> Document:
    """Change what a document is called, its kind or its date."""
    document = get(session, document_id)
    if kind is not None:
        document.kind = kind
    if title is not None and title.strip():
        document.title = title.strip()[:300]
    if doc_date is not None:
        document.doc_date = doc_date
    session.flush()
    return document


def get(session: Session, document_id: int) -> Document:
    """A document by its number, or ``NotFound``."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"Ein Dokument Nr. {document_id} gibt es nicht.")
    return document


def delete(session: Session, store: DocumentStore, document_id: int) -> Document:
    """Delete a document; its file goes when no other document uses its bytes."""
    document = get(session, document_id)
    later = list(
        session.scalars(
            sa.select(Document)
            .where(Document.version_of_id == document.id)
            .order_by(Document.id)
        )
    )
    if later:  # the next version heads the series now
        head = later[0]
        head.version_of_id = None
        for other in later[1:]:
            other.version_of_id = head.id
    session.delete(document)
    session.flush()
    still_used = session.scalar(
        sa.select(sa.func.count())
        .select_from(Document)
        .where(Document.sha256 == document.sha256)
    )
    if not still_used:
        store.remove(document.sha256)
    return document


def describe(document: Document) -> str:
    """One line naming a document for messages."""
    when = f", {format_date(document.doc_date)}" if document.doc_date else ""
    kind = DOCUMENT_KIND_LABELS[document.kind]
    return f"Nr. {document.id} {kind} „{document.title}“{when} ({document.file_name})"
