"""The frame around every page: login hints, the way back after signing in, the icon."""

from __future__ import annotations

from pathlib import Path

from web_support import PASSWORD, client, csrf_of, prepare_db


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
