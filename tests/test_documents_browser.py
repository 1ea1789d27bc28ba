"""Documents in a real browser: drop several files on a programme page, see them.

Playwright drives Debian's chromium against a real server; the files are real
(WeasyPrint PDF, python-docx, an HTML page named .pdf) and dropped on the upload area
the way a file manager drops them (a DataTransfer with File objects).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from documents_support import make_docx, make_html_as_pdf, make_pdf
from test_web_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    _free_port,
    _login,
    browser,
    page,
    server,
    template_db,
)
from web_support import make_settings, prepare_db

from portfolio.web import create_app

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
    _drop_attach_and_search(page, tmp_path)


@pytest.fixture
def pg_page(browser: Any, postgres_url: str, tmp_path: Path) -> Iterator[Any]:  # noqa: F811
    """A tab on a real server over a PostgreSQL database of its own."""
    prepare_db(postgres_url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        postgres_url,
        **{"web.base_url": base, "documents.dir": str(tmp_path / "dokumente")},
    )
    uv = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                       log_level="warning")
    )  # fmt: skip
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    context = browser.new_context(locale="de-DE", base_url=base)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()
    uv.should_exit = True
    thread.join(10)


@pytest.mark.postgres
def test_drop_files_on_postgres(pg_page: Any, tmp_path: Path) -> None:
    _drop_attach_and_search(pg_page, tmp_path)
    stored = [f for f in (tmp_path / "dokumente").iterdir() if len(f.name) == 64]
    assert len(stored) == 2  # in the folder of documents.dir


def _drop_attach_and_search(tab: Any, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "Zuwendungsbescheid.pdf")
    docx = make_docx(tmp_path / "Kooperationsvertrag.docx")
    evil = make_html_as_pdf(tmp_path / "rechnung.pdf")
    _login(tab, "editor")
    tab.goto("/programme/zukunftsstadt#dokumente")
    tab.get_by_label("Art des Dokuments").select_option("bescheid")

    with tab.expect_navigation():  # all attached: the tab reloads with them
        _drop(tab, [pdf, docx])
    rows = tab.locator("table.documents tbody tr")
    assert rows.count() == 2
    assert tab.locator("#dokumente").get_by_text("Zuwendungsbescheid").count() >= 1
    assert tab.locator("#dokumente").get_by_text("Kooperationsvertrag").count() >= 1

    _drop(tab, [evil])
    failed = tab.locator(".progress-list li.failed")
    failed.wait_for()
    assert "HTML" in failed.inner_text()
    assert tab.locator("table.documents tbody tr").count() == 2

    tab.goto("/dokumente?q=Zwischennachweis+31.03.")
    hit = tab.locator("ol.hits li").first
    assert "Zuwendungsbescheid" in hit.inner_text()
    assert hit.locator("mark").first.inner_text() == "Zwischennachweis"


def test_viewer_sees_documents_but_no_upload(page: Any) -> None:  # noqa: F811
    _login(page, "viewer")
    page.goto("/programme/zukunftsstadt")
    assert page.locator("#dokumente").is_visible()
    assert page.locator("[data-dropzone]").count() == 0
