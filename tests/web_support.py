"""Helpers for the web tests: an app on a real SQLite file, users, logged-in clients."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from portfolio.config import Settings
from portfolio.domain.enums import UserRole
from portfolio.services.demo import load_demo
from portfolio.services.users import add_user
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import create_app

warnings.filterwarnings("ignore", message=".*httpx2.*")
PASSWORD = "geheim-123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_settings(db_url: str, **extra: Any) -> Settings:
    values = {"database.url": db_url, "web.secret_key": "test-secret", **extra}
    return Settings(values)


def prepare_db(db_url: str, *, demo: bool = True) -> None:
    """A database with the demo portfolio and one user per role."""
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        if demo:
            load_demo(session)
        for role in UserRole:
            add_user(session, role.value, PASSWORD, role, f"{role.value}@example.org")
    engine.dispose()


def client(db_url: str, **settings: Any) -> TestClient:
    """A test client for a fresh app on the database."""
    return TestClient(create_app(make_settings(db_url, **settings)))


def csrf_of(http: TestClient, path: str = "/login") -> str:
    match = CSRF.search(http.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(http: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(http)
    return http.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def logged_in(db_url: str, username: str, **settings: Any) -> tuple[TestClient, str]:
    """A client logged in as a user, and its CSRF token."""
    http = client(db_url, **settings)
    answer = login(http, username)
    assert answer.status_code == 303, answer.text
    return http, csrf_of(http, "/konto")


def sqlite_file(tmp_path: Path, name: str = "web.db") -> str:
    return f"sqlite:///{tmp_path / name}"
