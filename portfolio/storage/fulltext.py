"""The database's own full-text search over the documents' extracted text.

SQLite: an FTS5 table ``document_fts`` over ``document_texts`` (external content,
kept in step by triggers, so a cascade delete cleans it too); words are split by
``unicode61`` without diacritics, and a search word of four letters or more also
finds longer words starting with it (no German stemmer in FTS5). PostgreSQL: a GIN
index ``document_fts_german`` on ``to_tsvector('german', …)`` of the text with dots,
slashes and hyphens turned into blanks, so "31.03." finds "31.03.2018" on both
databases. Neither object is a model: they are created here (and in the migration)
and the schema comparison skips them by name (``include_name``/``include_object``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

PREFIX = "document_fts"
# Marks around the matched words in a snippet; the doors turn them into highlights.
MARK_START, MARK_END = "\x02", "\x03"
PG_VECTOR = "to_tsvector('german'::regconfig, regexp_replace(text, '[./-]', ' ', 'g'))"

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE document_fts USING fts5(text, content='document_texts', "
    "content_rowid='document_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER document_fts_ai AFTER INSERT ON document_texts BEGIN "
    "INSERT INTO document_fts(rowid, text) VALUES (new.document_id, new.text); END",
    "CREATE TRIGGER document_fts_ad AFTER DELETE ON document_texts BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) "
    "VALUES ('delete', old.document_id, old.text); END",
    "CREATE TRIGGER document_fts_au AFTER UPDATE ON document_texts BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) "
    "VALUES ('delete', old.document_id, old.text); "
    "INSERT INTO document_fts(rowid, text) VALUES (new.document_id, new.text); END",
)
POSTGRES_DDL = (
    f"CREATE INDEX document_fts_german ON document_texts USING gin ({PG_VECTOR})",
)


def create(connection: sa.Connection) -> None:
    """Create the full-text objects of this database (after the tables)."""
    ddl = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in ddl:
        connection.exec_driver_sql(statement)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:  # noqa: ARG001
    """Alembic filter: the full-text objects are not models; leave them alone."""
    return not (name or "").startswith(PREFIX)


def include_object(
    obj: Any,  # noqa: ARG001
    name: str | None,
    type_: str,
    reflected: bool,  # noqa: ARG001
    compare_to: Any,  # noqa: ARG001
) -> bool:
    """Alembic filter for reflected objects (the PostgreSQL index)."""
    return include_name(name, type_, None)


@dataclass(frozen=True, slots=True)
class Hit:
    """One document found: its id, a snippet with marks, and its rank (lower first)."""

    document_id: int
    snippet: str
    rank: float


def _phrases(text: str) -> list[list[str]]:
    """The query as phrases: each blank-separated word split into its tokens."""
    phrases = []
    for word in text.split():
        tokens = re.findall(r"\w+", word)
        if tokens:
            phrases.append(tokens)
    return phrases


def _fts5_query(phrases: list[list[str]]) -> str:
    parts = []
    for tokens in phrases:
        quoted = '"' + " ".join(t.replace('"', "") for t in tokens) + '"'
        # A whole word of 4+ letters also finds its longer forms (Nachweis-es).
        if len(tokens) == 1 and len(tokens[0]) >= 4 and not tokens[0].isdigit():
            quoted += "*"
        parts.append(quoted)
    return " ".join(parts)


def search(session: Session, text: str, limit: int = 50) -> list[Hit]:
    """Documents whose text matches every word of ``text``, best first."""
    phrases = _phrases(text)
    if not phrases:
        return []
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            sa.text(
                "SELECT rowid, snippet(document_fts, 0, :a, :b, '…', 16), "
                "bm25(document_fts) AS rank FROM document_fts "
                "WHERE document_fts MATCH :q ORDER BY rank LIMIT :n"
            ),
            {"q": _fts5_query(phrases), "a": MARK_START, "b": MARK_END, "n": limit},
        ).all()
        return [Hit(int(r[0]), str(r[1] or ""), float(r[2])) for r in rows]
    return _search_postgres(session, phrases, limit)


def _search_postgres(
    session: Session, phrases: list[list[str]], limit: int
) -> list[Hit]:
    params: dict[str, Any] = {"n": limit}
    terms = []
    for index, tokens in enumerate(phrases):
        params[f"p{index}"] = " ".join(tokens)
        terms.append(f"phraseto_tsquery('german'::regconfig, :p{index})")
    query = " && ".join(terms)
    options = (
        f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=30, MinWords=12, '
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    params["opts"] = options
    rows = session.execute(
        sa.text(
            f"WITH q AS (SELECT {query} AS q), "  # noqa: S608 - only placeholders
            "found AS (SELECT t.document_id, t.text, "
            f"ts_rank({PG_VECTOR}, q.q) AS rank FROM document_texts t, q "
            f"WHERE {PG_VECTOR} @@ q.q ORDER BY rank DESC LIMIT :n) "
            "SELECT found.document_id, "
            "ts_headline('german'::regconfig, found.text, q.q, :opts), found.rank "
            "FROM found, q ORDER BY found.rank DESC"
        ),
        params,
    ).all()
    return [Hit(int(r[0]), str(r[1] or ""), -float(r[2])) for r in rows]
