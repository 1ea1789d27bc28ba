"""Documents in the browser and the API: roles, uploads, what is served how, search.

A real app on SQLite and PostgreSQL, real files (WeasyPrint PDF, python-docx), the
users of every role; each test asserts what the person at the screen would see.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from documents_support import make_docx, make_html_as_pdf, make_pdf, make_png
from web_support import client, logged_in, prepare_db

from portfolio.domain.models import Change, Document, DocumentText, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> tuple[str, dict[str, str]]:
    prepare_db(db_url)
    return db_url, {"documents.dir": str(tmp_path / "dokumente")}


def _files(tmp_path: Path) -> dict[str, Path]:
    return {
        "pdf": make_pdf(tmp_path / "Zuwendungsbescheid.pdf"),
        "docx": make_docx(tmp_path / "Kooperationsvertrag.docx"),
        "png": make_png(tmp_path / "Foto.png"),
        "evil": make_html_as_pdf(tmp_path / "rechnung.pdf"),
    }


def _upload(http, csrf: str, paths: list[Path], **fields: str):
    files = [("dateien", (p.name, p.read_bytes())) for p in paths]
    return http.post(
        "/programme/zukunftsstadt/dokumente",
        data={"csrf_token": csrf, **fields},
        files=files,
        follow_redirects=False,
    )


def test_editor_attaches_several_files_viewer_reads_them(site, tmp_path: Path) -> None:
    db_url, settings = site
    files = _files(tmp_path)
    editor, csrf = logged_in(db_url, "editor", **settings)
    page = editor.get("/programme/zukunftsstadt")
    assert 'id="dokumente"' in page.text
    assert "Dateien hierher ziehen" in page.text
    answer = _upload(
        editor, csrf, [files["pdf"], files["docx"], files["png"], files["evil"]],
        art="bescheid", datum="01.11.2016",
    )  # fmt: skip
    assert answer.status_code == 303
    shown = editor.get(answer.headers["location"]).text
    assert "Angehängt: Zuwendungsbescheid.pdf" in shown
    assert "Angehängt: Kooperationsvertrag.docx" in shown
    assert "Nicht angehängt: „rechnung.pdf“ ist eine HTML-" in shown
    assert shown.count('<tr id="dokument-') == 3
    assert 'src="/dokumente/1/vorschau.png"' in shown

    viewer, _ = logged_in(db_url, "viewer", **settings)
    listed = viewer.get("/programme/zukunftsstadt").text
    assert "Zuwendungsbescheid" in listed
    assert "Dateien hierher ziehen" not in listed  # viewers do not attach
    assert ">löschen<" not in listed
    pdf = viewer.get("/dokumente/1/datei")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline;")
    assert pdf.content == files["pdf"].read_bytes()
    docx = viewer.get("/dokumente/2/datei")
    assert docx.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in docx.headers["content-security-policy"]
    assert docx.headers["x-content-type-options"] == "nosniff"
    png = viewer.get("/dokumente/3/datei")
    assert png.headers["content-disposition"].startswith("inline;")
    forced = viewer.get("/dokumente/1/datei?download=1")
    assert forced.headers["content-disposition"].startswith("attachment;")


def test_roles_guard_attach_delete_and_download(site, tmp_path: Path) -> None:
    db_url, settings = site
    files = _files(tmp_path)
    editor, csrf = logged_in(db_url, "editor", **settings)
    assert _upload(editor, csrf, [files["pdf"]]).status_code == 303

    viewer, viewer_csrf = logged_in(db_url, "viewer", **settings)
    refused = _upload(viewer, viewer_csrf, [files["docx"]])
    assert refused.status_code == 403
    assert "Keine Berechtigung" in refused.text
    not_deleted = viewer.post("/dokumente/1/loeschen", data={"csrf_token": viewer_csrf})
    assert not_deleted.status_code == 403
    editor_delete = editor.post("/dokumente/1/loeschen", data={"csrf_token": csrf})
    assert editor_delete.status_code == 403

    anonymous = client(db_url, **settings)
    answer = anonymous.get("/dokumente/1/datei", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
    assert answer.content != files["pdf"].read_bytes()
    no_csrf = editor.post(
        "/programme/zukunftsstadt/dokumente",
        files=[("dateien", ("x.pdf", files["pdf"].read_bytes()))],
    )
    assert no_csrf.status_code == 403

    admin, admin_csrf = logged_in(db_url, "admin", **settings)
    assert ">löschen<" in admin.get("/programme/zukunftsstadt").text
    gone = admin.post("/dokumente/1/loeschen", data={"csrf_token": admin_csrf})
    assert gone.status_code == 200  # followed to the programme page
    assert "Gelöscht: Nr. 1" in gone.text
    assert admin.get("/dokumente/1/datei").status_code == 404
    engine = open_database(db_url)
    with session_scope(engine, "test", read_only=True) as session:
        log = session.scalars(
            sa.select(Change).where(
                Change.entity == "documents", Change.action == "delete"
            )
        ).all()
        assert [c.who for c in log] == ["web:admin"]
        assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    engine.dispose()


def test_search_page_thumbnail_and_altered_file(site, tmp_path: Path) -> None:
    db_url, settings = site
    files = _files(tmp_path)
    editor, csrf = logged_in(db_url, "editor", **settings)
    _upload(editor, csrf, [files["pdf"]], bewilligung="", art="bescheid")
    found = editor.get("/dokumente", params={"q": "Zwischennachweis 31.03."})
    assert found.status_code == 200
    assert "Treffer für „Zwischennachweis 31.03.“ (1)" in found.text
    assert "<mark>Zwischennachweis</mark>" in found.text
    assert "Zukunftsstadt" in found.text
    none = editor.get("/dokumente", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in none.text
    assert "Kein Dokument enthält" in none.text

    if shutil.which("pdftoppm"):
        thumb = editor.get("/dokumente/1/vorschau.png")
        assert thumb.status_code == 200
        assert thumb.content.startswith(b"\x89PNG")

    stored = next(p for p in (tmp_path / "dokumente").iterdir() if len(p.name) == 64)
    stored.write_bytes(stored.read_bytes() + b"%% angehaengt")
    altered = editor.get("/dokumente/1/datei")
    assert altered.status_code == 500
    assert "verändert" in altered.text
    assert altered.content != stored.read_bytes()


def _zukunftsstadt_zn(db_url: str) -> list[str]:
    """The numbers of Zukunftsstadt's Zwischennachweise 2016 and 2017."""
    from portfolio.domain.models import Obligation, Programme

    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        ids = session.scalars(
            sa.select(Obligation.id)
            .join(Programme)
            .where(
                Programme.key == "zukunftsstadt",
                Obligation.title.in_(
                    ["Zwischennachweis 2016", "Zwischennachweis 2017"]
                ),
            )
            .order_by(Obligation.due_on)
        ).all()
    engine.dispose()
    return [str(i) for i in ids]


def test_deadline_and_award_attach_and_json_answer(site, tmp_path: Path) -> None:
    db_url, settings = site
    files = _files(tmp_path)
    editor, csrf = logged_in(db_url, "editor", **settings)
    zn, _ = _zukunftsstadt_zn(db_url)
    page = editor.get(f"/programme/zukunftsstadt?frist={zn}")
    assert f'<option value="{zn}" selected>' in page.text
    answer = editor.post(
        "/programme/zukunftsstadt/dokumente",
        data={"frist": zn, "art": "nachweis"},
        files=[("dateien", ("zwischennachweis.docx", files["docx"].read_bytes()))],
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["attached"][0]["file_name"] == "zwischennachweis.docx"
    listed = editor.get("/programme/zukunftsstadt").text
    assert "Zwischennachweis 2016" in listed.split('id="dokumente"')[1]
    bad = editor.post(
        "/programme/zukunftsstadt/dokumente",
        files=[("dateien", ("x.pdf", files["evil"].read_bytes()))],
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert bad.status_code == 400
    assert "HTML" in bad.json()["refused"][0]


def test_api_attach_list_search_fetch_delete(site, tmp_path: Path) -> None:
    db_url, settings = site
    files = _files(tmp_path)

    def token(username: str) -> tuple[object, str]:
        http, csrf = logged_in(db_url, username, **settings)
        shown = http.post("/konto/api-schluessel", data={"csrf_token": csrf})
        return http, shown.text.split('id="api-token">')[1].split("<")[0]

    http, editor_token = token("editor")
    headers = {"Authorization": f"Bearer {editor_token}"}
    made = http.post(
        "/api/programmes/zukunftsstadt/documents",
        headers=headers,
        data={"kind": "bescheid", "title": "Bescheid Phase II", "date": "2016-11-01"},
        files=[("files", ("bescheid.pdf", files["pdf"].read_bytes()))],
    )
    assert made.status_code == 200, made.text
    document = made.json()["attached"][0]
    assert document["media_type"] == "application/pdf"
    assert document["title"] == "Bescheid Phase II"
    listed = http.get("/api/programmes/zukunftsstadt/documents", headers=headers)
    assert [d["id"] for d in listed.json()] == [document["id"]]
    hits = http.get("/api/documents", params={"q": "Zwischennachweis"}, headers=headers)
    assert hits.json()[0]["document"]["programme"] == "zukunftsstadt"
    assert "»Zwischennachweis«" in hits.json()[0]["snippet"]
    fetched = http.get(f"/api/documents/{document['id']}/file", headers=headers)
    assert fetched.content == files["pdf"].read_bytes()
    refused = http.post(
        "/api/programmes/zukunftsstadt/documents",
        headers=headers,
        files=[("files", ("x.pdf", files["evil"].read_bytes()))],
    )
    assert refused.status_code == 400
    assert (
        http.delete(f"/api/documents/{document['id']}", headers=headers).status_code
        == 403
    )

    _, admin_token = token("admin")
    admin_headers = {"Authorization": f"Bearer {admin_token}"}
    assert (
        http.delete(
            f"/api/documents/{document['id']}", headers=admin_headers
        ).status_code
        == 204
    )
    assert (
        http.get(
            "/api/programmes/zukunftsstadt/documents", headers=admin_headers
        ).json()
        == []
    )


def test_document_size_limit_is_its_own_setting(site, tmp_path: Path) -> None:
    db_url, settings = site
    limits = {**settings, "documents.max_file_mb": 1, "imports.max_file_mb": 5}
    editor, csrf = logged_in(db_url, "editor", **limits)
    big = b"%PDF-1.4\n" + b"x" * (2 * 1024 * 1024)
    answer = editor.post(
        "/programme/zukunftsstadt/dokumente",
        data={"csrf_token": csrf},
        files=[("dateien", ("gross.pdf", big))],
    )
    assert answer.status_code == 413
    assert "zu groß" in answer.text
    just_over = b"%PDF-1.4\n" + b"x" * (1024 * 1024)
    refused = editor.post(
        "/programme/zukunftsstadt/dokumente",
        files=[("dateien", ("etwas-gross.pdf", just_over))],
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert refused.status_code == 400
    assert "größer als erlaubt (1 MB" in refused.json()["refused"][0]


def test_marking_a_deadline_done_offers_to_attach(site, tmp_path: Path) -> None:
    db_url, settings = site
    editor, csrf = logged_in(db_url, "editor", **settings)
    zn, zn2 = _zukunftsstadt_zn(db_url)
    done = editor.post(
        f"/fristen/{zn}/status",
        data={"csrf_token": csrf, "status": "submitted", "datum": "28.04.2017",
              "zurueck": "/fristen"},
    )  # fmt: skip
    assert done.status_code == 200
    assert (
        f'<a href="/programme/zukunftsstadt?frist={zn}#dokumente">'
        "Eingereichtes als Dokument anhängen</a>" in done.text
    )
    offered = editor.get(f"/programme/zukunftsstadt?frist={zn}")
    assert f'<option value="{zn}" selected>' in offered.text
    waived = editor.post(
        f"/fristen/{zn2}/status",
        data={"csrf_token": csrf, "status": "waived", "zurueck": "/fristen"},
    )
    assert "Eingereichtes als Dokument anhängen" not in waived.text


def test_retention_date_on_the_page_and_the_due_list(site, tmp_path: Path) -> None:
    from datetime import date

    from portfolio.domain.enums import ObligationKind
    from portfolio.domain.models import Award, Obligation

    db_url, settings = site
    files = _files(tmp_path)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        award = session.scalar(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        )
        assert award is not None
        award_id = award.id
        # The retention date the rules recorded (30.04.2024), set back by hand.
        keep = session.scalar(
            sa.select(Obligation).where(
                Obligation.award_id == award.id,
                Obligation.kind == ObligationKind.AUFBEWAHRUNG,
            )
        )
        assert keep is not None
        keep.due_on, keep.edited = date(2016, 12, 31), True
    engine.dispose()
    editor, csrf = logged_in(db_url, "editor", **settings)
    _upload(editor, csrf, [files["pdf"]], bewilligung=str(award_id))
    section = editor.get("/programme/zukunftsstadt").text.split('id="dokumente"')[1]
    assert "31.12.2016" in section
    due = editor.get("/dokumente").text.split('id="loeschfaellig"')[1]
    assert "Zuwendungsbescheid" in due  # past its date on the Stichtag 15.03.2017
    assert "31.12.2016" in due


def test_search_hits_come_twenty_a_page(site) -> None:
    db_url, settings = site
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        programme = session.scalars(sa.select(Programme.id)).first()
        for n in range(25):
            document = Document(
                title=f"Nachweis {n + 1:02d}", file_name=f"n{n}.pdf",
                media_type="application/pdf", size=1, sha256=f"{n + 1:064x}",
                programme_id=programme, added_by="test",
            )  # fmt: skip
            document.text = DocumentText(text=f"Der Zwischennachweis Nummer {n}.")
            session.add(document)
    engine.dispose()
    viewer, _ = logged_in(db_url, "viewer", **settings)

    first = viewer.get("/dokumente", params={"q": "Zwischennachweis"})
    assert "Treffer für „Zwischennachweis“ (1–20)" in first.text
    assert first.text.count('<p class="snippet">') == 20
    assert "weitere Treffer →" in first.text and "bessere Treffer" not in first.text

    second = viewer.get("/dokumente", params={"q": "Zwischennachweis", "seite": "2"})
    assert "Treffer für „Zwischennachweis“ (21–25)" in second.text
    assert second.text.count('<p class="snippet">') == 5
    assert "← bessere Treffer" in second.text and "weitere Treffer" not in second.text
    titles = {
        t for page in (first, second) for t in re.findall(r"Nachweis \d\d", page.text)
    }
    assert len(titles) == 25  # every document once, none twice
