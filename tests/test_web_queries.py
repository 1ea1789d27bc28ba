"""No N+1: each page runs as many SQL statements for 10 as for 1,000 programmes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from web_support import add_synthetic, logged_in, prepare_db

from portfolio.services.clock import set_stichtag
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

PAGES = [
    "/",
    "/zeitstrahl",
    "/programme",
    "/programme?q=programm&status=running&art=land",
    "/programme/synth-3",
    "/fristen",
    "/fristen/kalender?monat=2017-03",
    "/verwaltung/erinnerungen",
    "/berichte",
]


@contextmanager
def counting(engine: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _counts(tmp_path: Path, size: int) -> dict[str, int]:
    url = f"sqlite:///{tmp_path / f'n{size}.db'}"
    prepare_db(url, demo=False)
    # Applications in every state, and a Stichtag on which programmes end within
    # twelve months: every panel of the Übersicht has rows to load.
    add_synthetic(url, size, applications=True)
    engine = open_database(url)
    with session_scope(engine, "test") as session:
        set_stichtag(session, date(2017, 3, 15))
    engine.dispose()
    http, _ = logged_in(url, "admin")
    engine = http.app.state.engine  # type: ignore[attr-defined]
    result = {}
    for page in PAGES:
        with counting(engine) as statements:
            answer = http.get(page)
        assert answer.status_code == 200, page
        result[page] = len(statements)
    return result


@pytest.mark.slow
def test_query_count_is_constant_in_portfolio_size(tmp_path: Path) -> None:
    small = _counts(tmp_path, 10)
    large = _counts(tmp_path, 1000)
    assert small == large
    assert max(small.values()) <= 20, small


def test_every_page_works_on_sqlite_and_postgres(db_url: str) -> None:
    prepare_db(db_url)
    add_synthetic(db_url, 30)
    http, _ = logged_in(db_url, "admin")
    for page in [
        *PAGES,
        "/programme/zukunftsstadt",
        "/verwaltung",
        "/import",
        "/konto",
    ]:
        assert http.get(page).status_code == 200, page
    assert "Bund" in http.get("/").text
    http.app.state.engine.dispose()  # type: ignore[attr-defined]
