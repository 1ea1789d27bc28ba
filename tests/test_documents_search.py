"""Full-text search on both databases: a phrase deep inside a long document.

The hit's snippet is cut around the words searched for, wherever they stand in
the text (PostgreSQL cuts it from a window of the text, SQLite's FTS5 by itself);
a word of four letters or more also finds longer words that start with it, and the
case of what is typed does not matter.
"""

from __future__ import annotations

from pathlib import Path

from documents_support import make_docx

from portfolio.storage import fulltext
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

FILLER = " ".join(["Bildungsmonitoring im Kreis mit Haushaltsmitteln."] * 600)
PHRASE = "Der Zwischennachweis ist zum 31.03. des Folgejahres vorzulegen."


def _search(db_url: str, text: str) -> list[fulltext.Hit]:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        hits = fulltext.search(session, text)
    engine.dispose()
    return hits


def test_phrase_deep_in_a_long_text_is_found_with_its_snippet(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    long = make_docx(tmp_path / "bescheid.docx", f"{FILLER} {PHRASE} {FILLER}")
    short = make_docx(tmp_path / "vertrag.docx", "Vertrag Bildungskonferenz")
    done = cli("attach", "zukunftsstadt", str(long), str(short), db=db_url)
    assert done.exit_code == 0, done.output
    assert len(FILLER) > 20_000  # the phrase stands far from the start

    for typed in ("Zwischennachweis 31.03.", "zwischennachweis", "ZWISCHENNACHWEIS"):
        hits = _search(db_url, typed)
        assert [h.document_id for h in hits] == [1], typed
        marked = f"{fulltext.MARK_START}Zwischennachweis{fulltext.MARK_END}"
        assert marked in hits[0].snippet, (typed, hits[0].snippet)
    assert "31" in _search(db_url, "Zwischennachweis 31.03.")[0].snippet

    assert [h.document_id for h in _search(db_url, "Bildungskonf")] == [2]
    assert _search(db_url, "Zwischennachweis 30.04.") == []


def test_a_very_long_text_full_of_numbers_is_attached_and_found(
    cli, db_url: str, tmp_path: Path
) -> None:
    # 250,000 different numbers: far more than one PostgreSQL tsvector can hold.
    numbers = " ".join(str(n) for n in range(1_000_000, 1_250_000))
    table = make_docx(tmp_path / "liste.docx", f"Belegliste {numbers}")
    assert cli("demo", db=db_url).exit_code == 0
    done = cli("attach", "zukunftsstadt", str(table), db=db_url)
    assert done.exit_code == 0, done.output
    assert [h.document_id for h in _search(db_url, "Belegliste 1000123")] == [1]
