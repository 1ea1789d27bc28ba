"""The database's own full-text search over the documents' extracted text.

SQLite: an FTS5 table ``document_fts`` over ``document_texts`` (external content, kept
in step by triggers, so a cascade delete cleans it too); words are split by
``unicode61`` without diacritics, and a search word of four letters or more also finds
longer words starting with it (no German stemmer in FTS5). PostgreSQL: a stored
generated column ``document_fts_vector`` (``to_tsvector('german', …)`` of the first
300,000 characters – a tsvector holds 1 MB at most – with dots, slashes and hyphens
turned into blanks, so "31.03." finds "31.03.2018" on both databases) under a GIN index
``document_fts_vector_gin`` (``fastupdate`` off, so new documents never wait in a
pending list); a word of four letters or more is searched as a prefix of its German
stem, like the SQLite side. The snippet is cut by ``ts_headline`` from a window of the
text around the first place the first searched word appears (as typed, capitalised or in
lower case; else the next word; the whole text only when none appears so), and its cost
does not grow with the documents' length. None of these objects is a model: they are
created here (and in the migrations) and the schema comparison skips them by name
(``include_name``/``include_object``).
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
# A tsvector holds at most 1 MB: PostgreSQL indexes the first PG_CHARS characters
# (about a hundred pages; a longer text made the insert, and so the attach, fail).
PG_CHARS = 300_000
PG_VECTOR = (
    "to_tsvector('german'::regconfig, "
    f"regexp_replace(left(text, {PG_CHARS}), '[./-]', ' ', 'g'))"
)
# The snippet of a PostgreSQL hit is cut from this many characters of its text,
# starting a little before the first searched word.
WINDOW, LEAD = 480, 160
# ts_headline parses the text as it is ("31.03." is one token there); the index saw
# dots, slashes and hyphens as blanks. Look-alike separators make the two agree,
# and the snippet gets the real characters back.
STAND_INS = "\u2024\u2215\u2010"  # one dot leader, division slash, hyphen
RESTORE = str.maketrans(STAND_INS, "./-")

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
    "ALTER TABLE document_texts ADD COLUMN document_fts_vector tsvector "
    f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED",
    # No pending list: every search would read it in full until autovacuum runs.
    "CREATE INDEX document_fts_vector_gin ON document_texts "
    "USING gin (document_fts_vector) WITH (fastupdate = off)",
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


def search(session: Session, text: str, limit: int = 50, offset: int = 0) -> list[Hit]:
    """Documents whose text matches every word of ``text``, best first.

    ``offset`` skips the best ones (the next page of hits).
    """
    phrases = _phrases(text)
    if not phrases:
        return []
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            sa.text(
                "SELECT rowid, snippet(document_fts, 0, :a, :b, '…', 16), "
                "bm25(document_fts) AS rank FROM document_fts "
                "WHERE document_fts MATCH :q ORDER BY rank, rowid LIMIT :n OFFSET :o"
            ),
            {
                "q": _fts5_query(phrases),
                "a": MARK_START,
                "b": MARK_END,
                "n": limit,
                "o": offset,
            },
        ).all()
        return [Hit(int(r[0]), str(r[1] or ""), float(r[2])) for r in rows]
    return _search_postgres(session, text, phrases, limit, offset)


def _pg_term(tokens: list[str]) -> tuple[str, str]:
    """One searched word as a tsquery: a long word as a prefix, else a phrase."""
    if len(tokens) == 1 and len(tokens[0]) >= 4 and tokens[0].isalpha():
        return "to_tsquery('german'::regconfig, :{})", f"{tokens[0]}:*"
    return "phraseto_tsquery('german'::regconfig, :{})", " ".join(tokens)


def _window_words(text: str) -> list[str]:
    """Spellings to look for in a hit's text to place its snippet window."""
    found: dict[str, None] = {}
    for word in text.split():
        core = re.sub(r"^\W+|\W+$", "", word)
        if not core:
            continue
        if core.isalpha() and len(core) > 5:
            core = core[:-2]  # inflected forms (Nachweis, Nachweises) share it
        for spelling in (core, core.capitalize(), core.lower()):
            found[spelling] = None
    return list(found)[:12]


def _search_postgres(
    session: Session, text: str, phrases: list[list[str]], limit: int, offset: int
) -> list[Hit]:
    params: dict[str, Any] = {
        "n": limit, "o": offset, "window": WINDOW, "lead": LEAD,
        "stand_ins": STAND_INS,
    }  # fmt: skip
    terms = []
    for index, tokens in enumerate(phrases):
        call, value = _pg_term(tokens)
        params[f"p{index}"] = value
        terms.append(call.format(f"p{index}"))
    places = []
    for index, spelling in enumerate(_window_words(text)):
        params[f"w{index}"] = spelling
        places.append(f"NULLIF(strpos(found.text, :w{index}), 0)")
    params["opts"] = (
        f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=30, MinWords=12, '
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    # COALESCE stops at the first spelling found: each strpos unpacks the text again.
    place = f"COALESCE({', '.join(places)})" if places else "NULL"
    query = " && ".join(terms)
    rows = session.execute(
        sa.text(
            f"WITH q AS MATERIALIZED (SELECT {query} AS q), "  # noqa: S608 - placeholders
            # q is opaque to the planner (materialized), so it takes the GIN index:
            # a known query can look cheaper as a scan of the small heap, which
            # then unpacks every stored vector.
            "found AS (SELECT t.document_id, t.text, "
            "ts_rank(t.document_fts_vector, q.q) AS rank FROM document_texts t, q "
            "WHERE t.document_fts_vector @@ q.q "
            "ORDER BY rank DESC, t.document_id LIMIT :n OFFSET :o), "
            f"placed AS (SELECT found.*, {place} AS place FROM found) "
            "SELECT placed.document_id, ts_headline('german'::regconfig, translate("
            "CASE WHEN placed.place IS NULL THEN placed.text ELSE substr(placed.text, "
            "greatest(1, placed.place - :lead), :window) END, './-', :stand_ins), "
            "q.q, :opts), placed.rank "
            "FROM placed, q ORDER BY placed.rank DESC, placed.document_id"
        ),
        params,
    ).all()
    return [
        Hit(int(r[0]), str(r[1] or "").translate(RESTORE), -float(r[2])) for r in rows
    ]
