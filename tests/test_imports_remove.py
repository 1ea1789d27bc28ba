"""Rows missing from a re-imported workbook: kept, or deleted only when asked.

The user's story: the office exports the portfolio workbook, deletes a programme's
row (and its deadlines) and one deadline of another programme, and imports the
workbook again. Without the option everything stays stored and the preview says
so; with ``--remove-missing`` the preview names what goes (the programme with its
phases, awards and deadlines), the import deletes exactly that, and undoing the
import brings it all back. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portfolio.domain.models import Award, Obligation, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

GONE_PROGRAMME = "lernen-vor-ort"  # its overview row and all its deadlines go


def _edit(workbook: Path) -> str:
    """Delete one programme's rows and one deadline of another; that title."""
    book = load_workbook(workbook)
    for name in ("Übersicht", "Fristen"):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        key = header.index("_key") + 1
        for row in range(sheet.max_row, 1, -1):
            if sheet.cell(row=row, column=key).value == GONE_PROGRAMME:
                sheet.delete_rows(row)
    sheet = book["Fristen"]
    header = [c.value for c in sheet[1]]
    title = str(sheet.cell(row=2, column=header.index("Was?") + 1).value)
    assert sheet.cell(row=2, column=header.index("_key") + 1).value != GONE_PROGRAMME
    sheet.delete_rows(2)
    book.save(workbook)
    return title


def _state(db: str) -> tuple[int, int, int, bool]:
    engine = open_database(db)
    with session_scope(engine, read_only=True) as session:
        counts = (
            int(session.scalar(sa.select(sa.func.count(Programme.id))) or 0),
            int(session.scalar(sa.select(sa.func.count(Award.id))) or 0),
            int(session.scalar(sa.select(sa.func.count(Obligation.id))) or 0),
            session.scalar(sa.select(Programme).where(Programme.key == GONE_PROGRAMME))
            is not None,
        )
    engine.dispose()
    return counts


def test_missing_rows_are_deleted_only_when_asked_and_come_back_on_undo(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    workbook = tmp_path / "portfolio.xlsx"
    assert cli("export", "xlsx", "-o", str(workbook), db=db_url).exit_code == 0
    title = _edit(workbook)
    before = _state(db_url)

    kept = cli("import", str(workbook), "--yes", db=db_url)
    assert kept.exit_code == 0, kept.output
    assert "bleibt gespeichert" in kept.output and "wird gelöscht" not in kept.output
    assert _state(db_url) == before

    shown = cli("import", str(workbook), "--remove-missing", "--dry-run", db=db_url)
    assert shown.exit_code == 0, shown.output
    lines = [x for x in shown.output.splitlines() if "wird gelöscht" in x]
    assert len(lines) == 2, shown.output  # one line per sheet
    assert any("LvO (mit " in x for x in lines)
    assert any(title in x for x in lines)
    assert _state(db_url) == before  # a preview deletes nothing
    document = cli(
        "import",
        str(workbook),
        "--remove-missing",
        "--dry-run",
        "--format",
        "json",
        db=db_url,
    )
    sheets = json.loads(document.output)["files"][0]["sheets"]
    assert any(any(title in r for r in s["removed"]) for s in sheets)

    applied = cli("import", str(workbook), "--remove-missing", "--yes", db=db_url)
    assert applied.exit_code == 0, applied.output
    assert "Nicht mehr in der Datei – gelöscht (" in applied.output
    programmes, awards, deadlines, there = _state(db_url)
    assert not there and programmes == before[0] - 1
    assert awards < before[1] and deadlines < before[2] - 1
    batch = applied.output.split("portfolio imports undo ")[1].split(")")[0]

    undone = cli("imports", "undo", batch, db=db_url)
    assert undone.exit_code == 0, undone.output
    assert _state(db_url) == before


# --- in the browser -----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A running web server on the demo database with the demo users."""
    import socket
    import threading
    import time

    import uvicorn
    from web_support import make_settings, prepare_db

    from portfolio.web import create_app

    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(url, **{"web.base_url": base}))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield base, url
    server.should_exit = True
    thread.join(10)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt")
def test_the_browser_deletes_missing_rows_only_when_chosen(
    web: tuple[str, str], cli: Callable[..., Any], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright
    from web_support import signed_in_page

    base, url = web
    workbook = tmp_path / "portfolio.xlsx"
    assert cli("export", "xlsx", "-o", str(workbook), db=url).exit_code == 0
    _edit(workbook)
    before = _state(url)
    with sync_playwright() as playwright:
        page = signed_in_page(playwright, base)
        browser = page.context.browser
        page.goto("/import")
        page.get_by_label("Datei").set_input_files(str(workbook))
        page.get_by_role("button", name="Vorschau anzeigen").click()
        assert "bleibt gespeichert" in page.locator(".missing").first.inner_text()
        assert page.locator(".removed").count() == 0
        page.get_by_role("button", name="Fehlende Zeilen löschen").click()
        going = page.locator(".removed").first.inner_text()
        assert "wird gelöscht" in going and "LvO (mit " in going
        page.get_by_role("button", name="Änderungen übernehmen").click()
        page.wait_for_selector(".flash.ok")
        browser.close()
    programmes, _, _, there = _state(url)
    assert not there and programmes == before[0] - 1
