"""Done stays done: an older deadline list does not silently reopen what was done since.

The user's story: the office keeps a deadline list; a colleague marks a deadline done
in portfolio after the list was saved; the list is imported again with its "erledigt"
cell still empty. The deadline stays done, the preview names the conflict, and only
an explicit choice (``--reopen`` on the command line, "Trotzdem wieder öffnen" in the
browser) reopens it. New rows show what will be written. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from imports.reading import read_file
from portfolio.domain.enums import ObligationStatus
from portfolio.domain.models import Obligation, Programme
from portfolio.services.import_apply import import_files
from portfolio.services.import_preview import preview_text
from portfolio.services.import_result import ImportPreview
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

HEADER = ["Programm", "Was?", "fällig am", "erledigt"]


def _list(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _run(engine: Engine, path: Path, *, reopen: bool = False) -> ImportPreview:
    with session_scope(engine, "test") as session:
        return import_files(session, [read_file(path)], apply=True, reopen=reopen)


def _mark_done(engine: Engine, title: str) -> None:
    with session_scope(engine, "kollegin") as session:
        obligation = session.scalars(
            sa.select(Obligation).where(Obligation.title == title)
        ).one()
        obligation.status = ObligationStatus.DONE
        obligation.done_on = date(2027, 4, 20)


def _status(engine: Engine, title: str) -> ObligationStatus:
    with session_scope(engine, read_only=True) as session:
        return session.scalars(
            sa.select(Obligation.status).where(Obligation.title == title)
        ).one()


def _seed(engine: Engine) -> None:
    with session_scope(engine, "test") as session:
        session.add(Programme(key="talente", name="Talentschulen", tags=[]))


ROWS = [
    ["Talentschulen", "Sachbericht", "30.04.2027", None],
    ["Talentschulen", "Zwischennachweis", "31.05.2027", None],
]


def test_an_older_list_keeps_the_done_mark(engine: Engine, tmp_path: Path) -> None:
    _seed(engine)
    path = _list(tmp_path / "fristen.xlsx", ROWS)
    first = _run(engine, path)
    assert "(fällig am 30.04.2027, Sachbericht" in preview_text(first)
    _mark_done(engine, "Sachbericht")
    again = _run(engine, path)
    text = preview_text(again)
    assert again.conflicts, text
    assert "Konflikt: Zeile 2: „Talentschulen: Sachbericht“ wurde am" in text
    assert "als erledigt markiert, nachdem " in text
    assert "bleibt erledigt" in text
    assert _status(engine, "Sachbericht") is ObligationStatus.DONE
    # Only the explicit choice reopens it.
    chosen = _run(engine, path, reopen=True)
    assert "wird auf Wunsch wieder geöffnet" in preview_text(chosen)
    assert _status(engine, "Sachbericht") is ObligationStatus.OPEN


def test_a_list_saved_after_the_mark_may_reopen(engine: Engine, tmp_path: Path) -> None:
    """The mark is older than the list (and than its last import): no conflict."""
    _seed(engine)
    _run(engine, _list(tmp_path / "alt.xlsx", ROWS))
    _mark_done(engine, "Sachbericht")
    # Saved after the mark, with one more row (another file, not a copy).
    more = [*ROWS, ["Talentschulen", "Verwendungsnachweis", "30.06.2028", None]]
    newer = _list(tmp_path / "neu.xlsx", more)
    preview = _run(engine, newer)
    assert not preview.conflicts
    assert _status(engine, "Sachbericht") is ObligationStatus.OPEN


def test_the_command_line_keeps_done_unless_asked(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    engine = open_database(db_url)
    _seed(engine)
    path = _list(tmp_path / "fristen.xlsx", ROWS)
    assert cli("import", str(path), "--yes", db=db_url).exit_code == 0
    _mark_done(engine, "Sachbericht")
    kept = cli("import", str(path), "--yes", db=db_url)
    assert kept.exit_code == 0, kept.output
    assert "Konflikt:" in kept.output and "--reopen" in kept.output
    assert _status(engine, "Sachbericht") is ObligationStatus.DONE
    forced = cli("import", str(path), "--yes", "--reopen", db=db_url)
    assert forced.exit_code == 0, forced.output
    assert "wird auf Wunsch wieder geöffnet" in forced.output
    assert _status(engine, "Sachbericht") is ObligationStatus.OPEN
    engine.dispose()


# --- in the browser -----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A running web server on a fresh database with the demo users."""
    import threading
    import time

    import uvicorn
    from web_support import make_settings, prepare_db

    from portfolio.web import create_app

    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=False)
    port = _free_port()
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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt")
def test_the_browser_asks_before_reopening(
    web: tuple[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright
    from web_support import signed_in_page

    base, url = web
    engine = open_database(url)
    _seed(engine)
    path = _list(tmp_path / "fristen.xlsx", ROWS)
    _run(engine, path)
    _mark_done(engine, "Sachbericht")
    with sync_playwright() as playwright:
        page = signed_in_page(playwright, base)
        browser = page.context.browser
        page.goto("/import")
        page.get_by_label("Datei").set_input_files(str(path))
        page.get_by_role("button", name="Vorschau anzeigen").click()
        conflict = page.locator(".conflict").first.inner_text()
        assert (
            "Talentschulen: Sachbericht" in conflict and "bleibt erledigt" in conflict
        )
        page.get_by_role("button", name="Trotzdem wieder öffnen").click()
        assert (
            "wird auf Wunsch wieder geöffnet" in page.locator(".conflict").inner_text()
        )
        page.get_by_role("button", name="Änderungen übernehmen").click()
        page.wait_for_selector(".flash.ok")
        browser.close()
    assert _status(engine, "Sachbericht") is ObligationStatus.OPEN
    engine.dispose()


def test_rows_missing_from_an_exported_workbook_stay(
    cli: Callable[..., Any], demo_workbook: tuple[str, Path]
) -> None:
    from openpyxl import load_workbook

    db, workbook = demo_workbook
    book = load_workbook(workbook)
    sheet = book["Fristen"]
    header = [c.value for c in sheet[1]]
    # The first deadline to meet (row 2 is Zukunftsstadt's overdue spending
    # deadline, which the payment keeps in any case).
    assert sheet.cell(row=2, column=header.index("Art") + 1).value == "Mittelverwendung"
    gone = f"{sheet.cell(row=3, column=header.index('Was?') + 1).value}"
    sheet.delete_rows(3)
    book.save(workbook)
    result = cli("import", str(workbook), "--dry-run", db=db)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "Nicht mehr in der Datei" in x)
    assert "bleibt gespeichert" in line and gone in line
