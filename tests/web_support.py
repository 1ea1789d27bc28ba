"""Helpers for the web tests: an app on a real SQLite file, users, logged-in clients."""

from __future__ import annotations

import re
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
        data={
            "username": username,
            "password": password,
            "csrf_token": token,
            "next": "/",
        },
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


def add_synthetic(
    db_url: str, count: int, start: int = 0, *, applications: bool = False
) -> None:
    """Add ``count`` programmes, each with a phase, a funder, an award and deadlines.

    With ``applications`` each programme also gets an application without a phase
    (a follow-up), its state cycling through the pipeline. Core bulk inserts (no
    change log), so 10,000 programmes take seconds.
    """
    from datetime import date, timedelta
    from decimal import Decimal

    import sqlalchemy as sa

    from portfolio.domain.models import (
        Application,
        Award,
        Funder,
        Funding,
        Obligation,
        Phase,
        Programme,
    )

    engine = open_database(db_url)
    kinds = ["eu", "bund", "land", "kommune", "stiftung", "other"]
    with engine.begin() as connection:
        funder_ids = []
        for kind in kinds:
            name = f"Synth-{kind}-{start}"
            funder_ids.append(
                connection.execute(
                    sa.insert(Funder)
                    .values(short_name=name, name=name, kind=kind)
                    .returning(Funder.id)
                ).scalar_one()
            )
        first_id = (connection.scalar(sa.select(sa.func.max(Programme.id))) or 0) + 1
        programmes, phases, fundings, awards, obligations = [], [], [], [], []
        pipeline: list[dict[str, object]] = []
        states = ["idea", "draft", "submitted", "approved", "partly_approved",
                  "rejected", "withdrawn"]  # fmt: skip
        for i in range(count):
            pid = first_id + i
            begin = date(2012 + i % 6, 1 + i % 12, 1)
            end = begin + timedelta(days=700 + i % 400)
            programmes.append(
                {
                    "id": pid,
                    "key": f"synth-{start + i}",
                    "name": f"Programm {start + i}",
                    "status": "running" if i % 4 else "ended",
                    "tags": [],
                }
            )
            phases.append(
                {
                    "programme_id": pid,
                    "name": "Phase I",
                    "start": begin,
                    "end": None if i % 7 == 0 else end,
                    "precision": "month",
                }
            )
            fundings.append(
                {
                    "programme_id": pid,
                    "funder_id": funder_ids[i % 6],
                    "amount": Decimal(50000 + i),
                }
            )
            awards.append(
                {
                    "id": pid,
                    "programme_id": pid,
                    "funder_id": funder_ids[i % 6],
                    "kind": "bescheid",
                    "reference": f"S-{start + i}",
                    "start": begin,
                    "end": end,
                    "amount": Decimal(100000 + i),
                    "overrides": {},
                }
            )
            if applications:
                pipeline.append(
                    {
                        "programme_id": pid,
                        "funder_id": funder_ids[i % 6],
                        "status": states[i % 7],
                        "requested": Decimal(20000 + i),
                        "deadline": date(2017, 1 + i % 12, 15),
                    }
                )
            for n, due in enumerate(
                (end + timedelta(days=90), date(2017, 3, 1 + i % 28))
            ):
                obligations.append(
                    {
                        "programme_id": pid,
                        "award_id": pid,
                        "kind": "report",
                        "title": f"Bericht {n + 1}",
                        "due_on": due,
                        "status": "open" if (i + n) % 3 else "done",
                        "origin": "manual",
                        "checklist": [],
                    }
                )
        connection.execute(sa.insert(Programme), programmes)
        connection.execute(sa.insert(Phase), phases)
        connection.execute(sa.insert(Funding), fundings)
        connection.execute(sa.insert(Award), awards)
        connection.execute(sa.insert(Obligation), obligations)
        if pipeline:
            connection.execute(sa.insert(Application), pipeline)
    engine.dispose()


def signed_in_page(playwright: Any, base: str, user: str = "editor") -> Any:
    """A German Chromium page signed in as ``user`` at ``base``; close its browser
    with ``page.context.browser.close()``."""
    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
    )
    page = browser.new_context(base_url=base, locale="de-DE").new_page()
    page.set_default_timeout(15000)
    page.goto("/")
    page.get_by_label("Benutzername").fill(user)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/")
    return page
