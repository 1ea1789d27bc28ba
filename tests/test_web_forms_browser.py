"""Every entity form in a real browser (Playwright, Debian's chromium).

For each form the happy path and one validation error (the German message next to
the field, the typed value kept); one form filled with the keyboard only; the award
form's preview of a period change (htmx, before saving); a delete asked once and
undone. One server, one browser and one logged-in tab for the whole module: the
tests work on different entities of the demo portfolio.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from web_support import PASSWORD, make_settings, prepare_db

from portfolio.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

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
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('forms') / 'web.db'}"
    prepare_db(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(url, **{"web.base_url": base}))
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
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="de-DE", base_url=server
        )
        tab = context.new_page()
        tab.set_default_timeout(15000)
        tab.goto("/login")
        tab.get_by_label("Benutzername").fill("editor")
        tab.get_by_label("Passwort").fill(PASSWORD)
        tab.get_by_role("button", name="Anmelden").click()
        tab.wait_for_url("**/")
        yield tab
        context.close()
        browser.close()


def _save(page: Any) -> None:
    page.get_by_role("button", name="Speichern", exact=True).click()


def _error(page: Any, field: str) -> str:
    return str(page.locator(f"#err-{field}").inner_text())


def _flash(page: Any) -> str:
    return str(page.locator(".flash.ok").first.inner_text())


def test_programme_form(page: Any) -> None:
    page.goto("/programme")
    page.get_by_role("link", name="Programm anlegen").click()
    page.get_by_label("Handlungsfeld").fill("Übergang Schule – Beruf")
    _save(page)
    assert _error(page, "name") == "Bitte ausfüllen."
    assert page.get_by_label("Handlungsfeld").input_value() == "Übergang Schule – Beruf"
    page.get_by_label("Name *", exact=True).fill("Übergänge gestalten")
    page.get_by_label("Schlagworte").fill("KAoA, Übergang")
    page.get_by_label("Status").select_option(label="in Antragstellung")
    _save(page)
    page.wait_for_url("**/programme/uebergaenge-gestalten")
    assert "Programm „Übergänge gestalten“ gespeichert." in _flash(page)
    assert "Übergang Schule – Beruf" in page.locator(".facts").inner_text()


def test_programme_form_with_parent_partners_tags_and_lead(page: Any) -> None:
    page.goto("/programme/neu")
    page.get_by_label("Name *", exact=True).fill("Bildungsregion Emscher-Lippe")
    page.get_by_label("Handlungsfeld").fill("Bildungsmonitoring")
    page.get_by_label("Verantwortlich").select_option(
        label="Leitung Regionales Bildungsbüro"
    )
    page.get_by_label("Teil von (Programm)").select_option(
        label="Regionales Bildungsnetzwerk Kreis Recklinghausen"
    )
    page.get_by_label("Partner", exact=True).select_option(label=["Herten", "Marl"])
    page.get_by_label("Schlagworte").fill("Monitoring, Übergang")
    _save(page)
    page.wait_for_url("**/programme/bildungsregion-emscher-lippe")
    facts = page.locator(".facts").first
    assert "Bildungsmonitoring" in facts.inner_text()
    assert "Leitung Regionales Bildungsbüro" in facts.inner_text()
    assert "Monitoring, Übergang" in facts.inner_text()
    facts.get_by_role(
        "link", name="Regionales Bildungsnetzwerk Kreis Recklinghausen"
    ).wait_for()
    partners = page.locator("#partner")
    assert "Herten" in partners.inner_text() and "Marl" in partners.inner_text()
    # Herten leaves the programme: the edit form shows both, one is deselected.
    page.get_by_role("link", name="Bearbeiten", exact=True).click()
    chosen = page.get_by_label("Partner", exact=True)
    picked = "o => o.filter(x => x.selected).map(x => x.textContent)"
    assert chosen.locator("option").evaluate_all(picked) == ["Herten", "Marl"]
    chosen.select_option(label=["Marl"])
    _save(page)
    page.wait_for_url("**/programme/bildungsregion-emscher-lippe")
    assert "Herten" not in partners.inner_text()
    assert "Marl" in partners.inner_text()
    assert "Regionales Bildungsnetzwerk" in page.locator(".facts").first.inner_text()
    log = page.locator("#aenderungen").inner_text()
    assert "Programmpartner Bildungsregion Emscher-Lippe · Herten gelöscht" in log


def test_phase_form(page: Any) -> None:
    page.goto("/programme/zukunftsstadt")
    page.get_by_role("link", name="Phase hinzufügen").click()
    page.get_by_label("Name (z. B. Phase II)").fill("Phase III")
    page.get_by_label("Beginn").fill("1.5.18")
    page.get_by_label("Ende (leer: offen)").fill("1.4.18")
    _save(page)
    assert "Das Ende liegt vor dem Beginn (01.05.2018)." in _error(page, "end")
    assert page.get_by_label("Beginn").input_value() == "1.5.18"
    page.get_by_label("Ende (leer: offen)").fill("30.4.2020")
    _save(page)
    page.wait_for_url("**/programme/zukunftsstadt")
    assert "01.05.2018 – 30.04.2020" in page.locator("main").inner_text()


def test_funding_form(page: Any) -> None:
    page.goto("/programme/angekommen/finanzierungen/neu")
    page.get_by_label("Fördergeber").select_option(label="Land NRW")
    page.get_by_label("Betrag").fill("zwölf")
    _save(page)
    assert "ist kein Betrag" in _error(page, "amount")
    assert page.get_by_label("Betrag").input_value() == "zwölf"
    page.get_by_label("Betrag").fill("1.234,56")
    page.get_by_label("Anteil (z. B. 80 %)").fill("20 %")
    _save(page)
    page.wait_for_url("**/programme/angekommen")
    assert "1.234,56 €" in page.locator("main").inner_text()


def test_application_form_and_award_in_one_step(page: Any) -> None:
    page.goto("/programme/zukunftsstadt")
    page.get_by_role("link", name="Antrag hinzufügen").click()
    page.get_by_label("Stand").select_option(label="bewilligt")
    page.get_by_label("Fördergeber").select_option(label="BMBF")
    page.get_by_label("Aufruf / Aktenzeichen").fill("Zukunftsstadt III")
    page.get_by_label("Einreichungsfrist").fill("30.6.17")
    page.get_by_label("Beantragter Betrag").fill("250 TEUR")
    _save(page)
    assert "braucht das Datum der Einreichung" in _error(page, "submitted_on")
    assert page.get_by_label("Beantragter Betrag").input_value() == "250 TEUR"
    page.get_by_label("Eingereicht am").fill("29.6.17")
    page.get_by_label("Entschieden am").fill("1.9.17")
    _save(page)
    page.wait_for_url("**/programme/zukunftsstadt")
    assert "Zukunftsstadt III" in page.locator("#antraege").inner_text()
    row = page.locator("#antraege tr", has_text="Zukunftsstadt III")
    row.get_by_role("button", name="Bewilligung daraus anlegen").click()
    page.wait_for_url("**/bewilligungen/*/bearbeiten")
    assert page.get_by_label("Bewilligter Betrag").input_value() == "250.000,00"


def test_award_form(page: Any) -> None:
    page.goto("/programme/lebenswelten/bewilligungen/neu")
    page.get_by_label("Fördergeber").select_option(label="ESF")
    page.get_by_label("Förderkennzeichen / Aktenzeichen").fill("ESF-2017-1")
    page.get_by_label("Bewilligungszeitraum von").fill("1.1.17")
    page.get_by_label("Bewilligungszeitraum bis").fill("31.12.18")
    page.get_by_label("Bewilligter Betrag").fill("80 TEUR")
    page.get_by_label("Regelwerk", exact=True).select_option(value="nrw-anbest-p")
    page.get_by_label("Abweichungen vom Regelwerk").fill("GIBT_ES_NICHT = aus")
    _save(page)
    assert "GIBT_ES_NICHT" in _error(page, "overrides")
    assert page.get_by_label("Bewilligter Betrag").input_value() == "80 TEUR"
    page.get_by_label("Abweichungen vom Regelwerk").fill("")
    _save(page)
    page.wait_for_url("**/programme/lebenswelten")
    assert "80.000,00 €" in page.locator("main").inner_text()


def test_award_period_change_previews_moving_deadlines(page: Any) -> None:
    page.goto("/programme/kommunale-koordinierung")
    page.get_by_role("link", name="Bewilligung bearbeiten (DEMO-KOKO-2016)").click()
    end = page.get_by_label("Bewilligungszeitraum bis")
    assert end.input_value() == "30.06.2018"
    end.fill("30.9.18")
    end.press("Tab")  # the change event: htmx asks the server for the consequences
    preview = page.locator("#folgen")
    preview.get_by_text("verschiebt sich vom").first.wait_for()
    text = preview.inner_text()
    assert "Verwendungsnachweis" in text and "auf den" in text
    _save(page)
    page.wait_for_url("**/programme/kommunale-koordinierung")
    assert "verschiebt sich vom" in page.locator(".flash.ok").all_inner_texts()[1]


def test_funder_form(page: Any) -> None:
    page.goto("/stammdaten")
    page.get_by_role("link", name="Fördergeber anlegen").click()
    page.get_by_label("Kurzname").fill("BMBF")
    page.get_by_label("Name *", exact=True).fill("Doppelt")
    page.get_by_label("Art").select_option(label="Bund")
    _save(page)
    assert "gibt es schon" in _error(page, "short_name")
    page.get_by_label("Kurzname").fill("MKFFI")
    page.get_by_label("Name *", exact=True).fill(
        "Ministerium für Kinder, Familie, Flüchtlinge"
    )
    page.get_by_label("Art").select_option(label="Land")
    page.get_by_label("Gehört zu").select_option(label="Land NRW")
    _save(page)
    page.wait_for_url("**/stammdaten")
    row = page.locator("#foerdergeber tr", has_text="MKFFI")
    assert "Land NRW" in row.inner_text()


def test_contact_form_by_keyboard_only(page: Any) -> None:
    page.goto("/stammdaten")
    page.get_by_role("link", name="Ansprechperson anlegen").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/kontakte/neu")
    page.get_by_label("Name *", exact=True).focus()
    page.keyboard.type("Frau Muster")
    page.keyboard.press("Tab")
    page.keyboard.type("kein-at")
    page.keyboard.press("Enter")  # submits the form
    page.locator("#err-email").wait_for()
    assert "keine gültige E-Mail" in _error(page, "email")
    assert page.get_by_label("Name *", exact=True).input_value() == "Frau Muster"
    page.get_by_label("E-Mail *").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("muster@kreis-re.de")
    page.keyboard.press("Enter")
    page.wait_for_url("**/stammdaten")
    assert "muster@kreis-re.de" in page.locator("#kontakte").inner_text()


def test_partner_form_delete_and_undo(page: Any) -> None:
    page.goto("/partner/neu")
    _save(page)
    assert _error(page, "name") == "Bitte ausfüllen."
    page.get_by_label("Name *", exact=True).fill("Stadt Marl")
    page.get_by_label("Art (z. B. Stadt, Schule)").fill("Stadt")
    _save(page)
    page.wait_for_url("**/stammdaten")
    page.get_by_role("link", name="Stadt Marl bearbeiten").click()
    page.get_by_role("link", name="Löschen …").click()
    assert "Stadt Marl" in page.locator("main").inner_text()
    page.get_by_role("button", name="Ja, löschen").click()
    assert "Partner „Stadt Marl“ gelöscht." in page.locator("main").inner_text()
    page.get_by_role("button", name="Rückgängig machen").click()
    assert "wiederhergestellt" in _flash(page)
    page.goto("/stammdaten")
    assert "Stadt Marl" in page.locator("#partner").inner_text()
