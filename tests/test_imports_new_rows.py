"""An overview's new programmes written as plain rows store what the ORM stores.

A big overview plans its new programmes, fundings, phases, awards, Anträge and
open Verwendungsnachweis deadlines as plain rows and inserts them through the bulk
path (``portfolio.services.import_new``). The same workbook imported through the
ORM (the path every other import takes) into a second fresh database must leave
every table identical, ids included, and the same change-log rows (the plain path
writes them table by table, the ORM in the order it created the rows); the preview
says the same; the same file again changes nothing, and the batch is undone by
``portfolio imports undo``. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import Engine, make_url

from imports.reading import read_file
from portfolio.domain.base import Base
from portfolio.domain.models import Change
from portfolio.services import import_apply, import_new
from portfolio.services.import_apply import import_files
from portfolio.services.import_preview import preview_text
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

HEADER = (
    "Programm",
    "Kurzname",
    "Fördergeber",
    "Art",
    "Förderkennzeichen",
    "Laufzeit",
    "Fördersumme",
    "Eigenanteil",
    "Status",
    "Ansprechpartner",
    "E-Mail",
    "nächste Frist",
    "Bemerkungen",
)
ROWS = [
    # Two awards of one programme in one term, a third in a later term.
    ("Lernen vor Ort", "LvO", "BMBF", "Bund", "01JB0001", "01.09.2016 – 31.08.2019",
     125000.5, 1000, "Bewilligt", "Frau Albers", "albers@kreis-re.de", "30.06.2020",
     "laut Bescheid"),
    ("Lernen vor Ort", "LvO", "ESF", "EU", "01JB0002", "01.09.2016 – 31.08.2019",
     20000, None, "Bewilligt", "Frau Albers", "albers@kreis-re.de", None, None),
    ("Lernen vor Ort", "LvO", "BMBF", "Bund", "01JB0003", "01.09.2019 – 31.12.2021",
     90000, 500, "Laufend", "Frau Albers", "albers@kreis-re.de", None, None),
    # Applied for: an Antrag, not an award.
    ("Kommunale Koordinierung", "KoKo", "Land NRW", "Land", None,
     "01.01.2024 – 31.12.2026", 60000, 6000, "Antrag eingereicht", "Herr Brandt",
     "brandt@kreis-re.de", None, None),
    ("Bildung integriert", None, "RAG-Stiftung", "Stiftung", "RAG-7",
     "01/2020 – 06/2023", 80000.25, None, "Verwendungsnachweis offen", "Frau Celik",
     "celik@kreis-re.de", "31.12.2023", "VN fehlt"),
    ("Zukunftsstadt", "ZS", "BMBF", "Bund", None, "01.01.2022 – 31.12.2022",
     15000, None, "Antrag in Vorbereitung", None, None, None, None),
    ("Talentscouting", None, "Land NRW", "Land", "TS-1", "2021 – 2023", 40000,
     None, "abgeschlossen", "Herr Dahl", "dahl@kreis-re.de", None, "Phase I"),
]  # fmt: skip


def _overview(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Übersicht"
    for row in (HEADER, *ROWS):
        sheet.append(list(row))
    book.save(path)
    return path


@pytest.fixture
def second_url(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A second fresh database of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = f"portfolio_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every data row as stored text, by table, in key order."""
    state = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in ("changes", "import_batches", "audit_events"):
                continue
            query = sa.select(*(sa.cast(c, sa.Text) for c in table.columns))
            rows = connection.execute(query).all()
            state[table.name] = sorted(map(tuple, rows), key=str)
    return state


def _log(engine: Engine) -> list[tuple[Any, ...]]:
    """The change-log rows as stored text, without their ids and times."""
    columns = ("entity", "entity_id", "action", "before", "after", "who", "batch_id")
    table = Change.__table__
    query = sa.select(*(sa.cast(table.c[name], sa.Text) for name in columns))
    with engine.connect() as connection:
        return sorted(map(tuple, connection.execute(query).all()), key=str)


def _import(engine: Engine, path: Path) -> str:
    with session_scope(engine, "test") as session:
        preview = import_files(session, [read_file(path)], apply=True)
    assert preview.exit_code == 0, preview_text(preview)
    return preview_text(preview)


def test_plain_rows_store_what_the_orm_stores(
    db_url: str,
    second_url: str,
    tmp_path: Path,
    cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _overview(tmp_path / "uebersicht.xlsx")
    inserted: list[int] = []
    insert_new = import_new.insert_new

    def counting(session: Any, rows: import_new.NewRows, batch_id: int) -> None:
        inserted.append(sum(len(items) for items in rows.tables()))
        insert_new(session, rows, batch_id)

    monkeypatch.setattr(import_apply, "insert_new", counting)
    plain = open_database(db_url)
    plain_text = _import(plain, path)
    assert inserted and inserted[0] >= 20  # programmes, phases, awards … as rows

    orm = open_database(second_url)
    with monkeypatch.context() as patched:
        patched.setattr(import_apply, "_plain_new", lambda result, last: False)
        orm_text = _import(orm, path)
    assert inserted[1:] in ([], [0])  # the ORM path planned no plain rows

    assert plain_text == orm_text
    plain_tables, orm_tables = _tables(plain), _tables(orm)
    assert plain_tables == orm_tables
    assert len(plain_tables["awards"]) == 5 and len(plain_tables["applications"]) == 2
    assert len(plain_tables["obligations"]) == 1  # the open Verwendungsnachweis
    assert _log(plain) == _log(orm)

    again = cli("import", str(path), "--yes", db=db_url)
    assert again.exit_code == 0, again.output
    assert f"{len(ROWS)} unverändert" in again.output  # read back row by row
    assert "Keine Änderungen" in again.output
    undone = cli("imports", "undo", "1", db=db_url)
    assert undone.exit_code == 0, undone.output
    assert all(rows == [] for rows in _tables(plain).values())
    plain.dispose()
    orm.dispose()
