"""Documents in a real browser: drop several files on a programme page, see them.

Playwright drives Debian's chromium against a real server; the files are real
(WeasyPrint PDF, python-docx, an HTML page named .pdf) and dropped on the upload area
the way a file manager drops them (a DataTransfer with File objects).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from documents_support import make_docx, make_html_as_pdf, make_pdf
from test_web_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    _login,
    browser,
    page,
    server,
    template_db,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt (apt install chromium)"
    ),
]

DROP = """(files) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, {type: f.type}));
  }
  return transfer;
}"""


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def _drop(tab: Any, paths: list[Path], kind: str = "application/pdf") -> None:
    files = [
        {
            "name": f.name,
            "type": kind,
            "data": base64.b64encode(f.read_bytes()).decode(),
        }
        for f in paths
    ]
    transfer = tab.evaluate_handle(DROP, files)
    tab.dispatch_event("[data-dropzone]", "dragenter", {"dataTransfer": transfer})
    tab.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": transfer})


def test_drop_files(page: Any, tmp_path: Path) -> None:  # noqa: F811 - fixture
    pdf = make_pdf(tmp_path / "Zuwendungsbescheid.pdf")
    docx = make_docx(tmp_path / "Kooperationsvertrag.docx")
    evil = make_html_as_pdf(tmp_path / "rechnung.pdf")
    _login(page, "editor")
    page.goto("/programme/zukunftsstadt#dokumente")
    page.get_by_label("Art des Dokuments").select_option("bescheid")

    with page.expect_navigation():  # all attached: the page reloads with them
        _drop(page, [pdf, docx])
    rows = page.locator("table.documents tbody tr")
    assert rows.count() == 2
    assert page.locator("#dokumente").get_by_text("Zuwendungsbescheid").count() >= 1
    assert page.locator("#dokumente").get_by_text("Kooperationsvertrag").count() >= 1

    _drop(page, [evil])
    failed = page.locator(".progress-list li.failed")
    failed.wait_for()
    assert "HTML" in failed.inner_text()
    assert page.locator("table.documents tbody tr").count() == 2

    page.goto("/dokumente?q=Zwischennachweis+31.03.")
    hit = page.locator("ol.hits li").first
    assert "Zuwendungsbescheid" in hit.inner_text()
    assert hit.locator("mark").first.inner_text() == "Zwischennachweis"


def test_viewer_sees_documents_but_no_upload(page: Any) -> None:  # noqa: F811
    _login(page, "viewer")
    page.goto("/programme/zukunftsstadt")
    assert page.locator("#dokumente").is_visible()
    assert page.locator("[data-dropzone]").count() == 0
