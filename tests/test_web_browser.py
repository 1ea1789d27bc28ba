"""The web UI in a real browser: Playwright drives Debian's chromium.

Flows of the issue: log in and read the demo's dashboard numbers, find Zukunftsstadt
on the timeline, mark a deadline done and see its reminders cancelled, download the
workbook, import a workbook through the upload. Screenshots of the dashboard and the
timeline go to docs/ for the README when run with ``--update-golden``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from web_support import PASSWORD, make_settings, prepare_db

from portfolio.domain.reminders import Stages
from portfolio.services import reminders
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
DOCS = Path(__file__).resolve().parents[1] / "docs"
DATA = Path(__file__).resolve().parent / "data" / "web"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt (apt install chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "template.db"
    url = f"sqlite:///{path}"
    prepare_db(url)
    engine = open_database(url)
    with session_scope(engine, "test") as session:
        # Plan reminders as of 01.04.2017, so the deadlines of spring have some.
        reminders.plan(session, date(2017, 4, 1), Stages(), None)
    engine.dispose()
    return path


@pytest.fixture
def server(template_db: Path, tmp_path: Path) -> Iterator[str]:
    target = tmp_path / "web.db"
    shutil.copy(template_db, target)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(f"sqlite:///{target}", **{"web.base_url": base}))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield base
    uv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="de-DE",
        accept_downloads=True,
        base_url=server,
    )
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def _login(page: Any, username: str = "editor") -> None:
    page.goto("/")
    assert "/login" in page.url
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/")


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where screenshots go: docs/ with --update-golden (for the README), else tmp."""
    if request.config.getoption("--update-golden"):
        DOCS.mkdir(exist_ok=True)
        return DOCS
    return tmp_path


def test_dashboard_shows_the_demo_numbers(page: Any, shots: Path) -> None:
    _login(page)
    assert page.locator(".stichtag").inner_text().startswith("Stichtag: 15.03.2017")
    assert page.locator("[data-kpi=running]").inner_text() == "9"
    assert "von 10 insgesamt" in page.locator(".kpi").first.inner_text()
    assert "Bund" in page.locator("table.chart").inner_text()
    page.screenshot(path=str(shots / "screenshot-dashboard.png"), full_page=True)


def test_timeline_shows_zukunftsstadt_phase_ii(page: Any, shots: Path) -> None:
    _login(page, "viewer")
    page.get_by_role("link", name="Zeitstrahl").click()
    row = page.locator("g.row[data-key=zukunftsstadt]")
    bar = row.locator('g.bar[data-start="2016-11-01"][data-end="2018-04-30"]')
    assert bar.count() == 1
    # Phase I and Phase II are separate segments, each named by its label.
    assert row.locator("g.bar").count() == 2
    segment = page.get_by_role(
        "button", name="Zukunftsstadt, Phase II · 01.11.2016 – 30.04.2018"
    )
    assert segment.get_attribute("data-start") == "2016-11-01"
    assert bar.locator("text").text_content() == "Phase II"  # what fits the segment
    today = page.locator("#zeitstrahl line.today")
    x_today = float(today.get_attribute("x1"))
    x_bar = float(bar.locator("rect").first.get_attribute("x"))
    assert x_bar < x_today  # phase II started before the Stichtag
    assert (
        page.locator("#zeitstrahl .todaytext").text_content() == "Stichtag 15.03.2017"
    )
    page.screenshot(path=str(shots / "screenshot-timeline.png"), full_page=True)


def test_timeline_segment_details_by_keyboard_click_and_escape(page: Any) -> None:
    _login(page, "viewer")
    page.goto("/zeitstrahl")
    details = page.get_by_role("region", name="Details zum Abschnitt")
    assert not details.is_visible()
    # Keyboard only: Tab through the segments until Zukunftsstadt's Phase II.
    name = "Zukunftsstadt, Phase II · 01.11.2016 – 30.04.2018"
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == name:
            break
    else:
        pytest.fail("Phase II der Zukunftsstadt ist mit der Tab-Taste nicht erreichbar")
    assert details.is_visible()
    text = details.inner_text()
    assert "Phase II · 01.11.2016 – 30.04.2018" in text
    assert "Zwischennachweis 2016" in text  # a deadline within the phase
    segment = page.get_by_role("button", name=name)
    assert segment.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert not details.is_visible()
    assert segment.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == name
    # A click (or a tap) on another segment shows that one's details.
    page.locator("g.row[data-key=zukunftsstadt] g.bar").first.click()
    assert details.is_visible()
    assert "Phase I · " in details.inner_text()
    assert "Phase II" not in details.inner_text()
    details.get_by_role("link", name="Programm Zukunftsstadt öffnen").click()
    page.wait_for_url("**/programme/zukunftsstadt")


def test_mark_done_cancels_reminders(page: Any) -> None:
    _login(page)
    page.goto("/programme/zukunftsstadt")
    row = page.locator("tr[id^=frist-]", has_text="Zwischennachweis 2016")
    assert "geplant" in row.locator("td.reminders").inner_text()
    row.get_by_label("Datum für Zwischennachweis 2016", exact=True).fill("14.03.2017")
    row.get_by_role("button", name="erledigt").click()
    page.wait_for_load_state()
    assert "erledigt" in page.locator(".flash.ok").inner_text()
    row = page.locator("tr[id^=frist-]", has_text="Zwischennachweis 2016")
    assert "erledigt am 14.03.2017" in row.locator("td.status").inner_text()
    cells = row.locator("td.reminders").inner_text()
    assert "storniert" in cells and "geplant" not in cells


def test_download_the_workbook(page: Any, tmp_path: Path) -> None:
    _login(page, "viewer")
    page.get_by_role("link", name="Berichte").click()
    with page.expect_download() as info:
        page.locator("#arbeitsmappe").click()
    download = info.value
    assert download.suggested_filename == "portfolio-2017-03-15.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    from openpyxl import load_workbook

    assert "Übersicht" in load_workbook(saved).sheetnames


def test_edit_form_shows_german_errors(page: Any) -> None:
    _login(page)
    page.goto("/programme/zukunftsstadt/bearbeiten")
    page.get_by_label("Name *").fill("")
    page.get_by_role("button", name="Speichern").click()
    assert "Bitte ausfüllen." in page.locator("#err-name").inner_text()
    assert "es wurde nichts gespeichert" in page.locator(".flash.error").inner_text()


def test_import_upload_preview_confirm_undo(page: Any) -> None:
    _login(page)
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Datei").set_input_files(str(DATA / "uebersicht.xlsx"))
    page.get_by_role("button", name="Vorschau anzeigen").click()
    summary = page.locator("#import-summe").inner_text()
    # One programme is new; six rows add to stored programmes (awards, people).
    assert "1 neu" in summary and "6 geändert" in summary and "2 abgelehnt" in summary
    assert page.locator("table.rejected").count() >= 1
    page.get_by_role("button", name="Änderungen übernehmen").click()
    assert "gespeichert als Import 1" in page.locator(".flash.ok").first.inner_text()
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)  # "rückgängig machen" asks once before it acts
    page.get_by_role("button", name="Diesen Import rückgängig machen").click()
    assert "rückgängig gemacht" in page.locator(".flash.ok").inner_text()
    assert len(asked) == 1 and "Import 1 rückgängig machen?" in asked[0]
    assert "rückgängig gemacht" in page.locator("#importe").inner_text()


def test_programme_search_filters_while_typing(page: Any) -> None:
    _login(page, "viewer")
    page.get_by_role("link", name="Programme", exact=True).click()
    assert page.locator("#programmliste tbody tr").count() == 10
    page.get_by_label("Suche").fill("zukunft")
    page.wait_for_url("**/programme?q=zukunft*")
    rows = page.locator("#programmliste tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "Zukunftsstadt" in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Zukunftsstadt")
