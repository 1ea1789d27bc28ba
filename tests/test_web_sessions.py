"""Server-side sessions: the cookie is an id, and ending a session ends it everywhere.

Each rule is proven by replaying an old cookie the way a thief would: after logout,
after a password change, a role change or a deactivation it must lead to the login
page; idle and absolute lifetimes end a session; the cookie never carries data.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_support import PASSWORD, client, csrf_of, logged_in, login, prepare_db

from portfolio.domain.models import User, WebSession
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

COOKIE = "portfolio_session"


@pytest.fixture
def web_db(db_url: str) -> str:
    prepare_db(db_url, demo=False)
    return db_url


def _thief(db_url: str, cookie: str) -> TestClient:
    other = client(db_url)
    other.cookies.set(COOKIE, cookie)
    return other


def _opens(http: TestClient, path: str = "/konto") -> bool:
    answer = http.get(path, follow_redirects=False)
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/login")
        return False
    assert answer.status_code == 200
    return True


def _sql(db_url: str, statement: Any) -> list[Any]:
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        result = session.execute(statement)
        rows = list(result.all()) if isinstance(statement, sa.Select) else []
    engine.dispose()
    return rows


def test_old_cookie_after_logout_leads_to_login(web_db: str) -> None:
    http, token = logged_in(web_db, "viewer")
    cookie = http.cookies[COOKIE]
    assert _opens(_thief(web_db, cookie))
    http.post("/logout", data={"csrf_token": token})
    assert not _opens(_thief(web_db, cookie))
    assert not _opens(http)


def test_password_change_ends_the_other_sessions(web_db: str) -> None:
    office, token = logged_in(web_db, "editor")
    laptop, _ = logged_in(web_db, "editor")
    stolen = laptop.cookies[COOKIE]
    answer = office.post(
        "/konto/passwort",
        data={
            "old": PASSWORD,
            "new": "ganz-neu-456",
            "repeat": "ganz-neu-456",
            "csrf_token": token,
        },
    )
    assert "Passwort geändert" in answer.text
    assert _opens(office)  # the session that changed it stays
    assert not _opens(laptop)
    assert not _opens(_thief(web_db, stolen))
    assert login(client(web_db), "editor", "ganz-neu-456").status_code == 303


def test_role_change_and_deactivation_end_sessions(web_db: str) -> None:
    editor, _ = logged_in(web_db, "editor")
    viewer, _ = logged_in(web_db, "viewer")
    admin, token = logged_in(web_db, "admin")
    ids = dict(_sql(web_db, sa.select(User.username, User.id)))
    admin.post(
        f"/verwaltung/benutzer/{ids['editor']}",
        data={"role": "viewer", "active": "1", "csrf_token": token},
    )
    assert not _opens(editor)
    admin.post(
        f"/verwaltung/benutzer/{ids['viewer']}",
        data={"role": "viewer", "csrf_token": token},
    )
    assert not _opens(viewer)
    assert _opens(admin)


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def test_idle_timeout_and_absolute_lifetime(web_db: str) -> None:
    http, _ = logged_in(web_db, "viewer", **{"web.session_idle_minutes": 30})
    assert _opens(http)
    _sql(web_db, sa.update(WebSession).values(last_seen_at=_ago(minutes=31)))
    assert not _opens(http)

    http, _ = logged_in(web_db, "viewer", **{"web.session_max_hours": 8})
    _sql(web_db, sa.update(WebSession).values(created_at=_ago(hours=8, minutes=1)))
    assert not _opens(http)


ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _cookies_set(answer: Any) -> list[str]:
    return [
        v.split(";", 1)[0].split("=", 1)[1]
        for v in answer.headers.get_list("set-cookie")
        if v.startswith(COOKIE + "=")
    ]


def test_cookie_is_an_opaque_id_and_keeps_no_secret(web_db: str) -> None:
    http = client(web_db)
    seen = _cookies_set(http.get("/login"))
    answer = login(http, "editor")
    seen += _cookies_set(answer)
    token = csrf_of(http, "/konto")
    made = http.post("/konto/api-schluessel", data={"csrf_token": token})
    api_key = made.text.split('id="api-token">')[1].split("<")[0]
    assert api_key.startswith("pf_")
    seen += _cookies_set(made)
    assert "pf_" not in http.get("/konto").text  # shown once, on the answer only
    upload = http.post(
        "/import",
        data={"csrf_token": token},
        files={
            "datei": ("programme.csv", b"Programm;Frist\nA;01.01.2018\n", "text/csv")
        },
    )
    seen += _cookies_set(upload)
    seen.append(http.cookies[COOKIE])
    assert seen
    for value in seen:
        assert ID.match(value), value
        # 32 random bytes and nothing else: no room for a payload.
        assert len(base64.urlsafe_b64decode(value + "=")) == 32
    stored = _sql(web_db, sa.select(WebSession.id_hash, WebSession.data))
    for id_hash, data in stored:
        assert id_hash not in seen and len(id_hash) == 64
        assert api_key not in repr(data)
    keys = [row[0] for row in _sql(web_db, sa.select(User.api_token_hash))]
    assert api_key not in keys and any(keys)
