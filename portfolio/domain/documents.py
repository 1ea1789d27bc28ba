"""Documents kept beside the portfolio: Bescheide, contracts, what was submitted.

A ``Document`` is the metadata of one stored file (kind, date, title, the sanitised
original name, the media type found by its content, size and SHA-256) and where it
belongs: always a programme, and optionally an application, an award or a deadline.
The bytes live outside the database, named by their hash, so identical uploads are
stored once. Versions of the same document point at the first one of their series
(``version_of_id``); the newest version is the one with the highest id. The text
extracted for the full-text search sits in ``DocumentText``, one row per document,
kept out of the change log (it is derived and large).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.domain.base import Base, enum_column, utcnow
from portfolio.domain.errors import InvalidValue


class DocumentKind(StrEnum):
    """What a document is, as the office files it."""

    BESCHEID = "bescheid"
    VERTRAG = "vertrag"
    NACHWEIS = "nachweis"
    KORRESPONDENZ = "korrespondenz"
    SONSTIGES = "sonstiges"


DOCUMENT_KIND_LABELS: dict[DocumentKind, str] = {
    DocumentKind.BESCHEID: "Bescheid",
    DocumentKind.VERTRAG: "Vertrag",
    DocumentKind.NACHWEIS: "Nachweis / Bericht",
    DocumentKind.KORRESPONDENZ: "Korrespondenz",
    DocumentKind.SONSTIGES: "Sonstiges",
}

# German labels of the fields, for the change log and the API (CONTRACTS §6).
DOCUMENT_FIELD_LABELS: dict[str, str] = {
    "kind": "Art",
    "title": "Titel",
    "doc_date": "Datum",
    "file_name": "Dateiname",
    "media_type": "Dateityp",
    "size": "Größe",
    "sha256": "Prüfsumme (SHA-256)",
    "programme_id": "Programm",
    "application_id": "Antrag",
    "award_id": "Bewilligung",
    "obligation_id": "Frist",
    "version_of_id": "Version von",
    "added_by": "hinzugefügt von",
    "added_at": "hinzugefügt am",
}


class Document(Base):
    """One stored file and what it belongs to."""

    __tablename__ = "documents"
    __table_args__ = (
        sa.CheckConstraint("size >= 0", "size_ge0"),
        sa.CheckConstraint("length(sha256) = 64", "sha256_len"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(
        enum_column(DocumentKind, "kind"), default=DocumentKind.SONSTIGES
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    doc_date: Mapped[date | None]
    file_name: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    award_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("awards.id", ondelete="SET NULL"), index=True
    )
    obligation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("obligations.id", ondelete="SET NULL"), index=True
    )
    version_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    added_by: Mapped[str] = mapped_column(sa.String(120), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    text: Mapped[DocumentText | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def series_id(self) -> int:
        """The id that names the series of versions (the first version's)."""
        return self.version_of_id or self.id

    def validate(self) -> None:
        """A title and a file name are needed; the hash is a SHA-256 in hex."""
        if not (self.title or "").strip():
            raise InvalidValue("Ein Dokument braucht einen Titel.")
        if not (self.file_name or "").strip():
            raise InvalidValue("Ein Dokument braucht einen Dateinamen.")
        sha = self.sha256 or ""
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise InvalidValue(f"{sha!r} ist keine SHA-256-Prüfsumme.")


class DocumentText(Base):
    """The text extracted from a document, searched by the database's full text."""

    __tablename__ = "document_texts"
    __audited__ = False

    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(sa.Text, default="")

    def validate(self) -> None:
        """Nothing to check."""
