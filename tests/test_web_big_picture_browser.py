"""The Übersicht with every panel filled, in Debian's chromium at 390 and 1280 px.

Pipeline, endings with their follow-up and the next 90 days (the data of
``test_web_big_picture``) fit a phone without sideways scrolling and pass axe-core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_web_big_picture import _add_portfolio_news
from test_web_browser import (  # noqa: F401 - fixtures used by name
    CHROMIUM,
    browser,
    server,
    template_db,
)
from test_web_screens import _axe, _login, _open, _overflow

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt (apt install chromium)"
    ),
]


@pytest.mark.parametrize("width", [390, 1280])
def test_full_dashboard_fits_and_passes_axe(
    request: pytest.FixtureRequest, tmp_path: Path, width: int
) -> None:
    chromium: Any = request.getfixturevalue("browser")
    base: str = request.getfixturevalue("server")
    _add_portfolio_news(f"sqlite:///{tmp_path / 'web.db'}")  # the server's copy
    tab = _open(chromium, base, width, axe=True)
    _login(tab, "viewer")
    tab.get_by_role("link", name="Anträge in Arbeit").click()
    assert tab.url.endswith("/#antraege")
    pipeline = tab.locator("#antraege")
    assert "2 · 175.000,00 €" in pipeline.inner_text()
    ending = tab.locator("#auslaufend")
    assert ending.get_by_text("keine Anschlussförderung beantragt").is_visible()
    assert ending.get_by_text(
        "Folgeantrag eingereicht am 01.02.2017 (BMBF, 150.000,00 €)"
    ).is_visible()
    ahead = tab.locator("#vorschau")
    assert ahead.get_by_text("Abschlussveranstaltung Werkstatt").is_visible()
    assert _overflow(tab) <= 0
    assert _axe(tab) == []
    tab.context.close()
