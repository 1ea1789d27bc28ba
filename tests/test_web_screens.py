"""Every page on a phone and on a big screen, and checked by a real accessibility tool.

Playwright drives Debian's chromium (the fixtures of ``test_web_browser``). The pages
are found the way a person finds them: the main menu and the tabs and links it leads
to, and every entity form (new, edit, a delete question). At 390 px no page may
scroll sideways (tables scroll inside their own box, the menu collapses behind a
button); at 1920 px neither. axe-core (vendored under
``tests/vendor/axe-core``, MPL 2.0) is injected into each page and must report no
serious or critical violation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_web_browser import (  # noqa: F401 - fixtures used by name
    CHROMIUM,
    browser,
    server,
    template_db,
)
from web_support import PASSWORD

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt (apt install chromium)"
    ),
]

# Pages one click or two below the menu (tabs, a programme, the calendar, the
# change log), beside the menu entries found on the page itself.
BELOW_MENU = [
    "/programme/zukunftsstadt",
    "/programme/zukunftsstadt/bearbeiten",
    "/fristen/kalender",
    "/verwaltung/erinnerungen",
    "/verwaltung/einstellungen",
    "/konto",
    # Every entity form (new and edit) and a delete question.
    "/programme/neu",
    "/programme/zukunftsstadt/phasen/neu",
    "/programme/zukunftsstadt/finanzierungen/neu",
    "/programme/zukunftsstadt/antraege/neu",
    "/programme/zukunftsstadt/bewilligungen/neu",
    "/programme/kommunale-koordinierung/loeschen",
    "/foerdergeber/neu",
    "/kontakte/neu",
    "/partner/neu",
]


def _open(browser: Any, server: str, width: int, *, axe: bool = False) -> Any:
    # The CSP forbids inline scripts; axe is injected as one.
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="de-DE",
        base_url=server,
        bypass_csp=axe,
    )
    tab = context.new_page()
    tab.set_default_timeout(15000)
    return tab


def _login(tab: Any, username: str = "admin") -> None:
    tab.goto("/login")
    tab.get_by_label("Benutzername").fill(username)
    tab.get_by_label("Passwort").fill(PASSWORD)
    tab.get_by_role("button", name="Anmelden").click()
    tab.wait_for_url("**/")


def _pages(tab: Any) -> list[str]:
    """The menu's pages, then the pages below them (no duplicates, no logout)."""
    tab.goto("/")
    hrefs = tab.eval_on_selector_all(
        "nav[aria-label=Hauptmenü] a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(hrefs) >= 6, hrefs
    return list(dict.fromkeys([*hrefs, *BELOW_MENU, *_edit_forms(tab)]))


def _edit_forms(tab: Any) -> list[str]:
    """One edit form per kind of entity, as linked from the pages that list them."""
    first: dict[str, str] = {}
    for path in ("/programme/zukunftsstadt", "/programme/kommunale-koordinierung",
                 "/stammdaten"):  # fmt: skip
        tab.goto(path)
        for href in tab.eval_on_selector_all(
            "main a[href$='/bearbeiten']",
            "links => links.map(a => a.getAttribute('href'))",
        ):
            first.setdefault(href.split("/")[1], href)
    kinds = {"phasen", "finanzierungen", "antraege", "bewilligungen",
             "foerdergeber", "kontakte", "partner", "programme"}  # fmt: skip
    assert set(first) >= kinds, first
    # An award's money page (with its Bescheide) and the Änderungsbescheid form.
    tab.goto("/programme/zukunftsstadt")
    money = tab.eval_on_selector_all(
        "main a[href$='/geld'], main a[href$='/bescheide/neu']",
        "links => links.map(a => a.getAttribute('href'))",
    )
    assert any(h.endswith("/bescheide/neu") for h in money), money
    return list(dict.fromkeys([*first.values(), *money[:2]]))


def _overflow(tab: Any) -> int:
    return int(tab.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("width", [390, 1920])
def test_no_page_scrolls_sideways(browser: Any, server: str, width: int) -> None:
    tab = _open(browser, server, width)
    _login(tab)
    wide = []
    for path in _pages(tab):
        answer = tab.goto(path)
        assert answer.ok, path
        if _overflow(tab) > 0:
            wide.append((path, _overflow(tab)))
    tab.context.close()
    assert wide == [], f"Seiten breiter als {width} px: {wide}"


def test_login_page_fits_a_phone(browser: Any, server: str) -> None:
    tab = _open(browser, server, 390)
    tab.goto("/login")
    assert _overflow(tab) <= 0
    tab.context.close()


def test_menu_collapses_on_a_phone_and_opens_with_the_keyboard(
    browser: Any, server: str
) -> None:
    tab = _open(browser, server, 390)
    _login(tab, "viewer")
    menu = tab.get_by_role("navigation", name="Hauptmenü").get_by_role(
        "link", name="Fristen"
    )
    assert not menu.is_visible()
    toggle = tab.get_by_role("button", name="Menü")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    tab.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert menu.is_visible()
    menu.click()
    tab.wait_for_url("**/fristen")
    assert tab.get_by_role("heading", level=1).inner_text() == "Fristen"
    tab.context.close()
    wide = _open(browser, server, 1920)
    _login(wide, "viewer")
    nav = wide.get_by_role("navigation", name="Hauptmenü")
    assert nav.get_by_role("link", name="Fristen").is_visible()
    assert not wide.get_by_role("button", name="Menü").is_visible()
    wide.context.close()


def _axe(tab: Any) -> list[dict[str, Any]]:
    tab.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = tab.evaluate(
        "async () => JSON.stringify((await axe.run(document, "
        "{resultTypes: ['violations']})).violations)"
    )
    found: list[dict[str, Any]] = json.loads(result)
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [390, 1280])
def test_axe_finds_nothing_serious(browser: Any, server: str, width: int) -> None:
    tab = _open(browser, server, width, axe=True)
    tab.goto("/login")
    problems = {"/login": _axe(tab)}
    _login(tab)
    for path in _pages(tab):
        tab.goto(path)
        problems[path] = _axe(tab)
    tab.context.close()
    report = {
        path: [
            f"{v['id']} ({v['impact']}): "
            + "; ".join(node["target"][0] for node in v["nodes"][:5])
            for v in found
        ]
        for path, found in problems.items()
        if found
    }
    assert report == {}, json.dumps(report, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("width", [390, 1280])
def test_timeline_details_fit_and_pass_axe(
    browser: Any, server: str, width: int
) -> None:
    tab = _open(browser, server, width, axe=True)
    _login(tab, "viewer")
    tab.goto("/zeitstrahl")
    segment = tab.get_by_role(
        "button", name="Zukunftsstadt, Phase II · 01.11.2016 – 30.04.2018"
    )
    segment.click()  # a tap on a phone
    details = tab.get_by_role("region", name="Details zum Abschnitt")
    assert "Phase II · 01.11.2016 – 30.04.2018" in details.inner_text()
    assert _overflow(tab) <= 0
    problems = _axe(tab)
    tab.context.close()
    assert problems == [], json.dumps(problems, indent=1, ensure_ascii=False)[:3000]


def _fits(tab: Any) -> bool:
    """No sideways scrolling of the page itself."""
    return bool(
        tab.evaluate(
            "document.scrollingElement.scrollWidth "
            "<= document.scrollingElement.clientWidth"
        )
    )


def test_timeline_details_by_tap_on_a_touch_phone(browser: Any, server: str) -> None:
    """No hover on a phone: a tap on a phase or a deadline shows its details."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=3,
        locale="de-DE",
        base_url=server,
    )
    tab = context.new_page()
    tab.set_default_timeout(15000)
    _login(tab, "viewer")
    tab.goto("/zeitstrahl")
    assert tab.evaluate("matchMedia('(hover: none)').matches")  # really a touch screen
    details = tab.get_by_role("region", name="Details zum Abschnitt")
    assert not details.is_visible()
    segment = tab.get_by_role(
        "button", name="Zukunftsstadt, Phase II · 01.11.2016 – 30.04.2018"
    )
    segment.tap()
    assert details.is_visible()
    text = details.inner_text()
    assert "Phase II · 01.11.2016 – 30.04.2018" in text
    assert "Zwischennachweis 2016" in text
    box = details.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # readable in the screen
    assert _fits(tab)
    # The panel covers the row below the segment: a tap on „schließen“ clears it.
    details.get_by_role("button", name="Details schließen").tap()
    assert not details.is_visible()
    assert segment.get_attribute("aria-expanded") == "false"
    # A deadline's diamond: its title, date and state, also without a mouse.
    mark = tab.get_by_role(
        "button", name="Zukunftsstadt, Frist Zwischennachweis 2016: 02.05.2017 (offen)"
    )
    mark.tap()
    assert details.is_visible()
    text = details.inner_text()
    assert "Frist: Zwischennachweis 2016" in text
    assert "02.05.2017" in text and "offen" in text
    assert "Phase II" not in text
    assert mark.get_attribute("aria-expanded") == "true"
    assert _fits(tab)
    context.close()
