"""A mapping the user can correct and keep.

The sheet has two amount columns, "Summe beantragt" (D) and "Summe bewilligt" (E);
portfolio reads D, the user wants E. On the command line ``--map Fördersumme=E`` (or
the header text) corrects it and the preview shows the mapping; in the browser a
select per field changes it, the preview recomputes, "Als Profil speichern" keeps it
as a TOML profile, and the next sheet with the same headers uses it unasked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from imports.reading import ReadOptions, read_file
from portfolio.domain.models import Award
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

HEADER = ["Programm", "Fördergeber", "Laufzeit", "Summe beantragt", "Summe bewilligt"]
FIRST = [
    ["Lesestart", "Land NRW", "2021", 1500, 1000],
    ["Bandklassen", "Land NRW", "2022", 2500, 2000],
]
SECOND = [
    ["Lotsen", "ESF", "2023", 3500, 3000],
    ["Lesepaten", "Land NRW", "2024", 4500, 4000],
]
CHROMIUM = Path("/usr/bin/chromium")


def _book(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _amounts(url: str) -> dict[str, Decimal]:
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        found = {a.programme.name: a.amount for a in session.scalars(sa.select(Award))}
    engine.dispose()
    return {k: v for k, v in found.items() if v is not None}


def test_the_command_line_shows_and_takes_the_mapping(
    cli: Callable[..., Any], db_url: str, tmp_path: Path
) -> None:
    path = _book(tmp_path / "liste.xlsx", FIRST)
    plain = cli("import", str(path), "--dry-run", db=db_url)
    assert "Zuordnung: Programm = A (Programm);" in plain.output
    assert "Fördersumme = D (Summe beantragt)" in plain.output
    by_letter = cli(
        "import", str(path), "--dry-run", "--map", "Fördersumme=E", db=db_url
    )
    assert "Fördersumme = E (Summe bewilligt)" in by_letter.output
    applied = cli(
        "import", str(path), "--yes", "--map", "amount=Summe bewilligt", db=db_url
    )
    assert applied.exit_code == 0, applied.output
    assert _amounts(db_url) == {"Lesestart": 1000, "Bandklassen": 2000}
    unknown = cli("import", str(path), "--dry-run", "--map", "Zuschuss=E", db=db_url)
    assert unknown.exit_code == 2
    assert "das Feld 'Zuschuss' gibt es nicht" in unknown.output


def test_a_saved_profile_is_used_for_the_same_headers(tmp_path: Path) -> None:
    from imports.mapping import save_profile

    folder = tmp_path / "profile"
    save_profile(
        folder,
        "Förderliste",
        read_file(_book(tmp_path / "a.xlsx", FIRST)).sheets[0].kind,
        1,
        dict(zip(HEADER, ["name", "funders", "period", "-", "amount"], strict=True)),
        HEADER,
    )
    sheet = read_file(
        _book(tmp_path / "b.xlsx", SECOND), ReadOptions(profiles=folder)
    ).sheets[0]
    assert "Importprofil „foerderliste“ verwendet" in " ".join(sheet.notes)
    assert [r.values["amount"] for r in sheet.records] == [3000, 4000]


# --- in the browser -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A web server with a profiles folder, on a fresh database."""
    import uvicorn
    from web_support import make_settings, prepare_db

    from portfolio.web import create_app

    url = f"sqlite:///{tmp_path / 'web.db'}"
    folder = tmp_path / "profile"
    prepare_db(url, demo=False)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        url, **{"web.base_url": base, "paths.profiles": str(folder)}
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                       log_level="warning")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield base, url, folder
    server.should_exit = True
    thread.join(10)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt")
def test_a_corrected_mapping_is_saved_and_reused(
    web: tuple[str, str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright
    from web_support import signed_in_page

    base, url, folder = web
    first = _book(tmp_path / "foerderliste.xlsx", FIRST)
    second = _book(tmp_path / "foerderliste-2024.xlsx", SECOND)
    with sync_playwright() as playwright:
        page = signed_in_page(playwright, base)
        browser = page.context.browser
        page.goto("/import")
        page.get_by_label("Datei").set_input_files(str(first))
        page.get_by_role("button", name="Vorschau anzeigen").click()
        amount = page.locator('select[name="map:amount"]')
        assert amount.input_value() == "D"
        assert "1.500,00 €" in page.locator("table.list").first.inner_text()
        # The user corrects the mapping: the preview recomputes with column E.
        amount.select_option("E")
        page.get_by_role("button", name="Vorschau neu berechnen").click()
        assert page.locator('select[name="map:amount"]').input_value() == "E"
        table = page.locator("table.list").first.inner_text()
        assert "1.000,00 €" in table and "1.500,00 €" not in table
        page.get_by_label("Profilname").fill("Förderliste")
        page.get_by_role("button", name="Als Profil speichern").click()
        assert "gespeichert" in page.locator(".flash.ok").first.inner_text()
        page.get_by_role("button", name="Verwerfen").click()
        # The next list with the same headers uses the profile unasked.
        page.get_by_label("Datei").set_input_files(str(second))
        page.get_by_role("button", name="Vorschau anzeigen").click()
        assert "Importprofil" in page.locator("main").inner_text()
        assert page.locator('select[name="map:amount"]').input_value() == "E"
        page.get_by_role("button", name="Änderungen übernehmen").click()
        page.wait_for_selector(".flash.ok")
        browser.close()
    assert [p.suffix for p in folder.iterdir()] == [".toml"]
    assert _amounts(url) == {"Lotsen": 3000, "Lesepaten": 4000}


def test_the_browser_recognises_a_repeated_file(tmp_path: Path) -> None:
    """The same workflow as the command line: an unchanged file is not read again."""
    from web_support import logged_in, prepare_db

    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=False)
    http, token = logged_in(url, "editor")
    path = _book(tmp_path / "liste.xlsx", FIRST)

    def upload() -> Any:
        with path.open("rb") as handle:
            return http.post(
                "/import",
                data={"csrf_token": token},
                files={"datei": ("liste.xlsx", handle)},
                follow_redirects=True,
            )

    first = upload()
    assert "Vorschau" in first.text
    confirmed = http.post("/import/uebernehmen", data={"csrf_token": token})
    assert confirmed.status_code == 200, confirmed.text
    again = upload()
    assert "ist unverändert seit Import 1" in again.text
    assert _amounts(url) == {"Lesestart": 1500, "Bandklassen": 2500}
