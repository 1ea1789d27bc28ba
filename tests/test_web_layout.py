"""The frame around every page: login hints, the way back after signing in, the icon,
and search that folds case beyond ASCII on SQLite as on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from web_support import PASSWORD, client, csrf_of, logged_in, prepare_db

from portfolio.domain.models import Obligation, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def test_login_page_says_whom_to_ask_not_which_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=False)
    page = client(url, **{"office.lead_email": "leitung@bildung.example"}).get("/login")
    assert "leitung@bildung.example" in page.text
    assert "Büroleitung" in page.text
    assert "portfolio user add" not in page.text
    without = client(url).get("/login").text
    assert "Büroleitung Regionales Bildungsbüro" in without


def test_sign_in_lands_on_the_asked_page_with_its_whole_query(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=False)
    http = client(url)
    asked = http.get("/fristen?status=alle&q=Zwischen", follow_redirects=False)
    assert asked.status_code == 303
    login_page = http.get(asked.headers["location"])
    assert 'name="next" value="/fristen?status=alle&amp;q=Zwischen"' in login_page.text
    answer = http.post(
        "/login",
        data={
            "username": "viewer",
            "password": PASSWORD,
            "csrf_token": csrf_of(http),
            "next": "/fristen?status=alle&q=Zwischen",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/fristen?status=alle&q=Zwischen"


def test_a_favicon_is_served_without_login(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=False)
    http = client(url)
    icon = http.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in icon.content
    assert 'rel="icon"' in http.get("/login").text


def test_search_folds_case_beyond_ascii(db_url: str) -> None:
    """ "ÜBERGANG" and "übergang" find "Übergang Schule–Beruf" on both databases."""
    prepare_db(db_url)
    engine = open_database(db_url)
    with session_scope(engine) as session:
        programme = session.scalars(
            sa.select(Programme).where(Programme.key == "kaoa")
        ).one()
        programme.name = "Übergänge gestalten"
    engine.dispose()
    http, _ = logged_in(db_url, "viewer")
    for typed in ("Übergänge", "übergänge", "ÜBERGÄNGE", "ÜBERGÄNGE GESTALTEN"):
        page = http.get("/programme", params={"q": typed}).text
        assert "1 Programme" in page, typed
        assert "Übergänge gestalten" in page, typed
    deadlines = http.get("/fristen", params={"q": "VERWENDUNGSNACHWEIS"}).text
    assert "Keine Fristen" not in deadlines


def test_refused_undo_links_the_blocking_deadline(tmp_path: Path) -> None:
    from imports.reading import read_file
    from portfolio.services.import_apply import import_files

    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=False)
    engine = open_database(url)
    data = Path(__file__).parent / "data" / "imports"
    for name in ("uebersicht.xlsx", "fristen.xlsx"):
        with session_scope(engine, "test") as session:
            import_files(session, [read_file(data / name)], apply=True)
    with session_scope(engine, "test") as session:
        item = session.scalars(sa.select(Obligation).order_by(Obligation.id)).first()
        assert item is not None
        item.notes = "von Hand"
        title, ident = item.title, item.id
        key = item.programme.key
    engine.dispose()
    http, token = logged_in(url, "editor")
    page = http.post("/import/2/rueckgaengig", data={"csrf_token": token})
    assert page.status_code == 409
    assert f"Frist „{title}“ (fällig " in page.text
    assert "Frist Nr." not in page.text
    assert f'href="/programme/{key}#frist-{ident}"' in page.text


def test_rejected_user_form_keeps_what_was_typed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url, demo=False)
    http, token = logged_in(url, "admin")
    page = http.post(
        "/verwaltung/benutzer",
        data={
            "username": "neu.kollegin",
            "email": "kollegin@example.org",
            "password": "kurz",
            "role": "editor",
            "csrf_token": token,
        },
    )
    assert page.status_code == 422
    assert 'id="err-user"' in page.text
    assert 'value="neu.kollegin"' in page.text
    assert 'value="kollegin@example.org"' in page.text
    assert '<option value="editor" selected>' in page.text
    assert 'value="kurz"' not in page.text  # never the password
    # One cell per column: the "aktiv" header sits over the checkbox.
    header = page.text.split("<thead>")[1].split("</thead>")[0]
    row = page.text.split("<tbody>")[1].split("</tr>")[0]
    assert header.count("<th") == row.count("<td") == 5
    assert (
        header.split("<th")[4].find("aktiv") > 0
        and 'type="checkbox"' in row.split("<td")[4]
    )
