"""The money pages in a real browser: the plan form's live sums and a Mittelabruf.

Uses the browser fixtures of ``test_web_browser`` (Debian's chromium through
Playwright, a uvicorn server on the demo). With ``--update-golden`` the money page
is saved as docs/screenshot-money.png for the README.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_web_browser import (  # noqa: F401 - fixtures used by name
    _login,
    browser,
    page,
    pytestmark,
    server,
    shots,
    template_db,
)


def _text(locator: Any) -> str:
    return str(locator.inner_text()).replace("\xa0", " ")


def _award_money(tab: Any) -> None:
    tab.goto("/programme/zukunftsstadt")
    tab.get_by_role("link", name="Geld: Plan, Ist, Mittelabrufe").first.click()
    tab.wait_for_url("**/geld")


def test_plan_form_sums_live_and_saves(page: Any, shots: Path) -> None:  # noqa: F811
    _login(page)
    _award_money(page)
    page.get_by_role("link", name="Finanzierungsplan bearbeiten").click()
    total = page.locator("[data-total]")
    # The demo's example plan: five positions, 220.000 € over 2016–2018.
    assert _text(total) == "220.000,00 €"
    assert page.get_by_label("Position 5", exact=True).input_value() == (
        "Öffentlichkeitsarbeit"
    )
    page.locator("input[name=plan-4-2017]").fill("2.500")  # was 1.500
    page.get_by_label("Position 6", exact=True).fill("Dokumentation")
    page.locator("input[name=plan-5-2017]").fill("1.000,50")
    page.locator("input[name=plan-5-2018]").fill("2000")
    assert _text(total) == "224.000,50 €"
    assert _text(page.locator("[data-year-sum='2017']")) == "151.000,50 €"
    page.get_by_label("Finanzierungsart").select_option("anteil")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/geld")
    assert "Finanzierungsplan gespeichert." in page.locator(".flash").inner_text()
    assert _text(page.locator("[data-money=planned]")) == "224.000,50 €"
    assert "Anteilfinanzierung" in page.locator(".kpis").inner_text()
    page.screenshot(path=str(shots / "screenshot-money.png"), full_page=True)


def test_mittelabruf_form_records_a_payment(page: Any) -> None:  # noqa: F811
    _login(page)
    _award_money(page)
    page.get_by_role("link", name="Mittelabruf erfassen").first.click()
    page.get_by_label("Betrag").fill("zehn")
    page.get_by_role("button", name="Speichern").click()
    assert "kein Betrag" in page.locator("#err-amount").inner_text()
    page.get_by_label("Betrag").fill("5.000,00")
    page.get_by_label("angefordert am").fill("01.03.2017")
    page.get_by_label("eingegangen am").fill("10.03.2017")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/geld")
    table = page.locator("section", has_text="Mittelabrufe und Rückzahlungen")
    assert "10.03.2017" in table.inner_text()
    # the demo's payment of 25.11.2016 (40.000 €) and this one
    assert _text(page.locator("[data-money=received]")) == "45.000,00 €"
    # Its spending deadline (two months, ANBest-Gk) is a deadline like any other.
    page.goto("/fristen")
    assert "Mittel verwenden: Abruf vom 10.03.2017" in page.locator("body").inner_text()
