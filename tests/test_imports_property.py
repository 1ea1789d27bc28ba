"""Messy generated sheets never crash the import and never half-write the database.

Hypothesis builds workbooks the way people mess them up: junk cells of every type,
merged areas, huge strings, formulas, blank rows, headers in odd places. Importing
them must end with exit 0, 1 or 2; when it ends with 2 (unusable) the database is
exactly as before, and when rows were applied, importing again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from portfolio.services.export_json import build_document
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

HEADERS = ["Programm", "Projekt", "Fördergeber", "Art", "Laufzeit", "Fördersumme (€)",
           "Eigenanteil", "Förderkennzeichen", "Status", "Bemerkungen", "fällig am",
           "Was?", "zuständig", "E-Mail", "erledigt", "Position", "2016", "2017",
           "Summe", "Name", "Funktion", "", None]  # fmt: skip
WORDS = ["KAoA", "Zukunftsstadt", "MAIS NRW / RAG-Stiftung", "BMBF", "Land / Stiftung",
         "seit 02/2010", "11/2016 – 4/2018", "2013 ff.", "1,2 Mio. €", "120 TEUR",
         "50.000,-", "läuft", "abgeschlossen", "x", "ja", "Summe", "Gesamt",
         "* Beträge ohne Gewähr", "Stand: 01.03.2017", "albers@kreis-re.de",
         "Frau Albers", "=SUM(A1:A3)", "=1/0", "31.02.2017", "-5", "#NV"]  # fmt: skip

cells = st.one_of(
    st.none(),
    st.sampled_from(WORDS),
    st.text(max_size=30),
    st.text(min_size=500, max_size=3000),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 1, 1)),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1)),
)
rows = st.lists(st.lists(cells, max_size=12), max_size=25)


def _clean(value: Any) -> Any:
    if isinstance(value, str):  # openpyxl refuses control characters
        return "".join(c for c in value if c.isprintable())
    return value


def _workbook(path: Path, head: list[Any], body: list[list[Any]], at: int,
              merges: list[tuple[int, int]]) -> None:  # fmt: skip
    book = Workbook()
    sheet = book.active
    for _ in range(at):
        sheet.append(["Übersicht Förderprogramme"])
    sheet.append([_clean(h) for h in head])
    for row in body:
        sheet.append([_clean(c) for c in row])
    for first, width in merges:
        row = first % (sheet.max_row or 1) + 1
        sheet.merge_cells(start_row=row, start_column=1, end_row=row,
                          end_column=1 + width % 5)  # fmt: skip
    book.save(path)


SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
           HealthCheck.data_too_large]  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=SLOW_OK)
@given(
    head=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=10),
    body=rows,
    at=st.integers(min_value=0, max_value=5),
    merges=st.lists(st.tuples(st.integers(0, 30), st.integers(1, 6)), max_size=3),
)
def test_messy_sheets_never_crash_nor_half_write(
    cli: Callable[..., Any], tmp_path: Path, head: list[Any], body: list[list[Any]],
    at: int, merges: list[tuple[int, int]],
) -> None:  # fmt: skip
    path = tmp_path / "chaos.xlsx"
    _workbook(path, head, body, at, merges)
    db = f"sqlite:///{tmp_path / 'chaos.db'}"
    engine = open_database(db)
    try:
        with session_scope(engine, read_only=True) as session:
            before = build_document(session)
        result = cli("import", str(path), "--yes", db=db)
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output
        with session_scope(engine, read_only=True) as session:
            after = build_document(session)
        if result.exit_code == 2:
            assert after == before
        if after != before:
            again = cli("import", str(path), "--yes", db=db)
            assert again.exit_code in (0, 1), again.output
            assert "Keine Änderungen" in again.output or "Nichts zu" in again.output
    finally:
        engine.dispose()
        for leftover in tmp_path.glob("chaos.db*"):
            leftover.unlink()
