"""Every security rule of the web UI, each proven by a request that the rule stops.

Login is required for every page but /health; the session cookie is HttpOnly,
SameSite=Lax and Secure behind HTTPS; logins are throttled (see test_web_throttle);
every form needs the session's CSRF token; viewers change nothing; every change is
logged with the user; templates escape HTML; uploads are limited in size; the API
needs a token.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from web_support import (
    PASSWORD,
    client,
    csrf_of,
    logged_in,
    login,
    make_settings,
    prepare_db,
)

from portfolio.domain.models import Change, Obligation, Programme, User
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import create_app


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "template.db"
    prepare_db(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    target = tmp_path / "web.db"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


def _routes(db_url: str) -> list[APIRoute]:
    app = create_app(make_settings(db_url))
    found = []
    for route in app.router.routes:
        original = getattr(route, "original_router", None)
        found += original.routes if original is not None else [route]
    return [r for r in found if isinstance(r, APIRoute)]


OPEN_PATHS = {"/health", "/login", "/favicon.ico", "/kalender/{token}.ics"}


def _concrete(path: str) -> str:
    return (
        path.replace("{key}", "zukunftsstadt")
        .replace("{obligation_id}", "1")
        .replace("{user_id}", "1")
        .replace("{reminder_id}", "1")
        .replace("{batch_id}", "1")
    )


def test_every_page_but_health_requires_login(db_url: str) -> None:
    http = client(db_url)
    checked = 0
    for route in _routes(db_url):
        if route.path in OPEN_PATHS or route.path.startswith("/api"):
            continue
        for method in route.methods - {"HEAD"}:
            answer = http.request(method, _concrete(route.path), follow_redirects=False)
            assert answer.status_code in (303, 401, 403), (method, route.path)
            if method == "GET" and route.path != "/openapi.json":
                assert answer.headers["location"].startswith("/login"), route.path
            checked += 1
    assert checked >= 20
    assert http.get("/health").json() == {"status": "ok"}


def test_api_requires_a_valid_token(db_url: str) -> None:
    http = client(db_url)
    for route in _routes(db_url):
        if route.path.startswith("/api"):
            for method in route.methods:
                answer = http.request(
                    method, _concrete(route.path), json={"status": "done"}
                )
                assert answer.status_code == 401, route.path
    wrong = http.get("/api/programmes", headers={"Authorization": "Bearer pf_falsch"})
    assert wrong.status_code == 401
    assert http.get("/openapi.json").status_code == 401


def test_session_cookie_is_httponly_and_samesite_lax(db_url: str) -> None:
    answer = login(client(db_url), "viewer")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http on 127.0.0.1 would lose the cookie


def test_session_cookie_is_secure_behind_https(db_url: str) -> None:
    http = client(db_url, **{"web.base_url": "https://portfolio.kreis-re.de"})
    http.base_url = "https://testserver"  # type: ignore[assignment]
    cookie = login(http, "viewer").headers["set-cookie"].lower()
    assert "; secure" in cookie


def test_wrong_password_says_so_in_german(db_url: str) -> None:
    answer = login(client(db_url), "editor", "falsch")
    assert answer.status_code == 401
    assert "Benutzername oder Passwort ist falsch" in answer.text


def _first_open(db_url: str) -> int:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        found = session.scalar(
            sa.select(Obligation.id)
            .where(Obligation.status == "open")
            .order_by(Obligation.id)
        )
    engine.dispose()
    assert found is not None
    return found


def _status_of(db_url: str, obligation_id: int) -> str:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        status = session.get(Obligation, obligation_id).status.value
    engine.dispose()
    return status


def test_forms_need_the_csrf_token(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    target = _first_open(db_url)
    without = http.post(f"/fristen/{target}/status", data={"status": "done"})
    assert without.status_code == 403
    assert "Formular abgelaufen" in without.text
    forged = http.post(
        f"/fristen/{target}/status", data={"status": "done", "csrf_token": "x" * 43}
    )
    assert forged.status_code == 403
    assert _status_of(db_url, target) == "open"
    good = http.post(
        f"/fristen/{target}/status",
        data={"status": "done", "csrf_token": token},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert _status_of(db_url, target) == "done"


def test_login_form_needs_the_csrf_token(db_url: str) -> None:
    http = client(db_url)
    answer = http.post("/login", data={"username": "editor", "password": PASSWORD})
    assert answer.status_code == 403


def test_viewers_cannot_change_anything(db_url: str) -> None:
    http, token = logged_in(db_url, "viewer")
    target = _first_open(db_url)
    attempts = {
        f"/fristen/{target}/status": {"status": "done"},
        "/programme/zukunftsstadt/bearbeiten": {
            "name": "Gekapert",
            "status": "running",
        },
        "/programme/zukunftsstadt/sachbericht": {
            "jahr": "2017",
            "abschnitt": "ziele",
            "text": "x",
        },
        f"/fristen/{target}/verschieben": {"datum": "01.01.2018"},
        "/programme/zukunftsstadt/fristen": {"titel": "x", "datum": "01.01.2018"},
        "/verwaltung/benutzer": {
            "username": "neu",
            "password": PASSWORD,
            "role": "admin",
        },
        "/verwaltung/benutzer/1": {"role": "admin", "active": "1"},
        "/verwaltung/erinnerungen/1/erneut": {},
        "/verwaltung/erinnerungen/erneut": {},
        "/import/1/rueckgaengig": {},
        "/import/uebernehmen": {},
    }
    for path, data in attempts.items():
        answer = http.post(
            path, data={**data, "csrf_token": token}, follow_redirects=False
        )
        assert answer.status_code == 403, path
        assert "Keine Berechtigung" in answer.text
    assert _status_of(db_url, target) == "open"
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        name = session.scalar(
            sa.select(Programme.name).where(Programme.key == "zukunftsstadt")
        )
        users = session.scalar(sa.select(sa.func.count(User.id)))
    engine.dispose()
    assert name != "Gekapert"
    assert users == 3
    assert "Bearbeiten</a>" not in http.get("/programme/zukunftsstadt").text


def test_viewer_api_token_cannot_write(db_url: str) -> None:
    http, token = logged_in(db_url, "viewer")
    shown = http.post("/konto/api-schluessel", data={"csrf_token": token})
    api_token = shown.text.split('id="api-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {api_token}"}
    assert http.get("/api/programmes", headers=headers).status_code == 200
    target = _first_open(db_url)
    answer = http.post(
        f"/api/obligations/{target}/status", json={"status": "done"}, headers=headers
    )
    assert answer.status_code == 403
    assert _status_of(db_url, target) == "open"


def test_changes_are_logged_with_the_user(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    answer = http.post(
        "/programme/zukunftsstadt/bearbeiten",
        data={
            "name": "Zukunftsstadt 2030",
            "short_name": "Zukunftsstadt",
            "status": "running",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        change = session.scalars(
            sa.select(Change)
            .where(Change.entity == "programmes")
            .order_by(Change.id.desc())
        ).first()
    engine.dispose()
    assert change is not None
    assert change.who == "web:editor"
    assert change.after and change.after["name"] == "Zukunftsstadt 2030"
    history = http.get("/programme/zukunftsstadt").text.split("Änderungsprotokoll")[1]
    assert "<td>editor</td>" in history and "→ Zukunftsstadt 2030" in history


def test_templates_escape_html(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    evil = "<script>alert(1)</script>"
    http.post(
        "/programme/zukunftsstadt/bearbeiten",
        data={
            "name": evil,
            "short_name": evil,
            "status": "running",
            "csrf_token": token,
        },
    )
    for page in ("/programme", "/programme/zukunftsstadt", "/zeitstrahl"):
        text = http.get(page).text
        assert evil not in text, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, page


def test_uploads_are_limited_in_size(db_url: str) -> None:
    http, token = logged_in(db_url, "editor", **{"imports.max_file_mb": 1})
    big = b"x" * (1024 * 1024 + 10)
    answer = http.post(
        "/import",
        data={"csrf_token": token},
        files={"datei": ("gross.xlsx", big, "application/octet-stream")},
    )
    assert answer.status_code == 413
    assert "zu groß" in answer.text


def test_passwords_are_stored_hashed(db_url: str) -> None:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        hashes = list(session.scalars(sa.select(User.password_hash)))
    engine.dispose()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_calendar_url_is_secret_and_revocable(db_url: str) -> None:
    http, token = logged_in(db_url, "viewer")
    page = http.post("/fristen/abo", data={"aktion": "neu", "csrf_token": token}).text
    url = page.split('id="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    path = url.split("testserver", 1)[-1].replace("http://127.0.0.1:8000", "")
    anonymous = client(db_url)
    feed = anonymous.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in feed.content
    # Shown once: the page does not show it again, and the database keeps a hash.
    assert 'id="feed-url"' not in http.get("/fristen").text
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        stored = list(session.scalars(sa.select(User.ics_token)))
    engine.dispose()
    assert secret not in stored and any(stored)
    http.post("/fristen/abo", data={"aktion": "widerrufen", "csrf_token": token})
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/kalender/geraten.ics").status_code == 404


def test_logout_ends_the_session(db_url: str) -> None:
    http, token = logged_in(db_url, "viewer")
    assert http.get("/", follow_redirects=False).status_code == 200
    http.post("/logout", data={"csrf_token": token})
    assert http.get("/", follow_redirects=False).status_code == 303


def test_deactivated_user_is_logged_out(db_url: str) -> None:
    http, _ = logged_in(db_url, "editor")
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        session.scalar(sa.select(User).where(User.username == "editor")).active = False
    engine.dispose()
    assert http.get("/", follow_redirects=False).status_code == 303
    assert login(client(db_url), "editor").status_code == 401


def test_security_headers(db_url: str) -> None:
    answer = client(db_url).get("/login")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert csrf_of(client(db_url))


def test_uploads_are_limited_in_type(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    for name, content in (
        ("skript.exe", b"MZ\x90\x00"),
        ("getarnt.xlsx", b"<html>kein Excel</html>"),
        ("binär.csv", b"a;b\x00\x01\x02"),
    ):
        answer = http.post(
            "/import",
            data={"csrf_token": token},
            files={"datei": (name, content, "application/octet-stream")},
        )
        assert answer.status_code == 415, name
        assert "keine Tabelle" in answer.text
